/**
 * kill -9 of `liandong sync` at random moments (issue 13, fault suite): at least five kills per
 * run, landing in different streams, then a rerun to the end. The store is checked against a
 * reference sync of the same sources into a second database that nobody killed: per stream,
 * the same (source id, payload hash) pairs and the same dead letters, nothing duplicated by
 * (department, stream, source id), no run left `running`, and a further sync from the saved
 * cursors changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld } from '../../src/world/index.js';
import { openDatabase, type Database } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../tools/servers/postgres.js';
import { testDatabases } from '../support/databases.js';
import { cli, FAULTS_SEED, killAll, rng, waitUntil } from './support.js';

const postgres = testDatabases().find((d) => d.kind === 'postgres')!;
const KILLS = Number(process.env.FAULTS_SYNC_KILLS ?? 6);

interface Summary { summaries: Array<{ department: string; ok: boolean; streams: Array<{ stream: string; read: number; stored: number; changed: number; deadLettered: number; status: string }> }> }

(postgres.available ? describe : describe.skip)(`kill -9 of the sync, then a rerun (seed ${FAULTS_SEED}) [postgres]`, () => {
  let dir: string;
  let world: string;
  const dbs: TestDatabase[] = [];
  const open: Database[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'liandong-faults-sync-'));
    world = join(dir, 'world');
    await generateWorld({ scale: 'tiny', seed: 11, outDir: world, overwrite: true });
  });
  afterAll(async () => {
    await killAll();
    for (const d of open) await d.close();
    for (const d of dbs) await d.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const database = async () => {
    const d = await createTestDatabase(process.env.LIANDONG_TEST_DATABASE_URL!);
    dbs.push(d);
    return d;
  };
  const env = (url: string, name: string) => ({
    DATABASE_URL: url, WORLD_DIR: world, DATA_DIR: join(dir, name), LOG_LEVEL: 'warn', JWT_SECRET: '', CONNECTORS_FILE: '', SIMULATE: '',
  });
  const sync = async (url: string, name: string): Promise<Summary> => {
    const run = cli(['sync', '--simulate', '--no-progress', '--json', '--batch-size', '40'], env(url, name));
    const { code } = await Promise.race([run.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`sync did not finish:\n${run.logs.join('').slice(-3000)}`)), 120_000).unref())]);
    if (code !== 0) throw new Error(`sync exited ${code}:\n${run.logs.join('').slice(-3000)}`);
    const line = run.logs.join('').split('\n').find((l) => l.startsWith('{"elapsedMs"'));
    return JSON.parse(line!) as Summary;
  };

  /** What the store holds, per department/stream: source id → payload hash, and dead letters by raw hash. */
  const contents = async (knex: Database['knex']) => {
    const records = await knex('source_record as s').join('department as d', 'd.id', 's.department_id')
      .select('d.name', 's.stream', 's.source_id', 's.payload_hash').orderBy(['d.name', 's.stream', 's.source_id']);
    const letters = await knex('dead_letter as l').join('department as d', 'd.id', 'l.department_id').whereNull('l.resolved_at')
      .select('d.name', 'l.stream', 'l.raw_hash').orderBy(['d.name', 'l.stream', 'l.raw_hash']);
    const by = new Map<string, { records: string[]; deadLetters: string[] }>();
    const at = (k: string) => by.get(k) ?? by.set(k, { records: [], deadLetters: [] }).get(k)!;
    for (const r of records) at(`${r.name}/${r.stream}`).records.push(`${r.source_id}=${r.payload_hash}`);
    for (const l of letters) at(`${l.name}/${l.stream}`).deadLetters.push(String(l.raw_hash));
    return Object.fromEntries([...by.entries()].sort());
  };

  test(`${KILLS} kills in different streams, then a rerun: the store equals a clean read of the sources`, async () => {
    const random = rng(FAULTS_SEED);
    const reference = await database();
    const referenceSummary = await sync(reference.url, 'reference');
    expect(referenceSummary.summaries.every((s) => s.ok)).toBe(true);

    const faulted = await database();
    const db = await openDatabase({ kind: 'postgres', url: faulted.url, poolMax: 2 });
    open.push(db);
    const killedIn: string[] = [];
    for (let k = 0; k < KILLS * 3 && killedIn.length < KILLS; k++) {
      const run = cli(['sync', '--simulate', '--no-progress', '--batch-size', '20'], env(faulted.url, 'faulted'));
      // Aim each kill at a stream not hit yet, a random number of commits into it.
      const hit = new Set(killedIn);
      const target = await waitUntil(`a stream to kill in (kill ${k + 1})`, async () => {
        if (run.child.exitCode !== null) return 'finished';
        const rows = await db.knex('sync_run as r').join('department as d', 'd.id', 'r.department_id').where('r.status', 'running')
          .whereNot('r.trigger', 'push').select('d.name', 'r.stream', 'r.owner').catch(() => []);
        const mine = rows.filter((r) => String(r.owner).endsWith(`:${run.child.pid}`)).map((r) => `${r.name}/${r.stream}`);
        return mine.find((s) => !hit.has(s) || hit.size >= 13);
      }, 90_000, 20);
      if (target === 'finished') break;
      await new Promise((r) => setTimeout(r, Math.floor(random() * 150)));
      await run.kill9();
      // Read after the kill, not before: a run seen running just before may still have finished
      // before the signal landed. Whatever the dead process left running is what the kill cut.
      const cut = await db.knex('sync_run as r').join('department as d', 'd.id', 'r.department_id').where('r.status', 'running')
        .whereLike('r.owner', `%:${run.child.pid}`).select('d.name', 'r.stream');
      killedIn.push(...cut.map((r) => `${r.name}/${r.stream}`));
    }
    expect(killedIn.length).toBeGreaterThanOrEqual(Math.min(KILLS, 5));
    expect(new Set(killedIn).size).toBeGreaterThanOrEqual(Math.min(KILLS, 5) - 1);

    const rerun = await sync(faulted.url, 'faulted');
    expect(rerun.summaries.filter((s) => !s.ok)).toEqual([]);
    for (const s of rerun.summaries.flatMap((x) => x.streams)) expect(s.read).toBe(s.stored + s.deadLettered);

    const want = await contents((await (async () => {
      const r = await openDatabase({ kind: 'postgres', url: reference.url, poolMax: 1 });
      open.push(r);
      return r;
    })()).knex);
    const got = await contents(db.knex);
    expect(Object.keys(got)).toEqual(Object.keys(want));
    for (const stream of Object.keys(want)) {
      expect({ stream, records: got[stream]!.records.length }).toEqual({ stream, records: want[stream]!.records.length });
      expect({ stream, same: got[stream]!.records.join('\n') === want[stream]!.records.join('\n') }).toEqual({ stream, same: true });
      expect({ stream, deadLetters: got[stream]!.deadLetters }).toEqual({ stream, deadLetters: want[stream]!.deadLetters });
    }
    const dup = await db.knex.raw('select department_id, stream, source_id from source_record group by 1, 2, 3 having count(*) > 1');
    expect(dup.rows).toEqual([]);
    // Every killed run was closed by a later one; none is left `running`.
    expect(await db.knex('sync_run').where('status', 'running').count({ n: '*' }).first()).toEqual({ n: '0' });
    const interrupted = Number((await db.knex('sync_run').whereLike('error', 'interrupted:%').count({ n: '*' }).first())!.n);
    expect(interrupted).toBeGreaterThanOrEqual(killedIn.length);
    // recordCount agrees with the rows.
    const counts = await db.knex('connector_state as c').select('c.record_count', db.knex.raw('(select count(*) from source_record s where s.department_id = c.department_id) as n'));
    for (const c of counts) expect(String(c.record_count)).toBe(String(c.n));

    // The saved cursors are where the data is: one more sync from them changes nothing.
    const again = await sync(faulted.url, 'faulted');
    expect(again.summaries.flatMap((s) => s.streams.filter((t) => t.changed !== 0).map((t) => `${s.department}/${t.stream}: ${t.changed}`))).toEqual([]);
    process.stderr.write(`faults/sync: seed ${FAULTS_SEED}, ${killedIn.length} kills in ${[...new Set(killedIn)].join(', ')}; `
      + `${Object.values(got).reduce((a, s) => a + s.records.length, 0)} records and ${Object.values(got).reduce((a, s) => a + s.deadLetters.length, 0)} dead letters checked\n`);
  }, 300_000);
});
