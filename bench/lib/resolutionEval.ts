/**
 * How well the hub resolves department records to canonical entities, measured against the
 * generator's truth (src/world/README.md, truth/).
 *
 * An item is one thing a department record talks about: its subject, and every entity it
 * mentions (owner, tenant, legal representative, plaintiff, guardian, reporter, location). The
 * truth says which world entity each item is, (entity type, index): that is the truth cluster.
 * The hub says which canonical row it linked the item to: source_record.entity_id for the
 * subject, source_link.entity_id for a mention (the k-th mention of a role in insertion order is
 * the k-th truth link of that role). An unlinked item is a cluster of its own. The metrics
 * compare the two partitions of the items, per entity type:
 *
 * - pairwise precision/recall/F1 over pairs of items (from contingency counts, Σ C(n_ij, 2): a
 *   district has millions of items, their pairs can't be listed);
 * - B-cubed precision/recall per item, averaged (also per department and per noise tag, each
 *   item judged against the global clusters);
 * - false merges: predicted clusters holding items of more than one truth entity.
 *
 * Items the truth knows but the world does not (a legal representative from outside the
 * district) have no truth link and so are not items; mentions the truth does not list (a second
 * defendant) are not items either. Truth links to cases are not entities the hub resolves.
 *
 * The metric functions are pure (tests/resolution/metrics.test.ts); readTruthItems and
 * readPredictions do the I/O.
 */
import type { Knex } from 'knex';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as world from '../../src/world/index.js';
import type { GenerateOptions } from '../../src/world/index.js';
import { readNdjson } from '../../src/world/read.js';

export const ENTITY_TYPES = ['person', 'building', 'dwelling', 'enterprise'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];
const isEntityType = (s: string): s is EntityType => (ENTITY_TYPES as readonly string[]).includes(s);

/**
 * The realistic noise preset of src/world (harder noise, being added on another branch): options
 * for generateWorld when it is exported, else null. Looked up by name so this compiles and runs
 * without it; the preset may be noise rates (generateWorld's `noise`) or generator options with a
 * `noise` key (plus look-alike options).
 */
/** The generator options of the realistic preset (harder noise and look-alikes, src/world/noise.ts). */
export function realisticNoise(): Partial<Omit<GenerateOptions, 'scale' | 'seed' | 'outDir'>> {
  return { noise: world.NOISE_PRESETS.realistic.noise, lookalikes: world.NOISE_PRESETS.realistic.lookalikes };
}

/** The role of a record's own subject among the item keys. */
export const SUBJECT = 'subject';

export interface Item {
  /** `department/stream/sourceId/role/k`, unique: the k-th (0-based) item of that role in the record; the subject is `subject/0`. */
  key: string;
  department: string;
  stream: string;
  sourceId: string;
  role: string;
  ordinal: number;
  entityType: EntityType;
  /** The truth cluster: `type:index` of the world entity. */
  truth: string;
  /** Noise tags on the fields about this item, whatever strings the generator writes. */
  noise: string[];
}

export interface Prediction {
  /** The canonical entity, `type:id`; null when the hub left the item unlinked. */
  cluster: string | null;
  /** link_method when the store has the column ('key', 'recovered_key', 'probabilistic', 'human'). */
  method: string | null;
  score: number | null;
  /** The facts the connector mapped (source_record.facts / source_link.facts). */
  facts: Record<string, unknown> | null;
}

export const itemKey = (department: string, stream: string, sourceId: string, role: string, ordinal: number) =>
  `${department}/${stream}/${sourceId}/${role}/${ordinal}`;

interface TruthLinkRow { role: string; entity: string; index: number; noise?: string[] }
interface TruthRowShape { department: string; stream: string; sourceId: string; entity: string; index: number; links?: TruthLinkRow[]; noise?: string[] }

/** The items of one truth row, in order. */
export function itemsOfTruthRow(row: TruthRowShape): Item[] {
  const out: Item[] = [];
  const base = { department: row.department, stream: row.stream, sourceId: row.sourceId };
  if (isEntityType(row.entity)) {
    out.push({ ...base, key: itemKey(row.department, row.stream, row.sourceId, SUBJECT, 0), role: SUBJECT, ordinal: 0,
      entityType: row.entity, truth: `${row.entity}:${row.index}`, noise: row.noise ?? [] });
  }
  const seen = new Map<string, number>();
  for (const link of row.links ?? []) {
    // The ordinal counts every link of the role, resolvable or not, as the connector lists them all.
    const k = seen.get(link.role) ?? 0;
    seen.set(link.role, k + 1);
    if (!isEntityType(link.entity)) continue;
    out.push({ ...base, key: itemKey(row.department, row.stream, row.sourceId, link.role, k), role: link.role, ordinal: k,
      entityType: link.entity, truth: `${link.entity}:${link.index}`, noise: link.noise ?? [] });
  }
  return out;
}

/** Every item of a generated world's truth files (plain or gzipped). */
export async function readTruthItems(worldDir: string): Promise<Item[]> {
  const dir = join(worldDir, 'truth');
  const files = readdirSync(dir).filter((f) => /\.ndjson(\.gz)?$/.test(f)).sort();
  const items: Item[] = [];
  for (const f of files) {
    for await (const row of readNdjson<TruthRowShape>(join(dir, f))) items.push(...itemsOfTruthRow(row));
  }
  return items;
}

const PAGE = 20_000;

async function optionalColumns(knex: Knex, table: string, columns: string[]): Promise<string[]> {
  const present: string[] = [];
  for (const c of columns) if (await knex.schema.hasColumn(table, c)) present.push(c);
  return present;
}

const parseFacts = (v: unknown): Record<string, unknown> | null => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return JSON.parse(v) as Record<string, unknown>;
  return v as Record<string, unknown>;
};
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * The hub's clusters for every stored record and mention, keyed like the items. Reads in pages
 * by id, so a district's store is not one result set. link_method/link_score are read when the
 * columns exist (resolution adds them).
 */
export async function readPredictions(knex: Knex): Promise<Map<string, Prediction>> {
  const out = new Map<string, Prediction>();
  const rowsOf = async (sql: string, bindings: Array<string | number>) => (await knex.raw<{ rows: Array<Record<string, unknown>> }>(sql, bindings)).rows;
  const departments = new Map((await rowsOf('select id, name from department', [])).map((d) => [String(d.id), String(d.name)]));
  const recordExtra = await optionalColumns(knex, 'source_record', ['link_method', 'link_score']);
  const linkExtra = await optionalColumns(knex, 'source_link', ['link_method', 'link_score']);
  const prediction = (r: Record<string, unknown>): Prediction => ({
    cluster: r.entity_id === null || r.entity_id === undefined || r.entity_type === null ? null : `${String(r.entity_type)}:${String(r.entity_id)}`,
    method: r.link_method === undefined || r.link_method === null ? null : String(r.link_method),
    score: num(r.link_score),
    facts: parseFacts(r.facts),
  });
  const extra = (cols: string[]) => cols.map((c) => `, ${c}`).join('');

  const recordKey = new Map<string, string>();
  for (let after = '0'; ;) {
    const rows = await rowsOf(
      `select id, department_id, stream, source_id, entity_type, entity_id, facts${extra(recordExtra)}
       from source_record where id > ? order by id limit ?`, [after, PAGE]);
    if (rows.length === 0) break;
    for (const r of rows) {
      const base = `${departments.get(String(r.department_id)) ?? '?'}/${String(r.stream)}/${String(r.source_id)}`;
      recordKey.set(String(r.id), base);
      out.set(`${base}/${SUBJECT}/0`, prediction(r));
    }
    after = String(rows.at(-1)!.id);
  }

  // Mentions: ordered by record, then by id (the connector's order), to count the k-th of each role.
  let current = '';
  let ordinals = new Map<string, number>();
  for (let afterRecord = '0', afterId = '0'; ;) {
    const rows = await rowsOf(
      `select id, source_record_id, role, entity_type, entity_id, facts${extra(linkExtra)}
       from source_link where (source_record_id, id) > (?, ?) order by source_record_id, id limit ?`, [afterRecord, afterId, PAGE]);
    if (rows.length === 0) break;
    for (const r of rows) {
      const rec = String(r.source_record_id);
      if (rec !== current) {
        current = rec;
        ordinals = new Map();
      }
      const role = String(r.role);
      const k = ordinals.get(role) ?? 0;
      ordinals.set(role, k + 1);
      const base = recordKey.get(rec);
      if (base) out.set(`${base}/${role}/${k}`, prediction(r));
    }
    const last = rows.at(-1)!;
    afterRecord = String(last.source_record_id);
    afterId = String(last.id);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** An item with its truth and predicted cluster labels (predicted: never null; unlinked items get a singleton label). */
export interface Labelled {
  truth: string;
  predicted: string;
}

export interface PairCounts {
  /** Pairs in the same truth cluster and the same predicted cluster. */
  truePairs: number;
  predictedPairs: number;
  truthPairs: number;
}

export interface Pairwise extends PairCounts {
  /** null when there is nothing to divide by (no predicted pairs, no truth pairs). */
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

const pairs = (n: number) => (n * (n - 1)) / 2;

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** The contingency table of the two partitions: n_ij per (truth, predicted) cell, and the marginals. */
export interface Contingency {
  cell: Map<string, number>;
  truth: Map<string, number>;
  predicted: Map<string, number>;
}

const cellKey = (l: Labelled) => `${l.truth}\u0000${l.predicted}`;

export function contingency(items: Iterable<Labelled>): Contingency {
  const c: Contingency = { cell: new Map(), truth: new Map(), predicted: new Map() };
  for (const l of items) {
    bump(c.cell, cellKey(l));
    bump(c.truth, l.truth);
    bump(c.predicted, l.predicted);
  }
  return c;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);
const f1Of = (p: number | null, r: number | null) => (p === null || r === null ? null : p + r === 0 ? 0 : (2 * p * r) / (p + r));

export function pairwise(c: Contingency): Pairwise {
  let truePairs = 0;
  let predictedPairs = 0;
  let truthPairs = 0;
  for (const n of c.cell.values()) truePairs += pairs(n);
  for (const n of c.predicted.values()) predictedPairs += pairs(n);
  for (const n of c.truth.values()) truthPairs += pairs(n);
  const precision = ratio(truePairs, predictedPairs);
  const recall = ratio(truePairs, truthPairs);
  return { truePairs, predictedPairs, truthPairs, precision, recall, f1: f1Of(precision, recall) };
}

export interface BCubed {
  items: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

/**
 * B-cubed over `subset` (default: all items of the contingency), each item judged against the
 * clusters of the whole contingency: precision |C∩L|/|C|, recall |C∩L|/|L|, averaged.
 */
export function bcubed(c: Contingency, subset: Iterable<Labelled>): BCubed {
  let n = 0;
  let p = 0;
  let r = 0;
  for (const l of subset) {
    const both = c.cell.get(cellKey(l)) ?? 0;
    p += both / (c.predicted.get(l.predicted) ?? 1);
    r += both / (c.truth.get(l.truth) ?? 1);
    n++;
  }
  const precision = n === 0 ? null : p / n;
  const recall = n === 0 ? null : r / n;
  return { items: n, precision, recall, f1: f1Of(precision, recall) };
}

export interface FalseMerge {
  cluster: string;
  /** The truth entities in it, with how many items each and a sample item key. */
  entities: Array<{ truth: string; items: number; example: string }>;
}

/** Predicted clusters holding more than one truth entity, largest first; `examples` of them in detail. */
export function falseMerges(items: Array<Labelled & { key: string }>, examples = 5): { count: number; examples: FalseMerge[] } {
  const byCluster = new Map<string, Map<string, { items: number; example: string }>>();
  for (const it of items) {
    let entities = byCluster.get(it.predicted);
    if (!entities) byCluster.set(it.predicted, (entities = new Map()));
    const e = entities.get(it.truth);
    if (e) e.items++;
    else entities.set(it.truth, { items: 1, example: it.key });
  }
  const merged = [...byCluster].filter(([, e]) => e.size > 1);
  merged.sort((a, b) => b[1].size - a[1].size || a[0].localeCompare(b[0]));
  return {
    count: merged.length,
    examples: merged.slice(0, examples).map(([cluster, e]) => ({ cluster, entities: [...e].map(([truth, v]) => ({ truth, ...v })) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Usable evidence

const present = (v: unknown) => v !== null && v !== undefined && String(v).trim() !== '';

/**
 * Whether an item carries enough for any resolver to place it, the denominator of "recall on
 * usable evidence". Judged from the facts the connector mapped off the department's record (what
 * the hub was given), not from the world:
 * - a person: an ID number as written (valid or mistyped: a broken key can be recovered), or a
 *   name plus at least one of phone, birth date, address;
 * - an enterprise: a credit code as written, or a name plus an address;
 * - a building or dwelling: an address;
 * - a stored record without facts (a fire hazard, which points at its inspection) is usable: the
 *   record it refers to carries the evidence;
 * - an item the store has no row for (the connector mapped no mention) is usable only when its
 *   truth noise does not say the key is missing: the record named it, the connector dropped it.
 */
export function usable(item: Pick<Item, 'entityType' | 'noise'>, prediction: Prediction | undefined): boolean {
  if (!prediction) return !item.noise.includes('id_missing') && item.entityType !== 'person';
  const f = prediction.facts;
  if (f === null) return true;
  switch (item.entityType) {
    case 'person':
      return present(f.idNumber) || (present(f.name) && (present(f.phone) || present(f.birthDate) || present(f.address)));
    case 'enterprise':
      return present(f.creditCode) || (present(f.name) && present(f.address));
    case 'building':
    case 'dwelling':
      return present(f.address) || present(f.addressKey);
  }
}

// ---------------------------------------------------------------------------------------------
// The evaluation

export interface SubsetScore extends BCubed {
  /** Items the hub linked to some entity. */
  linked: number;
}

export interface TypeEvaluation {
  entityType: EntityType;
  items: number;
  linked: number;
  unlinked: number;
  /** Items with no stored row at all (the connector mapped no such mention). */
  missing: number;
  truthEntities: number;
  predictedClusters: number;
  pairwise: Pairwise;
  bcubed: BCubed;
  /** B-cubed over the usable-evidence items only (see usable()). */
  usable: BCubed;
  falseMerges: { count: number; examples: FalseMerge[] };
  byDepartment: Map<string, SubsetScore>;
  /** Per noise tag; items without noise under '(none)'. */
  byNoise: Map<string, SubsetScore>;
  /** Linked items per link_method ('(not recorded)' when the store has no such column or value). */
  byMethod: Map<string, number>;
}

export interface Evaluation {
  name: string;
  types: TypeEvaluation[];
}

export const NO_NOISE = '(none)';
const NO_METHOD = '(not recorded)';

/**
 * Scores predicted clusters against the truth, per entity type. `predictions` is keyed like the
 * items; an item without one, or whose cluster is null, is unlinked (a cluster of its own).
 */
export function evaluate(
  name: string,
  items: Item[],
  predictions: Map<string, Prediction>,
): Evaluation {
  const types: TypeEvaluation[] = [];
  for (const entityType of ENTITY_TYPES) {
    const mine = items.filter((i) => i.entityType === entityType);
    if (mine.length === 0) continue;
    const labelled = mine.map((i) => {
      const p = predictions.get(i.key);
      return { item: i, p, key: i.key, truth: i.truth, predicted: p?.cluster ?? `unlinked:${i.key}` };
    });
    const c = contingency(labelled);
    const subsets = (group: (l: (typeof labelled)[number]) => string[]) => {
      const out = new Map<string, typeof labelled>();
      for (const l of labelled) {
        for (const g of group(l)) {
          let list = out.get(g);
          if (!list) out.set(g, (list = []));
          list.push(l);
        }
      }
      return new Map([...out].sort((a, b) => a[0].localeCompare(b[0])).map(([g, list]) => [g, { ...bcubed(c, list), linked: list.filter((l) => l.p?.cluster).length }]));
    };
    const byMethod = new Map<string, number>();
    for (const l of labelled) if (l.p?.cluster) bump(byMethod, l.p.method ?? NO_METHOD);
    const linked = labelled.filter((l) => l.p?.cluster).length;
    types.push({
      entityType,
      items: mine.length,
      linked,
      unlinked: mine.length - linked,
      missing: labelled.filter((l) => !l.p).length,
      truthEntities: c.truth.size,
      predictedClusters: c.predicted.size,
      pairwise: pairwise(c),
      bcubed: bcubed(c, labelled),
      usable: bcubed(c, labelled.filter((l) => usable(l.item, l.p))),
      falseMerges: falseMerges(labelled),
      byDepartment: subsets((l) => [l.item.department]),
      byNoise: subsets((l) => (l.item.noise.length ? [...new Set(l.item.noise)] : [NO_NOISE])),
      byMethod,
    });
  }
  return { name, types };
}

/**
 * Replaces the hub's clusters by another resolver's (e.g. Splink's): item key → cluster label.
 * Absent items, and items alone in their cluster, count as unlinked: a clusterer puts every row
 * somewhere, and a singleton there is what an unlinked record is to the hub. The metrics are
 * the same either way; only the linked count reads differently.
 */
export function predictionsFromClusters(clusters: Map<string, string>, like: Map<string, Prediction>): Map<string, Prediction> {
  const size = new Map<string, number>();
  for (const c of clusters.values()) bump(size, c);
  const out = new Map<string, Prediction>();
  for (const [key, p] of like) out.set(key, { cluster: null, method: null, score: null, facts: p.facts });
  for (const [key, cluster] of clusters) {
    out.set(key, { cluster: (size.get(cluster) ?? 0) > 1 ? cluster : null, method: null, score: null, facts: like.get(key)?.facts ?? null });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Markdown

const pct = (v: number | null) => (v === null ? '—' : (v * 100).toFixed(2));
const int = (n: number) => n.toLocaleString('en-US');
const table = (header: string[], rows: string[][]) =>
  [header, header.map((_, i) => (i === 0 ? '---' : '---:')), ...rows].map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`).join('\n');

/** One row per (evaluation, entity type): the headline numbers. */
export function renderSummary(evaluations: Evaluation[]): string {
  const rows = evaluations.flatMap((e) => e.types.map((t) => [
    e.name, t.entityType, int(t.items), int(t.truthEntities), int(t.linked), int(t.unlinked),
    pct(t.pairwise.precision), pct(t.pairwise.recall), pct(t.pairwise.f1),
    pct(t.bcubed.precision), pct(t.bcubed.recall), `${pct(t.usable.recall)} (${int(t.usable.items)})`, int(t.falseMerges.count),
  ]));
  return table(['resolver', 'type', 'items', 'entities', 'linked', 'unlinked', 'pair P %', 'pair R %', 'pair F1 %', 'B³ P %', 'B³ R %', 'B³ R usable % (items)', 'false merges'], rows);
}

function renderSubsets(e: Evaluation, pick: (t: TypeEvaluation) => Map<string, SubsetScore>, label: string): string {
  const rows = e.types.flatMap((t) => [...pick(t)].map(([g, s]) => [g, t.entityType, int(s.items), int(s.linked), pct(s.precision), pct(s.recall)]));
  return table([label, 'type', 'items', 'linked', 'B³ P %', 'B³ R %'], rows);
}

export const renderByDepartment = (e: Evaluation) => renderSubsets(e, (t) => t.byDepartment, 'department');
export const renderByNoise = (e: Evaluation) => renderSubsets(e, (t) => t.byNoise, 'noise tag');

export function renderMethods(e: Evaluation): string {
  const rows = e.types.flatMap((t) => [...t.byMethod].sort((a, b) => b[1] - a[1]).map(([m, n]) => [t.entityType, m, int(n)]));
  return table(['type', 'link method', 'linked items'], rows);
}

export function renderFalseMerges(e: Evaluation): string {
  const lines: string[] = [];
  for (const t of e.types) {
    for (const m of t.falseMerges.examples) {
      lines.push(`- ${t.entityType} ${m.cluster}: ${m.entities.map((x) => `${x.truth} ×${x.items} (e.g. ${x.example})`).join('; ')}`);
    }
  }
  return lines.length ? lines.join('\n') : '- none';
}
