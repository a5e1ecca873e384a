/**
 * JSON pages whose records may be broken one by one. Sources that write one record per line
 * inside their `"data": [ … ]` array let a reader keep the page when one record is malformed:
 * the page is parsed whole when it can be, else split by line, and each line that does not
 * parse becomes an unparsable record (with its id, when the id survived) instead of failing
 * the read.
 */
import { SourceError } from './errors.js';
import type { RawRecord } from './contract.js';

export interface JsonPage {
  /** The envelope's other fields (cursors, totals, high-water marks). */
  head: Record<string, unknown>;
  records: RawRecord[];
}

export interface JsonPageOptions {
  /** The envelope's records array, e.g. 'data', 'items', 'rows'. */
  key: string;
  /** The records' id field, to name a broken record in the dead-letter store. */
  idField: string;
  /** Where the page came from, for error messages (method and URL). */
  where: string;
  /** An envelope without the array that is still a valid answer (e.g. an error code), read as no records. */
  emptyWhen?: (head: Record<string, unknown>) => boolean;
}

export function parseJsonPage(body: string, options: JsonPageOptions): JsonPage {
  const { key, where } = options;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return splitJsonPage(body, options);
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const head = parsed as Record<string, unknown>;
    const items = head[key];
    if (Array.isArray(items)) return { head, records: items.map((data: unknown) => ({ data })) };
    if (options.emptyWhen?.(head)) return { head, records: [] };
  }
  throw new SourceError(`${where}: the answer is not an object with a "${key}" array: ${body.slice(0, 200)}`);
}

function splitJsonPage(body: string, { key, idField, where }: JsonPageOptions): JsonPage {
  const marker = `"${key}":[`;
  const at = body.indexOf(marker);
  if (at === -1) throw new SourceError(`${where}: the answer is not JSON: ${body.slice(0, 200)}`);
  let head: Record<string, unknown>;
  try {
    head = JSON.parse(`${body.slice(0, at).replace(/,\s*$/, '')}}`) as Record<string, unknown>;
  } catch {
    throw new SourceError(`${where}: the answer's envelope is not JSON: ${body.slice(0, 200)}`);
  }
  const records: RawRecord[] = [];
  for (const raw of body.slice(at + marker.length).split('\n')) {
    let line = raw.trim();
    if (line === '') continue;
    if (line.startsWith(']')) break;
    if (line.endsWith(',')) line = line.slice(0, -1);
    try {
      records.push({ data: JSON.parse(line) as unknown });
    } catch (error) {
      const sourceId = textFieldIn(line, idField);
      records.push({ unparsable: line, reason: `not valid JSON: ${(error as Error).message}`, ...(sourceId ? { sourceId } : {}) });
    }
  }
  return { head, records };
}

/** The value of `"<field>":"…"` in raw JSON text, without parsing it (a broken record's id, when it survived). */
export function textFieldIn(line: string, field: string): string | null {
  const marker = `"${field}":"`;
  const at = line.indexOf(marker);
  if (at === -1) return null;
  const end = line.indexOf('"', at + marker.length);
  return end === -1 ? null : line.slice(at + marker.length, end) || null;
}
