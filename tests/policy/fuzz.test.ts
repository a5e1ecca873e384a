import { describeEachDatabase } from '../support/databases.js';
import { worldHubFixture } from '../support/hub.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';
import { Rng } from '../../src/world/rng.js';

/**
 * At least 1,000 generated malformed, oversized, deeply nested and injection-bearing operations
 * and variables. Every answer must be a GraphQL response (errors or data) with a 2xx/4xx/503
 * status: never a crash, never a 500, never SQL, a stack trace or a file path.
 */

/** Percent-encodes the UTF-8 bytes, whatever the string holds (lone surrogates included), possibly cut mid-sequence. */
const percentEncode = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

const INJECTIONS = [
  "' OR 1=1 --", '"; drop table person; --', "1; select pg_sleep(10)", "') union select id_number from person --",
  '\\x00', '%00', 'name:* OR _exists_:idNumber', '{"query":{"match_all":{}}}', '*:*', 'idNumber:[* TO *]', '$where: 1',
  '<script>alert(1)</script>', '../../etc/passwd', '${jndi:ldap://x}', '王春雷\u0000', '\ud800', 'A'.repeat(10_000), '🔥'.repeat(500),
];
const VALID = [
  '{ people(first: 3) { edges { node { id name idNumber household { members { name } } } } } }',
  'query($id: ID!) { person(id: $id) { name phone records { sourceId } cases { title } } }',
  'query($f: PersonFilter, $n: Int, $a: String) { people(filter: $f, first: $n, after: $a) { totalCount } }',
  'query($c: CaseFilter) { cases(filter: $c) { edges { node { number history { type } } } } }',
  '{ departments { name connector { status recordCount } } }',
  'query($id: ID!) { node(id: $id) { id ... on Building { name dwellings { residents { name } } } } }',
];

describeEachDatabase('fuzz: malformed and hostile operations', ({ openWorld }) => {
  const fx = worldHubFixture({ openWorld }, { limits: { maxCost: 20_000 } });

  test('1,200 generated operations: every answer is a clean GraphQL response', async () => {
    const seeded = new Rng(42);
    const random = () => seeded.next();
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const hostileValue = (): unknown => pick<() => unknown>([
      () => pick(INJECTIONS),
      () => Math.floor(random() * 2 ** 53) * (random() < 0.5 ? -1 : 1),
      () => random() * 1e308,
      () => null,
      () => ({ area: { gridId: pick(INJECTIONS) }, tags: [pick(INJECTIONS)], department: pick(INJECTIONS) }),
      () => ({ status: ['CLOSED', pick(INJECTIONS)], personId: toGlobalId('Person', '1'), category: pick(INJECTIONS) }),
      () => [pick(INJECTIONS), 1, null],
      () => Buffer.from(`Person:${pick(INJECTIONS)}`).toString('base64url'),
      () => Buffer.from(`c:${pick(INJECTIONS)}`).toString('base64url'),
      () => toGlobalId('Person', String(Math.floor(random() * 5000))),
    ])();
    const mutate = (text: string): string => {
      const chars = [...text];
      const edits = 1 + Math.floor(random() * 4);
      for (let i = 0; i < edits; i++) {
        const at = Math.floor(random() * chars.length);
        const op = random();
        if (op < 0.33) chars.splice(at, 1);
        else if (op < 0.66) chars.splice(at, 0, pick(['{', '}', '(', ')', '$', '"', '...', '@skip', ':', '#', '\\', 'query', '__typename']));
        else chars[at] = pick(['{', '}', '!', '[', ']', '"']);
      }
      return chars.join('');
    };
    const generators: Array<() => unknown> = [
      () => ({ query: mutate(pick(VALID)), variables: { id: hostileValue(), f: hostileValue(), c: hostileValue(), n: hostileValue(), a: hostileValue() } }),
      () => ({ query: pick(VALID), variables: { id: hostileValue(), f: hostileValue(), c: hostileValue(), n: hostileValue(), a: hostileValue() } }),
      () => ({ query: `{ ${'people(first: 1) { edges { node { household { members { '.repeat(2 + Math.floor(random() * 30))} name ${'} } } } }'.repeat(1)} }` }),
      () => ({ query: `{ ${Array.from({ length: 1 + Math.floor(random() * 200) }, (_, i) => `a${i}: people(first: 100) { totalCount }`).join(' ')} }` }),
      () => ({ query: `query { person(id: ${JSON.stringify(String(hostileValue()))}) { name } }` }),
      () => ({ query: `{ people(filter: { department: ${JSON.stringify(pick(INJECTIONS))} }) { totalCount } }` }),
      () => ({ query: `{ ${'__typename '.repeat(Math.floor(random() * 5000))} }` }),
      () => ({ query: pick(VALID), operationName: pick(INJECTIONS) }),
      () => ({ query: hostileValue() }),
      () => hostileValue(),
      () => [{ query: pick(VALID) }, { query: pick(VALID) }],
      () => ({ query: pick(VALID), extensions: { persistedQuery: { sha256Hash: pick(INJECTIONS), version: 1 } } }),
      () => ({ query: 'mutation { __typename }' }),
      () => ({ query: 'subscription { __typename }' }),
      () => ({ query: `{ people(first: ${Math.floor(random() * 1e6)}, after: ${JSON.stringify(pick(INJECTIONS))}) { totalCount } }` }),
    ];
    const statuses = new Map<number, number>();
    const problems: string[] = [];
    for (let i = 0; i < 1200; i++) {
      const payload = pick(generators)();
      const raw = i % 97 === 0 ? `${JSON.stringify(payload)}}` : JSON.stringify(payload) ?? 'null';
      const res = await fetch(fx.t.hub.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await fx.t.token()}`, 'x-purpose': i % 5 === 0 ? percentEncode(pick(INJECTIONS)).slice(0, 300) : 'fuzz' },
        body: raw,
      });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const text = await res.text();
      type Body = { data?: unknown; errors?: unknown[] } | null;
      let body: Body;
      try {
        body = JSON.parse(text) as Body;
      } catch {
        problems.push(`#${i}: not JSON (${res.status}): ${text.slice(0, 120)}`);
        continue;
      }
      if (res.status >= 500 && res.status !== 503) problems.push(`#${i}: status ${res.status}: ${text.slice(0, 200)}`);
      if (!body || (body.data === undefined && !Array.isArray(body.errors))) problems.push(`#${i}: neither data nor errors: ${text.slice(0, 200)}`);
      // Error messages may echo what the client sent; look for internals in what remains.
      const own = INJECTIONS.reduce((rest, s) => rest.split(JSON.stringify(s).slice(1, -1)).join('').split(s).join(''), text);
      if (/\bselect\b.*\bfrom\b|relation "|syntax error at or near|\.ts:\d+|at \w+ \(|node_modules|Internal server error/i.test(own)) {
        problems.push(`#${i}: leaks internals (${res.status}): ${text.slice(0, 300)}`);
      }
    }
    expect(problems).toEqual([]);
    expect([...statuses.keys()].every((s) => [200, 400, 401, 405, 413, 429, 503].includes(s))).toBe(true);
    // The hub is still whole afterwards.
    expect((await fx.t.gql('{ departments { name } }')).data!.departments).toHaveLength(7);
  }, 180_000);
});
