/** The pure parts of entity resolution: folding, slips, recovery, comparison levels, hard rules, the model. */
import { makeResidentId, isValidResidentId } from '../../src/domain/idNumber.js';
import { isValidCreditCode, makeCreditCode } from '../../src/domain/creditCode.js';
import { oneEditNeighbours } from '../../src/domain/identifiers.js';
import { estimateM, estimateU, score, type MatchModel } from '../../src/resolution/model.js';
import {
  DEFAULT_PERSON_MODEL, birthInId, canLink, comparePerson, hasUsableEvidence, mayAutoLink, personEvidence, personKeys, profileOf,
} from '../../src/resolution/person.js';
import { goldenName } from '../../src/resolution/golden.js';
import { companyName, oneSlip, personName } from '../../src/resolution/text.js';

const id = (birth: string, seq: number) => makeResidentId('330110', birth, seq);

describe('names', () => {
  test('a space, traditional characters and full-width letters fold away; pinyin and surname come along', () => {
    expect(personName('张 子帆')).toEqual({ folded: '张子帆', pinyin: 'zhangzifan', surname: 'zhang', given: '子帆' });
    expect(personName('張子帆')?.folded).toBe('张子帆');
    expect(personName('陳國華')?.folded).toBe('陈国华');
    expect(personName('Zhang Zifan')).toMatchObject({ folded: 'zhangzifan', pinyin: 'zhangzifan', surname: 'zhang' });
    expect(personName('ＷＡＮＧ ＦＡＮＧ')?.pinyin).toBe('wangfang');
    expect(personName('欧阳娜娜')?.surname).toBe('ouyang');
    // The surname reading: 单 is shan as a surname.
    expect(personName('单雄信')?.pinyin).toBe('shanxiongxin');
    expect(personName('  ')).toBeNull();
  });

  test('homophones share the pinyin but not the folded form', () => {
    const a = personName('张伟');
    const b = personName('张维');
    expect(a?.pinyin).toBe(b?.pinyin);
    expect(a?.folded).not.toBe(b?.folded);
  });

  test('the golden name is folded for Han names and kept as written otherwise', () => {
    expect(goldenName('张 子帆')).toBe('张子帆');
    expect(goldenName('Zhang  Zifan')).toBe('Zhang Zifan');
    expect(goldenName(null)).toBeNull();
  });

  test('company names lose their legal form and district prefixes', () => {
    expect(companyName('杭州良渚新达服饰有限公司')).toBe('新达服饰');
    expect(companyName('新达服饰')).toBe('新达服饰');
    expect(companyName('浙江余杭润运体育发展股份有限公司')).toBe('润运体育发展');
  });
});

describe('slips and recovered keys', () => {
  const good = id('1986-05-10', 161);

  test('oneSlip: one substitution or one adjacent swap, nothing else', () => {
    expect(oneSlip('13912345678', '13912345679')).toBe(true);
    expect(oneSlip('13912345678', '13912345687')).toBe(true);
    expect(oneSlip('13912345678', '13912345876')).toBe(false); // a swap over a distance
    expect(oneSlip('13912345678', '13912345600')).toBe(false);
    expect(oneSlip('139', '139')).toBe(false);
  });

  test('a mistyped or transposed ID number has the true one among its valid neighbours', () => {
    const pos = 9;
    const typo = good.slice(0, pos) + String((Number(good[pos]) + 3) % 10) + good.slice(pos + 1);
    expect(isValidResidentId(typo)).toBe(false);
    expect(oneEditNeighbours(typo, '0123456789X', isValidResidentId)).toContain(good);
    const i = [...good].findIndex((c, k) => k < 16 && c !== good[k + 1]);
    const swapped = good.slice(0, i) + good[i + 1] + good[i] + good.slice(i + 2);
    if (!isValidResidentId(swapped)) expect(oneEditNeighbours(swapped, '0123456789X', isValidResidentId)).toContain(good);
    // A handful of candidates, not thousands: the check character rules most out.
    expect(oneEditNeighbours(typo, '0123456789X', isValidResidentId).length).toBeLessThan(40);
  });

  test('a credit code one character off finds the valid one', () => {
    const code = makeCreditCode('330110', 1234);
    expect(isValidCreditCode(code)).toBe(true);
    const typo = code.slice(0, 12) + (code[12] === '7' ? '8' : '7') + code.slice(13);
    expect(oneEditNeighbours(typo, '0123456789ABCDEFGHJKLMNPQRTUWXY', isValidCreditCode)).toContain(code);
  });

  test('the birth date inside an ID number', () => {
    expect(birthInId(good)).toBe('1986-05-10');
    expect(birthInId('330110198613990000')).toBeNull();
  });
});

describe('comparing a record with a person', () => {
  const person = (facts: Parameters<typeof personEvidence>[1], idNumber: string | null = null) => personEvidence(idNumber, facts, null);
  const profile = (...records: ReturnType<typeof personEvidence>[]) => profileOf('1', records.flatMap((e) => personKeys(e, e.validId !== null)));
  const zhang = person({ name: '张伟', birthDate: '1986-05-10', sex: 'male', phone: '13912345678' }, id('1986-05-10', 161));

  test('levels: exact, pinyin, near birth dates, a slipped phone', () => {
    const p = profile(zhang);
    expect(comparePerson(person({ name: '张伟', birthDate: '1986-05-10', phone: '13912345678' }), p).slice(0, 4)).toEqual([4, 3, null, 2]);
    expect(comparePerson(person({ name: '张维', birthDate: '1986-05-11' }), p).slice(0, 2)).toEqual([3, 2]);
    expect(comparePerson(person({ name: '张伟', birthDate: '1986-10-05' }), p)[1]).toBe(2); // day and month swapped
    expect(comparePerson(person({ name: '张伟', phone: '13912345687' }), p)[3]).toBe(1);
    expect(comparePerson(person({ name: '李娜', birthDate: '1990-01-01' }), p).slice(0, 2)).toEqual([0, 0]);
  });

  test('two different valid ID numbers never link, whatever else agrees', () => {
    const twin = person({ name: '张伟', birthDate: '1986-05-10', sex: 'male', phone: '13912345678' }, id('1986-05-10', 163));
    expect(canLink(twin, profile(zhang))).toBe(false);
    expect(canLink(person({ name: '张伟', birthDate: '1986-05-10' }), profile(zhang))).toBe(true);
  });

  test('no link on its own when the given names differ or the sexes do (twins share the rest)', () => {
    const p = profile(zhang);
    expect(mayAutoLink(comparePerson(person({ name: '张强', birthDate: '1986-05-10', phone: '13912345678' }), p))).toBe(false);
    expect(mayAutoLink(comparePerson(person({ name: '张伟', sex: 'female', birthDate: '1986-05-10' }), p))).toBe(false);
    expect(mayAutoLink(comparePerson(person({ name: '张伟', birthDate: '1986-05-10' }), p))).toBe(true);
  });

  test('usable evidence: an ID number as written, or a name with something else', () => {
    expect(hasUsableEvidence(person({ name: '张伟' }))).toBe(false);
    expect(hasUsableEvidence(person({ name: '张伟', phone: '13912345678' }))).toBe(true);
    expect(hasUsableEvidence(person({}, '330110198605101610'))).toBe(true);
  });

  test('a common name weighs less than a rare one (term frequency)', () => {
    const v = comparePerson(person({ name: '张伟', birthDate: '1986-05-10' }), profile(zhang));
    const common = score(DEFAULT_PERSON_MODEL, v, 3_000_000, new Map([['name', 3000 / 3_000_000]]));
    const rare = score(DEFAULT_PERSON_MODEL, v, 3_000_000, new Map([['name', 1 / 3_000_000]]));
    expect(rare.weight - common.weight).toBeCloseTo(Math.log2(3000), 5);
    expect(common.evidence.map((e) => e.field)).toEqual(['name', 'birthDate']);
  });

  test('name, phone only: a reporter known by name and phone links to a person with that phone', () => {
    const v = comparePerson(person({ name: '张伟', phone: '13912345678' }), profile(zhang));
    expect(score(DEFAULT_PERSON_MODEL, v, 3_000_000, new Map([['name', 3000 / 3_000_000]])).probability).toBeGreaterThan(0.99);
  });
});

describe('estimating the model', () => {
  const tiny: MatchModel = {
    entityType: 'person',
    fields: [{ field: 'a', levels: ['no', 'yes'], m: [0.5, 0.5], u: [0.5, 0.5] }, { field: 'b', levels: ['no', 'yes'], m: [0.5, 0.5], u: [0.5, 0.5] }],
  };

  test('u from random pairs, m by EM from pairs that are mostly matches or mostly not', () => {
    const random = Array.from({ length: 1000 }, (_, i) => [i % 10 === 0 ? 1 : 0, i % 20 === 0 ? 1 : 0]);
    const withU = estimateU(tiny, random);
    expect(withU.fields[0]?.u[1]).toBeCloseTo(0.1, 1);
    const pairs = [...Array.from({ length: 600 }, () => [1, 1]), ...Array.from({ length: 400 }, () => [0, 0])];
    const { model, prior } = estimateM(withU, pairs);
    expect(model.fields[0]?.m[1]).toBeGreaterThan(0.9);
    expect(model.fields[1]?.m[1]).toBeGreaterThan(0.9);
    expect(prior).toBeGreaterThan(0.5);
    // A field held fixed keeps its m.
    expect(estimateM(withU, pairs, { fixed: [0] }).model.fields[0]?.m).toEqual([0.5, 0.5]);
  });
});
