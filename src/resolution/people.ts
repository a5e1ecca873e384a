/**
 * Finds the person each record (or mention) is about among the people already stored: by a
 * valid ID number; by a broken one recovered (one slip from a known ID, with the name and
 * birth date agreeing); else by Fellegi–Sunter over candidates that share a blocking key. Human
 * decisions come first and are never overridden.
 *
 * Every step is a handful of statements per batch, never one per record.
 */
import type { Knex } from 'knex';
import { isValidResidentId } from '../domain/idNumber.js';
import { oneEditNeighbours } from '../domain/identifiers.js';
import { bulkInsert } from '../store/ingest/bulk.js';
import type { Row } from '../store/loaders.js';
import { mapInTurns, TimeSlice } from '../store/timeSlice.js';
import { score, type Evidence, type MatchModel, type Scored } from './model.js';
import {
  BLOCKING_KINDS, KEYLESS_PREFIX, canLink, comparePerson, hasUsableEvidence, indexRows, mayAutoLink, personKeys, profileFromJson, profileValues,
  type KeyRow, type PersonEvidence, type PersonProfile,
} from './person.js';
import type { Decisions, LinkOutcome, ResolutionOptions } from './types.js';

/** One record subject or mention to resolve. */
export interface PersonSlot {
  evidence: PersonEvidence;
  /** The stored record's id and the mention's place (null: subject), when the record was stored before. */
  recordId: string | null;
  mentionIndex: number | null;
  /** Entities this slot must not be linked to (besides human no_link decisions). */
  exclude?: ReadonlySet<string>;
}

/** Keys shared by more entities than this are too common to tell anything (a shared office phone). */
const MAX_BLOCK = 200;
/** Candidates scored per slot, the ones sharing most keys first. */
const MAX_CANDIDATES = 60;

/** jsonb union of the stored profile and the new one, kind by kind (for ON CONFLICT DO UPDATE). */
const PROFILE_UNION = `(select coalesce(jsonb_object_agg(k, (select jsonb_agg(distinct v) from (
    select jsonb_array_elements_text(coalesce(resolution_profile.profile -> k, '[]'::jsonb)) as v
    union select jsonb_array_elements_text(coalesce(excluded.profile -> k, '[]'::jsonb))) vs)), '{}'::jsonb)
  from (select jsonb_object_keys(resolution_profile.profile) as k union select jsonb_object_keys(excluded.profile)) ks)`;

export const UNLINKED: LinkOutcome = { entityId: null, method: null, score: null, evidence: null, review: [] };

export class PersonResolver {
  private population: { n: number; at: number } | null = null;

  constructor(private readonly options: ResolutionOptions, private readonly model: () => MatchModel) {}

  /** Links to people already stored; a slot left unlinked may then create a person (its authority permitting). */
  async resolve(trx: Knex.Transaction, slots: readonly PersonSlot[], decisions: Decisions): Promise<LinkOutcome[]> {
    const out: LinkOutcome[] = slots.map(() => UNLINKED);
    const byId = await this.byIdNumber(trx, slots.map((s) => s.evidence.validId).filter((id): id is string => id !== null));
    const pending: number[] = [];
    slots.forEach((s, i) => {
      const decided = decisions.get(slotKey(s.recordId, s.mentionIndex));
      if (decided?.link) {
        out[i] = { entityId: decided.link, method: 'human', score: 1, evidence: [], review: [] };
        return;
      }
      const keyed = s.evidence.validId === null ? undefined : byId.get(s.evidence.validId);
      if (keyed !== undefined && !decided?.reject.has(keyed)) {
        out[i] = { entityId: keyed, method: 'key', score: 1, evidence: [{ field: 'idNumber', agreement: 'exact', weight: 0 }], review: [] };
        return;
      }
      if (this.options.mode === 'full') pending.push(i);
    });
    if (pending.length === 0) return out;

    const recovered = await this.recover(trx, pending.map((i) => slots[i] as PersonSlot), decisions);
    const rest: number[] = [];
    pending.forEach((i, j) => {
      const r = recovered[j];
      if (r) out[i] = r;
      else if (hasUsableEvidence((slots[i] as PersonSlot).evidence)) rest.push(i);
    });
    if (rest.length === 0) return out;

    const matched = await this.match(trx, rest.map((i) => slots[i] as PersonSlot), decisions);
    rest.forEach((i, j) => {
      out[i] = matched[j] ?? UNLINKED;
    });
    return out;
  }

  /**
   * Stores what each linked record says about its person, so later records find and compare
   * against every value any department holds. A person who now has an ID number loses the
   * keyless blocking keys (x-kinds) that only records with a valid ID look up.
   */
  async remember(trx: Knex.Transaction, links: ReadonlyArray<{ evidence: PersonEvidence; entityId: string }>): Promise<void> {
    if (links.length === 0) return;
    const ids = [...new Set(links.map((l) => l.entityId))];
    const withId = new Set(((await trx('person').whereRaw('id = any(?::bigint[])', [ids]).whereNotNull('id_number').select('id')) as Row[]).map((r) => String(r.id)));
    const rows = new Map<string, Row>();
    const profiles = new Map<string, Record<string, string[]>>();
    const slice = new TimeSlice();
    for (const l of links) {
      if (slice.spent()) await slice.next();
      for (const k of indexRows(l.evidence, withId.has(l.entityId))) {
        rows.set(`${k.kind}\u0000${k.value}\u0000${l.entityId}`, { entity_type: 'person', kind: k.kind, value: k.value, entity_id: l.entityId });
      }
      const merged = profiles.get(l.entityId) ?? {};
      for (const [kind, values] of Object.entries(profileValues(l.evidence))) {
        const list = (merged[kind] ??= []);
        for (const v of values) if (!list.includes(v)) list.push(v);
      }
      profiles.set(l.entityId, merged);
    }
    const idsWithId = ids.filter((id) => withId.has(id));
    if (idsWithId.length > 0) {
      await trx.raw(`delete from resolution_key where entity_type = 'person' and entity_id = any(?::bigint[]) and kind like '${KEYLESS_PREFIX}%'`, [idsWithId]);
    }
    const all = [...rows.values()];
    for (let i = 0; i < all.length; i += 20_000) {
      await bulkInsert(trx, 'resolution_key', all.slice(i, i + 20_000), 'on conflict do nothing');
    }
    // The union with what is stored happens in the statement, so two syncs adding to one person lose nothing.
    await bulkInsert(trx, 'resolution_profile', [...profiles].map(([id, profile]) => ({ entity_type: 'person', entity_id: id, profile })),
      `on conflict (entity_type, entity_id) do update set profile = ${PROFILE_UNION}`);
  }

  /** Scores candidates for an ad-hoc description (case intake's "who is calling"), best first. */
  async candidates(trx: Knex | Knex.Transaction, evidence: PersonEvidence, limit: number): Promise<Array<{ entityId: string } & Scored>> {
    const slot: PersonSlot = { evidence, recordId: null, mentionIndex: null };
    const scored = (await this.scoreAll(trx, [slot], new Map(), false))[0] ?? [];
    const seen = new Set(scored.map((s) => s.entityId));
    // An ID number as given finds its holder, or (when it fails its check) the holders of its valid neighbours.
    const ids = evidence.validId !== null ? [evidence.validId]
      : evidence.idNumber !== null && evidence.idNumber.length === 18 ? oneEditNeighbours(evidence.idNumber, '0123456789X', isValidResidentId) : [];
    const holders = [...(await this.byIdNumber(trx, ids)).values()].filter((id) => !seen.has(id));
    if (holders.length > 0) {
      const profiles = await this.profiles(trx, holders);
      const population = await this.populationSize(trx);
      for (const id of holders) {
        if (evidence.validId !== null) {
          scored.push({ entityId: id, vector: [], weight: 64, probability: 1, evidence: [{ field: 'idNumber', agreement: 'exact', weight: 64 }] });
          continue;
        }
        const profile = profiles.get(id);
        if (!profile) continue;
        const vector = comparePerson(evidence, profile);
        scored.push({ entityId: id, vector, ...score(this.model(), vector, population) });
      }
    }
    return scored.sort((a, b) => b.weight - a.weight).slice(0, limit);
  }

  private async byIdNumber(trx: Knex | Knex.Transaction, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = (await trx('person').whereRaw('id_number = any(?::text[])', [[...new Set(ids)]]).select('id', 'id_number')) as Row[];
    return new Map(rows.map((r) => [String(r.id_number), String(r.id)]));
  }

  /**
   * A broken ID number one slip (a substitution or two adjacent digits swapped) from a stored
   * one, where the name agrees (as written or in pinyin) and so does the birth date when the
   * record states one: the same person, linked as a recovered key.
   */
  private async recover(trx: Knex.Transaction, slots: readonly PersonSlot[], decisions: Decisions): Promise<Array<LinkOutcome | null>> {
    const neighbours = slots.map((s) => {
      const id = s.evidence.idNumber;
      return id !== null && s.evidence.validId === null && id.length === 18 ? oneEditNeighbours(id, '0123456789X', isValidResidentId) : [];
    });
    const all = [...new Set(neighbours.flat())];
    if (all.length === 0) return slots.map(() => null);
    const byId = await this.byIdNumber(trx, all);
    const profiles = await this.profiles(trx, [...new Set(byId.values())]);
    return slots.map((s, i) => {
      const decided = decisions.get(slotKey(s.recordId, s.mentionIndex));
      const hits = (neighbours[i] ?? []).flatMap((id) => {
        const entityId = byId.get(id);
        const profile = entityId === undefined ? undefined : profiles.get(entityId);
        if (!profile || decided?.reject.has(profile.id) || s.exclude?.has(profile.id)) return [];
        const v = comparePerson(s.evidence, profile);
        const nameAgrees = (v[0] ?? 0) >= 3;
        const stated = s.evidence.births.length > 0;
        const birthAgrees = !stated || v[1] === 3;
        return nameAgrees && birthAgrees ? [{ id, entityId: profile.id }] : [];
      });
      if (hits.length !== 1) return null;
      const hit = hits[0] as { id: string; entityId: string };
      return {
        entityId: hit.entityId, method: 'recovered_key', score: 1,
        evidence: [{ field: 'idNumber', agreement: 'slip', weight: 0 }, { field: 'name', agreement: 'exact', weight: 0 }], review: [],
      };
    });
  }

  private async match(trx: Knex.Transaction, slots: readonly PersonSlot[], decisions: Decisions): Promise<LinkOutcome[]> {
    const scored = await this.scoreAll(trx, slots, decisions, true);
    const { autoLink, review, margin } = this.options;
    return slots.map((_, i) => {
      const list = scored[i] ?? [];
      const top = list[0];
      if (!top || top.probability < review) return UNLINKED;
      const second = list[1];
      const clear = !second || second.weight < top.weight - margin || second.probability < review;
      const vectorOk = mayAutoLink(top.vector);
      if (top.probability >= autoLink && clear && vectorOk) {
        return { entityId: top.entityId, method: 'probabilistic', score: top.probability, evidence: top.evidence, review: [] };
      }
      return { ...UNLINKED, review: list.filter((c) => c.probability >= review).slice(0, 3).map((c) => ({ entityId: c.entityId, score: c.probability, evidence: c.evidence })) };
    });
  }

  /** Every slot's candidates, scored and sorted best first. */
  private async scoreAll(trx: Knex | Knex.Transaction, slots: readonly PersonSlot[], decisions: Decisions, forIngest: boolean): Promise<Array<Array<{ entityId: string; vector: ReturnType<typeof comparePerson> } & Scored>>> {
    // A record with a valid ID that no stored person holds can only be someone stored without one.
    const probes = slots.map((s) => blockingOf(s.evidence, forIngest && s.evidence.validId !== null));
    const wanted = new Map<string, KeyRow>();
    for (const p of probes) for (const k of p) wanted.set(`${k.kind}\u0000${k.value}`, k);
    if (wanted.size === 0) return slots.map(() => []);
    const keys = [...wanted.values()];
    const rows = ((await trx.raw(
      `select k.kind, k.value, k.entity_id from unnest(?::text[], ?::text[]) as q(kind, value)
       join lateral (select kind, value, entity_id from resolution_key r
                     where r.entity_type = 'person' and r.kind = q.kind and r.value = q.value limit ${MAX_BLOCK + 1}) k on true`,
      [keys.map((k) => k.kind), keys.map((k) => k.value)],
    )) as { rows: Row[] }).rows;
    const block = new Map<string, string[]>();
    for (const r of rows) {
      const key = `${String(r.kind)}\u0000${String(r.value)}`;
      let list = block.get(key);
      if (!list) block.set(key, (list = []));
      list.push(String(r.entity_id));
    }
    const candidatesOf = probes.map((p) => {
      const shared = new Map<string, number>();
      for (const k of p) {
        const list = block.get(`${k.kind}\u0000${k.value}`);
        if (!list || list.length > MAX_BLOCK) continue;
        for (const id of list) shared.set(id, (shared.get(id) ?? 0) + 1);
      }
      return [...shared.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_CANDIDATES).map(([id]) => id);
    });
    const profiles = await this.profiles(trx, [...new Set(candidatesOf.flat())]);
    const population = await this.populationSize(trx);
    const frequency = await this.nameFrequency(trx, slots.map((s) => s.evidence.name?.folded).filter((n): n is string => n !== undefined));
    const model = this.model();
    return mapInTurns(slots, (s, i) => {
      const decided = decisions.get(slotKey(s.recordId, s.mentionIndex));
      const tf = new Map<string, number>();
      const name = s.evidence.name?.folded;
      if (name !== undefined) tf.set('name', Math.max(1, frequency.get(name) ?? 1) / population);
      const list: Array<{ entityId: string; vector: ReturnType<typeof comparePerson> } & Scored> = [];
      for (const id of candidatesOf[i] ?? []) {
        const profile = profiles.get(id);
        if (!profile || decided?.reject.has(id) || s.exclude?.has(id) || !canLink(s.evidence, profile)) continue;
        const vector = comparePerson(s.evidence, profile);
        list.push({ entityId: id, vector, ...score(model, vector, population, tf) });
      }
      return list.sort((a, b) => b.weight - a.weight);
    });
  }

  private async profiles(trx: Knex | Knex.Transaction, ids: string[]): Promise<Map<string, PersonProfile>> {
    const out = new Map<string, PersonProfile>();
    if (ids.length === 0) return out;
    const rows = (await trx('resolution_profile').where('entity_type', 'person').whereRaw('entity_id = any(?::bigint[])', [ids])
      .select('entity_id', 'profile')) as Row[];
    for (const r of rows) out.set(String(r.entity_id), profileFromJson(String(r.entity_id), r.profile));
    return out;
  }

  private async nameFrequency(trx: Knex | Knex.Transaction, names: string[]): Promise<Map<string, number>> {
    if (names.length === 0) return new Map();
    const rows = (await trx('resolution_key').where({ entity_type: 'person', kind: 'nm' }).whereRaw('value = any(?::text[])', [[...new Set(names)]])
      .groupBy('value').select('value', trx.raw('count(*)::int as n'))) as Row[];
    return new Map(rows.map((r) => [String(r.value), Number(r.n)]));
  }

  /** How many people a record could be: the prior is one in that many. Counted once a minute. */
  private async populationSize(trx: Knex | Knex.Transaction): Promise<number> {
    const now = Date.now();
    if (this.population && now - this.population.at < 60_000) return this.population.n;
    const [row] = (await trx('person').count('* as n')) as Row[];
    const n = Math.max(1000, Number(row?.n ?? 0));
    this.population = { n, at: now };
    return n;
  }
}

function blockingOf(e: PersonEvidence, keylessOnly: boolean): KeyRow[] {
  const keys: KeyRow[] = [];
  const base = personKeys({ ...e, validId: null }, true).filter((k) => (BLOCKING_KINDS as readonly string[]).includes(k.kind));
  for (const k of base) keys.push(keylessOnly ? { kind: KEYLESS_PREFIX + k.kind, value: k.value } : k);
  return keys;
}

export function slotKey(recordId: string | null, mentionIndex: number | null): string {
  return `${recordId ?? ''}:${mentionIndex ?? 's'}`;
}

export type { Evidence };
