/**
 * Unified social credit codes (统一社会信用代码, GB 32100-2015), 18 characters:
 *   1     registration management department ('9' = market regulation / industry and commerce)
 *   2     organisation type ('1' = enterprise)
 *   3–8   region code of the registering authority
 *   9–17  organisation code (GB 11714), itself ending in its own check character
 *   18    check character over the first 17, modulo 31
 */

// 31 characters: digits and upper-case letters without I, O, S, V, Z (too easily misread).
export const CREDIT_CODE_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CHARSET = CREDIT_CODE_CHARSET;
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const; // 3^i mod 31

/** The 18th character for the first 17. Throws on length or characters outside the charset. */
export function creditCodeCheckChar(first17: string): string {
  if (first17.length !== 17) throw new Error(`credit code body must be 17 characters, got ${JSON.stringify(first17)}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = CHARSET.indexOf(first17.charAt(i));
    if (v < 0) throw new Error(`credit code character ${JSON.stringify(first17.charAt(i))} is not in the GB 32100 charset`);
    sum += v * (WEIGHTS[i] ?? 0);
  }
  const check = 31 - (sum % 31);
  return CHARSET.charAt(check === 31 ? 0 : check);
}

/** 18 characters from the charset (upper case) whose last one is the right check character. */
export function isValidCreditCode(code: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code)) return false;
  return creditCodeCheckChar(code.slice(0, 17)) === code.charAt(17);
}

const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;

/**
 * GB 11714 organisation code check character for the 8-character body. Body characters are
 * digits (their value) or upper-case letters (A = 10 … Z = 35); check = 11 − (sum mod 11),
 * written 'X' for 10 and '0' for 11.
 */
export function organizationCodeCheckChar(first8: string): string {
  if (!/^[0-9A-Z]{8}$/.test(first8)) throw new Error(`organisation code body must be 8 digits or letters, got ${JSON.stringify(first8)}`);
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += parseInt(first8.charAt(i), 36) * (ORG_WEIGHTS[i] ?? 0);
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

export function isValidOrganizationCode(code: string): boolean {
  return /^[0-9A-Z]{8}[0-9X]$/.test(code) && organizationCodeCheckChar(code.slice(0, 8)) === code.charAt(8);
}

const SERIAL_SPACE = 31 ** 5; // five free characters after the 'MA2' prefix
// Multiplying by a unit mod 31^5 is a bijection: distinct serials get distinct, scattered codes.
const SCRAMBLE = 7_654_321;

/**
 * A valid code for an enterprise registered by market regulation ('91') in `regionCode6`.
 * The organisation code is 'MA2' (the prefix post-2015 registrations carry) plus five
 * characters derived from `serial`, so the same serial always gives the same code and
 * different serials (0 ≤ serial < 31^5) give different codes.
 */
export function makeCreditCode(regionCode6: string, serial: number): string {
  if (!/^\d{6}$/.test(regionCode6)) throw new Error(`region code must be 6 digits, got ${JSON.stringify(regionCode6)}`);
  if (!Number.isInteger(serial) || serial < 0 || serial >= SERIAL_SPACE) throw new Error(`serial must be 0..${SERIAL_SPACE - 1}, got ${serial}`);
  let n = Number((BigInt(serial) * BigInt(SCRAMBLE)) % BigInt(SERIAL_SPACE));
  let tail = '';
  for (let i = 0; i < 5; i++) {
    tail = CHARSET.charAt(n % 31) + tail;
    n = Math.floor(n / 31);
  }
  const orgBody = `MA2${tail}`;
  const first17 = `91${regionCode6}${orgBody}${organizationCodeCheckChar(orgBody)}`;
  return first17 + creditCodeCheckChar(first17);
}
