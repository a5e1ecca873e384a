import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { SafeError } from '../errors.js';
import { ANONYMOUS, ROLE_IDS, type RoleId, type Viewer } from './viewer.js';

const claimsSchema = z.object({
  sub: z.string().min(1),
  name: z.string().optional(),
  role: z.enum(ROLE_IDS),
  grids: z.array(z.string().regex(/^\d+$/)).default([]),
  department: z.string().optional(),
});

export interface TokenKeys {
  secret: Uint8Array;
  issuer: string;
}

/**
 * The signing key: JWT_SECRET when set (required in production), else a development key kept
 * in the data directory so that `npx liandong token` and the running hub agree without any
 * secret ever living in the repository.
 */
export function resolveTokenKeys(opts: { secret?: string | undefined; issuer: string; dataDir: string }): TokenKeys {
  if (opts.secret) return { secret: new TextEncoder().encode(opts.secret), issuer: opts.issuer };
  const file = join(opts.dataDir, 'dev-jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(opts.dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  }
  return { secret: new TextEncoder().encode(readFileSync(file, 'utf8').trim()), issuer: opts.issuer };
}

export interface TokenRequest {
  subject: string;
  name?: string;
  role: RoleId;
  gridIds?: string[];
  department?: string;
  expiresIn?: string;
}

export async function signToken(keys: TokenKeys, req: TokenRequest): Promise<string> {
  return new SignJWT({
    role: req.role,
    ...(req.name ? { name: req.name } : {}),
    grids: req.gridIds ?? [],
    ...(req.department ? { department: req.department } : {}),
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(req.subject)
    .setIssuer(keys.issuer)
    .setIssuedAt()
    .setExpirationTime(req.expiresIn ?? '12h')
    .sign(keys.secret);
}

/** The viewer behind an Authorization header value; no header is the anonymous viewer. */
export async function viewerFromAuthorization(keys: TokenKeys, header: string | undefined): Promise<Viewer> {
  if (!header) return ANONYMOUS;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw new SafeError('UNAUTHENTICATED', 'Authorization header must be "Bearer <token>".');
  try {
    const { payload } = await jwtVerify(match[1], keys.secret, { issuer: keys.issuer, algorithms: ['HS256'] });
    const claims = claimsSchema.parse(payload);
    return {
      authenticated: true,
      subject: claims.sub,
      name: claims.name ?? null,
      role: claims.role,
      gridIds: claims.grids,
      department: claims.department ?? null,
    };
  } catch (err) {
    const reason =
      err instanceof joseErrors.JWTExpired ? 'the token has expired; mint a new one'
      : err instanceof z.ZodError ? 'the token lacks a valid sub or role claim'
      : 'the token is not valid for this hub';
    throw new SafeError('UNAUTHENTICATED', `Unauthenticated: ${reason}.`);
  }
}
