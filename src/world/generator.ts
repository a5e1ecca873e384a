/**
 * The synthetic district: one consistent world, and every department's view of it.
 *
 * The generator walks the plan grid by grid. A grid is the unit of work and of memory: its
 * buildings, dwellings, households, people, enterprises, department records and cases are
 * produced from PRNGs seeded by (seed, purpose, index) — the grid's, each building's, each
 * department's — written to the output files, and forgotten, except for a few bounded pools
 * (recent adults, recent dwellings, recent enterprises) that let later grids refer back to
 * earlier ones: landlords, legal representatives, old addresses of people who moved. After
 * each grid the writer waits for the files to drain.
 *
 * World randomness, department content and department noise come from separate streams, so
 * changing a noise rate changes only that noise, never the world or another department.
 *
 * This file is the layout (areas, grids, buildings, dwellings, enterprises, cases) and the
 * households; what each department writes about them is in departments/<department>.ts.
 */
import { performance } from 'node:perf_hooks';
import { mkdirSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { creditCodeCheckChar, makeCreditCode, organizationCodeCheckChar } from '../domain/creditCode.js';
import { type Site, renderAddress } from './address.js';
import { Departments, RecordWriter } from './departments/index.js';
import { type GridPlan, type Plan, type ScaleName, type ScaleSpec, SCALES, makePlan, rectRing, round6 } from './layout.js';
import { fullName, givenName, soundAlikeGiven, surname, type Sex } from './names.js';
import { type Department, type Lookalikes, type NoiseConfig, type NoiseOverrides, type NoiseTag, resolveLookalikes, resolveNoise } from './noise.js';
import {
  DISTRICT, ETHNICITIES, FLOATING_HOME, HUKOU_MOVED_IN, NameBook, OUTSIDE_REGIONS, localRegionCode, makeEstateName,
  makeTowerName, makeVillageGroupName,
} from './places.js';
import { Rng, Stream, Weighted, hash32, scrambleSmall } from './rng.js';
import { SinkSet, type NdjsonSink } from './sink.js';
import {
  DAY_MS, HOUR_MS, MINUTE_MS, NOW_ISO, NOW_MS, TODAY, ageOn, civilFromDays, daysFromCivil, isoBeijing, isoDay,
} from './time.js';
import {
  type AreaRow, type BuildingKind, type BuildingRow, type BuildingUse, type CaseChannel, type CaseDispatch, type CaseRow, type Composition,
  type DwellingRow, type EnterpriseRow, type EnterpriseStatus, type GridMemberRow, type GridRole, type GridRow, type HouseholdRow,
  type Manifest, type Occupancy, type PersonRow, type Relation, type Residence, WORLD_FILES,
} from './types.js';
import {
  BRAND_CHARS, type BuildingCtx, type DwellingCtx, type EnterpriseCtx, type HazardCtx, MEMBER_PHONE_BASE, type PersonCtx, Pool, type Slot, mobile, pad,
} from './working.js';
import { makeResidentId } from '../domain/idNumber.js';

export const GENERATOR_VERSION = '1.1.0';

export type ProgressStage = 'plan' | 'generate' | 'close';

export interface GenerateOptions {
  scale: ScaleName | ScaleSpec;
  seed: number;
  outDir: string;
  /** gzip every file (`true` = level 1, or a level 1–9). Default false: plain NDJSON. */
  gzip?: boolean | number;
  noise?: NoiseOverrides;
  /** Twins and namesakes in the world (`REALISTIC_LOOKALIKES`); default none. Unlike noise, these change the world. */
  lookalikes?: Partial<Lookalikes>;
  /** Called as work advances: ('plan', 0|1, 1), ('generate', grids done, grids), ('close', files closed, files). */
  onProgress?: (stage: ProgressStage, done: number, total: number) => void;
  signal?: AbortSignal;
  /** Remove an existing non-empty outDir first (default false: refuse to write into one). */
  overwrite?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Resident ID numbers

const BASE_DAY = daysFromCivil(1900, 1, 1);
const ID_DAYS = TODAY - BASE_DAY + 1;

/**
 * Hands out resident ID numbers, unique without remembering them: a counter per (region, birth
 * day, sex) picks the sequence through a fixed permutation of 0..499, so numbers look scattered
 * and never repeat. 500 per day and sex is plenty; a full day spills to the day before.
 */
class IdAllocator {
  private readonly counters = new Map<string, Uint16Array>();

  allocate(region: string, birthDay: number, sex: Sex): { id: string; birthDay: number } {
    let arr = this.counters.get(region);
    if (!arr) {
      arr = new Uint16Array(ID_DAYS * 2);
      this.counters.set(region, arr);
    }
    const male = sex === 'male' ? 1 : 0;
    for (let day = Math.min(birthDay, TODAY); ; day--) {
      const slot = (day - BASE_DAY) * 2 + male;
      const c = arr[slot] ?? 0;
      if (c >= 500) continue;
      arr[slot] = c + 1;
      const seq = ((c * 37 + (hash32(Number(region), day) % 500)) % 500) * 2 + male;
      return { id: makeResidentId(region, isoDay(day), seq), birthDay: day };
    }
  }
}

// Household compositions by situation. Weights were calibrated so the district lands on its
// head count at ~10% vacancy.
type Situation = 'estate_owner' | 'estate_rented' | 'village_owner' | 'village_room';
const COMPOSITIONS: Record<Situation, Weighted<Composition>> = {
  estate_owner: new Weighted([['elderly_alone', 7], ['elderly_couple', 12], ['single', 6], ['couple', 10], ['family', 40], ['three_generations', 25]]),
  estate_rented: new Weighted([['single', 28], ['couple', 24], ['family', 48]]),
  village_owner: new Weighted([['elderly_alone', 10], ['elderly_couple', 14], ['family', 22], ['three_generations', 38], ['grandparents_grandchild', 16]]),
  village_room: new Weighted([['single', 34], ['couple', 30], ['family', 36]]),
};

interface MemberSpec { relation: Relation; sex: Sex; age: number; surname: string }

function compose(rng: Rng, kind: Composition, floating: boolean): MemberSpec[] {
  switch (kind) {
    case 'elderly_alone': {
      const sex: Sex = rng.chance(0.65) ? 'female' : 'male';
      return [{ relation: 'head', sex, age: rng.int(68, 94), surname: surname(rng) }];
    }
    case 'single': {
      const sex: Sex = rng.chance(0.6) ? 'male' : 'female';
      return [{ relation: 'head', sex, age: floating ? rng.int(18, 40) : rng.int(22, 48), surname: surname(rng) }];
    }
    case 'elderly_couple':
    case 'couple':
    case 'family':
    case 'three_generations':
    case 'grandparents_grandchild': {
      const husbandAge =
        kind === 'elderly_couple' ? rng.int(62, 90)
        : kind === 'couple' ? rng.int(22, 40)
        : kind === 'grandparents_grandchild' ? rng.int(52, 74)
        : kind === 'three_generations' ? rng.int(30, 52)
        : floating ? rng.int(25, 46) : rng.int(27, 56);
      const wifeAge = Math.max(20, husbandAge - rng.int(-2, 5));
      const husband = { sex: 'male' as const, age: husbandAge, surname: surname(rng) };
      const wife = { sex: 'female' as const, age: wifeAge, surname: surname(rng) };
      const headIsWife = kind !== 'grandparents_grandchild' && rng.chance(0.2);
      const head = headIsWife ? wife : husband;
      const spouse = headIsWife ? husband : wife;
      const members: MemberSpec[] = [{ relation: 'head', ...head }, { relation: 'spouse', ...spouse }];
      if (kind === 'family' || kind === 'three_generations') {
        const children = kind === 'three_generations' ? (rng.chance(0.6) ? 1 : 2) : rng.chance(0.52) ? 1 : rng.chance(0.85) ? 2 : 3;
        const maxChildAge = Math.min(28, wifeAge - 21);
        for (let k = 0; k < children && maxChildAge >= 0; k++) {
          members.push({ relation: 'child', sex: rng.chance(0.52) ? 'male' : 'female', age: rng.int(Math.max(0, wifeAge - 40), maxChildAge), surname: husband.surname });
        }
      }
      if (kind === 'three_generations') {
        const fatherAge = Math.min(95, Math.max(55, head.age + rng.int(24, 34)));
        const motherAge = Math.min(95, Math.max(53, fatherAge - rng.int(0, 4)));
        const father: MemberSpec = { relation: 'parent', sex: 'male', age: fatherAge, surname: head.surname };
        const mother: MemberSpec = { relation: 'parent', sex: 'female', age: motherAge, surname: surname(rng) };
        if (members.length <= 3 && rng.chance(0.55)) members.push(father, mother);
        else members.push(rng.chance(0.6) ? mother : father);
      }
      if (kind === 'grandparents_grandchild') {
        const n = rng.chance(0.6) ? 1 : 2;
        for (let k = 0; k < n; k++) members.push({ relation: 'grandchild', sex: rng.chance(0.52) ? 'male' : 'female', age: rng.int(2, 15), surname: husband.surname });
      }
      return members;
    }
  }
}

// Industries (GB/T 4754 sections), the words their company names use, and how common they are here.
const INDUSTRIES: ReadonlyArray<{ code: string; name: string; words: readonly string[]; weight: number; shop: boolean }> = [
  { code: 'I', name: '信息传输、软件和信息技术服务业', words: ['网络科技', '信息技术', '软件开发', '数据服务', '智能科技'], weight: 18, shop: false },
  { code: 'F', name: '批发和零售业', words: ['贸易', '商贸', '电子商务', '建材', '服饰', '食品'], weight: 24, shop: true },
  { code: 'H', name: '住宿和餐饮业', words: ['餐饮管理', '餐饮', '酒店管理'], weight: 9, shop: true },
  { code: 'L', name: '租赁和商务服务业', words: ['企业管理咨询', '商务信息咨询', '广告', '人力资源'], weight: 12, shop: false },
  { code: 'M', name: '科学研究和技术服务业', words: ['生物科技', '环保科技', '检测技术', '新材料科技'], weight: 8, shop: false },
  { code: 'C', name: '制造业', words: ['机械制造', '服装', '五金制品', '塑料制品', '家具'], weight: 8, shop: false },
  { code: 'E', name: '建筑业', words: ['建筑工程', '装饰工程', '园林绿化'], weight: 7, shop: false },
  { code: 'P', name: '教育', words: ['教育科技', '培训学校', '教育咨询'], weight: 3, shop: true },
  { code: 'R', name: '文化、体育和娱乐业', words: ['文化传媒', '体育发展', '文化创意'], weight: 4, shop: false },
  { code: 'O', name: '居民服务、修理和其他服务业', words: ['家政服务', '汽车服务', '美容美发'], weight: 4, shop: true },
  { code: 'K', name: '房地产业', words: ['物业管理', '房地产经纪'], weight: 3, shop: true },
  { code: 'G', name: '交通运输、仓储和邮政业', words: ['物流', '供应链管理', '运输'], weight: 4, shop: false },
];
const INDUSTRY_PICK = new Weighted(INDUSTRIES.map((x) => [x, x.weight] as const));
const ENT_TYPES = new Weighted([
  ['有限责任公司(自然人投资或控股)', 70], ['有限责任公司(自然人独资)', 20], ['股份有限公司(非上市、自然人投资或控股)', 3], ['个人独资企业', 5], ['有限合伙企业', 2],
] as const);
interface CaseCategory {
  code: string; title: string; weight: number; leads: readonly Department[]; cooperating: readonly Department[];
  channels: Weighted<CaseChannel>; site: 'dwelling' | 'building' | 'enterprise'; hours: readonly [number, number];
  urgency: Weighted<CaseRow['urgency']>; text: string; results: readonly string[];
}
const CATEGORIES: readonly CaseCategory[] = [
  { code: 'environment.dust_noise', title: '露天加工点灰尘噪音', weight: 1, leads: ['housing', 'enterprise'], cooperating: ['police', 'fire'],
    channels: new Weighted([['hotline_12345', 7], ['grid_patrol', 3]]), site: 'building', hours: [24, 200],
    urgency: new Weighted([['normal', 3], ['high', 1]]), text: '{place}附近有露天加工点，粉尘弥漫，夜间机器噪音扰民。', results: ['已责令停工整改', '无证加工点已取缔'] },
  { code: 'city.construction_waste', title: '建筑垃圾乱堆', weight: 2, leads: ['housing'], cooperating: [],
    channels: new Weighted([['grid_patrol', 6], ['hotline_12345', 4]]), site: 'building', hours: [1, 8],
    urgency: new Weighted([['normal', 3], ['low', 1]]), text: '{place}门口堆放装修建筑垃圾，影响通行。', results: ['建筑垃圾已清运', '已联系业主限时清运'] },
  { code: 'emergency.fallen_tree', title: '大风刮倒树木', weight: 1, leads: ['fire'], cooperating: ['housing'],
    channels: new Weighted([['hotline_12345', 4], ['police_110', 3], ['grid_patrol', 3]]), site: 'building', hours: [0.5, 3],
    urgency: new Weighted([['high', 3], ['critical', 1]]), text: '{place}旁行道树被风刮倒，压住非机动车道。', results: ['倒伏树木已清运，道路恢复通行'] },
  { code: 'neighbour.noise', title: '噪音扰民', weight: 3, leads: ['police'], cooperating: [],
    channels: new Weighted([['police_110', 5], ['hotline_12345', 5]]), site: 'dwelling', hours: [0.5, 24],
    urgency: new Weighted([['normal', 1]]), text: '{place}住户深夜噪音扰民，邻居多次劝说无果。', results: ['已上门调解，住户承诺整改'] },
  { code: 'labour.unpaid_wages', title: '拖欠工资', weight: 1, leads: ['social'], cooperating: ['court'],
    channels: new Weighted([['hotline_12345', 5], ['command_center', 5]]), site: 'enterprise', hours: [72, 600],
    urgency: new Weighted([['normal', 3], ['high', 1]]), text: '务工人员反映{place}的企业拖欠工资。', results: ['经调解企业已支付欠薪', '已引导申请法律援助'] },
  { code: 'fire.ebike_indoor_charging', title: '电瓶车室内充电', weight: 3, leads: ['fire'], cooperating: ['housing'],
    channels: new Weighted([['grid_patrol', 5], ['hotline_12345', 3], ['connector', 2]]), site: 'dwelling', hours: [2, 72],
    urgency: new Weighted([['normal', 3], ['high', 2]]), text: '{place}住户将电瓶车推入室内充电，存在火灾隐患。', results: ['已上门劝导，电瓶车移至集中充电棚'] },
  { code: 'market.prepaid_card_risk', title: '预付卡经营风险', weight: 0.6, leads: ['enterprise'], cooperating: ['police'],
    channels: new Weighted([['connector', 5], ['hotline_12345', 5]]), site: 'enterprise', hours: [96, 500],
    urgency: new Weighted([['normal', 2], ['high', 1]]), text: '{place}经营者大量销售预付卡，退费困难，投诉增多。', results: ['已约谈经营者，预收费纳入资金监管'] },
  { code: 'care.elderly_alone', title: '独居老人需要帮扶', weight: 1, leads: ['social'], cooperating: [],
    channels: new Weighted([['grid_patrol', 6], ['hotline_12345', 4]]), site: 'dwelling', hours: [4, 72],
    urgency: new Weighted([['normal', 3], ['high', 1]]), text: '{place}独居老人行动不便，需要上门帮扶。', results: ['已安排志愿者定期上门探访'] },
];
const CATEGORY_PICK = new Weighted(CATEGORIES.map((c) => [c, c.weight] as const));

// ---------------------------------------------------------------------------------------------

type Sinks = Record<string, NdjsonSink>;

class WorldGenerator {
  private readonly sinks: SinkSet;
  private readonly out: Sinks = {};
  private readonly records: RecordWriter;
  private readonly departments: Departments;
  private readonly ids = new IdAllocator();
  private readonly placeNames: NameBook;
  private readonly enterpriseNames = new Set<string>();

  // Running counters (indices of the next entity).
  private people = 0;
  private households = 0;
  private dwellings = 0;
  private buildings = 0;
  private enterprises = 0;
  private cases = 0;
  private members = 0;
  private plannedPeopleSoFar = 0;

  // Bounded pools reaching back across grids.
  private readonly landlords = new Pool<PersonCtx>(4096);
  private readonly adults = new Pool<PersonCtx>(8192);
  private readonly pastDwellings = new Pool<DwellingCtx>(8192);
  private readonly pastEnterprises = new Pool<EnterpriseCtx>(2048);

  /** People with a look-alike (twin, namesake): the tags every truth row about them carries. Only look-alikes are kept. */
  private readonly lookalikeOf = new Map<number, NoiseTag[]>();

  constructor(
    private readonly plan: Plan, private readonly seed: number, noise: NoiseConfig, private readonly lookalikes: Lookalikes, outDir: string,
    gzipLevel: number | null,
  ) {
    this.sinks = new SinkSet(outDir, gzipLevel);
    for (const f of WORLD_FILES) this.out[`world/${f}`] = this.sinks.open(`world/${f}`);
    this.records = new RecordWriter(this.sinks, seed, noise, this.lookalikeOf);
    this.departments = new Departments(this.records, { adults: this.adults, pastEnterprises: this.pastEnterprises });
    this.placeNames = new NameBook(plan.communities.map((c) => c.name));
  }

  private sink(name: string): NdjsonSink {
    const s = this.out[name];
    if (!s) throw new Error(`no output ${name}`);
    return s;
  }

  private markLookalike(p: PersonCtx, tag: NoiseTag): void {
    const tags = this.lookalikeOf.get(p.index) ?? [];
    if (!tags.includes(tag)) tags.push(tag);
    this.lookalikeOf.set(p.index, tags);
  }

  // --- the run -------------------------------------------------------------------------------

  async run(onProgress: (stage: ProgressStage, done: number, total: number) => void, signal?: AbortSignal): Promise<Manifest['entities']> {
    this.writeAreas();
    const total = this.plan.grids.length;
    for (const g of this.plan.grids) {
      signal?.throwIfAborted();
      this.grid(g);
      this.plannedPeopleSoFar += g.people;
      await this.sinks.drainAll();
      onProgress('generate', g.index + 1, total);
    }
    return {
      areas: 1 + this.plan.streets.length + this.plan.communities.length, grids: total, gridMembers: this.members, buildings: this.buildings,
      dwellings: this.dwellings, households: this.households, people: this.people, enterprises: this.enterprises, cases: this.cases,
    };
  }

  async close(onProgress: (stage: ProgressStage, done: number, total: number) => void): Promise<Record<string, { rows: number; bytes: number }>> {
    return this.sinks.closeAll((done, total) => onProgress('close', done, total));
  }

  abort(): void {
    this.sinks.destroyAll();
  }

  private writeAreas(): void {
    const areas = this.sink('world/areas');
    const poly = (ring: Array<[number, number]>): AreaRow['boundary'] => ({ type: 'Polygon', coordinates: [ring] });
    areas.write({ index: 0, level: 'district', kind: null, code: DISTRICT.code, name: DISTRICT.name, parentIndex: null, boundary: poly(rectRing(this.plan.districtRect)) } satisfies AreaRow);
    for (const s of this.plan.streets) {
      areas.write({ index: s.areaIndex, level: 'street', kind: s.spec.kind, code: s.code, name: s.spec.name, parentIndex: 0, boundary: poly(rectRing(s.rect)) } satisfies AreaRow);
    }
    for (const c of this.plan.communities) {
      areas.write({
        index: c.areaIndex, level: 'community', kind: c.kind, code: c.code, name: c.name, parentIndex: c.street.areaIndex, boundary: poly(rectRing(c.rect)),
      } satisfies AreaRow);
    }
  }

  // --- one grid ------------------------------------------------------------------------------

  private grid(g: GridPlan): void {
    const rng = Rng.of(this.seed, Stream.grid, g.index);
    this.records.startGrid(g.index);
    const firstPerson = this.people;
    const firstHousehold = this.households;
    const firstBuilding = this.buildings;
    const firstDwelling = this.dwellings;
    const firstEnterprise = this.enterprises;

    const memberList = this.gridMembers(g);
    const adults: PersonCtx[] = [];
    const residential: BuildingCtx[] = [];
    this.gridStartDwelling = this.dwellings;

    // Residential buildings until the grid's dwellings are all built.
    let left = g.dwellings;
    const village = g.community.kind === 'village';
    let group: { site: Omit<Site, 'number'>; houseNo: number; remaining: number } | null = null;
    let estate: { site: Omit<Site, 'number'>; next: number; remaining: number; highRise: number } | null = null;
    const peopleTarget = (done: number): number => this.plannedPeopleSoFar + (g.dwellings > 0 ? (g.people * done) / g.dwellings : g.people);
    while (left > 0) {
      let built: { b: BuildingCtx; slots: Slot[] };
      const bRng = Rng.of(this.seed, Stream.building, this.buildings);
      if (village) {
        if (!group || group.remaining <= 0) {
          group = { site: this.baseSite(g, this.placeNames.fresh(rng, makeVillageGroupName), 'village', g.community.name, 0), houseNo: rng.int(1, 5), remaining: rng.int(15, 45) };
        }
        group.remaining--;
        const number = String(group.houseNo);
        group.houseNo += rng.int(1, 3);
        built = this.villageHouse(g, bRng, { ...group.site, number }, left);
      } else {
        if (!estate || estate.remaining <= 0) {
          const road = rng.pick(g.community.roads);
          estate = {
            site: this.baseSite(g, this.placeNames.fresh(rng, (r) => makeEstateName(r, g.street.spec.short)), 'estate', road, rng.int(1, 999) * 2 - rng.int(0, 1)),
            next: 1, remaining: rng.int(4, 24), highRise: g.street.spec.kind === 'town' ? 0.25 : 0.6,
          };
        }
        estate.remaining--;
        built = this.estateBuilding(g, bRng, { ...estate.site, number: String(estate.next++) }, left, estate.highRise);
      }
      const b = built.b;
      left -= b.dwellings;
      residential.push(b);
      this.householdsOf(g, b, built.slots, bRng, adults, peopleTarget);
      this.departments.fire.building(g, b);
    }

    // Enterprises: shops in mixed buildings first for trades that need a street front, then offices.
    const enterprises: EnterpriseCtx[] = [];
    let park: { site: Omit<Site, 'number'>; next: number } | null = null;
    let office: BuildingCtx | null = null;
    const shops = residential.filter((b) => b.freeRooms.length > 0);
    for (let k = 0; k < g.enterprises; k++) {
      const industry = INDUSTRY_PICK.pick(rng);
      let premises: BuildingCtx | undefined;
      if (industry.shop || rng.chance(0.15)) premises = shops.find((b) => b.freeRooms.length > 0);
      if (!premises) {
        if (!office || office.freeRooms.length === 0) {
          if (!park || rng.chance(0.3)) {
            const road = rng.pick(g.community.roads);
            park = { site: this.baseSite(g, this.placeNames.fresh(rng, makeTowerName), 'commercial', road, rng.int(1, 999) * 2 - 1), next: 1 };
          }
          const bRng = Rng.of(this.seed, Stream.building, this.buildings);
          office = this.commercialBuilding(g, bRng, { ...park.site, number: String(park.next++) }, g.enterprises - k);
          this.departments.fire.building(g, office);
        }
        premises = office;
      }
      const e = this.enterprise(g, rng, industry, premises, adults);
      enterprises.push(e);
      this.departments.fire.enterprise(g, e);
      this.departments.court.enterprise(e, adults);
    }

    const hazards = this.departments.fire.takeHazards();
    this.casesAndIncidents(g, rng, adults, residential, enterprises, memberList, hazards);

    this.sink('world/grids').write({
      index: g.index, code: g.code, name: g.name, communityIndex: g.community.areaIndex, streetIndex: g.street.areaIndex,
      boundary: { type: 'Polygon', coordinates: [g.ring] }, people: this.people - firstPerson, households: this.households - firstHousehold,
      buildings: this.buildings - firstBuilding, dwellings: this.dwellings - firstDwelling, enterprises: this.enterprises - firstEnterprise,
      members: memberList.length,
    } satisfies GridRow);
  }

  private baseSite(g: GridPlan, estate: string, kind: Site['kind'], road: string, doorNo: number): Omit<Site, 'number'> {
    return { street: g.street.spec.name, streetShort: g.street.spec.short, community: g.community.name, estate, kind, road, doorNo };
  }

  private point(g: GridPlan, rng: Rng): { lng: number; lat: number } {
    const [w, s, e, n] = g.inner;
    return { lng: round6(w + rng.next() * (e - w)), lat: round6(s + rng.next() * (n - s)) };
  }

  private gridMembers(g: GridPlan): GridMemberRow[] {
    const rng = Rng.of(this.seed, Stream.gridMembers, g.index);
    const workers = Math.min(10, Math.max(1, Math.round((g.people / 250) * rng.float(0.8, 1.2))));
    const roles: GridRole[] = ['leader', ...Array<GridRole>(workers).fill('worker'), ...Array<GridRole>(Math.max(1, Math.round(workers / 3))).fill('auxiliary_police'), 'supervisor'];
    return roles.map((role, k) => {
      const sex: Sex = role === 'auxiliary_police' ? 'male' : rng.chance(0.55) ? 'female' : 'male';
      const row: GridMemberRow = {
        index: this.members, gridIndex: g.index, role, employeeNo: `WG${g.code}${pad(k + 1, 2)}`, name: fullName(rng, sex, rng.int(1968, 2000)), sex,
        phone: mobile(MEMBER_PHONE_BASE + this.members),
      };
      this.members++;
      this.sink('world/grid_members').write(row);
      return row;
    });
  }

  // --- buildings -----------------------------------------------------------------------------

  private newBuilding(g: GridPlan, rng: Rng, site: Site, kind: BuildingKind, use: BuildingUse, floors: number, units: number, builtYear: number, dwellings: number, freeRooms: string[]): BuildingCtx {
    const { lng, lat } = this.point(g, rng);
    const name = kind === 'village' ? `${site.estate}${site.number}号` : `${site.estate}${site.number}幢`;
    const b: BuildingCtx = { index: this.buildings++, site, kind, use, name, lng, lat, floors, builtYear, dwellings, firstDwelling: this.dwellings, freeRooms };
    const address = renderAddress(site, null, null, 'full');
    this.sink('world/buildings').write({
      index: b.index, gridIndex: g.index, communityIndex: g.community.areaIndex, streetIndex: g.street.areaIndex, kind, use, estate: site.estate,
      number: site.number, name, road: site.road, doorNo: site.doorNo, floors, units, builtYear, lng, lat, address,
      firstDwellingIndex: this.dwellings, dwellings, premises: freeRooms.length,
    } satisfies BuildingRow);
    this.departments.housing.building(b, units);
    return b;
  }

  private estateBuilding(g: GridPlan, rng: Rng, site: Site, left: number, highRiseShare: number): { b: BuildingCtx; slots: Slot[] } {
    const high = rng.chance(highRiseShare);
    let floors = high ? rng.pick([11, 15, 18, 18, 24, 26, 28, 32, 33]) : rng.int(5, 7);
    const units = high ? rng.int(1, 3) : rng.int(2, 4);
    const perFloor = high ? rng.int(2, 4) : 2;
    const mixed = rng.chance(0.18);
    const first = mixed ? (high ? 3 : 2) : 1;
    const capacity = units * perFloor * (floors - first + 1);
    const n = Math.min(capacity, left);
    if (n < capacity) floors = first - 1 + Math.ceil(n / (units * perFloor));
    const shops: string[] = [];
    if (mixed) for (let k = 1; k <= units * rng.int(2, 4); k++) shops.push(`1${pad(k, 2)}`);
    const builtYear = high ? rng.int(2005, 2024) : rng.int(1990, 2012);
    const b = this.newBuilding(g, rng, site, 'estate', mixed ? 'mixed' : 'residential', floors, units, builtYear, n, shops);
    const slots: Slot[] = [];
    for (let f = first; f <= floors && slots.length < n; f++) {
      for (let un = 1; un <= units && slots.length < n; un++) {
        for (let r = 1; r <= perFloor && slots.length < n; r++) slots.push({ unit: String(un), floor: f, room: `${f}${pad(r, 2)}` });
      }
    }
    return { b, slots };
  }

  private villageHouse(g: GridPlan, rng: Rng, site: Site, left: number): { b: BuildingCtx; slots: Slot[] } {
    const floors = rng.chance(0.15) ? 2 : rng.chance(0.5) ? 3 : 4;
    const perFloor = rng.chance(0.25) ? 0 : rng.int(2, 4);
    const mixed = rng.chance(0.22);
    const capacity = 1 + (floors - 1) * perFloor;
    const n = Math.min(capacity, left);
    const shops = mixed ? (rng.chance(0.7) ? ['101'] : ['101', '102']) : [];
    const b = this.newBuilding(g, rng, site, 'village', mixed ? 'mixed' : 'residential', floors, 0, rng.int(1985, 2018), n, shops);
    const slots: Slot[] = [{ unit: null, floor: 1, room: null }];
    for (let f = 2; f <= floors && slots.length < n; f++) for (let r = 1; r <= perFloor && slots.length < n; r++) slots.push({ unit: null, floor: f, room: `${f}${pad(r, 2)}` });
    return { b, slots };
  }

  private commercialBuilding(g: GridPlan, rng: Rng, site: Site, wanted: number): BuildingCtx {
    const floors = rng.int(4, 24);
    const perFloor = rng.int(6, 16);
    const capacity = floors * perFloor;
    // Rooms handed out in a scattered but collision-free order: a step coprime with the capacity.
    let step = 7 + rng.int(0, 40);
    while (gcd(step, capacity) !== 1) step++;
    const offset = rng.int(0, capacity - 1);
    const used = Math.min(capacity, Math.max(1, Math.ceil(Math.min(wanted, capacity * 0.8))));
    const rooms: string[] = [];
    for (let k = 0; k < used; k++) {
      const slot = (k * step + offset) % capacity;
      rooms.push(`${Math.floor(slot / perFloor) + 1}${pad((slot % perFloor) + 1, 2)}`);
    }
    rooms.reverse(); // taken with pop()
    return this.newBuilding(g, rng, site, 'commercial', 'commercial', floors, 1, rng.int(2000, 2023), 0, rooms);
  }

  // --- households and people -----------------------------------------------------------------

  private householdsOf(g: GridPlan, b: BuildingCtx, slots: readonly Slot[], rng: Rng, adults: PersonCtx[], peopleTarget: (done: number) => number): void {
    const village = b.kind === 'village';
    let houseOwner: PersonCtx | null = null;
    // What is written about the building's people waits until all of them exist, so a look-alike
    // (a neighbour's name) is settled before any row names them. Each department's stream still
    // sees its records in the same order.
    const later: Array<() => void> = [];
    const residents: PersonCtx[] = [];
    for (const slot of slots) {
      const dw: DwellingCtx = { index: this.dwellings++, buildingIndex: b.index, site: b.site, unit: slot.unit, room: slot.room };
      const doneInGrid = dw.index - this.gridStartDwelling;
      // Keep the head count on plan: fewer vacancies when behind, more when ahead.
      const deficit = peopleTarget(doneInGrid) - this.people;
      const vacancy = Math.min(0.35, Math.max(0.0, 0.1 + -deficit * 0.01));
      const ownerFlat = village && slot.room === null;
      let occupancy: Occupancy;
      if (ownerFlat) occupancy = rng.chance(vacancy * 0.3) ? 'vacant' : 'owner_occupied';
      else if (village) occupancy = rng.chance(vacancy) ? 'vacant' : 'rented';
      else occupancy = rng.chance(vacancy) ? 'vacant' : rng.chance(0.66) ? 'owner_occupied' : 'rented';
      const area = village ? (ownerFlat ? rng.int(120, 300) : rng.int(12, 40)) : b.floors > 7 ? rng.int(60, 180) : rng.int(45, 120);
      const areaM2 = area + rng.int(0, 99) / 100;

      let householdIndex: number | null = null;
      let head: PersonCtx | null = null;
      let members: PersonCtx[] = [];
      if (occupancy !== 'vacant') {
        const situation: Situation = village ? (ownerFlat ? 'village_owner' : 'village_room') : occupancy === 'owner_occupied' ? 'estate_owner' : 'estate_rented';
        const floating =
          situation === 'estate_owner' ? rng.chance(0.15) : situation === 'estate_rented' ? rng.chance(0.85) : situation === 'village_owner' ? rng.chance(0.03) : rng.chance(0.95);
        const composition = COMPOSITIONS[situation].pick(rng);
        householdIndex = this.households++;
        members = this.household(g, rng, dw, householdIndex, composition, floating, later);
        residents.push(...members);
        head = members[0] ?? null;
        for (const p of members) if (p.age >= 18) adults.push(p);
      }
      let owner: PersonCtx | null;
      if (occupancy === 'owner_occupied') owner = head;
      else if (village) owner = houseOwner ?? this.landlords.pick(rng) ?? null;
      else owner = rng.chance(0.92) ? (this.landlords.pick(rng) ?? null) : null;
      if (ownerFlat) houseOwner = head ?? owner;

      this.sink('world/dwellings').write({
        index: dw.index, buildingIndex: b.index, gridIndex: g.index, unit: dw.unit, floor: slot.floor, room: dw.room, areaM2, occupancy,
        ownerPersonIndex: owner?.index ?? null, householdIndex, address: renderAddress(dw.site, dw.unit, dw.room, 'full'),
      } satisfies DwellingRow);
      const tenant = occupancy === 'rented' ? head : null;
      later.push(() => this.departments.housing.dwelling(dw, slot.floor, areaM2, occupancy, owner, tenant, b));
      this.pastDwellings.push(dw);
      for (const p of members) if (p.residence === 'hukou' && p.age >= 30) this.landlords.push(p);
    }
    if (this.lookalikes.namesakes > 0) this.namesakes(residents);
    for (const write of later) write();
  }

  /**
   * Neighbours who share a name: some people take the full name of someone of the same sex in
   * another household of the building, the closest in age (often born the same year). Only
   * where the household's names stay consistent: the same surname, or a woman other than a
   * daughter (children take the father's surname, so hers is passed on to no one in the home).
   */
  private namesakes(residents: PersonCtx[]): void {
    for (const p of residents) {
      if (this.lookalikeOf.has(p.index)) continue;
      const lr = Rng.of(this.seed, Stream.lookalikes, 2, p.index);
      if (lr.next() >= this.lookalikes.namesakes) continue;
      const freeSurname = p.sex === 'female' && p.relation !== 'child' && p.relation !== 'grandchild';
      const year = civilFromDays(p.birthDay).y;
      const candidates = residents.filter((a) => a.householdNumber !== p.householdNumber && a.sex === p.sex && a.name !== p.name
        && !this.lookalikeOf.has(a.index) && (freeSurname || a.name.charAt(0) === p.name.charAt(0)));
      if (candidates.length === 0) continue;
      const gap = (a: PersonCtx): number => Math.abs(civilFromDays(a.birthDay).y - year);
      const best = Math.min(...candidates.map(gap));
      const a = lr.pick(candidates.filter((x) => gap(x) === best));
      p.name = a.name;
      this.markLookalike(p, 'namesake');
      this.markLookalike(a, 'namesake');
    }
  }

  private gridStartDwelling = 0;

  private household(
    g: GridPlan, rng: Rng, dw: DwellingCtx, householdIndex: number, composition: Composition, floating: boolean, later: Array<() => void>,
  ): PersonCtx[] {
    const specs = compose(rng, composition, floating);
    // Twins: the second of exactly two children is born on the first one's day (drawn from a
    // stream of its own; the world's draws go on as before, though what follows from the new
    // age may differ).
    let twins: readonly [number, number] | null = null;
    let lr: Rng | null = null;
    const kids = specs.flatMap((m, k) => (m.relation === 'child' ? [k] : []));
    if (this.lookalikes.twins > 0 && kids.length === 2) {
      lr = Rng.of(this.seed, Stream.lookalikes, 1, householdIndex);
      const [k1, k2] = kids as [number, number];
      if (lr.next() < this.lookalikes.twins) {
        twins = [k1, k2];
        specs[k2] = { ...(specs[k2] as MemberSpec), age: (specs[k1] as MemberSpec).age };
      }
    }
    const number = pad(scrambleSmall(householdIndex, 1_000_000_000, 387_420_489, 104_729_000), 9);
    const residence: Residence = floating ? 'floating' : 'hukou';
    const familyHome = floating ? FLOATING_PICK.pick(rng) : null;
    const movedIn = !floating && rng.chance(0.2) ? HUKOU_PICK.pick(rng) : null;
    // Some households moved here from elsewhere in the district within the last years.
    const from = rng.chance(0.07) ? (this.pastDwellings.pick(rng) ?? null) : null;
    const movedOnDay = from ? TODAY - rng.int(20, 1400) : null;
    const firstPersonIndex = this.people;
    const out: PersonCtx[] = [];
    const ethnicity = ETHNICITY_PICK.pick(rng);
    for (const [k, m] of specs.entries()) {
      const firstTwin = twins && k === twins[1] ? (out[twins[0]] as PersonCtx) : null;
      let birthDay = TODAY - Math.floor((m.age + rng.next()) * 365.2425);
      if (firstTwin) birthDay = firstTwin.birthDay;
      const birthYear = civilFromDays(birthDay).y;
      let origin: { code: string; name: string };
      if (familyHome) origin = m.relation === 'spouse' && rng.chance(0.3) ? pairToOrigin(FLOATING_PICK.pick(rng)) : pairToOrigin(familyHome);
      else if (movedIn && m.relation !== 'grandchild' && !(m.relation === 'child' && m.age < 16)) origin = pairToOrigin(movedIn);
      else origin = { code: localRegionCode(birthYear), name: '浙江省杭州市余杭区' };
      if (firstTwin) origin = firstTwin.origin;
      const { id, birthDay: bd } = this.ids.allocate(origin.code, birthDay, m.sex);
      const age = ageOn(bd);
      const phoneRate = age < 14 ? 0 : age < 18 ? 0.6 : age < 70 ? 0.97 : age < 80 ? 0.75 : 0.4;
      let name = m.surname + givenName(rng, m.sex, birthYear);
      if (firstTwin && lr) {
        // Some parents give twins names that sound alike (子轩, 梓萱); none gives both the same one.
        const alike = lr.chance(0.2) || name === firstTwin.name ? soundAlikeGiven(firstTwin.name.slice(1), lr) : null;
        if (alike !== null) name = m.surname + alike;
      }
      const p: PersonCtx = {
        index: this.people++, idNumber: id, name, sex: m.sex, birthDay: bd, age,
        phone: rng.chance(phoneRate) ? mobile(this.people - 1) : null, residence, relation: m.relation, householdNumber: number, dwelling: dw,
        gridIndex: g.index, communityName: g.community.name, origin, movedFrom: from, movedOnDay, tags: [],
        ethnicity: rng.chance(0.9) ? ethnicity : ETHNICITY_PICK.pick(rng),
      };
      if (composition === 'elderly_alone' && age >= 65) p.tags.push('elderly_living_alone');
      if (age >= 3 && rng.chance(0.015)) p.tags.push('disabled');
      if ((composition === 'elderly_alone' && rng.chance(0.2)) || (age >= 18 && rng.chance(0.006))) p.tags.push('hardship');
      if (m.relation === 'grandchild' && composition === 'grandparents_grandchild' && age < 16) p.tags.push('left_behind_child');
      if (age >= 20 && age <= 55 && rng.chance(0.0025)) p.tags.push('community_correction');
      out.push(p);
      if (firstTwin) {
        this.markLookalike(firstTwin, 'twin');
        this.markLookalike(p, 'twin');
      }
    }
    const headRow: HouseholdRow = {
      index: householdIndex, number, dwellingIndex: dw.index, buildingIndex: dw.buildingIndex, gridIndex: g.index, residence, composition,
      headPersonIndex: firstPersonIndex, firstPersonIndex, size: out.length,
    };
    this.sink('world/households').write(headRow);
    const head = out[0];
    later.push(() => this.peopleRecords(g, dw, householdIndex, out, head));
    return out;
  }

  /** The world's rows for a household's people and every department record about each of them. */
  private peopleRecords(g: GridPlan, dw: DwellingCtx, householdIndex: number, out: PersonCtx[], head: PersonCtx | undefined): void {
    for (const p of out) {
      this.sink('world/people').write({
        index: p.index, idNumber: p.idNumber, name: p.name, sex: p.sex, birthDate: isoDay(p.birthDay), ethnicity: p.ethnicity, phone: p.phone,
        residence: p.residence, householdIndex, relation: p.relation, dwellingIndex: dw.index, buildingIndex: dw.buildingIndex, gridIndex: g.index,
        communityIndex: g.community.areaIndex, streetIndex: g.street.areaIndex, origin: p.origin, tags: p.tags,
        movedFrom: p.movedFrom && p.movedOnDay !== null ? { dwellingIndex: p.movedFrom.index, movedOn: isoDay(p.movedOnDay) } : null,
      } satisfies PersonRow);
      this.departments.population.resident(p);
      this.departments.police.registration(p);
      this.departments.social.person(p, head ?? p, out);
      this.departments.court.person(p);
      if (p.age >= 18) this.adults.push(p);
    }
  }

  // --- enterprises ---------------------------------------------------------------------------

  private enterprise(g: GridPlan, rng: Rng, industry: (typeof INDUSTRIES)[number], b: BuildingCtx, adults: PersonCtx[]): EnterpriseCtx {
    const index = this.enterprises++;
    const eRng = Rng.of(this.seed, Stream.enterprises, index);
    let name = '';
    for (let tries = 0; ; tries++) {
      const mid = eRng.pick([g.street.spec.short, g.street.spec.short, '余杭', '', '']);
      const brand = eRng.pick(BRAND_CHARS) + eRng.pick(BRAND_CHARS);
      name = `杭州${mid}${brand}${eRng.pick(industry.words)}有限公司`;
      if (tries > 20) name = `杭州${mid}${brand}${eRng.pick(industry.words)}${index}有限公司`;
      if (!this.enterpriseNames.has(name)) break;
    }
    this.enterpriseNames.add(name);
    const estYear = eRng.chance(0.7) ? eRng.int(2015, 2026) : eRng.int(1998, 2014);
    const estDay = Math.min(TODAY - 10, daysFromCivil(estYear, 1, 1) + eRng.int(0, 364));
    const creditCode = estDay >= daysFromCivil(2015, 10, 1) ? makeCreditCode(DISTRICT.code, index) : legacyCreditCode(index);
    const status: EnterpriseStatus = eRng.chance(0.87) ? 'active' : eRng.chance(0.7) ? 'deregistered' : 'revoked';
    // The legal representative: usually someone living here (often in the same grid), sometimes not.
    let rep: PersonCtx | null = null;
    const local = adults.filter((a) => a.age >= 23 && a.age <= 68);
    if (eRng.chance(0.88)) rep = local.length > 0 && eRng.chance(0.5) ? eRng.pick(local) : (this.adults.pick(eRng) ?? null);
    if (rep && (rep.age < 23 || rep.age > 70)) rep = null;
    let repName: string;
    let repId: string;
    if (rep) {
      repName = rep.name;
      repId = rep.idNumber;
    } else {
      const sex: Sex = eRng.chance(0.7) ? 'male' : 'female';
      const birthDay = TODAY - Math.floor(eRng.float(25, 65) * 365.2425);
      repName = fullName(eRng, sex, civilFromDays(birthDay).y);
      repId = this.ids.allocate(OUTSIDE_PICK.pick(eRng)[0], birthDay, sex).id;
    }
    const room = b.freeRooms.pop() ?? '101';
    const pripid = `${DISTRICT.code}${pad(scrambleSmall(index, 1_000_000_000_000, 2_654_435_761, 123_456_789_012), 12)}`;
    const e: EnterpriseCtx = {
      index, pripid, name, creditCode, industryCode: industry.code, status, building: b, room, legalRep: rep, legalRepName: repName, legalRepId: repId,
    };
    const regCap = eRng.pick([3, 10, 30, 50, 50, 100, 100, 200, 500, 1000, 3000, 5000]);
    const entType = ENT_TYPES.pick(eRng);
    const address = renderAddress(b.site, null, room, 'full');
    const phone = `0571-8${pad(scrambleSmall(index, 10_000_000, 3_141_593, 2_718_281), 7)}`;
    const row: EnterpriseRow = {
      index, creditCode, name, entType, industryCode: industry.code, industry: industry.name, status, registeredOn: isoDay(estDay), registeredCapital: regCap,
      legalRepresentative: { personIndex: rep?.index ?? null, name: repName, idNumber: repId }, buildingIndex: b.index, room, gridIndex: g.index,
      communityIndex: g.community.areaIndex, streetIndex: g.street.areaIndex, address, phone,
    };
    this.sink('world/enterprises').write(row);
    this.departments.enterprise.record(e, row, estDay);
    this.pastEnterprises.push(e);
    return e;
  }

  // --- cases and 110 calls -------------------------------------------------------------------

  private casesAndIncidents(
    g: GridPlan, _rng: Rng, adults: PersonCtx[], residential: BuildingCtx[], enterprises: EnterpriseCtx[], members: GridMemberRow[], hazards: HazardCtx[],
  ): void {
    const rng = Rng.of(this.seed, Stream.cases, g.index);
    const callers = adults.filter((a) => a.phone !== null);
    const homes = residential.filter((b) => b.dwellings > 0);
    if (homes.length === 0 || callers.length === 0) return;
    const active = enterprises.filter((e) => e.status === 'active');
    const n = Math.round(g.people * this.plan.scale.casesPerPerson * rng.float(0.7, 1.3));
    for (let k = 0; k < n; k++) {
      let cat = CATEGORY_PICK.pick(rng);
      if (cat.site === 'enterprise' && active.length === 0) cat = CATEGORIES[1] as CaseCategory;
      let channel = cat.channels.pick(rng);
      const hazard = channel === 'connector' && cat.code === 'fire.ebike_indoor_charging' ? hazards.pop() : undefined;
      if (channel === 'connector' && !hazard && cat.code !== 'market.prepaid_card_risk') channel = 'hotline_12345';
      const reportedAt = NOW_MS - Math.floor(rng.next() * 365 * DAY_MS);
      let building = hazard?.building ?? rng.pick(homes);
      let enterprise: EnterpriseCtx | null = null;
      if (cat.site === 'enterprise' && active.length > 0) {
        // Prepaid cards are sold by training schools, gyms, salons: education and services first.
        const sellers = cat.code === 'market.prepaid_card_risk' ? active.filter((e) => e.industryCode === 'P' || e.industryCode === 'O') : [];
        enterprise = rng.pick(sellers.length > 0 ? sellers : active);
        building = enterprise.building;
      }
      const subject = cat.site === 'dwelling' ? (callers.find((a) => a.dwelling.buildingIndex === building.index) ?? null) : null;
      let reporter: PersonCtx | null = null;
      let member: GridMemberRow | null = null;
      if (channel === 'grid_patrol') member = rng.pick(members.filter((m) => m.role === 'worker' || m.role === 'leader'));
      else if (channel !== 'connector') reporter = rng.pick(callers);
      const place = `${g.community.name}${building.name}`;
      const address = renderAddress(building.site, null, enterprise ? enterprise.room : null, 'full');
      const lng = round6(building.lng + rng.float(-0.0002, 0.0002));
      const lat = round6(building.lat + rng.float(-0.0002, 0.0002));
      const index = this.cases++;
      const sources: CaseRow['sources'] = [];
      if (hazard) sources.push({ department: 'fire', stream: 'hazards', sourceId: hazard.sourceId });
      if (channel === 'connector' && enterprise) sources.push({ department: 'enterprise', stream: 'enterprises', sourceId: enterprise.pripid });
      if (channel === 'police_110') sources.push({ department: 'police', stream: 'incidents', sourceId: this.departments.police.incident(g, reportedAt, building, reporter, cat.title, index) });
      const levelU = rng.next();
      const level: CaseRow['level'] = cat.leads.length + cat.cooperating.length >= 3 ? (levelU < 0.3 ? 'district' : 'street') : levelU < 0.5 ? 'grid' : 'street';
      const urgency = cat.urgency.pick(rng);
      const fast = urgency === 'high' || urgency === 'critical';
      const dispatchedAt = reportedAt + (fast ? rng.int(2, 10) : rng.int(5, 60)) * MINUTE_MS;
      const stalled = rng.chance(0.04);
      const leadHours = rng.float(cat.hours[0], cat.hours[1]);
      const roles: Array<[Department, 'lead' | 'cooperating']> = [
        ...cat.leads.map((d) => [d, 'lead'] as [Department, 'lead']),
        ...(level === 'grid' ? [] : cat.cooperating.map((d) => [d, 'cooperating'] as [Department, 'cooperating'])),
      ];
      const result = rng.pick(cat.results);
      const dispatches: CaseDispatch[] = [];
      let lastDone = dispatchedAt;
      let allDone = dispatchedAt <= NOW_MS;
      if (dispatchedAt <= NOW_MS) {
        for (const [department, role] of roles) {
          const accepted = dispatchedAt + (fast ? rng.int(1, 8) : rng.int(5, 120)) * MINUTE_MS;
          const completed = stalled ? Infinity : accepted + Math.max(1, Math.round(leadHours * (role === 'lead' ? 1 : rng.float(0.3, 1)) * 60)) * MINUTE_MS;
          const isAccepted = accepted <= NOW_MS;
          const isDone = completed <= NOW_MS;
          if (!isDone) allDone = false;
          else lastDone = Math.max(lastDone, completed);
          dispatches.push({
            department, role, dispatchedAt: isoBeijing(dispatchedAt), acceptedAt: isAccepted ? isoBeijing(accepted) : null,
            completedAt: isDone ? isoBeijing(completed) : null, status: isDone ? 'completed' : isAccepted ? 'accepted' : 'pending', result: isDone ? result : null,
          });
        }
      }
      const closedAt = allDone ? lastDone + rng.int(20, 48 * 60) * MINUTE_MS : Infinity;
      const closed = closedAt <= NOW_MS;
      const status: CaseRow['status'] = closed ? 'closed' : dispatches.some((d) => d.status !== 'pending') ? 'in_progress' : dispatches.length > 0 ? 'dispatched' : 'reported';
      const c = civilFromDays(Math.floor((reportedAt + 8 * HOUR_MS) / DAY_MS));
      this.sink('world/cases').write({
        index, number: `YH${c.y}${pad(c.m, 2)}${pad(c.d, 2)}${pad(index + 1, 7)}`, category: cat.code, title: `${cat.title}（${place}）`,
        description: cat.text.replace('{place}', enterprise ? enterprise.name : place), channel, level, urgency, status, reportedAt: isoBeijing(reportedAt),
        closedAt: closed ? isoBeijing(closedAt) : null, gridIndex: g.index, buildingIndex: building.index, enterpriseIndex: enterprise?.index ?? null,
        lng, lat, address, reporterPersonIndex: reporter?.index ?? null, reporterMemberIndex: member?.index ?? null, subjectPersonIndex: subject?.index ?? null,
        sources, dispatches,
      } satisfies CaseRow);
    }
    // 110 calls the police handle themselves.
    const calls = Math.round(g.people * 0.015 * rng.float(0.7, 1.3));
    for (let k = 0; k < calls; k++) {
      this.departments.police.incident(g, NOW_MS - Math.floor(rng.next() * 365 * DAY_MS), rng.pick(homes), rng.pick(callers), null, null);
    }
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** A pre-2015 enterprise's code: its old numeric organisation code inside a GB 32100 code. */
function legacyCreditCode(index: number): string {
  const body = pad(scrambleSmall(index, 100_000_000, 43_112_609, 31_415_926), 8);
  const first17 = `91${DISTRICT.code}${body}${organizationCodeCheckChar(body)}`;
  return first17 + creditCodeCheckChar(first17);
}

const pairToOrigin = (x: readonly [string, string, number]): { code: string; name: string } => ({ code: x[0], name: x[1] });
const FLOATING_PICK = new Weighted(FLOATING_HOME.map((x) => [x, x[2]] as const));
const HUKOU_PICK = new Weighted(HUKOU_MOVED_IN.map((x) => [x, x[2]] as const));
const OUTSIDE_PICK = new Weighted(OUTSIDE_REGIONS.map((x) => [x, x[2]] as const));
const ETHNICITY_PICK = new Weighted(ETHNICITIES);

// ---------------------------------------------------------------------------------------------

export function resolveScale(scale: ScaleName | ScaleSpec): ScaleSpec {
  if (typeof scale !== 'string') return scale;
  const s = SCALES[scale];
  if (!s) throw new Error(`unknown scale ${JSON.stringify(scale)}: expected ${Object.keys(SCALES).join(', ')}`);
  return s;
}

/**
 * Generates the world into `outDir` and returns its manifest (also written as manifest.json).
 * Same seed and scale give byte-identical files; only manifest.timing differs between runs.
 */
export async function generateWorld(options: GenerateOptions): Promise<Manifest> {
  const started = performance.now();
  const { seed, outDir } = options;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got ${String(seed)}`);
  const scale = resolveScale(options.scale);
  // Phone numbers and household numbers are bijections of indices within fixed ranges.
  if (scale.people > 30_000_000 || scale.dwellings > 30_000_000) throw new Error('one run generates at most 30,000,000 people and dwellings (one city)');
  const noise = resolveNoise(options.noise);
  const lookalikes = resolveLookalikes(options.lookalikes);
  const gzipLevel = options.gzip === undefined || options.gzip === false ? null : options.gzip === true ? 1 : options.gzip;
  if (gzipLevel !== null && !(Number.isInteger(gzipLevel) && gzipLevel >= 1 && gzipLevel <= 9)) throw new Error('gzip level must be 1..9');
  const progress = options.onProgress ?? ((): void => undefined);

  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    if (!options.overwrite) throw new Error(`output directory ${outDir} is not empty (pass overwrite to replace it)`);
    for (const sub of ['world', 'departments', 'truth', 'manifest.json']) rmSync(join(outDir, sub), { recursive: true, force: true });
  }
  mkdirSync(outDir, { recursive: true });

  progress('plan', 0, 1);
  const plan = makePlan(scale, seed);
  progress('plan', 1, 1);

  const gen = new WorldGenerator(plan, seed, noise, lookalikes, outDir, gzipLevel);
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 250);
  sampler.unref();
  try {
    const entities = await gen.run(progress, options.signal);
    const files = await gen.close(progress);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const manifest: Manifest = {
      generator: 'liandong-world', version: GENERATOR_VERSION, seed, scale, now: NOW_ISO, gzip: gzipLevel !== null, noise, lookalikes, entities, files,
      timing: { generateMs: Math.round(performance.now() - started), peakRssBytes: peakRss },
    };
    writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } catch (err) {
    gen.abort();
    throw err;
  } finally {
    clearInterval(sampler);
  }
}
