/**
 * The public security bureau (公安局): residence registrations of floating residents (居住登记)
 * and 110 calls (接警单). A registry for floating residents (may create them, never overwrites
 * the population register); a reference for the buildings where incidents happen.
 *
 * Source: REST/JSON in the police's own style, `GET {baseUrl}/police/api/residence-registrations`
 * and `/police/api/incidents`, answering `{"code":0,"msg":"ok","total":…,"gxsjMax":…,"rows":[…]}`
 * (one record per line inside rows).
 * - 全量: `?pageNo=N&pageSize=M` in registration order; page numbers are stable (the register
 *   only grows at its end; changed records are served in place).
 * - 增量: `?gxsjFrom=YYYYMMDDHHMMSS&bhAfter=ID&pageNo=1&pageSize=M`: records after the position
 *   (gxsj, 编号), ordered by it; the answer's nextGxsjFrom/nextBhAfter is the position of its last
 *   record.
 *
 * Cursor per stream:
 * - `{ phase: 'full', pageNo, pageSize, since }` during the first full export: the next page to ask
 *   for (in pages of the size the export began with), and the service's gxsjMax when it began. When it ends, the read goes on with the changes
 *   made after `since` (gxsjFrom = since + 1 s), so nothing changed during the export is missed.
 * - `{ phase: 'incremental', gxsjFrom, bhAfter }`: the position (gxsj, 编号) of the last record
 *   delivered (bhAfter null: everything from gxsjFrom on). Every request asks from the position
 *   with pageNo=1 rather than paging on: a record changed while we page jumps to the end and
 *   shifts every later page one place, so page numbers would skip one; a position cannot. A record
 *   changed after we passed it has a later gxsj and comes again once, in its new version.
 *
 * Push (incidents): the police post live 110 calls to the hub's webhook as `{"incidents":[…]}`,
 * with `x-liandong-timestamp: <unix seconds>` and `x-liandong-signature: sha256=<hex
 * HMAC-SHA256 of "<timestamp>.<raw body>">` under the shared `webhookSecret`. A timestamp more
 * than 5 minutes from the hub's clock is refused, so a captured request cannot be replayed
 * later. Pushed calls are also in the REST register, so a pull later finds them too.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { sourceIdFields,
  MappingError, PushRejected, SourceError, asObject, beijingTime, parseJsonPage, redactUrl, type JsonPage,
  type Connector, type ConnectorContext, type Cursor, type MappedRecord, type Mention, type Page, type RawRecord,
  textField as text,
  fetchJsonPage,
} from '../sdk/index.js';

const STREAMS = {
  residence_registrations: { path: 'police/api/residence-registrations', id: 'djbh' },
  incidents: { path: 'police/api/incidents', id: 'jjdbh' },
} as const;
type Stream = keyof typeof STREAMS;

export const SIGNATURE_HEADER = 'x-liandong-signature';
export const TIMESTAMP_HEADER = 'x-liandong-timestamp';
/** How far a push's timestamp may be from the hub's clock, either way (clock skew, queueing at the sender). */
export const SIGNATURE_WINDOW_SECONDS = 300;

const config = z.object({
  baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be the police data service\'s http(s) base URL, e.g. http://gaj.example:8080' }),
  /**
   * Shared with the police for signing pushed 110 calls (HMAC-SHA256). Required: a default would
   * be a secret everyone can read in this repository (only the simulator has one of its own).
   */
  webhookSecret: z.string({ error: 'webhookSecret is required: the secret shared with the police for signing pushed 110 calls (at least 16 characters)' })
    .min(16, 'webhookSecret must be at least 16 characters'),
  pageSize: z.number().int().min(1).max(5000).default(1000),
  timeoutMs: z.number().int().positive().default(30_000),
});

export type PoliceConfig = z.output<typeof config>;

type PoliceCursor =
  | { phase: 'full'; pageNo: number; pageSize: number; since: string | null }
  | { phase: 'incremental'; gxsjFrom: string; bhAfter: string | null };

const GXSJ = /^\d{14}$/;

const connector: Connector<PoliceConfig> = {
  spec: {
    name: 'police',
    displayName: '公安局 (110 接处警、居住登记)',
    version: '1.0.0',
    description: 'Public security: residence registrations of floating residents (registry for people) and 110 calls located at buildings, pushed live by webhook.',
    config,
    dataClass: 'public-security',
    intervalSeconds: 10 * 60,
    timeoutMs: 30_000,
    secrets: ['webhookSecret'],
  },

  async check(cfg, ctx) {
    const url = streamUrl(cfg, 'incidents');
    url.searchParams.set('pageNo', '1');
    url.searchParams.set('pageSize', '1');
    try {
      const page = await fetchPage(url, ctx, STREAMS.incidents.id);
      return { ok: true, message: `police data service at ${cfg.baseUrl} answers (${page.total} 110 calls, updated up to ${page.gxsjMax})` };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { ok: false, message: `police data service at ${cfg.baseUrl} is not usable: ${why}. Check that the service is running and baseUrl points at it.` };
    }
  },

  async discover() {
    return [
      { name: 'residence_registrations', describes: 'a residence registration (居住登记) of a floating resident: who, and where they live while it is valid', syncMode: 'incremental' as const },
      { name: 'incidents', describes: 'a 110 call (接警单): what happened where, and who called', syncMode: 'incremental' as const, push: true },
    ];
  },

  async *read(cfg, stream, cursor, ctx): AsyncGenerator<Page> {
    const s = streamOf(stream);
    if (!s) throw new SourceError(`police has no stream ${JSON.stringify(stream)}; it offers ${Object.keys(STREAMS).join(', ')}`);
    const idField = STREAMS[s].id;
    let state = parseCursor(cursor, cfg.pageSize);
    while (state.phase === 'full') {
      const url = streamUrl(cfg, s);
      url.searchParams.set('pageNo', String(state.pageNo));
      url.searchParams.set('pageSize', String(state.pageSize));
      const page = await fetchPage(url, ctx, idField);
      const since = state.since ?? page.gxsjMax;
      const done = page.records.length === 0 || state.pageNo * state.pageSize >= page.total;
      state = done
        ? { phase: 'incremental', gxsjFrom: nextSecond(since), bhAfter: null }
        : { phase: 'full', pageNo: state.pageNo + 1, pageSize: state.pageSize, since };
      yield { records: page.records, cursor: state };
    }
    for (;;) {
      const url = streamUrl(cfg, s);
      url.searchParams.set('gxsjFrom', state.gxsjFrom);
      if (state.bhAfter !== null) url.searchParams.set('bhAfter', state.bhAfter);
      url.searchParams.set('pageNo', '1');
      url.searchParams.set('pageSize', String(cfg.pageSize));
      const page = await fetchPage(url, ctx, idField);
      if (page.records.length === 0) return;
      if (page.next === null) throw new SourceError(`GET ${redactUrl(url)}: the answer has rows but no valid nextGxsjFrom/nextBhAfter`);
      state = { phase: 'incremental', gxsjFrom: page.next.gxsjFrom, bhAfter: page.next.bhAfter };
      yield { records: page.records, cursor: state };
      if (page.total <= page.records.length) return;
    }
  },

  sourceIdOf: sourceIdFields({ residence_registrations: 'djbh', incidents: 'jjdbh' }),

  map(stream, record) {
    const s = streamOf(stream);
    if (!s) throw new MappingError(`police has no stream ${JSON.stringify(stream)}`);
    const r = asObject(record);
    return s === 'residence_registrations' ? mapRegistration(r) : mapIncident(r);
  },

  push: {
    receive(cfg, request) {
      const header = request.headers[SIGNATURE_HEADER];
      if (header === undefined || header === '') throw new PushRejected(401, `missing ${SIGNATURE_HEADER} header (sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">)`);
      const stamp = request.headers[TIMESTAMP_HEADER];
      if (stamp === undefined || !/^\d{1,12}$/.test(stamp.trim())) {
        throw new PushRejected(401, `missing or malformed ${TIMESTAMP_HEADER} header (unix seconds, the same value the signature covers)`);
      }
      // Checked before the HMAC, but only a valid HMAC proves the timestamp: both are needed.
      const skew = Math.round(Date.now() / 1000) - Number(stamp.trim());
      if (Math.abs(skew) > SIGNATURE_WINDOW_SECONDS) {
        throw new PushRejected(401, `${TIMESTAMP_HEADER} is ${Math.abs(skew)} s ${skew > 0 ? 'old' : 'in the future'}, outside the ${SIGNATURE_WINDOW_SECONDS} s window: a replayed request, or the sender's clock is off`);
      }
      if (!verifySignature(request.body, header, cfg.webhookSecret, stamp.trim())) {
        throw new PushRejected(401, `${SIGNATURE_HEADER} does not match the timestamp and body (wrong secret, or the request was altered)`);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(request.body.toString('utf8'));
      } catch (error) {
        throw new PushRejected(400, `the body is not JSON: ${(error as Error).message}`);
      }
      const incidents = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>).incidents : undefined;
      if (!Array.isArray(incidents)) throw new PushRejected(400, 'the body must be {"incidents":[…]}');
      const records: RawRecord[] = incidents.map((item: unknown) => {
        if (typeof item === 'object' && item !== null && !Array.isArray(item)) return { data: item };
        return { unparsable: JSON.stringify(item) ?? String(item), reason: `a pushed incident must be a JSON object, got ${Array.isArray(item) ? 'an array' : item === null ? 'null' : typeof item}` };
      });
      return { stream: 'incidents', records };
    },
  },
};

export default connector;

/** True when `header` is `sha256=<hex>` of the HMAC of `<timestamp>.<body>` under `secret`; compared in constant time. */
export function verifySignature(body: Buffer, header: string, secret: string, timestamp: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`, 'utf8');
  const given = Buffer.from(header.trim().toLowerCase(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

// ---------------------------------------------------------------------------------------------
// Mapping

/** A residence registration: the floating resident, as a registry (creates, never overwrites). */
export function mapRegistration(r: Record<string, unknown>): MappedRecord {
  const sourceId = text(r, 'djbh', true);
  const sex = r.xb === '男' ? 'male' : r.xb === '女' ? 'female' : null;
  if (sex === null) throw new MappingError(`xb must be 男 or 女, got ${JSON.stringify(r.xb)}`);
  const zt = text(r, 'zt', true);
  if (zt !== '有效' && zt !== '注销') throw new MappingError(`zt must be 有效 or 注销, got ${JSON.stringify(zt)}`);
  const address = text(r, 'jzdz', false);
  return {
    sourceId,
    updatedAt: time(r, 'gxsj'),
    subject: {
      kind: 'person',
      authority: 'registry',
      idNumber: text(r, 'sfzh', false),
      facts: {
        name: text(r, 'xm', true),
        sex,
        phone: text(r, 'lxdh', false),
        residenceType: 'floating',
        // A cancelled (注销) registration says the person no longer lives there.
        address: zt === '有效' ? address : null,
      },
    },
  };
}

/** A 110 call: about the building where it happened; the caller, when they gave a name. */
export function mapIncident(r: Record<string, unknown>): MappedRecord {
  const sourceId = text(r, 'jjdbh', true);
  const lat = coordinate(r, 'wd', -90, 90);
  const lng = coordinate(r, 'jd', -180, 180);
  const mentions: Mention[] = [];
  const name = text(r, 'bjrxm', false);
  if (name !== null) {
    mentions.push({ role: 'reporter', ref: { kind: 'person', authority: 'reference', idNumber: null, facts: { name, phone: text(r, 'bjrdh', false) } } });
  }
  return {
    sourceId,
    updatedAt: time(r, 'gxsj'),
    subject: {
      kind: 'building',
      authority: 'reference',
      address: text(r, 'afdd', true),
      facts: { ...(lat === null ? {} : { lat }), ...(lng === null ? {} : { lng }) },
    },
    mentions,
  };
}


function coordinate(r: Record<string, unknown>, field: string, min: number, max: number): number | null {
  const v = r[field];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new MappingError(`${field} must be a number, got ${typeof v} ${JSON.stringify(v)}`);
  if (v < min || v > max) throw new MappingError(`${field} must be within ${min}..${max}, got ${v}`);
  return v;
}

function time(r: Record<string, unknown>, field: string): string {
  const v = text(r, field, true);
  if (!GXSJ.test(v)) throw new MappingError(`${field} must be YYYYMMDDHHMMSS, got ${JSON.stringify(v)}`);
  const iso = beijingTime(v);
  // Date.parse rolls 2026-02-30 over into March (or gives NaN): the calendar fields must come back.
  const ms = Date.parse(iso);
  if (Number.isNaN(ms) || new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19) !== iso.slice(0, 19)) {
    throw new MappingError(`${field} is not a real time: ${JSON.stringify(v)}`);
  }
  return iso;
}

// ---------------------------------------------------------------------------------------------
// Transport

interface PolicePage {
  records: RawRecord[];
  total: number;
  gxsjMax: string;
  /** The position of the page's last record (incremental answers). */
  next: { gxsjFrom: string; bhAfter: string | null } | null;
}

function streamOf(stream: string): Stream | null {
  return Object.hasOwn(STREAMS, stream) ? (stream as Stream) : null;
}

function streamUrl(cfg: PoliceConfig, stream: Stream): URL {
  return new URL(STREAMS[stream].path, cfg.baseUrl.endsWith('/') ? cfg.baseUrl : `${cfg.baseUrl}/`);
}

/** 'YYYYMMDDHHMMSS' one second later (Beijing wall-clock arithmetic, via UTC with the offset). */
export function nextSecond(gxsj: string): string {
  const n = (from: number, to: number) => Number(gxsj.slice(from, to));
  const d = new Date(Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14)) + 1000);
  const p = (v: number) => String(v).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

function parseCursor(cursor: Cursor | null, pageSize: number): PoliceCursor {
  if (cursor === null) return { phase: 'full', pageNo: 1, pageSize, since: null };
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  if (cursor.phase === 'full' && whole(cursor.pageNo) && whole(cursor.pageSize) && cursor.pageSize <= 5000) {
    const since = cursor.since ?? null;
    if (since === null || (typeof since === 'string' && GXSJ.test(since))) return { phase: 'full', pageNo: cursor.pageNo, pageSize: cursor.pageSize, since };
  } else if (cursor.phase === 'incremental' && typeof cursor.gxsjFrom === 'string' && GXSJ.test(cursor.gxsjFrom)) {
    const bhAfter = cursor.bhAfter ?? null;
    if (bhAfter === null || typeof bhAfter === 'string') return { phase: 'incremental', gxsjFrom: cursor.gxsjFrom, bhAfter };
  }
  throw new SourceError(`police: the saved cursor is not one this connector wrote: ${JSON.stringify(cursor).slice(0, 200)}`);
}

async function fetchPage(url: URL, ctx: ConnectorContext, idField: string): Promise<PolicePage> {
  const { head, records, where } = await fetchJsonPage(ctx, url, { key: 'rows', idField, emptyWhen: policeErrorEnvelope });
  if (head.code !== 0) throw new SourceError(`${where}: the service answered code ${JSON.stringify(head.code)}: ${String(head.msg ?? '')}`.trim());
  const total = head.total;
  if (typeof total !== 'number' || !Number.isInteger(total) || total < 0) throw new SourceError(`${where}: the answer has no valid total (got ${JSON.stringify(total)})`);
  if (typeof head.gxsjMax !== 'string' || !GXSJ.test(head.gxsjMax)) throw new SourceError(`${where}: the answer has no valid gxsjMax (got ${JSON.stringify(head.gxsjMax)})`);
  const nextFrom = head.nextGxsjFrom;
  const nextBh = head.nextBhAfter ?? null;
  const next = typeof nextFrom === 'string' && GXSJ.test(nextFrom) && (nextBh === null || typeof nextBh === 'string') ? { gxsjFrom: nextFrom, bhAfter: nextBh } : null;
  return { records, total, gxsjMax: head.gxsjMax, next };
}

/** A page of the police API; an error envelope (code ≠ 0) has no rows. */
export function parseEnvelope(body: string, idField: string, where: string): JsonPage {
  return parseJsonPage(body, { key: 'rows', idField, where, emptyWhen: policeErrorEnvelope });
}

function policeErrorEnvelope(head: Record<string, unknown>): boolean {
  return head.code !== undefined && head.code !== 0;
}

