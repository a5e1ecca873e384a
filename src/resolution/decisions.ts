/**
 * Review and correction: what a data steward or district administrator decides about who is
 * who, written to the store in one transaction each.
 *
 * - confirmMatch / rejectMatch: a review candidate is (not) the record slot's entity;
 * - mergeEntities: two ids of one entity; everything pointing at the merged one moves to the
 *   survivor, and the merged id resolves to it from then on (entity_alias);
 * - splitEntity: records wrongly on one person move to a new person made from their facts.
 *
 * Each writes match_decision rows (who, which role, why, when) that resolution keeps to on every
 * later sync and `resolve --all` (Resolver.decisions), and change_event rows for the outbox.
 * The caller (src/store/repositories/resolution.ts) checks the policy and announces the events.
 */
import type { Knex } from 'knex';
import { SafeError } from '../errors.js';
import type { PersonFacts } from '../domain/canonical.js';
import { bulkInsert } from '../store/ingest/bulk.js';
import { loadPlaces, type Places } from '../store/ingest/places.js';
import { personKey } from '../store/ingest/writer.js';
import type { Row } from '../store/loaders.js';
import { goldenName } from './golden.js';
import { Resolver } from './index.js';
import { personEvidence } from './person.js';
import { rememberStored } from './rerun.js';
import { RETURNING_POSITION, lastPositionOf } from '../events/outbox.js';

export type ResolvableEntity = 'person' | 'enterprise' | 'building';

/**
 * What review, correction and resolvePerson need for the life of the hub: one Resolver (its
 * model read once) and the places (the address normaliser, expensive to build: loaded on first
 * use, then kept).
 */
export interface ResolutionServices {
  resolver: Resolver;
  places(): Promise<Places>;
}

export function createResolutionServices(knex: Knex, resolver: Resolver = new Resolver()): ResolutionServices {
  let places: Promise<Places> | null = null;
  return {
    resolver,
    places: () => (places ??= loadPlaces(knex).catch((err: unknown) => {
      places = null;
      throw err;
    })),
  };
}

/** Who decides: recorded on every match_decision row. */
export interface DecisionActor {
  name: string;
  role: string;
}

export interface DecisionResult {
  entityType: ResolvableEntity;
  /** The entity holding the slots now: the candidate, the survivor, the entity split from. */
  entityId: string;
  /** mergeEntities: the entity merged away; splitEntity: the one created. */
  otherId: string | null;
  decisionIds: string[];
  /** The last change_event written; null when no entity changed. */
  lastChangeId: string | null;
  /** People the decision touched, for the audit trail. */
  people: string[];
}

/** A record's subject (mentionIndex null) or one of its mentions, as stored. */
interface Slot {
  recordId: string;
  mentionIndex: number | null;
  departmentId: string;
  departmentName: string;
  facts: unknown;
  fetchedAt: Date;
  method: string | null;
}

const KEY_COLUMN: Record<ResolvableEntity, string | null> = { person: 'id_number', enterprise: 'credit_code', building: null };
/** The department whose word counts most for each kind of entity (the master register). */
const MASTER: Record<ResolvableEntity, string> = { person: 'population', enterprise: 'enterprise', building: 'housing' };

const factsOf = (facts: unknown): Record<string, unknown> => (typeof facts === 'string' ? JSON.parse(facts) : (facts ?? {})) as Record<string, unknown>;

/** Follows entity_alias from a merged-away id to the entity that holds it now (chains too). */
export async function survivorOf(knex: Knex | Knex.Transaction, type: string, id: string): Promise<string | null> {
  let current = id;
  let found: string | null = null;
  for (let hops = 0; hops < 16; hops++) {
    const row = (await knex('entity_alias').where({ entity_type: type, merged_id: current }).first('survivor_id')) as Row | undefined;
    if (!row) break;
    current = String(row.survivor_id);
    found = current;
  }
  return found;
}

async function slotsOf(trx: Knex.Transaction, type: ResolvableEntity, entityId: string): Promise<Slot[]> {
  const subjects = (await trx('source_record as s').join('department as d', 'd.id', 's.department_id')
    .where({ 's.entity_type': type, 's.entity_id': entityId })
    .select('s.id', 's.department_id', 'd.name as department_name', 's.facts', 's.fetched_at', 's.link_method')) as Row[];
  const mentions = (await trx('source_link as l').join('source_record as s', 's.id', 'l.source_record_id').join('department as d', 'd.id', 's.department_id')
    .where({ 'l.entity_type': type, 'l.entity_id': entityId })
    .select('l.source_record_id', 'l.mention_index', 's.department_id', 'd.name as department_name', 'l.facts', 's.fetched_at', 'l.link_method')) as Row[];
  const common = (r: Row) => ({
    departmentId: String(r.department_id), departmentName: String(r.department_name), facts: r.facts,
    fetchedAt: new Date(r.fetched_at as string), method: r.link_method === null ? null : String(r.link_method),
  });
  return [
    ...subjects.map((r) => ({ recordId: String(r.id), mentionIndex: null, ...common(r) })),
    ...mentions.map((r) => ({ recordId: String(r.source_record_id), mentionIndex: Number(r.mention_index), ...common(r) })),
  ];
}

/** Points slots at an entity as a person's decision: method human, score 1. */
async function linkSlots(trx: Knex.Transaction, type: ResolvableEntity, entityId: string, slots: ReadonlyArray<Pick<Slot, 'recordId' | 'mentionIndex'>>, evidence: unknown = []): Promise<void> {
  const link = { entity_id: entityId, link_method: 'human', link_score: 1, link_evidence: JSON.stringify(evidence) };
  const subjects = slots.filter((s) => s.mentionIndex === null).map((s) => s.recordId);
  if (subjects.length > 0) await trx('source_record').whereRaw('id = any(?::bigint[])', [subjects]).update({ ...link, entity_type: type });
  const mentions = slots.filter((s) => s.mentionIndex !== null);
  if (mentions.length > 0) {
    await trx.raw(
      `update source_link l set entity_id = ?, link_method = 'human', link_score = 1, link_evidence = ?::json
       from unnest(?::bigint[], ?::int[]) as m(record_id, mention_index)
       where l.source_record_id = m.record_id and l.mention_index = m.mention_index and l.entity_type = ?`,
      [entityId, link.link_evidence, mentions.map((m) => m.recordId), mentions.map((m) => Number(m.mentionIndex)), type],
    );
  }
}

type DecisionRow = {
  entity_type: string; decision: 'link' | 'no_link' | 'merge' | 'split'; source_record_id: string | null; mention_index: number | null;
  entity_id: string; other_entity_id: string | null; actor: string; role: string; note: string | null; at: Date;
};

async function decide(trx: Knex.Transaction, rows: DecisionRow[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < rows.length; i += 1000) {
    const saved = (await trx('match_decision').insert(rows.slice(i, i + 1000)).returning('id')) as Row[];
    ids.push(...saved.map((r) => String(r.id)));
  }
  return ids;
}

async function changed(trx: Knex.Transaction, events: Array<{ type: string; id: string; change: 'created' | 'updated'; departmentId: string | null }>): Promise<string | null> {
  if (events.length === 0) return null;
  const at = new Date();
  const unique = new Map(events.map((e) => [`${e.type}:${e.id}`, e]));
  const rows = await bulkInsert(trx, 'change_event', [...unique.values()].map((e) => ({ entity_type: e.type, entity_id: e.id, change: e.change, department_id: e.departmentId, at })), RETURNING_POSITION);
  return lastPositionOf(rows);
}

async function entityRow(trx: Knex.Transaction, type: ResolvableEntity, id: string): Promise<Row | undefined> {
  return (await trx(type).where('id', id).forUpdate().first()) as Row | undefined;
}

const notFound = (type: string, id: string) => new SafeError('NOT_FOUND', `There is no ${type} ${id}.`);

/** A review candidate is the one: its slot links to it. */
export async function confirmMatch(knex: Knex, services: ResolutionServices, actor: DecisionActor, candidateId: string, note: string | null): Promise<DecisionResult> {
  const places = await services.places();
  return knex.transaction(async (trx) => {
    const c = (await trx('match_candidate').where('id', candidateId).forUpdate().first()) as Row | undefined;
    if (!c) throw new SafeError('NOT_FOUND', `There is no match candidate ${candidateId}.`);
    if (c.status !== 'pending') throw new SafeError('BAD_USER_INPUT', `The match candidate is already ${String(c.status)}.`, { status: String(c.status).toUpperCase() });
    const type = String(c.entity_type) as ResolvableEntity;
    const proposed = String(c.candidate_id);
    const entityId = (await entityRow(trx, type, proposed)) ? proposed : await survivorOf(trx, type, proposed);
    if (entityId === null || !(await entityRow(trx, type, entityId))) throw new SafeError('NOT_FOUND', `The candidate ${type} ${proposed} no longer exists.`);
    const recordId = String(c.source_record_id);
    const mentionIndex = c.mention_index === null ? null : Number(c.mention_index);
    const record = (await trx('source_record').where('id', recordId).first('department_id', 'entity_id', 'facts')) as Row;
    let previous: unknown = record.entity_id;
    let facts: unknown = record.facts;
    if (mentionIndex !== null) {
      const link = (await trx('source_link').where({ source_record_id: recordId, mention_index: mentionIndex }).first('entity_id', 'facts')) as Row | undefined;
      if (!link) throw new SafeError('NOT_FOUND', 'The record no longer holds that mention (a later sync changed it).');
      previous = link.entity_id;
      facts = link.facts;
    }
    await linkSlots(trx, type, entityId, [{ recordId, mentionIndex }], typeof c.evidence === 'string' ? JSON.parse(c.evidence) : c.evidence);
    const at = new Date();
    const decisionIds = await decide(trx, [{
      entity_type: type, decision: 'link', source_record_id: recordId, mention_index: mentionIndex, entity_id: entityId, other_entity_id: null,
      actor: actor.name, role: actor.role, note, at,
    }]);
    await trx('match_candidate').where('id', candidateId).update({ status: 'confirmed', decided_at: at, decided_by: actor.name, candidate_id: entityId });
    await trx('match_candidate').where({ source_record_id: recordId, status: 'pending' }).whereRaw('mention_index is not distinct from ?::int', [mentionIndex])
      .whereNot('id', candidateId).update({ status: 'superseded', decided_at: at, decided_by: actor.name });
    if (type === 'person') await rememberStored(trx, places, services.resolver, [{ entityId, facts }]);
    const departmentId = String(record.department_id);
    const events = [{ type, id: entityId, change: 'updated' as const, departmentId }];
    if (previous !== null && previous !== undefined && String(previous) !== entityId) events.push({ type, id: String(previous), change: 'updated', departmentId });
    const people = type === 'person' ? events.map((e) => e.id) : [];
    return { entityType: type, entityId, otherId: null, decisionIds, lastChangeId: await changed(trx, events), people };
  });
}

/** A review candidate is not the one: resolution never links its slot to it again. */
export async function rejectMatch(knex: Knex, actor: DecisionActor, candidateId: string, note: string | null): Promise<DecisionResult> {
  return knex.transaction(async (trx) => {
    const c = (await trx('match_candidate').where('id', candidateId).forUpdate().first()) as Row | undefined;
    if (!c) throw new SafeError('NOT_FOUND', `There is no match candidate ${candidateId}.`);
    if (c.status !== 'pending') throw new SafeError('BAD_USER_INPUT', `The match candidate is already ${String(c.status)}.`, { status: String(c.status).toUpperCase() });
    const type = String(c.entity_type) as ResolvableEntity;
    const at = new Date();
    const decisionIds = await decide(trx, [{
      entity_type: type, decision: 'no_link', source_record_id: String(c.source_record_id), mention_index: c.mention_index === null ? null : Number(c.mention_index),
      entity_id: String(c.candidate_id), other_entity_id: null, actor: actor.name, role: actor.role, note, at,
    }]);
    await trx('match_candidate').where('id', candidateId).update({ status: 'rejected', decided_at: at, decided_by: actor.name });
    return { entityType: type, entityId: String(c.candidate_id), otherId: null, decisionIds, lastChangeId: null, people: type === 'person' ? [String(c.candidate_id)] : [] };
  });
}

/**
 * Two ids of one entity. Refused when their keys say they are two (different valid ID numbers
 * or credit codes). Everything pointing at `mergedId` moves to `survivorId`; the survivor takes
 * the merged row's values where it has none; the merged row goes, and its id becomes an alias.
 */
export async function mergeEntities(
  knex: Knex, services: ResolutionServices, actor: DecisionActor, type: ResolvableEntity, survivorId: string, mergedId: string, note: string | null,
): Promise<DecisionResult> {
  if (survivorId === mergedId) throw new SafeError('BAD_USER_INPUT', 'An entity cannot be merged with itself.');
  const places = await services.places();
  return knex.transaction(async (trx) => {
    // Lock in id order, so two merges of the same pair cannot deadlock.
    const rows = (await trx(type).whereIn('id', [survivorId, mergedId]).orderBy('id').forUpdate()) as Row[];
    const survivor = rows.find((r) => String(r.id) === survivorId);
    const merged = rows.find((r) => String(r.id) === mergedId);
    for (const [row, id] of [[survivor, survivorId], [merged, mergedId]] as const) {
      if (row) continue;
      const now = await survivorOf(trx, type, id);
      if (now !== null) throw new SafeError('BAD_USER_INPUT', `${type} ${id} was already merged into ${type} ${now}; use that id.`, { survivor: now });
      throw notFound(type, id);
    }
    const s = survivor as Row;
    const m = merged as Row;
    const keyColumn = KEY_COLUMN[type];
    if (keyColumn !== null && s[keyColumn] !== null && m[keyColumn] !== null && s[keyColumn] !== m[keyColumn]) {
      const what = type === 'person' ? 'different ID numbers' : 'different credit codes';
      throw new SafeError('CONFLICTING_KEYS', `These are two ${type === 'person' ? 'people' : 'enterprises'}: they hold ${what}. Correct the records at their department, or split instead.`);
    }

    const slots = await slotsOf(trx, type, mergedId);
    await trx('source_record').where({ entity_type: type, entity_id: mergedId }).update({ entity_id: survivorId });
    await trx('source_link').where({ entity_type: type, entity_id: mergedId }).update({ entity_id: survivorId });
    // Review candidates: one per slot and entity (match_candidate_pair).
    await trx.raw(
      `delete from match_candidate m where m.entity_type = ? and m.candidate_id = ? and exists (
         select 1 from match_candidate o where o.source_record_id = m.source_record_id
           and coalesce(o.mention_index, -1) = coalesce(m.mention_index, -1) and o.candidate_id = ?)`,
      [type, mergedId, survivorId],
    );
    await trx('match_candidate').where({ entity_type: type, candidate_id: mergedId }).update({ candidate_id: survivorId });
    await trx.raw(
      `insert into resolution_key (entity_type, kind, value, entity_id)
       select entity_type, kind, value, ? from resolution_key where entity_type = ? and entity_id = ? on conflict do nothing`,
      [survivorId, type, mergedId],
    );
    await trx('resolution_key').where({ entity_type: type, entity_id: mergedId }).delete();
    // The moved records are remembered on the survivor below; the merged profile goes with its row.
    await trx('resolution_profile').where({ entity_type: type, entity_id: mergedId }).delete();
    const moveJoin = async (table: string, column: string, rest: string[]) => {
      await trx.raw(
        `insert into ${table} (${[column, ...rest].join(', ')}) select ?, ${rest.join(', ')} from ${table} where ${column} = ? on conflict do nothing`,
        [survivorId, mergedId],
      );
      await trx(table).where(column, mergedId).delete();
    };
    switch (type) {
      case 'person':
        await moveJoin('person_tag', 'person_id', ['tag']);
        await moveJoin('case_person', 'person_id', ['case_id', 'role']);
        await trx('household').where('head_person_id', mergedId).update({ head_person_id: survivorId });
        break;
      case 'enterprise':
        await moveJoin('case_enterprise', 'enterprise_id', ['case_id']);
        break;
      case 'building':
        for (const table of ['dwelling', 'person', 'enterprise', 'case']) await trx(table).where('building_id', mergedId).update({ building_id: survivorId });
        break;
    }
    // The survivor keeps its values and takes the merged row's where it has none.
    const fill = Object.keys(m).filter((c) => c !== 'id' && c !== keyColumn && m[c] !== null && s[c] === null);
    if (fill.length > 0) {
      await trx.raw(`update ${type} s set ${fill.map((c) => `${c} = coalesce(s.${c}, m.${c})`).join(', ')} from ${type} m where s.id = ? and m.id = ?`, [survivorId, mergedId]);
    }
    await trx(type).where('id', mergedId).delete();
    if (keyColumn !== null && s[keyColumn] === null && m[keyColumn] !== null) {
      await trx(type).where('id', survivorId).update({ [keyColumn]: m[keyColumn] });
    }

    const at = new Date();
    const who = { actor: actor.name, role: actor.role, note, at };
    const [mergeDecision] = await decide(trx, [{ entity_type: type, decision: 'merge', source_record_id: null, mention_index: null, entity_id: survivorId, other_entity_id: mergedId, ...who }]);
    await trx('entity_alias').where({ entity_type: type, survivor_id: mergedId }).update({ survivor_id: survivorId });
    await trx('entity_alias').insert({ entity_type: type, merged_id: mergedId, survivor_id: survivorId, decision_id: mergeDecision, at })
      .onConflict(['entity_type', 'merged_id']).merge();
    // Later syncs keep the moved slots together; a slot a person said is not the merged entity is not the survivor either.
    const refusals = (await trx('match_decision').where({ entity_type: type, decision: 'no_link', entity_id: mergedId })
      .select('source_record_id', 'mention_index')) as Row[];
    const moved = new Set(slots.map((sl) => `${sl.recordId}:${sl.mentionIndex ?? 's'}`));
    const slotDecisions: DecisionRow[] = [
      ...slots.map((sl): DecisionRow => ({ entity_type: type, decision: 'link', source_record_id: sl.recordId, mention_index: sl.mentionIndex, entity_id: survivorId, other_entity_id: null, ...who })),
      ...refusals.filter((r) => !moved.has(`${String(r.source_record_id)}:${r.mention_index === null ? 's' : Number(r.mention_index)}`))
        .map((r): DecisionRow => ({
          entity_type: type, decision: 'no_link', source_record_id: String(r.source_record_id), mention_index: r.mention_index === null ? null : Number(r.mention_index),
          entity_id: survivorId, other_entity_id: null, ...who,
        })),
    ];
    const decisionIds = [String(mergeDecision), ...(await decide(trx, slotDecisions))];
    if (type === 'person') await rememberStored(trx, places, services.resolver, slots.map((sl) => ({ entityId: survivorId, facts: sl.facts })));
    const lastChangeId = await changed(trx, [
      { type, id: survivorId, change: 'updated', departmentId: null },
      { type, id: mergedId, change: 'updated', departmentId: null },
    ]);
    return { entityType: type, entityId: survivorId, otherId: mergedId, decisionIds, lastChangeId, people: type === 'person' ? [survivorId, mergedId] : [] };
  });
}

/**
 * Records wrongly on one person move to a new person, made from the facts of the one whose
 * word counts most (the population register's, a subject before a mention, the latest read).
 * Refused for records not about the person, and when no record would be left.
 */
export async function splitEntity(
  knex: Knex, services: ResolutionServices, actor: DecisionActor, type: ResolvableEntity, entityId: string, recordIds: string[], note: string | null,
): Promise<DecisionResult> {
  if (type !== 'person') throw new SafeError('BAD_USER_INPUT', 'Only people can be split for now; merge enterprises and buildings, or correct them at their department.');
  if (recordIds.length === 0) throw new SafeError('BAD_USER_INPUT', 'Name the records that move to the new person.');
  const places = await services.places();
  return knex.transaction(async (trx) => {
    const person = await entityRow(trx, type, entityId);
    if (!person) throw notFound(type, entityId);
    const all = await slotsOf(trx, type, entityId);
    const wanted = new Set(recordIds);
    const moving = all.filter((s) => wanted.has(s.recordId));
    const stray = recordIds.find((id) => !moving.some((s) => s.recordId === id));
    if (stray !== undefined) throw new SafeError('BAD_USER_INPUT', `Record ${stray} is not about this person.`, { recordId: stray });
    const staying = all.filter((s) => !wanted.has(s.recordId));
    if (staying.length === 0) throw new SafeError('BAD_USER_INPUT', 'Every record of the person would move: nothing would be left. Merge or correct the person instead.');

    const rank = (s: Slot) => [s.departmentName === MASTER[type] ? 0 : 1, s.mentionIndex === null ? 0 : 1, -s.fetchedAt.getTime()];
    const best = [...moving].sort((a, b) => {
      const [x, y] = [rank(a), rank(b)];
      for (let i = 0; i < x.length; i++) if ((x[i] as number) !== (y[i] as number)) return (x[i] as number) - (y[i] as number);
      return 0;
    })[0] as Slot;
    const f = factsOf(best.facts) as PersonFacts & { idNumber?: string };
    const parsed = places.parse(f.address);
    const evidence = personEvidence(f.idNumber ?? null, f, parsed);
    // The record's own valid ID number, unless someone (the person split from, most likely) holds it.
    let idNumber = personKey(f.idNumber ?? null);
    if (idNumber !== null && (await trx('person').where('id_number', idNumber).first('id'))) idNumber = null;
    const home = parsed === null ? null : await homeOf(trx, parsed.dwellingKey, parsed.buildingKey);
    const areas = home ?? (parsed ? { ...places.areasOf(parsed), dwelling_id: null, building_id: null } : null);
    const [created] = (await trx('person').insert({
      id_number: idNumber, name: goldenName(f.name) ?? String(person.name), sex: evidence.sex, birth_date: f.birthDate ?? evidence.births[0] ?? null,
      phone: f.phone ?? null, residence_type: f.residenceType ?? 'floating',
      dwelling_id: areas?.dwelling_id ?? null, building_id: areas?.building_id ?? null, grid_id: areas?.grid_id ?? null,
      street_id: areas?.street_id ?? null, community_id: areas?.community_id ?? null, district_id: areas?.district_id ?? null,
    }).returning('id')) as Row[];
    const newId = String(created?.id);

    await linkSlots(trx, type, newId, moving);
    const at = new Date();
    const who = { actor: actor.name, role: actor.role, note, at };
    const decisionIds = await decide(trx, [
      { entity_type: type, decision: 'split', source_record_id: null, mention_index: null, entity_id: entityId, other_entity_id: newId, ...who },
      ...moving.flatMap((s): DecisionRow[] => [
        { entity_type: type, decision: 'no_link', source_record_id: s.recordId, mention_index: s.mentionIndex, entity_id: entityId, other_entity_id: null, ...who },
        { entity_type: type, decision: 'link', source_record_id: s.recordId, mention_index: s.mentionIndex, entity_id: newId, other_entity_id: null, ...who },
      ]),
    ]);
    // Both people's keys again, from the records each holds now.
    await trx('resolution_key').where('entity_type', type).whereIn('entity_id', [entityId, newId]).delete();
    await trx('resolution_profile').where('entity_type', type).whereIn('entity_id', [entityId, newId]).delete();
    await rememberStored(trx, places, services.resolver, [
      ...staying.map((s) => ({ entityId, facts: s.facts })),
      ...moving.map((s) => ({ entityId: newId, facts: s.facts })),
    ]);
    const lastChangeId = await changed(trx, [
      { type, id: entityId, change: 'updated', departmentId: null },
      { type, id: newId, change: 'created', departmentId: null },
    ]);
    return { entityType: type, entityId, otherId: newId, decisionIds, lastChangeId, people: [entityId, newId] };
  });
}

/** The dwelling (or else the building) at a normalised address, with the areas it sits in. */
async function homeOf(trx: Knex.Transaction, dwellingKey: string | null, buildingKey: string) {
  const areaColumns = ['b.grid_id', 'b.street_id', 'b.community_id', 'b.district_id'];
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  if (dwellingKey !== null) {
    const d = (await trx('dwelling as d').join('address as a', 'a.id', 'd.address_id').join('building as b', 'b.id', 'd.building_id')
      .where('a.normalized', dwellingKey).first('d.id as dwelling_id', 'b.id as building_id', ...areaColumns)) as Row | undefined;
    if (d) return { dwelling_id: str(d.dwelling_id), building_id: str(d.building_id), grid_id: str(d.grid_id), street_id: str(d.street_id), community_id: str(d.community_id), district_id: str(d.district_id) };
  }
  const b = (await trx('building as b').join('address as a', 'a.id', 'b.address_id').where('a.normalized', buildingKey)
    .first('b.id as building_id', ...areaColumns)) as Row | undefined;
  return b ? { dwelling_id: null, building_id: str(b.building_id), grid_id: str(b.grid_id), street_id: str(b.street_id), community_id: str(b.community_id), district_id: str(b.district_id) } : null;
}
