/**
 * The console as the hub serves it (dist/web, built by `npm run build`): the app and GraphiQL
 * with their cache headers and Content-Security-Policy, the sign-in endpoints (the development
 * role picker only outside production), the first-load budget, and the dead-letter API the
 * departments page uses.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTestDatabase } from '../support/databases.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { defaultConsoleDir } from '../../src/server/console.js';
import { createIngestStore } from '../../src/store/ingest/index.js';
import { CONNECTORS } from '../../src/connectors/registry.js';
import { replayDeadLetters } from '../../src/sync/index.js';
import type { Database } from '../../src/store/db.js';
// @ts-expect-error: a plain ES module script shared with `npm run web:size`
import { FIRST_LOAD_BUDGET_BYTES, firstLoad } from '../../scripts/web-size.mjs';

const dir = defaultConsoleDir();
if (!existsSync(join(dir, 'index.html'))) throw new Error(`${dir}/index.html is missing: run \`npm run build\` first (npm test does)`);

describe('the console on the hub', () => {
  let db: Database;
  let t: TestHub;
  let prod: TestHub;
  const base = () => t.hub.url.replace(/\/graphql$/, '');

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    const store = createIngestStore(db);
    const population = CONNECTORS.find((c) => c.spec.name === 'population')!;
    t = await startTestHub(db, { console: { devSignIn: true }, replayDeadLetters: (name) => replayDeadLetters(store, { connector: CONNECTORS.find((c) => c.spec.name === name)!, config: {} }) });
    prod = await startTestHub(db, { production: true, console: { devSignIn: true } });
    const department = await store.ensureDepartment(population.spec);
    const at = new Date('2026-11-30T02:00:00Z');
    await db.knex('dead_letter').insert({
      department_id: department.id, stream: 'residents', source_id: 'RY-broken-1', stage: 'map', reason: 'sfzh: not a resident ID number',
      raw: '{"xm":"某某","sfzh":"broken"}', raw_hash: 'h1', attempts: 2, first_seen_at: at, last_seen_at: at,
    });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await prod?.stop();
    await db?.close();
  });

  test('/ is the app: no-cache HTML with a CSP that allows only this origin', async () => {
    const res = await fetch(`${base()}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain('<div id="root">');
    expect(html).not.toMatch(/https?:\/\//); // nothing from the internet
    // A console route is the same page; a missing file is a 404, not the app.
    const route = await fetch(`${base()}/person/UGVyc29uOjE`);
    expect([route.status, await route.text()]).toEqual([200, html]);
    expect((await fetch(`${base()}/assets/missing-abc123.js`)).status).toBe(404);
  });

  test('hashed assets are immutable and served gzipped; GraphiQL is bundled at /graphiql', async () => {
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    const src = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const res = await fetch(`${base()}${src}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    const graphiql = await fetch(`${base()}/graphiql`);
    expect(graphiql.status).toBe(200);
    expect(graphiql.headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = await graphiql.text();
    expect(page).toContain('id="graphiql"');
    expect(page).not.toMatch(/https?:\/\//);
  });

  test('first-load JavaScript stays within the 300 KB gzipped budget', () => {
    const size = firstLoad(dir) as { gzip: number; files: unknown[] };
    expect(size.files.length).toBeGreaterThan(0);
    expect(size.gzip).toBeGreaterThan(20 * 1024); // React and urql at least: the measure reads real files
    expect(size.gzip).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_BYTES);
  });

  test('the development role picker mints tokens the hub accepts, outside production only', async () => {
    const config = await (await fetch(`${base()}/console/config.json`)).json();
    expect(config).toEqual({ devSignIn: true, oidc: null, tileUrl: null });
    const res = await fetch(`${base()}/console/dev-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'grid-worker', gridId: '1', name: '网格员甲' }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { token } = (await res.json()) as { token: string };
    const viewer = await t.gql('{ viewer { authenticated role name } }', {}, token);
    expect(viewer.data).toEqual({ viewer: { authenticated: true, role: 'GRID_WORKER', name: '网格员甲' } });
    const bad = await fetch(`${base()}/console/dev-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'root' }) });
    expect(bad.status).toBe(400);

    const prodBase = prod.hub.url.replace(/\/graphql$/, '');
    expect(await (await fetch(`${prodBase}/console/config.json`)).json()).toEqual({ devSignIn: false, oidc: null, tileUrl: null });
    const refused = await fetch(`${prodBase}/console/dev-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'district-admin' }) });
    expect(refused.status).toBe(404);
    expect((await fetch(`${prodBase}/console/dev-choices`)).status).toBe(404);
  });

  test('dead letters: reasons without payloads for integrators and administrators, replay through the connector', async () => {
    const query = '{ departments { name connector { deadLetterCount } deadLetters { stream sourceId stage reason attempts } } }';
    const integrator = await t.gql(query, {}, await t.token({ role: 'integrator' }));
    expect(integrator.errors).toBeUndefined();
    const population = integrator.data!.departments.find((d: any) => d.name === 'population');
    expect(population.deadLetters).toEqual([{ stream: 'residents', sourceId: 'RY-broken-1', stage: 'map', reason: 'sfzh: not a resident ID number', attempts: 2 }]);

    const grid = await t.gql(query, {}, await t.token({ role: 'grid-worker', gridIds: ['1'] }));
    expect(grid.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const replay = 'mutation($d: String!) { replayDeadLetters(department: $d) { department { name } replayed stored stillFailing } }';
    expect((await t.gql(replay, { d: 'population' }, await t.token({ role: 'street-operator', streetIds: ['1'] }))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const done = await t.gql(replay, { d: 'population' });
    expect(done.errors).toBeUndefined();
    // The payload is still not a valid resident record: it is tried again and stays.
    expect(done.data!.replayDeadLetters).toEqual({ department: { name: 'population' }, replayed: 1, stored: 0, stillFailing: 1 });
    const unavailable = await prod.gql(replay, { d: 'population' }, await prod.token());
    expect(unavailable.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
  });
});
