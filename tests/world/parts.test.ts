import { describe, expect, test } from '@jest/globals';
import { isValidResidentId, makeResidentId } from '../../src/domain/idNumber.js';
import { ADDRESS_STYLES, chineseNumber, renderAddress, variantAddress, type Site } from '../../src/world/address.js';
import { apportion, treemap, type Rect } from '../../src/world/layout.js';
import { nameVariant, pinyinName, traditionalName } from '../../src/world/names.js';
import { mistypeId } from '../../src/world/noise.js';
import { Rng, scramble, scrambleSmall } from '../../src/world/rng.js';
import { civilFromDays, daysFromCivil, isoBeijing, NOW_MS, TODAY, isoDay } from '../../src/world/time.js';

const ESTATE: Site = { street: '良渚街道', streetShort: '良渚', community: '金家渡社区', estate: '北苑', kind: 'estate', number: '3', road: '古墩路', doorNo: 1288 };
const VILLAGE: Site = { street: '良渚街道', streetShort: '良渚', community: '运河村', estate: '吴家浜组', kind: 'village', number: '12', road: '运河村', doorNo: 0 };

describe('addresses', () => {
  test('one flat, the spellings the issue names', () => {
    expect(renderAddress(ESTATE, '2', '501', 'full')).toBe('余杭区良渚街道金家渡社区北苑3幢2单元501室');
    expect(renderAddress(ESTATE, '2', '501', 'short')).toBe('良渚金家渡北苑3-2-501');
    expect(renderAddress(ESTATE, '2', '501', 'estate')).toBe('良渚街道北苑小区3栋2单元501');
    expect(renderAddress(ESTATE, '2', '501', 'road')).toBe('余杭区古墩路1288号北苑3幢2单元501室');
    expect(renderAddress(ESTATE, '2', '501', 'numerals')).toBe('余杭区良渚街道金家渡社区北苑三幢二单元501室');
    expect(renderAddress(VILLAGE, null, '201', 'full')).toBe('余杭区良渚街道运河村吴家浜组12号201室');
    expect(renderAddress(VILLAGE, null, null, 'full')).toBe('余杭区良渚街道运河村吴家浜组12号');
  });

  test('every style of a place reads differently, and a variant never reads like the base style', () => {
    for (const [site, unit, room] of [[ESTATE, '2', '501'], [VILLAGE, null, '201'], [ESTATE, null, null], [ESTATE, null, '1203']] as const) {
      const texts = ADDRESS_STYLES.map((s) => renderAddress(site, unit, room, s));
      expect(new Set(texts).size).toBe(texts.length);
      for (const base of ADDRESS_STYLES) {
        for (const u of [0, 0.3, 0.6, 0.99]) expect(variantAddress(site, unit, room, base, u)).not.toBe(renderAddress(site, unit, room, base));
      }
    }
  });

  test('chinese numerals', () => {
    expect(['1', '10', '12', '20', '35', '100', '105', '110', '999', '1000'].map(chineseNumber)).toEqual(
      ['一', '十', '十二', '二十', '三十五', '一百', '一百零五', '一百一十', '九百九十九', '1000'],
    );
  });
});

describe('noise primitives', () => {
  test('a mistyped ID number always fails its check', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 2000; i++) {
      const id = makeResidentId('330110', isoDay(TODAY - rng.int(0, 30000)), rng.int(0, 999));
      const typo = mistypeId(id, rng.next(), rng.next());
      expect([typo, isValidResidentId(typo)]).toEqual([typo, false]);
      expect([...typo].filter((c, k) => c !== id[k])).toHaveLength(1);
    }
  });

  test('names in other forms', () => {
    expect(traditionalName('陈国华')).toBe('陳國華');
    expect(traditionalName('王芳')).toBeNull();
    expect(pinyinName('王建国')).toBe('Wang Jianguo');
    expect(pinyinName('吕丽', true)).toBe('LYU LI');
    expect(nameVariant('王芳', 0.1)).toEqual({ text: '王 芳', kind: 'space' }); // nothing to write in traditional form
    expect(nameVariant('陈国华', 0.1)).toEqual({ text: '陳國華', kind: 'traditional' });
    expect(nameVariant('陈国华', 0.9)).toEqual({ text: 'Chen Guohua', kind: 'pinyin' });
  });
});

describe('plumbing', () => {
  test('the PRNG is seeded, repeatable and roughly uniform', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(Array.from({ length: 10_000 }, () => b.next())).toEqual(xs);
    expect(new Rng(43).next()).not.toBe(xs[0]);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  test('scramble is a bijection, with and without BigInt', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) seen.add(scrambleSmall(i, 10_000, 7919, 1234));
    expect(seen.size).toBe(10_000);
    expect(scrambleSmall(3_000_000, 100_000_000, 43_112_609_000_000, 5)).toBe(scramble(3_000_000, 100_000_000, 43_112_609_000_000, 5));
  });

  test('apportion hits the total; the treemap tiles the box without overlaps', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(1_200_000, [3, 2.5, 0.1, 7]).reduce((s, x) => s + x, 0)).toBe(1_200_000);
    const box: Rect = [120, 30, 121, 30.5];
    const cells = treemap(box, [5, 1, 1, 3, 2, 8, 1]);
    const area = (r: Rect): number => (r[2] - r[0]) * (r[3] - r[1]);
    expect(cells.reduce((s, c) => s + area(c), 0)).toBeCloseTo(area(box), 6);
    for (let i = 0; i < cells.length; i++) {
      for (let j = i + 1; j < cells.length; j++) {
        const [a, b] = [cells[i]!, cells[j]!];
        expect(Math.min(a[2], b[2]) > Math.max(a[0], b[0]) && Math.min(a[3], b[3]) > Math.max(a[1], b[1])).toBe(false);
      }
    }
  });

  test('the fixed clock', () => {
    expect(isoBeijing(NOW_MS)).toBe('2026-11-25T10:00:00+08:00');
    expect(isoDay(TODAY)).toBe('2026-11-25');
    for (const d of [-25567, 0, 10957, 11016, 20782, 20783]) {
      const c = civilFromDays(d);
      expect(daysFromCivil(c.y, c.m, c.d)).toBe(d);
      expect(isoDay(d)).toBe(new Date(d * 86_400_000).toISOString().slice(0, 10));
    }
  });
});
