/**
 * Civil affairs (民政局): special groups (独居老人, 残疾人, 困难群众, 留守儿童) and monthly grants.
 * A reference for people: it links to residents, never creates or overwrites them.
 *
 * Source: REST/JSON behind OAuth2 client credentials. `POST {tokenUrl}` (default
 * {baseUrl}/oauth/token) with the client id and secret (HTTP Basic, or in the form) gives a
 * bearer token with an expiry; `GET {baseUrl}/api/special-groups` and `/api/subsidies` with
 * `page`, `pageSize` and optionally `updatedSince` answer `{ page, pageSize, total, asOf, data }`.
 * The token is cached (per token URL and client) until shortly before it expires; an API 401
 * drops it, fetches a new one and asks once more. A client the token endpoint refuses is a
 * SourceError that names the token URL and is not retried.
 *
 * Cursor per stream:
 * - `{ phase: 'full', page, pageSize, since }` during the first full export (storage order);
 *   `since` is the service's asOf when it began, so changes made meanwhile are read next.
 * - `{ phase: 'incremental', since, seen }`: the updated_at of the last record delivered and the
 *   ids delivered at that second. Each request asks again from that mark (page 1) rather than
 *   paging on, because a record changed while we page moves to the end and shifts every page
 *   after it; asking from the mark cannot skip one.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { sourceIdFields,
  MappingError, SourceError, asObject, redactUrl,
  type Connector, type ConnectorContext, type Cursor, type MappedRecord, type Mention, type Page, type PersonFacts, type PersonTag, type RawRecord,
  textField as text, dateField as date,
  fetchJsonPage,
} from '../sdk/index.js';

const STREAMS = {
  special_groups: { path: 'api/special-groups', id: 'object_no' },
  subsidies: { path: 'api/subsidies', id: 'grant_no' },
} as const;
type Stream = keyof typeof STREAMS;

const config = z.object({
  baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be the civil affairs service\'s http(s) base URL, e.g. http://mz.example:8080' }),
  /** Where tokens come from; default {baseUrl}/oauth/token. */
  tokenUrl: z.url({ protocol: /^https?$/, error: 'tokenUrl must be an http(s) URL' }).optional(),
  clientId: z.string({ error: 'clientId is required (the OAuth2 client registered with civil affairs)' }).min(1, 'clientId is required'),
  clientSecret: z.string({ error: 'clientSecret is required' }).min(1, 'clientSecret is required'),
  /** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
  clientAuth: z.enum(['basic', 'form']).default('basic'),
  pageSize: z.number().int().min(1).max(1000).default(1000),
  timeoutMs: z.number().int().positive().default(30_000),
});

export type SocialConfig = z.output<typeof config>;

type SocialCursor =
  | { phase: 'full'; page: number; pageSize: number; since: string | null }
  | { phase: 'incremental'; since: string; seen: string[] };

const TAG: Readonly<Record<string, PersonTag>> = {
  独居老人: 'elderly_living_alone', 残疾人: 'disabled', 困难群众: 'hardship', 留守儿童: 'left_behind_child',
};

const connector: Connector<SocialConfig> = {
  spec: {
    name: 'social',
    displayName: '民政局 (特殊群体、救助补贴)',
    version: '1.0.0',
    description: 'Civil affairs: people in special groups (elderly living alone, disabled, hardship, left-behind children) and the monthly grants they receive. References people.',
    config,
    dataClass: 'social-services',
    intervalSeconds: 60 * 60,
    timeoutMs: 30_000,
    secrets: ['clientSecret'],
  },

  async check(cfg, ctx) {
    const tokenUrl = tokenUrlOf(cfg);
    try {
      await token(cfg, ctx, true);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { ok: false, message: `civil affairs token endpoint ${tokenUrl} did not issue a token: ${why}` };
    }
    const url = apiUrl(cfg, 'special_groups');
    url.searchParams.set('page', '1');
    url.searchParams.set('pageSize', '1');
    try {
      const page = await fetchPage(cfg, url, ctx, STREAMS.special_groups.id);
      return { ok: true, message: `civil affairs service at ${cfg.baseUrl} answers with a token from ${tokenUrl} (${page.total} special-group records)` };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { ok: false, message: `civil affairs service at ${cfg.baseUrl} is not usable: ${why}. Check that the service is running and baseUrl points at it.` };
    }
  },

  async discover() {
    return [
      { name: 'special_groups', describes: 'a person registered in a special group (独居老人, 残疾人, 困难群众, 留守儿童), with a guardian for left-behind children', syncMode: 'incremental' as const },
      { name: 'subsidies', describes: 'a monthly grant paid to a person (低保, 残疾人两项补贴, 高龄津贴, 居家养老服务补贴)', syncMode: 'incremental' as const },
    ];
  },

  async *read(cfg, stream, cursor, ctx): AsyncGenerator<Page> {
    if (!isStream(stream)) throw new SourceError(`social has no stream ${JSON.stringify(stream)}; it offers ${Object.keys(STREAMS).join(', ')}`);
    const idField = STREAMS[stream].id;
    let state = parseCursor(cursor, cfg.pageSize);
    while (state.phase === 'full') {
      const url = apiUrl(cfg, stream);
      url.searchParams.set('page', String(state.page));
      url.searchParams.set('pageSize', String(state.pageSize));
      const page = await fetchPage(cfg, url, ctx, idField);
      const since = state.since ?? page.asOf;
      const done = page.records.length < state.pageSize || state.page * state.pageSize >= page.total;
      state = done ? { phase: 'incremental', since, seen: [] } : { phase: 'full', page: state.page + 1, pageSize: state.pageSize, since };
      yield { records: page.records, cursor: state };
    }
    let pageNo = 1;
    for (;;) {
      const url = apiUrl(cfg, stream);
      // With records already seen at `since`, ask from that second on (ties) and drop them.
      url.searchParams.set('updatedSince', beijingIso(Date.parse(state.since) - (state.seen.length > 0 ? 1000 : 0)));
      url.searchParams.set('page', String(pageNo));
      url.searchParams.set('pageSize', String(cfg.pageSize));
      const page = await fetchPage(cfg, url, ctx, idField);
      const seen = new Set(state.seen);
      let sinceMs = Date.parse(state.since);
      let atSince: string[] = state.seen;
      const fresh: RawRecord[] = [];
      for (const record of page.records) {
        const data = 'data' in record && typeof record.data === 'object' && record.data !== null ? (record.data as Record<string, unknown>) : null;
        const id = data?.[idField];
        const key = typeof id === 'string' ? id : null;
        const t = data && typeof data.updated_at === 'string' ? Math.floor(Date.parse(data.updated_at) / 1000) * 1000 : NaN;
        if (key !== null && t === sinceMs && seen.has(key)) continue; // delivered already
        fresh.push(record);
        if (key === null || Number.isNaN(t) || t < sinceMs) continue;
        if (t > sinceMs) {
          sinceMs = t;
          atSince = [key];
          seen.clear();
        } else {
          atSince = [...atSince, key];
        }
        seen.add(key);
      }
      if (fresh.length > 0) {
        state = { phase: 'incremental', since: beijingIso(sinceMs), seen: atSince };
        yield { records: fresh, cursor: state };
      }
      if (page.records.length < cfg.pageSize) return;
      // A full page of records all delivered already (ties at one second): step over it.
      pageNo = fresh.length === 0 ? pageNo + 1 : 1;
    }
  },

  sourceIdOf: sourceIdFields({ special_groups: 'object_no', subsidies: 'grant_no' }),

  map(stream, record) {
    const r = asObject(record);
    if (stream === 'special_groups') return mapSpecialGroup(r);
    if (stream === 'subsidies') return mapSubsidy(r);
    throw new MappingError(`social has no stream ${JSON.stringify(stream)}`);
  },
};

export default connector;

function isStream(s: string): s is Stream {
  return Object.hasOwn(STREAMS, s);
}

/** A person in a special group: a reference to the resident, with the group as a tag. */
export function mapSpecialGroup(r: Record<string, unknown>): MappedRecord {
  const sourceId = text(r, 'object_no', true);
  const sex = r.sex === '男' ? 'male' : r.sex === '女' ? 'female' : null;
  if (sex === null) throw new MappingError(`sex must be 男 or 女, got ${JSON.stringify(r.sex)}`);
  const facts: PersonFacts = {
    name: text(r, 'name', true),
    sex,
    // Absent only in a record that gives just name and phone (no ID number, address or birth date).
    birthDate: r.birth_date === null || r.birth_date === undefined ? undefined : date(r, 'birth_date'),
    phone: text(r, 'phone', false),
    address: text(r, 'address', false),
  };
  const category = text(r, 'category', true);
  const tag = TAG[category];
  if (tag) facts.tags = [tag];
  const mentions: Mention[] = [];
  const guardian = r.guardian;
  if (guardian !== null && guardian !== undefined) {
    if (typeof guardian !== 'object' || Array.isArray(guardian)) throw new MappingError(`guardian must be an object or null, got ${JSON.stringify(guardian)}`);
    const g = guardian as Record<string, unknown>;
    const name = text(g, 'name', false);
    const phone = text(g, 'phone', false);
    if (name !== null || phone !== null) {
      const gFacts: PersonFacts = { phone };
      if (name !== null) gFacts.name = name;
      mentions.push({ role: 'guardian', ref: { kind: 'person', authority: 'reference', idNumber: null, facts: gFacts } });
    }
  }
  return {
    sourceId,
    updatedAt: time(r, 'updated_at'),
    subject: { kind: 'person', authority: 'reference', idNumber: text(r, 'id_number', false), facts },
    mentions,
  };
}

/** A grant: a reference to the person paid. */
export function mapSubsidy(r: Record<string, unknown>): MappedRecord {
  const sourceId = text(r, 'grant_no', true);
  return {
    sourceId,
    updatedAt: time(r, 'updated_at'),
    subject: { kind: 'person', authority: 'reference', idNumber: text(r, 'id_number', false), facts: { name: text(r, 'name', true) } },
  };
}



const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/;

function time(r: Record<string, unknown>, field: string): string {
  const v = text(r, field, true);
  if (!ISO_WITH_OFFSET.test(v) || Number.isNaN(Date.parse(v))) throw new MappingError(`${field}: not an ISO 8601 date-time with offset: ${JSON.stringify(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// OAuth2 client credentials

interface CachedToken {
  value: string;
  /** Use it until then (shortly before it expires). */
  until: number;
}


function tokenUrlOf(cfg: SocialConfig): string {
  return cfg.tokenUrl ?? new URL('oauth/token', cfg.baseUrl.endsWith('/') ? cfg.baseUrl : `${cfg.baseUrl}/`).toString();
}

/**
 * Tokens live in the host's cache (ctx.cache), per (token URL, client id, secret hash), as
 * promises so that concurrent readers share one request.
 */
function cacheKey(cfg: SocialConfig): string {
  return `social token\n${tokenUrlOf(cfg)}\n${cfg.clientId}\n${createHash('sha256').update(cfg.clientSecret).digest('hex')}`;
}

/** A bearer token: the cached one while it is fresh, else a new one. `fresh` skips the cache. */
async function token(cfg: SocialConfig, ctx: ConnectorContext, fresh = false): Promise<string> {
  const key = cacheKey(cfg);
  const cached = ctx.cache.get<Promise<CachedToken>>(key);
  if (!fresh && cached) {
    const t = await cached.catch(() => null);
    if (t && t.until > ctx.clock.now().getTime()) return t.value;
  }
  const request = requestToken(cfg, ctx);
  ctx.cache.set(key, request);
  try {
    return (await request).value;
  } catch (error) {
    if (ctx.cache.get(key) === request) ctx.cache.delete(key);
    throw error;
  }
}

async function requestToken(cfg: SocialConfig, ctx: ConnectorContext): Promise<CachedToken> {
  const tokenUrl = tokenUrlOf(cfg);
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (cfg.clientAuth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(cfg.clientId)}:${encodeURIComponent(cfg.clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', cfg.clientId);
    form.set('client_secret', cfg.clientSecret);
  }
  const started = ctx.clock.now().getTime();
  const response = await ctx.http.fetch(tokenUrl, { method: 'POST', headers, body: form.toString() });
  const body = await response.text().catch(() => '');
  if (response.status === 401) {
    throw new SourceError(
      `POST ${tokenUrl}: 401 ${oauthError(body) ?? 'Unauthorized'}: the token endpoint refused client ${JSON.stringify(cfg.clientId)}; check clientId and clientSecret`,
      { failureType: 'config' },
    );
  }
  if (response.status !== 200) throw new SourceError(`POST ${tokenUrl}: ${response.status} ${body.slice(0, 200)}`.trim());
  let parsed: Record<string, unknown>;
  try {
    parsed = asObject(JSON.parse(body));
  } catch {
    throw new SourceError(`POST ${tokenUrl}: the token answer is not a JSON object: ${body.slice(0, 200)}`);
  }
  if (typeof parsed.access_token !== 'string' || parsed.access_token === '') throw new SourceError(`POST ${tokenUrl}: the token answer has no access_token`);
  if (typeof parsed.token_type === 'string' && parsed.token_type.toLowerCase() !== 'bearer') {
    throw new SourceError(`POST ${tokenUrl}: token_type ${parsed.token_type} is not Bearer`);
  }
  const lifetimeMs = (typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 300) * 1000;
  // Renew a little before the end: 10 % of the lifetime, at most 30 s.
  return { value: parsed.access_token, until: started + lifetimeMs - Math.min(30_000, lifetimeMs * 0.1) };
}

function oauthError(body: string): string | null {
  try {
    const o = JSON.parse(body) as { error?: unknown };
    return typeof o.error === 'string' ? o.error : null;
  } catch {
    return null;
  }
}

/** GET with the bearer token; on a 401, a new token and one more try. */
async function authorizedGet(cfg: SocialConfig, url: URL, ctx: ConnectorContext): Promise<Response> {
  const get = async (bearer: string) => ctx.http.fetch(url, { headers: { accept: 'application/json', authorization: `Bearer ${bearer}` } });
  let response = await get(await token(cfg, ctx));
  if (response.status === 401) {
    await response.body?.cancel();
    response = await get(await token(cfg, ctx, true));
    if (response.status === 401) {
      const challenge = response.headers.get('www-authenticate') ?? '';
      await response.body?.cancel();
      throw new SourceError(`GET ${redactUrl(url)}: 401 even with a fresh token from ${tokenUrlOf(cfg)} (${challenge}); the client may lack access to this API`, { failureType: 'config' });
    }
  }
  return response;
}

// ---------------------------------------------------------------------------------------------
// Transport

function apiUrl(cfg: SocialConfig, stream: Stream): URL {
  return new URL(STREAMS[stream].path, cfg.baseUrl.endsWith('/') ? cfg.baseUrl : `${cfg.baseUrl}/`);
}

/** Epoch ms as ISO 8601 Beijing time with offset, to the second. */
function beijingIso(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000 + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
}

function parseCursor(cursor: Cursor | null, pageSize: number): SocialCursor {
  if (cursor === null) return { phase: 'full', page: 1, pageSize, since: null };
  const { phase, page, since, seen } = cursor;
  if (phase === 'full' && Number.isInteger(page) && (page as number) >= 1 && Number.isInteger(cursor.pageSize) && (cursor.pageSize as number) >= 1
    && (since === null || typeof since === 'string')) {
    return { phase: 'full', page: page as number, pageSize: cursor.pageSize as number, since };
  }
  if (phase === 'incremental' && typeof since === 'string' && !Number.isNaN(Date.parse(since)) && Array.isArray(seen) && seen.every((s) => typeof s === 'string')) {
    return { phase: 'incremental', since, seen };
  }
  throw new SourceError(`social: the saved cursor is not one this connector wrote: ${JSON.stringify(cursor).slice(0, 200)}`);
}

interface SocialPage {
  records: RawRecord[];
  total: number;
  asOf: string;
}

async function fetchPage(cfg: SocialConfig, url: URL, ctx: ConnectorContext, idField: string): Promise<SocialPage> {
  const { head, records, where } = await fetchJsonPage(ctx, url, { key: 'data', idField, request: (u) => authorizedGet(cfg, u, ctx) });
  if (typeof head.total !== 'number') throw new SourceError(`${where}: the answer has no total`);
  if (typeof head.asOf !== 'string' || Number.isNaN(Date.parse(head.asOf))) throw new SourceError(`${where}: the answer has no valid asOf (got ${JSON.stringify(head.asOf)})`);
  return { records, total: head.total, asOf: head.asOf };
}

