import { randomBytes } from 'node:crypto';
import { startHub, type Hub } from '../../src/server/hub.js';
import { signToken, type TokenKeys, type TokenRequest } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Database } from '../../src/store/db.js';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }>;
}

export interface TestHub {
  hub: Hub;
  keys: TokenKeys;
  token(req?: Partial<TokenRequest>): Promise<string>;
  /** POSTs an operation over real HTTP; `token: null` sends no Authorization header. */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

/** A hub on a free port over the given store, with its own signing key and silent logs. */
export async function startTestHub(db: Database): Promise<TestHub> {
  const keys: TokenKeys = { secret: randomBytes(32), issuer: 'liandong-test' };
  const hub = await startHub({
    config: { HOST: '127.0.0.1', PORT: 0, NODE_ENV: 'test', SHUTDOWN_TIMEOUT_MS: 2000 },
    db,
    log: createLogger('silent'),
    tokenKeys: keys,
  });
  const token = (req: Partial<TokenRequest> = {}) => signToken(keys, { subject: 'test-user', role: 'district-admin', ...req });
  const adminToken = await token();
  return {
    hub,
    keys,
    token,
    async gql(query, variables = {}, bearer = adminToken) {
      const res = await fetch(hub.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as GraphQLResponse;
      return { ...body, status: res.status } as GraphQLResponse<any>;
    },
    stop: () => hub.stop(),
  };
}
