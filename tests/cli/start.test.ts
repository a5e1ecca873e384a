import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testDatabases } from '../support/databases.js';
import { createTestDatabase, type TestDatabase } from '../../tools/servers/postgres.js';

/**
 * The README's promise, run as an operator would: the built CLI starts the hub, `token` mints a
 * token it accepts, the README's example queries return data, SIGTERM drains and exits 0, and a
 * restart finds the data still there without syncing or taking the cases in twice. Needs `npm run build`
 * (npm test builds first).
 */
const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const run = promisify(execFile);

interface Started { child: ChildProcess; url: string; logs: string[] }

function startCli(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'start'], { env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start:\n${logs.join('')}`)), 180_000);
    child.stdout.on('data', (d: Buffer) => logs.push(d.toString()));
    // The banner comes once the first sync of every department is done.
    child.stderr.on('data', (d: Buffer) => {
      logs.push(d.toString());
      const url = /Liandong is serving GraphQL at (\S+)/.exec(d.toString())?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, logs });
      }
    });
    child.on('exit', (code) => reject(new Error(`hub exited with ${code}:\n${logs.join('')}`)));
  });
}

/** Resolves when a log line matches (logs arrive on stdout as pino JSON). */
function waitForLog({ child, logs }: Started, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  if (pattern.test(logs.join(''))) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no log line matching ${pattern} in ${timeoutMs} ms:\n${logs.join('').slice(-4000)}`)), timeoutMs);
    const check = () => {
      if (!pattern.test(logs.join(''))) return;
      clearTimeout(timer);
      child.stdout?.off('data', check);
      resolve();
    };
    child.stdout?.on('data', check);
  });
}

function stopCli({ child }: Started): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/** The GraphQL blocks of the README, each a named operation. */
function readmeQueries(): string[] {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
  return [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split(/\n(?=\n*#)/).map((q) => q.trim()).filter((q) => /query \w+/.test(q)));
}

async function gql(url: string, token: string, query: string) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'README walkthrough' }, body: JSON.stringify({ query }) });
  return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

/** True when some leaf of the value is a non-empty string or a number: the query found rows. */
function hasRows(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasRows);
  if (value && typeof value === 'object') return Object.values(value).some(hasRows);
  return (typeof value === 'string' && value.length > 0) || (typeof value === 'number' && value > 0);
}

for (const { kind, label, available } of testDatabases()) {
  (available ? describe : describe.skip)(`npx liandong start, as the README says ${label}`, () => {
    let dataDir: string;
    let pg: TestDatabase | undefined;
    let env: NodeJS.ProcessEnv;
    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'liandong-cli-'));
      env = { DATA_DIR: dataDir, LOG_LEVEL: 'info', DATABASE_URL: '', JWT_SECRET: '', CONNECTORS_FILE: '', SIMULATE: '' };
      if (kind === 'postgres') {
        pg = await createTestDatabase(process.env.LIANDONG_TEST_DATABASE_URL!);
        env = { ...env, DATABASE_URL: pg.url };
      }
    });
    afterAll(async () => {
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('serves the README queries with data, drains on SIGTERM, and keeps its data across a restart', async () => {
      const first = await startCli(env);
      let token: string;
      try {
        const out = await run(process.execPath, [CLI, 'token', '--role', 'district-admin'], { env: { ...process.env, ...env } });
        token = out.stdout.trim().split('\n').pop()!;
        const queries = readmeQueries();
        expect(queries.length).toBeGreaterThanOrEqual(5);
        await waitForLog(first, /search index caught up/);
        for (const query of queries) {
          const res = await gql(first.url, token, query);
          expect({ query, errors: res.errors }).toEqual({ query, errors: undefined });
          expect({ query, found: hasRows(res.data) }).toEqual({ query, found: true });
        }
        const metrics = await (await fetch(first.url.replace(/\/graphql$/, '/metrics'))).text();
        expect(metrics).toMatch(/^liandong_search_index_lag_events \d+$/m);
      } finally {
        expect(await stopCli(first)).toBe(0);
      }
      expect(first.logs.join('')).toMatch(/simulated department system started/);
      expect(first.logs.join('')).toMatch(/scheduled sync done/);
      expect(first.logs.join('')).not.toContain(token);

      // A restart finds the data and its cursors: the first sync moves nothing.
      const second = await startCli(env);
      try {
        expect(second.logs.join('')).not.toMatch(/generating the synthetic district/);
        // The logs reach stdout a moment after the banner reaches stderr.
        const syncsDone = () => [...second.logs.join('').matchAll(/"connector":"(\w+)"[^\n]*"changed":(\d+)[^\n]*scheduled sync (?:done|failed)/g)]
          .map((m) => [m[1], Number(m[2])] as const);
        for (let i = 0; i < 50 && syncsDone().length < 7; i++) await new Promise((r) => setTimeout(r, 100));
        const syncs = syncsDone();
        expect({ syncs: syncs.length, failed: second.logs.join('').match(/.*scheduled sync failed.*/g) ?? [] }).toEqual({ syncs: 7, failed: [] });
        // The police push live 110 calls meanwhile: a call read before its webhook landed counts as a change.
        expect(syncs.filter(([name, n]) => name !== 'police' && n !== 0)).toEqual([]);
        const res = await gql(second.url, token, '{ people(first: 1) { totalCount } }');
        expect((res.data as { people: { totalCount: number } }).people.totalCount).toBeGreaterThan(9000);
      } finally {
        expect(await stopCli(second)).toBe(0);
      }
    }, 300_000); // two starts; the first syncs the small district and takes its ~480 cases in through the case commands (a minute or more on a busy machine)

    test('a wrong setting stops the start with a message naming it', async () => {
      await expect(run(process.execPath, [CLI, 'start'], { env: { ...process.env, ...env, PORT: 'eighty' } })).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/Invalid configuration:\n\s+- PORT: /),
      });
    });
  });
}
