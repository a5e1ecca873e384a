/**
 * Cases from department systems. The connectors store what the departments say (source records);
 * intake reads the records of two streams and takes a case in for each one that calls for the
 * command center, once per record (`case_source` is unique on the record):
 * - police `incidents`: a 110 call the police hand over to the community (移交社区) or are still
 *   handling (处警中, the live pushes), received within the last INCIDENT_WINDOW_DAYS;
 * - fire `hazards`: a hazard past its rectification deadline (逾期未整改, or 整改中 after the deadline).
 * Intake runs on the SLA watcher's tick, so a hazard whose deadline passes between two syncs
 * still becomes a case, and a later sync of the same record never creates a second one.
 */
import type { Knex } from 'knex';
import type { CaseLevel } from '../domain/caseWorkflow.js';
import { createCase, SYSTEM, type CaseRuntime } from './caseCommands.js';
import { triage, type TriagedPlace } from './triage.js';
import type { Row } from './loaders.js';
import { anyOf } from './ingest/bulk.js';

/** Older 110 calls are the police's history, not work for the command center. */
export const INCIDENT_WINDOW_DAYS = 7;
/**
 * Calls the police hand over to the community (移交社区) are the command center's work; calls the
 * police are still handling (处警中) stay theirs until then.
 */
const INCIDENTS_HANDED_OVER = ['移交社区'];

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** 'YYYYMMDDHHMMSS' Beijing time. */
function beijingCompact(v: unknown): Date | null {
  const s = text(v);
  if (!s || !/^\d{14}$/.test(s)) return null;
  const ms = Date.parse(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}+08:00`);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** The canonical entity a record is linked to, when it is linked. */
const linked = (r: Row, type: string): string | null => (r.entity_type === type && r.entity_id !== null ? String(r.entity_id) : null);

const levelFor = (place: TriagedPlace): CaseLevel => (place.gridId !== null ? 'grid' : place.streetId !== null ? 'street' : 'district');

function waiting(knex: Knex, department: string, stream: string): Knex.QueryBuilder {
  return knex('source_record as s').join('department as d', 'd.id', 's.department_id')
    .where('d.name', department).where('s.stream', stream)
    .whereNotExists(knex('case_source as cs').whereRaw('cs.source_record_id = s.id').select(knex.raw('1')))
    .orderBy('s.id')
    .select('s.id', 's.source_id', 's.payload', 's.entity_type', 's.entity_id');
}

/** Takes in every record that calls for a case and has none yet; returns the cases created. */
export async function intakeFromConnectors(rt: CaseRuntime): Promise<string[]> {
  const { knex } = rt;
  const now = rt.clock.now();
  const created: string[] = [];

  const since = new Date(now.getTime() - INCIDENT_WINDOW_DAYS * 24 * 3_600_000);
  const incidents = (await waiting(knex, 'police', 'incidents')
    .whereRaw(anyOf("s.payload->>'cjjg'"), [INCIDENTS_HANDED_OVER])
    .where('s.source_updated_at', '>=', since)) as Row[];
  for (const r of incidents) {
    const p = r.payload as Record<string, unknown>;
    const lat = num(p.wd);
    const lng = num(p.jd);
    const place = await triage(knex, {
      buildingId: linked(r, 'building'),
      address: text(p.afdd),
      location: lat !== null && lng !== null ? { lat, lng } : null,
    });
    const reporter = (await knex('source_link').where({ source_record_id: r.id, role: 'reporter', entity_type: 'person' })
      .whereNotNull('entity_id').first('entity_id')) as Row | undefined;
    const kind = text(p.jqlb) ?? '警情';
    const c = await createCase(rt, {
      title: `110 转警：${kind}（${text(p.afdd) ?? '地点不详'}）`, description: text(p.jyaq), category: 'police.incident', urgency: 'normal',
      channel: 'police_110', level: levelFor(place), reporterName: text(p.bjrxm), reporterPhone: text(p.bjrdh), photo: null, place,
      people: reporter ? [{ personId: String(reporter.entity_id), role: 'reporter' }] : [], enterpriseIds: [],
      sourceRecordId: String(r.id), reportedAt: beijingCompact(p.bjsj) ?? now,
    }, SYSTEM, `110 接警单 ${String(r.source_id)}，处警结果：${text(p.cjjg) ?? '不详'}`);
    if (c) created.push(c.caseId);
  }

  const today = new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
  const hazards = (await waiting(knex, 'fire', 'hazards')
    .where((q) => {
      void q.whereRaw(`s.payload->>'status' = '逾期未整改'`)
        .orWhereRaw(`s.payload->>'status' = '整改中' and s.payload->>'rectification_deadline' < ?`, [today]);
    })) as Row[];
  for (const r of hazards) {
    const p = r.payload as Record<string, unknown>;
    const enterprise = linked(r, 'enterprise');
    const enterpriseIds = enterprise === null ? [] : [enterprise];
    const place = await triage(knex, {
      buildingId: linked(r, 'building'), address: text(p.address), enterpriseIds,
    });
    const target = text(p.target_name) ?? text(p.address) ?? '';
    const c = await createCase(rt, {
      title: `消防隐患逾期未整改：${text(p.hazard_type) ?? '隐患'}（${target}）`,
      description: `${text(p.description) ?? ''}（整改期限 ${text(p.rectification_deadline) ?? '不详'}）`, category: 'fire.hazard', urgency: 'normal',
      channel: 'connector', level: levelFor(place), reporterName: null, reporterPhone: null, photo: null, place, people: [], enterpriseIds,
      sourceRecordId: String(r.id),
    }, SYSTEM, `消防隐患 ${String(r.source_id)} 逾期未整改`);
    if (c) created.push(c.caseId);
  }
  return created;
}
