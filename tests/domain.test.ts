import { describe, expect, test } from '@jest/globals';
import {
  creditCodeCheckChar, isValidCreditCode, isValidOrganizationCode, makeCreditCode, organizationCodeCheckChar,
} from '../src/domain/creditCode.js';
import { isValidResidentId, makeResidentId, residentIdCheckChar, residentIdSex } from '../src/domain/idNumber.js';

/** Every position, every other digit: a single mistyped digit must never pass. */
function singleDigitTypos(value: string, positions: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < positions; i++) {
    const c = value.charAt(i);
    if (!/\d/.test(c)) continue;
    for (let d = 0; d <= 9; d++) if (String(d) !== c) out.push(value.slice(0, i) + String(d) + value.slice(i + 1));
  }
  return out;
}

describe('resident ID numbers (GB 11643)', () => {
  test('check characters of known numbers, including X for 10', () => {
    // The standard's own example and a widely published specimen.
    expect(residentIdCheckChar('11010519491231002')).toBe('X');
    expect(residentIdCheckChar('44052418800101001')).toBe('4');
    expect(isValidResidentId('11010519491231002X')).toBe(true);
    expect(isValidResidentId('440524188001010014')).toBe(true);
  });

  test('a mistyped digit, a wrong check character or a lower-case x fails', () => {
    for (const typo of singleDigitTypos('11010519491231002X', 17)) {
      // A typo in the date may also make the date impossible; either way it must fail.
      expect(isValidResidentId(typo)).toBe(false);
    }
    expect(isValidResidentId('110105194912310021')).toBe(false);
    expect(isValidResidentId('11010519491231002x')).toBe(false);
  });

  test('shape and birth date are checked', () => {
    expect(isValidResidentId('')).toBe(false);
    expect(isValidResidentId('11010519491231002')).toBe(false);
    expect(isValidResidentId('11010519491231002XX')).toBe(false);
    // 1949-02-30 does not exist, even with a correct check character.
    const badDate = '33011019490230001';
    expect(isValidResidentId(badDate + residentIdCheckChar(badDate))).toBe(false);
    // 2000 was a leap year, 1900 was not.
    const leap = '33011020000229001';
    expect(isValidResidentId(leap + residentIdCheckChar(leap))).toBe(true);
    const notLeap = '33011019000229001';
    expect(isValidResidentId(notLeap + residentIdCheckChar(notLeap))).toBe(false);
    expect(() => residentIdCheckChar('1234')).toThrow();
  });

  test('makeResidentId produces valid numbers whose sequence parity is the sex', () => {
    const man = makeResidentId('330110', '1985-07-14', 123);
    expect(man.slice(0, 17)).toBe('33011019850714123');
    expect(isValidResidentId(man)).toBe(true);
    expect(residentIdSex(man)).toBe('male');
    const woman = makeResidentId('341221', '2016-02-29', 8);
    expect(woman.slice(14, 17)).toBe('008');
    expect(isValidResidentId(woman)).toBe(true);
    expect(residentIdSex(woman)).toBe('female');
    for (let seq = 0; seq < 1000; seq += 37) expect(isValidResidentId(makeResidentId('330110', '1950-12-31', seq))).toBe(true);
    expect(() => makeResidentId('33011', '1985-07-14', 1)).toThrow();
    expect(() => makeResidentId('330110', '1985-02-30', 1)).toThrow();
    expect(() => makeResidentId('330110', '1985-07-14', 1000)).toThrow();
  });
});

describe('unified social credit codes (GB 32100) and organisation codes (GB 11714)', () => {
  test('check characters of known codes', () => {
    expect(creditCodeCheckChar('91350100M000100Y4')).toBe('3');
    expect(isValidCreditCode('91350100M000100Y43')).toBe(true);
    // Its embedded organisation code M000100Y4 is itself valid under GB 11714.
    expect(organizationCodeCheckChar('M000100Y')).toBe('4');
    expect(isValidOrganizationCode('M000100Y4')).toBe(true);
    // 'X' stands for 10 in organisation codes.
    expect(organizationCodeCheckChar('00000001')).toBe('9');
    expect(organizationCodeCheckChar('D2143569')).toBe('X');
  });

  test('a mistyped character fails', () => {
    for (const typo of singleDigitTypos('91350100M000100Y43', 17)) expect(isValidCreditCode(typo)).toBe(false);
    expect(isValidCreditCode('91350100M000100Y4A')).toBe(false);
    // I, O, S, V, Z are not in the charset.
    expect(isValidCreditCode('91350100M000100O43')).toBe(false);
    expect(isValidCreditCode('91350100m000100y43')).toBe(false);
    expect(isValidCreditCode('91350100M000100Y4')).toBe(false);
  });

  test('makeCreditCode is valid, deterministic and distinct per serial', () => {
    const seen = new Set<string>();
    for (let serial = 0; serial < 2000; serial++) {
      const code = makeCreditCode('330110', serial);
      expect(code).toMatch(/^91330110MA2/);
      expect(isValidCreditCode(code)).toBe(true);
      expect(isValidOrganizationCode(code.slice(8, 17))).toBe(true);
      seen.add(code);
    }
    expect(seen.size).toBe(2000);
    expect(makeCreditCode('330110', 42)).toBe(makeCreditCode('330110', 42));
    expect(() => makeCreditCode('3301', 1)).toThrow();
    expect(() => makeCreditCode('330110', -1)).toThrow();
  });
});
