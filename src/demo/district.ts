import type { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { makeCreditCode } from '../domain/creditCode.js';
import { makeResidentId } from '../domain/idNumber.js';

/**
 * A small, deterministic demo district: 余杭区 (Yuhang, Hangzhou, 330110) with three streets,
 * nine communities/villages, 18 grids, ~150 buildings, ~2,000 people, ~150 enterprises, the
 * seven department systems with their source records, and ~120 cases over the 60 days before
 * 2026-11-25.
 *
 * Everything derives from one seeded PRNG and fixed dates (never the clock), and every row gets
 * an explicit id counted from 1 per table, so "person 1" is the same person on every machine.
 * The whole load is one transaction; it is skipped when the `area` table already has rows.
 */

export interface DemoSummary {
  loaded: boolean;
  areas: number;
  grids: number;
  buildings: number;
  dwellings: number;
  households: number;
  people: number;
  enterprises: number;
  cases: number;
  sourceRecords: number;
}

export interface DemoOptions {
  seed?: number;
  onProgress?: (stage: string) => void;
}

export const DEFAULT_DEMO_SEED = 20261125;

/** "Now" for the demo world: 2026-11-25 10:00 Beijing time. Ages and case timelines are cut here. */
const NOW = Date.parse('2026-11-25T10:00:00+08:00');
const TODAY = { year: 2026, month: 11, day: 25 } as const;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;

const DISTRICT = { code: '330110', name: '余杭区' } as const;

// ---------------------------------------------------------------------------------------------
// Randomness

/** mulberry32: a tiny 32-bit PRNG, plenty for demo data and identical on every platform. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [value, w] of entries) {
      r -= w;
      if (r < 0) return value;
    }
    const last = entries[entries.length - 1];
    if (!last) throw new Error('weighted pick from an empty list');
    return last[0];
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
  /** k distinct items, in the order drawn. */
  sample<T>(items: readonly T[], k: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < k && pool.length > 0) out.push(pool.splice(Math.floor(this.next() * pool.length), 1)[0] as T);
    return out;
  }
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`demo generator: missing ${what}`);
  return value;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const iso = (ms: number): string => new Date(ms).toISOString();
const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** Midnight UTC of a calendar day, for date arithmetic on dates without time zone. */
const utcDay = (year: number, month: number, day: number): number => Date.UTC(year, month - 1, day);

// ---------------------------------------------------------------------------------------------
// Rows, exactly as stored (snake_case, lower-case enum values)

type AreaRow = { id: number; level: 'district' | 'street' | 'community'; code: string; name: string; kind: 'community' | 'village' | null; parent_id: number | null };
type GridRow = { id: number; code: string; name: string; district_id: number; street_id: number; community_id: number; boundary: string };
type GridMemberRow = { id: number; grid_id: number; name: string; role: 'leader' | 'worker' | 'auxiliary_police' | 'supervisor'; phone: string };
type AddressRow = {
  id: number; district_id: number; street_id: number; community_id: number; estate: string | null; building_no: string | null;
  unit: string | null; room: string | null; text: string; normalized: string;
};
type BuildingUse = 'residential' | 'commercial' | 'mixed';
type BuildingRow = {
  id: number; name: string; address_id: number; district_id: number; street_id: number; community_id: number; grid_id: number;
  use: BuildingUse; floors: number; built_year: number; lat: number; lng: number;
};
type Occupancy = 'owner_occupied' | 'rented' | 'vacant';
type DwellingRow = { id: number; building_id: number; address_id: number; unit: string | null; room: string; floor_area: number; occupancy: Occupancy };
type ResidenceType = 'hukou' | 'floating';
type HouseholdRow = { id: number; number: string; dwelling_id: number; head_person_id: null; residence_type: ResidenceType };
type Sex = 'male' | 'female';
type Relation = 'head' | 'spouse' | 'child' | 'parent' | 'grandchild';
type PersonRow = {
  id: number; id_number: string | null; name: string; sex: Sex; birth_date: string; phone: string | null; residence_type: ResidenceType;
  household_id: number; relation_to_head: Relation; dwelling_id: number; building_id: number; district_id: number; street_id: number;
  community_id: number; grid_id: number;
};
type Tag = 'elderly_living_alone' | 'disabled' | 'hardship' | 'community_correction' | 'left_behind_child';
type PersonTagRow = { person_id: number; tag: Tag };
type EnterpriseStatus = 'active' | 'suspended' | 'deregistered';
type EnterpriseRow = {
  id: number; credit_code: string; name: string; legal_representative: string; industry: string; status: EnterpriseStatus;
  registered_on: string; address_id: number; building_id: number; district_id: number; street_id: number; community_id: number; grid_id: number;
};
type DepartmentName = 'population' | 'housing' | 'enterprise' | 'police' | 'court' | 'fire' | 'social';
type DepartmentRow = { id: number; name: DepartmentName; display_name: string };
type ConnectorStateRow = { department_id: number; status: 'never_synced' };
type SourceRecordRow = {
  id: number; department_id: number; stream: string; source_id: string; fetched_at: string; payload_hash: string; payload: string;
  entity_type: string; entity_id: number;
};
type CaseStatus = 'reported' | 'dispatched' | 'in_progress' | 'closed';
type Urgency = 'low' | 'normal' | 'high' | 'critical';
type Channel = 'hotline_12345' | 'police_110' | 'command_center' | 'grid_patrol' | 'connector';
type CaseLevel = 'grid' | 'street' | 'district';
type CaseRow = {
  id: number; number: string; title: string; description: string; category: string; urgency: Urgency; status: CaseStatus; channel: Channel;
  level: CaseLevel; reported_at: string; closed_at: string | null; reporter_name: string | null; reporter_phone: string | null;
  lat: number; lng: number; address_id: number; building_id: number | null; district_id: number; street_id: number; community_id: number;
  grid_id: number;
};
type CasePersonRow = { case_id: number; person_id: number; role: 'reporter' | 'subject' | 'affected' };
type DispatchRow = {
  id: number; case_id: number; department_id: number; role: 'lead' | 'cooperating'; status: 'pending' | 'accepted' | 'completed';
  dispatched_at: string; accepted_at: string | null; completed_at: string | null; result: string | null;
};
type CaseEventRow = { id: number; case_id: number; type: string; actor: string; at: string; note: string | null };

// ---------------------------------------------------------------------------------------------
// The place

interface CommunitySpec { name: string; kind: 'community' | 'village'; places: readonly [string, string] }
interface StreetSpec { name: string; short: string; operator: string; communities: readonly [CommunitySpec, CommunitySpec, CommunitySpec] }

// One estate (小区) or village group (组) per grid. Village houses are numbered 号, estate buildings 幢.
const STREETS: readonly StreetSpec[] = [
  {
    name: '良渚街道', short: '良渚', operator: '叶建良',
    communities: [
      { name: '金家渡社区', kind: 'community', places: ['北苑', '南苑'] },
      { name: '运河村', kind: 'village', places: ['吴家浜组', '东塘组'] },
      { name: '良渚新城社区', kind: 'community', places: ['玉鸟流苏', '良渚文化村'] },
    ],
  },
  {
    name: '仓前街道', short: '仓前', operator: '沈佳琪',
    communities: [
      { name: '葛巷社区', kind: 'community', places: ['葛巷花园', '仓溢东苑'] },
      { name: '太炎社区', kind: 'community', places: ['太炎苑', '仓兴苑'] },
      { name: '永乐村', kind: 'village', places: ['永乐组', '陈家埭组'] },
    ],
  },
  {
    name: '五常街道', short: '五常', operator: '陆文涛',
    communities: [
      { name: '五常社区', kind: 'community', places: ['五常花苑', '荆山苑'] },
      { name: '友谊社区', kind: 'community', places: ['友谊新村', '友谊家园'] },
      { name: '西溪花园社区', kind: 'community', places: ['西溪花园', '西溪诚园'] },
    ],
  },
];

const DISTRICT_OPERATOR = '区社会治理综合指挥中心 方志强';

// Grids are laid out as 6 columns (community × grid) by 3 rows (street) of small rectangles
// around Liangzhu (30.37 N, 120.03 E), with gaps so no two boundaries overlap.
const GRID_ORIGIN = { lng: 120.003, lat: 30.3595 } as const;
const GRID_SIZE = { lng: 0.008, lat: 0.006 } as const;
const GRID_PITCH = { lng: 0.009, lat: 0.007 } as const;

const DEPARTMENTS: ReadonlyArray<readonly [DepartmentName, string]> = [
  ['population', '人口登记'],
  ['housing', '住房和城乡建设'],
  ['enterprise', '市场监督管理'],
  ['police', '公安'],
  ['court', '法院'],
  ['fire', '消防救援'],
  ['social', '民政与社会服务'],
];

/** When each department's system was last read, as the stored provenance says. */
const FETCHED_AT: Record<DepartmentName, string> = {
  population: '2026-11-25T01:00:00.000Z',
  housing: '2026-11-25T01:10:00.000Z',
  enterprise: '2026-11-25T01:20:00.000Z',
  police: '2026-11-25T01:30:00.000Z',
  court: '2026-11-24T16:00:00.000Z',
  fire: '2026-11-25T01:40:00.000Z',
  social: '2026-11-25T01:50:00.000Z',
};

// ---------------------------------------------------------------------------------------------
// People's names

const SURNAMES: ReadonlyArray<readonly [string, number]> = [
  ['王', 7.1], ['李', 7.0], ['张', 6.7], ['刘', 5.4], ['陈', 4.5], ['杨', 3.1], ['黄', 2.2], ['赵', 2.2], ['吴', 2.0],
  ['周', 1.9], ['徐', 1.3], ['孙', 1.3], ['马', 1.2], ['朱', 1.1], ['胡', 1.1], ['郭', 1.1], ['何', 1.1], ['林', 1.0],
  ['罗', 0.9], ['高', 0.9], ['沈', 0.8], ['叶', 0.6], ['许', 0.6], ['蒋', 0.5], ['冯', 0.5], ['钱', 0.4], ['金', 0.4],
  ['姚', 0.4], ['方', 0.4], ['汪', 0.4], ['潘', 0.4], ['俞', 0.3], ['章', 0.3], ['施', 0.2], ['倪', 0.2], ['陆', 0.3],
];

/** Given names by birth cohort and sex: names follow fashions, and a 1950 秀英 rings true where a 2015 秀英 would not. */
const GIVEN_NAMES: Record<'old' | 'middle' | 'young' | 'child', Record<Sex, readonly string[]>> = {
  old: {
    male: ['建国', '建华', '国庆', '志明', '德明', '根林', '金土', '水根', '荣生', '福林', '仁', '林', '春', '明', '长根', '阿大', '炳荣', '裕民'],
    female: ['秀英', '桂英', '玉兰', '金花', '根娣', '凤英', '美娟', '彩娥', '月娥', '杏娣', '兰', '英', '芳', '素珍', '桂芳', '阿珍'],
  },
  middle: {
    male: ['伟', '强', '军', '勇', '斌', '建军', '海峰', '志强', '国平', '卫东', '晓东', '建平', '立新', '文华', '永刚', '剑', '红兵', '建忠'],
    female: ['丽', '敏', '静', '芳', '红梅', '丽萍', '雪芳', '晓燕', '美华', '海燕', '玲', '慧', '琴', '建芬', '丽娟', '月芬', '燕'],
  },
  young: {
    male: ['浩', '杰', '磊', '鹏', '涛', '俊杰', '宇航', '志伟', '家豪', '晨', '超', '文博', '子健', '天宇', '凯', '翔', '一凡'],
    female: ['婷', '倩', '雪', '佳怡', '梦瑶', '思琪', '晓雯', '雨欣', '丹丹', '诗雨', '婧', '颖', '露', '佳琪', '嘉怡', '玥'],
  },
  child: {
    male: ['子轩', '浩然', '宇轩', '梓豪', '一鸣', '俊熙', '沐阳', '睿', '皓轩', '奕辰', '铭泽', '宸', '子墨', '承泽'],
    female: ['梓涵', '欣怡', '一诺', '诗涵', '语桐', '若汐', '可馨', '梓萱', '芷若', '依诺', '悦', '朵朵', '安琪', '语汐'],
  },
};

function givenName(rng: Random, sex: Sex, birthYear: number): string {
  const cohort = birthYear < 1960 ? 'old' : birthYear < 1985 ? 'middle' : birthYear < 2005 ? 'young' : 'child';
  return rng.pick(GIVEN_NAMES[cohort][sex]);
}

function randomName(rng: Random, sex: Sex, birthYear: number): string {
  return rng.weighted(SURNAMES) + givenName(rng, sex, birthYear);
}

const PHONE_PREFIXES = ['135', '136', '137', '138', '139', '150', '151', '152', '157', '158', '159', '177', '180', '181', '186', '187', '188', '189', '199'];

// Home regions of the floating population: nearby Zhejiang counties and the usual source
// provinces Anhui and Jiangxi. Codes are current GB/T 2260 county codes.
const HOME_REGIONS: ReadonlyArray<readonly [string, string]> = [
  ['330381', '浙江省温州市瑞安市'], ['330522', '浙江省湖州市长兴县'], ['331082', '浙江省台州市临海市'], ['330824', '浙江省衢州市开化县'],
  ['341221', '安徽省阜阳市临泉县'], ['341222', '安徽省阜阳市太和县'], ['341623', '安徽省亳州市利辛县'], ['340826', '安徽省安庆市宿松县'],
  ['361127', '江西省上饶市余干县'], ['360281', '江西省景德镇市乐平市'], ['360722', '江西省赣州市信丰县'],
];

// ---------------------------------------------------------------------------------------------
// Cases

interface CategorySpec {
  code: string;
  title: string;
  weight: number;
  leads: readonly DepartmentName[];
  cooperating: readonly DepartmentName[];
  urgency: ReadonlyArray<readonly [Urgency, number]>;
  channels: ReadonlyArray<readonly [Channel, number]>;
  levels: ReadonlyArray<readonly [CaseLevel, number]>;
  /** Hours from acceptance to the lead department's completion. */
  workHours: readonly [number, number];
  /** Where it happens: a dwelling, a building, an enterprise's premises. */
  site: 'dwelling' | 'building' | 'enterprise' | 'education_enterprise';
  descriptions: readonly string[];
  results: readonly string[];
  secondRole: 'subject' | 'affected';
}

const CATEGORIES: readonly CategorySpec[] = [
  {
    code: 'environment.dust_noise', title: '露天水泥石料加工厂灰尘噪音', weight: 1,
    leads: ['housing', 'enterprise'], cooperating: ['police', 'fire'],
    urgency: [['normal', 3], ['high', 1]], channels: [['hotline_12345', 7], ['grid_patrol', 3]],
    levels: [['street', 4], ['district', 1]], workHours: [24, 200], site: 'building',
    descriptions: [
      '{place}附近有露天水泥石料加工点，白天粉尘弥漫，夜间机器噪音扰民。',
      '{place}旁临时石料堆场未覆盖，车辆进出扬尘严重，周边居民多次投诉。',
    ],
    results: ['已责令停工整改，堆场覆盖防尘网', '无证加工点已取缔，场地清理完毕'],
    secondRole: 'affected',
  },
  {
    code: 'city.construction_waste', title: '学校门口建筑垃圾', weight: 2,
    leads: ['housing'], cooperating: [],
    urgency: [['normal', 3], ['low', 1]], channels: [['grid_patrol', 6], ['hotline_12345', 4]],
    levels: [['grid', 1], ['street', 2]], workHours: [1, 6], site: 'building',
    descriptions: [
      '{place}附近学校门口堆放装修建筑垃圾，影响学生上下学通行。',
      '学校门口人行道被建筑垃圾占用，家长接送孩子只能绕行机动车道，地点：{place}附近。',
    ],
    results: ['城建办已清运建筑垃圾，现场恢复通行', '已联系装修业主限时清运并完成'],
    secondRole: 'affected',
  },
  {
    code: 'emergency.fallen_tree', title: '台风刮倒树木', weight: 1.5,
    leads: ['fire'], cooperating: ['housing'],
    urgency: [['high', 3], ['critical', 1]], channels: [['hotline_12345', 4], ['police_110', 3], ['grid_patrol', 3]],
    levels: [['street', 1]], workHours: [0.5, 3], site: 'building',
    descriptions: [
      '台风过境，{place}旁行道树被刮倒，压住非机动车道，需尽快处置。',
      '大风刮倒{place}门口香樟树，枝干压在停放车辆上，暂无人员受伤。',
    ],
    results: ['倒伏树木已切割清运，道路恢复通行', '已扶正加固树木并清理断枝'],
    secondRole: 'affected',
  },
  {
    code: 'safety.escaped_animal', title: '宠物蟒蛇出逃', weight: 0.3,
    leads: ['police'], cooperating: ['fire'],
    urgency: [['high', 2], ['critical', 1]], channels: [['police_110', 7], ['hotline_12345', 3]],
    levels: [['street', 1]], workHours: [0.5, 2], site: 'dwelling',
    descriptions: [
      '{place}住户饲养的宠物蟒蛇从箱中逃出，疑藏于楼道或绿化带，居民恐慌。',
    ],
    results: ['搜寻组在绿化带内找到蟒蛇，已交由专业机构收容', '蟒蛇在地下车库被捕获，已对饲养人进行教育'],
    secondRole: 'subject',
  },
  {
    code: 'labour.unpaid_wages', title: '工伤赔偿未付', weight: 1,
    leads: ['social'], cooperating: ['court'],
    urgency: [['normal', 3], ['high', 1]], channels: [['hotline_12345', 5], ['command_center', 5]],
    levels: [['street', 2], ['district', 1]], workHours: [72, 600], site: 'enterprise',
    descriptions: [
      '外来务工人员在{place}的企业务工时受伤，企业拖欠工伤赔偿款。',
      '务工人员工伤后多次找企业协商未果，赔偿款一直未支付，地点：{place}。',
    ],
    results: ['经调解企业一次性支付工伤赔偿款', '已引导申请法律援助，法院调解结案'],
    secondRole: 'affected',
  },
  {
    code: 'fire.ebike_indoor_charging', title: '电瓶车室内充电', weight: 3,
    leads: ['fire'], cooperating: ['housing'],
    urgency: [['normal', 3], ['high', 2]], channels: [['grid_patrol', 5], ['hotline_12345', 3], ['connector', 2]],
    levels: [['grid', 1], ['street', 1]], workHours: [2, 72], site: 'dwelling',
    descriptions: [
      '{place}住户将电瓶车推入室内充电，存在火灾隐患。',
      '{place}楼道内有电瓶车飞线充电，邻居反映多次劝说无效。',
    ],
    results: ['已上门劝导，电瓶车移至集中充电棚', '已清理楼道飞线并张贴安全提示'],
    secondRole: 'subject',
  },
  {
    code: 'market.prepaid_card_risk', title: '培训机构预付卡风险', weight: 0.8,
    leads: ['enterprise'], cooperating: ['police'],
    urgency: [['normal', 2], ['high', 1]], channels: [['connector', 5], ['hotline_12345', 5]],
    levels: [['district', 2], ['street', 1]], workHours: [96, 500], site: 'education_enterprise',
    descriptions: [
      '{place}一家培训机构近期大量销售预付课时卡，相关信访投诉增多，存在卷款风险。',
      '{place}培训机构课程停课、退费困难，多名家长的预付卡余额无法使用。',
    ],
    results: ['已约谈机构负责人，预收费纳入资金监管', '机构已按约退还预付费用'],
    secondRole: 'affected',
  },
];

/** How the description opens says how the case came in. */
const CHANNEL_PREFIX: Record<Channel, (c: CategorySpec) => string> = {
  hotline_12345: () => '市民来电反映：',
  police_110: () => '110转警：',
  command_center: () => '群众通过基层治理平台反映：',
  grid_patrol: () => '网格员巡查发现：',
  connector: (c) => (c.code === 'market.prepaid_card_risk' ? '“烟指数”预警（信访投诉与市场监管数据交叉比对）：' : '部门系统推送隐患：'),
};

// ---------------------------------------------------------------------------------------------
// The generator

interface GridInfo {
  row: GridRow;
  street: StreetSpec;
  streetId: number;
  community: CommunitySpec;
  communityId: number;
  place: string;
  bounds: { lng0: number; lat0: number; lng1: number; lat1: number };
  members: GridMemberRow[];
}

export interface DemoWorld {
  areas: AreaRow[];
  grids: GridRow[];
  gridMembers: GridMemberRow[];
  addresses: AddressRow[];
  buildings: BuildingRow[];
  dwellings: DwellingRow[];
  households: HouseholdRow[];
  people: PersonRow[];
  personTags: PersonTagRow[];
  enterprises: EnterpriseRow[];
  departments: DepartmentRow[];
  connectorStates: ConnectorStateRow[];
  sourceRecords: SourceRecordRow[];
  cases: CaseRow[];
  casePeople: CasePersonRow[];
  dispatches: DispatchRow[];
  caseEvents: CaseEventRow[];
}

type Composition = 'elderly_alone' | 'elderly_couple' | 'single' | 'couple' | 'family' | 'three_generations' | 'grandparents_grandchild';
interface MemberSpec { relation: Relation; sex: Sex; age: number; surname: string }

/** Builds the whole demo district in memory. Pure: same seed, same rows. */
export function generateDemoDistrict(seed: number = DEFAULT_DEMO_SEED): DemoWorld {
  const rng = new Random(seed);
  const w: DemoWorld = {
    areas: [], grids: [], gridMembers: [], addresses: [], buildings: [], dwellings: [], households: [], people: [], personTags: [],
    enterprises: [], departments: [], connectorStates: [], sourceRecords: [], cases: [], casePeople: [], dispatches: [], caseEvents: [],
  };
  const usedPhones = new Set<string>();
  const phone = (): string => {
    for (;;) {
      const p = rng.pick(PHONE_PREFIXES) + rng.digits(8);
      if (!usedPhones.has(p)) {
        usedPhones.add(p);
        return p;
      }
    }
  };

  const deptId = new Map<DepartmentName, number>();
  DEPARTMENTS.forEach(([name, display], i) => {
    w.departments.push({ id: i + 1, name, display_name: display });
    w.connectorStates.push({ department_id: i + 1, status: 'never_synced' });
    deptId.set(name, i + 1);
  });
  const dept = (name: DepartmentName): DepartmentRow => must(w.departments[must(deptId.get(name), name) - 1], name);

  const records: Omit<SourceRecordRow, 'id'>[] = [];
  const addRecord = (department: DepartmentName, stream: string, sourceId: string, payload: Record<string, unknown>, entityType: string, entityId: number): void => {
    const json = JSON.stringify(payload);
    records.push({
      department_id: must(deptId.get(department), department), stream, source_id: sourceId, fetched_at: must(FETCHED_AT[department], department),
      payload_hash: createHash('sha256').update(json).digest('hex'), payload: json, entity_type: entityType, entity_id: entityId,
    });
  };

  // --- areas and grids ----------------------------------------------------------------------
  const districtId = 1;
  w.areas.push({ id: districtId, level: 'district', code: DISTRICT.code, name: DISTRICT.name, kind: null, parent_id: null });
  STREETS.forEach((s, si) => {
    w.areas.push({ id: 2 + si, level: 'street', code: `${DISTRICT.code}${pad(si + 1, 3)}`, name: s.name, kind: null, parent_id: districtId });
  });
  const grids: GridInfo[] = [];
  STREETS.forEach((street, si) => {
    const streetId = 2 + si;
    street.communities.forEach((community, ci) => {
      const communityId = 2 + STREETS.length + si * 3 + ci;
      const communityCode = `${DISTRICT.code}${pad(si + 1, 3)}${pad(ci + 1, 3)}`;
      w.areas.push({ id: communityId, level: 'community', code: communityCode, name: community.name, kind: community.kind, parent_id: streetId });
      community.places.forEach((place, gi) => {
        const col = ci * 2 + gi;
        const lng0 = round6(GRID_ORIGIN.lng + col * GRID_PITCH.lng);
        const lat0 = round6(GRID_ORIGIN.lat + si * GRID_PITCH.lat);
        const lng1 = round6(lng0 + GRID_SIZE.lng);
        const lat1 = round6(lat0 + GRID_SIZE.lat);
        const row: GridRow = {
          id: w.grids.length + 1,
          code: `${communityCode}-${pad(gi + 1, 2)}`,
          name: `${community.name}第${gi + 1}网格`,
          district_id: districtId, street_id: streetId, community_id: communityId,
          // GeoJSON exterior ring: counter-clockwise, closed.
          boundary: JSON.stringify({ type: 'Polygon', coordinates: [[[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]] }),
        };
        w.grids.push(row);
        const members: GridMemberRow[] = [];
        const roles = ['leader', 'worker', 'auxiliary_police', 'supervisor'] as const;
        for (const role of roles) {
          const sex: Sex = role === 'auxiliary_police' ? 'male' : rng.chance(0.55) ? 'female' : 'male';
          const m: GridMemberRow = { id: w.gridMembers.length + 1, grid_id: row.id, name: randomName(rng, sex, rng.int(1968, 1998)), role, phone: phone() };
          w.gridMembers.push(m);
          members.push(m);
        }
        grids.push({ row, street, streetId, community, communityId, place, bounds: { lng0, lat0, lng1, lat1 }, members });
      });
    });
  });
  const gridById = (id: number): GridInfo => must(grids[id - 1], `grid ${id}`);

  // --- addresses, buildings, dwellings ------------------------------------------------------
  const normalizedSeen = new Set<string>();
  const addAddress = (g: GridInfo, estate: string | null, buildingNo: string | null, unit: string | null, room: string | null, text: string): AddressRow => {
    // One canonical rendering per place: every hierarchy level in a fixed slot, empty when absent.
    const normalized = [DISTRICT.name, g.street.name, g.community.name, estate ?? '', buildingNo ?? '', unit ?? '', room ?? ''].join('|');
    if (normalizedSeen.has(normalized)) throw new Error(`demo generator: duplicate address ${normalized}`);
    normalizedSeen.add(normalized);
    const a: AddressRow = {
      id: w.addresses.length + 1, district_id: districtId, street_id: g.streetId, community_id: g.communityId,
      estate, building_no: buildingNo, unit, room, text, normalized,
    };
    w.addresses.push(a);
    return a;
  };

  interface BuildingInfo { row: BuildingRow; grid: GridInfo; address: AddressRow; village: boolean; usedRooms: Set<string>; dwellings: DwellingRow[] }
  const buildingInfos: BuildingInfo[] = [];
  const dwellingAddress = new Map<number, AddressRow>();

  for (const g of grids) {
    const village = g.community.kind === 'village';
    const prefix = `${DISTRICT.name}${g.street.name}${g.community.name}${g.place}`;
    const uses: BuildingUse[] = Array.from({ length: 8 }, (): BuildingUse => 'residential');
    if (village) {
      if (rng.chance(0.75)) uses[7] = 'mixed';
      if (rng.chance(0.2)) uses[6] = 'commercial';
    } else {
      if (rng.chance(0.8)) uses[7] = 'commercial';
      if (rng.chance(0.45)) uses[6] = 'mixed';
    }
    let houseNo = rng.int(1, 6);
    for (let i = 0; i < 8; i++) {
      const use = must(uses[i], 'use');
      const buildingNo = village ? String(houseNo) : String(i + 1);
      houseNo += rng.int(1, 5);
      const label = village ? `${buildingNo}号` : `${buildingNo}幢`;
      const address = addAddress(g, g.place, buildingNo, null, null, `${prefix}${label}`);
      const floors = village ? (use === 'residential' ? rng.int(3, 4) : 4) : use === 'commercial' ? rng.int(3, 6) : rng.pick([6, 6, 7, 11, 15, 18]);
      const builtYear = village ? rng.int(1995, 2015) : floors <= 7 ? rng.int(1998, 2010) : rng.int(2008, 2021);
      const b: BuildingRow = {
        id: w.buildings.length + 1, name: `${g.place}${label}`, address_id: address.id, district_id: districtId, street_id: g.streetId,
        community_id: g.communityId, grid_id: g.row.id, use, floors, built_year: builtYear,
        lng: round6(g.bounds.lng0 + 0.001 + (i % 4) * 0.002 + rng.float(0, 0.0008)),
        lat: round6(g.bounds.lat0 + 0.001 + Math.floor(i / 4) * 0.0025 + rng.float(0, 0.001)),
      };
      w.buildings.push(b);
      const info: BuildingInfo = { row: b, grid: g, address, village, usedRooms: new Set(), dwellings: [] };
      buildingInfos.push(info);
      if (use === 'commercial') continue;

      // Six dwellings. Estates: three floors in each of units 1 and 2; a mixed building keeps its
      // two lowest floors for shops. Village houses: two rooms a floor, the owner's family on the
      // lowest, the rest let to workers — how 农居房 around Hangzhou's new towns are used.
      const slots: Array<{ unit: string | null; room: string; floor: number }> = [];
      if (village) {
        const firstFloor = use === 'mixed' ? 2 : 1;
        for (let f = firstFloor; f < firstFloor + 3; f++) for (const r of [1, 2]) slots.push({ unit: null, room: `${f}0${r}`, floor: f });
      } else {
        const firstFloor = use === 'mixed' ? 3 : 1;
        const floorsAvailable = Array.from({ length: floors - firstFloor + 1 }, (_, k) => firstFloor + k);
        for (const unit of ['1', '2']) {
          for (const f of rng.sample(floorsAvailable, 3).sort((a, c) => a - c)) slots.push({ unit, room: `${f}0${rng.int(1, 2)}`, floor: f });
        }
      }
      slots.forEach((slot, k) => {
        const unitText = slot.unit ? `${slot.unit}单元` : '';
        const addr = addAddress(g, g.place, buildingNo, slot.unit, slot.room, `${prefix}${label}${unitText}${slot.room}室`);
        info.usedRooms.add(`${slot.unit ?? ''}|${slot.room}`);
        let occupancy: Occupancy;
        if (village) occupancy = k === 0 ? 'owner_occupied' : rng.weighted([['rented', 8], ['vacant', 1]]);
        else occupancy = rng.weighted([['owner_occupied', 65], ['rented', 27], ['vacant', 8]]);
        const floorArea = village ? (k === 0 ? rng.int(90, 160) : rng.int(15, 45)) : rng.int(55, 140);
        const d: DwellingRow = {
          id: w.dwellings.length + 1, building_id: b.id, address_id: addr.id, unit: slot.unit, room: slot.room,
          floor_area: floorArea + rng.int(0, 9) / 10, occupancy,
        };
        w.dwellings.push(d);
        info.dwellings.push(d);
        dwellingAddress.set(d.id, addr);
      });
    }
    // The provenance of the building: the housing department's register.
    for (const info of buildingInfos.filter((x) => x.grid === g)) {
      const b = info.row;
      addRecord('housing', 'buildings', `FW${DISTRICT.code}${pad(b.id, 6)}`, {
        building_code: `FW${DISTRICT.code}${pad(b.id, 6)}`,
        name: b.name,
        address: info.address.text,
        use: { residential: '住宅', commercial: '商业', mixed: '商住' }[b.use],
        floors: b.floors,
        built_year: b.built_year,
        dwelling_count: info.dwellings.length,
        longitude: b.lng,
        latitude: b.lat,
      }, 'building', b.id);
    }
  }
  const buildingById = (id: number): BuildingInfo => must(buildingInfos[id - 1], `building ${id}`);

  // --- households and people ----------------------------------------------------------------
  const usedIds = new Set<string>();
  const usedHouseholdNumbers = new Set<string>();
  const birthDateFor = (age: number): string => isoDate(utcDay(TODAY.year - age, TODAY.month, TODAY.day) - rng.int(0, 364) * DAY);
  const ageOf = (birthDate: string): number => {
    const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
    return TODAY.year - y - (m > TODAY.month || (m === TODAY.month && d > TODAY.day) ? 1 : 0);
  };
  const idFor = (region: string, birthDate: string, sex: Sex): string => {
    for (;;) {
      const seq = rng.int(0, 499) * 2 + (sex === 'male' ? 1 : 0);
      const id = makeResidentId(region, birthDate, seq);
      if (!usedIds.has(id)) {
        usedIds.add(id);
        return id;
      }
    }
  };

  const compose = (kind: Composition, floating: boolean): MemberSpec[] => {
    const surname = (): string => rng.weighted(SURNAMES);
    switch (kind) {
      case 'elderly_alone': {
        const sex: Sex = rng.chance(0.65) ? 'female' : 'male';
        return [{ relation: 'head', sex, age: rng.int(70, 92), surname: surname() }];
      }
      case 'single': {
        const sex: Sex = rng.chance(0.6) ? 'male' : 'female';
        return [{ relation: 'head', sex, age: floating ? rng.int(19, 38) : rng.int(22, 45), surname: surname() }];
      }
      case 'elderly_couple':
      case 'couple':
      case 'family':
      case 'three_generations':
      case 'grandparents_grandchild': {
        const husbandAge =
          kind === 'elderly_couple' ? rng.int(62, 88)
          : kind === 'couple' ? rng.int(23, 40)
          : kind === 'grandparents_grandchild' ? rng.int(56, 74)
          : kind === 'three_generations' ? rng.int(30, 52)
          : floating ? rng.int(26, 46) : rng.int(28, 56);
        const wifeAge = Math.max(20, husbandAge - rng.int(-2, 5));
        const husband = { sex: 'male' as const, age: husbandAge, surname: surname() };
        const wife = { sex: 'female' as const, age: wifeAge, surname: surname() };
        // Most registers name the husband as head; some households are registered under the wife.
        const headIsWife = kind !== 'grandparents_grandchild' && rng.chance(0.2);
        const head = headIsWife ? wife : husband;
        const spouse = headIsWife ? husband : wife;
        const members: MemberSpec[] = [{ relation: 'head', ...head }, { relation: 'spouse', ...spouse }];
        if (kind === 'family' || kind === 'three_generations') {
          const children = kind === 'three_generations' ? rng.weighted([[1, 6], [2, 4]] as const) : rng.weighted([[1, 55], [2, 38], [3, 7]] as const);
          const maxChildAge = Math.min(28, wifeAge - 22);
          for (let c = 0; c < children && maxChildAge >= 0; c++) {
            const age = rng.int(Math.max(0, wifeAge - 38), maxChildAge);
            members.push({ relation: 'child', sex: rng.chance(0.52) ? 'male' : 'female', age, surname: husband.surname }); // children take the father's surname
          }
        }
        if (kind === 'three_generations') {
          const parents = members.length >= 4 ? 1 : rng.int(1, 2);
          const fatherAge = Math.min(90, Math.max(55, head.age + rng.int(24, 34)));
          const motherAge = Math.min(90, Math.max(55, fatherAge - rng.int(0, 4)));
          // The head's own parents: the father shares the head's surname.
          const father: MemberSpec = { relation: 'parent', sex: 'male', age: fatherAge, surname: head.surname };
          const mother: MemberSpec = { relation: 'parent', sex: 'female', age: motherAge, surname: surname() };
          if (parents === 2) members.push(father, mother);
          else members.push(rng.chance(0.6) ? mother : father);
        }
        if (kind === 'grandparents_grandchild') {
          // Parents work away; the grandchildren of the head's son stay with the grandparents (留守儿童).
          const n = rng.weighted([[1, 6], [2, 4]] as const);
          for (let c = 0; c < n; c++) members.push({ relation: 'grandchild', sex: rng.chance(0.52) ? 'male' : 'female', age: rng.int(3, 14), surname: husband.surname });
        }
        return members;
      }
    }
  };

  const tagsOf = new Map<number, Tag[]>();
  const addTag = (personId: number, tag: Tag): void => {
    const tags = tagsOf.get(personId) ?? [];
    if (!tags.includes(tag)) tags.push(tag);
    tagsOf.set(personId, tags);
  };
  const homeRegionOf = new Map<number, readonly [string, string]>();
  /** What the population register actually holds when our canonical id_number is null. */
  const registeredIdText = new Map<number, string | null>();

  for (const d of w.dwellings) {
    if (d.occupancy === 'vacant') continue;
    const info = buildingById(d.building_id);
    const g = info.grid;
    const floating = d.occupancy === 'rented' ? rng.chance(0.85) : false;
    let kind: Composition;
    if (floating) kind = rng.weighted([['single', 30], ['couple', 22], ['family', 42], ['three_generations', 6]]);
    else if (d.occupancy === 'rented') kind = rng.weighted([['single', 30], ['couple', 25], ['family', 45]]);
    else if (info.village) kind = rng.weighted([['elderly_alone', 10], ['elderly_couple', 12], ['family', 25], ['three_generations', 38], ['grandparents_grandchild', 15]]);
    else kind = rng.weighted([['elderly_alone', 8], ['elderly_couple', 13], ['single', 5], ['couple', 9], ['family', 40], ['three_generations', 25]]);
    const residence: ResidenceType = floating ? 'floating' : 'hukou';

    let number: string;
    do number = `${DISTRICT.code}${rng.digits(6)}`;
    while (usedHouseholdNumbers.has(number));
    usedHouseholdNumbers.add(number);
    const household: HouseholdRow = { id: w.households.length + 1, number, dwelling_id: d.id, head_person_id: null, residence_type: residence };
    w.households.push(household);

    const familyRegion = rng.pick(HOME_REGIONS);
    const members = compose(kind, floating);
    members.forEach((m, index) => {
      const birthDate = birthDateFor(m.age);
      const birthYear = Number(birthDate.slice(0, 4));
      const region = floating ? (m.relation === 'spouse' && rng.chance(0.3) ? rng.pick(HOME_REGIONS) : familyRegion) : ([DISTRICT.code, '浙江省杭州市余杭区'] as const);
      const idNumber = idFor(region[0], birthDate, m.sex);
      const id = w.people.length + 1;
      // About one in twenty has no valid ID number on file: never registered, or mistyped.
      const missingId = rng.chance(0.05);
      if (missingId) registeredIdText.set(id, rng.chance(0.5) ? mistype(rng, idNumber) : null);
      const adultPhoneRate = m.age < 16 ? 0 : m.age < 18 ? 0.6 : m.age < 70 ? 0.97 : m.age < 80 ? 0.75 : 0.4;
      const p: PersonRow = {
        id, id_number: missingId ? null : idNumber, name: m.surname + givenName(rng, m.sex, birthYear), sex: m.sex, birth_date: birthDate,
        phone: rng.chance(adultPhoneRate) ? phone() : null, residence_type: residence, household_id: household.id, relation_to_head: m.relation,
        dwelling_id: d.id, building_id: info.row.id, district_id: districtId, street_id: g.streetId, community_id: g.communityId, grid_id: g.row.id,
      };
      w.people.push(p);
      if (floating) homeRegionOf.set(id, region);
      if (kind === 'elderly_alone' && index === 0) {
        addTag(id, 'elderly_living_alone');
        if (rng.chance(0.2)) addTag(id, 'hardship');
      }
      if (m.relation === 'grandchild' && kind === 'grandparents_grandchild') addTag(id, 'left_behind_child');
      if (m.age >= 3 && rng.chance(0.015)) addTag(id, 'disabled');
      if (m.age >= 18 && rng.chance(0.005)) addTag(id, 'hardship');
      if (m.age >= 20 && m.age <= 55 && rng.chance(0.003)) addTag(id, 'community_correction');
    });
  }
  const personById = (id: number): PersonRow => must(w.people[id - 1], `person ${id}`);
  const householdById = (id: number): HouseholdRow => must(w.households[id - 1], `household ${id}`);

  // Population register: one record per person, in the register's own words.
  const RELATION_TEXT: Record<Relation, string> = { head: '户主', spouse: '配偶', child: '子女', parent: '父母', grandchild: '孙子女' };
  const householdMemberIndex = new Map<number, number>();
  for (const p of w.people) {
    const idx = (householdMemberIndex.get(p.household_id) ?? 0) + 1;
    householdMemberIndex.set(p.household_id, idx);
    const hh = householdById(p.household_id);
    const registeredId = p.id_number ?? registeredIdText.get(p.id) ?? null;
    const sourceId = p.id_number ? `P${p.id_number}` : `PX${hh.number}-${pad(idx, 2)}`;
    addRecord('population', 'residents', sourceId, {
      id_number: registeredId,
      name: p.name,
      sex: p.sex === 'male' ? '男' : '女',
      birth_date: p.birth_date.replaceAll('-', ''),
      ethnicity: rng.weighted([['汉族', 97], ['畲族', 1], ['回族', 1], ['土家族', 1]]),
      household_number: hh.number,
      relation_to_head: RELATION_TEXT[p.relation_to_head],
      residence_type: p.residence_type === 'hukou' ? '户籍' : '流动',
      registered_region: p.residence_type === 'hukou' ? '浙江省杭州市余杭区' : (homeRegionOf.get(p.id)?.[1] ?? null),
      address: must(dwellingAddress.get(p.dwelling_id), 'dwelling address').text,
      phone: p.phone,
    }, 'person', p.id);
  }

  // Police: temporary residence registration (居住登记) of floating adults, ~5% of people.
  const floatingAdults = w.people.filter((p) => p.residence_type === 'floating' && p.id_number && ageOf(p.birth_date) >= 18);
  const policeCount = Math.min(floatingAdults.length, Math.round(w.people.length * 0.05));
  for (const p of rng.sample(floatingAdults, policeCount).sort((a, b) => a.id - b.id)) {
    const registeredOn = NOW - rng.int(30, 900) * DAY;
    // Registered a while ago: a third of these carry the phone the person had back then.
    const stalePhone = p.phone && rng.chance(0.35) ? rng.pick(PHONE_PREFIXES) + rng.digits(8) : p.phone;
    addRecord('police', 'residents', `JZ${p.id_number}`, {
      id_number: p.id_number,
      name: p.name,
      phone: stalePhone,
      home_address: homeRegionOf.get(p.id)?.[1] ?? null,
      residence_address: must(dwellingAddress.get(p.dwelling_id), 'dwelling address').text,
      registered_on: isoDate(registeredOn),
      residence_permit_no: `浙居${DISTRICT.code}${rng.digits(8)}`,
      valid_until: isoDate(registeredOn + 365 * DAY),
    }, 'person', p.id);
  }

  // Household heads are set after the people exist (see insert); the tags now become rows.
  for (const [personId, tags] of tagsOf) for (const tag of tags) w.personTags.push({ person_id: personId, tag });
  w.personTags.sort((a, b) => a.person_id - b.person_id || a.tag.localeCompare(b.tag));
  const TAG_TEXT: Record<Tag, string> = {
    elderly_living_alone: '独居老人', disabled: '残疾人', hardship: '困难群众', community_correction: '社区矫正对象', left_behind_child: '留守儿童',
  };
  w.personTags.forEach((t, k) => {
    const p = personById(t.person_id);
    const payload: Record<string, unknown> = {
      id_number: p.id_number, name: p.name, category: TAG_TEXT[t.tag],
      community: must(w.areas[p.community_id - 1], 'community').name,
      registered_on: isoDate(NOW - rng.int(20, 2000) * DAY),
    };
    if (t.tag === 'disabled') payload.disability = `${rng.pick(['肢体', '视力', '听力', '智力'])}${rng.pick(['一', '二', '三', '四'])}级`;
    if (t.tag === 'hardship') payload.assistance = rng.pick(['低保', '低边', '特困供养']);
    if (t.tag === 'elderly_living_alone') payload.visit_cycle = '每周一次';
    addRecord('social', 'special_groups', `SG${pad(k + 1, 5)}`, payload, 'person', p.id);
  });

  // Court: a handful of dishonest judgment debtors (失信被执行人).
  const debtorCandidates = w.people.filter((p) => p.id_number && ageOf(p.birth_date) >= 30 && ageOf(p.birth_date) <= 60);
  const debtors = rng.sample(debtorCandidates, 6).sort((a, b) => a.id - b.id);
  const caseNumbers = new Set<string>();
  for (const p of debtors) {
    let caseNo: string;
    do caseNo = `(${rng.pick([2024, 2025, 2026])})浙0110执${rng.int(1000, 9999)}号`;
    while (caseNumbers.has(caseNo));
    caseNumbers.add(caseNo);
    addRecord('court', 'dishonest_debtors', caseNo, {
      case_no: caseNo,
      name: p.name,
      id_number: p.id_number,
      court: '杭州市余杭区人民法院',
      obligation: rng.pick(['偿还借款本金及利息', '支付货款', '支付工程款', '赔偿损失']),
      amount_yuan: rng.int(20, 900) * 1000,
      performance: rng.pick(['全部未履行', '部分未履行']),
      published_on: isoDate(NOW - rng.int(10, 600) * DAY),
    }, 'person', p.id);
  }

  // --- enterprises --------------------------------------------------------------------------
  const INDUSTRIES: ReadonlyArray<readonly [string, string, number]> = [
    ['建材', '批发和零售业', 2], ['贸易', '批发和零售业', 3], ['餐饮管理', '住宿和餐饮业', 3], ['网络科技', '信息传输、软件和信息技术服务业', 4],
    ['电子商务', '批发和零售业', 3], ['教育咨询', '教育', 2], ['培训学校', '教育', 1], ['物业管理', '房地产业', 1],
    ['装饰工程', '建筑业', 2], ['文化传媒', '文化、体育和娱乐业', 2], ['汽车服务', '居民服务、修理和其他服务业', 1], ['生物科技', '科学研究和技术服务业', 1],
  ];
  const BRANDS = ['金鼎', '华信', '恒达', '博远', '新宇', '瑞丰', '鼎盛', '宏图', '启明', '云帆', '乐学', '知行', '德润', '嘉禾', '创美', '正阳', '聚源', '优品', '星辰', '明德', '安泰', '锦程', '百川', '汇通'];
  const premises = buildingInfos.filter((b) => b.row.use !== 'residential');
  const capacity = (b: BuildingInfo): number => (b.row.use === 'commercial' ? b.row.floors * 6 : b.village ? 3 : 8);
  const usedNames = new Set<string>();
  const usedSerials = new Set<number>();
  const enterpriseAddress = new Map<number, AddressRow>();
  for (let k = 0; k < 150; k++) {
    const open = premises.filter((b) => b.usedRooms.size - b.dwellings.length < capacity(b));
    const b = rng.weighted(open.map((x) => [x, x.row.use === 'commercial' ? 3 : 1] as const));
    const maxShopFloor = b.row.use === 'commercial' ? b.row.floors : b.village ? 1 : 2;
    let room: string;
    do room = `${rng.int(1, maxShopFloor)}${pad(rng.int(1, 8), 2)}`;
    while (b.usedRooms.has(`|${room}`));
    b.usedRooms.add(`|${room}`);
    const g = b.grid;
    const label = b.village ? `${b.address.building_no}号` : `${b.address.building_no}幢`;
    const address = addAddress(g, g.place, b.address.building_no, null, room, `${DISTRICT.name}${g.street.name}${g.community.name}${g.place}${label}${room}室`);
    const [word, industry] = rng.weighted(INDUSTRIES.map(([wd, ind, wt]) => [[wd, ind] as const, wt] as const));
    let name: string;
    do name = `杭州${rng.pick([g.street.short, g.street.short, '余杭', ''])}${rng.pick(BRANDS)}${word}有限公司`;
    while (usedNames.has(name));
    usedNames.add(name);
    let serial: number;
    do serial = rng.int(0, 31 ** 5 - 1);
    while (usedSerials.has(serial));
    usedSerials.add(serial);
    const status = rng.weighted([['active', 88], ['suspended', 5], ['deregistered', 7]] as const);
    const registered = utcDay(rng.int(2008, 2026), 1, 1) + rng.int(0, 364) * DAY;
    const e: EnterpriseRow = {
      id: k + 1, credit_code: makeCreditCode(DISTRICT.code, serial), name, legal_representative: randomName(rng, rng.chance(0.7) ? 'male' : 'female', rng.int(1965, 1998)),
      industry, status, registered_on: isoDate(Math.min(registered, utcDay(2026, 10, 30))), address_id: address.id, building_id: b.row.id,
      district_id: districtId, street_id: g.streetId, community_id: g.communityId, grid_id: g.row.id,
    };
    w.enterprises.push(e);
    enterpriseAddress.set(e.id, address);
  }
  // One debtor runs a company: "once dishonest, restricted everywhere" needs the link to exist.
  const firstDebtor = debtors[0];
  const debtorCompany = w.enterprises[3];
  if (firstDebtor && debtorCompany) debtorCompany.legal_representative = firstDebtor.name;
  const ENTERPRISE_STATUS_TEXT: Record<EnterpriseStatus, string> = { active: '存续', suspended: '停业', deregistered: '注销' };
  for (const e of w.enterprises) {
    addRecord('enterprise', 'enterprises', e.credit_code, {
      credit_code: e.credit_code,
      name: e.name,
      legal_representative: e.legal_representative,
      industry: e.industry,
      status: ENTERPRISE_STATUS_TEXT[e.status],
      registered_on: e.registered_on,
      registered_capital: `${rng.pick([10, 50, 100, 200, 500, 1000])}万元人民币`,
      address: must(enterpriseAddress.get(e.id), 'enterprise address').text,
    }, 'enterprise', e.id);
  }

  // Fire: inspection findings on ~10% of buildings.
  const HAZARDS = ['电瓶车室内充电', '楼道飞线充电', '疏散通道堆放杂物', '室内消火栓无水', '安全出口锁闭', '灭火器过期'];
  const inspected = rng.sample(buildingInfos, Math.round(buildingInfos.length * 0.1)).sort((a, b) => a.row.id - b.row.id);
  inspected.forEach((b, k) => {
    const on = NOW - rng.int(3, 58) * DAY;
    const deadline = on + rng.int(7, 30) * DAY;
    addRecord('fire', 'inspections', `XF-YH-2026-${pad(k + 1, 4)}`, {
      inspection_no: `XF-YH-2026-${pad(k + 1, 4)}`,
      // Written the way inspectors write it: short, without the district.
      address: `${b.grid.street.short}${b.grid.community.name}${b.row.name}`,
      inspected_on: isoDate(on),
      hazard: rng.pick(HAZARDS),
      rectification_deadline: isoDate(deadline),
      status: deadline < NOW ? rng.pick(['已整改', '已整改', '逾期未整改']) : '整改中',
    }, 'building', b.row.id);
  });

  // --- cases --------------------------------------------------------------------------------
  const adultsByGrid = new Map<number, PersonRow[]>();
  for (const p of w.people) {
    if (ageOf(p.birth_date) < 18 || !p.phone) continue;
    const list = adultsByGrid.get(p.grid_id) ?? [];
    list.push(p);
    adultsByGrid.set(p.grid_id, list);
  }
  const adultsIn = (gridId: number): PersonRow[] => must(adultsByGrid.get(gridId), `adults of grid ${gridId}`);
  const staffName = new Map<string, string>();
  const departmentStaff = (street: StreetSpec, d: DepartmentName): string => {
    const key = `${street.name}|${d}`;
    let name = staffName.get(key);
    if (!name) {
      name = randomName(rng, rng.chance(0.6) ? 'male' : 'female', rng.int(1970, 1996));
      staffName.set(key, name);
    }
    return `${dept(d).display_name} ${name}`;
  };

  interface Draft {
    category: CategorySpec; title: string; description: string; urgency: Urgency; channel: Channel; level: CaseLevel; reportedAt: number;
    reporterName: string | null; reporterPhone: string | null; lat: number; lng: number; addressId: number; buildingId: number | null;
    grid: GridInfo; people: CasePersonRow[]; timeline: Timeline;
  }
  interface TimelineDispatch { department: DepartmentName; role: 'lead' | 'cooperating'; dispatchedAt: number; acceptedAt: number; completedAt: number; result: string }
  interface TimelineEvent { type: string; actor: string; at: number; note: string | null }
  interface Timeline { dispatches: TimelineDispatch[]; events: TimelineEvent[]; closedAt: number }

  const reportedActor = (channel: Channel, g: GridInfo, reporterName: string | null, category: CategorySpec): string => {
    switch (channel) {
      case 'hotline_12345': return '12345热线';
      case 'police_110': return '110指挥中心';
      case 'grid_patrol': return `网格员 ${reporterName ?? must(g.members[1], 'grid worker').name}`;
      case 'command_center': return `指挥中心 ${g.street.operator}`;
      case 'connector': return `${dept(must(category.leads[0], 'lead')).display_name} 数据接入`;
    }
  };

  /** The whole life of a case as it would run; statuses are then read off at NOW. */
  const simulate = (c: Omit<Draft, 'timeline'>, delays: { dispatch?: number; accept?: number } = {}): Timeline => {
    const events: TimelineEvent[] = [];
    const operator = c.level === 'district' ? DISTRICT_OPERATOR : `指挥中心 ${c.grid.street.operator}`;
    events.push({ type: 'reported', actor: reportedActor(c.channel, c.grid, c.reporterName, c.category), at: c.reportedAt, note: c.description });
    let t = c.reportedAt;
    if (c.level === 'district') {
      t += rng.int(3, 20) * MINUTE;
      events.push({ type: 'escalated', actor: `指挥中心 ${c.grid.street.operator}`, at: t, note: '涉及多部门，街道层面难以协调，上报区级' });
    }
    const fast = c.urgency === 'critical' || c.urgency === 'high';
    t += (delays.dispatch ?? (fast ? rng.int(2, 10) : rng.int(5, 45))) * MINUTE;
    const dispatchedAt = t;
    const roles: Array<[DepartmentName, 'lead' | 'cooperating']> = [
      ...c.category.leads.map((d) => [d, 'lead'] as [DepartmentName, 'lead']),
      ...c.category.cooperating.filter(() => c.level !== 'grid').map((d) => [d, 'cooperating'] as [DepartmentName, 'cooperating']),
    ];
    events.push({
      type: 'dispatched', actor: operator, at: dispatchedAt,
      note: `派单至${roles.map(([d, r]) => `${dept(d).display_name}（${r === 'lead' ? '牵头' : '协办'}）`).join('、')}`,
    });
    const leadHours = rng.float(c.category.workHours[0], c.category.workHours[1]);
    // A few cases stall: nobody has finished them yet however old they are.
    const stalled = rng.chance(0.05);
    const dispatches: TimelineDispatch[] = roles.map(([d, role]) => {
      const acceptedAt = dispatchedAt + (delays.accept ?? (fast ? rng.int(1, 8) : rng.int(5, 120))) * MINUTE;
      const hours = role === 'lead' ? leadHours : leadHours * rng.float(0.3, 1);
      const completedAt = stalled ? Number.POSITIVE_INFINITY : acceptedAt + Math.max(1, Math.round(hours * 60)) * MINUTE;
      return { department: d, role, dispatchedAt, acceptedAt, completedAt, result: rng.pick(c.category.results) };
    });
    for (const d of dispatches) {
      events.push({ type: 'accepted', actor: departmentStaff(c.grid.street, d.department), at: d.acceptedAt, note: null });
    }
    const firstAccepted = Math.min(...dispatches.map((d) => d.acceptedAt));
    if (c.category.site !== 'education_enterprise') {
      events.push({ type: 'site_visit', actor: `网格长 ${must(c.grid.members[0], 'grid leader').name}`, at: firstAccepted + rng.int(10, 50) * MINUTE, note: '到达现场核实情况' });
    }
    for (const d of dispatches) {
      events.push({ type: 'completed', actor: departmentStaff(c.grid.street, d.department), at: d.completedAt, note: d.result });
    }
    const lastDone = Math.max(...dispatches.map((d) => d.completedAt));
    const closedAt = lastDone + (c.category.workHours[1] <= 3 ? rng.int(20, 120) * MINUTE : rng.int(2, 30) * HOUR);
    events.push({ type: 'closed', actor: operator, at: closedAt, note: rng.pick(['回访群众，表示满意', '回访满意，办结', '经核查已处置到位，予以办结']) });
    return { dispatches, events, closedAt };
  };

  const drafts: Draft[] = [];

  // The case from the Liangzhu report: 运河村, 吴家浜村口, an open-air cement yard.
  {
    const g = must(grids.find((x) => x.community.name === '运河村' && x.place === '吴家浜组'), '吴家浜 grid');
    const category = must(CATEGORIES.find((x) => x.code === 'environment.dust_noise'), 'dust category');
    const site = addAddress(g, '吴家浜村口', null, null, null, `${DISTRICT.name}${g.street.name}${g.community.name}吴家浜村口`);
    const residents = adultsIn(g.row.id);
    const reporter = must(residents[0], 'reporter');
    const neighbour = must(residents[3] ?? residents[1], 'neighbour');
    const reportedAt = Date.parse('2026-10-27T09:12:00+08:00');
    const operator = `指挥中心 ${g.street.operator}`;
    const leader = `网格长 ${must(g.members[0], 'grid leader').name}`;
    const at = (hours: number): number => reportedAt + Math.round(hours * HOUR);
    const dispatches: TimelineDispatch[] = [
      { department: 'housing', role: 'lead', dispatchedAt: at(0.1), acceptedAt: at(0.4), completedAt: at(180), result: '违章搭建已拆除，违法用地已复垦' },
      { department: 'enterprise', role: 'lead', dispatchedAt: at(0.1), acceptedAt: at(0.5), completedAt: at(176), result: '无证经营的加工厂已依法取缔' },
      { department: 'police', role: 'cooperating', dispatchedAt: at(26), acceptedAt: at(26.5), completedAt: at(172), result: '配合取缔现场秩序维护' },
      { department: 'fire', role: 'cooperating', dispatchedAt: at(26), acceptedAt: at(27), completedAt: at(150), result: '现场消防安全检查完毕' },
      { department: 'social', role: 'cooperating', dispatchedAt: at(26), acceptedAt: at(28), completedAt: at(170), result: '联合村两委做好周边群众工作' },
    ];
    const events: TimelineEvent[] = [
      { type: 'reported', actor: '12345热线', at: reportedAt, note: '村民来电：吴家浜村口有一个露天水泥石料加工厂，到处都是灰尘，噪音也很大' },
      { type: 'dispatched', actor: operator, at: at(0.1), note: '同步派单：住房和城乡建设（牵头）核查违章搭建，市场监督管理（牵头）核查经营资质' },
      { type: 'accepted', actor: departmentStaff(g.street, 'housing'), at: at(0.4), note: null },
      { type: 'accepted', actor: departmentStaff(g.street, 'enterprise'), at: at(0.5), note: null },
      { type: 'site_visit', actor: departmentStaff(g.street, 'housing'), at: at(2), note: '现场核查：除扬尘噪音污染外，存在违章搭建、无证经营、非法使用土地等问题' },
      { type: 'joint_meeting', actor: operator, at: at(25), note: '召开联席例会：住建、市场监管为执法主体，公安、消防、民政等联动配合，予以取缔' },
      { type: 'dispatched', actor: operator, at: at(26), note: '派单至公安（协办）、消防救援（协办）、民政与社会服务（协办）' },
      { type: 'accepted', actor: departmentStaff(g.street, 'police'), at: at(26.5), note: null },
      { type: 'accepted', actor: departmentStaff(g.street, 'fire'), at: at(27), note: null },
      { type: 'accepted', actor: departmentStaff(g.street, 'social'), at: at(28), note: null },
      { type: 'visit', actor: leader, at: at(50), note: '网格长、党员代表上门走访周边群众，发挥党员联户作用' },
      { type: 'completed', actor: departmentStaff(g.street, 'fire'), at: at(150), note: '现场消防安全检查完毕' },
      { type: 'completed', actor: departmentStaff(g.street, 'social'), at: at(170), note: '联合村两委做好周边群众工作' },
      { type: 'completed', actor: departmentStaff(g.street, 'police'), at: at(172), note: '配合取缔现场秩序维护' },
      { type: 'completed', actor: departmentStaff(g.street, 'enterprise'), at: at(176), note: '无证经营的加工厂已依法取缔' },
      { type: 'completed', actor: departmentStaff(g.street, 'housing'), at: at(180), note: '违章搭建已拆除，违法用地已复垦' },
      { type: 'closed', actor: operator, at: at(8 * 24 - 2), note: '加工厂已取缔，回访村民表示满意，8天办结' },
    ];
    const lng = round6(g.bounds.lng0 + 0.0006);
    const lat = round6(g.bounds.lat0 + 0.0005);
    drafts.push({
      category, title: `运河村吴家浜村口${category.title}`,
      description: '村民反映：运河村吴家浜村口有一个露天水泥石料加工厂，搞得到处都是灰尘，噪音也很大。',
      urgency: 'normal', channel: 'hotline_12345', level: 'street', reportedAt, reporterName: reporter.name, reporterPhone: reporter.phone,
      lat, lng, addressId: site.id, buildingId: null, grid: g,
      people: [{ case_id: 0, person_id: reporter.id, role: 'reporter' }, { case_id: 0, person_id: neighbour.id, role: 'affected' }],
      timeline: { dispatches, events, closedAt: at(8 * 24 - 2) },
    });
  }

  // Residents who call about their neighbourhood again and again: they make "cases about this person" lists.
  const villageGrids = grids.filter((g) => g.community.kind === 'village');
  const repeatCallers = rng.sample(grids, 6).map((g) => must(rng.pick(adultsIn(g.row.id)), 'repeat caller'));
  // Two storm days: fallen-tree cases cluster on them.
  const stormDays = [Date.parse('2026-10-03T06:00:00+08:00'), Date.parse('2026-11-12T05:00:00+08:00')];
  const TOTAL_CASES = 120;
  for (let k = 1; k < TOTAL_CASES; k++) {
    const repeat = k <= 12 ? repeatCallers[k % 6] : undefined;
    let category = rng.weighted(CATEGORIES.map((c) => [c, c.weight] as const));
    // A grid-patrol or connector category cannot carry a caller; repeat callers pick what they phone about.
    // Open-air yards sit on village land, not inside estates.
    const g = repeat ? gridById(repeat.grid_id) : rng.pick(category.code === 'environment.dust_noise' ? villageGrids : grids);
    let channel = repeat ? (rng.chance(0.7) ? 'hotline_12345' : 'command_center') as Channel : rng.weighted(category.channels);
    if (repeat && category.code === 'safety.escaped_animal') channel = 'police_110';
    if (repeat && category.code === 'market.prepaid_card_risk') category = must(CATEGORIES.find((x) => x.code === 'fire.ebike_indoor_charging'), 'ebike');
    const level = rng.weighted(category.levels);
    const urgency = rng.weighted(category.urgency);

    // When: uniformly over the last 60 days, storms excepted, and the newest few within hours.
    let reportedAt: number;
    const delays: { dispatch?: number; accept?: number } = {};
    if (k >= TOTAL_CASES - 3) {
      reportedAt = NOW - rng.int(20, 40) * MINUTE;
      if (k === TOTAL_CASES - 1) delays.dispatch = 60; // still waiting for the command center
      if (k === TOTAL_CASES - 2) Object.assign(delays, { dispatch: 5, accept: 90 }); // dispatched, not yet accepted
    } else if (category.code === 'emergency.fallen_tree') {
      reportedAt = rng.pick(stormDays) + rng.int(0, 14 * 60) * MINUTE;
    } else {
      reportedAt = NOW - 60 * DAY + rng.int(0, 60 * 24 * 60 - 120) * MINUTE;
    }

    // Where, and who.
    const residential = buildingInfos.filter((b) => b.grid === g && b.dwellings.length > 0);
    let building: BuildingInfo;
    let addressId: number;
    let subject: PersonRow | undefined;
    if (category.site === 'enterprise' || category.site === 'education_enterprise') {
      const wanted = w.enterprises.filter((e) => e.status === 'active' && (category.site === 'enterprise' || e.industry === '教育'));
      const local = wanted.filter((e) => e.grid_id === g.row.id);
      const e = rng.pick(local.length > 0 ? local : wanted.filter((x) => x.street_id === g.streetId).length > 0 ? wanted.filter((x) => x.street_id === g.streetId) : wanted);
      building = buildingById(e.building_id);
      addressId = e.address_id;
    } else {
      building = rng.pick(residential);
      addressId = building.row.address_id;
      if (category.site === 'dwelling') {
        const occupied = w.people.filter((p) => p.building_id === building.row.id && ageOf(p.birth_date) >= 18);
        subject = occupied.length > 0 ? rng.pick(occupied) : undefined;
        if (subject) addressId = must(dwellingAddress.get(subject.dwelling_id), 'dwelling address').id;
      }
    }
    const caseGrid = building.grid;
    const place = `${caseGrid.community.name}${building.row.name}`;
    const description = CHANNEL_PREFIX[channel](category) + rng.pick(category.descriptions).replace('{place}', place);

    const people: CasePersonRow[] = [];
    let reporterName: string | null = null;
    let reporterPhone: string | null = null;
    if (channel === 'grid_patrol') {
      const worker = must(caseGrid.members[rng.chance(0.7) ? 1 : 0], 'grid member');
      reporterName = worker.name;
      reporterPhone = worker.phone;
    } else if (channel === 'connector') {
      reporterName = null;
    } else {
      const caller = repeat ?? (category.code === 'labour.unpaid_wages'
        ? rng.pick(w.people.filter((p) => p.residence_type === 'floating' && p.phone && p.street_id === caseGrid.streetId && ageOf(p.birth_date) >= 18))
        : rng.pick(adultsIn(caseGrid.row.id)));
      reporterName = caller.name;
      reporterPhone = caller.phone;
      people.push({ case_id: 0, person_id: caller.id, role: 'reporter' });
    }
    if (subject && !people.some((x) => x.person_id === subject.id)) people.push({ case_id: 0, person_id: subject.id, role: 'subject' });
    if (people.length === 0 || (people.length === 1 && rng.chance(0.4))) {
      const other = rng.pick(adultsIn(caseGrid.row.id));
      if (!people.some((x) => x.person_id === other.id)) people.push({ case_id: 0, person_id: other.id, role: category.secondRole === 'subject' && !subject ? 'subject' : 'affected' });
    }

    const draft: Omit<Draft, 'timeline'> = {
      category, title: `${category.title}（${place}）`, description, urgency, channel, level, reportedAt, reporterName, reporterPhone,
      lat: round6(building.row.lat + rng.float(-0.0002, 0.0002)), lng: round6(building.row.lng + rng.float(-0.0002, 0.0002)),
      addressId, buildingId: building.row.id, grid: caseGrid, people,
    };
    drafts.push({ ...draft, timeline: simulate(draft, delays) });
  }

  // Numbers follow the order of reporting; ids follow the numbers.
  drafts.sort((a, b) => a.reportedAt - b.reportedAt);
  drafts.forEach((c, k) => {
    const id = k + 1;
    const seen = c.timeline.events.filter((e) => e.at <= NOW).sort((a, b) => a.at - b.at);
    const dispatches = c.timeline.dispatches.filter((d) => d.dispatchedAt <= NOW);
    const closed = c.timeline.closedAt <= NOW;
    const status: CaseStatus = closed ? 'closed' : dispatches.some((d) => d.acceptedAt <= NOW) ? 'in_progress' : dispatches.length > 0 ? 'dispatched' : 'reported';
    w.cases.push({
      id, number: `YH-2026-${pad(id, 6)}`, title: c.title, description: c.description, category: c.category.code, urgency: c.urgency, status,
      channel: c.channel, level: c.level, reported_at: iso(c.reportedAt), closed_at: closed ? iso(c.timeline.closedAt) : null,
      reporter_name: c.reporterName, reporter_phone: c.reporterPhone, lat: c.lat, lng: c.lng, address_id: c.addressId,
      building_id: c.buildingId, district_id: districtId, street_id: c.grid.streetId, community_id: c.grid.communityId, grid_id: c.grid.row.id,
    });
    for (const p of c.people) w.casePeople.push({ ...p, case_id: id });
    for (const d of dispatches) {
      const accepted = d.acceptedAt <= NOW;
      const completed = d.completedAt <= NOW;
      w.dispatches.push({
        id: w.dispatches.length + 1, case_id: id, department_id: dept(d.department).id, role: d.role,
        status: completed ? 'completed' : accepted ? 'accepted' : 'pending', dispatched_at: iso(d.dispatchedAt),
        accepted_at: accepted ? iso(d.acceptedAt) : null, completed_at: completed ? iso(d.completedAt) : null, result: completed ? d.result : null,
      });
    }
    for (const e of seen) w.caseEvents.push({ id: w.caseEvents.length + 1, case_id: id, type: e.type, actor: e.actor, at: iso(e.at), note: e.note });
  });

  records.forEach((r, k) => w.sourceRecords.push({ id: k + 1, ...r }));
  return w;
}

/** The same number with one digit changed: what a clerk's typo leaves in a register (fails the check). */
function mistype(rng: Random, id: string): string {
  const pos = rng.int(0, 16);
  const old = Number(id.charAt(pos));
  const digit = (old + rng.int(1, 9)) % 10;
  return id.slice(0, pos) + String(digit) + id.slice(pos + 1);
}

// ---------------------------------------------------------------------------------------------
// Loading

/** Tables with a bigIncrements id, whose sequences must move past the explicit ids we insert. */
const SEQUENCED_TABLES = [
  'area', 'grid', 'grid_member', 'address', 'building', 'dwelling', 'household', 'person', 'enterprise', 'department',
  'source_record', 'case', 'dispatch', 'case_event',
] as const;

const SUMMARY_TABLES = {
  areas: 'area', grids: 'grid', buildings: 'building', dwellings: 'dwelling', households: 'household', people: 'person',
  enterprises: 'enterprise', cases: 'case', sourceRecords: 'source_record',
} as const satisfies Record<Exclude<keyof DemoSummary, 'loaded'>, string>;

async function countRows(db: Knex | Knex.Transaction): Promise<Omit<DemoSummary, 'loaded'>> {
  const out: Partial<Record<keyof typeof SUMMARY_TABLES, number>> = {};
  for (const [key, table] of Object.entries(SUMMARY_TABLES) as Array<[keyof typeof SUMMARY_TABLES, string]>) {
    const row = (await db(table).count({ n: '*' }).first()) as { n: string | number } | undefined;
    out[key] = Number(row?.n ?? 0);
  }
  return {
    areas: out.areas ?? 0, grids: out.grids ?? 0, buildings: out.buildings ?? 0, dwellings: out.dwellings ?? 0,
    households: out.households ?? 0, people: out.people ?? 0, enterprises: out.enterprises ?? 0, cases: out.cases ?? 0,
    sourceRecords: out.sourceRecords ?? 0,
  };
}

async function insertBatched(trx: Knex.Transaction, table: string, rows: readonly object[]): Promise<void> {
  const first = rows[0];
  if (!first) return;
  // Stay well under PostgreSQL's 65,535 bind parameters per statement.
  const size = Math.max(1, Math.min(500, Math.floor(30_000 / Object.keys(first).length)));
  for (let i = 0; i < rows.length; i += size) await trx(table).insert(rows.slice(i, i + size));
}

/**
 * Loads the demo district into an empty canonical store, in one transaction. Returns
 * `loaded: false` with the existing counts, and writes nothing, when `area` already has rows.
 */
export async function loadDemoDistrict(knex: Knex, options: DemoOptions = {}): Promise<DemoSummary> {
  const progress = options.onProgress ?? ((): void => undefined);
  return knex.transaction(async (trx) => {
    // Serialise concurrent loaders: the second waits, then sees the first one's rows.
    await trx.raw('lock table "area" in exclusive mode');
    const existing = (await trx('area').count({ n: '*' }).first()) as { n: string | number } | undefined;
    if (Number(existing?.n ?? 0) > 0) return { loaded: false, ...(await countRows(trx)) };

    progress('generating');
    const w = generateDemoDistrict(options.seed ?? DEFAULT_DEMO_SEED);
    const steps: Array<[string, string, readonly object[]]> = [
      ['areas', 'area', w.areas], ['grids', 'grid', w.grids], ['grid members', 'grid_member', w.gridMembers],
      ['addresses', 'address', w.addresses], ['buildings', 'building', w.buildings], ['dwellings', 'dwelling', w.dwellings],
      ['households', 'household', w.households], ['people', 'person', w.people], ['person tags', 'person_tag', w.personTags],
      ['enterprises', 'enterprise', w.enterprises], ['departments', 'department', w.departments],
      ['connector states', 'connector_state', w.connectorStates], ['source records', 'source_record', w.sourceRecords],
      ['cases', 'case', w.cases], ['case people', 'case_person', w.casePeople], ['dispatches', 'dispatch', w.dispatches],
      ['case events', 'case_event', w.caseEvents],
    ];
    for (const [stage, table, rows] of steps) {
      progress(stage);
      await insertBatched(trx, table, rows);
      // household.head_person_id references person, so it can only be filled once people exist.
      if (table === 'person') {
        await trx.raw(`update household set head_person_id = p.id from person p where p.household_id = household.id and p.relation_to_head = 'head'`);
      }
    }
    // The connector runner keeps record counts as batches land; the demo's records land all at once.
    await trx.raw('update connector_state cs set record_count = (select count(*) from source_record s where s.department_id = cs.department_id)');
    progress('sequences');
    for (const table of SEQUENCED_TABLES) {
      await trx.raw(`select setval(pg_get_serial_sequence(?, 'id'), (select max(id) from ??))`, [`"${table}"`, table]);
    }
    progress('done');
    return {
      loaded: true, areas: w.areas.length, grids: w.grids.length, buildings: w.buildings.length, dwellings: w.dwellings.length,
      households: w.households.length, people: w.people.length, enterprises: w.enterprises.length, cases: w.cases.length,
      sourceRecords: w.sourceRecords.length,
    };
  });
}
