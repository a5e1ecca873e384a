/**
 * Fellegi–Sunter matching. Each field of a pair is compared into one of a few agreement levels;
 * each level has m (how often a true match shows it) and u (how often two different entities
 * show it by chance), and log2(m/u) is the weight it adds. The sum, with the prior odds that a
 * record names this one entity of all N, gives the match probability.
 *
 * m is estimated from the data by expectation–maximisation over blocked pairs, u from random
 * pairs of entities (as Splink does); the exact-name level's u is replaced per name by its
 * frequency, so a common name (张伟) weighs less than a rare one.
 */

export interface FieldModel {
  field: string;
  /** Agreement levels, worst first: index 0 is "disagrees". */
  levels: readonly string[];
  m: number[];
  u: number[];
}

export interface MatchModel {
  entityType: 'person' | 'enterprise';
  fields: FieldModel[];
}

/** A compared pair: one level index per field, null where either side does not state it. */
export type Vector = ReadonlyArray<number | null>;

export interface Evidence {
  field: string;
  agreement: string;
  weight: number;
}

export interface Scored {
  /** Match weight in bits, prior included. */
  weight: number;
  probability: number;
  evidence: Evidence[];
}

const FLOOR = 1e-9;
const log2 = (x: number) => Math.log2(Math.max(x, FLOOR));

/**
 * `uOverride` replaces u for one field's top level (term frequency of the value compared);
 * `population` is how many entities a record could be (the prior is one in that many).
 */
export function score(model: MatchModel, vector: Vector, population: number, uOverride: ReadonlyMap<string, number> = new Map()): Scored {
  let weight = log2(1 / Math.max(population, 2));
  const evidence: Evidence[] = [];
  model.fields.forEach((f, i) => {
    const level = vector[i];
    if (level === null || level === undefined) return;
    const top = level === f.levels.length - 1;
    const u = top && uOverride.has(f.field) ? (uOverride.get(f.field) as number) : (f.u[level] ?? 1);
    const w = log2(f.m[level] ?? FLOOR) - log2(u);
    weight += w;
    evidence.push({ field: f.field, agreement: f.levels[level] ?? String(level), weight: Math.round(w * 100) / 100 });
  });
  return { weight, probability: 1 / (1 + 2 ** -weight), evidence };
}

/** u per level from pairs of entities drawn at random: how often chance alone agrees. */
export function estimateU(model: MatchModel, randomPairs: readonly Vector[]): MatchModel {
  return {
    ...model,
    fields: model.fields.map((f, i) => {
      const counts = f.levels.map(() => 0.5); // a half count per level: no level is impossible
      let seen = 0;
      for (const v of randomPairs) {
        const level = v[i];
        if (level !== null && level !== undefined) {
          counts[level] = (counts[level] ?? 0) + 1;
          seen++;
        }
      }
      // Too few comparisons say nothing (random pairs rarely both carry a broken ID number).
      if (seen < MIN_OBSERVED) return f;
      const total = counts.reduce((a, b) => a + b, 0);
      return { ...f, u: counts.map((c) => c / total) };
    }),
  };
}

/** A field compared in fewer pairs than this keeps the m and u it had. */
const MIN_OBSERVED = 100;
/**
 * The hand-set m weighs as this many pairs in every estimate: EM on clean data would otherwise
 * conclude that a true match never has a wrong birth day, and give that level minus infinity.
 */
const PRIOR_PAIRS = 50;

/**
 * m per level by EM over blocked candidate pairs, u held fixed: each round weighs every pair by
 * its current match probability and re-counts the levels the likely matches show.
 */
export function estimateM(
  model: MatchModel, pairs: readonly Vector[], options: { iterations?: number; prior?: number; fixed?: readonly number[] } = {},
): { model: MatchModel; prior: number; iterations: number } {
  // Fields the pairs were blocked on agree by construction: their m cannot be learnt from these pairs.
  const fixed = new Set(options.fixed ?? []);
  let current = model;
  let prior = options.prior ?? 0.3;
  const rounds = options.iterations ?? 25;
  let done = 0;
  for (; done < rounds && pairs.length > 0; done++) {
    const counts = current.fields.map((_, i) => (model.fields[i] as FieldModel).m.map((m) => m * PRIOR_PAIRS));
    const observed = current.fields.map(() => 0);
    let matches = 0;
    for (const v of pairs) {
      let lm = Math.log(prior);
      let lu = Math.log(1 - prior);
      current.fields.forEach((f, i) => {
        const level = v[i];
        if (level === null || level === undefined || fixed.has(i)) return;
        lm += Math.log(Math.max(f.m[level] ?? FLOOR, FLOOR));
        lu += Math.log(Math.max(f.u[level] ?? FLOOR, FLOOR));
      });
      const p = 1 / (1 + Math.exp(lu - lm));
      matches += p;
      v.forEach((level, i) => {
        if (level === null || level === undefined || fixed.has(i)) return;
        const row = counts[i] as number[];
        row[level] = (row[level] ?? 0) + p;
        observed[i] = (observed[i] ?? 0) + 1;
      });
    }
    const next = current.fields.map((f, i) => {
      if (fixed.has(i) || (observed[i] ?? 0) < MIN_OBSERVED) return f;
      const row = counts[i] as number[];
      const total = row.reduce((a, b) => a + b, 0);
      return { ...f, m: row.map((c) => c / total) };
    });
    const change = next.reduce((acc, f, i) => acc + f.m.reduce((a, m, l) => a + Math.abs(m - (current.fields[i]?.m[l] ?? 0)), 0), 0);
    current = { ...current, fields: next };
    prior = Math.min(0.999, Math.max(0.001, matches / pairs.length));
    if (change < 1e-4) {
      done++;
      break;
    }
  }
  return { model: current, prior, iterations: done };
}
