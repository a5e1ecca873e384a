/**
 * JSON pages whose records may be broken one by one. Sources that write one record per line
 * inside their `"data": [ … ]` array let a reader keep the page when one record is malformed:
 * the page is parsed whole when it can be, else split by line, and each line that does not
 * parse becomes an unparsable record (with its id, when the id survived) instead of failing
 * the read.
 */
import { SourceError, SourceUnavailable, statusError } from './errors.js';
import type { ConnectorContext, RawRecord } from './contract.js';
import { redactUrl } from './http.js';

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

export interface FetchJsonPageOptions extends Omit<JsonPageOptions, 'where'> {
  /** Headers for the request (accept: application/json is always sent). */
  headers?: Record<string, string>;
  /**
   * How to make the request, when it is more than one GET (a bearer token refreshed on 401);
   * default ctx.http.fetch.
   */
  request?: (url: URL) => Promise<Response>;
}

/** A JSON page as fetched: the parsed envelope and records, the response (for its headers), and the request as errors name it. */
export interface FetchedJsonPage extends JsonPage {
  response: Response;
  where: string;
}

/**
 * GET one JSON page of records through ctx.http: a status other than 200 is a SourceError of
 * its class (statusError), a body that breaks off is transient, and the body is parsed with
 * parseJsonPage so one broken record does not lose the page. The envelope's own fields are the
 * connector's to check.
 */
export async function fetchJsonPage(ctx: ConnectorContext, url: URL, options: FetchJsonPageOptions): Promise<FetchedJsonPage> {
  const where = `GET ${redactUrl(url)}`;
  const response = await (options.request ?? ((u: URL) => ctx.http.fetch(u, { headers: { accept: 'application/json', ...options.headers } })))(url);
  let body: string;
  try {
    body = await response.text();
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw new SourceUnavailable(`${where}: the response broke off: ${(error as Error).message}`, error);
  }
  if (response.status !== 200) throw statusError(where, response.status, body);
  const { key, idField, emptyWhen } = options;
  return { ...parseJsonPage(body, { key, idField, where, ...(emptyWhen ? { emptyWhen } : {}) }), response, where };
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
