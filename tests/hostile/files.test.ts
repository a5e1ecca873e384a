/**
 * Hostile department files (issue 13), checked at the parsers the connectors use: XML with
 * entity expansion ("billion laughs") and external entities, GBK rows with bytes that are not
 * GBK, a character or a line cut short, an unterminated quote. None expands, reads a file or
 * throws for one record: a document-level DTD refuses the page with a reason naming it, and a
 * bad record is one dead letter with its source id where it can be read.
 */
import iconv from 'iconv-lite';
import { parsePage } from '../../src/connectors/fire/index.js';
import { parseRows } from '../../src/connectors/housing/index.js';
import { SourceError } from '../../src/connectors/sdk/index.js';

const LAUGHS = '<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
  + Array.from({ length: 8 }, (_, i) => `<!ENTITY lol${i + 2} "${`&lol${i + 1};`.repeat(10)}">`).join('');

const page = (inner: string, count: number) => `<inspections count="${count}" more="false">${inner}</inspections>`;
const element = (no: string, extra = '') => `<inspection>${extra}<inspection_no>${no}</inspection_no><note>n</note></inspection>`;

describe('hostile department files (issue 13)', () => {
  test('a fire page with a DTD (billion laughs, external entity) is refused whole, naming what came, before any expansion', () => {
    for (const dtd of [LAUGHS, '<!ENTITY xxe SYSTEM "file:///etc/passwd">']) {
      const doc = `<?xml version="1.0"?><!DOCTYPE inspections [${dtd}]>${page(`${element('I1')}<inspection><inspection_no>I2</inspection_no><note>&lol9;&xxe;</note></inspection>`, 2)}`;
      const started = Date.now();
      expect(() => parsePage(doc, 'inspections')).toThrow(SourceError);
      expect(() => parsePage(doc, 'inspections')).toThrow(/^fire answered with "<!DOCTYPE inspections \[<!ENTITY .*" where a <inspections> document was expected$/);
      expect(Date.now() - started).toBeLessThan(1_000);
    }
  });

  test('a DTD smuggled inside one fire element: its entities stay text, an external one is that element\'s dead letter; its neighbours are stored', () => {
    const laughs = parsePage(page(`${element('I1', `<!DOCTYPE inspection [${LAUGHS}]>`).replace('<note>n</note>', '<note>&lol9;</note>')}${element('I2')}`, 2), 'inspections');
    expect(laughs.count).toBe(2);
    expect(laughs.records[0]).toEqual({ data: { inspection_no: 'I1', note: '&lol9;' } });
    expect(laughs.records[1]).toEqual({ data: { inspection_no: 'I2', note: 'n' } });

    const xxe = parsePage(page(`${element('I3', '<!DOCTYPE inspection [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace('<note>n</note>', '<note>&xxe;</note>')}${element('I4')}`, 2), 'inspections');
    expect(xxe.records[0]).toMatchObject({ sourceId: 'I3', reason: 'XML in <inspection> refused: External entities are not supported' });
    expect(JSON.stringify(xxe.records)).not.toContain('root:');
    expect(xxe.records[1]).toEqual({ data: { inspection_no: 'I4', note: 'n' } });
  });

  test('GBK rows cut inside a character, cut short, with an open quote or bytes that are not GBK are each one dead letter; the good rows pass', () => {
    const columns = ['house_code', 'address'];
    const whole = iconv.encode('FW1,余杭区良渚街道华云花园1幢', 'gbk');
    const records = parseRows([
      whole.subarray(0, whole.length - 1), // the last character's second byte lost
      iconv.encode('FW2,"余杭区良渚街道', 'gbk'), // an open quote at the end of the file
      iconv.encode('FW3', 'gbk'), // a line cut before its first comma
      Buffer.concat([Buffer.from('FW4,'), Buffer.from([0x80, 0xff, 0xfe])]),
      iconv.encode('FW5,余杭区良渚街道华云花园5幢', 'gbk'),
    ], columns, 'dwellings.csv');
    expect(records).toHaveLength(5);
    expect(records[0]).toMatchObject({ sourceId: 'FW1', reason: 'not valid GBK: dwellings.csv row has byte sequences that are not GBK characters' });
    expect(records[1]).toMatchObject({ reason: 'dwellings.csv: expected 2 fields as in the header, got 0' });
    expect(records[2]).toMatchObject({ sourceId: 'FW3', reason: 'dwellings.csv: expected 2 fields as in the header, got 1' });
    expect(records[3]).toMatchObject({ sourceId: 'FW4', reason: expect.stringContaining('not valid GBK') });
    expect(records[4]).toEqual({ data: { house_code: 'FW5', address: '余杭区良渚街道华云花园5幢' } });
  });
});
