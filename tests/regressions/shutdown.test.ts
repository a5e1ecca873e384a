/**
 * SIGTERM as an orchestrator sends it (issue 13): the built CLI, run as in production (not
 * NODE_ENV=test, where Apollo installs no signal handlers), answers person reads, and on
 * SIGTERM drains, writes every queued audit row and exits 0. Needs `npm run build`.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openDatabase, type Database } from '../../src/store/db.js';
import { testDatabases } from '../support/databases.js';
import { createTestDatabase, type TestDatabase } from '../../tools/servers/postgres.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const run = promisify(execFile);
// One variant is enough for a signal: the real server when there is one, else PGlite.
const target = testDatabases().find((d) => d.kind === 'postgres' && d.available) ?? testDatabases()[0]!;

describe(`SIGTERM drains and writes the audit trail ${target.label}`, () => {
  let dataDir: string;
  let pg: TestDatabase | undefined;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'liandong-sigterm-'));
    env = {
      // The tiny district: a start as any other, synced from the simulated departments, in seconds.
      ...process.env, NODE_ENV: 'development', DATA_DIR: dataDir, WORLD_SCALE: 'tiny', LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1',
      DATABASE_URL: '', JWT_SECRET: '', CONNECTORS_FILE: '', SIMULATE: '',
    };
    if (target.kind === 'postgres') {
      pg = await createTestDatabase(process.env.LIANDONG_TEST_DATABASE_URL!);
      env.DATABASE_URL = pg.url;
    }
  });
  afterAll(async () => {
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('10 person reads, then SIGTERM at once: exit 0 and 10 audit rows', async () => {
    const child = spawn(process.execPath, [CLI, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: string[] = [];
    child.stdout.on('data', (d: Buffer) => logs.push(d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`hub did not start:\n${logs.join('').slice(-3000)}`)), 170_000);
        child.stderr.on('data', (d: Buffer) => {
          logs.push(d.toString());
          const m = /Liandong is serving GraphQL at (\S+)/.exec(d.toString());
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        void exited.then((code) => reject(new Error(`hub exited with ${code}:\n${logs.join('').slice(-3000)}`)));
      });
      const token = (await run(process.execPath, [CLI, 'token', '--role', 'district-admin', '--subject', 'sigterm-test'], { env })).stdout.trim().split('\n').pop()!;
      for (let id = 1; id <= 10; id++) {
        const res = await fetch(url, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'shutdown test' },
          body: JSON.stringify({ query: `{ node(id: "${Buffer.from(`Person:${id}`).toString('base64')}") { ... on Person { name idNumber } } }` }),
        });
        const body = (await res.json()) as { data?: { node: { name: string } | null } };
        // Some departments' people have no ID number; every person has a name.
        expect(body.data?.node?.name).toMatch(/\S/);
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    const db: Database = target.kind === 'postgres'
      ? await openDatabase({ kind: 'postgres', url: pg!.url, poolMax: 1 })
      : await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'pgdata') });
    try {
      const rows = await db.knex('audit_log').where('subject', 'sigterm-test').count({ n: '*' }).first();
      expect(Number(rows!.n)).toBe(10);
    } finally {
      await db.close();
    }
  }, 240_000);
});
