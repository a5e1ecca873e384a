import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { z } from 'zod';
import { SafeError } from '../errors.js';
import { ANONYMOUS, ROLE_IDS, type RoleId, type Viewer } from './viewer.js';

const dbIds = z.array(z.string().regex(/^\d{1,18}$/)).default([]);
const claimsSchema = z.object({
  sub: z.string().min(1),
  name: z.string().optional(),
  role: z.enum(ROLE_IDS),
  grids: dbIds,
  streets: dbIds,
  department: z.string().optional(),
});

/** Checks a token's signature, issuer and lifetime; what the claims mean is decided below. */
export interface TokenVerifier {
  verify(token: string): Promise<JWTPayload>;
}

/** The development (or single-service) key: HS256 with a shared secret. It can also sign. */
export interface LocalKeys extends TokenVerifier {
  sign(req: TokenRequest): Promise<string>;
}

export interface TokenRequest {
  subject: string;
  name?: string;
  role: RoleId;
  gridIds?: string[];
  streetIds?: string[];
  department?: string;
  expiresIn?: string;
}

export function localKeys(secret: Uint8Array, issuer: string): LocalKeys {
  return {
    verify: async (token) => (await jwtVerify(token, secret, { issuer, algorithms: ['HS256'] })).payload,
    sign: (req) =>
      new SignJWT({
        role: req.role,
        ...(req.name ? { name: req.name } : {}),
        grids: req.gridIds ?? [],
        streets: req.streetIds ?? [],
        ...(req.department ? { department: req.department } : {}),
      })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(req.subject)
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime(req.expiresIn ?? '12h')
        .sign(secret),
  };
}

/** Production: keys published by the identity provider as a JWKS, fetched and cached by jose. */
export function remoteJwks(url: string, issuer: string): TokenVerifier {
  const keySet = createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 });
  return {
    verify: async (token) =>
      (await jwtVerify(token, keySet, { issuer, algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'] })).payload,
  };
}

/**
 * The development key when no JWT_SECRET is configured: generated once into the data directory,
 * so `npx liandong token` and the running hub agree and no secret ever lives in the repository.
 */
export function developmentSecret(dataDir: string): Uint8Array {
  const file = join(dataDir, 'dev-jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  }
  return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}

/**
 * Viewers of tokens already verified, per verifier, until the token expires (at most
 * VERIFIED_MAX_AGE_MS): a client sends the same token with every request, and checking its
 * signature again each time costs more than many a query. A signed token cannot change, so the
 * answer cannot either; what a cache could miss is a key the identity provider withdrew, for at
 * most the maximum age.
 */
const verified = new WeakMap<TokenVerifier, Map<string, { viewer: Viewer; until: number }>>();
const VERIFIED_MAX_AGE_MS = 5 * 60_000;
const VERIFIED_MAX_TOKENS = 10_000;

/** The viewer behind an Authorization header value; no header is the anonymous viewer. */
export async function viewerFromAuthorization(verifier: TokenVerifier, header: string | undefined): Promise<Viewer> {
  if (!header) return ANONYMOUS;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw new SafeError('UNAUTHENTICATED', 'Authorization header must be "Bearer <token>".');
  const token = match[1];
  let cache = verified.get(verifier);
  if (!cache) verified.set(verifier, (cache = new Map<string, { viewer: Viewer; until: number }>()));
  const hit = cache.get(token);
  const now = Date.now();
  if (hit && hit.until > now) return hit.viewer;
  if (hit) cache.delete(token);
  const viewer = await verifiedViewer(verifier, token);
  const exp = typeof viewer.exp === 'number' ? viewer.exp * 1000 : now;
  if (exp > now) {
    // Oldest first out: a Map iterates in insertion order.
    if (cache.size >= VERIFIED_MAX_TOKENS) cache.delete(cache.keys().next().value!);
    cache.set(token, { viewer: viewer.viewer, until: Math.min(exp, now + VERIFIED_MAX_AGE_MS) });
  }
  return viewer.viewer;
}

async function verifiedViewer(verifier: TokenVerifier, token: string): Promise<{ viewer: Viewer; exp: number | undefined }> {
  try {
    const payload = await verifier.verify(token);
    const claims = claimsSchema.parse(payload);
    return { exp: payload.exp, viewer: {
      authenticated: true,
      subject: claims.sub,
      name: claims.name ?? null,
      role: claims.role,
      gridIds: claims.grids,
      streetIds: claims.streets,
      department: claims.department ?? null,
    } };
  } catch (err) {
    const reason =
      err instanceof joseErrors.JWTExpired ? 'the token has expired; mint a new one'
      : err instanceof z.ZodError ? 'the token lacks a valid sub or role claim'
      : 'the token is not valid for this hub';
    throw new SafeError('UNAUTHENTICATED', `Unauthenticated: ${reason}.`);
  }
}
