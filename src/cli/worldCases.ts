/**
 * The demo's case history: the generated district's `world/cases` file, taken in through the
 * same write path users and connector intake use (createCase, then each dispatch, acceptance,
 * start, completion, feedback and closing as a command at the time the world says it happened).
 * So every demo case has its events, deadlines and outbox rows, and nothing is written past them.
 *
 * The world speaks in its own indices; they are turned into the hub's ids through what the
 * departments said (the people's ID numbers, the enterprises' credit codes, housing's building
 * records), so the cases land on whatever the sync made of those entities.
 */
import type { Knex } from 'knex';
import type { EventBus } from '../events/bus.js';
import { ManualClock } from '../domain/clock.js';
import type { CaseCommand } from '../domain/caseWorkflow.js';
import { createCase, runCaseCommand, type Actor, type CaseRuntime } from '../store/caseCommands.js';
import { triage } from '../store/triage.js';
import { rowsOf } from '../store/loaders.js';
import { readNdjson, worldFile, type CaseRow, type EnterpriseRow, type PersonRow, type TruthRow } from '../world/index.js';

export interface WorldCasesResult {
  /** False when the history was taken in before (by this store's first start): it is taken in once. */
  loaded: boolean;
  cases: number;
}

/** The world's command center, as the case history names who did what. */
const COMMAND_CENTER: Actor = { name: '指挥中心（演示数据）', role: 'system' };

async function all<T>(path: string): Promise<T[]> {
  const out: T[] = [];
  for await (const row of readNdjson<T>(path)) out.push(row);
  return out;
}

/** Ids of the hub's entities by a natural key, for the keys the cases need. */
async function idsBy(knex: Knex, table: string, column: string, keys: Array<string | null | undefined>): Promise<Map<string, string>> {
  const wanted = [...new Set(keys.filter((k): k is string => typeof k === 'string'))];
  const out = new Map<string, string>();
  for (let i = 0; i < wanted.length; i += 1000) {
    const rows = await rowsOf(knex(table).whereIn(column, wanted.slice(i, i + 1000)).select('id', column));
    for (const r of rows) out.set(String(r[column]), String(r.id));
  }
  return out;
}

interface Step { at: Date; command: CaseCommand | ((dispatchIds: Map<string, string>) => CaseCommand) }

/**
 * Takes the world's cases in, unless they were taken in before. `worldDir` is the generated
 * district the simulated departments serve, already synced.
 */
export async function takeInWorldCases(knex: Knex, bus: EventBus, worldDir: string): Promise<WorldCasesResult> {
  // Counted by their author, not as all cases: connector intake may have taken a 110 call in before this ran.
  const existing = (await knex('case_event').where({ type: 'reported', actor: COMMAND_CENTER.name }).count({ n: '*' }).first()) as { n: string | number } | undefined;
  if (Number(existing?.n ?? 0) > 0) return { loaded: false, cases: Number(existing?.n) };

  const cases = await all<CaseRow>(worldFile(worldDir, 'world/cases'));
  const people = await all<PersonRow>(worldFile(worldDir, 'world/people'));
  const enterprises = await all<EnterpriseRow>(worldFile(worldDir, 'world/enterprises'));
  const buildingCodes = new Map<number, string>();
  for await (const t of readNdjson<TruthRow>(worldFile(worldDir, 'truth/housing'))) {
    if (t.stream === 'buildings' && t.entity === 'building') buildingCodes.set(t.index, t.sourceId);
  }
  const personId = await idsBy(knex, 'person', 'id_number', cases.flatMap((c) => [c.reporterPersonIndex, c.subjectPersonIndex])
    .map((i) => (i === null ? null : people[i]?.idNumber)));
  const enterpriseId = await idsBy(knex, 'enterprise', 'credit_code', cases.map((c) => (c.enterpriseIndex === null ? null : enterprises[c.enterpriseIndex]?.creditCode)));
  const buildingRecords = await rowsOf(knex('source_record as s').join('department as d', 'd.id', 's.department_id')
    .where({ 'd.name': 'housing', 's.stream': 'buildings', 's.entity_type': 'building' })
    .whereIn('s.source_id', [...new Set(cases.map((c) => buildingCodes.get(c.buildingIndex)).filter((x): x is string => x !== undefined))])
    .select('s.source_id', 's.entity_id'));
  const buildingId = new Map(buildingRecords.map((r) => [String(r.source_id), String(r.entity_id)]));

  const clock = new ManualClock(new Date(0));
  const rt: CaseRuntime = { knex, bus, clock };
  let taken = 0;
  for (const c of cases) {
    const reportedAt = new Date(c.reportedAt);
    const person = (i: number | null) => (i === null ? undefined : personId.get(people[i]?.idNumber ?? ''));
    const reporter = person(c.reporterPersonIndex);
    const subject = person(c.subjectPersonIndex);
    const enterprise = c.enterpriseIndex === null ? undefined : enterpriseId.get(enterprises[c.enterpriseIndex]?.creditCode ?? '');
    const code = buildingCodes.get(c.buildingIndex);
    const place = await triage(knex, {
      buildingId: code === undefined ? null : (buildingId.get(code) ?? null),
      address: c.address,
      location: { lat: c.lat, lng: c.lng },
      enterpriseIds: enterprise ? [enterprise] : [],
    });
    // A 110 call or fire hazard the case came from: claimed here, so connector intake does not take it in a second time.
    const source = c.sources[0];
    const sourceRecord = source === undefined ? undefined : (await rowsOf(knex('source_record as s').join('department as d', 'd.id', 's.department_id')
      .where({ 'd.name': source.department, 's.stream': source.stream, 's.source_id': source.sourceId }).select('s.id').limit(1)))[0];
    clock.set(reportedAt);
    const created = await createCase(rt, {
      title: c.title, description: c.description, category: c.category, urgency: c.urgency, channel: c.channel, level: c.level,
      reporterName: reporter === undefined && c.reporterPersonIndex !== null ? (people[c.reporterPersonIndex]?.name ?? null) : null,
      reporterPhone: null, photo: null, place,
      people: [
        ...(reporter ? [{ personId: reporter, role: 'reporter' as const }] : []),
        ...(subject ? [{ personId: subject, role: 'subject' as const }] : []),
      ],
      enterpriseIds: enterprise ? [enterprise] : [],
      ...(sourceRecord ? { sourceRecordId: String(sourceRecord.id) } : {}),
      reportedAt,
    }, COMMAND_CENTER, `演示案例 ${c.number}`);
    if (!created) continue;
    taken++;

    const steps: Step[] = [];
    const first = c.dispatches.reduce<string | null>((min, d) => (min === null || d.dispatchedAt < min ? d.dispatchedAt : min), null);
    // One dispatch round with every department: the world's rounds may start with a cooperating one, which the workflow refuses.
    if (first !== null) steps.push({ at: new Date(first), command: { type: 'dispatch', targets: c.dispatches.map((d) => ({ department: d.department, role: d.role })) } });
    for (const d of c.dispatches) {
      const ref = (ids: Map<string, string>) => ids.get(d.department) ?? '';
      if (d.acceptedAt !== null) {
        steps.push({ at: new Date(d.acceptedAt), command: (ids) => ({ type: 'accept', dispatchId: ref(ids) }) });
        steps.push({ at: new Date(d.acceptedAt), command: (ids) => ({ type: 'start', dispatchId: ref(ids) }) });
      }
      if (d.completedAt !== null) {
        const result = d.result ?? '已处置';
        steps.push({ at: new Date(d.completedAt), command: (ids) => ({ type: 'complete', dispatchId: ref(ids), result }) });
      }
    }
    if (c.status === 'closed' && c.closedAt !== null) {
      steps.push({ at: new Date(c.closedAt), command: { type: 'feedback', satisfaction: 'satisfied', note: null } });
      steps.push({ at: new Date(c.closedAt), command: { type: 'close' } });
    }
    // Stable: steps at the same time keep their order (accept before start, feedback before close).
    steps.sort((a, b) => a.at.getTime() - b.at.getTime());
    let dispatchIds = new Map<string, string>();
    for (const s of steps) {
      clock.set(s.at < reportedAt ? reportedAt : s.at);
      await runCaseCommand(rt, created.caseId, COMMAND_CENTER, typeof s.command === 'function' ? s.command(dispatchIds) : s.command, null);
      if (dispatchIds.size === 0) {
        const rows = await rowsOf(knex('dispatch').join('department', 'department.id', 'dispatch.department_id')
          .where('dispatch.case_id', created.caseId).select('dispatch.id', 'department.name'));
        dispatchIds = new Map(rows.map((r) => [String(r.name), String(r.id)]));
      }
    }
  }
  return { loaded: true, cases: taken };
}
