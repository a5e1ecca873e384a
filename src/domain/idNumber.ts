/**
 * Resident ID numbers (居民身份证号码, GB 11643-1999): 6-digit region code of the place of first
 * registration, birth date YYYYMMDD, a 3-digit sequence (odd for men, even for women), and a
 * check character computed with ISO 7064 MOD 11-2 over the first 17 digits.
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
// Indexed by (weighted sum mod 11). 'X' stands for 10, which one digit cannot hold.
const CHECK_CHARS = '10X98765432';

/** The 18th character for 17 leading digits. Throws unless given exactly 17 digits. */
export function residentIdCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error(`resident ID body must be 17 digits, got ${JSON.stringify(first17)}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17.charCodeAt(i) - 48) * (WEIGHTS[i] ?? 0);
  return CHECK_CHARS.charAt(sum % 11);
}

/** True for a calendar date; months 1–12, days within the month, leap years by the Gregorian rule. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day <= days;
}

/**
 * 18 characters: 17 digits then the check character ('X' upper case only, as the standard writes
 * it), with a real birth date in positions 7–14 (years 1800 on). The region code is not checked
 * against the (changing) list of administrative divisions: old codes stay valid for life.
 */
export function isValidResidentId(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const year = Number(id.slice(6, 10));
  if (year < 1800 || !isCalendarDate(year, Number(id.slice(10, 12)), Number(id.slice(12, 14)))) return false;
  return residentIdCheckChar(id.slice(0, 17)) === id.charAt(17);
}

/** Sex as the sequence digit states it: odd for men, even for women. */
export function residentIdSex(id: string): 'male' | 'female' {
  return Number(id.charAt(16)) % 2 === 1 ? 'male' : 'female';
}

/**
 * Builds a valid ID number. `birthDate` is 'YYYY-MM-DD'; `sequence` is 0..999 and its parity is
 * the holder's sex (odd = male), so callers choose it to match.
 */
export function makeResidentId(regionCode: string, birthDate: string, sequence: number): string {
  if (!/^\d{6}$/.test(regionCode)) throw new Error(`region code must be 6 digits, got ${JSON.stringify(regionCode)}`);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw new Error(`birth date must be a YYYY-MM-DD calendar date, got ${JSON.stringify(birthDate)}`);
  }
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 999) throw new Error(`sequence must be 0..999, got ${sequence}`);
  const first17 = `${regionCode}${m[1]}${m[2]}${m[3]}${String(sequence).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}
