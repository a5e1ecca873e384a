/**
 * The place: 余杭区 (Yuhang, Hangzhou) with its seven streets (街道) and five towns (镇), the
 * communities and villages we know by name, and name parts to make more plausible ones when a
 * scale needs more than the real lists hold. Also the home regions of the floating population
 * and of people whose hukou moved in.
 */
import type { Rng } from './rng.js';
import { surname } from './names.js';

export const DISTRICT = { code: '330110', name: '余杭区', city: '杭州市', province: '浙江省' } as const;

export interface StreetSpec {
  name: string;
  /** How locals shorten it: 良渚街道 → 良渚. */
  short: string;
  kind: 'street' | 'town';
  /** Share of the population (relative). */
  people: number;
  /** Share of the land (relative): the mountain towns are large and thinly settled. */
  land: number;
  communities: readonly string[];
  villages: readonly string[];
  roads: readonly string[];
}

export const STREETS: readonly StreetSpec[] = [
  {
    name: '良渚街道', short: '良渚', kind: 'street', people: 15, land: 8,
    communities: ['金家渡社区', '良渚文化村社区', '玉架山社区', '荀山社区', '博园社区', '勾庄社区', '七贤桥社区', '祥运社区'],
    villages: ['运河村', '新港村', '港南村', '安溪村', '大陆村', '杜城村', '石桥村'],
    roads: ['良渚大道', '古墩路', '金家渡路', '七贤路', '玉鸟路', '好运街', '杭行路', '莫干山路'],
  },
  {
    name: '仓前街道', short: '仓前', kind: 'street', people: 14, land: 6,
    communities: ['葛巷社区', '太炎社区', '仓溢社区', '海创园社区', '良睦社区', '苕溪社区'],
    villages: ['永乐村', '连具塘村', '灵源村', '高桥村', '吴山前村'],
    roads: ['文一西路', '良睦路', '仓兴街', '龙潭路', '海曙路', '余杭塘路', '向往街'],
  },
  {
    name: '五常街道', short: '五常', kind: 'street', people: 12, land: 4,
    communities: ['五常社区', '友谊社区', '西溪花园社区', '荆山湾社区', '洪园社区', '文二社区', '蒋村花园社区'],
    villages: ['五常村', '荆长村'],
    roads: ['五常大道', '荆长路', '文二西路', '丰岭路', '西溪路', '天目山路'],
  },
  {
    name: '闲林街道', short: '闲林', kind: 'street', people: 10, land: 8,
    communities: ['闲林社区', '嘉企社区', '南湖社区', '和睦社区', '万景社区'],
    villages: ['方家山村', '里项村', '东穆坞村', '港湖村', '闲林埠村'],
    roads: ['闲林街', '荆山路', '留祥路', '和睦路', '南湖路'],
  },
  {
    name: '余杭街道', short: '余杭', kind: 'street', people: 10, land: 7,
    communities: ['凤凰山社区', '直街社区', '宝塔山社区', '禹航社区', '狮山社区', '城南社区'],
    villages: ['永安村', '下陡门村', '仙宅村', '外婆坑村'],
    roads: ['禹航路', '直街', '通济街', '南渠街', '溪塔路', '狮山路'],
  },
  {
    name: '仁和街道', short: '仁和', kind: 'street', people: 8, land: 7,
    communities: ['仁和社区', '獐山社区', '云会社区'],
    villages: ['东塘村', '永泰村', '奉口村', '栅庄桥村', '三白潭村'],
    roads: ['仁河大道', '獐山路', '运溪路', '东西大道'],
  },
  {
    name: '中泰街道', short: '中泰', kind: 'street', people: 6, land: 9,
    communities: ['中泰社区', '泰峰社区'],
    villages: ['中桥村', '紫荆村', '白云村', '石鸽村', '双联村', '南峰村', '枫岭村'],
    roads: ['中泰路', '紫荆路', '泰峰街', '白云路'],
  },
  {
    name: '瓶窑镇', short: '瓶窑', kind: 'town', people: 8, land: 12,
    communities: ['瓶窑社区', '凤溪社区', '西安寺社区'],
    villages: ['南山村', '张堰村', '长命村', '彭公村', '塘埠村', '奇鹤村'],
    roads: ['瓶窑大道', '凤都路', '南山路', '窑北路'],
  },
  {
    name: '径山镇', short: '径山', kind: 'town', people: 5, land: 14,
    communities: ['径山社区'],
    villages: ['径山村', '小古城村', '求是村', '前溪村', '四岭村', '绿景村', '潘板村', '麻车头村'],
    roads: ['径山大道', '双溪路', '求是路'],
  },
  {
    name: '黄湖镇', short: '黄湖', kind: 'town', people: 2, land: 8,
    communities: ['黄湖社区'],
    villages: ['青山村', '王位山村', '赐璧村', '虎山村', '清水庵村'],
    roads: ['黄湖大道', '青山路'],
  },
  {
    name: '鸬鸟镇', short: '鸬鸟', kind: 'town', people: 1.5, land: 8,
    communities: ['鸬鸟社区'],
    villages: ['太公堂村', '山沟沟村', '仙佰坑村', '雅村村', '前庄村'],
    roads: ['鸬鸟大道', '太公堂路'],
  },
  {
    name: '百丈镇', short: '百丈', kind: 'town', people: 1, land: 9,
    communities: ['百丈社区'],
    villages: ['溪口村', '仙岩村', '半山村', '百丈村'],
    roads: ['百丈大道', '溪口路'],
  },
];

// Name parts for more communities, villages, estates and roads.
const PLACE_A = [...'金银玉翠锦文瑞安康宁和祥华荣泰丰新东西南北凤龙鹤桂梅兰竹松柳荷溪湖港塘桥山庄湾云星月阳春景明德福永嘉'];
const PLACE_B = [...'苑桥港塘湾溪山园城庭渚洲源泉林岭坞浜埭里湖浦坝'];
const WATER = [...'浜渡埭桥塘湾兜坞港'];
const ESTATE_SUFFIX = ['花园', '苑', '家园', '新村', '公寓', '雅苑', '名苑', '府', '里', '庭', '公馆', '嘉园', '锦苑', '华庭'];
const ESTATE_BRAND = ['万科', '绿城', '融创', '滨江', '金地', '保利', '中天', '龙湖', '招商', '旭辉', '越秀', '华润'];
const ROAD_SUFFIX = ['路', '路', '路', '街', '大道', '巷'];
const TOWER_SUFFIX = ['大厦', '商务中心', '科创中心', '中心', '广场', '产业园', '创业园'];

/** Hands out names, never the same one twice within the district. */
export class NameBook {
  private readonly used = new Set<string>();

  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.used.add(r);
  }

  claim(name: string): boolean {
    if (this.used.has(name)) return false;
    this.used.add(name);
    return true;
  }

  /** Draws from `make` until a fresh name comes up; after many tries, numbers the base name. */
  fresh(rng: Rng, make: (rng: Rng) => string): string {
    for (let i = 0; i < 60; i++) {
      const n = make(rng);
      if (this.claim(n)) return n;
    }
    const base = make(rng);
    for (let k = 2; ; k++) {
      const n = base.replace(/(社区|村|路|街|大道|巷|组)?$/, (suffix) => `${k}${suffix}`);
      if (this.claim(n)) return n;
    }
  }
}

export const makeCommunityName = (rng: Rng): string => `${rng.pick(PLACE_A)}${rng.pick(PLACE_B)}社区`;
export const makeVillageName = (rng: Rng): string =>
  rng.chance(0.55) ? `${surname(rng)}家${rng.pick(WATER)}村` : `${rng.pick(PLACE_A)}${rng.pick(PLACE_B)}村`;
export const makeVillageGroupName = (rng: Rng): string =>
  rng.chance(0.7) ? `${surname(rng)}家${rng.pick(WATER)}组` : `${rng.pick(PLACE_A)}${rng.pick(WATER)}组`;
export const makeRoadName = (rng: Rng): string => `${rng.pick(PLACE_A)}${rng.pick(PLACE_B)}${rng.pick(ROAD_SUFFIX)}`;
export function makeEstateName(rng: Rng, streetShort: string): string {
  const r = rng.next();
  if (r < 0.12) return `${rng.pick(ESTATE_BRAND)}${streetShort}${rng.pick(['府', '里', '公馆', '华庭', '之星'])}`;
  if (r < 0.25) return `${rng.pick(PLACE_A)}${rng.pick(['东', '西', '南', '北'])}${rng.pick(['苑', '园'])}`;
  return `${rng.pick(PLACE_A)}${rng.pick(PLACE_A)}${rng.pick(ESTATE_SUFFIX)}`;
}
export const makeTowerName = (rng: Rng): string => `${rng.pick(PLACE_A)}${rng.pick(PLACE_A)}${rng.pick(TOWER_SUFFIX)}`;

/** The short form of a community: 金家渡社区 → 金家渡; villages keep 村. */
export function communityShort(name: string): string {
  return name.endsWith('社区') ? name.slice(0, -2) : name;
}

// Where hukou residents' ID numbers were first issued. Yuhang was 余杭县 (330125) until 1994,
// 余杭市 (330184) until 2001 and 余杭区 (330110) since: old numbers stay valid for life.
export function localRegionCode(birthYear: number): string {
  return birthYear < 1978 ? '330125' : birthYear < 1985 ? '330184' : DISTRICT.code;
}

/** Hukou moved in from elsewhere (graduates, marriage, house purchase). */
export const HUKOU_MOVED_IN: ReadonlyArray<readonly [string, string, number]> = [
  ['330102', '浙江省杭州市上城区', 3], ['330105', '浙江省杭州市拱墅区', 3], ['330106', '浙江省杭州市西湖区', 3], ['330108', '浙江省杭州市滨江区', 1],
  ['330109', '浙江省杭州市萧山区', 2], ['330113', '浙江省杭州市临平区', 3], ['330122', '浙江省杭州市桐庐县', 1], ['330127', '浙江省杭州市淳安县', 1],
  ['330182', '浙江省杭州市建德市', 1], ['330111', '浙江省杭州市富阳区', 1], ['330402', '浙江省嘉兴市南湖区', 1], ['330521', '浙江省湖州市德清县', 2],
  ['330681', '浙江省绍兴市诸暨市', 1], ['330782', '浙江省金华市义乌市', 1], ['320102', '江苏省南京市玄武区', 1], ['340104', '安徽省合肥市蜀山区', 1],
  ['420111', '湖北省武汉市洪山区', 1], ['430104', '湖南省长沙市岳麓区', 1], ['410105', '河南省郑州市金水区', 1], ['370102', '山东省济南市历下区', 1],
];

/** Home regions of the floating population: nearby Zhejiang counties and the usual source provinces. */
export const FLOATING_HOME: ReadonlyArray<readonly [string, string, number]> = [
  ['330381', '浙江省温州市瑞安市', 2], ['330522', '浙江省湖州市长兴县', 2], ['331082', '浙江省台州市临海市', 2], ['330824', '浙江省衢州市开化县', 2],
  ['330825', '浙江省衢州市龙游县', 1], ['331127', '浙江省丽水市景宁畲族自治县', 1], ['341221', '安徽省阜阳市临泉县', 5], ['341222', '安徽省阜阳市太和县', 5],
  ['341623', '安徽省亳州市利辛县', 4], ['340826', '安徽省安庆市宿松县', 3], ['341322', '安徽省宿州市萧县', 2], ['341524', '安徽省六安市金寨县', 2],
  ['361127', '江西省上饶市余干县', 3], ['360281', '江西省景德镇市乐平市', 2], ['360722', '江西省赣州市信丰县', 2], ['362330', '江西省上饶市鄱阳县', 2],
  ['411524', '河南省信阳市商城县', 3], ['412828', '河南省驻马店市新蔡县', 2], ['411623', '河南省周口市商水县', 3], ['411402', '河南省商丘市梁园区', 1],
  ['421182', '湖北省黄冈市武穴市', 1], ['421127', '湖北省黄冈市黄梅县', 1], ['432524', '湖南省娄底市新化县', 1], ['433130', '湖南省湘西土家族苗族自治州龙山县', 1],
  ['511321', '四川省南充市南部县', 2], ['513022', '四川省达州市宣汉县', 1], ['510781', '四川省绵阳市江油市', 1], ['522422', '贵州省毕节市大方县', 2],
  ['522121', '贵州省遵义市播州区', 1], ['500233', '重庆市忠县', 1], ['500235', '重庆市云阳县', 1], ['320722', '江苏省连云港市东海县', 1],
  ['370882', '山东省济宁市兖州区', 1], ['450881', '广西壮族自治区贵港市桂平市', 1], ['130127', '河北省石家庄市高邑县', 1], ['610425', '陕西省咸阳市礼泉县', 1],
];

/** Region codes of persons not in the world at all (legal representatives living elsewhere). */
export const OUTSIDE_REGIONS: ReadonlyArray<readonly [string, string, number]> = [
  ['330106', '浙江省杭州市西湖区', 3], ['330102', '浙江省杭州市上城区', 2], ['330108', '浙江省杭州市滨江区', 2], ['330109', '浙江省杭州市萧山区', 2],
  ['330113', '浙江省杭州市临平区', 2], ['330203', '浙江省宁波市海曙区', 1], ['330302', '浙江省温州市鹿城区', 2], ['310115', '上海市浦东新区', 1],
  ['320583', '江苏省苏州市昆山市', 1], ['350203', '福建省厦门市思明区', 1],
];

export const ETHNICITIES: ReadonlyArray<readonly [string, number]> = [
  ['汉族', 968], ['畲族', 5], ['回族', 5], ['土家族', 6], ['苗族', 6], ['壮族', 4], ['满族', 3], ['彝族', 2], ['侗族', 1],
];
