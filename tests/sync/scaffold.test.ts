/**
 * The integrator's path, end to end: scaffold a connector, register it, sync it from a source
 * speaking the template's protocol, and see its records on people through GraphQL.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeEachDatabase } from '../support/databases.js';
import { worldHubFixture } from '../support/hub.js';
import { register, scaffoldConnector } from '../../src/cli/scaffold.js';
import { createLogger } from '../../src/observability/logger.js';
import { createIngestStore } from '../../src/store/ingest/index.js';
import { configuredConnectors, syncConnector } from '../../src/sync/index.js';
import type { Connector } from '../../src/connectors/sdk/index.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';

const ROOT = process.cwd();
const NAME = `scaffold_test_${process.pid}`;

/** The template's protocol: cursor pages over records, newest changes after `updatedSince`. */
function startSource(records: Array<Record<string, unknown>>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const since = url.searchParams.get('updatedSince');
    const start = Number(url.searchParams.get('cursor') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 100);
    const matching = records.filter((r) => since === null || String(r.updatedAt) > since);
    const page = matching.slice(start, start + limit);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: page, nextCursor: start + limit < matching.length ? String(start + limit) : null }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` })));
}

describeEachDatabase('a scaffolded connector', ({ openWorld }) => {
  const fx = worldHubFixture({ openWorld });
  const dir = join(ROOT, 'src', 'connectors', NAME);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('is written, registers with one line, syncs, and its records show on people', async () => {
    const written = scaffoldConnector({ name: NAME, displayName: '教育局', root: ROOT, register: false });
    expect(written.some((f) => f.endsWith(`${NAME}/index.ts`))).toBe(true);
    expect(existsSync(join(dir, 'README.md'))).toBe(true);

    // Registration is one import and one list entry in the registry.
    const registry = readFileSync(join(ROOT, 'src', 'connectors', 'registry.ts'), 'utf8');
    const registered = register(registry, NAME);
    const added = registered.split('\n').filter((l) => !registry.split('\n').includes(l));
    expect(added).toEqual([`import ${NAME.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())} from './${NAME}/index.js';`, `  anyConnector(${NAME.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())}),`]);

    const { default: connector } = (await import(pathToFileURL(join(dir, 'index.ts')).href)) as { default: Connector<unknown> };
    const people = await fx.db.knex('person').whereNotNull('id_number').orderBy('id').limit(30).select('id', 'id_number', 'name');
    const records = people.map((p: any, i: number) => ({
      id: `XJ${String(i).padStart(6, '0')}`, updatedAt: `2026-11-0${1 + (i % 9)}T08:00:00+08:00`, idNumber: p.id_number, name: p.name, phone: null, address: null,
    }));
    records.push({ id: 'XJBAD', updatedAt: '2026-11-09T08:00:00+08:00', idNumber: '330106', name: '', phone: null, address: null });
    const source = await startSource(records);
    try {
      const [configured] = configuredConnectors({ [NAME]: { baseUrl: source.url, pageSize: 7 } }, [NAME], [connector]);
      const store = createIngestStore(fx.db);
      const summary = await syncConnector(store, configured!, { log: createLogger('silent') });
      expect(summary.ok).toBe(true);
      expect(summary.streams[0]).toMatchObject({ read: 31, stored: 30, deadLettered: 1 });
      const letters = await store.deadLetters({ department: NAME });
      expect(letters.map((l) => l.reason)).toEqual(['name is missing']);

      const again = await syncConnector(store, configured!, { log: createLogger('silent') });
      expect(again.streams[0]!.read).toBe(0);

      const res = await fx.t.gql(`query($id: ID!) { person(id: $id) { name records { department { name displayName } sourceId linked } } }`,
        { id: toGlobalId('Person', String(people[0].id)) });
      expect(res.errors).toBeUndefined();
      const mine = res.data!.person.records.filter((r: any) => r.department.name === NAME);
      expect(mine).toEqual([{ department: { name: NAME, displayName: '教育局' }, sourceId: 'XJ000000', linked: true }]);
    } finally {
      source.server.close();
    }
  });
});
