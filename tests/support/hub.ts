import { randomBytes } from 'node:crypto';
import { startHub, type Hub } from '../../src/server/hub.js';
import { localKeys, type LocalKeys, type TokenRequest, type TokenVerifier } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Database } from '../../src/store/db.js';
import type { OperationLimits } from '../../src/server/limits.js';
import type { WebhookReceiver } from '../../src/server/webhooks.js';
import type { SearchBackend } from '../../src/search/types.js';
import type { EventBus } from '../../src/events/bus.js';
import type { Clock } from '../../src/domain/clock.js';
import type { LiveOptions } from '../../src/live/engine.js';
import type { ConsoleOptions } from '../../src/server/console.js';
import type { DeadLetterReplay } from '../../src/store/repositories/deadLetters.js';
import { WORLD_SETUP_TIMEOUT_MS, type DatabaseContext } from './databases.js';
import type { SyncedWorld } from './world.js';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: Array<{ message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }>;
}

export interface GqlOptions {
  /** null sends no Authorization header; default: a district administrator's token. */
  token?: string | null;
  /** null sends no x-purpose header. */
  purpose?: string | null;
  extensions?: Record<string, unknown>;
}

export interface TestHub {
  hub: Hub;
  keys: LocalKeys;
  token(req?: Partial<TokenRequest>): Promise<string>;
  /** POSTs an operation over real HTTP. */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, options?: GqlOptions | string | null): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

export const TEST_LIMITS: OperationLimits = {
  maxDepth: 12, maxAliases: 30, maxCost: 50_000, ratePerMinute: 100_000, introspection: true, persistedOperations: null,
};

export interface TestHubOverrides {
  limits?: Partial<OperationLimits>;
  production?: boolean;
  timeoutMs?: number;
  webhooks?: WebhookReceiver;
  search?: SearchBackend;
  bus?: EventBus;
  clock?: Clock;
  /** Default 0: tests run the case watcher themselves (hub.caseWatcher.runNow()). */
  caseWatchIntervalMs?: number;
  live?: LiveOptions;
  /** The web console's options; `devSignIn` lets its role picker mint tokens with this hub's key. */
  console?: Omit<ConsoleOptions, 'devKeys'> & { devSignIn?: boolean };
  replayDeadLetters?: DeadLetterReplay;
  /** Verifies Bearer tokens instead of the hub's own key (an identity provider's JWKS); `token()` still signs with the own key. */
  tokens?: TokenVerifier;
}

/** A hub on a free port over the given store, with its own signing key and silent logs. */
export async function startTestHub(db: Database, overrides: TestHubOverrides = {}): Promise<TestHub> {
  const keys = localKeys(randomBytes(32), 'liandong-test');
  const hub = await startHub({
    config: { HOST: '127.0.0.1', PORT: 0, NODE_ENV: overrides.production ? 'production' : 'test', SHUTDOWN_TIMEOUT_MS: 2000, REQUEST_TIMEOUT_MS: overrides.timeoutMs ?? 15_000 },
    limits: { ...TEST_LIMITS, ...overrides.limits },
    db,
    log: createLogger('silent'),
    tokens: overrides.tokens ?? keys,
    ...(overrides.webhooks ? { webhooks: overrides.webhooks } : {}),
    ...(overrides.search ? { search: overrides.search } : {}),
    ...(overrides.bus ? { bus: overrides.bus } : {}),
    ...(overrides.clock ? { clock: overrides.clock } : {}),
    caseWatchIntervalMs: overrides.caseWatchIntervalMs ?? 0,
    ...(overrides.live ? { live: overrides.live } : {}),
    ...(overrides.console ? { console: { ...overrides.console, devKeys: overrides.console.devSignIn ? keys : null } } : {}),
    ...(overrides.replayDeadLetters ? { replayDeadLetters: overrides.replayDeadLetters } : {}),
  });
  const token = (req: Partial<TokenRequest> = {}) => keys.sign({ subject: 'test-user', role: 'district-admin', ...req });
  const adminToken = await token();
  return {
    hub,
    keys,
    token,
    async gql(query, variables = {}, options = {}) {
      const opts: GqlOptions = typeof options === 'string' || options === null ? { token: options } : options;
      const bearer = opts.token === undefined ? adminToken : opts.token;
      const purpose = opts.purpose === undefined ? 'automated test' : opts.purpose;
      const res = await fetch(hub.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          ...(purpose ? { 'x-purpose': purpose } : {}),
        },
        body: JSON.stringify({ query, variables, ...(opts.extensions ? { extensions: opts.extensions } : {}) }),
      });
      const body = (await res.json()) as GraphQLResponse;
      return { ...body, status: res.status, headers: res.headers } as GraphQLResponse<any>;
    },
    stop: () => hub.stop(),
  };
}

/**
 * The usual suite setup: a fresh database as `npm start` leaves it on the run's tiny world
 * (describeEachDatabase's `openWorld`), and a hub over it, started before the suite's tests and
 * stopped after them. Read `db`, `t` and `world` inside tests and hooks (they are set in beforeAll);
 * `world.dir`'s world/ and truth/ files say who and what the synced entities are.
 */
export function worldHubFixture(ctx: Pick<DatabaseContext, 'openWorld'>, overrides: Parameters<typeof startTestHub>[1] = {}): { db: Database; t: TestHub; world: SyncedWorld } {
  const fixture = {} as { db: Database; t: TestHub; world: SyncedWorld };
  beforeAll(async () => {
    Object.assign(fixture, await ctx.openWorld());
    fixture.t = await startTestHub(fixture.db, overrides);
  }, WORLD_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await fixture.t?.stop();
    await fixture.db?.close();
  });
  return fixture;
}
