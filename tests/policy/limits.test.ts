import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { describeEachDatabase, WORLD_SETUP_TIMEOUT_MS } from '../support/databases.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import type { Database } from '../../src/store/db.js';
import { sha256 } from '../../src/server/limits.js';

const nested = (depth: number) => `{ people(first: 1) { edges { node { ${'household { head { '.repeat(depth)}name${' } }'.repeat(depth)} } } } }`;

describeEachDatabase('limits against abusive operations', ({ openWorld }) => {
  let db: Database;
  const hubs: TestHub[] = [];
  const hub = async (overrides: Parameters<typeof startTestHub>[1] = {}) => {
    const h = await startTestHub(db, overrides);
    hubs.push(h);
    return h;
  };
  beforeAll(async () => {
    ({ db } = await openWorld());
  }, WORLD_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    for (const h of hubs) await h.stop();
    await db?.close();
  });

  test('depth, aliases, page size and cost are refused with the limit named', async () => {
    const t = await hub({ limits: { maxCost: 5_000 } });
    const deep = await t.gql(nested(6));
    expect(deep.errors?.[0]?.message).toMatch(/depth limit of 12 exceeded/);
    expect(deep.data ?? null).toBeNull();
    const aliases = await t.gql(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: viewer { authenticated }`).join(' ')} }`);
    expect(aliases.errors?.[0]?.message).toMatch(/Aliases limit of 30 exceeded/);
    const page = await t.gql(`{ people(first: 101) { totalCount } }`);
    expect(page.errors?.[0]?.message).toMatch(/first must be between 0 and 100/);
    const costly = await t.gql(`{ people(first: 100) { edges { node { household { members { records { sourceId } } } } } } }`);
    expect(costly.errors?.[0]).toMatchObject({ extensions: { code: 'OPERATION_LIMIT' } });
    expect(costly.errors?.[0]?.message).toMatch(/estimated cost \d+ exceeds 5000/);
    const fine = await t.gql(`{ people(first: 10) { edges { node { household { members { name } } } } } }`);
    expect(fine.errors).toBeUndefined();
  });

  test('one document\'s cost follows the variables that size it, request after request (page size, @include), and not the cursor', async () => {
    const t = await hub({ limits: { maxCost: 5_000 } });
    const query = `query Page($n: Int, $after: String, $records: Boolean!) {
      people(first: $n, after: $after) { edges { node { household { members { name records @include(if: $records) { sourceId } } } } } pageInfo { endCursor } } }`;
    const small = await t.gql(query, { n: 2, records: true });
    expect(small.errors).toBeUndefined();
    // 2 people with their households' records cost about 2,500; 5, about 6,200; 5 without the records, about 700.
    const costly = await t.gql(query, { n: 5, records: true });
    expect(costly.errors?.[0]?.message).toMatch(/estimated cost \d+ exceeds 5000/);
    expect((await t.gql(query, { n: 5, records: false })).errors).toBeUndefined();
    // A later page of the small size, after the refusal: judged by its own size.
    const next = await t.gql(query, { n: 2, after: small.data?.people.pageInfo.endCursor, records: true });
    expect(next.errors).toBeUndefined();
    expect((await t.gql(query, { n: 5, after: small.data?.people.pageInfo.endCursor, records: true })).errors?.[0]?.extensions?.code).toBe('OPERATION_LIMIT');
  });

  test('the same limits hold over WebSocket', async () => {
    const t = await hub({ limits: { maxCost: 5_000 } });
    const client = createClient({ url: t.hub.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${await t.token()}` }, retryAttempts: 0 });
    const run = (query: string) => new Promise<unknown>((resolve) => {
      client.subscribe({ query }, { next: (r) => resolve(r), error: (e) => resolve(e), complete: () => undefined });
    });
    try {
      expect(JSON.stringify(await run(nested(6)))).toMatch(/depth limit of 12 exceeded/);
      expect(JSON.stringify(await run(`{ people(first: 100) { edges { node { household { members { records { sourceId } } } } } } }`))).toMatch(/estimated cost/);
    } finally {
      await client.dispose();
    }
  });

  test('production: no introspection, over HTTP or WebSocket', async () => {
    const t = await hub({ production: true, limits: { introspection: false } });
    const res = await t.gql(`{ __schema { types { name } } }`);
    expect(res.errors?.[0]?.message).toMatch(/introspection/i);
    const client = createClient({ url: t.hub.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${await t.token()}` }, retryAttempts: 0 });
    const viaWs = await new Promise<unknown>((resolve) => client.subscribe({ query: `{ __type(name: "Person") { name } }` }, { next: resolve, error: resolve, complete: () => undefined }));
    await client.dispose();
    expect(JSON.stringify(viaWs)).toMatch(/introspection/i);
  });

  test('persisted-operations mode runs only the allow-list, by hash or by text', async () => {
    const allowed = '{ departments { name } }';
    const t = await hub({ limits: { persistedOperations: new Map([[sha256(allowed), allowed]]) } });
    const byText = await t.gql(allowed);
    expect(byText.data!.departments).toHaveLength(7);
    const byHash = await fetch(t.hub.url, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await t.token()}` },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(allowed) } } }),
    });
    expect(((await byHash.json()) as { data: { departments: unknown[] } }).data.departments).toHaveLength(7);
    const other = await t.gql('{ departments { name displayName } }');
    expect(other.status).toBe(400);
    expect(other.errors?.[0]?.message).toMatch(/only runs persisted operations/);
  });

  test('a token over its rate gets 429 with Retry-After; other tokens are unaffected', async () => {
    const t = await hub({ limits: { ratePerMinute: 5 } });
    const greedy = await t.token({ subject: 'greedy' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await t.gql('{ viewer { authenticated } }', {}, { token: greedy })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const refused = await t.gql('{ viewer { authenticated } }', {}, { token: greedy });
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    expect(refused.errors?.[0]?.message).toMatch(/more than 5 operations a minute/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await t.gql('{ viewer { authenticated } }', {}, { token: await t.token({ subject: 'patient' }) })).status).toBe(200);
  });

  test('a request that runs past the time limit gets TIME_LIMIT_EXCEEDED', async () => {
    const t = await hub({ timeoutMs: 1 });
    const res = await t.gql(`{ people(first: 100) { edges { node { household { members { name } } dwelling { building { name } } } } } }`);
    // Either the response deadline answers first (503), or the data layer refuses to send more SQL.
    const error = res.errors?.find((e) => e.extensions?.code === 'TIME_LIMIT_EXCEEDED');
    expect(error?.message).toMatch(/no answer within 1 ms|ran past its time limit/);
    expect([200, 503]).toContain(res.status);
  });
});
