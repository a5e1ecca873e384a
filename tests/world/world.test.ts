import { beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync, statSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isValidCreditCode } from '../../src/domain/creditCode.js';
import { isValidResidentId, residentIdSex } from '../../src/domain/idNumber.js';
import {
  DEPARTMENTS, DEPARTMENT_STREAMS, SOURCE_ID_FIELD, WORLD_FILES, generateWorld, renderAddress, type AreaRow, type BuildingRow, type Department,
  type DwellingRow, type EnterpriseRow, type GridMemberRow, type GridRow, type HouseholdRow, type Manifest, type NoiseOverrides, type PersonRow,
  type ProgressStage, type TruthRow,
} from '../../src/world/index.js';
import { bbox, freshDirs, hashTree, pointInRing, readRows, signedArea } from './helpers.js';

const SEED = 7;
const fresh = freshDirs();

interface World {
  dir: string;
  manifest: Manifest;
  areas: AreaRow[];
  grids: GridRow[];
  members: GridMemberRow[];
  buildings: BuildingRow[];
  dwellings: DwellingRow[];
  households: HouseholdRow[];
  people: PersonRow[];
  enterprises: EnterpriseRow[];
  cases: any[];
  truth: TruthRow[];
  records: Record<string, any[]>;
}

function load(dir: string, manifest: Manifest): World {
  const w = (name: string): any[] => readRows(join(dir, 'world', `${name}.ndjson`));
  const records: Record<string, any[]> = {};
  for (const d of DEPARTMENTS) for (const s of DEPARTMENT_STREAMS[d]) records[`${d}/${s}`] = readRows(join(dir, 'departments', d, `${s}.ndjson`));
  return {
    dir, manifest, areas: w('areas'), grids: w('grids'), members: w('grid_members'), buildings: w('buildings'), dwellings: w('dwellings'),
    households: w('households'), people: w('people'), enterprises: w('enterprises'), cases: w('cases'),
    truth: DEPARTMENTS.flatMap((d) => readRows<TruthRow>(join(dir, 'truth', `${d}.ndjson`))), records,
  };
}

function withoutTiming(m: Manifest): Omit<Manifest, 'timing'> {
  const { timing: _timing, ...rest } = m;
  return rest;
}

function treeWithoutManifest(dir: string): Record<string, string> {
  const h = hashTree(dir);
  delete h['manifest.json'];
  return h;
}

/** The ID number field of a record that describes or names a person, per stream. */
const PERSON_ID: Partial<Record<string, (r: any) => string | null | undefined>> = {
  'population/residents': (r) => r.GMSFHM,
  'police/residence_registrations': (r) => r.sfzh,
  'social/special_groups': (r) => r.id_number,
  'social/subsidies': (r) => r.id_number,
};
const PERSON_NAME: Partial<Record<string, (r: any) => string>> = {
  'population/residents': (r) => r.XM,
  'police/residence_registrations': (r) => r.xm,
  'social/special_groups': (r) => r.name,
  'social/subsidies': (r) => r.name,
};

describe('synthetic district, tiny scale', () => {
  let a: World;
  let stages: Array<[ProgressStage, number, number]>;

  beforeAll(async () => {
    stages = [];
    const dir = fresh('a');
    const manifest = await generateWorld({ scale: 'tiny', seed: SEED, outDir: dir, onProgress: (s, d, t) => stages.push([s, d, t]) });
    a = load(dir, manifest);
  });

  test('is about the size asked for', () => {
    expect(a.people.length).toBeGreaterThan(950);
    expect(a.people.length).toBeLessThan(1050);
    expect(a.dwellings).toHaveLength(400);
    expect(a.enterprises).toHaveLength(80);
    expect(a.cases.length).toBeGreaterThan(20);
    for (const [key, rows] of Object.entries(a.records)) {
      if (key === 'court/dishonest_debtors') continue; // a handful per thousand people: may be empty at this size
      expect([key, rows.length > 0]).toEqual([key, true]);
    }
  });

  test('the manifest counts what is in the files', () => {
    const m = a.manifest;
    const onDisk = Object.keys(hashTree(a.dir)).filter((f) => f !== 'manifest.json').sort();
    expect(Object.keys(m.files).sort()).toEqual(onDisk);
    for (const [file, stat] of Object.entries(m.files)) {
      expect([file, readRows(join(a.dir, file)).length]).toEqual([file, stat.rows]);
      expect([file, statSync(join(a.dir, file)).size]).toEqual([file, stat.bytes]);
    }
    expect(m.entities).toEqual({
      areas: a.areas.length, grids: a.grids.length, gridMembers: a.members.length, buildings: a.buildings.length, dwellings: a.dwellings.length,
      households: a.households.length, people: a.people.length, enterprises: a.enterprises.length, cases: a.cases.length,
    });
    expect(JSON.parse(readFileSync(join(a.dir, 'manifest.json'), 'utf8'))).toEqual(m);
    expect(m).toMatchObject({ generator: 'liandong-world', seed: SEED, now: '2026-11-25T10:00:00+08:00', gzip: false });
    expect(m.scale.name).toBe('tiny');
  });

  test('reports progress through plan, every grid, and every file closed', () => {
    const gen = stages.filter(([s]) => s === 'generate');
    expect(gen.map(([, d]) => d)).toEqual(a.grids.map((g) => g.index + 1));
    expect(gen.every(([, , t]) => t === a.grids.length)).toBe(true);
    expect(stages[0]).toEqual(['plan', 0, 1]);
    expect(stages.at(-1)).toEqual(['close', Object.keys(a.manifest.files).length, Object.keys(a.manifest.files).length]);
  });

  test('every world row carries its line number as index', () => {
    for (const rows of [a.areas, a.grids, a.members, a.buildings, a.dwellings, a.households, a.people, a.enterprises, a.cases]) {
      rows.forEach((r: { index: number }, i) => expect(r.index).toBe(i));
    }
  });

  test('people carry valid, unique resident ID numbers that agree with their sex, birth date and origin', () => {
    const seen = new Set<string>();
    for (const p of a.people) {
      expect([p.idNumber, isValidResidentId(p.idNumber)]).toEqual([p.idNumber, true]);
      expect(residentIdSex(p.idNumber)).toBe(p.sex);
      expect(p.idNumber.slice(6, 14)).toBe(p.birthDate.replaceAll('-', ''));
      expect(p.idNumber.slice(0, 6)).toBe(p.origin.code);
      expect(seen.has(p.idNumber)).toBe(false);
      seen.add(p.idNumber);
    }
    // Hukou residents born here before 1978 got their numbers under 余杭县 (330125).
    const old = a.people.filter((p) => p.residence === 'hukou' && p.birthDate < '1970' && p.origin.name === '浙江省杭州市余杭区');
    expect(old.length).toBeGreaterThan(0);
    expect(old.every((p) => p.idNumber.startsWith('330125'))).toBe(true);
  });

  test('enterprises carry valid, unique credit codes; their representatives are real people or clearly outsiders', () => {
    expect(new Set(a.enterprises.map((e) => e.creditCode)).size).toBe(a.enterprises.length);
    expect(new Set(a.enterprises.map((e) => e.name)).size).toBe(a.enterprises.length);
    for (const e of a.enterprises) {
      expect([e.creditCode, isValidCreditCode(e.creditCode)]).toEqual([e.creditCode, true]);
      expect(isValidResidentId(e.legalRepresentative.idNumber)).toBe(true);
      const rep = e.legalRepresentative.personIndex;
      if (rep !== null) {
        expect(a.people[rep]).toMatchObject({ name: e.legalRepresentative.name, idNumber: e.legalRepresentative.idNumber });
      } else {
        expect(a.people.some((p) => p.idNumber === e.legalRepresentative.idNumber)).toBe(false);
      }
      const b = a.buildings[e.buildingIndex]!;
      expect(b.use).not.toBe('residential');
      expect(e.gridIndex).toBe(b.gridIndex);
      expect(e.address).toBe(renderAddress({ ...b, street: a.areas[b.streetIndex]!.name, streetShort: '', community: a.areas[b.communityIndex]!.name, kind: b.kind }, null, e.room, 'full'));
    }
    const premises = a.enterprises.map((e) => `${e.buildingIndex}|${e.room}`);
    expect(new Set(premises).size).toBe(premises.length);
  });

  test('areas nest: district, streets, communities; grids lie inside their community and never overlap', () => {
    expect(a.areas[0]).toMatchObject({ level: 'district', name: '余杭区', code: '330110', parentIndex: null });
    const streets = a.areas.filter((x) => x.level === 'street');
    expect(streets.map((s) => s.name)).toEqual(['良渚街道', '仓前街道', '五常街道']);
    for (const c of a.areas.filter((x) => x.level === 'community')) {
      const parent = a.areas[c.parentIndex!]!;
      expect(parent.level).toBe('street');
      const [w, s, e, n] = bbox(parent.boundary.coordinates[0]!);
      for (const [x, y] of c.boundary.coordinates[0]!) expect(x >= w && x <= e && y >= s && y <= n).toBe(true);
    }
    expect(a.areas.some((x) => x.name === '金家渡社区')).toBe(true);
    expect(a.areas.some((x) => x.name === '运河村')).toBe(true);
    for (const g of a.grids) {
      const community = a.areas[g.communityIndex]!;
      expect(community.level).toBe('community');
      expect(g.streetIndex).toBe(community.parentIndex);
      const ring = g.boundary.coordinates[0]!;
      expect(ring[0]).toEqual(ring.at(-1));
      expect(signedArea(ring)).toBeGreaterThan(0); // counter-clockwise, as GeoJSON asks
      const [w, s, e, n] = bbox(community.boundary.coordinates[0]!);
      for (const [x, y] of ring) expect(x > w && x < e && y > s && y < n).toBe(true);
    }
    for (const g of a.grids) {
      for (const h of a.grids) {
        if (g.index >= h.index) continue;
        const [w1, s1, e1, n1] = bbox(g.boundary.coordinates[0]!);
        const [w2, s2, e2, n2] = bbox(h.boundary.coordinates[0]!);
        const overlap = Math.min(e1, e2) > Math.max(w1, w2) && Math.min(n1, n2) > Math.max(s1, s2);
        expect([g.index, h.index, overlap]).toEqual([g.index, h.index, false]);
      }
    }
  });

  test('grids, buildings, dwellings, households and people agree with each other', () => {
    const dwellingsOf = new Map<number, DwellingRow[]>();
    for (const d of a.dwellings) dwellingsOf.set(d.buildingIndex, [...(dwellingsOf.get(d.buildingIndex) ?? []), d]);
    for (const b of a.buildings) {
      const g = a.grids[b.gridIndex]!;
      expect(pointInRing(b.lng, b.lat, g.boundary.coordinates[0]!)).toBe(true);
      expect(b.communityIndex).toBe(g.communityIndex);
      expect(b.streetIndex).toBe(g.streetIndex);
      const ds = dwellingsOf.get(b.index) ?? [];
      expect(ds.length).toBe(b.dwellings);
      ds.forEach((d, k) => expect(d.index).toBe(b.firstDwellingIndex + k));
      expect(b.address.startsWith(`余杭区${a.areas[b.streetIndex]!.name}${a.areas[b.communityIndex]!.name}`)).toBe(true);
      if (b.kind === 'commercial') expect(b.dwellings).toBe(0);
    }
    expect(new Set(a.dwellings.map((d) => d.address)).size).toBe(a.dwellings.length);
    for (const d of a.dwellings) {
      const b = a.buildings[d.buildingIndex]!;
      expect(d.gridIndex).toBe(b.gridIndex);
      expect(d.address.startsWith(b.address)).toBe(true);
      expect(d.occupancy === 'vacant').toBe(d.householdIndex === null);
      if (d.householdIndex !== null) {
        const h = a.households[d.householdIndex]!;
        expect(h.dwellingIndex).toBe(d.index);
        if (d.occupancy === 'owner_occupied') expect(d.ownerPersonIndex).toBe(h.headPersonIndex);
      }
      if (d.ownerPersonIndex !== null) expect(a.people[d.ownerPersonIndex]).toBeDefined();
    }
    let expectedFirst = 0;
    for (const h of a.households) {
      expect(h.firstPersonIndex).toBe(expectedFirst);
      expectedFirst += h.size;
      const members = a.people.slice(h.firstPersonIndex, h.firstPersonIndex + h.size);
      expect(members.every((p) => p.householdIndex === h.index && p.dwellingIndex === h.dwellingIndex && p.residence === h.residence)).toBe(true);
      expect(members.filter((p) => p.relation === 'head').map((p) => p.index)).toEqual([h.headPersonIndex]);
      expect(a.dwellings[h.dwellingIndex]!.householdIndex).toBe(h.index);
      expect(h.buildingIndex).toBe(a.dwellings[h.dwellingIndex]!.buildingIndex);
    }
    expect(expectedFirst).toBe(a.people.length);
    for (const p of a.people) {
      const d = a.dwellings[p.dwellingIndex]!;
      expect([p.buildingIndex, p.gridIndex]).toEqual([d.buildingIndex, d.gridIndex]);
      expect(p.communityIndex).toBe(a.grids[p.gridIndex]!.communityIndex);
      if (p.movedFrom) {
        expect(p.movedFrom.dwellingIndex).toBeLessThan(p.dwellingIndex);
        expect(p.movedFrom.movedOn < '2026-11-25').toBe(true);
      }
    }
    for (const g of a.grids) {
      expect(g.people).toBe(a.people.filter((p) => p.gridIndex === g.index).length);
      expect(g.dwellings).toBe(a.dwellings.filter((d) => d.gridIndex === g.index).length);
      expect(g.buildings).toBe(a.buildings.filter((b) => b.gridIndex === g.index).length);
      expect(g.households).toBe(a.households.filter((h) => h.gridIndex === g.index).length);
      expect(g.enterprises).toBe(a.enterprises.filter((e) => e.gridIndex === g.index).length);
      const staff = a.members.filter((m) => m.gridIndex === g.index);
      expect(staff.length).toBe(g.members);
      expect(staff.filter((m) => m.role === 'leader')).toHaveLength(1);
    }
  });

  test('cases point at real places, people and department records', () => {
    const sourceIds = new Set(a.truth.map((t) => `${t.department}/${t.stream}/${t.sourceId}`));
    for (const c of a.cases) {
      const b = a.buildings[c.buildingIndex]!;
      expect(b.gridIndex).toBe(c.gridIndex);
      if (c.enterpriseIndex !== null) expect(a.enterprises[c.enterpriseIndex]!.buildingIndex).toBe(c.buildingIndex);
      if (c.reporterPersonIndex !== null) expect(a.people[c.reporterPersonIndex]).toBeDefined();
      if (c.reporterMemberIndex !== null) expect(a.members[c.reporterMemberIndex]!.gridIndex).toBe(c.gridIndex);
      for (const s of c.sources) expect(sourceIds.has(`${s.department}/${s.stream}/${s.sourceId}`)).toBe(true);
      expect(c.reportedAt <= '2026-11-25T10:00:00+08:00').toBe(true);
      expect(c.status === 'closed').toBe(c.closedAt !== null);
      if (c.channel === 'police_110') expect(c.sources.some((s: any) => s.department === 'police')).toBe(true);
    }
  });

  test('every department record has a unique sourceId and exactly one truth row pointing at an existing entity', () => {
    const counts: Record<string, number> = {
      person: a.people.length, building: a.buildings.length, dwelling: a.dwellings.length, enterprise: a.enterprises.length, case: a.cases.length,
      household: a.households.length, grid: a.grids.length,
    };
    const byStream = new Map<string, TruthRow[]>();
    for (const t of a.truth) byStream.set(`${t.department}/${t.stream}`, [...(byStream.get(`${t.department}/${t.stream}`) ?? []), t]);
    for (const d of DEPARTMENTS) {
      for (const s of DEPARTMENT_STREAMS[d]) {
        const key = `${d}/${s}`;
        const field = (SOURCE_ID_FIELD[d] as Record<string, string>)[s]!;
        const ids = a.records[key]!.map((r) => r[field] as string);
        expect(new Set(ids).size).toBe(ids.length);
        expect((byStream.get(key) ?? []).map((t) => t.sourceId)).toEqual(ids);
      }
    }
    for (const t of a.truth) {
      expect(new Set(t.noise).size).toBe(t.noise.length);
      expect([t.entity, t.index >= 0 && t.index < (counts[t.entity] ?? 0)]).toEqual([t.entity, true]);
      for (const l of t.links) expect([l.entity, l.index >= 0 && l.index < (counts[l.entity] ?? 0)]).toEqual([l.entity, true]);
    }
  });

  test('records say what the truth says, except where the truth lists noise', () => {
    const truthOf = new Map(a.truth.map((t) => [`${t.department}/${t.stream}/${t.sourceId}`, t]));
    let checked = 0;
    for (const [key, read] of Object.entries(PERSON_ID)) {
      const [d, s] = key.split('/') as [Department, string];
      const field = (SOURCE_ID_FIELD[d] as Record<string, string>)[s]!;
      for (const r of a.records[key]!) {
        const t = truthOf.get(`${key}/${r[field]}`)!;
        expect(t.entity).toBe('person');
        const p = a.people[t.index]!;
        const id = read!(r);
        if (t.noise.includes('id_missing')) expect(id).toBeNull();
        else if (t.noise.includes('id_mistyped')) {
          expect(isValidResidentId(id!)).toBe(false);
          expect([...id!].filter((ch, i) => ch !== p.idNumber[i]).length).toBe(1);
        } else expect(id).toBe(p.idNumber);
        const name = PERSON_NAME[key]!(r);
        if (!t.noise.some((n) => n.startsWith('name_'))) expect(name).toBe(p.name);
        else expect(name).not.toBe(p.name);
        if (t.noise.includes('address_stale')) expect(p.movedFrom).not.toBeNull();
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
    // The population register in detail.
    for (const r of a.records['population/residents']!) {
      const t = truthOf.get(`population/residents/${r.RYBH}`)!;
      const p = a.people[t.index]!;
      expect(r.CSRQ).toBe(p.birthDate.replaceAll('-', ''));
      expect(r.XB).toBe(p.sex === 'male' ? '1' : '2');
      expect(r.RYLB).toBe(p.residence === 'hukou' ? '户籍人口' : '流动人口');
      expect(r.HH).toBe(a.households[p.householdIndex]!.number);
      const home = a.dwellings[t.noise.includes('address_stale') ? p.movedFrom!.dwellingIndex : p.dwellingIndex]!;
      if (!t.noise.includes('address_variant')) expect(r.XZZ).toBe(`浙江省杭州市${home.address}`);
      if (!t.noise.includes('phone_stale')) expect(r.LXDH).toBe(p.phone);
      else expect(r.LXDH).not.toBe(p.phone);
    }
    // Market regulation: the enterprise and its representative.
    for (const r of a.records['enterprise/enterprises']!) {
      const t = truthOf.get(`enterprise/enterprises/${r.pripid}`)!;
      const e = a.enterprises[t.index]!;
      expect([r.uniscid, r.entName]).toEqual([e.creditCode, e.name]);
      const rep = t.links.find((l) => l.role === 'legal_representative');
      expect(rep?.index ?? null).toBe(e.legalRepresentative.personIndex);
      // Noise on the representative sits on the link, or on the record when the representative is not in the world.
      const repNoise = rep ? rep.noise : t.noise;
      if (repNoise.includes('id_missing')) expect(r.leRepCerNo).toBeNull();
      else if (repNoise.includes('id_mistyped')) expect(isValidResidentId(r.leRepCerNo)).toBe(false);
      else expect(r.leRepCerNo).toBe(e.legalRepresentative.idNumber);
      if (!repNoise.some((n) => n.startsWith('name_'))) expect(r.leRep).toBe(e.legalRepresentative.name);
    }
    // Housing: dwellings and their owners.
    for (const r of a.records['housing/dwellings']!) {
      const t = truthOf.get(`housing/dwellings/${r.house_code}`)!;
      const d = a.dwellings[t.index]!;
      expect([r.unit, r.room]).toEqual([d.unit, d.room]);
      const owner = t.links.find((l) => l.role === 'owner');
      expect(owner?.index ?? null).toBe(d.ownerPersonIndex);
      if (owner) {
        const p = a.people[owner.index]!;
        if (owner.noise.length === 0) expect(r.owner).toEqual({ name: p.name, id_number: p.idNumber, phone: p.phone });
        else expect(r.owner).not.toEqual({ name: p.name, id_number: p.idNumber, phone: p.phone });
      } else expect(r.owner).toBeNull();
      const tenant = t.links.find((l) => l.role === 'tenant');
      if (tenant) expect(a.households[d.householdIndex!]!.headPersonIndex).toBe(tenant.index);
    }
  });
});

describe('determinism and independence of noise', () => {
  test('same seed and scale give byte-identical files; another seed does not', async () => {
    const [d1, d2, d3] = [fresh('d1'), fresh('d2'), fresh('d3')];
    const m1 = await generateWorld({ scale: 'tiny', seed: 11, outDir: d1 });
    const m2 = await generateWorld({ scale: 'tiny', seed: 11, outDir: d2 });
    await generateWorld({ scale: 'tiny', seed: 12, outDir: d3 });
    const h1 = treeWithoutManifest(d1);
    expect(Object.keys(h1).length).toBe(Object.keys(m1.files).length);
    expect(treeWithoutManifest(d2)).toEqual(h1);
    expect(withoutTiming(m2)).toEqual(withoutTiming(m1));
    const h3 = treeWithoutManifest(d3);
    expect(h3['world/people.ndjson']).not.toBe(h1['world/people.ndjson']);
  });

  test('small scale (~10,000 people) is byte-identical across two runs', async () => {
    const [d1, d2] = [fresh('s1'), fresh('s2')];
    const m1 = await generateWorld({ scale: 'small', seed: 20261125, outDir: d1 });
    await generateWorld({ scale: 'small', seed: 20261125, outDir: d2 });
    expect(m1.entities.people).toBeGreaterThan(9_700);
    expect(m1.entities.people).toBeLessThan(10_300);
    expect(m1.entities.dwellings).toBe(4_000);
    expect(m1.entities.enterprises).toBe(830);
    expect(m1.entities.areas).toBeGreaterThan(12); // all twelve streets and towns, and their communities
    expect(treeWithoutManifest(d2)).toEqual(treeWithoutManifest(d1));
  }, 120_000);

  test('gzip changes the encoding, not the content', async () => {
    const [plain, gz] = [fresh('plain'), fresh('gz')];
    const mp = await generateWorld({ scale: 'tiny', seed: 3, outDir: plain });
    const mg = await generateWorld({ scale: 'tiny', seed: 3, outDir: gz, gzip: true });
    expect(Object.keys(mg.files).every((f) => f.endsWith('.ndjson.gz'))).toBe(true);
    for (const f of Object.keys(mp.files)) {
      expect(readRows(join(gz, `${f}.gz`))).toEqual(readRows(join(plain, f)));
      expect(mg.files[`${f}.gz`]!.rows).toBe(mp.files[f]!.rows);
    }
  });

  test('changing noise rates changes only the department files, never the world', async () => {
    const [quiet, noisy] = [fresh('quiet'), fresh('noisy')];
    await generateWorld({ scale: 'tiny', seed: SEED, outDir: quiet });
    await generateWorld({ scale: 'tiny', seed: SEED, outDir: noisy, noise: { population: { idMissing: 0.3 } } });
    const hq = treeWithoutManifest(quiet);
    const hn = treeWithoutManifest(noisy);
    for (const f of WORLD_FILES) expect(hn[`world/${f}.ndjson`]).toBe(hq[`world/${f}.ndjson`]);
    expect(hn['departments/population/residents.ndjson']).not.toBe(hq['departments/population/residents.ndjson']);
    // Other departments, and the population register's other noise, are untouched.
    expect(hn['departments/police/residence_registrations.ndjson']).toBe(hq['departments/police/residence_registrations.ndjson']);
    const tq = readRows<TruthRow>(join(quiet, 'truth', 'population.ndjson'));
    const tn = readRows<TruthRow>(join(noisy, 'truth', 'population.ndjson'));
    expect(tn.map((t) => t.noise.filter((n) => n !== 'id_missing' && n !== 'id_mistyped'))).toEqual(
      tq.map((t) => t.noise.filter((n) => n !== 'id_missing' && n !== 'id_mistyped')),
    );
  });

  test('refuses to write into a non-empty directory unless told to overwrite', async () => {
    const dir = fresh('busy');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'something.txt'), 'x');
    await expect(generateWorld({ scale: 'tiny', seed: 1, outDir: dir })).rejects.toThrow(/not empty/);
    await generateWorld({ scale: 'tiny', seed: 1, outDir: dir, overwrite: true });
    expect(existsSync(join(dir, 'manifest.json'))).toBe(true);
  });

  test('stops when aborted', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(generateWorld({ scale: 'tiny', seed: 1, outDir: fresh('abort'), signal: ctl.signal })).rejects.toThrow();
  });
});

describe('noise rates', () => {
  const rates = { idMissing: 0.15, idMistyped: 0.2, nameVariant: 0.3, addressVariant: 0.4, stalePhone: 0.25, staleAddress: 0.6 };
  const noise: NoiseOverrides = Object.fromEntries(DEPARTMENTS.map((d) => [d, rates]));
  let w: World;

  beforeAll(async () => {
    const dir = fresh('noise');
    w = load(dir, await generateWorld({ scale: 'tiny', seed: 5, outDir: dir, noise }));
  });

  /** Observed share of records with `tag` among `eligible`, as [observed, expected] to compare. */
  const share = (rows: TruthRow[], tag: string, eligible: (t: TruthRow) => boolean): number => {
    const pool = rows.filter(eligible);
    expect(pool.length).toBeGreaterThan(150);
    return pool.filter((t) => t.noise.includes(tag as never)).length / pool.length;
  };

  test('land near the configured rates in the population register', () => {
    const rows = w.truth.filter((t) => t.department === 'population');
    const near = (observed: number, expected: number): void => {
      // ±4 standard errors of a binomial share over ≥150 records, at least ±0.05.
      expect(Math.abs(observed - expected)).toBeLessThan(Math.max(0.05, 4 * Math.sqrt((expected * (1 - expected)) / rows.length)));
    };
    near(share(rows, 'id_missing', () => true), rates.idMissing);
    near(share(rows, 'id_mistyped', (t) => !t.noise.includes('id_missing')), rates.idMistyped);
    near(share(rows, 'address_variant', () => true), rates.addressVariant);
    near(share(rows, 'phone_stale', (t) => w.people[t.index]!.phone !== null), rates.stalePhone);
    const names = rows.filter((t) => t.noise.some((n) => n.startsWith('name_'))).length / rows.length;
    near(names, rates.nameVariant);
    const movers = rows.filter((t) => w.people[t.index]!.movedFrom !== null);
    expect(movers.length).toBeGreaterThan(30);
    const stale = movers.filter((t) => t.noise.includes('address_stale')).length / movers.length;
    expect(Math.abs(stale - rates.staleAddress)).toBeLessThan(0.2);
    // Noise lands only where it can: no stale address for people who never moved, no stale phone without a phone.
    expect(rows.filter((t) => t.noise.includes('address_stale') && w.people[t.index]!.movedFrom === null)).toEqual([]);
    expect(rows.filter((t) => t.noise.includes('phone_stale') && w.people[t.index]!.phone === null)).toEqual([]);
  });

  test('all three name forms occur, and each reads as described', () => {
    const truthOf = new Map(w.truth.filter((t) => t.department === 'population').map((t) => [t.sourceId, t]));
    const kinds = new Set<string>();
    for (const r of w.records['population/residents']!) {
      const t = truthOf.get(r.RYBH)!;
      const name = w.people[t.index]!.name;
      if (t.noise.includes('name_space')) expect(r.XM).toBe(`${name.slice(0, 1)} ${name.slice(1)}`);
      if (t.noise.includes('name_pinyin')) expect(r.XM).toMatch(/^[A-Za-z]+ [A-Za-z]+$/);
      if (t.noise.includes('name_traditional')) {
        expect(r.XM).toHaveLength(name.length);
        expect(r.XM).not.toBe(name);
      }
      for (const n of t.noise) if (n.startsWith('name_')) kinds.add(n);
    }
    expect([...kinds].sort()).toEqual(['name_pinyin', 'name_space', 'name_traditional']);
  });

  test('with every rate at zero there is no noise at all', async () => {
    const zero = Object.fromEntries(DEPARTMENTS.map((d) => [d, { idMissing: 0, idMistyped: 0, nameVariant: 0, addressVariant: 0, stalePhone: 0, staleAddress: 0 }]));
    const dir = fresh('zero');
    await generateWorld({ scale: 'tiny', seed: 5, outDir: dir, noise: zero });
    const truth = DEPARTMENTS.flatMap((d) => readRows<TruthRow>(join(dir, 'truth', `${d}.ndjson`)));
    expect(truth.filter((t) => t.noise.length > 0)).toEqual([]);
    for (const r of readRows(join(dir, 'departments', 'population', 'residents.ndjson'))) expect(isValidResidentId(r.GMSFHM)).toBe(true);
  });

  test('rejects rates outside [0, 1]', async () => {
    await expect(generateWorld({ scale: 'tiny', seed: 1, outDir: fresh('bad'), noise: { police: { idMissing: 1.5 } } })).rejects.toThrow(/police.idMissing/);
  });
});
