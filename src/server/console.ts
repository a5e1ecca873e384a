/**
 * The web console (web/, built into dist/web by `npm run build`) on the hub's own port: the
 * single-page app at `/`, GraphiQL at `/graphiql`, and the two small JSON endpoints the sign-in
 * screen needs before it has a token.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';
import { z } from 'zod';
import type { Knex } from 'knex';
import { ROLE_IDS, type RoleId } from '../auth/viewer.js';
import type { LocalKeys } from '../auth/tokens.js';
import { signInChoices } from '../store/repositories/signInChoices.js';
import { HttpError, MAX_BODY_BYTES, sendJson } from './http.js';

export const CONSOLE_API_PREFIX = '/console/';

export interface ConsoleOptions {
  /** The built console; default dist/web of this package. */
  dir?: string;
  /** Signs development tokens for the role picker; absent (always in production): no picker. */
  devKeys?: LocalKeys | null;
  /** OIDC authorization code + PKCE against the identity provider the hub trusts. */
  oidc?: { issuer: string; clientId: string; scope: string } | null;
  /** An operator's own tile server (`https://tiles.internal/{z}/{x}/{y}.png`); absent: boundaries only. */
  tileUrl?: string | null;
}

/** What the console fetches first: which ways to sign in this hub offers, and the map's tiles. */
export interface ConsoleConfig {
  devSignIn: boolean;
  oidc: { issuer: string; clientId: string; scope: string } | null;
  tileUrl: string | null;
}

/** dist/web whether this module runs compiled (dist/src/server) or from source under Jest (src/server). */
export function defaultConsoleDir(): string {
  const up = fileURLToPath(new URL('../../', import.meta.url));
  return basename(up) === 'dist' ? join(up, 'web') : join(up, 'dist', 'web');
}

function origin(url: string): string | null {
  try {
    return new URL(url.replace(/\{[a-z]\}/g, '0')).origin;
  } catch {
    return null;
  }
}

/**
 * Everything from this origin only: no CDN, no inline script. Styles allow inline attributes
 * because React and GraphiQL set them; the identity provider and the tile server, when
 * configured, are the only other origins the page may reach.
 */
export function contentSecurityPolicy(options: ConsoleOptions): string {
  const idp = options.oidc ? origin(options.oidc.issuer) : null;
  const tiles = options.tileUrl ? origin(options.tileUrl) : null;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data:${tiles ? ` ${tiles}` : ''}`,
    "font-src 'self' data:",
    `connect-src 'self' ws: wss:${idp ? ` ${idp}` : ''}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const devTokenRequest = z.object({
  role: z.enum(ROLE_IDS),
  name: z.string().max(60).optional(),
  gridId: z.string().regex(/^\d{1,18}$/).optional(),
  streetId: z.string().regex(/^\d{1,18}$/).optional(),
  department: z.string().regex(/^[a-z_]{1,40}$/).optional(),
});

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', 'Request body too large.');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'Request body is not valid JSON.');
  }
}

export interface ConsoleHandler {
  /** Whether the built console exists (a hub run from a checkout that skipped the web build has none). */
  readonly built: boolean;
  readonly csp: string;
  /** The console's JSON endpoints under /console/. */
  serveApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
  /** Static files and the app's routes. Calls `notFound` for paths that are neither. */
  serveStatic(req: IncomingMessage, res: ServerResponse, notFound: () => void): void;
}

export function createConsole(knex: Knex, options: ConsoleOptions): ConsoleHandler {
  const dir = options.dir ?? defaultConsoleDir();
  const built = existsSync(join(dir, 'index.html'));
  const csp = contentSecurityPolicy(options);
  const config: ConsoleConfig = { devSignIn: Boolean(options.devKeys), oidc: options.oidc ?? null, tileUrl: options.tileUrl ?? null };
  const securityHeaders = (res: ServerResponse) => {
    res.setHeader('content-security-policy', csp);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
  };
  const files = built
    ? sirv(dir, {
      gzip: true,
      etag: true,
      setHeaders: (res, pathname) => {
        securityHeaders(res);
        // Vite names every asset by its content hash, so a cached one never goes stale; the
        // HTML that names them must be asked for again each time.
        res.setHeader('cache-control', pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    })
    : null;

  return {
    built,
    csp,
    async serveApi(req, res, path) {
      const name = path.slice(CONSOLE_API_PREFIX.length);
      if (name === 'config.json' && req.method === 'GET') {
        sendJson(res, 200, config, { 'cache-control': 'no-cache' });
      } else if (name === 'dev-choices' && req.method === 'GET') {
        if (!options.devKeys) throw new HttpError(404, 'NOT_FOUND', 'Development sign-in is off on this hub.');
        sendJson(res, 200, await signInChoices(knex), { 'cache-control': 'no-store' });
      } else if (name === 'dev-token' && req.method === 'POST') {
        if (!options.devKeys) throw new HttpError(404, 'NOT_FOUND', 'Development sign-in is off on this hub.');
        const parsed = devTokenRequest.safeParse(await readJson(req));
        if (!parsed.success) throw new HttpError(400, 'BAD_USER_INPUT', `Development token: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        const r = parsed.data;
        const role: RoleId = r.role;
        const token = await options.devKeys.sign({
          subject: `dev-${role}`,
          name: r.name ?? `dev ${role}`,
          role,
          gridIds: r.gridId ? [r.gridId] : [],
          streetIds: r.streetId ? [r.streetId] : [],
          ...(r.department ? { department: r.department } : {}),
          expiresIn: '12h',
        });
        sendJson(res, 200, { token }, { 'cache-control': 'no-store' });
      } else {
        throw new HttpError(404, 'NOT_FOUND', `Nothing at ${path}.`);
      }
    },
    serveStatic(req, res, notFound) {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (!files || (req.method !== 'GET' && req.method !== 'HEAD')) {
        notFound();
        return;
      }
      // GraphiQL is its own page; any other path without an extension is a route of the app
      // (/person/…), answered with its index.html; a path with one is a file, or a 404.
      if (path === '/graphiql' || path === '/graphiql/') req.url = '/graphiql.html';
      else if (!/\.[a-z0-9]+$/i.test(path)) req.url = '/index.html';
      files(req, res, notFound);
    },
  };
}
