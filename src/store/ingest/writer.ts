/**
 * Writes one batch of mapped department records into the canonical store, in one transaction
 * with the stream's cursor: provenance rows keyed by (department, stream, source id), the
 * canonical entities they describe (created or updated according to the department's authority),
 * the links to every entity they name, dead letters, and an outbox row for every canonical
 * entity that changed.
 *
 * Every step is one statement per batch and per table, never one per record: a district's
 * sync is millions of records.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type {
  Authority, BuildingRef, Cursor, DwellingRef, EnterpriseRef, EntityRef, MappedRecord, PersonRef,
} from '../../domain/canonical.js';
import { isValidCreditCode } from '../../domain/creditCode.js';
import { isValidResidentId } from '../../domain/idNumber.js';
import type { ParsedAddress } from '../../domain/address.js';
import type { Resolver } from '../../resolution/index.js';
import { hasUsableEvidence, personEvidence, type PersonEvidence } from '../../resolution/person.js';
import { enterpriseEvidence, type EnterpriseEvidence } from '../../resolution/enterprises.js';
import type { PersonSlot } from '../../resolution/people.js';
import { goldenName } from '../../resolution/golden.js';
import type { Decisions, LinkOutcome } from '../../resolution/types.js';
import type { Row } from '../loaders.js';
import type { AreaIds, Places } from './places.js';
import { anyOf, bulkInsert } from './bulk.js';
import { mapInTurns, TimeSlice } from '../timeSlice.js';
import { RETURNING_POSITION, lastPositionOf } from '../../events/outbox.js';

/** One record the connector read and mapped, with its raw form for provenance. */
export interface MappedInput {
  mapped: MappedRecord;
  /** The record as the source gave it, serialised once (what the hash and the payload column hold). */
  payload: string;
}

export interface DeadLetterInput {
  sourceId: string | null;
  stage: 'parse' | 'map' | 'store';
  reason: string;
  raw: string;
}

export interface BatchInput {
  departmentId: string;
  stream: string;
  fetchedAt: Date;
  records: MappedInput[];
  deadLetters: DeadLetterInput[];
  /** The stream's position after this batch; null for pushed records (the cursor does not move). */
  cursor: Cursor | null;
}

export interface BatchResult {
  /** Records now stored: new, changed, or unchanged since the last read. */
  stored: number;
  /** Of those, records that were new or differed from what was stored. */
  changed: number;
  deadLettered: number;
  /** Stored records that could not be linked to a canonical entity (their key was invalid or unknown). */
  unlinked: number;
  /** Canonical entities created or updated, as written to the outbox. */
  entityChanges: number;
  /** The outbox position (`tx:id`, src/events/outbox.ts) of the last change_event the batch wrote, for its notice; null when it changed no entity. */
  lastChangeId: string | null;
  /** People the batch created: records left unlinked elsewhere may now match them. */
  peopleCreated: number;
}

type EntityType = 'person' | 'building' | 'dwelling' | 'enterprise';
type Resolvable = Exclude<EntityRef, { kind: 'record' }>;

/** A reference with its linking key worked out (null: cannot be linked safely). */
interface Keyed<R extends Resolvable = Resolvable> {
  ref: R;
  key: string | null;
  parsed: ParsedAddress | null;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function personKey(idNumber: string | null): string | null {
  if (!idNumber) return null;
  const id = idNumber.trim().toUpperCase();
  return isValidResidentId(id) ? id : null;
}

export function enterpriseKey(creditCode: string | null): string | null {
  if (!creditCode) return null;
  const code = creditCode.trim().toUpperCase();
  return isValidCreditCode(code) ? code : null;
}

const RANK: Record<Authority, number> = { master: 2, registry: 1, reference: 0 };

/** Per entity key, the reference with the strongest authority (the last one among equals). */
function strongest<R extends Resolvable>(items: Keyed<R>[]): Map<string, Keyed<R>> {
  const out = new Map<string, Keyed<R>>();
  for (const item of items) {
    if (item.key === null || item.ref.authority === 'reference') continue;
    const prev = out.get(item.key);
    if (!prev || RANK[item.ref.authority] >= RANK[prev.ref.authority]) out.set(item.key, item);
  }
  return out;
}

/**
 * PostgreSQL text cannot hold NUL, and a dead letter must store whatever the source sent (a NUL
 * in a CSV row or an XML element is exactly why it is dead): NUL is kept visibly as `\\u0000`.
 */
export function storableText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\\u0000') : text;
}

const nn = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** Where a reference sits in the batch: its record and, for a mention, its place among the record's mentions. */
interface Slot {
  sourceId: string;
  mentionIndex: number | null;
}

type LinkFields = { link_method: string | null; link_score: number | null; link_evidence: string | null };

const linkFields = (o: LinkOutcome | null, linked: boolean): LinkFields => (o && o.entityId !== null
  ? { link_method: o.method, link_score: o.score, link_evidence: o.evidence === null ? null : JSON.stringify(o.evidence) }
  : linked ? { link_method: 'key', link_score: 1, link_evidence: null } : { link_method: null, link_score: null, link_evidence: null });

export class BatchWriter {
  constructor(readonly places: Places, private readonly resolver: Resolver) {}

  async write(trx: Knex.Transaction, batch: BatchInput): Promise<BatchResult> {
    const result: BatchResult = { stored: 0, changed: 0, deadLettered: 0, unlinked: 0, entityChanges: 0, lastChangeId: null, peopleCreated: 0 };
    const departmentId = batch.departmentId;

    // The last version of each source id wins within a batch; earlier ones are superseded, not lost.
    const latest = new Map<string, MappedInput>();
    for (const r of batch.records) latest.set(r.mapped.sourceId, r);
    result.stored += batch.records.length - latest.size;

    const existing = new Map<string, string>();
    const recordIds = new Map<string, string>();
    if (latest.size > 0) {
      // One index probe per key (a lateral join): with thousands of keys, `= any(…)` lets the
      // planner pick a scan of the whole stream instead.
      const rows = ((await trx.raw(
        `select s.id, s.source_id, s.payload_hash from unnest(?::text[]) as k(source_id)
         join lateral (select id, source_id, payload_hash from source_record
                       where department_id = ? and stream = ? and source_id = k.source_id) s on true`,
        [[...latest.keys()], departmentId, batch.stream],
      )) as { rows: Row[] }).rows;
      for (const r of rows) {
        existing.set(String(r.source_id), String(r.payload_hash));
        recordIds.set(String(r.source_id), String(r.id));
      }
    }
    const work: Array<MappedInput & { hash: string }> = [];
    const slice = new TimeSlice();
    for (const r of latest.values()) {
      if (slice.spent()) await slice.next();
      const hash = sha256(r.payload);
      if (existing.get(r.mapped.sourceId) === hash) result.stored++;
      else work.push({ ...r, hash });
    }

    let saved: Row[] = [];
    if (work.length > 0) {
      const changes: Array<{ entity_type: EntityType; entity_id: string; change: 'created' | 'updated' }> = [];
      const resolved = await this.resolve(trx, departmentId, work.map((w) => w.mapped), recordIds, changes);

      const rows = work.map((w) => {
        const s = resolved.subject(w.mapped);
        return {
          department_id: departmentId, stream: batch.stream, source_id: w.mapped.sourceId, fetched_at: batch.fetchedAt,
          payload_hash: w.hash, payload: w.payload,
          entity_type: s.type, entity_id: s.id, link_type: s.type, link_key: s.key,
          facts: s.facts === null ? null : JSON.stringify(s.facts), source_updated_at: w.mapped.updatedAt ?? null,
          ...linkFields(s.outcome, s.id !== null),
        };
      });
      const updated = ['fetched_at', 'payload_hash', 'payload', 'entity_type', 'entity_id', 'link_type', 'link_key', 'facts', 'source_updated_at', 'link_method', 'link_score', 'link_evidence'];
      saved = await bulkInsert(trx, 'source_record', rows,
        `on conflict (department_id, stream, source_id) do update set ${updated.map((c) => `${c} = excluded.${c}`).join(', ')} returning id, source_id, entity_type, entity_id, (xmax = 0) as inserted`);
      result.stored += saved.length;
      result.changed += saved.length;
      result.unlinked += saved.filter((r) => r.entity_id === null).length;

      const idBySource = new Map(saved.map((r) => [String(r.source_id), String(r.id)]));
      // Links of a changed record are replaced; a new record has none yet.
      const replaced = saved.filter((r) => existing.has(String(r.source_id))).map((r) => String(r.id));
      if (replaced.length > 0) await trx('source_link').whereRaw(anyOf('source_record_id', 'bigint'), [replaced]).delete();
      const links = work.flatMap((w) => (w.mapped.mentions ?? []).map((m, mentionIndex) => {
        const t = resolved.target(m.ref);
        return t.type === null ? null : {
          source_record_id: idBySource.get(w.mapped.sourceId), mention_index: mentionIndex, role: m.role, entity_type: t.type, entity_id: t.id, link_key: t.key,
          facts: t.facts === null ? null : JSON.stringify(t.facts), ...linkFields(t.outcome, t.id !== null),
        };
      })).filter((l) => l !== null);
      await bulkInsert(trx, 'source_link', links);

      // The review queue: a changed record's open candidates are replaced by what this read found.
      const reviewed = saved.map((r) => String(r.id));
      await trx('match_candidate').whereRaw(anyOf('source_record_id', 'bigint'), [reviewed]).where('status', 'pending').delete();
      const candidates = work.flatMap((w) => {
        const recordId = idBySource.get(w.mapped.sourceId);
        const refs: Array<[EntityRef | null, number | null]> = [[w.mapped.subject, null], ...(w.mapped.mentions ?? []).map((m, i): [EntityRef, number] => [m.ref, i])];
        return refs.flatMap(([ref, mentionIndex]) => (ref === null ? [] : (resolved.target(ref).outcome?.review ?? []).map((c) => ({
          entity_type: ref.kind, source_record_id: recordId, mention_index: mentionIndex, candidate_id: c.entityId, score: c.score,
          evidence: JSON.stringify(c.evidence), status: 'pending', created_at: batch.fetchedAt,
        }))));
      });
      await bulkInsert(trx, 'match_candidate', candidates, 'on conflict do nothing');

      // Every entity that gained, lost or changed a record is changed for its readers (search documents, entityChanged).
      for (const r of saved) {
        if (r.entity_id !== null && r.entity_type !== null) changes.push({ entity_type: String(r.entity_type) as EntityType, entity_id: String(r.entity_id), change: 'updated' });
      }
      for (const l of links) if (l.entity_id !== null) changes.push({ entity_type: l.entity_type, entity_id: l.entity_id, change: 'updated' });

      // The first change of an entity says whether the batch created it.
      const unique = new Map<string, (typeof changes)[number]>();
      for (const c of changes) if (!unique.has(`${c.entity_type}:${c.entity_id}`)) unique.set(`${c.entity_type}:${c.entity_id}`, c);
      if (unique.size > 0) {
        const ids = await bulkInsert(trx, 'change_event', [...unique.values()].map((c) => ({ ...c, department_id: departmentId, at: batch.fetchedAt })), RETURNING_POSITION);
        result.lastChangeId = lastPositionOf(ids);
      }
      result.entityChanges = unique.size;
      result.peopleCreated = [...unique.values()].filter((c) => c.entity_type === 'person' && c.change === 'created').length;
    }

    if (latest.size > 0) {
      // A record that now stores cleanly is no longer a dead letter.
      await trx('dead_letter').where({ department_id: departmentId, stream: batch.stream }).whereNull('resolved_at')
        .whereRaw(anyOf('source_id'), [[...latest.keys()]]).update({ resolved_at: batch.fetchedAt });
    }
    result.deadLettered = await this.deadLetters(trx, departmentId, batch.stream, batch.deadLetters, batch.fetchedAt);

    if (batch.cursor !== null) {
      await trx('stream_state').insert({ department_id: departmentId, stream: batch.stream, cursor: JSON.stringify(batch.cursor), updated_at: batch.fetchedAt })
        .onConflict(['department_id', 'stream']).merge(['cursor', 'updated_at']);
    }
    // Counted from what the upsert did, not from what this batch saw before it: two pushes of a
    // new record at once both see it missing, but only one of them inserts it (xmax = 0).
    const inserted = saved.filter((r) => r.inserted === true).length;
    if (inserted > 0) {
      await trx('connector_state').where('department_id', departmentId).update({ record_count: trx.raw('record_count + ?', [inserted]) });
    }
    return result;
  }

  private async deadLetters(trx: Knex.Transaction, departmentId: string, stream: string, letters: DeadLetterInput[], at: Date): Promise<number> {
    if (letters.length === 0) return 0;
    const unique = new Map(letters.map((l) => [sha256(l.raw), l]));
    const rows = [...unique.entries()].map(([hash, l]) => ({
      department_id: departmentId, stream, source_id: l.sourceId === null ? null : storableText(l.sourceId), stage: l.stage,
      reason: storableText(l.reason).slice(0, 2000), raw: storableText(l.raw),
      raw_hash: hash, attempts: 1, first_seen_at: at, last_seen_at: at,
    }));
    // A record that fails again is the same dead letter seen again, not a new one.
    await trx('dead_letter').insert(rows).onConflict(['department_id', 'stream', 'raw_hash'])
      .merge({ attempts: trx.raw('dead_letter.attempts + 1'), last_seen_at: at, reason: trx.raw('excluded.reason'), resolved_at: null });
    return letters.length;
  }

  /**
   * Links every reference in the batch to its canonical entity, creating or updating entities
   * where the department's authority allows. Order matters: buildings before the dwellings in
   * them, dwellings before the people living there.
   */
  private async resolve(trx: Knex.Transaction, departmentId: string, records: MappedRecord[], recordIds: ReadonlyMap<string, string>, changes: ChangeSink) {
    const keyed = new Map<EntityRef, Keyed>();
    const slots = new Map<EntityRef, Slot>();
    const all: Keyed[] = [];
    const recordRefs: Array<{ stream: string; sourceId: string }> = [];
    const visit = (ref: EntityRef | null, slot: Slot) => {
      if (ref === null) return;
      if (ref.kind === 'record') {
        recordRefs.push({ stream: ref.stream, sourceId: ref.sourceId });
        return;
      }
      const k = this.keyOf(ref);
      keyed.set(ref, k);
      slots.set(ref, slot);
      all.push(k);
    };
    // A building register's door plates teach the normaliser before any address of the batch is read.
    for (const r of records) if (r.subject?.kind === 'building') this.places.learnBuilding(r.subject.facts);
    for (const r of records) {
      visit(r.subject, { sourceId: r.sourceId, mentionIndex: null });
      (r.mentions ?? []).forEach((m, i) => visit(m.ref, { sourceId: r.sourceId, mentionIndex: i }));
      if (r.subject?.kind === 'dwelling' && r.subject.building) recordRefs.push(r.subject.building);
    }
    const ofKind = <K extends Resolvable['kind']>(kind: K) => all.filter((k): k is Keyed<Extract<Resolvable, { kind: K }>> => k.ref.kind === kind);
    const decisions = await this.resolver.decisions(trx, [...recordIds.values()]);
    const slotOf = (ref: EntityRef) => {
      const s = slots.get(ref) as Slot;
      return { recordId: recordIds.get(s.sourceId) ?? null, mentionIndex: s.mentionIndex };
    };

    const recordTargets = await this.recordTargets(trx, departmentId, recordRefs);
    const buildings = await this.buildings(trx, ofKind('building'), changes);
    const dwellings = await this.dwellings(trx, ofKind('dwelling'), buildings, recordTargets, changes);
    const enterprises = await this.enterprises(trx, ofKind('enterprise'), slotOf, decisions, changes);
    const people = await this.people(trx, ofKind('person'), slotOf, decisions, changes);

    const ids: Record<Exclude<EntityType, 'person'>, Map<string, string>> = { building: buildings, dwelling: dwellings.ids, enterprise: enterprises.known };
    const target = (ref: EntityRef): { type: EntityType | null; id: string | null; key: string | null; facts: Record<string, unknown> | null; outcome: LinkOutcome | null } => {
      if (ref.kind === 'record') {
        const t = recordTargets.get(`${ref.stream}\u0000${ref.sourceId}`);
        return { type: (t?.type ?? null) as EntityType | null, id: t?.id ?? null, key: null, facts: null, outcome: null };
      }
      const k = keyed.get(ref) as Keyed;
      const facts: Record<string, unknown> = { ...ref.facts };
      if (ref.kind === 'person' && ref.idNumber) facts.idNumber = ref.idNumber;
      if (ref.kind === 'enterprise' && ref.creditCode) facts.creditCode = ref.creditCode;
      if (ref.kind === 'building' || ref.kind === 'dwelling') facts.address = ref.address;
      if (k.parsed) facts.addressKey = k.parsed.dwellingKey ?? k.parsed.buildingKey;
      if (ref.kind === 'person' || ref.kind === 'enterprise') {
        const outcome = (ref.kind === 'person' ? people.get(ref) : enterprises.outcomes.get(ref)) ?? null;
        return { type: ref.kind, id: outcome?.entityId ?? null, key: k.key, facts, outcome };
      }
      return { type: ref.kind, id: k.key === null ? null : (ids[ref.kind].get(k.key) ?? null), key: k.key, facts, outcome: null };
    };
    return {
      subject: (m: MappedRecord) => (m.subject === null ? { type: null, id: null, key: null, facts: null, outcome: null } : target(m.subject)),
      target,
    };
  }

  private keyOf(ref: Resolvable): Keyed {
    switch (ref.kind) {
      case 'person': return { ref, key: personKey(ref.idNumber), parsed: this.places.parse(ref.facts.address) };
      case 'enterprise': return { ref, key: enterpriseKey(ref.creditCode), parsed: this.places.parse(ref.facts.address) };
      case 'building': {
        const parsed = this.places.parse(ref.address);
        return { ref, key: parsed?.buildingKey ?? null, parsed };
      }
      case 'dwelling': {
        const parsed = this.places.parse(ref.address);
        return { ref, key: parsed ? (parsed.dwellingKey ?? parsed.buildingKey) : null, parsed };
      }
    }
  }

  private async recordTargets(trx: Knex.Transaction, departmentId: string, refs: Array<{ stream: string; sourceId: string }>) {
    const out = new Map<string, { type: string; id: string }>();
    if (refs.length === 0) return out;
    const pairs = [...new Map(refs.map((r) => [`${r.stream}\u0000${r.sourceId}`, r])).values()];
    const rows = ((await trx.raw(
      `select s.stream, s.source_id, s.entity_type, s.entity_id from source_record s
       join unnest(?::text[], ?::text[]) as r(stream, source_id) on s.stream = r.stream and s.source_id = r.source_id
       where s.department_id = ? and s.entity_id is not null`,
      [pairs.map((p) => p.stream), pairs.map((p) => p.sourceId), departmentId],
    )) as { rows: Row[] }).rows;
    for (const r of rows) out.set(`${String(r.stream)}\u0000${String(r.source_id)}`, { type: String(r.entity_type), id: String(r.entity_id) });
    return out;
  }

  /** Address rows for normalised keys, created when missing; key → address id. */
  private async addresses(trx: Knex.Transaction, items: Array<{ key: string; text: string; parsed: ParsedAddress; areas: AreaIds }>): Promise<Map<string, string>> {
    const unique = new Map(items.map((i) => [i.key, i]));
    if (unique.size === 0) return new Map();
    const created = await bulkInsert(trx, 'address', [...unique.values()].map((i) => ({
      normalized: i.key, text: i.text, estate: i.parsed.estate, building_no: i.parsed.building, unit: i.parsed.unit, room: i.parsed.room,
      district_id: i.areas.district_id, street_id: i.areas.street_id, community_id: i.areas.community_id,
    })), 'on conflict (normalized) do nothing returning id, normalized');
    const ids = new Map(created.map((r) => [String(r.normalized), String(r.id)]));
    for (const [k, id] of await this.lookup(trx, 'address', 'normalized', [...unique.keys()].filter((k) => !ids.has(k)))) ids.set(k, id);
    return ids;
  }

  private async lookup(trx: Knex.Transaction, table: string, column: string, keys: string[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    const rows = (await trx(table).whereRaw(anyOf(column), [[...new Set(keys)]]).select('id', column)) as Row[];
    return new Map(rows.map((r) => [String(r[column]), String(r.id)]));
  }

  private async buildings(trx: Knex.Transaction, refs: Keyed<BuildingRef>[], changes: ChangeSink): Promise<Map<string, string>> {
    const creating = strongest(refs);
    const known = new Map<string, string>();
    if (creating.size > 0) {
      const prepared = [...creating.values()].map((k) => {
        const parsed = k.parsed as ParsedAddress;
        const f = k.ref.facts;
        const located = f.lng !== undefined && f.lat !== undefined ? this.places.locate(f.lng, f.lat) : null;
        return { k, parsed, areas: located ?? this.places.areasOf(parsed) };
      });
      const addressIds = await this.addresses(trx, prepared.map((p) => ({ key: p.k.key as string, text: p.k.ref.address, parsed: p.parsed, areas: p.areas })));
      const keyOfAddress = new Map([...addressIds].map(([k, id]) => [id, k]));
      for (const authority of ['master', 'registry'] as const) {
        const rows = prepared.filter((p) => p.k.ref.authority === authority).map((p) => {
          const f = p.k.ref.facts;
          return {
            address_id: addressIds.get(p.k.key as string), name: f.name ?? p.k.ref.address, use: f.use ?? 'residential',
            floors: nn(f.floors), built_year: nn(f.builtYear), lat: nn(f.lat), lng: nn(f.lng), ...p.areas,
          };
        });
        const saved = await this.upsert(trx, 'building', rows, 'address_id', authority, ['name', 'use', 'floors', 'built_year', 'lat', 'lng', 'grid_id', 'street_id', 'community_id', 'district_id'], changes);
        for (const [addressId, id] of saved) known.set(keyOfAddress.get(addressId) ?? '', id);
      }
    }
    return this.placeIds(trx, 'building', refs, known);
  }

  /** Ids of buildings or dwellings by normalised address key: those just written, then the rest from the store. */
  private async placeIds(trx: Knex.Transaction, table: 'building' | 'dwelling', refs: Keyed[], known: Map<string, string>): Promise<Map<string, string>> {
    const missing = [...new Set(refs.map((r) => r.key).filter((k): k is string => k !== null && !known.has(k)))];
    if (missing.length > 0) {
      const rows = (await trx(table).join('address', 'address.id', `${table}.address_id`)
        .whereRaw(anyOf('address.normalized'), [missing]).select(`${table}.id`, 'address.normalized')) as Row[];
      for (const r of rows) known.set(String(r.normalized), String(r.id));
    }
    return known;
  }

  private async dwellings(
    trx: Knex.Transaction, refs: Keyed<DwellingRef>[], buildings: Map<string, string>, recordTargets: Map<string, { type: string; id: string }>, changes: ChangeSink,
  ): Promise<{ ids: Map<string, string> }> {
    const creating = strongest(refs);
    const known = new Map<string, string>();
    if (creating.size > 0) {
      const buildingIds = await this.buildingsById(trx, [...creating.values()].map((k) => this.dwellingBuilding(k, buildings, recordTargets)).filter((b): b is string => b !== null));
      const prepared = [...creating.values()].flatMap((k) => {
        const buildingId = this.dwellingBuilding(k, buildings, recordTargets);
        const building = buildingId ? buildingIds.get(buildingId) : undefined;
        if (!building || !k.parsed) return [];
        return [{ k, parsed: k.parsed, buildingId: buildingId as string, areas: building }];
      });
      const addressIds = await this.addresses(trx, prepared.map((p) => ({ key: p.k.key as string, text: p.k.ref.address, parsed: p.parsed, areas: p.areas })));
      const keyOfAddress = new Map([...addressIds].map(([k, id]) => [id, k]));
      for (const authority of ['master', 'registry'] as const) {
        const rows = prepared.filter((p) => p.k.ref.authority === authority).map((p) => {
          const f = p.k.ref.facts;
          return {
            address_id: addressIds.get(p.k.key as string), building_id: p.buildingId, unit: f.unit ?? p.parsed.unit, room: f.room ?? p.parsed.room,
            floor_area: nn(f.floorArea), occupancy: f.occupancy ?? 'owner_occupied',
          };
        });
        const saved = await this.upsert(trx, 'dwelling', rows, 'address_id', authority, ['building_id', 'unit', 'room', 'floor_area', 'occupancy'], changes);
        for (const [addressId, id] of saved) known.set(keyOfAddress.get(addressId) ?? '', id);
      }
    }
    return { ids: await this.placeIds(trx, 'dwelling', refs, known) };
  }

  private dwellingBuilding(k: Keyed<DwellingRef>, buildings: Map<string, string>, recordTargets: Map<string, { type: string; id: string }>): string | null {
    const b = k.ref.building;
    const viaRecord = b ? recordTargets.get(`${b.stream}\u0000${b.sourceId}`) : undefined;
    if (viaRecord?.type === 'building') return viaRecord.id;
    return k.parsed ? (buildings.get(k.parsed.buildingKey) ?? null) : null;
  }

  private async buildingsById(trx: Knex.Transaction, ids: string[]): Promise<Map<string, AreaIds>> {
    if (ids.length === 0) return new Map();
    const rows = (await trx('building').whereRaw(anyOf('id', 'bigint'), [[...new Set(ids)]]).select('id', 'grid_id', 'street_id', 'community_id', 'district_id')) as Row[];
    return new Map(rows.map((r) => [String(r.id), areaIdsOf(r)]));
  }

  /**
   * Where people live, by the dwelling (or village house) their address names; when the
   * register has no such dwelling (an unregistered room let to workers), by its building.
   */
  private async homes(trx: Knex.Transaction, parsed: ParsedAddress[]): Promise<Map<string, AreaIds & { dwelling_id: string | null; building_id: string }>> {
    const keys = new Set<string>();
    for (const p of parsed) keys.add(p.dwellingKey ?? p.buildingKey);
    if (keys.size === 0) return new Map();
    const rows = (await trx('dwelling').join('address', 'address.id', 'dwelling.address_id').join('building', 'building.id', 'dwelling.building_id')
      .whereRaw(anyOf('address.normalized'), [[...keys]])
      .select('address.normalized', 'dwelling.id as dwelling_id', 'building.id as building_id', 'building.grid_id', 'building.street_id', 'building.community_id', 'building.district_id')) as Row[];
    const out = new Map<string, AreaIds & { dwelling_id: string | null; building_id: string }>(
      rows.map((r) => [String(r.normalized), { ...areaIdsOf(r), dwelling_id: String(r.dwelling_id), building_id: String(r.building_id) }]));
    const missing = parsed.filter((p) => !out.has(p.dwellingKey ?? p.buildingKey));
    if (missing.length > 0) {
      const buildings = (await trx('building').join('address', 'address.id', 'building.address_id')
        .whereRaw(anyOf('address.normalized'), [[...new Set(missing.map((p) => p.buildingKey))]])
        .select('address.normalized', 'building.id as building_id', 'building.grid_id', 'building.street_id', 'building.community_id', 'building.district_id')) as Row[];
      const byBuilding = new Map(buildings.map((r) => [String(r.normalized), r]));
      for (const p of missing) {
        const b = byBuilding.get(p.buildingKey);
        if (b) out.set(p.dwellingKey ?? p.buildingKey, { ...areaIdsOf(b), dwelling_id: null, building_id: String(b.building_id) });
      }
    }
    return out;
  }

  private async enterprises(
    trx: Knex.Transaction, refs: Keyed<EnterpriseRef>[], slotOf: (ref: EntityRef) => { recordId: string | null; mentionIndex: number | null },
    decisions: Decisions, changes: ChangeSink,
  ): Promise<{ known: Map<string, string>; outcomes: Map<EnterpriseRef, LinkOutcome> }> {
    const creating = strongest(refs);
    const known = new Map<string, string>();
    if (creating.size > 0) {
      const parsed = [...creating.values()].map((k) => k.parsed).filter((p): p is ParsedAddress => p !== null);
      const buildingRows = parsed.length === 0 ? [] : (await trx('building').join('address', 'address.id', 'building.address_id')
        .whereRaw(anyOf('address.normalized'), [[...new Set(parsed.map((p) => p.buildingKey))]])
        .select('building.id', 'address.normalized', 'building.grid_id', 'building.street_id', 'building.community_id', 'building.district_id')) as Row[];
      const byKey = new Map(buildingRows.map((r) => [String(r.normalized), r]));
      for (const authority of ['master', 'registry'] as const) {
        const rows = [...creating.values()].filter((k) => k.ref.authority === authority).map((k) => {
          const f = k.ref.facts;
          const b = k.parsed ? byKey.get(k.parsed.buildingKey) : undefined;
          return {
            credit_code: k.key, name: f.name ?? k.key, legal_representative: nn(f.legalRepresentative), industry: nn(f.industry),
            status: f.status ?? 'active', registered_on: nn(f.registeredOn), building_id: b ? String(b.id) : null,
            ...(b ? areaIdsOf(b) : k.parsed ? this.places.areasOf(k.parsed) : { district_id: null, street_id: null, community_id: null, grid_id: null }),
          };
        });
        const saved = await this.upsert(trx, 'enterprise', rows, 'credit_code', authority,
          ['name', 'legal_representative', 'industry', 'status', 'registered_on', 'building_id', 'grid_id', 'street_id', 'community_id', 'district_id'], changes);
        for (const [k, id] of saved) known.set(k, id);
      }
    }
    const keys = refs.map((r) => r.key).filter((k): k is string => k !== null && !known.has(k));
    for (const [k, id] of await this.lookup(trx, 'enterprise', 'credit_code', keys)) known.set(k, id);

    // Without a valid known code: a recovered code, or the folded name and the building.
    const evidence = refs.map((k) => enterpriseEvidence(k.ref.creditCode, k.ref.facts, k.parsed));
    const found = await this.resolver.enterprises.resolve(trx, refs.map((k, i) => ({ evidence: evidence[i] as EnterpriseEvidence, ...slotOf(k.ref) })), known, decisions);
    const outcomes = new Map<EnterpriseRef, LinkOutcome>();
    const linked: Array<{ evidence: EnterpriseEvidence; entityId: string }> = [];
    refs.forEach((k, i) => {
      const id = k.key === null ? undefined : known.get(k.key);
      const o: LinkOutcome = id !== undefined ? { entityId: id, method: 'key', score: 1, evidence: [{ field: 'creditCode', agreement: 'exact', weight: 0 }], review: [] } : (found[i] as LinkOutcome);
      outcomes.set(k.ref, o);
      if (o.entityId !== null) linked.push({ evidence: evidence[i] as EnterpriseEvidence, entityId: o.entityId });
    });
    await this.resolver.enterprises.remember(trx, linked);
    return { known, outcomes };
  }

  /**
   * People: resolution finds whom each reference names among the people stored; a master or
   * registry reference that names nobody creates the person (on its ID number when valid, else
   * without one, grouped with the batch's other references to the same person). A master's
   * values then overwrite, a registry's only fill in.
   */
  private async people(
    trx: Knex.Transaction, refs: Keyed<PersonRef>[], slotOf: (ref: EntityRef) => { recordId: string | null; mentionIndex: number | null },
    decisions: Decisions, changes: ChangeSink,
  ): Promise<Map<PersonRef, LinkOutcome>> {
    const result = new Map<PersonRef, LinkOutcome>();
    if (refs.length === 0) return result;
    const evidence = new Map<PersonRef, PersonEvidence>(await mapInTurns(refs, (k) => [k.ref, personEvidence(k.ref.idNumber, k.ref.facts, k.parsed)] as const));
    const slotFor = (k: Keyed<PersonRef>): PersonSlot => ({ evidence: evidence.get(k.ref) as PersonEvidence, ...slotOf(k.ref) });
    const first = await this.resolver.people.resolve(trx, refs.map(slotFor), decisions);
    refs.forEach((k, i) => result.set(k.ref, first[i] as LinkOutcome));
    const outcome = (k: Keyed<PersonRef>) => result.get(k.ref) as LinkOutcome;
    const creates = (k: Keyed<PersonRef>) => k.ref.authority !== 'reference';

    const byKeyCreators = refs.filter((k) => creates(k) && k.key !== null && (outcome(k).entityId === null || outcome(k).method === 'key'));
    const linkedOtherwise = refs.filter((k) => creates(k) && outcome(k).entityId !== null && outcome(k).method !== 'key');
    const keylessCreators = refs.filter((k) => creates(k) && k.key === null && outcome(k).entityId === null
      && k.ref.facts.name && hasUsableEvidence(evidence.get(k.ref) as PersonEvidence));

    const values = [...byKeyCreators, ...linkedOtherwise, ...keylessCreators];
    const homes = await this.homes(trx, values.map((k) => k.parsed).filter((p): p is ParsedAddress => p !== null));
    const homeOf = (k: Keyed<PersonRef>) => (k.parsed ? homes.get(k.parsed.dwellingKey ?? k.parsed.buildingKey) : undefined);

    // Households come from the population register (the only master of people).
    const households = new Map<string, { number: string; dwelling_id: string | null; residence_type: string }>();
    for (const k of values) {
      const f = k.ref.facts;
      if (k.ref.authority === 'master' && f.householdNumber) {
        households.set(f.householdNumber, { number: f.householdNumber, dwelling_id: homeOf(k)?.dwelling_id ?? null, residence_type: f.residenceType ?? 'hukou' });
      }
    }
    let householdIds = new Map<string, string>();
    if (households.size > 0) {
      await bulkInsert(trx, 'household', [...households.values()],
        'on conflict (number) do update set dwelling_id = excluded.dwelling_id, residence_type = excluded.residence_type');
      householdIds = await this.lookup(trx, 'household', 'number', [...households.keys()]);
    }
    const rowOf = (k: Keyed<PersonRef>): Row => {
      const f = k.ref.facts;
      const home = homeOf(k);
      const e = evidence.get(k.ref) as PersonEvidence;
      return {
        id_number: k.key, name: goldenName(f.name) ?? '', sex: e.sex, birth_date: nn(f.birthDate) ?? (k.key ? birthDateOf(k.key) : null), phone: nn(f.phone) ?? null,
        residence_type: f.residenceType ?? 'floating',
        household_id: f.householdNumber ? (householdIds.get(f.householdNumber) ?? null) : null, relation_to_head: nn(f.relationToHead),
        dwelling_id: home?.dwelling_id ?? null, building_id: home?.building_id ?? null,
        grid_id: home?.grid_id ?? null, street_id: home?.street_id ?? null, community_id: home?.community_id ?? null, district_id: home?.district_id ?? null,
      };
    };
    const columns = ['name', 'sex', 'birth_date', 'phone', 'residence_type', 'household_id', 'relation_to_head', 'dwelling_id', 'building_id', 'grid_id', 'street_id', 'community_id', 'district_id'];

    // Linked without a key: a master's values win; either gives the person its valid ID number if it had none.
    await this.updatePeople(trx, linkedOtherwise.map((k) => ({ id: outcome(k).entityId as string, master: k.ref.authority === 'master', row: rowOf(k) })), columns, changes);

    const byKey = new Map<string, string>();
    for (const authority of ['master', 'registry'] as const) {
      const chosen = strongest(byKeyCreators.filter((k) => k.ref.authority === authority));
      const saved = await this.upsert(trx, 'person', [...chosen.values()].map(rowOf), 'id_number', authority, columns, changes);
      for (const [key, id] of saved) byKey.set(key, id);
    }
    const missing = byKeyCreators.map((k) => k.key as string).filter((key) => !byKey.has(key));
    for (const [key, id] of await this.lookup(trx, 'person', 'id_number', missing)) byKey.set(key, id);
    for (const k of byKeyCreators) {
      const id = byKey.get(k.key as string);
      if (id !== undefined && outcome(k).entityId === null) result.set(k.ref, { entityId: id, method: 'key', score: 1, evidence: [{ field: 'idNumber', agreement: 'exact', weight: 0 }], review: [] });
    }

    // Without a key, references to one person in one batch (a duplicate registration) make one person.
    const groups = new Map<string, Keyed<PersonRef>[]>();
    for (const [i, k] of keylessCreators.entries()) {
      const e = evidence.get(k.ref) as PersonEvidence;
      const key = `${e.name?.folded ?? ''}|${e.births[0] ?? ''}|${e.dwelling ?? e.phones[0] ?? `#${i}`}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(k);
    }
    const leaders = [...groups.values()].map((g) => g.find((k) => k.ref.authority === 'master') ?? (g[0] as Keyed<PersonRef>));
    if (leaders.length > 0) {
      const created = await bulkInsert(trx, 'person', leaders.map(rowOf), 'returning id');
      [...groups.values()].forEach((g, i) => {
        const id = String(created[i]?.id);
        changes.push({ entity_type: 'person', entity_id: id, change: 'created' });
        for (const k of g) result.set(k.ref, { entityId: id, method: 'created', score: null, evidence: null, review: [] });
      });
    }

    const linked = () => refs.filter((k) => outcome(k).entityId !== null).map((k) => ({ evidence: evidence.get(k.ref) as PersonEvidence, entityId: outcome(k).entityId as string }));
    await this.resolver.people.remember(trx, linked());

    // A second look for references that named nobody stored: the batch may have just created them.
    const again = refs.filter((k) => outcome(k).entityId === null);
    if (again.length > 0 && again.length < refs.length) {
      const second = await this.resolver.people.resolve(trx, again.map(slotFor), decisions);
      const now: Array<{ evidence: PersonEvidence; entityId: string }> = [];
      again.forEach((k, i) => {
        const o = second[i] as LinkOutcome;
        if (o.entityId !== null || o.review.length > 0) result.set(k.ref, o);
        if (o.entityId !== null) now.push({ evidence: evidence.get(k.ref) as PersonEvidence, entityId: o.entityId });
      });
      await this.resolver.people.remember(trx, now);
    }

    const heads = refs.filter((k) => k.ref.authority === 'master' && outcome(k).entityId !== null && k.ref.facts.relationToHead === 'head' && k.ref.facts.householdNumber);
    if (heads.length > 0) {
      await trx.raw(
        `update household h set head_person_id = p.id from person p
         where p.id = any(?::bigint[]) and p.household_id = h.id and p.relation_to_head = 'head' and h.head_person_id is distinct from p.id`,
        [heads.map((k) => outcome(k).entityId as string)],
      );
    }
    const tags = refs.flatMap((k) => {
      const id = outcome(k).entityId;
      return id === null ? [] : (k.ref.facts.tags ?? []).map((tag) => ({ person_id: id, tag }));
    });
    await bulkInsert(trx, 'person_tag', tags, 'on conflict (person_id, tag) do nothing');
    return result;
  }

  /**
   * People a record was linked to without a key: a master's values overwrite, a registry's fill
   * in what is missing; either way a person without an ID number takes the record's valid one
   * (once per ID number: two people cannot hold the same one).
   */
  private async updatePeople(trx: Knex.Transaction, items: Array<{ id: string; master: boolean; row: Row }>, columns: string[], changes: ChangeSink): Promise<void> {
    if (items.length === 0) return;
    const claimed = new Set<string>();
    const rows = items.map((it) => {
      const idNumber = it.row.id_number as string | null;
      const take = idNumber !== null && !claimed.has(idNumber);
      if (take) claimed.add(idNumber);
      return { ...it.row, id: it.id, id_number: take ? idNumber : null, master: it.master };
    });
    const assign = columns.map((c) => `${c} = case when u.master then coalesce(u.${c}, p.${c}) else coalesce(p.${c}, u.${c}) end`).join(', ');
    const types: Record<string, string> = { birth_date: 'date', household_id: 'bigint', dwelling_id: 'bigint', building_id: 'bigint', grid_id: 'bigint', street_id: 'bigint', community_id: 'bigint', district_id: 'bigint' };
    const updated = ((await trx.raw(
      `update person p set ${assign},
         id_number = coalesce(p.id_number, case when exists (select 1 from person o where o.id_number = u.id_number) then null else u.id_number end)
       from json_to_recordset(?::json) as u(id bigint, master boolean, id_number text, ${columns.map((c) => `${c} ${types[c] ?? 'text'}`).join(', ')})
       where p.id = u.id returning p.id`,
      [JSON.stringify(rows)],
    )) as { rows: Row[] }).rows;
    for (const r of updated) changes.push({ entity_type: 'person', entity_id: String(r.id), change: 'updated' });
  }

  /**
   * Inserts rows keyed on `conflict`; a master's values overwrite, a registry's only fill in.
   * Rows whose values did not change are left alone, so only real changes reach the outbox.
   */
  private async upsert(trx: Knex.Transaction, table: EntityType, rows: Row[], conflict: string, authority: 'master' | 'registry', columns: string[], changes: ChangeSink): Promise<Map<string, string>> {
    const saved = new Map<string, string>();
    for (let i = 0; i < rows.length; i += 5000) {
      const chunk = rows.slice(i, i + 5000);
      if (chunk.length === 0) continue;
      const tail = authority === 'master'
        ? `on conflict (${conflict}) do update set ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}
            where (${columns.map((c) => `${table}.${c}`).join(', ')}) is distinct from (${columns.map((c) => `excluded.${c}`).join(', ')})
            returning id, ${conflict} as key, (xmax = 0) as inserted`
        : `on conflict (${conflict}) do nothing returning id, ${conflict} as key, true as inserted`;
      const returned = { rows: await bulkInsert(trx, table, chunk, tail) };
      for (const r of returned.rows) {
        changes.push({ entity_type: table, entity_id: String(r.id), change: r.inserted === true ? 'created' : 'updated' });
        saved.set(String(r.key), String(r.id));
      }
    }
    return saved;
  }
}

type ChangeSink = Array<{ entity_type: EntityType; entity_id: string; change: 'created' | 'updated' }>;

function areaIdsOf(r: Row): AreaIds {
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return { grid_id: s(r.grid_id), street_id: s(r.street_id), community_id: s(r.community_id), district_id: s(r.district_id) };
}

function birthDateOf(idNumber: string): string {
  return `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
}
