/**
 * Enterprises: by a valid credit code; by a broken one recovered (one slip from a known code,
 * the folded name agreeing); else by the folded name (legal form and district prefix stripped:
 * 杭州良渚新达服饰有限公司 and 新达服饰 agree) and the building, as a fire inspection names a
 * company it holds no credit code for.
 */
import type { Knex } from 'knex';
import { CREDIT_CODE_CHARSET, isValidCreditCode } from '../domain/creditCode.js';
import { normalizeCode, normalizePhone, oneEditNeighbours } from '../domain/identifiers.js';
import type { ParsedAddress } from '../domain/address.js';
import { bulkInsert } from '../store/ingest/bulk.js';
import type { Row } from '../store/loaders.js';
import type { Evidence } from './model.js';
import { slotKey } from './people.js';
import { bigramSimilarity, companyName } from './text.js';
import type { Decisions, LinkOutcome, ResolutionOptions } from './types.js';

export interface EnterpriseEvidence {
  code: string | null;
  validCode: string | null;
  name: string | null;
  building: string | null;
  community: string | null;
  street: string | null;
  phone: string | null;
}

export function enterpriseEvidence(creditCode: string | null, facts: { name?: string; address?: string | null; phone?: string | null }, parsed: ParsedAddress | null): EnterpriseEvidence {
  const code = normalizeCode(creditCode);
  return {
    code,
    validCode: code !== null && isValidCreditCode(code) ? code : null,
    name: companyName(facts.name),
    building: parsed?.buildingKey ?? null,
    community: parsed?.communityCode ?? null,
    street: parsed?.streetCode ?? null,
    phone: normalizePhone(facts.phone ?? null),
  };
}

export interface EnterpriseSlot {
  evidence: EnterpriseEvidence;
  recordId: string | null;
  mentionIndex: number | null;
}

type Profile = { id: string; names: Set<string>; buildings: Set<string>; communities: Set<string>; streets: Set<string>; codes: Set<string> };

const NONE: LinkOutcome = { entityId: null, method: null, score: null, evidence: null, review: [] };

function nameAgreement(name: string | null, p: Profile): { level: 'exact' | 'contains' | 'similar' | 'different'; weight: number } | null {
  if (name === null || p.names.size === 0) return null;
  if (p.names.has(name)) return { level: 'exact', weight: 12 };
  for (const n of p.names) if (Math.min(n.length, name.length) >= 2 && (n.includes(name) || name.includes(n))) return { level: 'contains', weight: 8 };
  for (const n of p.names) if (bigramSimilarity(n, name) >= 0.5) return { level: 'similar', weight: 3 };
  return { level: 'different', weight: -10 };
}

function addressAgreement(e: EnterpriseEvidence, p: Profile): { level: string; weight: number } | null {
  if (e.street === null || p.streets.size === 0) return null;
  if (e.building !== null && p.buildings.has(e.building)) return { level: 'building', weight: 10 };
  if (e.community !== null && p.communities.has(e.community)) return { level: 'community', weight: 3 };
  if (p.streets.has(e.street)) return { level: 'street', weight: 1 };
  return { level: 'different', weight: -6 };
}

export class EnterpriseResolver {
  constructor(private readonly options: ResolutionOptions) {}

  async resolve(trx: Knex.Transaction, slots: readonly EnterpriseSlot[], known: ReadonlyMap<string, string>, decisions: Decisions): Promise<LinkOutcome[]> {
    if (this.options.mode === 'keys') return slots.map(() => NONE);
    const open = slots.map((s, i) => ({ s, i })).filter(({ s }) => !(s.evidence.validCode !== null && known.has(s.evidence.validCode)));
    const neighbours = open.map(({ s }) => (s.evidence.code !== null && s.evidence.validCode === null && s.evidence.code.length === 18
      ? oneEditNeighbours(s.evidence.code, CREDIT_CODE_CHARSET, isValidCreditCode) : []));
    const byCode = await lookup(trx, [...new Set(neighbours.flat())]);
    const names = [...new Set(open.map(({ s }) => s.evidence.name).filter((n): n is string => n !== null))];
    const buildings = [...new Set(open.map(({ s }) => s.evidence.building).filter((b): b is string => b !== null))];
    const candidateRows = names.length + buildings.length === 0 ? [] : (await trx('resolution_key').where('entity_type', 'enterprise')
      .whereRaw("((kind = 'cn' and value = any(?::text[])) or (kind = 'bl' and value = any(?::text[])))", [names, buildings])
      .select('kind', 'value', 'entity_id')) as Row[];
    const byKey = new Map<string, string[]>();
    for (const r of candidateRows) {
      const k = `${String(r.kind)}:${String(r.value)}`;
      byKey.set(k, [...(byKey.get(k) ?? []), String(r.entity_id)]);
    }
    const ids = new Set<string>([...byCode.values(), ...candidateRows.map((r) => String(r.entity_id))]);
    const profiles = await this.profiles(trx, [...ids]);
    const out: LinkOutcome[] = slots.map(() => NONE);
    open.forEach(({ s, i }, j) => {
      const decided = decisions.get(slotKey(s.recordId, s.mentionIndex));
      if (decided?.link) {
        out[i] = { entityId: decided.link, method: 'human', score: 1, evidence: [], review: [] };
        return;
      }
      const ok = (id: string) => !decided?.reject.has(id);
      const recovered = (neighbours[j] ?? []).map((c) => byCode.get(c)).filter((id): id is string => id !== undefined && ok(id))
        .filter((id) => {
          const p = profiles.get(id);
          const n = p ? nameAgreement(s.evidence.name, p) : null;
          return n !== null && (n.level === 'exact' || n.level === 'contains');
        });
      if (recovered.length === 1) {
        out[i] = { entityId: recovered[0] as string, method: 'recovered_key', score: 1, evidence: [{ field: 'creditCode', agreement: 'slip', weight: 0 }, { field: 'name', agreement: 'exact', weight: 0 }], review: [] };
        return;
      }
      if (s.evidence.validCode !== null && s.evidence.name === null) return;
      const candidates = new Set([...(byKey.get(`cn:${s.evidence.name ?? ''}`) ?? []), ...(byKey.get(`bl:${s.evidence.building ?? ''}`) ?? [])]);
      const scored = [...candidates].filter(ok).flatMap((id) => {
        const p = profiles.get(id);
        if (!p) return [];
        // Two valid credit codes that differ are two enterprises.
        if (s.evidence.validCode !== null && p.codes.size > 0 && !p.codes.has(s.evidence.validCode)) return [];
        const name = nameAgreement(s.evidence.name, p);
        const address = addressAgreement(s.evidence, p);
        const evidence: Evidence[] = [];
        if (name) evidence.push({ field: 'name', agreement: name.level, weight: name.weight });
        if (address) evidence.push({ field: 'address', agreement: address.level, weight: address.weight });
        const weight = evidence.reduce((a, e) => a + e.weight, -12);
        return [{ id, weight, probability: 1 / (1 + 2 ** -weight), evidence, name }];
      }).sort((a, b) => b.weight - a.weight);
      const top = scored[0];
      if (!top || top.probability < this.options.review) return;
      const second = scored[1];
      const clear = !second || second.weight < top.weight - this.options.margin;
      if (top.probability >= this.options.autoLink && clear && (top.name?.level === 'exact' || top.name?.level === 'contains')) {
        out[i] = { entityId: top.id, method: 'probabilistic', score: top.probability, evidence: top.evidence, review: [] };
      } else {
        out[i] = { ...NONE, review: scored.filter((c) => c.probability >= this.options.review).slice(0, 3).map((c) => ({ entityId: c.id, score: c.probability, evidence: c.evidence })) };
      }
    });
    return out;
  }

  async remember(trx: Knex.Transaction, links: ReadonlyArray<{ evidence: EnterpriseEvidence; entityId: string }>): Promise<void> {
    const rows = new Map<string, Row>();
    const add = (kind: string, value: string | null, entityId: string) => {
      if (value) rows.set(`${kind}\u0000${value}\u0000${entityId}`, { entity_type: 'enterprise', kind, value, entity_id: entityId });
    };
    for (const l of links) {
      add('cn', l.evidence.name, l.entityId);
      add('bl', l.evidence.building, l.entityId);
      add('cm', l.evidence.community, l.entityId);
      add('st', l.evidence.street, l.entityId);
      add('cc', l.evidence.validCode, l.entityId);
      add('ph', l.evidence.phone, l.entityId);
    }
    await bulkInsert(trx, 'resolution_key', [...rows.values()], 'on conflict do nothing');
  }

  private async profiles(trx: Knex.Transaction, ids: string[]): Promise<Map<string, Profile>> {
    const out = new Map<string, Profile>();
    if (ids.length === 0) return out;
    const rows = (await trx('resolution_key').where('entity_type', 'enterprise').whereRaw('entity_id = any(?::bigint[])', [ids]).select('entity_id', 'kind', 'value')) as Row[];
    for (const r of rows) {
      const id = String(r.entity_id);
      let p = out.get(id);
      if (!p) out.set(id, (p = { id, names: new Set(), buildings: new Set(), communities: new Set(), streets: new Set(), codes: new Set() }));
      const v = String(r.value);
      if (r.kind === 'cn') p.names.add(v);
      else if (r.kind === 'bl') p.buildings.add(v);
      else if (r.kind === 'cm') p.communities.add(v);
      else if (r.kind === 'st') p.streets.add(v);
      else if (r.kind === 'cc') p.codes.add(v);
    }
    return out;
  }
}

async function lookup(trx: Knex.Transaction, codes: string[]): Promise<Map<string, string>> {
  if (codes.length === 0) return new Map();
  const rows = (await trx('enterprise').whereRaw('credit_code = any(?::text[])', [codes]).select('id', 'credit_code')) as Row[];
  return new Map(rows.map((r) => [String(r.credit_code), String(r.id)]));
}
