/**
 * The housing bureau (住建/房管局): the register of record for buildings and dwellings.
 *
 * The bureau drops a full export every night on a shared folder: a sub-folder per dump, named so
 * that names sort in time order, holding `buildings.csv` and `dwellings.csv` in GBK, and a
 * `_READY` marker written last. This connector reads only the newest complete dump (a full dump
 * supersedes every older one, so older dumps still waiting are skipped) and reads it whole: the
 * runner keeps only the records whose payload changed, so there is no diffing here.
 *
 * Cursor per stream: `{ dump, row, offset }` while a dump is being read (rows done and the byte
 * offset after them, so a crash mid-dump resumes at the next row), `{ dump, done: true }` once it
 * is read to the end. A later read moves nothing until a newer complete dump appears.
 *
 * Files are streamed, never loaded whole: rows are split on line feeds at the byte level (a line
 * feed never occurs inside a GBK character, and the bureau's exports never break lines inside a
 * field), each row is checked to be GBK before it is decoded, and each page of rows is parsed with
 * csv-parse in one go. A row that is not GBK, or has the wrong number of fields, becomes an
 * unparsable record with the reason; the rest of the page goes on.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import { parse, type Options as CsvOptions } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { z } from 'zod';
import { sourceIdFields,
  asObject, MappingError, SourceError, SourceUnavailable, optionalText,
  type BuildingFacts, type Connector, type ConnectorContext, type Cursor, type DwellingFacts, type MappedRecord, type Mention, type Page,
  type PersonRef, type RawRecord, type StreamDescriptor,
} from '../sdk/index.js';

const configSchema = z.object({
  /** The shared folder the bureau drops its dumps into. */
  folder: z.string().min(1, 'folder is required: the shared folder the housing bureau drops its dumps into'),
  /**
   * Rows per page. Each page is decoded and parsed in one go on the hub's one thread, and every
   * sync re-reads the whole newest dump: 1,000 rows held requests for 25–30 ms a page, so 250
   * hold them for about a quarter of that (the runner still commits pages together in batches).
   */
  pageSize: z.number().int().min(1).max(50_000).default(250),
});

export type HousingConfig = z.infer<typeof configSchema>;

const READY = '_READY';
const FILES: Record<string, string> = { buildings: 'buildings.csv', dwellings: 'dwellings.csv' };
const REQUIRED_COLUMNS: Record<string, readonly string[]> = {
  buildings: ['building_code', 'address', 'updated_at'],
  dwellings: ['house_code', 'building_code', 'address', 'updated_at'],
};
const STREAMS: StreamDescriptor[] = [
  { name: 'buildings', describes: 'a building in the register (楼盘表): address, name, use, floors, year built, location', syncMode: 'full_refresh' },
  { name: 'dwellings', describes: 'a dwelling (户室) with its floor area, occupancy, owner and tenants', syncMode: 'full_refresh' },
];

const CSV_OPTIONS: CsvOptions = { relax_column_count: true, relax_quotes: true, skip_empty_lines: false };
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const LF = 0x0a;
const CR = 0x0d;
/** A header row longer than this is not a header. */
const MAX_HEADER_BYTES = 64 * 1024;

const USE: Record<string, BuildingFacts['use']> = { 住宅: 'residential', 商住: 'mixed', 商业: 'commercial', 工业: 'industrial', 公建: 'public', 公共: 'public' };
const OCCUPANCY: Record<string, DwellingFacts['occupancy']> = { 自住: 'owner_occupied', 出租: 'rented', 空置: 'vacant' };

// ---------------------------------------------------------------------------------------------
// The folder.

interface Dumps {
  /** Complete dumps, oldest first. */
  complete: string[];
  /** Dumps still being written (no _READY yet). */
  incomplete: string[];
}

function unreachable(folder: string, error: unknown): SourceError {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error).code) : '';
  const why = error instanceof Error ? error.message : String(error);
  if (code === 'ENOENT') return new SourceUnavailable(`housing drop folder ${folder} is not reachable (it does not exist): is the share mounted and the path in the config right?`, error);
  if (code === 'ENOTDIR') return new SourceError(`housing drop folder ${folder} is not a folder: set "folder" to the directory the dumps are dropped into`, { failureType: 'config', cause: error });
  if (code === 'EACCES' || code === 'EPERM') return new SourceError(`housing drop folder ${folder} cannot be read (${code}): give the hub read access to the share`, { failureType: 'config', cause: error });
  return new SourceUnavailable(`housing drop folder ${folder} cannot be read: ${why}`, error);
}

async function listDumps(folder: string): Promise<Dumps> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw unreachable(folder, error);
  }
  const dirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  const complete: string[] = [];
  const incomplete: string[] = [];
  await Promise.all(
    dirs.map(async (name) => {
      try {
        await stat(join(folder, name, READY));
        complete.push(name);
      } catch {
        incomplete.push(name);
      }
    }),
  );
  complete.sort();
  incomplete.sort();
  return { complete, incomplete };
}

interface DumpCursor {
  dump: string;
  done: boolean;
  row: number;
  offset: number | null;
}

function parseCursor(cursor: Cursor | null): DumpCursor | null {
  if (cursor === null) return null;
  const { dump, done, row, offset } = cursor as { dump?: unknown; done?: unknown; row?: unknown; offset?: unknown };
  if (typeof dump !== 'string' || dump === '') throw new SourceError(`housing cursor has no dump name: ${JSON.stringify(cursor)}`);
  return {
    dump,
    done: done === true,
    row: typeof row === 'number' && row >= 0 ? row : 0,
    offset: typeof offset === 'number' && offset >= 0 ? offset : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading one CSV file of a dump.

interface Header {
  columns: string[];
  /** Byte offset of the first data row. */
  end: number;
}

async function readHeader(path: string, stream: string): Promise<Header> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(MAX_HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_HEADER_BYTES, 0);
    const nl = buffer.subarray(0, bytesRead).indexOf(LF);
    if (nl === -1 && bytesRead === MAX_HEADER_BYTES) throw new SourceError(`${path}: no header row in the first ${MAX_HEADER_BYTES} bytes`);
    const line = trimCr(buffer.subarray(0, nl === -1 ? bytesRead : nl));
    const [columns] = parse(iconv.decode(line, 'gbk'), CSV_OPTIONS);
    const cols = (columns ?? []).map((c) => c.trim());
    const missing = (REQUIRED_COLUMNS[stream] ?? []).filter((c) => !cols.includes(c));
    if (missing.length > 0) throw new SourceError(`${path}: the header has no ${missing.join(', ')} column(s) (found: ${cols.join(', ')}); has the export format changed?`);
    return { columns: cols, end: nl === -1 ? bytesRead : nl + 1 };
  } finally {
    await handle.close();
  }
}

function trimCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}

/** Up to `pageSize` rows at a time from `start` (a row start), with the offset after each batch. */
async function* rowBatches(path: string, start: number, pageSize: number): AsyncGenerator<{ rows: Buffer[]; end: number }> {
  const input = createReadStream(path, { start, highWaterMark: 1 << 20 });
  let pending: Buffer | null = null;
  let position = start; // byte offset of pending's first byte
  let rows: Buffer[] = [];
  let rowsEnd = start;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const data: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    let from = 0;
    for (;;) {
      const nl = data.indexOf(LF, from);
      if (nl === -1) break;
      const line = trimCr(data.subarray(from, nl));
      from = nl + 1;
      rowsEnd = position + from;
      if (line.length === 0) continue;
      rows.push(Buffer.from(line)); // a copy: the chunk is not kept alive by a page
      if (rows.length >= pageSize) {
        yield { rows, end: rowsEnd };
        rows = [];
      }
    }
    pending = from < data.length ? data.subarray(from) : null;
    position += from;
  }
  if (pending && trimCr(pending).length > 0) {
    rows.push(Buffer.from(trimCr(pending)));
    rowsEnd = position + pending.length;
  }
  if (rows.length > 0) yield { rows, end: rowsEnd };
}

const decoder = iconv.getDecoder('gbk');

/** Turns a page of raw rows into records: GBK-checked, decoded, parsed in one go. */
export function parseRows(rows: Buffer[], columns: readonly string[], file: string): RawRecord[] {
  const records: RawRecord[] = new Array<RawRecord>(rows.length);
  const texts: string[] = [];
  const at: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const bytes = rows[i] as Buffer;
    const text = decoder.write(bytes) + (decoder.end() ?? '');
    if (text.length !== bytes.length && isUtf8(bytes)) {
      // GBK text of any length is practically never valid UTF-8; UTF-8 text read as GBK is mojibake.
      const utf8 = bytes.toString('utf8');
      records[i] = { unparsable: utf8, reason: `not valid GBK: ${file} row is UTF-8 encoded`, ...sourceIdOf(utf8) };
    } else if (text.includes('\uFFFD')) {
      records[i] = { unparsable: text, reason: `not valid GBK: ${file} row has byte sequences that are not GBK characters`, ...sourceIdOf(text) };
    } else {
      texts.push(text);
      at.push(i);
    }
  }
  let parsed: string[][] | null = null;
  if (texts.length > 0) {
    try {
      parsed = parse(texts.join('\n'), CSV_OPTIONS);
    } catch {
      parsed = null;
    }
    if (parsed === null || parsed.length !== texts.length) {
      // A quote gone wrong merged or split rows: parse row by row to find the culprit.
      parsed = texts.map((t) => {
        try {
          return parse(t, CSV_OPTIONS)[0] ?? [];
        } catch {
          return [];
        }
      });
    }
  }
  for (let k = 0; k < at.length; k++) {
    const i = at[k] as number;
    const text = texts[k] as string;
    const fields = parsed?.[k] ?? [];
    if (fields.length !== columns.length) {
      records[i] = {
        unparsable: text,
        reason: `${file}: expected ${columns.length} fields as in the header, got ${fields.length}`,
        ...(fields[0] ? { sourceId: fields[0].trim() } : {}),
      };
      continue;
    }
    const data: Record<string, string> = {};
    for (let c = 0; c < columns.length; c++) data[columns[c] as string] = fields[c] as string;
    records[i] = { data };
  }
  return records;
}

function sourceIdOf(text: string): { sourceId: string } | Record<string, never> {
  const comma = text.indexOf(',');
  const first = (comma === -1 ? text : text.slice(0, comma)).replace(/"/g, '').trim();
  return first !== '' && first.length <= 64 && !first.includes('\uFFFD') ? { sourceId: first } : {};
}

async function* readDump(config: HousingConfig, stream: string, dump: string, from: DumpCursor | null, ctx: ConnectorContext): AsyncGenerator<Page> {
  const file = FILES[stream] as string;
  const path = join(config.folder, dump, file);
  let size: number;
  let header: Header;
  try {
    size = (await stat(path)).size;
    header = await readHeader(path, stream);
  } catch (error) {
    if (error instanceof SourceError) throw error;
    // The dump was deleted under us (the bureau keeps only the last few), or the share went away: retry picks the newest.
    throw new SourceUnavailable(`housing dump ${dump} cannot be read (${path}): ${error instanceof Error ? error.message : String(error)}`, error);
  }
  let row = from?.row ?? 0;
  let start = from?.offset ?? header.end;
  if (from && from.offset === null && from.row > 0) start = await skipRows(path, header.end, from.row);
  const label = `${dump}/${file}`;
  const batches = rowBatches(path, start, config.pageSize)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<{ rows: Buffer[]; end: number }>;
      try {
        next = await batches.next();
      } catch (error) {
        throw new SourceUnavailable(`housing dump ${label} could not be read to the end: ${error instanceof Error ? error.message : String(error)}`, error);
      }
      if (next.done) break;
      const records = parseRows(next.value.rows, header.columns, label);
      row += records.length;
      if (next.value.end >= size) {
        yield { records, cursor: { dump, done: true } };
        return;
      }
      yield { records, cursor: { dump, row, offset: next.value.end } };
      if (ctx.signal.aborted) return;
    }
  } finally {
    // Closes the file when the reader stops early (the runner cancelled, or a test took one page).
    await batches.return?.(undefined);
  }
  // Nothing (more) to read: blank lines at the end, or an empty file.
  yield { records: [], cursor: { dump, done: true } };
}

/** The byte offset after `count` data rows (for a cursor that kept only a row count). */
async function skipRows(path: string, start: number, count: number): Promise<number> {
  let seen = 0;
  let position = start;
  for await (const chunk of createReadStream(path, { start, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, from);
      if (nl === -1) break;
      if (nl > from && !(nl === from + 1 && chunk[from] === CR)) seen++;
      from = nl + 1;
      if (seen === count) return position + from;
    }
    position += chunk.length;
  }
  return position;
}

// ---------------------------------------------------------------------------------------------
// Mapping.

/** A required text field, trimmed: MappingError naming the field when it is missing, empty or not text. */
function required(record: Record<string, unknown>, field: string): string {
  const text = optionalText(record, field);
  if (text === null) throw new MappingError(`${field} is missing`);
  return text;
}

function updatedAtOf(record: Record<string, unknown>): string {
  const text = required(record, 'updated_at');
  if (!ISO_WITH_OFFSET.test(text) || Number.isNaN(Date.parse(text))) throw new MappingError(`updated_at is not an ISO 8601 time with offset: ${JSON.stringify(text)}`);
  return text;
}

function numberOf(record: Record<string, unknown>, field: string, whole: boolean): number | undefined {
  const text = optionalText(record, field);
  if (text === null) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || (whole && !Number.isInteger(n))) throw new MappingError(`${field} must be ${whole ? 'a whole number' : 'a number'}, got ${JSON.stringify(text)}`);
  return n;
}

function enumOf<T>(record: Record<string, unknown>, field: string, values: Record<string, T>): T | undefined {
  const text = optionalText(record, field);
  if (text === null) return undefined;
  const v = values[text];
  if (v === undefined) throw new MappingError(`${field} ${JSON.stringify(text)} is not one of ${Object.keys(values).join('/')}`);
  return v;
}

function person(name: string | null, idNumber: string | null, phone: string | null): PersonRef {
  return {
    kind: 'person',
    authority: 'reference',
    idNumber,
    facts: { ...(name !== null ? { name } : {}), ...(phone !== null ? { phone } : {}) },
  };
}

function mapBuilding(record: Record<string, unknown>): MappedRecord {
  const sourceId = required(record, 'building_code');
  const facts: BuildingFacts = {};
  const name = optionalText(record, 'building_name');
  if (name !== null) facts.name = name;
  const use = enumOf(record, 'use', USE);
  if (use !== undefined) facts.use = use;
  const floors = numberOf(record, 'floors_above', true);
  if (floors !== undefined) facts.floors = floors;
  const builtYear = numberOf(record, 'built_year', true);
  if (builtYear !== undefined) facts.builtYear = builtYear;
  const lat = numberOf(record, 'latitude', false);
  if (lat !== undefined) facts.lat = lat;
  const lng = numberOf(record, 'longitude', false);
  if (lng !== undefined) facts.lng = lng;
  const roadAddress = optionalText(record, 'road_address');
  if (roadAddress !== null) facts.roadAddress = roadAddress;
  const community = optionalText(record, 'community');
  if (community !== null) facts.community = community;
  return {
    sourceId,
    updatedAt: updatedAtOf(record),
    subject: { kind: 'building', authority: 'master', address: required(record, 'address'), facts },
  };
}

function mapDwelling(record: Record<string, unknown>): MappedRecord {
  const sourceId = required(record, 'house_code');
  const facts: DwellingFacts = { unit: optionalText(record, 'unit'), room: optionalText(record, 'room') };
  const area = numberOf(record, 'area_m2', false);
  if (area !== undefined) facts.floorArea = area;
  const occupancy = enumOf(record, 'usage', OCCUPANCY);
  if (occupancy !== undefined) facts.occupancy = occupancy;
  const building = optionalText(record, 'building_code');
  const mentions: Mention[] = [];
  const ownerName = optionalText(record, 'owner_name');
  const ownerId = optionalText(record, 'owner_id_number');
  if (ownerName !== null || ownerId !== null) mentions.push({ role: 'owner', ref: person(ownerName, ownerId, optionalText(record, 'owner_phone')) });
  const tenants = optionalText(record, 'tenants');
  if (tenants !== null) {
    for (const entry of tenants.split(';')) {
      if (entry.trim() === '') continue;
      const parts = entry.split('|');
      if (parts.length !== 3) throw new MappingError(`tenants entry ${JSON.stringify(entry)} is not name|id_number|phone`);
      const [name, id, phone] = parts.map((p) => (p.trim() === '' ? null : p.trim()));
      if (name === null && id === null) throw new MappingError(`tenants entry ${JSON.stringify(entry)} has neither a name nor an ID number`);
      mentions.push({ role: 'tenant', ref: person(name ?? null, id ?? null, phone ?? null) });
    }
  }
  return {
    sourceId,
    updatedAt: updatedAtOf(record),
    subject: {
      kind: 'dwelling',
      authority: 'master',
      address: required(record, 'address'),
      ...(building !== null ? { building: { stream: 'buildings', sourceId: building } } : {}),
      facts,
    },
    mentions,
  };
}

// ---------------------------------------------------------------------------------------------

const connector: Connector<HousingConfig> = {
  spec: {
    name: 'housing',
    displayName: '住建局 (楼盘表、房屋登记)',
    version: '1.0.0',
    description: 'Nightly full dumps of the housing bureau’s building and dwelling registers: GBK CSV files on a shared folder, one sub-folder per dump with a _READY marker.',
    config: configSchema,
    dataClass: 'housing',
    intervalSeconds: 3600,
    timeoutMs: 30_000,
  },

  async check(config) {
    let dumps: Dumps;
    try {
      dumps = await listDumps(config.folder);
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    const newest = dumps.complete.at(-1);
    if (newest === undefined) {
      const writing = dumps.incomplete.length > 0 ? ` (${dumps.incomplete.length} still being written, without ${READY})` : '';
      return { ok: true, message: `housing drop folder ${config.folder} is reachable but holds no complete dump yet${writing}; the bureau's export job writes one sub-folder per dump with a ${READY} marker` };
    }
    for (const file of Object.values(FILES)) {
      try {
        await stat(join(config.folder, newest, file));
      } catch {
        return { ok: false, message: `housing dump ${join(config.folder, newest)} is marked ${READY} but has no ${file}; ask the bureau to check its export job` };
      }
    }
    return { ok: true, message: `housing drop folder ${config.folder}: ${dumps.complete.length} complete dump(s), newest ${newest}` };
  },

  async discover() {
    return STREAMS;
  },

  async *read(config, stream, cursor, ctx) {
    if (!(stream in FILES)) throw new SourceError(`housing has no stream ${JSON.stringify(stream)}; it offers ${Object.keys(FILES).join(', ')}`);
    const from = parseCursor(cursor);
    const { complete } = await listDumps(config.folder);
    const newest = complete.at(-1);
    if (newest === undefined) {
      ctx.log.info({ folder: config.folder, stream }, 'no complete housing dump yet');
      return;
    }
    if (from && from.dump > newest) {
      ctx.log.warn({ folder: config.folder, stream, cursor: from.dump, newest }, 'the saved cursor is past every dump in the folder; waiting for a newer dump');
      return;
    }
    if (from && from.dump === newest) {
      if (from.done) return;
      yield* readDump(config, stream, newest, from, ctx);
      return;
    }
    const skipped = complete.filter((d) => d < newest && (from === null || d > from.dump));
    if (skipped.length > 0) ctx.log.info({ stream, skipped, newest }, 'older full dumps are superseded by the newest; reading only the newest');
    yield* readDump(config, stream, newest, null, ctx);
  },

  sourceIdOf: sourceIdFields({ buildings: 'building_code', dwellings: 'house_code' }),

  map(stream, record) {
    const r = asObject(record);
    if (stream === 'buildings') return mapBuilding(r);
    if (stream === 'dwellings') return mapDwelling(r);
    throw new MappingError(`housing has no stream ${JSON.stringify(stream)}`);
  },
};

export default connector;
