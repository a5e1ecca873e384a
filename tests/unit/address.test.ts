/**
 * The address parser against the generator: every style of every building, dwelling and
 * premises, and every department record's address against the truth. ADDRESS_TEST_SCALE=small
 * (or district) runs the same checks on a larger world and prints the same report.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AreaInput, Gazetteer, type ParsedAddress, chineseToInt, describeAddress, normalizeText, parseAddress,
} from '../../src/domain/address.js';
import {
  ADDRESS_STYLES, DEPARTMENTS, DEPARTMENT_STREAMS, type AddressStyle, type AreaRow, type BuildingRow, type DwellingRow, type EnterpriseRow,
  type PersonRow, type Site, type TruthRow, generateWorld, renderAddress,
} from '../../src/world/index.js';
import { STREETS } from '../../src/world/places.js';
import { readRows, tempDir } from '../world/helpers.js';

const SCALE = (process.env.ADDRESS_TEST_SCALE ?? 'tiny') as 'tiny' | 'small' | 'district';
const say = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

// ---------------------------------------------------------------------------------------------
// A hand-made district for the spelling cases.

const AREAS: AreaInput[] = [
  { level: 'district', kind: null, code: '330110', name: '余杭区', parentCode: null },
  { level: 'street', kind: 'street', code: '330110001', name: '良渚街道', parentCode: '330110' },
  { level: 'street', kind: 'street', code: '330110003', name: '五常街道', parentCode: '330110' },
  { level: 'street', kind: 'town', code: '330110008', name: '瓶窑镇', parentCode: '330110' },
  { level: 'community', kind: 'community', code: '330110001001', name: '金家渡社区', parentCode: '330110001' },
  { level: 'community', kind: 'village', code: '330110001002', name: '运河村', parentCode: '330110001' },
  { level: 'community', kind: 'community', code: '330110003001', name: '五常社区', parentCode: '330110003' },
  { level: 'community', kind: 'village', code: '330110003002', name: '五常村', parentCode: '330110003' },
  { level: 'community', kind: 'village', code: '330110008001', name: '南山村', parentCode: '330110008' },
];

function handGazetteer(): Gazetteer {
  return new Gazetteer(AREAS, [
    { road: '古墩路1288号', area: '金家渡社区', estate: '北苑', building: 3 },
    { road: '运河村12号', area: '运河村', estate: '吴家浜组' },
    { road: '运河村14号', area: '运河村', estate: '吴家浜组' },
    { road: '运河村14号', area: '运河村', estate: '沈家埭组' },
    { road: '五常大道88号', area: '五常街道', estate: '五常花园' },
  ]);
}

describe('spellings of one place', () => {
  const gaz = handGazetteer();
  const key = (text: string): string | null => parseAddress(text, gaz)?.placeKey ?? null;
  const FLAT = '330110001|北苑|3|2|501';

  test.each([
    '余杭区良渚街道金家渡社区北苑3幢2单元501室',
    '浙江省杭州市余杭区良渚街道金家渡社区北苑3幢2单元501室',
    '余杭区良渚街道北苑3幢2单元501室',
    '良渚金家渡北苑3-2-501',
    '良渚街道北苑小区3栋2单元501',
    '余杭区古墩路1288号北苑3幢2单元501室',
    '余杭区良渚街道金家渡社区北苑三幢二单元501室',
    '余杭区良渚街道金家渡社区北苑3幢2-501',
    '余杭区良渚街道金家渡社区北苑3号楼2单元501室',
    '余杭区良渚街道金家渡社区北苑3#2单元501室',
    '余杭区 良渚街道 金家渡社区 北苑３幢２单元５０１室',
    '杭州市余杭区良渚街道金家渡北苑3幢2单元501室',
    '余杭区金家渡社区北苑3幢2单元0501室',
  ])('%s', (text) => {
    expect(key(text)).toBe(FLAT);
  });

  test('building, premises and unit-only forms', () => {
    expect(parseAddress('余杭区良渚街道金家渡社区北苑3幢', gaz)).toMatchObject({ level: 'building', buildingKey: '330110001|北苑|3', dwellingKey: null });
    expect(key('余杭区良渚街道金家渡社区北苑3#')).toBe('330110001|北苑|3');
    expect(key('余杭区良渚街道金家渡社区北苑3-105')).toBe('330110001|北苑|3||105');
    expect(key('良渚金家渡北苑3-105')).toBe('330110001|北苑|3||105');
    expect(key('余杭区良渚街道北苑3幢105室')).toBe('330110001|北苑|3||105');
    expect(parseAddress('余杭区良渚街道北苑3幢2单元', gaz)).toMatchObject({ level: 'building', unit: '2', room: null });
    // 32-501 is building 32, not building 3 unit 2.
    expect(key('余杭区良渚街道北苑32-501')).toBe('330110001|北苑|32||501');
  });

  test('Chinese numerals', () => {
    expect(chineseToInt('十二')).toBe(12);
    expect(chineseToInt('二十')).toBe(20);
    expect(chineseToInt('一百零五')).toBe(105);
    expect(chineseToInt('一〇五')).toBe(105);
    expect(chineseToInt('两')).toBe(2);
    expect(chineseToInt('十十')).toBeNull();
    expect(key('余杭区良渚街道金家渡社区北苑十二幢一单元1102室')).toBe('330110001|北苑|12|1|1102');
    expect(key('余杭区良渚街道运河村吴家浜组一百零五号')).toBe('330110001002|吴家浜组|105');
  });

  test('village houses and rooms', () => {
    const HOUSE = '330110001002|吴家浜组|12';
    for (const t of ['余杭区良渚街道运河村吴家浜组12号', '良渚街道运河村吴家浜组12号', '良渚运河村吴家浜12号', '良渚街道运河村12号', '余杭区良渚街道运河村十二号']) {
      expect([t, key(t)]).toEqual([t, HOUSE]);
    }
    for (const t of ['余杭区良渚街道运河村吴家浜组12号201室', '良渚运河村吴家浜12号201', '良渚街道运河村12号201', '余杭区良渚街道运河村吴家浜组12-201']) {
      expect([t, key(t)]).toEqual([t, `${HOUSE}||201`]);
    }
  });

  test('never a guess between two candidates', () => {
    // Two groups have a house 14: without the group the text names neither.
    expect(parseAddress('良渚街道运河村14号201', gaz)).toBeNull();
    expect(gaz.explain('良渚街道运河村14号201')).toMatchObject({ ok: false, reason: 'ambiguous' });
    expect(key('良渚街道运河村沈家埭组14号201室')).toBe('330110001002|沈家埭组|14||201');
    // No group has house 99.
    expect(gaz.explain('良渚街道运河村99号')).toMatchObject({ ok: false, reason: 'unknown_group' });
    // 五常 alone is the community (the generator keeps 村 in short village names).
    expect(parseAddress('五常五常北苑1-2-301', gaz)?.communityCode).toBe('330110003001');
    expect(parseAddress('五常五常村陈家浜3号', gaz)?.buildingKey).toBe('330110003002|陈家浜组|3');
    // 五常花园 is an estate, not 五常社区 + 花园.
    expect(key('余杭区五常街道五常花园3幢1单元101室')).toBe('330110003|五常花园|3|1|101');
  });

  test('text it cannot place gives null and never throws', () => {
    for (const t of ['', '   ', '北京市朝阳区建国路88号', '余杭区', '余杭区良渚街道', '余杭区良渚街道金家渡社区', '良渚金家渡北苑', '余杭区良渚街道金家渡社区北苑3', '余杭区未知路1号北苑3幢',
      undefined as unknown as string, 42 as unknown as string]) {
      expect(parseAddress(t, gaz)).toBeNull();
    }
  });

  test('normalizeText and describeAddress', () => {
    expect(normalizeText('北苑３幢　２单元 ５０１室')).toBe('北苑3幢2单元501室');
    expect(normalizeText('北苑3—2－501')).toBe('北苑3-2-501');
    const p = parseAddress('良渚金家渡北苑3-2-501', gaz) as ParsedAddress;
    expect(describeAddress(p, gaz)).toBe('余杭区良渚街道金家渡社区北苑3幢2单元501室');
    // The community comes from the register when the text leaves it out.
    expect(parseAddress('余杭区良渚街道北苑3幢2单元501室', gaz)?.communityCode).toBe('330110001001');
  });

  test('estates whose names end in digits are told apart by the register', () => {
    const g = new Gazetteer(AREAS, [
      { road: '古墩路1号', area: '金家渡社区', estate: '北苑', building: 23 },
      { road: '古墩路5号', area: '金家渡社区', estate: '北苑2', building: 5 },
    ]);
    expect(parseAddress('良渚金家渡北苑23-1-101', g)?.buildingKey).toBe('330110001|北苑|23');
    expect(parseAddress('良渚金家渡北苑25-1-101', g)?.buildingKey).toBe('330110001|北苑2|5');
    // 北苑 27 or 北苑2 7: the register has neither, so no guess.
    expect(g.explain('良渚金家渡北苑27-1-101')).toMatchObject({ ok: false, reason: 'ambiguous' });
  });
});

// ---------------------------------------------------------------------------------------------
// Against the generator.

interface World {
  areas: AreaRow[];
  buildings: BuildingRow[];
  dwellings: DwellingRow[];
  people: PersonRow[];
  enterprises: EnterpriseRow[];
  truth: Record<string, TruthRow[]>;
  records: Record<string, any[]>;
  housingBuildings: any[];
}

let dir = '';
let world: World;
let sites: Site[] = [];

beforeAll(async () => {
  dir = tempDir('address');
  await generateWorld({ scale: SCALE, seed: 20261125, outDir: dir });
  const w = <T>(name: string): T[] => readRows<T>(join(dir, 'world', `${name}.ndjson`));
  const truth: Record<string, TruthRow[]> = {};
  const records: Record<string, any[]> = {};
  for (const d of DEPARTMENTS) {
    const rows = readRows<TruthRow>(join(dir, 'truth', `${d}.ndjson`));
    for (const s of DEPARTMENT_STREAMS[d]) {
      truth[`${d}/${s}`] = rows.filter((r) => r.stream === s);
      records[`${d}/${s}`] = readRows(join(dir, 'departments', d, `${s}.ndjson`));
    }
  }
  world = {
    areas: w('areas'), buildings: w('buildings'), dwellings: w('dwellings'), people: w('people'), enterprises: w('enterprises'), truth, records,
    housingBuildings: records['housing/buildings'] ?? [],
  };
  const shortOf = new Map(STREETS.map((s) => [s.name, s.short]));
  sites = world.buildings.map((b) => {
    const street = (world.areas[b.streetIndex] as AreaRow).name;
    return {
      street, streetShort: shortOf.get(street) ?? street, community: (world.areas[b.communityIndex] as AreaRow).name, estate: b.estate, kind: b.kind,
      number: b.number, road: b.road, doorNo: b.doorNo,
    };
  });
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function areaInputs(areas: AreaRow[]): AreaInput[] {
  return areas.map((a) => ({ level: a.level, kind: a.kind, code: a.code, name: a.name, parentCode: a.parentIndex === null ? null : (areas[a.parentIndex] as AreaRow).code }));
}

/** The gazetteer taught from the world's buildings. */
function worldGazetteer(): Gazetteer {
  const gaz = new Gazetteer(areaInputs(world.areas));
  world.buildings.forEach((b) => {
    const community = (world.areas[b.communityIndex] as AreaRow).name;
    const road = b.kind === 'village' ? `${community}${b.number}号` : `${b.road}${b.doorNo}号`;
    expect(gaz.learnRoad(road, community, b.estate, b.number)).toBe(true);
  });
  return gaz;
}

/** The gazetteer the hub can have: areas plus the housing bureau's building register. */
function registerGazetteer(): Gazetteer {
  const gaz = new Gazetteer(areaInputs(world.areas));
  for (const row of world.housingBuildings) gaz.learnHousingBuilding(row);
  return gaz;
}

/** Village house numbers held by more than one group of the village: the group-less styles cannot name them. */
function ambiguousVillageNumbers(): Set<string> {
  const groups = new Map<string, Set<string>>();
  for (const b of world.buildings) {
    if (b.kind !== 'village') continue;
    const k = `${b.communityIndex}|${b.number}`;
    groups.set(k, (groups.get(k) ?? new Set()).add(b.estate));
  }
  return new Set([...groups].filter(([, s]) => s.size > 1).map(([k]) => k));
}

const GROUPLESS: ReadonlySet<AddressStyle> = new Set(['estate', 'road']);

describe(`every style of every place in a ${SCALE} world`, () => {
  test('buildings, dwellings and premises: one key per place, no two places share one', () => {
    const gaz = worldGazetteer();
    const ambiguous = ambiguousVillageNumbers();
    const stats = { places: 0, texts: 0, parsed: 0, expectedAmbiguous: 0, unexpectedFailures: [] as string[], splitKeys: [] as string[], collisions: [] as string[] };
    const owner = new Map<string, string>();
    const check = (label: string, b: BuildingRow, unit: string | null, room: string | null, sameAsBuilding: boolean): void => {
      stats.places++;
      const site = sites[b.index] as Site;
      const keys = new Set<string>();
      for (const style of ADDRESS_STYLES) {
        const text = renderAddress(site, unit, room, style);
        stats.texts++;
        const p = parseAddress(text, gaz);
        if (!p) {
          const excused = b.kind === 'village' && GROUPLESS.has(style) && ambiguous.has(`${b.communityIndex}|${b.number}`);
          if (excused) {
            stats.expectedAmbiguous++;
            expect(gaz.explain(text)).toMatchObject({ ok: false, reason: 'ambiguous' });
          } else stats.unexpectedFailures.push(`${label} ${style} ${text}`);
          continue;
        }
        stats.parsed++;
        keys.add(p.placeKey);
        expect(p.streetCode).toBe((world.areas[b.streetIndex] as AreaRow).code);
        expect(p.unit).toBe(unit);
        expect(p.room).toBe(room);
      }
      if (keys.size > 1) stats.splitKeys.push(`${label}: ${[...keys].join(' / ')}`);
      for (const k of keys) {
        const had = owner.get(k);
        // A village family's house is both a building and a dwelling: one place, one key.
        if (had !== undefined && !(sameAsBuilding && had === `building ${b.index}`)) stats.collisions.push(`${k}: ${had} and ${label}`);
        else if (had === undefined) owner.set(k, label);
      }
    };
    for (const b of world.buildings) check(`building ${b.index}`, b, null, null, false);
    for (const d of world.dwellings) check(`dwelling ${d.index}`, world.buildings[d.buildingIndex] as BuildingRow, d.unit, d.room, d.unit === null && d.room === null);
    for (const e of world.enterprises) check(`enterprise ${e.index}`, world.buildings[e.buildingIndex] as BuildingRow, null, e.room, false);
    say(`[address] ${SCALE}: ${stats.places} places × 8 styles = ${stats.texts} texts, ${stats.parsed} parsed, ` +
      `${stats.expectedAmbiguous} group-less village texts ambiguous (house number in several groups), ` +
      `${stats.unexpectedFailures.length} other failures, ${stats.splitKeys.length} places with split keys, ${stats.collisions.length} collisions`);
    expect(stats.unexpectedFailures.slice(0, 10)).toEqual([]);
    expect(stats.splitKeys.slice(0, 10)).toEqual([]);
    expect(stats.collisions.slice(0, 10)).toEqual([]);
  });

  test('canonical addresses round-trip through describeAddress', () => {
    const gaz = worldGazetteer();
    for (const d of world.dwellings) {
      const p = parseAddress(d.address, gaz) as ParsedAddress;
      expect(describeAddress(p, gaz)).toBe(d.address);
    }
  });

  test('throughput', () => {
    const gaz = worldGazetteer();
    const texts: string[] = [];
    for (const d of world.dwellings) {
      const site = sites[d.buildingIndex] as Site;
      for (const style of ADDRESS_STYLES) texts.push(renderAddress(site, d.unit, d.room, style));
    }
    let sink = 0;
    for (const t of texts) sink += parseAddress(t, gaz) ? 1 : 0; // warm up
    const rounds = Math.max(1, Math.ceil(200_000 / texts.length));
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) for (const t of texts) sink += parseAddress(t, gaz) ? 1 : 0;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const rate = (rounds * texts.length) / s;
    say(`[address] throughput: ${Math.round(rate).toLocaleString('en')} parses/s (${rounds * texts.length} parses, ${sink > 0 ? 'ok' : '-'})`);
    // A loose floor: shared CI machines vary; measured figures are in the report.
    expect(rate).toBeGreaterThan(50_000);
  });
});

// ---------------------------------------------------------------------------------------------
// Department records against the truth.

interface Tally { records: number; linked: number; wrong: number; unplaced: number; why: Record<string, number>; stale: number; staleOld: number; staleWrong: number; examples: string[] }

/** The addresses a record carries, each with the entity it is about. */
function addressesOf(stream: string, rec: any, t: TruthRow): Array<{ text: string; entity: 'person' | 'building' | 'dwelling' | 'enterprise'; index: number; stale: boolean }> {
  const own = (text: string | null | undefined): Array<{ text: string; entity: any; index: number; stale: boolean }> =>
    typeof text === 'string' ? [{ text, entity: t.entity, index: t.index, stale: t.noise.includes('address_stale') }] : [];
  switch (stream) {
    case 'population/residents': return own(rec.XZZ);
    case 'housing/buildings': return own(rec.address);
    case 'housing/dwellings': return own(rec.address);
    case 'enterprise/enterprises': return own(rec.dom);
    case 'police/residence_registrations': return own(rec.jzdz);
    case 'police/incidents': return own(rec.afdd);
    case 'court/judgments': {
      const out = own((rec.parties as any[]).find((p) => p.role !== '原告')?.address);
      const plaintiff = (rec.parties as any[]).find((p) => p.role === '原告');
      const link = t.links.find((l) => l.role === 'plaintiff' && l.entity === 'enterprise');
      if (plaintiff?.address && link) out.push({ text: plaintiff.address, entity: 'enterprise', index: link.index, stale: false });
      return out;
    }
    case 'court/dishonest_debtors': return own(rec.address);
    case 'fire/inspections': return own(rec.address);
    case 'fire/hazards': return own(rec.address);
    case 'social/special_groups': return own(rec.address);
    default: return [];
  }
}

function linkReport(gaz: Gazetteer, label: string): Record<string, Tally> {
  const keyOf = (text: string): string | null => parseAddress(text, gaz)?.placeKey ?? null;
  const dwellingKey = world.dwellings.map((d) => keyOf(d.address));
  const buildingKey = world.buildings.map((b) => keyOf(b.address));
  const enterpriseKey = world.enterprises.map((e) => keyOf(e.address));
  const trueKey = (entity: string, index: number, old: boolean): string | null => {
    switch (entity) {
      case 'person': {
        const p = world.people[index] as PersonRow;
        return dwellingKey[old ? (p.movedFrom as { dwellingIndex: number }).dwellingIndex : p.dwellingIndex] ?? null;
      }
      case 'dwelling': return dwellingKey[index] ?? null;
      case 'building': return buildingKey[index] ?? null;
      case 'enterprise': return enterpriseKey[index] ?? null;
      default: return null;
    }
  };
  const out: Record<string, Tally> = {};
  for (const [stream, recs] of Object.entries(world.records)) {
    const truth = world.truth[stream] as TruthRow[];
    expect(truth.length).toBe(recs.length);
    const tally: Tally = { records: 0, linked: 0, wrong: 0, unplaced: 0, why: {}, stale: 0, staleOld: 0, staleWrong: 0, examples: [] };
    recs.forEach((rec, i) => {
      for (const a of addressesOf(stream, rec, truth[i] as TruthRow)) {
        const got = keyOf(a.text);
        if (a.stale) {
          tally.stale++;
          if (got === null) continue;
          if (got === trueKey(a.entity, a.index, true)) tally.staleOld++;
          else {
            tally.staleWrong++;
            tally.examples.push(`${a.text} → ${got}`);
          }
          continue;
        }
        tally.records++;
        const want = trueKey(a.entity, a.index, false);
        expect(want).not.toBeNull();
        if (got === null) {
          tally.unplaced++;
          const r = gaz.explain(a.text);
          const why = r.ok ? 'ok' : r.reason;
          tally.why[why] = (tally.why[why] ?? 0) + 1;
        }
        else if (got === want) tally.linked++;
        else {
          tally.wrong++;
          tally.examples.push(`${a.text} → ${got}, want ${want}`);
        }
      }
    });
    if (tally.records + tally.stale > 0) out[stream] = tally;
  }
  const pct = (a: number, b: number): string => (b === 0 ? '-' : `${((100 * a) / b).toFixed(2)}%`);
  say(`[address] links, ${SCALE} world, gazetteer from ${label}:`);
  for (const [stream, t] of Object.entries(out)) {
    say(`  ${stream.padEnd(32)} ${String(t.records).padStart(7)} addresses  linked ${pct(t.linked, t.records).padStart(7)}  wrong ${pct(t.wrong, t.records).padStart(6)}` +
      `  unplaced ${pct(t.unplaced, t.records).padStart(6)} ${JSON.stringify(t.why)}  | stale ${t.stale}: old place ${t.staleOld}, wrong ${t.staleWrong}`);
  }
  return out;
}

// Link rates measured on the tiny world (seed 20261125), a little lower: one record less for
// the small streams. Unplaced addresses are village houses written without their group where
// several groups of the village have that house number. A change to the generator may move them.
const LINK_FLOOR: Record<string, number> = {
  'population/residents': 0.995, 'housing/buildings': 0.97, 'housing/dwellings': 0.985, 'enterprise/enterprises': 0.98,
  'police/residence_registrations': 0.9, 'police/incidents': 0.88, 'court/judgments': 0.93, 'court/dishonest_debtors': 0.66,
  'fire/inspections': 0.96, 'fire/hazards': 0.9, 'social/special_groups': 0.97,
};

describe(`department addresses against the truth (${SCALE} world)`, () => {
  test.each([['the world\'s buildings', worldGazetteer], ['the housing building register', registerGazetteer]])('gazetteer from %s', (label, make) => {
    const report = linkReport(make(), label);
    for (const [stream, t] of Object.entries(report)) {
      expect([stream, t.wrong, t.staleWrong, t.examples.slice(0, 5)]).toEqual([stream, 0, 0, []]);
      if (SCALE === 'tiny') expect([stream, t.records === 0 || t.linked / t.records >= (LINK_FLOOR[stream] ?? 1)]).toEqual([stream, true]);
    }
  });
});
