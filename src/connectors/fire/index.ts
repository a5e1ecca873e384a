/**
 * The fire brigade (消防救援大队): inspections of buildings and enterprises and the hazards they
 * found, as XML over HTTP (`GET /fire/api/<stream>?size=&after=`).
 *
 * Paging is by keyset: each page carries `next`, the position of its last record in (update
 * time, number) order, and `after=<next>` asks for what follows. The connector's cursor is
 * `{ after: <next of the last page> }`: resuming from any page's cursor continues right after it,
 * and an incremental read from the last cursor returns exactly the records changed since (a
 * changed record gets a later update time, so it sorts after every position already reached).
 *
 * A page is split into its record elements and each is parsed on its own with fast-xml-parser
 * (validating), so one broken element (an unclosed tag, a stray `&`) becomes an unparsable
 * record with the parser's reason and the rest of the page goes on.
 *
 * Addresses are in the fire brigade's short style (良渚金家渡北苑3-2-501); they are passed
 * through as written for the runner's address normaliser.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { sourceIdFields,
  asObject, MappingError, SourceError, SourceUnavailable, optionalText,
  type Connector, type ConnectorContext, type Cursor, type EntityRef, type MappedRecord, type Mention, type Page, type RawRecord, type StreamDescriptor,
} from '../sdk/index.js';

const configSchema = z.object({
  /** The fire system's base URL, e.g. http://10.12.0.7:8080 (the API lives under /fire/api/). */
  baseUrl: z.url({ error: 'baseUrl must be the fire system’s base URL, e.g. http://10.12.0.7:8080' }),
  /** Records per request (the system allows up to 5000). */
  pageSize: z.number().int().min(1).max(5000).default(1000),
  /** Give up on a request after this long (the runner's HTTP client applies it). */
  timeoutMs: z.number().int().min(100).default(30_000),
});

export type FireConfig = z.infer<typeof configSchema>;

const ELEMENTS: Record<string, string> = { inspections: 'inspection', hazards: 'hazard' };
const STREAMS: StreamDescriptor[] = [
  { name: 'inspections', describes: 'a fire-safety inspection of a building or an enterprise, with its result', syncMode: 'incremental' },
  { name: 'hazards', describes: 'a hazard an inspection found, with its rectification deadline and status', syncMode: 'incremental' },
];

const ROOT_ATTRIBUTES = /^<(\w+)((?:\s+\w+="[^"]*")*)\s*\/?>/;
const ATTRIBUTE = /(\w+)="([^"]*)"/g;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TARGET_TYPES = new Set(['单位', '建筑']);
const HAZARD_STATUSES = new Set(['已整改', '整改中', '逾期未整改']);
const RESULTS = new Set(['合格', '发现隐患']);

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, processEntities: true });

// ---------------------------------------------------------------------------------------------
// Transport.

interface Envelope {
  /** Record elements found. */
  count: number;
  /** The count the page declares; differs from `count` when an element's opening tag is broken (it then rides in its neighbour's raw text). */
  declared: number | null;
  more: boolean;
  next: string | null;
  records: RawRecord[];
}

function attributesOf(document: string, stream: string): Record<string, string> {
  const from = document.startsWith('<?xml') ? document.indexOf('?>') + 2 : 0;
  const head = document.slice(from, from + 4096).trimStart();
  const m = ROOT_ATTRIBUTES.exec(head);
  if (!m || m[1] !== stream) {
    const root = m?.[1] ?? head.slice(0, 40);
    throw new SourceError(`fire answered with ${JSON.stringify(root)} where a <${stream}> document was expected`);
  }
  const out: Record<string, string> = {};
  for (const a of (m[2] ?? '').matchAll(ATTRIBUTE)) out[a[1] as string] = a[2] as string;
  return out;
}

/** Splits a page into its record elements and parses each on its own. */
export function parsePage(document: string, stream: string): Envelope {
  const element = ELEMENTS[stream] as string;
  const attrs = attributesOf(document, stream);
  const closeRoot = document.lastIndexOf(`</${stream}>`);
  if (closeRoot === -1) throw new SourceUnavailable(`fire ${stream}: the response was cut short (no closing </${stream}>)`);
  const open = `<${element}>`;
  const close = `</${element}>`;
  const records: RawRecord[] = [];
  let at = document.indexOf(open);
  while (at !== -1 && at < closeRoot) {
    const following = document.indexOf(open, at + open.length);
    const end = following === -1 || following > closeRoot ? closeRoot : following;
    const text = document.slice(at, end).trim();
    records.push(parseRecord(text, element, close));
    at = following === -1 || following > closeRoot ? -1 : following;
  }
  const declared = Number(attrs.count);
  return { count: records.length, declared: Number.isInteger(declared) ? declared : null, more: attrs.more === 'true', next: attrs.next ?? null, records };
}

function parseRecord(text: string, element: string, close: string): RawRecord {
  const sourceId = textOf(text, element === 'hazard' ? 'hazard_no' : 'inspection_no');
  const broken = (reason: string): RawRecord => ({ unparsable: text, reason, ...(sourceId ? { sourceId } : {}) });
  if (!text.endsWith(close)) return broken(`broken XML: <${element}> is not closed`);
  const valid = XMLValidator.validate(text);
  if (valid !== true) return broken(`broken XML in <${element}>: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  let parsed: Record<string, unknown>;
  try {
    parsed = parser.parse(text) as Record<string, unknown>;
  } catch (error) {
    // The parser's own guards (nesting depth, entity expansion) throw: that is this element's fault, not the page's.
    return broken(`XML in <${element}> refused: ${error instanceof Error ? error.message : String(error)}`);
  }
  const data = parsed[element];
  if (typeof data !== 'object' || data === null) return broken(`<${element}> has no fields`);
  return { data: nullEmpty(data as Record<string, unknown>) };
}

/** Empty elements (<credit_code/>) are nulls. */
function nullEmpty(record: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(record)) if (record[k] === '') record[k] = null;
  return record;
}

/** The text of `<field>…</field>` in a raw element, without parsing it (for naming a broken record). */
function textOf(text: string, field: string): string | null {
  const open = `<${field}>`;
  const start = text.indexOf(open);
  if (start === -1) return null;
  const end = text.indexOf('<', start + open.length);
  const value = text.slice(start + open.length, end === -1 ? undefined : end).trim();
  return value === '' || value.length > 64 ? null : value;
}

async function fetchPage(config: FireConfig, stream: string, after: string | null, size: number, ctx: ConnectorContext): Promise<Envelope> {
  const url = new URL(`fire/api/${stream}`, config.baseUrl.endsWith('/') ? config.baseUrl : `${config.baseUrl}/`);
  url.searchParams.set('size', String(size));
  if (after !== null) url.searchParams.set('after', after);
  // ctx.http applies the timeout (the runner sets it from config.timeoutMs) to the headers and the body.
  const response = await ctx.http.fetch(url, { headers: { accept: 'application/xml' } });
  if (response.status === 401) {
    await response.body?.cancel();
    throw new SourceError(`GET ${url.origin}${url.pathname}: 401 Unauthorized (the fire system refused the hub; check its network allow-list)`, { failureType: 'config' });
  }
  let document: string;
  try {
    document = await response.text();
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    const why = error instanceof Error && error.name === 'TimeoutError' ? 'the answer did not finish before the timeout' : error instanceof Error ? error.message : String(error);
    throw new SourceUnavailable(`GET ${url.origin}${url.pathname}: ${why}`, error);
  }
  return parsePage(document, stream);
}

// ---------------------------------------------------------------------------------------------
// Mapping.

/** A required text field, trimmed: MappingError naming the field when it is missing, empty or not text. */
function required(record: Record<string, unknown>, field: string): string {
  const text = optionalText(record, field);
  if (text === null) throw new MappingError(`${field} is missing`);
  return text;
}

function dateOf(record: Record<string, unknown>, field: string, mandatory: boolean): string | null {
  const text = mandatory ? required(record, field) : optionalText(record, field);
  if (text === null) return null;
  const m = ISO_DATE.exec(text);
  const month = Number(m?.[2]);
  const day = Number(m?.[3]);
  if (!m || month < 1 || month > 12 || day < 1 || day > daysIn(Number(m[1]), month)) throw new MappingError(`${field} is not a date (YYYY-MM-DD): ${JSON.stringify(text)}`);
  return text;
}

function daysIn(year: number, month: number): number {
  return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function updatedAtOf(record: Record<string, unknown>): string {
  const text = required(record, 'updated_at');
  if (!ISO_WITH_OFFSET.test(text) || Number.isNaN(Date.parse(text))) throw new MappingError(`updated_at is not an ISO 8601 time with offset: ${JSON.stringify(text)}`);
  return text;
}

function oneOf(record: Record<string, unknown>, field: string, allowed: Set<string>): string {
  const text = required(record, field);
  if (!allowed.has(text)) throw new MappingError(`${field} ${JSON.stringify(text)} is not one of ${[...allowed].join('/')}`);
  return text;
}

/** What an inspection (and so its hazards) is about: the enterprise when it has a credit code, else the building. */
function targetOf(record: Record<string, unknown>): EntityRef {
  const type = oneOf(record, 'target_type', TARGET_TYPES);
  const name = optionalText(record, 'target_name');
  const address = required(record, 'address');
  const creditCode = optionalText(record, 'credit_code');
  // A company the fire brigade holds no credit code for is still a company: resolution finds it by name and address.
  if (type === '单位') return { kind: 'enterprise', authority: 'reference', creditCode, facts: { ...(name !== null ? { name } : {}), address } };
  return { kind: 'building', authority: 'reference', address, facts: name !== null ? { name } : {} };
}

/** The building a company's inspection or hazard took place in. */
function locationOf(record: Record<string, unknown>): Mention[] {
  if (record.target_type !== '单位') return [];
  return [{ role: 'location', ref: { kind: 'building', authority: 'reference', address: required(record, 'address'), facts: {} } }];
}

function mapInspection(record: Record<string, unknown>): MappedRecord {
  const sourceId = required(record, 'inspection_no');
  dateOf(record, 'inspected_on', true);
  oneOf(record, 'result', RESULTS);
  const count = optionalText(record, 'hazard_count');
  if (count !== null && !/^\d+$/.test(count)) throw new MappingError(`hazard_count must be a whole number, got ${JSON.stringify(count)}`);
  return { sourceId, updatedAt: updatedAtOf(record), subject: targetOf(record), mentions: locationOf(record) };
}

function mapHazard(record: Record<string, unknown>): MappedRecord {
  const sourceId = required(record, 'hazard_no');
  const inspection = required(record, 'inspection_no');
  oneOf(record, 'target_type', TARGET_TYPES);
  dateOf(record, 'found_on', true);
  dateOf(record, 'rectification_deadline', true);
  const status = oneOf(record, 'status', HAZARD_STATUSES);
  const rectified = dateOf(record, 'rectified_on', false);
  if (status === '已整改' && rectified === null) throw new MappingError('status is 已整改 but rectified_on is missing');
  return { sourceId, updatedAt: updatedAtOf(record), subject: { kind: 'record', stream: 'inspections', sourceId: inspection }, mentions: locationOf(record) };
}

// ---------------------------------------------------------------------------------------------

function afterOf(cursor: Cursor | null): string | null {
  if (cursor === null) return null;
  const after = (cursor as { after?: unknown }).after;
  if (after === undefined || after === null) return null;
  if (typeof after !== 'string' || after === '') throw new SourceError(`fire cursor is not { after: <position> }: ${JSON.stringify(cursor)}`);
  return after;
}

const connector: Connector<FireConfig> = {
  spec: {
    name: 'fire',
    displayName: '消防救援大队 (消防监督检查、隐患整改)',
    version: '1.0.0',
    description: 'Fire-safety inspections of buildings and enterprises and the hazards found, with rectification deadlines: XML over HTTP, keyset-paged.',
    config: configSchema,
    dataClass: 'fire',
    intervalSeconds: 900,
    timeoutMs: 30_000,
    maxRequestsPerSecond: 20,
  },

  async check(config, ctx) {
    const where = `${config.baseUrl.replace(/\/$/, '')}/fire/api/inspections`;
    try {
      const page = await fetchPage(config, 'inspections', null, 1, ctx);
      return { ok: true, message: `fire system at ${config.baseUrl} answers (${page.count === 0 ? 'no inspections yet' : 'inspections available'})` };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { ok: false, message: `cannot read ${where}: ${why}` };
    }
  },

  async discover() {
    return STREAMS;
  },

  async *read(config, stream, cursor, ctx) {
    if (!(stream in ELEMENTS)) throw new SourceError(`fire has no stream ${JSON.stringify(stream)}; it offers ${Object.keys(ELEMENTS).join(', ')}`);
    let after = afterOf(cursor);
    for (;;) {
      if (ctx.signal.aborted) return;
      const page = await fetchPage(config, stream, after, config.pageSize, ctx);
      if (page.declared !== null && page.declared !== page.count) {
        ctx.log.warn({ stream, declared: page.declared, found: page.count, after }, 'a fire page holds fewer or more record elements than it declares');
      }
      if (page.count === 0) return;
      if (page.next === null) throw new SourceError(`fire ${stream}: a page of ${page.count} records without a next position`);
      after = page.next;
      yield { records: page.records, cursor: { after } } satisfies Page;
      if (!page.more) return;
    }
  },

  sourceIdOf: sourceIdFields({ inspections: 'inspection_no', hazards: 'hazard_no' }),

  map(stream, record) {
    const r = asObject(record);
    if (stream === 'inspections') return mapInspection(r);
    if (stream === 'hazards') return mapHazard(r);
    throw new MappingError(`fire has no stream ${JSON.stringify(stream)}`);
  },
};

export default connector;
