/** The Node side of the index: pinyin, tokens, one-edit keys, query plans and address keys. */
import { Gazetteer } from '../../src/domain/address.js';
import { SearchContext, type AreaInfo } from '../../src/search/context.js';
import { planQuery } from '../../src/search/query.js';
import {
  editDistance, fuzzyPinyin, idSuffixes, namePinyin, normalizePhone, phoneSuffix, queryTypoKeys, textTokens, typoKeys,
} from '../../src/search/text.js';

describe('pinyin', () => {
  test('full pinyin and initials; the surname reading first, the ordinary one as well', () => {
    expect(namePinyin('王春雷')).toEqual({ pinyin: ['wangchunlei'], pinyinAlt: [], initials: ['wcl'] });
    expect(namePinyin('单田芳')).toEqual({ pinyin: ['shantianfang'], pinyinAlt: ['dantianfang'], initials: ['stf', 'dtf'] });
    expect(namePinyin('曾小贤').pinyin).toEqual(['zengxiaoxian']);
    expect(namePinyin('曾小贤').pinyinAlt).toContain('cengxiaoxian');
    expect(namePinyin('解晓东').pinyin).toEqual(['xiexiaodong']);
    expect(namePinyin('区志明').pinyin).toEqual(['ouzhiming']);
    expect(namePinyin('吕秀英')).toMatchObject({ pinyin: ['lvxiuying'], pinyinAlt: ['luxiuying'], initials: ['lxy'] });
    expect(namePinyin('')).toEqual({ pinyin: [], pinyinAlt: [], initials: [] });
    expect(namePinyin('John')).toEqual({ pinyin: [], pinyinAlt: [], initials: [] });
  });

  test('the southern blur: zh/z, ch/c, sh/s, -ng/-n, l/n', () => {
    expect(fuzzyPinyin('liuqing')).toBe(fuzzyPinyin('liuqin'));
    expect(fuzzyPinyin('zhangsan')).toBe(fuzzyPinyin('zangshan'));
    expect(fuzzyPinyin('nanjing')).toBe(fuzzyPinyin('lanjin'));
    expect(fuzzyPinyin('wangwei')).not.toBe(fuzzyPinyin('wangfei'));
  });
});

describe('tokens', () => {
  test('CJK runs become bigrams, other letters and digits words (what Elasticsearch cjk_bigram makes)', () => {
    expect(textTokens('王春雷')).toEqual(['王春', '春雷']);
    expect(textTokens('北苑３幢ＡＢ')).toEqual(['北苑', '3', '幢', 'ab']);
    expect(textTokens('北苑3幢2单元501室')).toEqual(['北苑', '3', '幢', '2', '单元', '501', '室']);
    expect(textTokens('YH-2026-000001')).toEqual(['yh', '2026', '000001']);
    expect(textTokens('春')).toEqual(['春']);
    expect(textTokens(null)).toEqual([]);
  });
});

describe('identifiers', () => {
  test('ID suffixes, phones', () => {
    expect(idSuffixes('33011019650512001x')).toEqual(['001X', '2001X', '12001X']);
    expect(normalizePhone('+86 139-0000-0001')).toBe('13900000001');
    expect(phoneSuffix('139 0000 0001')).toBe('0001');
    expect(normalizePhone('12')).toBeNull();
  });
});

describe('one-edit keys', () => {
  test('share a key exactly when the strings are at most one edit apart (substitution, insertion, deletion, swap)', () => {
    const alphabet = ['a', 'b', 'c'];
    const words: string[] = [''];
    for (let len = 1; len <= 4; len++) {
      for (let i = 0; i < alphabet.length ** len; i++) {
        let w = '';
        for (let k = 0, n = i; k < len; k++, n = Math.floor(n / alphabet.length)) w += alphabet[n % alphabet.length];
        words.push(w);
      }
    }
    const mismatches: string[] = [];
    for (const q of words.filter((w) => w.length >= 2)) {
      const qk = new Set(queryTypoKeys(q));
      for (const d of words.filter((w) => w.length >= 1)) {
        const shared = typoKeys(d).some((k) => qk.has(k));
        if (shared !== (editDistance(q, d) <= 1)) mismatches.push(`${q}/${d}`);
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  test('edit distance counts an adjacent swap as one edit', () => {
    expect(editDistance('zhangjiahao', 'zhangjiahoa')).toBe(1);
    expect(editDistance('王春雷', '王夏雷')).toBe(1);
    expect(editDistance('abc', 'cba')).toBe(2);
  });
});

describe('query plans and places', () => {
  const AREAS: AreaInfo[] = [
    { id: '1', level: 'district', code: '330110', name: '余杭区', kind: null, parentId: null },
    { id: '2', level: 'street', code: '330110001', name: '良渚街道', kind: null, parentId: '1' },
    { id: '3', level: 'community', code: '330110001001', name: '金家渡社区', kind: 'community', parentId: '2' },
    { id: '4', level: 'community', code: '330110001002', name: '运河村', kind: 'village', parentId: '2' },
  ];
  const gaz = new Gazetteer(AREAS.map((a) => ({
    level: a.level, kind: a.kind as 'community' | 'village' | null, code: a.code, name: a.name,
    parentCode: a.parentId === null ? null : (AREAS.find((x) => x.id === a.parentId)?.code ?? null),
  })));
  gaz.learnRoad('\u0001北苑3号', '金家渡社区', '北苑', 3);
  gaz.learnRoad('运河村12号', '运河村', '吴家浜组');
  const context = new SearchContext(AREAS, gaz);

  test('"北苑3幢2单元501", "北苑3-2-501" and the full address name one place', () => {
    const keys = ['余杭区良渚街道金家渡社区北苑3幢2单元501室', '北苑3幢2单元501', '北苑3-2-501', '良渚金家渡北苑3-2-501', '北苑三幢二单元501室', '良渚街道北苑小区3栋2单元501']
      .map((q) => context.queryPlaces(q).map((p) => p.placeKey));
    for (const k of keys) expect(k).toEqual(['330110001|北苑|3|2|501']);
    expect(context.queryPlaces('吴家浜组12号201').map((p) => p.placeKey)).toEqual(['330110001002|吴家浜组|12||201']);
    // Buildings the store does not have are no place: no guessed estate out of other words.
    expect(context.queryPlaces('电瓶车充电北苑9幢')).toEqual([]);
    expect(context.queryPlaces('王春雷')).toEqual([]);
  });

  test('the index keys of a stored address match the query keys', () => {
    const stored = context.placeKeys({ text: '余杭区良渚街道金家渡社区北苑3幢2单元501室', streetId: '2', communityId: '3', estate: '北苑', buildingNo: '3', unit: '2', room: '501' });
    expect(stored).toEqual({ dwelling: ['330110001|北苑|3|2|501'], building: ['330110001|北苑|3'] });
    const village = context.placeKeys({ text: null, streetId: '2', communityId: '4', estate: '吴家浜组', buildingNo: '12', unit: null, room: '201' });
    expect(village).toEqual({ dwelling: ['330110001002|吴家浜组|12||201'], building: ['330110001002|吴家浜组|12'] });
  });

  test('what a query is read as', () => {
    const kinds = (q: string) => planQuery(q, context).clauses.map((c) => `${c.kind}:${'field' in c ? c.field : ''}:${c.reason}`);
    expect(kinds('33011019650512001X')).toContain('exact:id_number:id_number');
    expect(kinds('001x')).toEqual(expect.arrayContaining(['exact:id_suffix:id_suffix']));
    expect(kinds('0001')).toEqual(expect.arrayContaining(['exact:id_suffix:id_suffix', 'exact:phone_suffix:phone']));
    expect(kinds('13900000001')).toContain('exact:phone:phone');
    expect(kinds('91330110MA2HA1M46N')).toContain('exact:credit_code:credit_code');
    expect(kinds('YH-2026-000001')).toContain('exact:case_number:case_number');
    expect(kinds('wcl')).toEqual(expect.arrayContaining(['exact:pinyin:pinyin', 'exact:initials:initials', 'prefix:pinyin:pinyin']));
    expect(kinds('wangchunlei')).toEqual(expect.arrayContaining(['substitution:pinyin:typo', 'fuzzy:pinyin:typo', 'exact:pinyin_fuzzy:pinyin']));
    expect(kinds('王春雷')).toEqual(expect.arrayContaining(['exact:name:name', 'exact:pinyin:pinyin', 'substitution:name:typo', 'phrase:name:name_partial']));
    expect(kinds('北苑3-2-501')).toEqual(expect.arrayContaining(['exact:dwelling_key:address']));
    expect(kinds('北苑3-2-501')).not.toContain('text::text');
    expect(kinds('电瓶车 充电')).toContain('text::text');
    expect(kinds('')).toEqual([]);
  });
});
