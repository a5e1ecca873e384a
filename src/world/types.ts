/**
 * The shapes of every row the generator writes: the contract the department simulators, the
 * connectors and the evaluation code build on. `index` fields are 0-based and equal to the
 * row's line number in its world file. See README.md for the file layout.
 */
import type { Department, Lookalikes, NoiseConfig, NoiseTag } from './noise.js';
import type { ScaleSpec } from './layout.js';

export type Sex = 'male' | 'female';
export type Residence = 'hukou' | 'floating';
export type Relation = 'head' | 'spouse' | 'child' | 'parent' | 'grandchild';
export type PersonTag = 'elderly_living_alone' | 'disabled' | 'hardship' | 'left_behind_child' | 'community_correction';
export type Composition = 'elderly_alone' | 'elderly_couple' | 'single' | 'couple' | 'family' | 'three_generations' | 'grandparents_grandchild';
export type Occupancy = 'owner_occupied' | 'rented' | 'vacant';
export type BuildingKind = 'estate' | 'village' | 'commercial';
export type BuildingUse = 'residential' | 'mixed' | 'commercial';
export type EnterpriseStatus = 'active' | 'revoked' | 'deregistered';
export type GridRole = 'leader' | 'worker' | 'auxiliary_police' | 'supervisor';
export type EntityType = 'person' | 'household' | 'building' | 'dwelling' | 'enterprise' | 'case' | 'grid';

export interface GeoPolygon { type: 'Polygon'; coordinates: Array<Array<[number, number]>> }

// ---------------------------------------------------------------------------------------------
// OUT/world/*.ndjson

/** world/areas: the district (index 0), its streets/towns, then communities/villages. */
export interface AreaRow {
  index: number;
  level: 'district' | 'street' | 'community';
  /** 街道 street or 镇 town; 社区 community or 村 village; null for the district. */
  kind: 'street' | 'town' | 'community' | 'village' | null;
  code: string;
  name: string;
  parentIndex: number | null;
  boundary: GeoPolygon;
}

export interface GridRow {
  index: number;
  code: string;
  name: string;
  communityIndex: number;
  streetIndex: number;
  boundary: GeoPolygon;
  people: number;
  households: number;
  buildings: number;
  dwellings: number;
  enterprises: number;
  members: number;
}

export interface GridMemberRow {
  index: number;
  gridIndex: number;
  role: GridRole;
  employeeNo: string;
  name: string;
  sex: Sex;
  phone: string;
}

export interface BuildingRow {
  index: number;
  gridIndex: number;
  communityIndex: number;
  streetIndex: number;
  kind: BuildingKind;
  use: BuildingUse;
  /** Estate, village group (组) or commercial park. */
  estate: string;
  /** 幢 number in estates and parks, house number (号) in villages. */
  number: string;
  name: string;
  road: string;
  doorNo: number;
  floors: number;
  units: number;
  builtYear: number;
  lng: number;
  lat: number;
  /** Canonical address text ('full' style). */
  address: string;
  firstDwellingIndex: number;
  dwellings: number;
  /** Ground-floor shop rooms (mixed use) or office rooms (commercial) available to enterprises. */
  premises: number;
}

export interface DwellingRow {
  index: number;
  buildingIndex: number;
  gridIndex: number;
  /** null in village houses. */
  unit: string | null;
  floor: number;
  /** null for a village family's own house (the address is the house number). */
  room: string | null;
  areaM2: number;
  occupancy: Occupancy;
  ownerPersonIndex: number | null;
  householdIndex: number | null;
  address: string;
}

export interface HouseholdRow {
  index: number;
  number: string;
  dwellingIndex: number;
  buildingIndex: number;
  gridIndex: number;
  residence: Residence;
  composition: Composition;
  headPersonIndex: number;
  /** Members are people firstPersonIndex .. firstPersonIndex + size - 1. */
  firstPersonIndex: number;
  size: number;
}

export interface PersonRow {
  index: number;
  idNumber: string;
  name: string;
  sex: Sex;
  birthDate: string;
  ethnicity: string;
  phone: string | null;
  residence: Residence;
  householdIndex: number;
  relation: Relation;
  dwellingIndex: number;
  buildingIndex: number;
  gridIndex: number;
  communityIndex: number;
  streetIndex: number;
  /** Where the ID number was first issued / the floating person's home: code and text. */
  origin: { code: string; name: string };
  tags: PersonTag[];
  /** Moved here within the last years from another dwelling of the district. */
  movedFrom: { dwellingIndex: number; movedOn: string } | null;
}

export interface EnterpriseRow {
  index: number;
  creditCode: string;
  name: string;
  entType: string;
  industryCode: string;
  industry: string;
  status: EnterpriseStatus;
  registeredOn: string;
  /** 万元 (10,000 yuan). */
  registeredCapital: number;
  /** personIndex null: the representative lives outside the district (not in the world). */
  legalRepresentative: { personIndex: number | null; name: string; idNumber: string };
  buildingIndex: number;
  room: string;
  gridIndex: number;
  communityIndex: number;
  streetIndex: number;
  address: string;
  phone: string;
}

export type CaseChannel = 'hotline_12345' | 'police_110' | 'command_center' | 'grid_patrol' | 'connector';
export type CaseStatus = 'reported' | 'dispatched' | 'in_progress' | 'closed';

export interface CaseDispatch {
  department: Department;
  role: 'lead' | 'cooperating';
  dispatchedAt: string;
  acceptedAt: string | null;
  completedAt: string | null;
  status: 'pending' | 'accepted' | 'completed';
  result: string | null;
}

export interface CaseRow {
  index: number;
  number: string;
  category: string;
  title: string;
  description: string;
  channel: CaseChannel;
  level: 'grid' | 'street' | 'district';
  urgency: 'low' | 'normal' | 'high' | 'critical';
  status: CaseStatus;
  reportedAt: string;
  closedAt: string | null;
  gridIndex: number;
  buildingIndex: number;
  enterpriseIndex: number | null;
  lng: number;
  lat: number;
  address: string;
  reporterPersonIndex: number | null;
  reporterMemberIndex: number | null;
  subjectPersonIndex: number | null;
  /** Department records the case came from (a 110 call, a fire hazard). */
  sources: Array<{ department: Department; stream: string; sourceId: string }>;
  dispatches: CaseDispatch[];
}

// ---------------------------------------------------------------------------------------------
// OUT/truth/<department>.ndjson

/** Another entity a record names, and the noise in the fields about it. */
export interface TruthLink { role: string; entity: EntityType; index: number; noise: NoiseTag[] }

/** One per department record: which canonical entity it describes, and the noise applied. */
export interface TruthRow {
  department: Department;
  stream: string;
  sourceId: string;
  entity: EntityType;
  index: number;
  /** Other entities the record names (owner, tenants, legal representative, parties, reporter, location, case). */
  links: TruthLink[];
  /** Noise in the fields about the record's own entity, including its address. */
  noise: NoiseTag[];
}

// ---------------------------------------------------------------------------------------------
// OUT/manifest.json

export interface FileStat { rows: number; bytes: number }

export interface Manifest {
  generator: 'liandong-world';
  version: string;
  seed: number;
  scale: ScaleSpec;
  now: string;
  gzip: boolean;
  noise: NoiseConfig;
  lookalikes: Lookalikes;
  entities: {
    areas: number; grids: number; gridMembers: number; buildings: number; dwellings: number; households: number; people: number;
    enterprises: number; cases: number;
  };
  /** Per output file (path relative to the output directory): rows and bytes on disk. */
  files: Record<string, FileStat>;
  /** The only part that differs between two runs with the same seed and scale. */
  timing: { generateMs: number; peakRssBytes: number };
}

// ---------------------------------------------------------------------------------------------
// OUT/departments/<department>/<stream>.ndjson: each system in its own words.

/** population/residents — the population register (实有人口), field names in its pinyin-initial style. */
export interface PopulationResident {
  /** 人员编号: sourceId. */
  RYBH: string;
  /** 公民身份号码 */
  GMSFHM: string | null;
  /** 姓名 */
  XM: string;
  /** 性别: '1' male, '2' female (GB/T 2261.1). */
  XB: '1' | '2';
  /** 出生日期 YYYYMMDD */
  CSRQ: string;
  /** 民族 */
  MZ: string;
  /** 联系电话 */
  LXDH: string | null;
  /** 人员类别: 户籍人口 / 流动人口 */
  RYLB: '户籍人口' | '流动人口';
  /** 户号 */
  HH: string;
  /** 与户主关系 */
  YHZGX: string;
  /** 户籍地址: hukou residents' registered address (the old one if they moved), floating people's home region. */
  HJDZ: string;
  /** 现住址 */
  XZZ: string;
  /** 登记日期 YYYYMMDD */
  DJRQ: string;
  /** 更新时间 'YYYY-MM-DD HH:MM:SS', Beijing time without offset. */
  GXSJ: string;
}

export interface HousingPerson { name: string; id_number: string | null; phone: string | null }

/** housing/buildings — the housing bureau's building register (楼盘表). */
export interface HousingBuilding {
  building_code: string;
  building_name: string;
  address: string;
  road_address: string;
  community: string;
  use: '住宅' | '商住' | '商业';
  structure: string;
  floors_above: number;
  units: number;
  built_year: number;
  dwelling_count: number;
  longitude: number;
  latitude: number;
  updated_at: string;
}

/** housing/dwellings — one per dwelling (户室), with owner and tenants. */
export interface HousingDwelling {
  house_code: string;
  building_code: string;
  address: string;
  unit: string | null;
  floor: number;
  room: string | null;
  area_m2: number;
  usage: '自住' | '出租' | '空置';
  owner: HousingPerson | null;
  tenants: HousingPerson[];
  updated_at: string;
}

/** enterprise/enterprises — market regulation (SAMR-style camelCase names). */
export interface MarketEnterprise {
  /** 主体身份代码: sourceId. */
  pripid: string;
  uniscid: string;
  entName: string;
  entType: string;
  leRep: string;
  leRepCerType: string;
  leRepCerNo: string | null;
  dom: string;
  industryPhy: string;
  industryName: string;
  regCap: number;
  regCapCur: string;
  estDate: string;
  regState: string;
  /** Date of the last change (核准日期). */
  apprDate: string;
  regOrg: string;
  tel: string;
  updateTime: string;
}

/** police/residence_registrations — 居住登记 of floating residents (lower-case pinyin initials). */
export interface PoliceRegistration {
  djbh: string;
  sfzh: string | null;
  xm: string;
  xb: '男' | '女';
  lxdh: string | null;
  hjdz: string;
  /** null only in a name-and-phone-only registration. */
  jzdz: string | null;
  jzsy: string;
  djrq: string;
  jzzbh: string | null;
  yxqz: string | null;
  zt: '有效' | '注销';
  /** 'YYYYMMDDHHMMSS' Beijing time. */
  gxsj: string;
}

/** police/incidents — 110 calls (接警单). */
export interface PoliceIncident {
  jjdbh: string;
  bjsj: string;
  bjrxm: string | null;
  bjrdh: string | null;
  afdd: string;
  jqlb: string;
  jyaq: string;
  jd: number;
  wd: number;
  cjdw: string;
  cjjg: string;
  gxsj: string;
}

export interface CourtParty { role: '原告' | '被告' | '被告人'; name: string; idNumber: string | null; creditCode: string | null; address: string | null }

/** court/judgments — the court's case register (camelCase). sourceId is the case number. */
export interface CourtJudgment {
  caseNo: string;
  court: string;
  caseType: '民事' | '刑事';
  cause: string;
  filedOn: string;
  judgedOn: string;
  parties: CourtParty[];
  amountYuan: number | null;
  sentence: string | null;
  result: string;
  updatedAt: string;
}

/** court/dishonest_debtors — 失信被执行人; sourceId is the enforcement case number. */
export interface CourtDishonestDebtor {
  caseNo: string;
  basisCaseNo: string;
  court: string;
  debtorType: '自然人' | '法人';
  name: string;
  idNumber: string | null;
  creditCode: string | null;
  legalRepresentative: string | null;
  address: string | null;
  obligation: string;
  amountYuan: number;
  performance: '全部未履行' | '部分未履行';
  circumstance: string;
  publishedOn: string;
  updatedAt: string;
}

/** fire/inspections — on buildings (建筑) and enterprises (单位). */
export interface FireInspection {
  inspection_no: string;
  target_type: '建筑' | '单位';
  target_name: string;
  credit_code: string | null;
  address: string;
  inspected_on: string;
  inspector: string;
  result: '合格' | '发现隐患';
  hazard_count: number;
  updated_at: string;
}

/** fire/hazards — findings with rectification deadlines. */
export interface FireHazard {
  hazard_no: string;
  inspection_no: string;
  target_type: '建筑' | '单位';
  target_name: string;
  address: string;
  hazard_type: string;
  description: string;
  found_on: string;
  rectification_deadline: string;
  status: '已整改' | '整改中' | '逾期未整改';
  rectified_on: string | null;
  updated_at: string;
}

/** social/special_groups — civil affairs' register of people who need care. */
export interface SocialSpecialGroup {
  object_no: string;
  name: string;
  id_number: string | null;
  sex: '男' | '女';
  /** null only in a name-and-phone-only record, as is the address. */
  birth_date: string | null;
  category: '独居老人' | '残疾人' | '困难群众' | '留守儿童';
  detail: string | null;
  community: string;
  address: string | null;
  phone: string | null;
  guardian: { name: string; phone: string | null } | null;
  registered_on: string;
  status: '在册';
  updated_at: string;
}

/** social/subsidies — grants paid monthly. */
export interface SocialSubsidy {
  grant_no: string;
  object_no: string | null;
  name: string;
  id_number: string | null;
  subsidy: string;
  monthly_amount_yuan: number;
  start_month: string;
  status: '发放中' | '已停发';
  updated_at: string;
}

/** The streams per department, in the order the files are listed. */
export const DEPARTMENT_STREAMS = {
  population: ['residents'],
  housing: ['buildings', 'dwellings'],
  enterprise: ['enterprises'],
  police: ['residence_registrations', 'incidents'],
  court: ['judgments', 'dishonest_debtors'],
  fire: ['inspections', 'hazards'],
  social: ['special_groups', 'subsidies'],
} as const satisfies Record<Department, readonly string[]>;

/** The field holding the record's sourceId, per department stream. */
export const SOURCE_ID_FIELD: { [D in Department]: Record<(typeof DEPARTMENT_STREAMS)[D][number], string> } = {
  population: { residents: 'RYBH' },
  housing: { buildings: 'building_code', dwellings: 'house_code' },
  enterprise: { enterprises: 'pripid' },
  police: { residence_registrations: 'djbh', incidents: 'jjdbh' },
  court: { judgments: 'caseNo', dishonest_debtors: 'caseNo' },
  fire: { inspections: 'inspection_no', hazards: 'hazard_no' },
  social: { special_groups: 'object_no', subsidies: 'grant_no' },
};

export const WORLD_FILES = ['areas', 'grids', 'grid_members', 'buildings', 'dwellings', 'households', 'people', 'enterprises', 'cases'] as const;
