/**
 * The resolution metrics (bench/lib/resolutionEval.ts) on clusters small enough to count by
 * hand. Every expected value below is worked out in the comment next to it.
 */
import {
  bcubed, contingency, evaluate, falseMerges, itemsOfTruthRow, pairwise, predictionsFromClusters, usable, type Item, type Prediction,
} from '../../bench/lib/resolutionEval.js';

// Truth A = {a1, a2, a3}, B = {b1, b2}; predicted X = {a1, a2, b1}, Y = {a3}, Z = {b2}.
const ITEMS = [
  { key: 'a1', truth: 'A', predicted: 'X' },
  { key: 'a2', truth: 'A', predicted: 'X' },
  { key: 'a3', truth: 'A', predicted: 'Y' },
  { key: 'b1', truth: 'B', predicted: 'X' },
  { key: 'b2', truth: 'B', predicted: 'Z' },
];

describe('pairwise precision and recall from contingency counts', () => {
  test('a merge of two entities and a split of one', () => {
    const p = pairwise(contingency(ITEMS));
    // Same truth and same prediction: only {a1, a2} → 1. Predicted pairs: C(3,2) = 3. Truth pairs: C(3,2) + C(2,2) = 4.
    expect([p.truePairs, p.predictedPairs, p.truthPairs]).toEqual([1, 3, 4]);
    expect(p.precision).toBeCloseTo(1 / 3, 12);
    expect(p.recall).toBeCloseTo(1 / 4, 12);
    // 2·(1/3)(1/4) / (1/3 + 1/4) = (1/6) / (7/12) = 2/7
    expect(p.f1).toBeCloseTo(2 / 7, 12);
  });

  test('perfect clusters score 1, all singletons have no predicted pairs', () => {
    const perfect = pairwise(contingency(ITEMS.map((i) => ({ ...i, predicted: i.truth }))));
    expect([perfect.precision, perfect.recall, perfect.f1]).toEqual([1, 1, 1]);
    const singletons = pairwise(contingency(ITEMS.map((i) => ({ ...i, predicted: i.key }))));
    expect([singletons.precision, singletons.recall, singletons.f1]).toEqual([null, 0, null]);
  });

  test('one big cluster: recall 1, precision = truth pairs / all pairs', () => {
    const p = pairwise(contingency(ITEMS.map((i) => ({ ...i, predicted: 'all' }))));
    // 4 true pairs of C(5,2) = 10
    expect([p.precision, p.recall]).toEqual([0.4, 1]);
  });
});

describe('B-cubed', () => {
  test('per item |C∩L|/|C| and |C∩L|/|L|, averaged', () => {
    const c = contingency(ITEMS);
    const b = bcubed(c, ITEMS);
    // precision: a1 2/3, a2 2/3, a3 1, b1 1/3, b2 1 → (11/3) / 5 = 11/15
    expect(b.precision).toBeCloseTo(11 / 15, 12);
    // recall: a1 2/3, a2 2/3, a3 1/3, b1 1/2, b2 1/2 → (8/3) / 5 = 8/15
    expect(b.recall).toBeCloseTo(8 / 15, 12);
    expect(b.items).toBe(5);
  });

  test('a subset is judged against the global clusters', () => {
    const c = contingency(ITEMS);
    const b = bcubed(c, ITEMS.filter((i) => i.truth === 'B'));
    // b1: P 1/3, R 1/2; b2: P 1, R 1/2 → P 2/3, R 1/2
    expect(b.precision).toBeCloseTo(2 / 3, 12);
    expect(b.recall).toBeCloseTo(1 / 2, 12);
    expect(bcubed(c, []).precision).toBeNull();
  });
});

test('false merges: predicted clusters with more than one truth entity', () => {
  const m = falseMerges(ITEMS);
  expect(m.count).toBe(1);
  expect(m.examples).toEqual([{ cluster: 'X', entities: [{ truth: 'A', items: 2, example: 'a1' }, { truth: 'B', items: 1, example: 'b1' }] }]);
  expect(falseMerges(ITEMS.map((i) => ({ ...i, predicted: i.key }))).count).toBe(0);
});

describe('items from truth rows', () => {
  test('the subject and each link, numbered per role; cases are not items', () => {
    const items = itemsOfTruthRow({
      department: 'police', stream: 'incidents', sourceId: 'JJ1', entity: 'building', index: 4, noise: ['address_variant'],
      links: [
        { role: 'case', entity: 'case', index: 9, noise: [] },
        { role: 'reporter', entity: 'person', index: 7, noise: ['phone_stale'] },
      ],
    });
    expect(items.map((i) => [i.key, i.entityType, i.truth, i.noise])).toEqual([
      ['police/incidents/JJ1/subject/0', 'building', 'building:4', ['address_variant']],
      ['police/incidents/JJ1/reporter/0', 'person', 'person:7', ['phone_stale']],
    ]);
  });

  test('two tenants are the 0th and 1st of their role, the owner the 0th of its own', () => {
    const items = itemsOfTruthRow({
      department: 'housing', stream: 'dwellings', sourceId: 'FW1-1', entity: 'dwelling', index: 0,
      links: [
        { role: 'tenant', entity: 'person', index: 3, noise: [] },
        { role: 'owner', entity: 'person', index: 1, noise: [] },
        { role: 'tenant', entity: 'person', index: 5, noise: [] },
      ],
    });
    expect(items.map((i) => i.key)).toEqual(['housing/dwellings/FW1-1/subject/0', 'housing/dwellings/FW1-1/tenant/0', 'housing/dwellings/FW1-1/owner/0', 'housing/dwellings/FW1-1/tenant/1']);
  });
});

describe('usable evidence', () => {
  const person = { entityType: 'person' as const, noise: [] };
  const p = (facts: Record<string, unknown> | null): Prediction => ({ cluster: null, method: null, score: null, facts });
  test('a person: an ID number as written, or a name and one more fact', () => {
    expect(usable(person, p({ idNumber: '330110199001011234' }))).toBe(true);
    expect(usable(person, p({ name: '王芳', phone: '13800000000' }))).toBe(true);
    expect(usable(person, p({ name: '王芳', address: '北苑3幢' }))).toBe(true);
    expect(usable(person, p({ name: '王芳' }))).toBe(false);
    expect(usable(person, p({ name: '王芳', phone: null, idNumber: '' }))).toBe(false);
    expect(usable(person, undefined)).toBe(false);
  });
  test('places and enterprises', () => {
    expect(usable({ entityType: 'dwelling', noise: [] }, p({ address: '北苑3幢2单元501室' }))).toBe(true);
    expect(usable({ entityType: 'building', noise: [] }, p(null))).toBe(true); // a record pointing at another record
    expect(usable({ entityType: 'enterprise', noise: [] }, p({ name: '杭州某公司' }))).toBe(false);
    expect(usable({ entityType: 'enterprise', noise: [] }, p({ name: '杭州某公司', address: '北苑' }))).toBe(true);
    expect(usable({ entityType: 'building', noise: [] }, undefined)).toBe(true);
    expect(usable({ entityType: 'enterprise', noise: ['id_missing'] }, undefined)).toBe(false);
  });
});

describe('evaluate', () => {
  const item = (key: string, entityType: Item['entityType'], truth: string, department: string, noise: string[] = []): Item =>
    ({ key, department, stream: 's', sourceId: key, role: 'subject', ordinal: 0, entityType, truth, noise });
  const items = [
    item('p1', 'person', 'person:1', 'population'),
    item('p2', 'person', 'person:1', 'police', ['name_pinyin']),
    item('p3', 'person', 'person:1', 'social', ['id_missing']),
    item('p4', 'person', 'person:2', 'population'),
    item('b1', 'building', 'building:1', 'housing'),
  ];
  const pred = (cluster: string | null, facts: Record<string, unknown> | null = { idNumber: 'x' }, method: string | null = null): Prediction =>
    ({ cluster, method, score: null, facts });
  // p1, p2 linked to person 10; p3 unlinked with only a name; p4 to person 11; b1 has no row.
  const predictions = new Map<string, Prediction>([
    ['p1', pred('person:10', undefined, 'key')], ['p2', pred('person:10', undefined, 'key')], ['p3', pred(null, { name: '王芳' })], ['p4', pred('person:11', undefined, 'probabilistic')],
  ]);

  test('per type: counts, pairwise, B-cubed, usable recall, methods, subsets', () => {
    const e = evaluate('hub', items, predictions);
    expect(e.types.map((t) => t.entityType)).toEqual(['person', 'building']);
    const [people, buildings] = e.types;
    expect([people!.items, people!.linked, people!.unlinked, people!.missing, people!.truthEntities, people!.predictedClusters]).toEqual([4, 3, 1, 0, 2, 3]);
    // truth pairs: C(3,2) = 3 (person 1); predicted pairs: {p1,p2} = 1, true → P 1, R 1/3
    expect([people!.pairwise.precision, people!.pairwise.recall]).toEqual([1, 1 / 3]);
    // B³ recall: p1 2/3, p2 2/3, p3 1/3, p4 1 → (8/3)/4 = 2/3
    expect(people!.bcubed.recall).toBeCloseTo(2 / 3, 12);
    // usable: p3 has only a name → excluded; p1 2/3, p2 2/3, p4 1 → (7/3)/3 = 7/9
    expect(people!.usable.items).toBe(3);
    expect(people!.usable.recall).toBeCloseTo(7 / 9, 12);
    expect([...people!.byMethod]).toEqual([['key', 2], ['probabilistic', 1]]);
    expect(people!.byNoise.get('id_missing')).toMatchObject({ items: 1, linked: 0, precision: 1, recall: 1 / 3 });
    expect(people!.byNoise.get('(none)')).toMatchObject({ items: 2, linked: 2 });
    expect(people!.byDepartment.get('population')!.recall).toBeCloseTo((2 / 3 + 1) / 2, 12);
    expect([buildings!.items, buildings!.linked, buildings!.missing]).toEqual([1, 0, 1]);
    expect(people!.falseMerges.count).toBe(0);
  });

  test('a false merge lowers precision and is listed', () => {
    const merged = new Map(predictions);
    merged.set('p4', pred('person:10'));
    const [people] = evaluate('hub', items, merged).types;
    // predicted {p1,p2,p4}: 3 pairs, 1 true → P 1/3
    expect(people!.pairwise.precision).toBeCloseTo(1 / 3, 12);
    expect(people!.falseMerges.count).toBe(1);
    expect(people!.falseMerges.examples[0]!.cluster).toBe('person:10');
  });

  test("another resolver's clusters on the same items keep the hub's facts; its singletons are unlinked", () => {
    const other = predictionsFromClusters(new Map([['p1', 'c1'], ['p3', 'c1'], ['p4', 'c2']]), predictions);
    expect(other.get('p2')).toEqual({ cluster: null, method: null, score: null, facts: { idNumber: 'x' } });
    expect(other.get('p4')?.cluster).toBeNull();
    const [people] = evaluate('splink', items, other).types;
    expect(people!.linked).toBe(2);
    expect(people!.pairwise.truePairs).toBe(1);
  });
});
