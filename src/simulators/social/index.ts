/**
 * Civil affairs (民政): a REST service behind OAuth2 client credentials over the generator's
 * departments/social/{special_groups,subsidies} files.
 *
 *   POST /oauth/token  grant_type=client_credentials, client id/secret by HTTP Basic or in the form
 *       → { access_token, token_type: 'Bearer', expires_in }; a wrong client → 401 invalid_client.
 *   GET /api/special-groups?page=P&pageSize=N[&updatedSince=ISO]
 *   GET /api/subsidies?page=P&pageSize=N[&updatedSince=ISO]
 *       With `Authorization: Bearer <token>`. Without updatedSince: the register in storage order.
 *       With it: records whose updated_at is after it (to the second), ordered by (updated_at,
 *       id). Answer: `{ page, pageSize, total, asOf, data: [...] }`, asOf being the instant every
 *       record was updated at or before. An expired or unknown token → 401 with
 *       `WWW-Authenticate: Bearer error="invalid_token"`.
 *
 * Tokens live `tokenTtlSeconds` (default 300; option, or POST /_control {"tokenTtlSeconds": n}).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson, startHttpShell } from '../common/server.js';
import { FaultState, breakJson, type Faults } from '../common/faults.js';
import { FileTable } from '../common/table.js';
import type { RunningSimulator, SimulatorFactory, SimulatorOptions } from '../common/simulator.js';
import { worldFile } from '../../world/read.js';
import { Rng } from '../../world/rng.js';
import { NOW_MS, isoBeijing } from '../../world/time.js';
import { LineIndex, afterSecond, beijingSecond, intParam, sendJsonArray, timeParam } from '../common/paging.js';

export const TOKEN_PATH = '/oauth/token';
export const SOCIAL_PATHS = { special_groups: '/api/special-groups', subsidies: '/api/subsidies' } as const;
type Stream = keyof typeof SOCIAL_PATHS;
const MAX_PAGE_SIZE = 1000;

export interface SocialSimulatorOptions extends SimulatorOptions {
  faults?: Partial<Faults>;
  /** Lifetime of issued tokens (default 300 s). */
  tokenTtlSeconds?: number;
  clientId?: string;
  clientSecret?: string;
}

export interface SocialStats {
  /** Tokens issued. */
  tokensIssued: number;
  /** Token requests refused (wrong client, bad grant). */
  tokensRefused: number;
  /** API requests refused with 401 (missing, expired or unknown token). */
  unauthorized: number;
}

export interface SocialSimulator extends RunningSimulator {
  readonly stats: SocialStats;
  /** Every record changed so far, in order. */
  readonly changedKeys: ReadonlyArray<{ stream: Stream; key: string }>;
  /** Forgets every issued token (as a restart of the authorisation server would). */
  revokeTokens(): void;
  tokenTtlSeconds: number;
}

/** FaultState that also takes `tokenTtlSeconds` from POST /_control. */
class SocialFaults extends FaultState {
  constructor(seed: number, initial: Partial<Faults>, private readonly onTtl: (seconds: number) => void) {
    super(seed, initial);
  }

  override set(patch: Partial<Faults> & { tokenTtlSeconds?: unknown }): void {
    const { tokenTtlSeconds, ...rest } = patch;
    if (typeof tokenTtlSeconds === 'number' && tokenTtlSeconds > 0) this.onTtl(tokenTtlSeconds);
    super.set(rest);
  }
}

const ROOM = /(\d+)室$/;
const HARDSHIP = ['最低生活保障', '最低生活保障边缘', '特困供养'];

function mobile(rng: Rng): string {
  return `1${rng.pick(['3', '5', '7', '8', '9'])}${rng.digits(9)}`;
}

/** A realistic edit to one special-group record: a new phone, a move, a reassessment, a guardian's new phone. */
export function editSpecialGroup(record: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  const r = { ...record };
  const u = rng.next();
  const address = typeof r.address === 'string' ? r.address : '';
  const guardian = r.guardian as { name: string; phone: string | null } | null;
  if (u < 0.25 && guardian && typeof guardian === 'object') {
    r.guardian = { ...guardian, phone: mobile(rng) };
  } else if (u < 0.45 && r.category === '困难群众') {
    r.detail = HARDSHIP.filter((d) => d !== r.detail)[rng.int(0, HARDSHIP.length - 2)] ?? HARDSHIP[0];
  } else if (u < 0.65 && ROOM.test(address)) {
    const old = address.match(ROOM)?.[1];
    let room = `${rng.int(1, 18)}0${rng.int(1, 4)}`;
    if (room === old) room = `${room}1`;
    r.address = address.replace(ROOM, `${room}室`);
  } else {
    r.phone = mobile(rng);
  }
  return r;
}

/** A realistic edit to one grant: stopped or resumed, or a new standard amount. */
export function editSubsidy(record: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  const r = { ...record };
  if (rng.chance(0.4)) r.status = r.status === '发放中' ? '已停发' : '发放中';
  else if (typeof r.monthly_amount_yuan === 'number') r.monthly_amount_yuan = r.monthly_amount_yuan + rng.pick([10, 20, 50, 70]);
  else r.status = '已停发';
  return r;
}

export async function startSocialSimulator(options: SocialSimulatorOptions): Promise<SocialSimulator> {
  const seed = options.seed ?? 1;
  const clientId = options.clientId ?? 'liandong-hub';
  const clientSecret = options.clientSecret ?? `mz-sim-secret-${seed}`;
  let ttlSeconds = options.tokenTtlSeconds ?? 300;
  const stats: SocialStats = { tokensIssued: 0, tokensRefused: 0, unauthorized: 0 };
  const tokens = new Map<string, number>(); // token → expires at (ms)

  const open = (stream: Stream, keyField: string) => {
    const file = worldFile(options.dataDir, `departments/social/${stream}`);
    if (file.endsWith('.gz')) throw new Error(`${file}: the social simulator pages through plain NDJSON; generate the world without gzip`);
    const table = new FileTable(file, {
      keyField,
      updatedAt: (r) => Date.parse(String(r.updated_at)),
      stamp: (r, ms) => ({ ...r, updated_at: isoBeijing(ms) }),
      baseHighWater: NOW_MS,
    });
    return { table, index: new LineIndex(file) };
  };
  const tables = { special_groups: open('special_groups', 'object_no'), subsidies: open('subsidies', 'grant_no') };
  const faults = new SocialFaults(seed * 41 + 1, { ...options.faults }, (s) => {
    ttlSeconds = s;
  });
  const rng = new Rng(seed * 41 + 2);
  const changedKeys: Array<{ stream: Stream; key: string }> = [];

  const serve = (lines: string[]): string[] => lines.map((line) => (faults.malformed() ? breakJson(line, faults.draw()) : line));

  const change = async (count: number): Promise<number> => {
    const seen = new Set<string>();
    const groupsShare = tables.special_groups.index.count / Math.max(1, tables.special_groups.index.count + tables.subsidies.index.count);
    for (let attempts = 0; seen.size < count && attempts < count * 20; attempts++) {
      const stream: Stream = rng.next() < groupsShare ? 'special_groups' : 'subsidies';
      const edit = stream === 'special_groups' ? editSpecialGroup : editSubsidy;
      for (const key of tables[stream].table.change(1, rng, edit)) {
        if (!seen.has(`${stream}/${key}`)) changedKeys.push({ stream, key });
        seen.add(`${stream}/${key}`);
      }
    }
    return seen.size;
  };

  const issueToken = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const text = (await readBody(req, 64 * 1024)).toString('utf8');
    const type = req.headers['content-type'] ?? '';
    let form: URLSearchParams;
    if (type.includes('application/json')) {
      try {
        form = new URLSearchParams(Object.entries(JSON.parse(text) as Record<string, string>).map(([k, v]): [string, string] => [k, String(v)]));
      } catch {
        sendJson(res, 400, { error: 'invalid_request', error_description: 'body is not JSON' });
        return;
      }
    } else {
      form = new URLSearchParams(text);
    }
    if (form.get('grant_type') !== 'client_credentials') {
      stats.tokensRefused++;
      sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'only grant_type=client_credentials is supported' });
      return;
    }
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon !== -1) {
        try {
          id = decodeURIComponent(decoded.slice(0, colon));
          secret = decodeURIComponent(decoded.slice(colon + 1));
        } catch {
          id = null;
        }
      }
    }
    if (id !== clientId || secret === null || !same(secret, clientSecret)) {
      stats.tokensRefused++;
      res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Basic realm="mz-oauth"' });
      res.end(JSON.stringify({ error: 'invalid_client', error_description: 'client authentication failed' }));
      return;
    }
    const now = Date.now();
    for (const [t, expires] of tokens) if (expires <= now) tokens.delete(t);
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, now + ttlSeconds * 1000);
    stats.tokensIssued++;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: ttlSeconds }));
  };

  const unauthorized = (res: ServerResponse, description: string, error = 'invalid_token'): void => {
    stats.unauthorized++;
    res.writeHead(401, {
      'content-type': 'application/json; charset=utf-8',
      'www-authenticate': `Bearer realm="mz-api", error="${error}", error_description="${description}"`,
    });
    res.end(JSON.stringify({ error, error_description: description }));
  };

  const shell = await startHttpShell({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    faults,
    change,
    route: async (req, res, url) => {
      if (url.pathname === TOKEN_PATH) {
        if (req.method !== 'POST') {
          sendJson(res, 405, { error: `use POST ${TOKEN_PATH}` });
          return;
        }
        await issueToken(req, res);
        return;
      }
      const stream = (Object.keys(SOCIAL_PATHS) as Stream[]).find((s) => SOCIAL_PATHS[s] === url.pathname);
      if (!stream || req.method !== 'GET') {
        sendJson(res, 404, { error: `no such resource: ${req.method ?? 'GET'} ${url.pathname}; try GET ${Object.values(SOCIAL_PATHS).join(' or ')}` });
        return;
      }
      const auth = req.headers.authorization;
      if (!auth?.startsWith('Bearer ')) {
        unauthorized(res, 'no bearer token', 'invalid_request');
        return;
      }
      const expires = tokens.get(auth.slice(7).trim());
      if (expires === undefined || expires <= Date.now()) {
        unauthorized(res, expires === undefined ? 'unknown token' : 'the token has expired');
        return;
      }
      const page = intParam(url, 'page', 1, 1, Number.MAX_SAFE_INTEGER);
      const pageSize = intParam(url, 'pageSize', 100, 1, MAX_PAGE_SIZE);
      const since = timeParam(url, 'updatedSince');
      if (typeof page === 'string' || typeof pageSize === 'string' || typeof since === 'string') {
        sendJson(res, 400, { error: [page, pageSize, since].find((v) => typeof v === 'string') });
        return;
      }
      const { table, index } = tables[stream];
      const head = (total: number) => ({ page, pageSize, total, asOf: beijingSecond(table.highWater) });
      const offset = (page - 1) * pageSize;
      if (since === null) {
        let lines: string[] = [];
        if (offset < index.count) {
          const scanned = table.scan(index.offsetOf(offset), pageSize);
          lines = scanned.lines;
          if (scanned.next !== null) index.remember(offset + lines.length, scanned.next);
        }
        sendJsonArray(res, head(index.count), 'data', serve(lines));
        return;
      }
      const found = table.changedSince(afterSecond(since), null, Number.MAX_SAFE_INTEGER);
      sendJsonArray(res, head(found.length), 'data', serve(found.slice(offset, offset + pageSize).map((s) => s.line)));
    },
  });

  const sim: SocialSimulator = {
    department: 'social',
    endpoint: shell.url,
    connectorConfig: { baseUrl: shell.url, clientId, clientSecret },
    faults,
    stats,
    changedKeys,
    change,
    revokeTokens: () => tokens.clear(),
    get tokenTtlSeconds() {
      return ttlSeconds;
    },
    set tokenTtlSeconds(s: number) {
      ttlSeconds = s;
    },
    async stop() {
      await shell.close();
      for (const t of Object.values(tables)) {
        t.table.close();
        t.index.close();
      }
    },
  };
  return sim;
}

startSocialSimulator satisfies SimulatorFactory;

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
