/**
 * kill -9 of the hub while case mutations run in a loop (issue 13, fault suite). Four clients
 * each report a case (with an idempotency key), dispatch it, and the department accepts,
 * starts, completes; the command center records feedback and closes. The hub is killed twice
 * at random moments and started again; clients resend what got no answer. Afterwards every
 * case is whole or absent: its row, its `reported` event, its outbox row, a dispatch row for
 * every dispatched event and an event for every dispatch step; one case per idempotency key;
 * case numbers unique; every acknowledged step is in the store.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openDatabase, type Database } from '../../src/store/db.js';
import { createTestDatabase, findFreePort, type TestDatabase } from '../../tools/servers/postgres.js';
import { testDatabases } from '../support/databases.js';
import { CLI, FAULTS_SEED, killAll, rng, serveHub, type Cli } from './support.js';

const postgres = testDatabases().find((d) => d.kind === 'postgres')!;
const run = promisify(execFile);
const CLIENTS = 4;
const KILLS = 2;

const CASE = 'case { id number status dispatches { id status department { name } } }';
const OPS = {
  report: `mutation($input: ReportCaseInput!) { reportCase(input: $input) { ${CASE} } }`,
  dispatch: `mutation($id: ID!) { dispatchCase(input: { caseId: $id, departments: [{ department: "environment", role: LEAD }] }) { ${CASE} } }`,
  accept: `mutation($id: ID!) { acceptDispatch(dispatchId: $id) { ${CASE} } }`,
  start: `mutation($id: ID!) { startDispatch(dispatchId: $id) { ${CASE} } }`,
  complete: `mutation($id: ID!) { completeDispatch(dispatchId: $id, result: "已处理") { ${CASE} } }`,
  feedback: `mutation($id: ID!) { recordFeedback(caseId: $id, satisfaction: SATISFIED) { ${CASE} } }`,
  close: `mutation($id: ID!) { closeCase(caseId: $id) { ${CASE} } }`,
};
type Step = keyof typeof OPS;
const STEPS: Step[] = ['report', 'dispatch', 'accept', 'start', 'complete', 'feedback', 'close'];

const RANK: Record<string, number> = { reported: 0, dispatched: 1, in_progress: 2, closed: 3 };
const AT_LEAST: Record<Step, string> = {
  report: 'reported', dispatch: 'dispatched', accept: 'dispatched', start: 'in_progress', complete: 'in_progress', feedback: 'in_progress', close: 'closed',
};

interface CaseAnswer { id: string; number: string; status: string; dispatches: Array<{ id: string; status: string }> }

(postgres.available ? describe : describe.skip)(`kill -9 of the hub during case mutations (seed ${FAULTS_SEED}) [postgres]`, () => {
  let dir: string;
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'liandong-faults-hub-'));
    testDb = await createTestDatabase(process.env.LIANDONG_TEST_DATABASE_URL!);
  });
  afterAll(async () => {
    await killAll();
    await db?.close();
    await testDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${CLIENTS} clients in a mutation loop, ${KILLS} kills: every case whole or absent`, async () => {
    const random = rng(FAULTS_SEED + 1);
    const port = await findFreePort();
    const env = { DATABASE_URL: testDb.url, DATA_DIR: dir, WORLD_SCALE: 'tiny', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', JWT_SECRET: '', CONNECTORS_FILE: '', SIMULATE: '' };
    const url = `http://127.0.0.1:${port}/graphql`;
    let hub: Cli;
    const startHub = async () => {
      hub = await serveHub(env);
    };
    await startHub();
    const token = async (...args: string[]) => (await run(process.execPath, [CLI, 'token', ...args], { env: { ...process.env, ...env } })).stdout.trim().split('\n').pop()!;
    const admin = await token('--role', 'district-admin', '--subject', 'command-center');
    const staff = await token('--role', 'department-staff', '--department', 'environment', '--subject', 'env-staff');

    /** Sends until answered: a refused connection or a reset while the hub is down is resent once it is back. */
    const send = async (step: Step, variables: Record<string, unknown>): Promise<{ data?: Record<string, { case: CaseAnswer }>; errors?: Array<{ message: string; extensions?: { code?: string } }> }> => {
      const bearer = ['accept', 'start', 'complete'].includes(step) ? staff : admin;
      for (let attempt = 0; attempt < 200; attempt++) {
        try {
          const res = await fetch(url, {
            method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}`, 'x-purpose': 'fault suite' },
            body: JSON.stringify({ query: OPS[step], variables }), signal: AbortSignal.timeout(15_000),
          });
          const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
          if (res.status === 503 || body.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) throw new Error('unavailable');
          return body as never;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error(`${step}: no answer after 200 attempts`);
    };

    const acknowledged = new Map<string, { caseId: string; number: string; step: Step }>();
    const keys: string[] = [];
    let stop = false;
    let refusedAsDone = 0;
    const client = async (c: number) => {
      for (let n = 0; !stop && n < 100; n++) {
        const key = `fault-${FAULTS_SEED}-${c}-${n}`;
        keys.push(key);
        const reported = await send('report', { input: { channel: 'HOTLINE_12345', title: `故障测试 ${c}-${n}`, category: 'neighbour.noise', idempotencyKey: key } });
        if (reported.errors) throw new Error(`report: ${JSON.stringify(reported.errors)}`);
        let answer = reported.data!.reportCase!.case;
        acknowledged.set(key, { caseId: answer.id, number: answer.number, step: 'report' });
        for (const step of STEPS.slice(1)) {
          const target = ['accept', 'start', 'complete'].includes(step) ? answer.dispatches[0]!.id : answer.id;
          const res = await send(step, { id: target });
          if (res.errors) {
            // The command was done before the hub died and the answer was lost: the resend is refused as a transition that already happened.
            // A dispatch resent is refused as already held (BAD_USER_INPUT): the case may take more dispatches, not that one again.
            const done = res.errors[0]?.extensions?.code === 'INVALID_TRANSITION' || (step === 'dispatch' && /already holds an open dispatch/.test(res.errors[0]?.message ?? ''));
            if (!done) throw new Error(`${step}: ${JSON.stringify(res.errors)}`);
            refusedAsDone++;
            const now = await send('report', { input: { channel: 'HOTLINE_12345', title: `故障测试 ${c}-${n}`, category: 'neighbour.noise', idempotencyKey: key } });
            answer = now.data!.reportCase!.case;
          } else {
            answer = Object.values(res.data!)[0]!.case;
          }
          acknowledged.set(key, { caseId: answer.id, number: answer.number, step });
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 1500 + Math.floor(random() * 2500)));
      await hub!.kill9();
      await new Promise((r) => setTimeout(r, 200));
      await startHub();
    }
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(clients);
    await hub!.kill9();

    db = await openDatabase({ kind: 'postgres', url: testDb.url, poolMax: 2 });
    const knex = db.knex;
    const cases = await knex('case').where('title', 'like', '故障测试 %').select('id', 'number', 'status', 'title');
    // One case per idempotency key, and none without one.
    const requests = await knex('case_request').whereIn('key', keys).select('key', 'case_id');
    expect(requests.length).toBe(cases.length);
    expect(new Set(requests.map((r) => String(r.case_id))).size).toBe(cases.length);
    // Case numbers unique.
    expect(new Set(cases.map((c) => c.number)).size).toBe(cases.length);
    // Every acknowledged step is stored (or a later one).
    const byId = new Map(cases.map((c) => [String(c.id), c]));
    for (const [key, ack] of acknowledged) {
      const stored = byId.get(Buffer.from(ack.caseId, 'base64').toString().split(':')[1]!);
      expect({ key, stored: stored !== undefined }).toEqual({ key, stored: true });
      // As far as the answer said, or one step further (a command whose answer was lost).
      expect({ key, behind: RANK[String(stored!.status)]! < RANK[AT_LEAST[ack.step]]! }).toEqual({ key, behind: false });
    }
    expect(cases.filter((c) => !['reported', 'dispatched', 'in_progress', 'closed'].includes(String(c.status)))).toEqual([]);
    // Each case is whole: its reported event and outbox row; dispatches and their events agree.
    const ids = cases.map((c) => String(c.id));
    const reportedEvents = await knex('case_event').whereIn('case_id', ids).where('type', 'reported').select('case_id');
    expect(new Set(reportedEvents.map((e) => String(e.case_id))).size).toBe(cases.length);
    const outbox = await knex('change_event').where('entity_type', 'case').whereIn('entity_id', ids).where('change', 'created').select('entity_id');
    expect(new Set(outbox.map((e) => String(e.entity_id))).size).toBe(cases.length);
    const halfDone = await knex.raw(`
      select c.id, c.status,
        (select count(*) from dispatch d where d.case_id = c.id) as dispatches,
        (select count(*) from case_event e where e.case_id = c.id and e.type = 'dispatched') as dispatched_events,
        (select count(*) from dispatch d where d.case_id = c.id and d.status in ('accepted', 'in_progress', 'completed')
           and not exists (select 1 from case_event e where e.dispatch_id = d.id and e.type = 'accepted')) as accepted_without_event
      from "case" c where c.id = any(?::bigint[])`, [ids]);
    for (const r of halfDone.rows as Array<{ id: string; status: string; dispatches: string; dispatched_events: string; accepted_without_event: string }>) {
      expect({ id: r.id, dispatches: r.dispatches, events: r.dispatched_events, acceptedWithoutEvent: r.accepted_without_event })
        .toEqual({ id: r.id, dispatches: r.dispatched_events, events: r.dispatched_events, acceptedWithoutEvent: '0' });
      if (r.status !== 'reported') expect({ id: r.id, dispatched: Number(r.dispatches) > 0 }).toEqual({ id: r.id, dispatched: true });
    }
    const events = Number((await knex('case_event').whereIn('case_id', ids).count({ n: '*' }).first())!.n);
    expect(cases.length).toBeGreaterThan(CLIENTS);
    process.stderr.write(`faults/hub: seed ${FAULTS_SEED}, ${KILLS} kills, ${cases.length} cases (${acknowledged.size} acknowledged), ${events} case events checked, `
      + `${refusedAsDone} resent commands found already done\n`);
  }, 300_000);
});
