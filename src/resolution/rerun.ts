/**
 * Resolution over what is stored, rather than one batch as it arrives:
 * - relinkUnlinked: records and mentions still unlinked get another look once new people exist
 *   (a 110 caller synced before the population register);
 * - resolveAll (`npx liandong resolve --all`): rebuilds every person's keys from the records
 *   linked by key, a human or creation, estimates the model (u from random pairs, m by EM),
 *   then resolves every other slot again against it. Idempotent, and resumable: the run keeps
 *   its position in resolution_run, one committed batch at a time.
 */
import type { Knex } from 'knex';
import type { PersonFacts } from '../domain/canonical.js';
import type { Places } from '../store/ingest/places.js';
import type { Row } from '../store/loaders.js';
import { mapInTurns } from '../store/timeSlice.js';
import { bulkInsert } from '../store/ingest/bulk.js';
import { estimateM, estimateU, type MatchModel, type Vector } from './model.js';
import { BIRTH_FIELD, NAME_FIELD, PHONE_FIELD, comparePerson, personEvidence, personKeys, profileOf, type PersonEvidence, type PersonProfile } from './person.js';
import { slotKey, type PersonSlot } from './people.js';
import type { Resolver } from './index.js';
import type { LinkOutcome } from './types.js';
import { RETURNING_POSITION, lastPositionOf } from '../events/outbox.js';

const BATCH = 2000;

/** One person slot as stored: a record's subject or one of its mentions. */
interface StoredSlot {
  recordId: string;
  /** source_link id for a mention; null for the subject. */
  linkId: string | null;
  mentionIndex: number | null;
  departmentId: string;
  entityId: string | null;
  method: string | null;
  evidence: PersonEvidence;
}

export interface RerunCounts {
  examined: number;
  linked: number;
  moved: number;
  unlinked: number;
  review: number;
}

export interface ResolveAllProgress {
  stage: 'keys' | 'estimate' | 'resolve';
  done: number;
  total: number;
}

type ChangeRow = { entity_type: string; entity_id: string; change: string; department_id: string; at: Date };

/** Stored person slots of the records with ids in (after, after + BATCH], filtered by `which`. */
async function storedSlots(knex: Knex | Knex.Transaction, places: Places, after: string, which: 'linked-by-key' | 'not-by-key'): Promise<{ slots: StoredSlot[]; last: string | null }> {
  const records = (await knex('source_record').where('id', '>', after).orderBy('id').limit(BATCH)
    .select('id', 'department_id', 'link_type', 'entity_id', 'link_method', 'facts')) as Row[];
  if (records.length === 0) return { slots: [], last: null };
  const last = String(records[records.length - 1]?.id);
  const links = (await knex('source_link').where('entity_type', 'person').whereRaw('source_record_id = any(?::bigint[])', [records.map((r) => String(r.id))])
    .select('id', 'source_record_id', 'mention_index', 'entity_id', 'link_method', 'facts')) as Row[];
  const departmentOf = new Map(records.map((r) => [String(r.id), String(r.department_id)]));
  const keep = (entityId: unknown, method: unknown) => {
    const m = method === null || method === undefined ? null : String(method);
    const byKey = entityId !== null && (m === 'key' || m === 'human' || m === 'created' || m === null);
    return which === 'linked-by-key' ? byKey : !byKey;
  };
  const evidenceOf = (facts: unknown) => evidenceOfFacts(places, facts);
  const slots: StoredSlot[] = [];
  for (const r of records) {
    if (r.link_type !== 'person' || !keep(r.entity_id, r.link_method)) continue;
    slots.push({ recordId: String(r.id), linkId: null, mentionIndex: null, departmentId: String(r.department_id), entityId: r.entity_id === null ? null : String(r.entity_id), method: r.link_method === null ? null : String(r.link_method), evidence: evidenceOf(r.facts) });
  }
  for (const l of links) {
    if (!keep(l.entity_id, l.link_method)) continue;
    slots.push({
      recordId: String(l.source_record_id), linkId: String(l.id), mentionIndex: Number(l.mention_index), departmentId: departmentOf.get(String(l.source_record_id)) ?? '',
      entityId: l.entity_id === null ? null : String(l.entity_id), method: l.link_method === null ? null : String(l.link_method), evidence: evidenceOf(l.facts),
    });
  }
  return { slots, last };
}

/** Resolves the slots again and writes what changed: links, review candidates, keys and change events. */
async function rewrite(trx: Knex.Transaction, resolver: Resolver, slots: StoredSlot[], counts: RerunCounts, changes: ChangeRow[]): Promise<void> {
  if (slots.length === 0) return;
  counts.examined += slots.length;
  const decisions = await resolver.decisions(trx, [...new Set(slots.map((s) => s.recordId))]);
  const asSlots: PersonSlot[] = slots.map((s) => ({ evidence: s.evidence, recordId: s.recordId, mentionIndex: s.mentionIndex }));
  const outcomes = await resolver.people.resolve(trx, asSlots, decisions);
  const remember: Array<{ evidence: PersonEvidence; entityId: string }> = [];
  const recordUpdates: Row[] = [];
  const linkUpdates: Row[] = [];
  const candidates: Row[] = [];
  const now = new Date();
  slots.forEach((s, i) => {
    const o = outcomes[i] as LinkOutcome;
    for (const c of o.review) {
      candidates.push({ entity_type: 'person', source_record_id: s.recordId, mention_index: s.mentionIndex, candidate_id: c.entityId, score: c.score, evidence: JSON.stringify(c.evidence), status: 'pending', created_at: now });
    }
    if (o.review.length > 0) counts.review++;
    if (o.entityId === s.entityId && (o.method ?? null) === s.method) return;
    if (o.entityId !== null) {
      remember.push({ evidence: s.evidence, entityId: o.entityId });
      if (s.entityId === null) counts.linked++;
      else counts.moved++;
    } else if (s.entityId !== null) counts.unlinked++;
    const row = {
      id: s.linkId ?? s.recordId, entity_id: o.entityId, link_method: o.method, link_score: o.score,
      link_evidence: o.evidence === null ? null : JSON.stringify(o.evidence),
    };
    (s.linkId === null ? recordUpdates : linkUpdates).push(row);
    for (const id of [s.entityId, o.entityId]) if (id !== null) changes.push({ entity_type: 'person', entity_id: id, change: 'updated', department_id: s.departmentId, at: now });
  });
  const update = async (table: 'source_record' | 'source_link', rows: Row[]) => {
    if (rows.length === 0) return;
    await trx.raw(
      `update ${table} t set entity_id = u.entity_id, link_method = u.link_method, link_score = u.link_score, link_evidence = u.link_evidence::json
         ${table === 'source_record' ? ", entity_type = case when u.entity_id is null then null else 'person' end" : ''}
       from json_to_recordset(?::json) as u(id bigint, entity_id bigint, link_method text, link_score double precision, link_evidence text)
       where t.id = u.id`,
      [JSON.stringify(rows)],
    );
  };
  await update('source_record', recordUpdates);
  await update('source_link', linkUpdates);
  await trx('match_candidate').whereRaw('source_record_id = any(?::bigint[])', [[...new Set(slots.map((s) => s.recordId))]]).where('status', 'pending')
    .where('entity_type', 'person').delete();
  await bulkInsert(trx, 'match_candidate', candidates, 'on conflict do nothing');
  await resolver.people.remember(trx, remember);
}

async function writeChanges(trx: Knex.Transaction, changes: ChangeRow[]): Promise<string | null> {
  const unique = new Map(changes.map((c) => [`${c.entity_type}:${c.entity_id}`, c]));
  if (unique.size === 0) return null;
  const rows = await bulkInsert(trx, 'change_event', [...unique.values()], RETURNING_POSITION);
  return lastPositionOf(rows);
}

/**
 * Unlinked person slots only, read through partial indexes (subjects, then mentions, each by its
 * own id): the relink after every sync must not read the whole store.
 */
async function unlinkedSlots(knex: Knex, places: Places, table: 'source_record' | 'source_link', after: string): Promise<{ slots: StoredSlot[]; last: string | null }> {
  const rows = (table === 'source_record'
    ? await knex('source_record').whereNull('entity_id').where('link_type', 'person').where('id', '>', after).orderBy('id').limit(BATCH)
      .select('id', 'id as record_id', 'department_id', 'facts', knex.raw('null::int as mention_index'))
    : await knex('source_link as l').join('source_record as s', 's.id', 'l.source_record_id').whereNull('l.entity_id').where('l.entity_type', 'person')
      .where('l.id', '>', after).orderBy('l.id').limit(BATCH)
      .select('l.id', 'l.source_record_id as record_id', 's.department_id', 'l.facts', 'l.mention_index')) as Row[];
  if (rows.length === 0) return { slots: [], last: null };
  return {
    last: String(rows[rows.length - 1]?.id),
    slots: await mapInTurns(rows, (r) => ({
      recordId: String(r.record_id), linkId: table === 'source_link' ? String(r.id) : null, mentionIndex: r.mention_index === null ? null : Number(r.mention_index),
      departmentId: String(r.department_id), entityId: null, method: null, evidence: evidenceOfFacts(places, r.facts),
    })),
  };
}

/** Keys for person slots just linked by key outside resolution (relinked on their ID number). */
export async function rememberStored(trx: Knex.Transaction, places: Places, resolver: Resolver, rows: ReadonlyArray<{ entityId: string; facts: unknown }>): Promise<void> {
  await resolver.people.remember(trx, await mapInTurns(rows, (r) => ({ entityId: r.entityId, evidence: evidenceOfFacts(places, r.facts) })));
}

function evidenceOfFacts(places: Places, facts: unknown): PersonEvidence {
  const f = (typeof facts === 'string' ? JSON.parse(facts) : (facts ?? {})) as PersonFacts & { idNumber?: string };
  return personEvidence(f.idNumber ?? null, f, places.parse(f.address));
}

/**
 * Another look at every unlinked person slot, when `newPeople` says there is someone new to
 * find. Returns the counts and the last change event written.
 */
export async function relinkUnlinked(knex: Knex, places: Places, resolver: Resolver, newPeople = true): Promise<RerunCounts & { lastChangeId: string | null }> {
  const counts: RerunCounts = { examined: 0, linked: 0, moved: 0, unlinked: 0, review: 0 };
  let lastChangeId: string | null = null;
  if (resolver.options.mode === 'keys' || !newPeople) return { ...counts, lastChangeId };
  for (const table of ['source_record', 'source_link'] as const) {
    let after = '0';
    for (;;) {
      const { slots, last } = await unlinkedSlots(knex, places, table, after);
      if (last === null) break;
      after = last;
      const worth = slots.filter((s) => s.evidence.idNumber !== null || s.evidence.name !== null);
      if (worth.length === 0) continue;
      const id = await knex.transaction(async (trx) => {
        const changes: ChangeRow[] = [];
        await rewrite(trx, resolver, worth, counts, changes);
        return writeChanges(trx, changes);
      });
      if (id !== null) lastChangeId = id;
    }
  }
  return { ...counts, lastChangeId };
}

/**
 * Everything again: keys from the records that link by key (or by a person's decision, or
 * created the entity), the model estimated from the data, then every other slot resolved
 * against it. A run that crashed resumes from its last committed batch.
 */
export async function resolveAll(
  knex: Knex, places: Places, resolver: Resolver,
  options: { onProgress?: (p: ResolveAllProgress) => void; estimate?: boolean } = {},
): Promise<RerunCounts & { runId: string; model: MatchModel; pairs: number; lastChangeId: string | null }> {
  const progress = options.onProgress ?? (() => undefined);
  const [{ max } = { max: 0 }] = (await knex('source_record').max('id as max')) as Array<{ max: unknown }>;
  const total = Number(max ?? 0);
  let run = (await knex('resolution_run').where('status', 'running').orderBy('id', 'desc').first()) as Row | undefined;
  if (!run) {
    const [created] = (await knex('resolution_run').insert({ status: 'running', after_record_id: 0, total, done: 0, counts: JSON.stringify({ stage: 'keys' }), started_at: new Date() }).returning('*')) as Row[];
    run = created as Row;
  }
  const runId = String(run.id);
  const state = (typeof run.counts === 'string' ? JSON.parse(run.counts) : run.counts) as { stage: 'keys' | 'resolve'; counts?: RerunCounts; pairs?: number };
  const counts: RerunCounts = state.counts ?? { examined: 0, linked: 0, moved: 0, unlinked: 0, review: 0 };
  let after = String(run.after_record_id);
  let pairs = state.pairs ?? 0;
  let lastChangeId: string | null = null;
  const save = (stage: 'keys' | 'resolve', position: string) => knex('resolution_run').where('id', runId)
    .update({ after_record_id: position, done: Number(position), total, counts: JSON.stringify({ stage, counts, pairs }) });

  if (state.stage === 'keys') {
    if (after === '0') {
      await knex('resolution_key').where('entity_type', 'person').delete();
      await knex('resolution_profile').where('entity_type', 'person').delete();
    }
    for (;;) {
      const { slots, last } = await storedSlots(knex, places, after, 'linked-by-key');
      if (last === null) break;
      after = last;
      await knex.transaction(async (trx) => {
        await resolver.people.remember(trx, slots.filter((s) => s.entityId !== null).map((s) => ({ evidence: s.evidence, entityId: s.entityId as string })));
      });
      await save('keys', after);
      progress({ stage: 'keys', done: Number(after), total });
    }
    if (options.estimate !== false) {
      progress({ stage: 'estimate', done: 0, total: 1 });
      const estimated = await estimate(knex, places, resolver);
      pairs = estimated.pairs;
      resolver.useModel(estimated.model);
      await knex('match_model').insert({ entity_type: 'person', model: JSON.stringify(estimated.model), pairs, estimated_at: new Date() })
        .onConflict('entity_type').merge();
      progress({ stage: 'estimate', done: 1, total: 1 });
    }
    after = '0';
    await save('resolve', after);
  } else {
    await resolver.load(knex);
  }

  for (;;) {
    const { slots, last } = await storedSlots(knex, places, after, 'not-by-key');
    if (last === null) break;
    after = last;
    const id = await knex.transaction(async (trx) => {
      const changes: ChangeRow[] = [];
      await rewrite(trx, resolver, slots.filter((s) => s.evidence.idNumber !== null || s.evidence.name !== null), counts, changes);
      const changed = await writeChanges(trx, changes);
      await trx('resolution_run').where('id', runId).update({ after_record_id: after, done: Number(after), counts: JSON.stringify({ stage: 'resolve', counts, pairs }) });
      return changed;
    });
    if (id !== null) lastChangeId = id;
    progress({ stage: 'resolve', done: Number(after), total });
  }
  await knex('resolution_run').where('id', runId).update({ status: 'succeeded', finished_at: new Date(), done: total, counts: JSON.stringify({ stage: 'resolve', counts, pairs }) });
  return { ...counts, runId, model: resolver.model, pairs, lastChangeId };
}

/**
 * The model from the data, as Splink estimates it: pairs of records, each record against one
 * other record (never against a profile that already holds its own values). u from records
 * paired at random, m by EM over the pairs that share a blocking key.
 */
async function estimate(knex: Knex, places: Places, resolver: Resolver): Promise<{ model: MatchModel; pairs: number }> {
  const evidence: PersonEvidence[] = [];
  let after = '0';
  while (evidence.length < 40_000) {
    const { slots, last } = await storedSlots(knex, places, after, 'linked-by-key');
    if (last === null) break;
    after = last;
    for (const s of slots) evidence.push(s.evidence);
  }
  const asProfile = (e: PersonEvidence, i: number) => profileOf(String(i), personKeys(e, true));
  const strip = (e: PersonEvidence): PersonEvidence => ({ ...e, validId: null, idNumber: e.validId === null ? e.idNumber : null });
  const random: Vector[] = [];
  // A fixed stride instead of a random generator: the estimate is the same on every run.
  for (let i = 0; i < evidence.length && random.length < 20_000; i++) {
    const j = (i * 7919 + 104_729) % evidence.length;
    if (j !== i) random.push(comparePerson(strip(evidence[i] as PersonEvidence), asProfile(evidence[j] as PersonEvidence, j)));
  }
  let model = random.length >= 200 ? estimateU(resolver.model, random) : resolver.model;

  // Training sessions as Splink runs them: pairs blocked on one rule teach the m of the fields
  // that rule does not fix. Same pinyin name and birth year teaches phone, address, household and
  // ID; the same phone teaches the name and birth date. Blocking within a building would teach
  // "the same family", not "the same person".
  const sessions: Array<{ kind: string; fixed: number[] }> = [
    { kind: 'pyb', fixed: [NAME_FIELD, BIRTH_FIELD] },
    { kind: 'ph', fixed: [PHONE_FIELD] },
  ];
  const fits = sessions.map(({ kind, fixed }) => {
    const vectors = blockedPairs(evidence, kind, asProfile, strip);
    return { fixed, vectors, fit: estimateM(model, vectors, { fixed }).model };
  });
  const pairs = fits.reduce((a, f) => a + f.vectors.length, 0);
  model = {
    ...model,
    fields: model.fields.map((field, i) => {
      const learnt = fits.filter((f) => !f.fixed.includes(i) && f.vectors.length >= 50).map((f) => f.fit.fields[i]?.m as number[]);
      if (learnt.length === 0) return field;
      return { ...field, m: field.m.map((_, l) => learnt.reduce((a, m) => a + (m[l] ?? 0), 0) / learnt.length) };
    }),
  };
  return { model, pairs };
}

/** Pairs of records sharing a blocking key of one kind, each compared once. */
function blockedPairs(evidence: PersonEvidence[], kind: string, asProfile: (e: PersonEvidence, i: number) => PersonProfile, strip: (e: PersonEvidence) => PersonEvidence): Vector[] {
  const blocks = new Map<string, number[]>();
  evidence.forEach((e, i) => {
    for (const k of personKeys({ ...e, validId: null }, true)) {
      if (k.kind !== kind) continue;
      let list = blocks.get(k.value);
      if (!list) blocks.set(k.value, (list = []));
      if (list.length < 30) list.push(i);
    }
  });
  const seen = new Set<string>();
  const vectors: Vector[] = [];
  for (const list of blocks.values()) {
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        const x = list[a] as number;
        const y = list[b] as number;
        if (seen.has(`${x}:${y}`)) continue;
        seen.add(`${x}:${y}`);
        vectors.push(comparePerson(strip(evidence[x] as PersonEvidence), asProfile(evidence[y] as PersonEvidence, y)));
      }
    }
  }
  return vectors;
}

export { slotKey };
