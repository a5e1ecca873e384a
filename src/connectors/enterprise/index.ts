/**
 * Market regulation (市场监管局, 企业登记): master of enterprises.
 *
 * Source: REST/JSON, `GET {baseUrl}/api/enterprises?offset=N&limit=N[&updatedAfter=ISO]` →
 * `{ total, offset, items }`, rate-limited (429 + Retry-After). The runner paces this connector
 * to spec.maxRequestsPerSecond, below the service's limit.
 *
 * Cursor:
 * - `{ phase: 'full', offset, since }` during the first full export (storage order, offset
 *   paging). `since` is the register's Last-Modified when the export began: what changed while
 *   it ran is read by the incremental phase that follows, in the same read.
 * - `{ phase: 'incremental', since, seen }` afterwards: the high-water mark (the updateTime of
 *   the last record delivered) and the pripids delivered at exactly that second.
 *
 * Offsets are not stable under change: an enterprise updated while a client pages through
 * `updatedAfter` results moves to the end, and every later record moves up one place, so
 * offset+limit would skip one. So the incremental phase never pages by offset: each request asks
 * again from the high-water mark (offset 0, `updatedAfter` one second before it, dropping the
 * pripids already seen at that second), which cannot skip a record whatever changes meanwhile; a
 * record changed after it was read comes again later with its new time. Offsets are used only
 * to step over a full page of records that all share the high-water second.
 */
import { z } from 'zod';
import { sourceIdFields,
  MappingError, SourceError, asObject, redactUrl,
  type Connector, type ConnectorContext, type Cursor, type EnterpriseFacts, type MappedRecord, type Mention, type Page, type RawRecord,
  textField as text, dateField as date, beijingTimeField as time,
  fetchJsonPage,
} from '../sdk/index.js';

const STREAM = 'enterprises';

const config = z.object({
  baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be the market regulation service\'s http(s) base URL, e.g. http://scjg.example:8080' }),
  /** The service answers at most 1000 per request. */
  pageSize: z.number().int().min(1).max(1000).default(1000),
  timeoutMs: z.number().int().positive().default(30_000),
});

export type EnterpriseConfig = z.output<typeof config>;

type EnterpriseCursor =
  | { phase: 'full'; offset: number; since: string | null }
  | { phase: 'incremental'; since: string; seen: string[] };

function enterprisesUrl(cfg: EnterpriseConfig): URL {
  return new URL('api/enterprises', cfg.baseUrl.endsWith('/') ? cfg.baseUrl : `${cfg.baseUrl}/`);
}

const connector: Connector<EnterpriseConfig> = {
  spec: {
    name: 'enterprise',
    displayName: '市场监督管理局 (企业登记)',
    version: '1.0.0',
    description: 'The enterprise register: credit code, name, legal representative, industry, status, registered address. Master for enterprises.',
    config,
    dataClass: 'market',
    intervalSeconds: 30 * 60,
    timeoutMs: 30_000,
    // The service allows 20 requests per second; stay well under it.
    maxRequestsPerSecond: 15,
  },

  async check(cfg, ctx) {
    const url = enterprisesUrl(cfg);
    url.searchParams.set('offset', '0');
    url.searchParams.set('limit', '1');
    try {
      const page = await fetchPage(url, ctx);
      return { ok: true, message: `market regulation service at ${cfg.baseUrl} answers (${page.total} enterprises)` };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { ok: false, message: `market regulation service at ${cfg.baseUrl} is not usable: ${why}. Check that the service is running and baseUrl points at it.` };
    }
  },

  async discover() {
    return [{ name: STREAM, describes: 'an enterprise in the market regulation register, with its legal representative', syncMode: 'incremental' as const }];
  },

  async *read(cfg, stream, cursor, ctx): AsyncGenerator<Page> {
    if (stream !== STREAM) throw new SourceError(`enterprise has no stream ${JSON.stringify(stream)}; it offers ${STREAM}`);
    let state = parseCursor(cursor);
    while (state.phase === 'full') {
      const url = enterprisesUrl(cfg);
      url.searchParams.set('offset', String(state.offset));
      url.searchParams.set('limit', String(cfg.pageSize));
      const page = await fetchPage(url, ctx);
      const since = state.since ?? page.lastModified;
      if (since === null) throw new SourceError(`GET ${redactUrl(url)}: no Last-Modified header, so there is no mark to read changes from`);
      const next = state.offset + page.records.length;
      const done = page.records.length < cfg.pageSize || next >= page.total;
      state = done ? { phase: 'incremental', since, seen: [] } : { phase: 'full', offset: next, since };
      yield { records: page.records, cursor: state };
    }
    let skip = 0;
    for (;;) {
      const url = enterprisesUrl(cfg);
      // With records already seen at `since`, ask from that second on (ties) and drop them.
      const from = state.seen.length > 0 ? new Date(Date.parse(state.since) - 1000) : new Date(Date.parse(state.since));
      url.searchParams.set('updatedAfter', beijingIso(from.getTime()));
      url.searchParams.set('offset', String(skip));
      url.searchParams.set('limit', String(cfg.pageSize));
      const page = await fetchPage(url, ctx);
      const seen = new Set(state.seen);
      let since: string = state.since;
      let sinceMs = Date.parse(since);
      let atSince: string[] = state.seen;
      const fresh: RawRecord[] = [];
      for (const record of page.records) {
        const data = 'data' in record && typeof record.data === 'object' && record.data !== null ? (record.data as Record<string, unknown>) : null;
        const key = data && typeof data.pripid === 'string' ? data.pripid : null;
        const t = data ? updateTimeMs(data.updateTime) : NaN;
        if (key !== null && t === sinceMs && seen.has(key)) continue; // delivered already
        fresh.push(record);
        if (key === null || Number.isNaN(t) || t < sinceMs) continue;
        if (t > sinceMs) {
          sinceMs = t;
          since = beijingIso(t);
          atSince = [key];
          seen.clear();
        } else {
          atSince = [...atSince, key];
        }
        seen.add(key);
      }
      const last = page.records.length < cfg.pageSize;
      if (fresh.length > 0) {
        state = { phase: 'incremental', since, seen: atSince };
        yield { records: fresh, cursor: state };
      }
      if (last) return;
      // A full page of records all delivered already (ties at one second): step over them.
      skip = fresh.length === 0 ? skip + page.records.length : 0;
    }
  },

  sourceIdOf: sourceIdFields({ enterprises: 'pripid' }),

  map(stream, record) {
    if (stream !== STREAM) throw new MappingError(`enterprise has no stream ${JSON.stringify(stream)}`);
    return mapEnterprise(asObject(record));
  },
};

export default connector;

/** 存续（在营、开业、在册）/ 在营 / 开业 → active; 吊销 → suspended; 注销 → deregistered. */
function statusOf(regState: string): EnterpriseFacts['status'] {
  if (regState.startsWith('吊销')) return 'suspended';
  if (regState.startsWith('注销')) return 'deregistered';
  if (regState.startsWith('存续') || regState.startsWith('在营') || regState.startsWith('开业') || regState.startsWith('在册')) return 'active';
  return undefined;
}

/** One enterprise in canonical form. */
export function mapEnterprise(r: Record<string, unknown>): MappedRecord {
  const sourceId = text(r, 'pripid', true);
  const facts: EnterpriseFacts = {
    name: text(r, 'entName', true),
    registeredOn: date(r, 'estDate'),
    address: text(r, 'dom', false),
    phone: text(r, 'tel', false),
  };
  const rep = text(r, 'leRep', false);
  if (rep !== null) facts.legalRepresentative = rep;
  const industry = text(r, 'industryName', false);
  if (industry !== null) facts.industry = industry;
  const regState = text(r, 'regState', false);
  const status = regState === null ? undefined : statusOf(regState);
  if (status) facts.status = status;
  const mentions: Mention[] = [];
  const certificate = text(r, 'leRepCerNo', false);
  if (rep !== null || certificate !== null) {
    // Only a resident ID card number is an ID number; a passport number links nothing.
    const type = text(r, 'leRepCerType', false);
    const idNumber = type === null || type.includes('身份证') ? certificate : null;
    mentions.push({ role: 'legal_representative', ref: { kind: 'person', authority: 'reference', idNumber, facts: rep === null ? {} : { name: rep } } });
  }
  return {
    sourceId,
    updatedAt: time(r, 'updateTime'),
    subject: { kind: 'enterprise', authority: 'master', creditCode: text(r, 'uniscid', false), facts },
    mentions,
  };
}




// ---------------------------------------------------------------------------------------------
// Transport

const UPDATE_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$/;

/** 'YYYY-MM-DD HH:MM:SS' Beijing time as epoch ms (NaN when it is not that). */
function updateTimeMs(v: unknown): number {
  if (typeof v !== 'string' || !UPDATE_TIME.test(v)) return NaN;
  return Date.parse(`${v.slice(0, 10)}T${v.slice(11, 19)}+08:00`);
}

/** Epoch ms as ISO 8601 Beijing time with offset, to the second. */
function beijingIso(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000 + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
}

function parseCursor(cursor: Cursor | null): EnterpriseCursor {
  if (cursor === null) return { phase: 'full', offset: 0, since: null };
  if (cursor.phase === 'full' && Number.isInteger(cursor.offset) && (cursor.offset as number) >= 0 && (cursor.since === null || typeof cursor.since === 'string')) {
    return { phase: 'full', offset: cursor.offset as number, since: cursor.since };
  }
  if (cursor.phase === 'incremental' && typeof cursor.since === 'string' && !Number.isNaN(Date.parse(cursor.since))
    && Array.isArray(cursor.seen) && cursor.seen.every((s) => typeof s === 'string')) {
    return { phase: 'incremental', since: cursor.since, seen: cursor.seen };
  }
  throw new SourceError(`enterprise: the saved cursor is not one this connector wrote: ${JSON.stringify(cursor).slice(0, 200)}`);
}

interface EnterprisesPage {
  records: RawRecord[];
  total: number;
  /** The register's Last-Modified as ISO 8601, if it said. */
  lastModified: string | null;
}

async function fetchPage(url: URL, ctx: ConnectorContext): Promise<EnterprisesPage> {
  const { head, records, response, where } = await fetchJsonPage(ctx, url, { key: 'items', idField: 'pripid' });
  if (typeof head.total !== 'number') throw new SourceError(`${where}: the answer has no total`);
  const modified = Date.parse(response.headers.get('last-modified') ?? '');
  return { records, total: head.total, lastModified: Number.isNaN(modified) ? null : beijingIso(modified) };
}

