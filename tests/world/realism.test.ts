import { beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { pinyin } from 'pinyin-pro';
import { isValidResidentId, makeResidentId } from '../../src/domain/idNumber.js';
import { fullName, homophoneName, homophonesOf, soundAlikeGiven } from '../../src/world/names.js';
import { transposeId, transposePhone, wrongBirthDay } from '../../src/world/noise.js';
import { Rng } from '../../src/world/rng.js';
import { civilFromDays, isoDay, TODAY } from '../../src/world/time.js';
import {
  DEPARTMENTS, DEPARTMENT_STREAMS, REALISTIC_LOOKALIKES, REALISTIC_NOISE, SOURCE_ID_FIELD, WORLD_FILES, generateWorld, type Department,
  type HouseholdRow, type NoiseTag, type PersonRow, type TruthRow,
} from '../../src/world/index.js';
import { freshDirs, hashTree, readRows } from './helpers.js';

const fresh = freshDirs();

// Character by character: read as a word, a polyphone may change (生长 shēngzhǎng, 晟长 shèngcháng).
const toneless = (s: string): string => [...s].map((ch) => pinyin(ch, { toneType: 'none' })).join(' ');

/** The positions where two strings differ. */
const diff = (a: string, b: string): number[] => [...a].flatMap((ch, i) => (ch !== b[i] ? [i] : []));

/** b is a with exactly one pair of adjacent, different characters swapped. */
function oneAdjacentSwap(a: string, b: string): boolean {
  const d = diff(a, b);
  return a.length === b.length && d.length === 2 && d[1] === d[0]! + 1 && a[d[0]!] === b[d[1]] && a[d[1]] === b[d[0]!];
}

describe('the new noise primitives', () => {
  test('a transposed ID number swaps two adjacent differing digits of the first 17 and always fails its check', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 3000; i++) {
      const id = makeResidentId(rng.pick(['330110', '330125', '341221', '410522']), isoDay(TODAY - rng.int(0, 36000)), rng.int(0, 999));
      const t = transposeId(id, rng.next())!;
      expect([t, isValidResidentId(t)]).toEqual([t, false]);
      expect([id, t, oneAdjacentSwap(id, t)]).toEqual([id, t, true]);
      expect(diff(id, t)[1]!).toBeLessThanOrEqual(16);
    }
  });

  test('a transposed phone swaps two adjacent differing digits and keeps the leading 1', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 1000; i++) {
      const phone = `1${rng.pick(['33', '58', '89'])}${rng.digits(8)}`;
      const t = transposePhone(phone, rng.next());
      if (t === null) continue;
      expect(oneAdjacentSwap(phone, t)).toBe(true);
      expect(t.startsWith('1')).toBe(true);
    }
    expect(transposePhone('11111111111', 0.5)).toBeNull();
  });

  test('homophones have the same toneless pinyin and are other characters', () => {
    const rng = new Rng(4);
    let changed = 0;
    for (let i = 0; i < 3000; i++) {
      const name = fullName(rng, rng.chance(0.5) ? 'male' : 'female', rng.int(1930, 2025));
      for (const ch of name.slice(1)) for (const h of homophonesOf(ch)) expect([ch, h, toneless(h)]).toEqual([ch, h, toneless(ch)]);
      const h = homophoneName(name, rng.next());
      if (h === null) continue;
      changed++;
      expect(h).not.toBe(name);
      expect(h.charAt(0)).toBe(name.charAt(0));
      expect([name, h, toneless(h.slice(1))]).toEqual([name, h, toneless(name.slice(1))]);
    }
    expect(changed).toBeGreaterThan(2000); // most given names have a character with a homophone
    expect(homophoneName('王芳', 0)).toBe('王方');
    expect(homophonesOf('伟')).toContain('维');
    const alike = soundAlikeGiven('子轩', new Rng(1))!;
    expect([alike !== '子轩', toneless(alike)]).toEqual([true, 'zi xuan']);
  });

  test('a wrong birth day is another real date: day ±1..3 in the month, or day and month swapped', () => {
    const rng = new Rng(5);
    let swapped = 0;
    for (let i = 0; i < 5000; i++) {
      const day = TODAY - rng.int(0, 36000);
      const w = wrongBirthDay(day, rng.next());
      const [a, b] = [civilFromDays(day), civilFromDays(w)];
      expect(w).not.toBe(day);
      expect(w).toBeLessThanOrEqual(TODAY);
      expect(b.y).toBe(a.y);
      if (b.m === a.m) expect([1, 2, 3]).toContain(Math.abs(b.d - a.d));
      else {
        expect([b.m, b.d]).toEqual([a.d, a.m]);
        swapped++;
      }
    }
    expect(swapped).toBeGreaterThan(300);
  });
});

interface World {
  dir: string;
  people: PersonRow[];
  households: HouseholdRow[];
  truth: TruthRow[];
  records: Record<string, any[]>;
  /** The truth row of each record, by stream and sourceId. */
  truthOf: Map<string, TruthRow>;
}

function load(dir: string): World {
  const records: Record<string, any[]> = {};
  for (const d of DEPARTMENTS) for (const s of DEPARTMENT_STREAMS[d]) records[`${d}/${s}`] = readRows(join(dir, 'departments', d, `${s}.ndjson`));
  const truth = DEPARTMENTS.flatMap((d) => readRows<TruthRow>(join(dir, 'truth', `${d}.ndjson`)));
  return {
    dir, people: readRows(join(dir, 'world', 'people.ndjson')), households: readRows(join(dir, 'world', 'households.ndjson')), truth, records,
    truthOf: new Map(truth.map((t) => [`${t.department}/${t.stream}/${t.sourceId}`, t])),
  };
}

/** Each record of a stream with its truth row. */
function pairs(w: World, d: Department, stream: string): Array<{ r: any; t: TruthRow }> {
  const field = (SOURCE_ID_FIELD[d] as Record<string, string>)[stream]!;
  return w.records[`${d}/${stream}`]!.map((r) => ({ r, t: w.truthOf.get(`${d}/${stream}/${r[field]}`)! }));
}

const has = (tags: readonly NoiseTag[], tag: NoiseTag): boolean => tags.includes(tag);

/** Observed share within ±4 binomial standard errors of the expected rate (and a little slack). */
function near(hits: number, pool: number, rate: number): void {
  expect(pool).toBeGreaterThan(300);
  expect(hits).toBeGreaterThan(0);
  const se = Math.sqrt((rate * (1 - rate)) / pool);
  expect([hits, pool, Math.abs(hits / pool - rate) < 4 * se + 0.002]).toEqual([hits, pool, true]);
}

describe('REALISTIC_NOISE and REALISTIC_LOOKALIKES at small scale', () => {
  let w: World;
  const rate = (d: Department, k: string): number => (REALISTIC_NOISE[d] as Record<string, number>)[k]!;

  beforeAll(async () => {
    const dir = fresh('realistic');
    await generateWorld({ scale: 'small', seed: 5, outDir: dir, noise: REALISTIC_NOISE, lookalikes: REALISTIC_LOOKALIKES });
    w = load(dir);
  }, 60_000);

  test('every new tag appears at about its rate', () => {
    const pop = pairs(w, 'population', 'residents').filter(({ t }) => !has(t.noise, 'duplicate_registration'));
    const homophonable = pop.filter(({ t }) => [...w.people[t.index]!.name.slice(1)].some((ch) => homophonesOf(ch).length > 0));
    near(homophonable.filter(({ t }) => has(t.noise, 'name_homophone')).length, homophonable.length, rate('population', 'nameHomophone'));
    near(pop.filter(({ t }) => has(t.noise, 'birth_day_wrong')).length, pop.length, rate('population', 'birthDayWrong'));
    const withId = pop.filter(({ t }) => !has(t.noise, 'id_missing') && !has(t.noise, 'id_mistyped'));
    near(withId.filter(({ t }) => has(t.noise, 'id_transposed')).length, withId.length, rate('population', 'idTransposed'));
    const withPhone = pop.filter(({ r }) => r.LXDH !== null);
    near(withPhone.filter(({ t }) => has(t.noise, 'phone_transposed')).length, withPhone.length, rate('population', 'phoneTransposed'));
    const dups = (d: Department, stream: string): void => {
      const rows = pairs(w, d, stream);
      const extra = rows.filter(({ t }) => has(t.noise, 'duplicate_registration')).length;
      near(extra, rows.length - extra, rate(d, 'duplicate'));
    };
    dups('population', 'residents');
    dups('police', 'residence_registrations');
    // Name and phone only: police registrations and housing owners and tenants who have a phone.
    const police = pairs(w, 'police', 'residence_registrations').filter(({ t }) => w.people[t.index]!.phone !== null);
    near(police.filter(({ t }) => has(t.noise, 'name_phone_only')).length, police.length, rate('police', 'namePhoneOnly'));
    const housingLinks = w.truth.filter((t) => t.stream === 'dwellings').flatMap((t) => t.links).filter((l) => w.people[l.index]!.phone !== null);
    near(housingLinks.filter((l) => has(l.noise, 'name_phone_only')).length, housingLinks.length, rate('housing', 'namePhoneOnly'));
    // Social and the rest are too few at this scale to measure a 1 % rate; they must at least occur.
    const social = w.truth.filter((t) => t.department === 'social').flatMap((t) => t.noise);
    for (const tag of ['name_homophone', 'birth_day_wrong', 'id_transposed'] as const) expect([tag, social.includes(tag)]).toEqual([tag, true]);
  });

  test('look-alikes occur at about their rates', () => {
    const twoChildren = w.households.filter((h) => {
      const kids = w.people.slice(h.firstPersonIndex, h.firstPersonIndex + h.size).filter((p) => p.relation === 'child');
      return kids.length === 2;
    });
    const twins = twoChildren.filter((h) => {
      const kids = w.people.slice(h.firstPersonIndex, h.firstPersonIndex + h.size).filter((p) => p.relation === 'child');
      return kids[0]!.birthDate === kids[1]!.birthDate;
    });
    near(twins.length, twoChildren.length, REALISTIC_LOOKALIKES.twins);
    // Each namesake pair tags two people; not everyone drawn finds a neighbour to share a name with.
    const namesakes = new Set(w.truth.filter((t) => t.entity === 'person' && has(t.noise, 'namesake')).map((t) => t.index));
    const share = namesakes.size / w.people.length;
    expect(share).toBeGreaterThan(REALISTIC_LOOKALIKES.namesakes);
    expect(share).toBeLessThan(2 * REALISTIC_LOOKALIKES.namesakes);
  });

  test('each record reads as its truth says', () => {
    let transposed = 0;
    let homophones = 0;
    let wrongDays = 0;
    let phoneOnly = 0;
    const checkId = (held: string | null, truthId: string, tags: readonly NoiseTag[]): void => {
      if (has(tags, 'id_transposed')) {
        transposed++;
        expect([held, isValidResidentId(held!)]).toEqual([held, false]);
        expect([held, oneAdjacentSwap(truthId, held!)]).toEqual([held, true]);
      }
      if (has(tags, 'name_phone_only')) expect(held).toBeNull();
      if (!tags.some((t) => t.startsWith('id_') || t === 'name_phone_only')) expect(held).toBe(truthId);
    };
    const checkName = (held: string, truthName: string, tags: readonly NoiseTag[]): void => {
      if (has(tags, 'name_homophone') && !tags.some((t) => t === 'name_space' || t === 'name_traditional')) {
        homophones++;
        expect(held).not.toBe(truthName);
        expect([held, toneless(held.slice(1))]).toEqual([held, toneless(truthName.slice(1))]);
      }
    };
    const checkPhone = (held: string | null, truthPhone: string | null, tags: readonly NoiseTag[]): void => {
      if (has(tags, 'phone_transposed') && !has(tags, 'phone_stale')) expect(oneAdjacentSwap(truthPhone!, held!)).toBe(true);
      if (has(tags, 'name_phone_only')) {
        phoneOnly++;
        expect(held).not.toBeNull();
      }
    };
    for (const { r, t } of pairs(w, 'population', 'residents')) {
      const p = w.people[t.index]!;
      checkId(r.GMSFHM, p.idNumber, t.noise);
      checkName(r.XM, p.name, t.noise);
      checkPhone(r.LXDH, p.phone, t.noise);
      const truthDay = p.birthDate.replaceAll('-', '');
      if (has(t.noise, 'birth_day_wrong')) {
        wrongDays++;
        expect(r.CSRQ).not.toBe(truthDay);
        expect(r.CSRQ).toMatch(/^(19|20)\d{6}$/);
      } else expect(r.CSRQ).toBe(truthDay);
      // The ID number is not what changed.
      if (r.GMSFHM !== null && isValidResidentId(r.GMSFHM)) expect(r.GMSFHM).toBe(p.idNumber);
    }
    for (const { r, t } of pairs(w, 'police', 'residence_registrations')) {
      const p = w.people[t.index]!;
      checkId(r.sfzh, p.idNumber, t.noise);
      checkName(r.xm, p.name, t.noise);
      checkPhone(r.lxdh, p.phone, t.noise);
      if (has(t.noise, 'name_phone_only')) {
        expect(r.jzdz).toBeNull();
        expect(t.noise.filter((n) => n.startsWith('address_'))).toEqual([]);
      } else expect(typeof r.jzdz).toBe('string');
    }
    for (const { r, t } of pairs(w, 'social', 'special_groups')) {
      const p = w.people[t.index]!;
      checkId(r.id_number, p.idNumber, t.noise);
      checkName(r.name, p.name, t.noise);
      checkPhone(r.phone, p.phone, t.noise);
      if (has(t.noise, 'name_phone_only')) expect([r.address, r.birth_date]).toEqual([null, null]);
      else expect(r.birth_date === p.birthDate).toBe(!has(t.noise, 'birth_day_wrong'));
    }
    for (const { r, t } of pairs(w, 'housing', 'dwellings')) {
      const people = [...(r.owner ? [['owner', r.owner]] : []), ...r.tenants.map((x: unknown) => ['tenant', x])] as Array<[string, any]>;
      for (const [role, held] of people) {
        const l = t.links.find((x) => x.role === role)!;
        const p = w.people[l.index]!;
        checkId(held.id_number, p.idNumber, l.noise);
        checkName(held.name, p.name, l.noise);
        checkPhone(held.phone, p.phone, l.noise);
      }
    }
    expect([transposed > 50, homophones > 100, wrongDays > 50, phoneOnly > 100]).toEqual([true, true, true, true]);
  });

  test('a duplicate registration is the same person again, under a source id of its own', () => {
    for (const [d, stream, style] of [
      ['population', 'residents', /^RY330110\d{10}$/], ['police', 'residence_registrations', /^JZ\d{4}9\d{7}$/], ['social', 'special_groups', /^MZ(DJ|CJ|KN|LS)9\d{7}$/],
    ] as const) {
      const rows = pairs(w, d, stream);
      const field = (SOURCE_ID_FIELD[d] as Record<string, string>)[stream]!;
      const ids = rows.map(({ r }) => r[field] as string);
      expect(new Set(ids).size).toBe(ids.length);
      const originals = new Map<number, number>();
      for (const { t } of rows) if (!has(t.noise, 'duplicate_registration')) originals.set(t.index, (originals.get(t.index) ?? 0) + 1);
      const dups = rows.filter(({ t }) => has(t.noise, 'duplicate_registration'));
      expect([d, dups.length > 0]).toEqual([d, true]);
      for (const { r, t } of dups) {
        expect([t.sourceId, r[field]]).toEqual([t.sourceId, t.sourceId]);
        expect(t.sourceId).toMatch(style);
        expect(t.entity).toBe('person');
        expect(originals.has(t.index)).toBe(true);
        expect(new Set(t.noise).size).toBe(t.noise.length);
      }
    }
  });

  test('twins share birth date, surname and household, not their ID numbers; every record about them says so', () => {
    const tagged = new Set(w.truth.filter((t) => t.entity === 'person' && has(t.noise, 'twin')).map((t) => t.index));
    const twins = w.people.filter((p) => tagged.has(p.index));
    expect(twins.length).toBeGreaterThan(6);
    const byHousehold = new Map<number, PersonRow[]>();
    for (const p of twins) byHousehold.set(p.householdIndex, [...(byHousehold.get(p.householdIndex) ?? []), p]);
    for (const [, pair] of byHousehold) {
      expect(pair).toHaveLength(2);
      const [a, b] = pair as [PersonRow, PersonRow];
      expect([a.relation, b.relation]).toEqual(['child', 'child']);
      expect(a.birthDate).toBe(b.birthDate);
      expect(a.name.charAt(0)).toBe(b.name.charAt(0));
      expect(a.name).not.toBe(b.name);
      expect(a.idNumber).not.toBe(b.idNumber);
      expect([isValidResidentId(a.idNumber), isValidResidentId(b.idNumber)]).toEqual([true, true]);
    }
    expectTaggedEverywhere(w, new Set(twins.map((p) => p.index)), 'twin');
  });

  test('namesakes share the full name with a neighbour in another household of the building; every record about them says so', () => {
    const tagged = new Set(w.truth.filter((t) => t.entity === 'person' && has(t.noise, 'namesake')).map((t) => t.index));
    expect(tagged.size).toBeGreaterThan(20);
    let sameYear = 0;
    for (const i of tagged) {
      const p = w.people[i]!;
      const mates = [...tagged].map((j) => w.people[j]!).filter((q) => q.index !== i && q.name === p.name && q.buildingIndex === p.buildingIndex);
      expect([p.name, mates.length > 0]).toEqual([p.name, true]);
      expect(mates.every((q) => q.householdIndex !== p.householdIndex && q.sex === p.sex)).toBe(true);
      if (mates.some((q) => q.birthDate.slice(0, 4) === p.birthDate.slice(0, 4))) sameYear++;
    }
    expect(sameYear).toBeGreaterThan(0);
    expectTaggedEverywhere(w, tagged, 'namesake');
  });
});

/** Every truth row about one of `people`, as its entity or a link, carries `tag`, and no other does. */
function expectTaggedEverywhere(w: World, people: Set<number>, tag: NoiseTag): void {
  let rows = 0;
  for (const t of w.truth) {
    if (t.entity === 'person') {
      expect([t.sourceId, has(t.noise, tag)]).toEqual([t.sourceId, people.has(t.index)]);
      if (people.has(t.index)) rows++;
    }
    for (const l of t.links) if (l.entity === 'person') expect([t.sourceId, l.role, has(l.noise, tag)]).toEqual([t.sourceId, l.role, people.has(l.index)]);
  }
  expect(rows).toBeGreaterThan(people.size / 2);
}

describe('the new noise is independent of everything else', () => {
  const tinyDefault = async (): Promise<string> => {
    const dir = fresh('base');
    await generateWorld({ scale: 'tiny', seed: 9, outDir: dir });
    return dir;
  };
  let base: string;
  beforeAll(async () => {
    base = await tinyDefault();
  });

  test('REALISTIC_NOISE without look-alikes leaves the world as it is', async () => {
    const dir = fresh('realistic-tiny');
    await generateWorld({ scale: 'tiny', seed: 9, outDir: dir, noise: REALISTIC_NOISE });
    const [hb, hr] = [hashTree(base), hashTree(dir)];
    for (const f of WORLD_FILES) expect([f, hr[`world/${f}.ndjson`]]).toEqual([f, hb[`world/${f}.ndjson`]]);
    expect(hr['departments/population/residents.ndjson']).not.toBe(hb['departments/population/residents.ndjson']);
  });

  test('duplicates add records and change no other record or its noise', async () => {
    const dir = fresh('dups');
    await generateWorld({ scale: 'tiny', seed: 9, outDir: dir, noise: { population: { duplicate: 0.3 }, police: { duplicate: 0.3 }, social: { duplicate: 0.3 } } });
    for (const d of ['population', 'police', 'social'] as const) {
      const without = (rows: TruthRow[]): TruthRow[] => rows.filter((t) => !t.noise.includes('duplicate_registration'));
      const tb = readRows<TruthRow>(join(base, 'truth', `${d}.ndjson`));
      const td = readRows<TruthRow>(join(dir, 'truth', `${d}.ndjson`));
      expect(td.length - tb.length).toBeGreaterThan(0);
      expect(without(td)).toEqual(tb);
      for (const s of DEPARTMENT_STREAMS[d]) {
        const field = (SOURCE_ID_FIELD[d] as Record<string, string>)[s]!;
        const dupIds = new Set(td.filter((t) => t.stream === s && t.noise.includes('duplicate_registration')).map((t) => t.sourceId));
        const rows = readRows(join(dir, 'departments', d, `${s}.ndjson`)).filter((r) => !dupIds.has(r[field]));
        expect(rows).toEqual(readRows(join(base, 'departments', d, `${s}.ndjson`)));
      }
    }
  });

  test('one new rate changes only its own noise', async () => {
    const dir = fresh('homophones');
    await generateWorld({ scale: 'tiny', seed: 9, outDir: dir, noise: { police: { nameHomophone: 0.5 } } });
    const [hb, hh] = [hashTree(base), hashTree(dir)];
    delete hb['manifest.json'];
    delete hh['manifest.json'];
    for (const f of Object.keys(hb)) if (!f.includes('police')) expect([f, hh[f]]).toEqual([f, hb[f]]);
    const tb = readRows<TruthRow>(join(base, 'truth', 'police.ndjson'));
    const th = readRows<TruthRow>(join(dir, 'truth', 'police.ndjson'));
    const strip = (rows: TruthRow[]): unknown => rows.map((t) => ({ ...t, noise: t.noise.filter((n) => n !== 'name_homophone'), links: t.links.map((l) => ({ ...l, noise: l.noise.filter((n) => n !== 'name_homophone') })) }));
    expect(strip(th)).toEqual(strip(tb));
    expect(th.filter((t) => t.noise.includes('name_homophone')).length).toBeGreaterThan(50);
  });

  test('rejects look-alike rates outside [0, 1]', async () => {
    await expect(generateWorld({ scale: 'tiny', seed: 1, outDir: fresh('bad'), lookalikes: { twins: 2 } })).rejects.toThrow(/twins/);
  });
});
