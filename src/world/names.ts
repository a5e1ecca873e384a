/**
 * People's names: surnames with their frequencies, given-name characters by birth cohort and
 * sex (names follow fashions: a 1950 秀英, a 1990 佳怡, a 2018 梓涵), and the three other forms
 * a department may write a name in: traditional characters, a stray space, or pinyin.
 * Every character used here has its pinyin and, where it differs, its traditional form.
 */
import { type Rng, Weighted } from './rng.js';

export type Sex = 'male' | 'female';

// [surname, pinyin, weight (‰ of the population, roughly), traditional form if different]
const SURNAME_TABLE: ReadonlyArray<readonly [string, string, number, string?]> = [
  ['王', 'Wang', 71], ['李', 'Li', 70], ['张', 'Zhang', 67, '張'], ['刘', 'Liu', 54, '劉'], ['陈', 'Chen', 45, '陳'],
  ['杨', 'Yang', 31, '楊'], ['黄', 'Huang', 22, '黃'], ['赵', 'Zhao', 22, '趙'], ['吴', 'Wu', 20, '吳'], ['周', 'Zhou', 19],
  ['徐', 'Xu', 13], ['孙', 'Sun', 13, '孫'], ['马', 'Ma', 12, '馬'], ['朱', 'Zhu', 11], ['胡', 'Hu', 11],
  ['郭', 'Guo', 11], ['何', 'He', 11], ['林', 'Lin', 10], ['罗', 'Luo', 9, '羅'], ['高', 'Gao', 9],
  ['郑', 'Zheng', 8, '鄭'], ['梁', 'Liang', 8], ['谢', 'Xie', 8, '謝'], ['宋', 'Song', 7], ['唐', 'Tang', 7],
  ['许', 'Xu', 7, '許'], ['韩', 'Han', 6, '韓'], ['冯', 'Feng', 6, '馮'], ['邓', 'Deng', 6, '鄧'], ['曹', 'Cao', 6],
  ['彭', 'Peng', 5], ['曾', 'Zeng', 5], ['肖', 'Xiao', 5], ['田', 'Tian', 5], ['董', 'Dong', 5],
  ['袁', 'Yuan', 5], ['潘', 'Pan', 5], ['于', 'Yu', 4, '於'], ['蒋', 'Jiang', 6, '蔣'], ['蔡', 'Cai', 4],
  ['余', 'Yu', 4], ['杜', 'Du', 4], ['叶', 'Ye', 6, '葉'], ['程', 'Cheng', 4], ['苏', 'Su', 4, '蘇'],
  ['魏', 'Wei', 4], ['吕', 'Lyu', 4, '呂'], ['丁', 'Ding', 4], ['任', 'Ren', 4], ['沈', 'Shen', 8],
  ['姚', 'Yao', 4], ['卢', 'Lu', 4, '盧'], ['姜', 'Jiang', 4], ['崔', 'Cui', 3], ['钟', 'Zhong', 3, '鍾'],
  ['谭', 'Tan', 3, '譚'], ['陆', 'Lu', 4, '陸'], ['汪', 'Wang', 4], ['范', 'Fan', 3, '範'], ['金', 'Jin', 5],
  ['石', 'Shi', 3], ['廖', 'Liao', 3], ['贾', 'Jia', 3, '賈'], ['夏', 'Xia', 3], ['韦', 'Wei', 3, '韋'],
  ['方', 'Fang', 4], ['邹', 'Zou', 2, '鄒'], ['熊', 'Xiong', 2], ['孟', 'Meng', 2], ['秦', 'Qin', 2],
  ['邱', 'Qiu', 2], ['江', 'Jiang', 2], ['尹', 'Yin', 2], ['薛', 'Xue', 2], ['闫', 'Yan', 2, '閆'],
  ['段', 'Duan', 2], ['雷', 'Lei', 2], ['侯', 'Hou', 2], ['龙', 'Long', 2, '龍'], ['史', 'Shi', 2],
  ['陶', 'Tao', 2], ['黎', 'Li', 2], ['贺', 'He', 2, '賀'], ['顾', 'Gu', 3, '顧'], ['毛', 'Mao', 2],
  ['郝', 'Hao', 2], ['龚', 'Gong', 2, '龔'], ['邵', 'Shao', 2], ['万', 'Wan', 2, '萬'], ['钱', 'Qian', 3, '錢'],
  ['严', 'Yan', 2, '嚴'], ['覃', 'Qin', 1], ['武', 'Wu', 2], ['戴', 'Dai', 2], ['莫', 'Mo', 2],
  ['孔', 'Kong', 1], ['向', 'Xiang', 1], ['汤', 'Tang', 2, '湯'], ['俞', 'Yu', 3], ['章', 'Zhang', 3],
  ['施', 'Shi', 2], ['倪', 'Ni', 2], ['楼', 'Lou', 2, '樓'], ['骆', 'Luo', 1, '駱'], ['应', 'Ying', 1, '應'],
  ['傅', 'Fu', 2], ['屠', 'Tu', 1], ['郎', 'Lang', 1], ['褚', 'Chu', 1], ['卜', 'Bu', 1],
];

// [character, pinyin, traditional form if different]
type Char = readonly [string, string, string?];
const c = (spec: string): Char[] =>
  spec.split(' ').filter(Boolean).map((t) => {
    const [ch, py, tr] = t.split(':') as [string, string, string | undefined];
    return tr ? [ch, py, tr] : [ch, py];
  });

type Cohort = 'old' | 'middle' | 'young' | 'child';

// Given-name characters by cohort and sex, as "字:pinyin[:繁]".
const GIVEN: Record<Cohort, Record<Sex, Char[]>> = {
  old: {
    male: c('建:jian 国:guo:國 华:hua:華 明:ming 德:de 根:gen 林:lin 金:jin 水:shui 荣:rong:榮 生:sheng 福:fu 仁:ren 春:chun 长:chang:長 炳:bing 裕:yu 民:min 发:fa:發 财:cai:財 忠:zhong 庆:qing:慶 海:hai 志:zhi 宝:bao:寶 土:tu 祥:xiang 兴:xing:興 才:cai 贵:gui:貴 富:fu 松:song'),
    female: c('秀:xiu 英:ying 桂:gui 玉:yu 兰:lan:蘭 金:jin 花:hua 凤:feng:鳳 美:mei 娟:juan 彩:cai 娥:e 月:yue 杏:xing 娣:di 芳:fang 素:su 珍:zhen 菊:ju 梅:mei 琴:qin 莲:lian:蓮 宝:bao:寶 翠:cui 云:yun:雲 香:xiang 仙:xian 爱:ai:愛'),
  },
  middle: {
    male: c('伟:wei:偉 强:qiang:強 军:jun:軍 勇:yong 斌:bin 建:jian 海:hai 峰:feng 志:zhi 国:guo:國 平:ping 卫:wei:衛 东:dong:東 晓:xiao:曉 立:li 新:xin 文:wen 华:hua:華 永:yong 刚:gang:剛 剑:jian:劍 红:hong:紅 兵:bing 忠:zhong 明:ming 杰:jie:傑 林:lin 涛:tao:濤 鹏:peng:鵬 飞:fei:飛 军:jun:軍 辉:hui:輝 荣:rong:榮 良:liang 根:gen'),
    female: c('丽:li:麗 敏:min 静:jing:靜 芳:fang 红:hong:紅 梅:mei 萍:ping 雪:xue 晓:xiao:曉 燕:yan 美:mei 华:hua:華 海:hai 玲:ling 慧:hui 琴:qin 建:jian 芬:fen 娟:juan 月:yue 霞:xia 艳:yan:艷 英:ying 春:chun 云:yun:雲 丹:dan 凤:feng:鳳 琳:lin 秀:xiu 群:qun'),
  },
  young: {
    male: c('浩:hao 杰:jie:傑 磊:lei 鹏:peng:鵬 涛:tao:濤 俊:jun 宇:yu 航:hang 志:zhi 伟:wei:偉 家:jia 豪:hao 晨:chen 超:chao 文:wen 博:bo 子:zi 健:jian 天:tian 凯:kai:凱 翔:xiang 一:yi 凡:fan 强:qiang:強 斌:bin 亮:liang 辉:hui:輝 成:cheng 阳:yang:陽 帆:fan 昊:hao 威:wei 鑫:xin 龙:long:龍'),
    female: c('婷:ting 倩:qian 雪:xue 佳:jia 怡:yi 梦:meng:夢 瑶:yao:瑤 思:si 琪:qi 晓:xiao:曉 雯:wen 雨:yu 欣:xin 丹:dan 诗:shi:詩 婧:jing 颖:ying:穎 露:lu 嘉:jia 玥:yue 静:jing:靜 敏:min 蕾:lei 璐:lu 洁:jie:潔 琳:lin 莹:ying:瑩 芸:yun:蕓 萌:meng 菲:fei'),
  },
  child: {
    male: c('子:zi 轩:xuan:軒 浩:hao 然:ran 宇:yu 梓:zi 豪:hao 一:yi 鸣:ming:鳴 俊:jun 熙:xi 沐:mu 阳:yang:陽 睿:rui 皓:hao 奕:yi 辰:chen 铭:ming:銘 泽:ze:澤 宸:chen 墨:mo 承:cheng 博:bo 文:wen 航:hang 瑞:rui 锦:jin:錦 言:yan 煜:yu 晟:sheng 逸:yi 恒:heng'),
    female: c('梓:zi 涵:han 欣:xin 怡:yi 一:yi 诺:nuo:諾 诗:shi:詩 语:yu:語 桐:tong 若:ruo 汐:xi 可:ke 馨:xin 萱:xuan 芷:zhi 依:yi 悦:yue 安:an 琪:qi 雨:yu 思:si 彤:tong 佳:jia 沫:mo 晴:qing 瑶:yao:瑤 芮:rui 舒:shu 妍:yan 歆:xin'),
  },
};

// Homophones for given-name characters whose pinyin no other character here shares: common
// name characters a clerk may write for them (芳 → 方, 斌 → 彬). Only used as replacements.
const EXTRA_HOMOPHONES = c(
  '方:fang 维:wei:維 玮:wei:瑋 彬:bin 滨:bin:濱 波:bo 纯:chun:純 冬:dong 钢:gang:鋼 晗:han 寒:han 杭:hang 宏:hong 洪:hong 虹:hong '
  + '涓:juan 鹃:juan:鵑 楷:kai 岚:lan:嵐 蓝:lan:藍 灵:ling:靈 铃:ling:鈴 凌:ling 隆:long 朋:peng 琦:qi 祺:qi 奇:qi 茜:qian 千:qian '
  + '蔷:qiang:薔 芹:qin 勤:qin 仕:shi 斯:si 韬:tao:韜 桃:tao 添:tian 甜:tian 亭:ting 庭:ting 侠:xia:俠 小:xiao 筱:xiao 孝:xiao 修:xiu '
  + '学:xue:學 洋:yang 扬:yang:揚 遥:yao:遙 尧:yao:堯 则:ze:則 真:zhen 贞:zhen:貞 中:zhong 仲:zhong 蓉:rong 融:rong 冉:ran 淑:shu '
  + '书:shu:書 嵩:song 得:de 帼:guo:幗',
);

const PINYIN = new Map<string, string>();
const TRADITIONAL = new Map<string, string>();
for (const [s, py, , tr] of SURNAME_TABLE) {
  PINYIN.set(s, py.toLowerCase());
  if (tr) TRADITIONAL.set(s, tr);
}
for (const bySex of Object.values(GIVEN)) {
  for (const chars of Object.values(bySex)) {
    for (const [ch, py, tr] of chars) {
      PINYIN.set(ch, py);
      if (tr) TRADITIONAL.set(ch, tr);
    }
  }
}

for (const [ch, py, tr] of EXTRA_HOMOPHONES) {
  PINYIN.set(ch, py);
  if (tr) TRADITIONAL.set(ch, tr);
}

/**
 * For each given-name character, the other characters with the same toneless pinyin: the ones
 * the generator uses, grouped by pinyin, and the hand-added ones above. Sorted, so the choice
 * made from a draw never depends on insertion order.
 */
const HOMOPHONES = new Map<string, readonly string[]>();
{
  const byPinyin = new Map<string, Set<string>>();
  const given = new Set<string>();
  for (const bySex of Object.values(GIVEN)) {
    for (const chars of Object.values(bySex)) {
      for (const [ch, py] of chars) {
        given.add(ch);
        byPinyin.set(py, (byPinyin.get(py) ?? new Set()).add(ch));
      }
    }
  }
  for (const [ch, py] of EXTRA_HOMOPHONES) byPinyin.set(py, (byPinyin.get(py) ?? new Set()).add(ch));
  for (const ch of given) {
    const others = [...(byPinyin.get(PINYIN.get(ch) as string) ?? [])].filter((x) => x !== ch).sort();
    if (others.length > 0) HOMOPHONES.set(ch, others);
  }
}

/** The characters with the same toneless pinyin as a given-name character (none for others). */
export function homophonesOf(ch: string): readonly string[] {
  return HOMOPHONES.get(ch) ?? [];
}

/**
 * The name with one given-name character replaced by a homophone (张伟 → 张维), chosen by u in
 * [0, 1) among every (position, replacement) pair; null if no character of the given name has one.
 * The surname (always one character here) is kept: clerks get given names wrong, not surnames.
 */
export function homophoneName(name: string, u: number): string | null {
  const chars = [...name];
  const options: Array<[number, string]> = [];
  for (let i = 1; i < chars.length; i++) for (const h of homophonesOf(chars[i] as string)) options.push([i, h]);
  if (options.length === 0) return null;
  const [i, h] = options[Math.min(options.length - 1, Math.floor(u * options.length))] as [number, string];
  chars[i] = h;
  return chars.join('');
}

/** A given name sounding exactly like `given` but written differently (子轩 → 梓萱), or null: twins' names. */
export function soundAlikeGiven(given: string, rng: Rng): string | null {
  const out = [...given].map((ch) => {
    const hs = homophonesOf(ch);
    return hs.length > 0 && rng.chance(0.7) ? rng.pick(hs) : ch;
  });
  if (out.join('') !== given) return out.join('');
  const chars = [...given];
  const first = chars.findIndex((ch) => homophonesOf(ch).length > 0);
  if (first < 0) return null;
  out[first] = rng.pick(homophonesOf(chars[first] as string));
  return out.join('');
}

const SURNAMES = new Weighted(SURNAME_TABLE.map(([s, , w]) => [s, w] as const));

export function cohortOf(birthYear: number): Cohort {
  return birthYear < 1960 ? 'old' : birthYear < 1985 ? 'middle' : birthYear < 2008 ? 'young' : 'child';
}

export function surname(rng: Rng): string {
  return SURNAMES.pick(rng);
}

/** A given name of one or two characters in the fashion of the birth year. */
export function givenName(rng: Rng, sex: Sex, birthYear: number): string {
  const pool = GIVEN[cohortOf(birthYear)][sex];
  const first = rng.pick(pool)[0];
  // Single-character names were commoner for the middle generation.
  const single = cohortOf(birthYear) === 'middle' ? 0.3 : 0.12;
  if (rng.chance(single)) return first;
  let second = rng.pick(pool)[0];
  if (second === first && !rng.chance(0.3)) second = rng.pick(pool)[0]; // 丹丹, 婷婷 happen, but rarely
  return first + second;
}

export function fullName(rng: Rng, sex: Sex, birthYear: number, family?: string): string {
  return (family ?? surname(rng)) + givenName(rng, sex, birthYear);
}

/** The name with every character that has a traditional form written in it; null if none has. */
export function traditionalName(name: string): string | null {
  let out = '';
  let changed = false;
  for (const ch of name) {
    const t = TRADITIONAL.get(ch);
    if (t) changed = true;
    out += t ?? ch;
  }
  return changed ? out : null;
}

/** '王 建国': a space between surname and given name, as some forms split the fields. */
export function spacedName(name: string): string {
  return `${name.slice(0, 1)} ${name.slice(1)}`;
}

/** 'Wang Jianguo' (or 'WANG JIANGUO'): how a foreign-facing or legacy system may hold it. */
export function pinyinName(name: string, upper = false): string {
  const syl = [...name].map((ch) => PINYIN.get(ch) ?? ch);
  const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  const out = `${cap(syl[0] ?? '')} ${cap(syl.slice(1).join(''))}`;
  return upper ? out.toUpperCase() : out;
}

export type NameVariant = 'traditional' | 'space' | 'pinyin';

/** One of the other forms of a name, chosen by u in [0, 1): traditional ~45%, space ~40%, pinyin ~15%. */
export function nameVariant(name: string, u: number): { text: string; kind: NameVariant } {
  if (u < 0.45) {
    const t = traditionalName(name);
    if (t) return { text: t, kind: 'traditional' };
  }
  if (u < 0.85) return { text: spacedName(name), kind: 'space' };
  return { text: pinyinName(name, u > 0.95), kind: 'pinyin' };
}

export function hasPinyin(ch: string): boolean {
  return PINYIN.has(ch);
}
