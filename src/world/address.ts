/**
 * Addresses: one place, many spellings. The world holds the hierarchy (district / street /
 * community / estate or village group / building no. / unit / room); each department writes
 * it in its own habitual style, and sometimes in another one.
 *
 *   full      余杭区良渚街道金家渡社区北苑3幢2单元501室        (the canonical text)
 *   province  浙江省杭州市余杭区良渚街道金家渡社区北苑3幢2单元501室
 *   housing   余杭区良渚街道北苑3幢2单元501室                  (the housing bureau: estate, no community)
 *   short     良渚金家渡北苑3-2-501                            (shorthand of inspectors and grid workers)
 *   estate    良渚街道北苑小区3栋2单元501                      (小区 and 栋, no community)
 *   road      余杭区古墩路1288号北苑3幢2单元501室              (the door plate on the road)
 *   numerals  余杭区良渚街道金家渡社区北苑三幢二单元501室
 *   dash      余杭区良渚街道金家渡社区北苑3幢2-501
 *
 * Village houses have no units; their family home is the house itself (吴家浜组12号) and the
 * rooms let to workers are 12号201室.
 */
import { DISTRICT, communityShort } from './places.js';

export const ADDRESS_STYLES = ['full', 'province', 'housing', 'short', 'estate', 'road', 'numerals', 'dash'] as const;
export type AddressStyle = (typeof ADDRESS_STYLES)[number];

export type SiteKind = 'estate' | 'village' | 'commercial';

/** A building's place in the hierarchy. */
export interface Site {
  street: string;
  streetShort: string;
  community: string;
  /** Estate (小区), village group (组) or commercial park/tower. */
  estate: string;
  kind: SiteKind;
  /** Building number: 幢 in estates and parks, 号 (house number) in villages. */
  number: string;
  road: string;
  doorNo: number;
}

const DIGITS = '零一二三四五六七八九';

/** Chinese numerals for 1–999, as some clerks write building and unit numbers: 3 → 三, 12 → 十二, 105 → 一百零五. */
export function chineseNumber(text: string): string {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n <= 0 || n >= 1000) return text;
  const hundreds = Math.floor(n / 100);
  const tens = Math.floor(n / 10) % 10;
  const ones = n % 10;
  let out = '';
  if (hundreds > 0) out += `${DIGITS.charAt(hundreds)}百`;
  if (tens > 0) out += `${tens === 1 && hundreds === 0 ? '' : DIGITS.charAt(tens)}十`;
  else if (hundreds > 0 && ones > 0) out += '零';
  if (ones > 0) out += DIGITS.charAt(ones);
  return out;
}

function estateWithXiaoqu(estate: string): string {
  return /(小区|新村|花园|家园|公寓|中心|广场|大厦|园)$/.test(estate) ? estate : `${estate}小区`;
}

/**
 * The address of a building (unit and room null), a dwelling (unit may be null: village
 * houses have none) or premises (room only), in one style.
 */
export function renderAddress(site: Site, unit: string | null, room: string | null, style: AddressStyle): string {
  const d = DISTRICT.name;
  const v = site.kind === 'village';
  const bldg = v ? `${site.number}号` : `${site.number}幢`;
  const unitRoom = `${unit ? `${unit}单元` : ''}${room ? `${room}室` : ''}`;
  switch (style) {
    case 'full':
      return `${d}${site.street}${site.community}${site.estate}${bldg}${unitRoom}`;
    case 'province':
      return `${DISTRICT.province}${DISTRICT.city}${d}${site.street}${site.community}${site.estate}${bldg}${unitRoom}`;
    case 'housing':
      return v ? `${site.street}${site.community}${site.estate}${bldg}${unitRoom}` : `${d}${site.street}${site.estate}${bldg}${unitRoom}`;
    case 'short': {
      const tail = unit && room ? `${site.number}-${unit}-${room}` : room ? (v ? `${site.number}号${room}` : `${site.number}-${room}`) : bldg;
      const group = v ? site.estate.replace(/组$/, '') : site.estate;
      return `${site.streetShort}${communityShort(site.community)}${group}${tail}`;
    }
    case 'estate': {
      const r = `${unit ? `${unit}单元` : ''}${room ?? ''}`;
      return v ? `${site.street}${site.community}${site.estate}${site.number}号${r}` : `${site.street}${estateWithXiaoqu(site.estate)}${site.number}栋${r}`;
    }
    case 'road':
      // House numbers restart in every village group (组), so a village address names its group.
      return v ? `${d}${site.street}${site.community}${site.estate.replace(/组$/, '')}${bldg}${unitRoom}` : `${d}${site.road}${site.doorNo}号${site.estate}${bldg}${unitRoom}`;
    case 'numerals': {
      const b = v ? `${chineseNumber(site.number)}号` : `${chineseNumber(site.number)}幢`;
      return `${d}${site.street}${site.community}${site.estate}${b}${unit ? `${chineseNumber(unit)}单元` : ''}${room ? `${room}室` : ''}`;
    }
    case 'dash': {
      const tail = unit && room ? `${bldg}${unit}-${room}` : room ? `${site.number}-${room}` : `${site.number}${v ? '号' : '#'}`;
      return `${d}${site.street}${site.community}${site.estate}${tail}`;
    }
  }
}

const OTHERS: Record<AddressStyle, AddressStyle[]> = Object.fromEntries(
  ADDRESS_STYLES.map((s) => [s, ADDRESS_STYLES.filter((o) => o !== s)]),
) as Record<AddressStyle, AddressStyle[]>;

/**
 * The address in a style other than `base`, chosen by u in [0, 1), whose text differs from the
 * base rendering; null in the (theoretical) case that every style reads the same.
 */
export function variantAddress(site: Site, unit: string | null, room: string | null, base: AddressStyle, u: number): string | null {
  const baseText = renderAddress(site, unit, room, base);
  const others = OTHERS[base];
  const start = Math.min(others.length - 1, Math.floor(u * others.length));
  for (let k = 0; k < others.length; k++) {
    const text = renderAddress(site, unit, room, others[(start + k) % others.length] as AddressStyle);
    if (text !== baseText) return text;
  }
  return null;
}
