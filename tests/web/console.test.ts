/**
 * The web console end to end [browser]: Debian's Chromium driven by playwright-core against a hub
 * on the `tiny` world, synced from the seven simulated departments through their connectors.
 * Every page is watched for console errors and failed requests; the last test asserts none.
 * With CONSOLE_SCREENSHOTS=<dir> (npm run console:screenshots) each page is also saved there.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK } from 'jose';
import { tmpdir } from 'node:os';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { pinyin } from 'pinyin-pro';
import { openTestDatabase } from '../support/databases.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { removeTestWorlds, testWorld } from '../support/world.js';
import { createLogger } from '../../src/observability/logger.js';
import { createIngestStore } from '../../src/store/ingest/index.js';
import { startSimulators, type RunningSimulator } from '../../src/simulators/index.js';
import { configuredConnectors, syncAll } from '../../src/sync/index.js';
import { readGridRegistry } from '../../src/world/index.js';
import { searchEngine } from '../../src/search/service.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';
import { remoteJwks } from '../../src/auth/tokens.js';
import type { Database } from '../../src/store/db.js';
import type { SearchBackend } from '../../src/search/types.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const SHOTS = process.env.CONSOLE_SCREENSHOTS;
const log = createLogger('silent');
/** A browser on a machine shared with the rest of the suite: generous time per test (the 2 s bound inside stays). */
const SLOW = 120_000;

/**
 * A minimal OpenID provider for the console's production sign-in: discovery, an authorization
 * endpoint that signs the user straight in, a token endpoint that checks the PKCE verifier, and
 * the JWKS the hub verifies the access token with.
 */
async function startIdentityProvider(): Promise<{ issuer: string; server: Server }> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test', alg: 'RS256', use: 'sig' };
  const codes = new Map<string, string>(); // code -> code_challenge
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'access-control-allow-headers': '*' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') return json(204, {});
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'] });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const code = randomBytes(8).toString('hex');
      codes.set(code, url.searchParams.get('code_challenge') ?? '');
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const challenge = codes.get(form.get('code') ?? '');
        const verified = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
        if (!challenge || challenge !== verified) return json(400, { error: 'invalid_grant' });
        codes.delete(form.get('code')!);
        void new SignJWT({ role: 'district-admin', name: '统一认证用户', grids: [], streets: [] })
          .setProtectedHeader({ alg: 'RS256', kid: 'test' }).setSubject('oidc-user').setIssuer(issuer).setIssuedAt().setExpirationTime('10m')
          .sign(privateKey)
          .then((token) => json(200, { access_token: token, token_type: 'Bearer', expires_in: 600 }));
      });
      return undefined;
    }
    return json(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { issuer, server };
}

(available ? describe : describe.skip)('the web console in Chromium [browser]', () => {

  let db: Database;
  let t: TestHub;
  let sims: RunningSimulator[] = [];
  let searchBackend: SearchBackend;
  let context: BrowserContext;
  let profile: string;
  const problems: string[] = [];
  const base = () => t.hub.url.replace(/\/graphql$/, '');

  /** A tab watched for console errors, page errors and failed or refused requests. */
  async function newPage(): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error on ${page.url()}: ${m.text()}`); });
    page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
    page.on('requestfailed', (r) => {
      // Navigating away aborts the page's open requests (and its WebSocket); that is not a failure.
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
    return page;
  }

  async function signIn(page: Page, role: string, extra: { grid?: string; department?: string } = {}): Promise<void> {
    await page.goto(`${base()}/`);
    await page.selectOption('select[name=role]', role);
    if (extra.grid) await page.selectOption('select[name=grid]', extra.grid);
    if (extra.department) await page.selectOption('select[name=department]', extra.department);
    await page.click('form[aria-label] button[type=submit]');
    await page.waitForSelector('[data-testid=role]');
  }

  async function declarePurpose(page: Page, purpose: string): Promise<void> {
    await page.waitForSelector('[role=dialog] input[name=purpose]');
    await page.fill('[role=dialog] input[name=purpose]', purpose);
    await page.click('[role=dialog] button[type=submit]');
    await page.waitForSelector('[role=dialog]', { state: 'detached' });
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.waitForTimeout(300); // let the last data settle on the page
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    const world = await testWorld('tiny');
    db = await openTestDatabase('pglite');
    const store = createIngestStore(db);
    await store.importGridRegistry(await readGridRegistry(world));
    sims = await startSimulators({ dataDir: world, host: '127.0.0.1', seed: 3, incidentIntervalMs: 0 });
    await syncAll(store, configuredConnectors(Object.fromEntries(sims.map((s) => [s.department, s.connectorConfig]))), { log, backoffMs: 5, maxBackoffMs: 50 });
    const search = await searchEngine(db.knex, undefined);
    await search.indexer.prepare();
    searchBackend = search.backend;
    t = await startTestHub(db, { search: search.backend, console: { devSignIn: true } });
    profile = mkdtempSync(join(tmpdir(), 'liandong-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 150_000);

  afterAll(async () => {
    await context?.close();
    await t?.stop();
    await Promise.allSettled(sims.map((s) => s.stop()));
    await db?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    removeTestWorlds();
  });

  /** A person three or more departments hold records on, in a grid, with a name no one else has. */
  async function wellKnownPerson(): Promise<{ id: string; name: string; gridId: string }> {
    const rows = await db.knex('source_record as s').join('person as p', 'p.id', 's.entity_id')
      .where('s.entity_type', 'person').whereNotNull('p.grid_id')
      .whereRaw('(select count(*) from person q where q.name = p.name) = 1')
      .groupBy('p.id', 'p.name', 'p.grid_id').havingRaw('count(distinct s.department_id) >= 3')
      .select('p.id', 'p.name', 'p.grid_id').orderBy('p.id').limit(1);
    const row = rows[0];
    if (!row) throw new Error('the tiny world has no person with records from three departments');
    return { id: String(row.id), name: String(row.name), gridId: String(row.grid_id) };
  }

  test('search by pinyin opens the person with records from three departments and their provenance; the purpose typed is the one audited', async () => {
    const person = await wellKnownPerson();
    const page = await newPage();
    await signIn(page, 'district-admin');
    await shot(page, 'purpose');
    const purpose = `入户走访 E2E-${Date.now()}`;
    await declarePurpose(page, purpose);
    const spelled = pinyin(person.name, { toneType: 'none', type: 'array' }).join('');
    await page.fill('input[name=q]', spelled);
    const hit = page.locator(`.hit[data-id="${toGlobalId('Person', person.id)}"]`);
    await hit.waitFor();
    expect(await hit.locator('.reasons').innerText()).toContain('拼音');
    await shot(page, 'search');
    // Keyboard: move the selection onto the hit and open it with Enter.
    const index = Number(await hit.getAttribute('data-index'));
    for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=provenance]');
    expect(await page.locator('h1').innerText()).toBe(person.name);
    const departments = await page.locator('.record').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-department')))]);
    expect(departments.length).toBeGreaterThanOrEqual(3);
    const provenance = await page.locator('[data-testid=provenance]').allInnerTexts();
    const sources = await db.knex('source_record').where({ entity_type: 'person', entity_id: person.id }).select('source_id');
    for (const { source_id } of sources) expect(provenance.some((p) => p.includes(String(source_id)))).toBe(true);
    expect(provenance.every((p) => /来源：\w+ · 数据流 \w+ · 源记录号 \S+ · 抓取时间 \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}/.test(p))).toBe(true);
    // What the records state reads in the console's language: labels and enum labels, not the
    // canonical field names (residenceType) or the stored values (floating).
    const labels = await page.locator('.record .facts dt').allInnerTexts();
    expect(labels).toContain('姓名');
    expect(labels.filter((l) => /^[a-z]+[A-Z]?[A-Za-z]*$/.test(l))).toEqual([]);
    const values = await page.locator('.record .facts dd').allInnerTexts();
    expect(values.filter((v) => /^(male|female|hukou|floating|head|spouse|child)$/.test(v))).toEqual([]);
    // Who states each disputed value, by the names people read (公安局人口库), not machine names.
    const statedBy = await page.locator('[data-testid=disagreements] td .muted').allInnerTexts();
    expect(statedBy.length).toBeGreaterThan(0);
    expect(statedBy.filter((s) => /\b(population|police|court|housing|fire|social|enterprise)\b/.test(s))).toEqual([]);
    await shot(page, 'person');

    // The audit trail holds the purpose as typed, for this person, on the administrator's own page too.
    await t.hub.audit.flush();
    const audited = await db.knex('audit_log').whereRaw('person_ids @> array[?::bigint]', [person.id]).pluck('purpose');
    expect(audited).toContain(purpose);
    await page.reload();
    await page.waitForSelector('[data-testid=audit] .audit-purpose');
    expect(await page.locator('[data-testid=audit] .audit-purpose').allInnerTexts()).toContain(purpose);
    // Which fields each read selected, as labels too (姓名、身份证号), never the schema's names.
    const fields = await page.locator('[data-testid=audit] td.small').allInnerTexts();
    expect(fields.some((f) => f.includes('姓名'))).toBe(true);
    expect(fields.filter((f) => /[A-Za-z]/.test(f))).toEqual([]);
    await page.close();
  }, SLOW);

  test('a grid worker sees masked ID numbers, gets a clear refusal for a person outside the grid, reports from patrol and escalates to the street; their cockpit is their grid', async () => {
    const inside = await db.knex('person').whereNotNull('id_number').where('grid_id', '1').orderBy('id').first('id', 'name');
    const outside = await db.knex('person').whereNot('grid_id', '1').orderBy('id').first('id');
    const page = await newPage();
    await signIn(page, 'grid-worker', { grid: '1' });
    await declarePurpose(page, '网格巡查');
    await page.fill('input[name=q]', String(inside.name));
    const hit = page.locator(`.hit[data-id="${toGlobalId('Person', String(inside.id))}"]`);
    await hit.waitFor();
    expect(await hit.innerText()).toMatch(/\d{6}\*{8}[\dX]{4}/);
    await hit.click();
    await page.waitForSelector('[data-testid=id-number]');
    expect(await page.locator('[data-testid=id-number]').innerText()).toMatch(/^\d{6}\*{8}[\dX]{4}$/);

    await page.goto(`${base()}/person/${encodeURIComponent(toGlobalId('Person', String(outside.id)))}`);
    const refusal = page.locator('[role=alert]');
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain('此人不在您负责的网格内');
    expect(await page.locator('[data-testid=id-number]').count()).toBe(0);
    await shot(page, 'refusal');
    // Another grid's page says why its people and cases are not shown; their own does not.
    await page.goto(`${base()}/grid/${encodeURIComponent(toGlobalId('Grid', '2'))}`);
    expect(await page.locator('[data-testid=grid-not-mine]').innerText()).toContain('这不是您负责的网格');
    await page.goto(`${base()}/grid/${encodeURIComponent(toGlobalId('Grid', '1'))}`);
    await page.locator('h1').waitFor();
    expect(await page.locator('[data-testid=grid-not-mine]').count()).toBe(0);

    // From patrol: the grid worker reports what they found, then escalates it to the street.
    await page.goto(`${base()}/cases`);
    const title = `E2E 巡查发现楼道堆物 ${Date.now() % 100000}`;
    await page.fill('[data-testid=report-form] input[name=title]', title);
    await page.fill('[data-testid=report-form] input[name=photo]', 'patrol/e2e-stairwell.jpg');
    await page.click('[data-testid=report-form] button[type=submit]');
    await page.fill('[data-testid=escalate-form] input[name=note]', '网格内协调不了');
    await page.click('[data-testid=escalate-form] button');
    await page.locator('[data-testid=case-timeline] [data-type=ESCALATED]', { hasText: '网格内协调不了' }).waitFor();
    expect(await page.locator('[data-testid=escalate-form]').count()).toBe(0);
    // Their cockpit draws their own grid, with the case they escalated.
    await page.goto(`${base()}/cockpit`);
    await page.locator('[data-testid=escalated-list] li', { hasText: title }).waitFor();
    await page.waitForSelector('[data-testid=map] path');
    expect(await page.locator('[data-testid=map] path').count()).toBe(1);
    await page.close();
  }, SLOW);

  test('a case reported on one page reaches another page\'s cockpit within 2 s, without a reload; dispatch → accept → complete → close shows on both', async () => {
    const cockpit = await newPage();
    await signIn(cockpit, 'district-admin');
    await cockpit.goto(`${base()}/cockpit`);
    await cockpit.locator('[data-testid=live-badge]', { hasText: '实时' }).waitFor();
    await cockpit.waitForSelector('[data-testid=count-open]:not(:text("—"))');
    const openBefore = Number(await cockpit.locator('[data-testid=count-open]').innerText());
    let reloads = 0;
    cockpit.on('framenavigated', (f) => { if (f === cockpit.mainFrame()) reloads++; });

    const operator = await newPage();
    await signIn(operator, 'district-admin');
    await operator.goto(`${base()}/cases`);
    const title = `E2E 夜间施工噪音 ${Date.now() % 100000}`;
    await operator.fill('[data-testid=report-form] input[name=title]', title);
    await operator.selectOption('[data-testid=report-form] select[name=category]', 'neighbour.noise');
    await operator.fill('[data-testid=report-form] input[name=address]', '良渚街道金家渡社区');
    const reported = operator.waitForResponse((r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('ConsoleReportCase'));
    await operator.click('[data-testid=report-form] button[type=submit]');
    const response = await reported;
    const since = Date.now();
    const number = String((await response.json()).data.reportCase.case.number);
    await cockpit.locator('[data-testid=feed] li', { hasText: title }).waitFor({ timeout: 2000 });
    const latency = Date.now() - since;
    if (process.env.CONSOLE_TIMINGS) process.stderr.write(`report → cockpit feed: ${latency} ms\n`);
    expect(latency).toBeLessThan(2000);
    await cockpit.locator('[data-testid=count-open]', { hasText: String(openBefore + 1) }).waitFor({ timeout: 2000 });

    await declarePurpose(operator, `案件办理 ${number}`);
    await operator.waitForSelector('[data-testid=dispatch-form]');
    await operator.selectOption('select[name=target-environment]', 'LEAD');
    await operator.selectOption('select[name=target-urban_management]', 'COOPERATING');
    await operator.click('[data-testid=dispatch-form] button');
    await operator.locator('[data-testid=case-status]', { hasText: '已派单' }).waitFor();
    const caseUrl = operator.url();
    await shot(operator, 'case');

    const staff = await newPage();
    await signIn(staff, 'department-staff', { department: 'environment' });
    await staff.goto(`${base()}/cases`);
    await staff.locator('[data-testid=case-list] tr', { hasText: number }).waitFor();
    await shot(staff, 'queue');
    await staff.goto(caseUrl);
    await declarePurpose(staff, `案件办理 ${number}`);
    await staff.click('[data-testid=own-dispatch] button:text("签收")');
    await staff.click('[data-testid=own-dispatch] button:text("到场处置")');
    await staff.fill('[data-testid=own-dispatch] input[name=result]', '已责令施工方停止夜间施工');
    await staff.click('[data-testid=own-dispatch] button:text("办结")');
    // The operator's case page follows the department's work live.
    await operator.locator('[data-testid=dispatches] tr[data-department=environment] .dispatch-status', { hasText: '已办结' }).waitFor();

    await operator.selectOption('select[name=satisfaction]', 'SATISFIED');
    await operator.click('button:text("回访")');
    await operator.locator('[data-testid=case-timeline] [data-type=FEEDBACK]').waitFor();
    await operator.click('button:text("结案")');
    await operator.locator('[data-testid=case-status]', { hasText: '已结案' }).waitFor();

    // Every step reached the cockpit's feed, and its counters, without a reload.
    for (const type of ['DISPATCHED', 'ACCEPTED', 'STARTED', 'COMPLETED', 'FEEDBACK', 'CLOSED']) {
      await cockpit.locator(`[data-testid=feed] li[data-type=${type}]`, { hasText: number }).first().waitFor({ timeout: 3000 });
    }
    await cockpit.locator('[data-testid=count-open]', { hasText: String(openBefore) }).waitFor({ timeout: 3000 });
    expect(reloads).toBe(0);
    await shot(cockpit, 'cockpit');
    for (const p of [cockpit, operator, staff]) await p.close();
  }, SLOW);

  test('the cockpit resumes its feed after a dropped connection, with the events it missed', async () => {
    // Every WebSocket the hub accepts, so the test can drop them; while `blocked`, reconnects are refused.
    const sockets = new Set<Duplex>();
    let blocked = false;
    const onUpgrade = (_req: unknown, socket: Duplex) => {
      if (blocked) socket.destroy();
      else sockets.add(socket);
    };
    t.hub.httpServer.prependListener('upgrade', onUpgrade);
    try {
      const cockpit = await newPage();
      await signIn(cockpit, 'district-admin');
      await cockpit.goto(`${base()}/cockpit`);
      await cockpit.locator('[data-testid=live-badge]', { hasText: '实时' }).waitFor();
      await cockpit.waitForSelector('[data-testid=count-open]:not(:text("—"))');

      blocked = true;
      for (const socket of sockets) socket.destroy();
      await cockpit.locator('[data-testid=live-badge]', { hasText: '重连中' }).waitFor();
      const title = `E2E 断线期间登记 ${Date.now() % 100000}`;
      const reported = await t.gql(
        'mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { number } } }',
        { input: { channel: 'HOTLINE_12345', title, category: 'neighbour.noise', address: '良渚街道金家渡社区' } },
      );
      expect(reported.errors).toBeUndefined();
      await cockpit.waitForTimeout(300);
      expect(await cockpit.locator('[data-testid=feed] li', { hasText: title }).count()).toBe(0);
      blocked = false;
      await cockpit.locator('[data-testid=live-badge]', { hasText: '实时' }).waitFor({ timeout: 10_000 });
      // Replayed from the cursor the page last saw, not merely live from the reconnect on.
      await cockpit.locator('[data-testid=feed] li', { hasText: title }).waitFor({ timeout: 3000 });
      expect(await cockpit.locator('[data-testid=feed] li', { hasText: title }).count()).toBe(1);
      await cockpit.close();
    } finally {
      t.hub.httpServer.removeListener('upgrade', onUpgrade);
    }
  }, SLOW);

  test('in production there is no role picker; OIDC code + PKCE at the identity provider signs in', async () => {
    const idp = await startIdentityProvider();
    const hub = await startTestHub(db, { production: true, search: searchBackend, tokens: remoteJwks(`${idp.issuer}/jwks`, idp.issuer), console: { devSignIn: true, oidc: { issuer: idp.issuer, clientId: 'liandong-console', scope: 'openid profile' } } });
    try {
      const page = await newPage();
      await page.goto(hub.hub.url.replace(/\/graphql$/, '/'));
      const button = page.locator('button', { hasText: '通过统一身份认证登录' });
      await button.waitFor();
      expect(await page.locator('select[name=role]').count()).toBe(0);
      await button.click();
      // Back from the provider on /auth/callback, the code traded for a token the hub accepts.
      await page.locator('[data-testid=role]', { hasText: '区级管理员 · 统一认证用户' }).waitFor();
      await declarePurpose(page, '入户走访');
      await page.fill('input[name=q]', 'wang');
      await page.waitForSelector('.hit');
      expect(new URL(page.url()).pathname).toBe('/');
      await page.close();
    } finally {
      await hub.stop();
      // The browser keeps its connections to the provider alive; close() alone would wait on them.
      idp.server.closeAllConnections();
      await new Promise((resolve) => idp.server.close(resolve));
    }
  }, SLOW);

  test('building, grid and departments pages, GraphiQL, the dashboard role\'s aggregates-only cockpit, the integrator\'s landing page, a page that cannot load, English, and no console errors or failed requests anywhere', async () => {
    const page = await newPage();
    await signIn(page, 'district-admin');
    await declarePurpose(page, '入户走访');
    const building = await db.knex('building as b').join('dwelling as d', 'd.building_id', 'b.id').groupBy('b.id').orderByRaw('count(*) desc').first('b.id');
    await page.goto(`${base()}/building/${encodeURIComponent(toGlobalId('Building', String(building.id)))}`);
    await page.waitForSelector('[data-testid=dwelling-table] .room');
    expect(await page.locator('[data-testid=dwelling-table] .resident').count()).toBeGreaterThan(0);
    await shot(page, 'building');
    await page.goto(`${base()}/grid/${encodeURIComponent(toGlobalId('Grid', '1'))}`);
    await page.waitForSelector('[data-testid=map] path');
    expect(await page.locator('[data-testid=map] circle').count()).toBeGreaterThan(0);
    const residents = await db.knex('person').where('grid_id', '1').count({ n: '*' });
    expect(await page.locator('[data-testid=count-people]').innerText()).toBe(String(residents[0]!.n));
    await shot(page, 'grid');
    await page.goto(`${base()}/departments`);
    await page.waitForSelector('.connector');
    const shown = await page.locator('.connector').evaluateAll((els) => els.map((e) => e.getAttribute('data-department')));
    expect(shown).toEqual(expect.arrayContaining(['population', 'housing', 'enterprise', 'police', 'court', 'fire', 'social']));
    await shot(page, 'departments');
    await page.goto(`${base()}/graphiql`);
    await page.waitForSelector('.graphiql-container');
    await shot(page, 'graphiql');
    // The dashboard role lands on the cockpit, sees its counters and the map, and nothing row by row.
    const screen = await newPage();
    await signIn(screen, 'dashboard');
    await screen.waitForSelector('[data-testid=count-open]:not(:text("—"))');
    await screen.waitForSelector('[data-testid=map] path');
    // Its map is coloured from the dashboard's per-grid counters: some grid has open cases (orange) or overdue ones (red).
    await screen.waitForSelector('[data-testid=map] path[fill^="rgba(249, 115, 22"], [data-testid=map] path[fill^="rgba(220, 38, 38"]');
    expect(await screen.locator('.note').innerText()).toContain('您的角色只能查看汇总数据');
    expect(await screen.locator('[data-testid=feed]').count()).toBe(0);
    expect(await screen.locator('header nav a').allInnerTexts()).toEqual(['数字驾驶舱', 'GraphiQL']);
    await screen.close();
    // An integrator lands on the connectors, the one page that is theirs.
    const integrator = await newPage();
    await signIn(integrator, 'integrator');
    await integrator.waitForSelector('.connector');
    expect(await integrator.locator('header nav a').allInnerTexts()).toEqual(['联动单位', 'GraphiQL']);
    await integrator.close();
    // A page whose code cannot be loaded (a chunk gone after an upgrade) is a message, not a blank
    // page. This tab's failed request is the point, so it is not one of the watched ones.
    const broken = await context.newPage();
    await broken.route(/\/assets\/Departments-[\w-]+\.js$/, (route) => route.abort());
    await signIn(broken, 'integrator');
    await broken.locator('[role=alert][data-code=PAGE]', { hasText: '页面未能显示' }).waitFor();
    expect(await broken.locator('main button', { hasText: '重新加载' }).count()).toBe(1);
    await broken.close();

    await page.goto(`${base()}/`);
    await page.click('header button:text("English")');
    await page.waitForSelector('header nav a:text("Search")');
    await page.reload();
    await page.waitForSelector('header nav a:text("Search")');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.close();
    expect(problems).toEqual([]);
  }, SLOW);
});
