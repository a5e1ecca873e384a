/**
 * The world's fixed clock. Content never depends on the wall clock: "now" is
 * 2026-11-25T10:00:00+08:00, and every date is computed from it with integer day arithmetic
 * (Howard Hinnant's civil-from-days), which is exact and much cheaper than Date for millions
 * of rows.
 */

export const NOW_ISO = '2026-11-25T10:00:00+08:00';
export const NOW_MS = Date.parse(NOW_ISO);
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * HOUR_MS;

/** Days since 1970-01-01 of a civil date. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export interface Civil { y: number; m: number; d: number }

export function civilFromDays(days: number): Civil {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

const p2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** 'YYYY-MM-DD' of a day number. */
export function isoDay(days: number): string {
  const c = civilFromDays(days);
  return `${c.y}-${p2(c.m)}-${p2(c.d)}`;
}

/** 'YYYYMMDD' of a day number. */
export function compactDay(days: number): string {
  const c = civilFromDays(days);
  return `${c.y}${p2(c.m)}${p2(c.d)}`;
}

/** The Beijing calendar day (days since epoch) of an instant. */
export function beijingDay(ms: number): number {
  return Math.floor((ms + BEIJING_OFFSET_MS) / DAY_MS);
}

/** Today in Beijing, as a day number. */
export const TODAY = beijingDay(NOW_MS);
export const TODAY_CIVIL = civilFromDays(TODAY);

function beijingParts(ms: number): { date: Civil; hh: string; mm: string; ss: string } {
  const local = ms + BEIJING_OFFSET_MS;
  const day = Math.floor(local / DAY_MS);
  const sec = Math.floor((local - day * DAY_MS) / 1000);
  return { date: civilFromDays(day), hh: p2(Math.floor(sec / 3600)), mm: p2(Math.floor(sec / 60) % 60), ss: p2(sec % 60) };
}

/** '2026-11-25T10:00:00+08:00': an instant in Beijing time, with its offset. */
export function isoBeijing(ms: number): string {
  const { date: c, hh, mm, ss } = beijingParts(ms);
  return `${c.y}-${p2(c.m)}-${p2(c.d)}T${hh}:${mm}:${ss}+08:00`;
}

/** '2026-11-25 10:00:00': Beijing wall-clock time without an offset, as older systems write it. */
export function localBeijing(ms: number): string {
  const { date: c, hh, mm, ss } = beijingParts(ms);
  return `${c.y}-${p2(c.m)}-${p2(c.d)} ${hh}:${mm}:${ss}`;
}

/** '20261125100000': the compact timestamp of the police systems. */
export function compactBeijing(ms: number): string {
  const { date: c, hh, mm, ss } = beijingParts(ms);
  return `${c.y}${p2(c.m)}${p2(c.d)}${hh}${mm}${ss}`;
}

/** Midnight (Beijing) of a day number, as epoch milliseconds. */
export function dayStartMs(days: number): number {
  return days * DAY_MS - BEIJING_OFFSET_MS;
}

/** Whole years between a birth day and today. */
export function ageOn(birthDay: number, today: number = TODAY): number {
  const b = civilFromDays(birthDay);
  const t = civilFromDays(today);
  return t.y - b.y - (b.m > t.m || (b.m === t.m && b.d > t.d) ? 1 : 0);
}
