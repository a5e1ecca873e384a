import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, OperationTypeNode, getOperationAST, specifiedRules, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../store/db.js';
import { ping } from '../store/db.js';
import { createDataLayer } from '../store/dataLayer.js';
import { AuditWriter } from '../store/audit.js';
import { viewerFromAuthorization, type TokenVerifier } from '../auth/tokens.js';
import type { Viewer } from '../auth/viewer.js';
import { DATABASE_RETRY_AFTER_SECONDS, SafeError } from '../errors.js';
import { serveWebhook, WEBHOOK_PREFIX, type WebhookReceiver } from './webhooks.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { traceQueries, tracingPlugin } from '../observability/tracing.js';
import type { RequestContext } from '../resolvers/context.js';
import { maskError } from './errors.js';
import { HttpError, handleGraphQL, sendError, sendJson } from './http.js';
import { assertCost, createRateLimiter, resolveOperationText, validationRules, type OperationLimits } from './limits.js';
import { personFieldsOf } from './personFields.js';
import { createExecutor } from './executor.js';
import type { SearchBackend } from '../search/types.js';
import { buildSchema } from './schema.js';
import { InProcessBus, type EventBus } from '../events/bus.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { startCaseWatcher, type CaseWatcher } from '../store/caseWatcher.js';
import { LiveEngine, type LiveExecutionArgs, type LiveOptions } from '../live/engine.js';
import { DocumentCache } from '../live/documents.js';
import { createResolutionServices, type ResolutionServices } from '../resolution/decisions.js';
import { CONSOLE_API_PREFIX, createConsole, type ConsoleOptions } from './console.js';
import type { DeadLetterReplay } from '../store/repositories/deadLetters.js';

export const GRAPHQL_PATH = '/graphql';
const DEFAULT_CASE_WATCH_INTERVAL_MS = 30_000;
/** The header (or WebSocket connection param) declaring why personal data is read. */
export const PURPOSE_HEADER = 'x-purpose';
const MAX_PURPOSE_LENGTH = 200;
/** Most lexical tokens an operation may have, over HTTP and WebSocket alike. */
export const MAX_TOKENS = 20_000;

export interface HubOptions {
  config: Pick<Config, 'HOST' | 'PORT' | 'NODE_ENV' | 'SHUTDOWN_TIMEOUT_MS' | 'REQUEST_TIMEOUT_MS'>;
  limits: OperationLimits;
  db: Database;
  log: Logger;
  tokens: TokenVerifier;
  /** Ingests records departments push to /webhooks/<connector>; absent: no webhooks. */
  webhooks?: WebhookReceiver;
  /** Serves `search`, and is checked by /readyz; absent: `search` answers SERVICE_UNAVAILABLE. */
  search?: SearchBackend;
  /**
   * Notices that the case and change logs grew (createEventBus); absent: an in-process bus the
   * hub owns, which only this hub's own writes reach. The caller closes a bus it passed.
   */
  bus?: EventBus;
  /** What "now" is for SLAs and dashboards; absent: the system clock. */
  clock?: Clock;
  /** Live subscription limits (slow-consumer bound, replay size, dashboard timing). */
  live?: LiveOptions;
  /** How often the case watcher takes in department records and escalates overdue cases; 0: never (tests call it). Default 30 s. */
  caseWatchIntervalMs?: number;
  /** The Resolver and places review, correction and resolvePerson use; absent: the hub makes its own, kept for its life. */
  resolution?: ResolutionServices;
  /** The web console at `/`; absent: no console. Its development sign-in is off in production whatever is passed. */
  console?: ConsoleOptions;
  /** Replays a department's dead letters through its connector (the process that runs the connectors passes it); absent: replayDeadLetters is unavailable. */
  replayDeadLetters?: DeadLetterReplay;
}

export interface Hub {
  readonly url: string;
  readonly port: number;
  readonly httpServer: Server;
  readonly metrics: Metrics;
  readonly audit: AuditWriter;
  /** The bus subscriptions listen on: publish here after committing to case_event or change_event. */
  readonly bus: EventBus;
  readonly live: LiveEngine;
  /** Intake from department records and escalation of overdue cases; runs on its interval, or now. */
  readonly caseWatcher: CaseWatcher;
  /** Stops taking work, drains HTTP and WebSocket clients, writes queued audit rows. Does not close the database. */
  stop(): Promise<void>;
}

/** HTTP headers carry Latin-1 only: a purpose in Chinese arrives percent-encoded (`encodeURIComponent`). */
function purposeOf(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  let purpose = String(value).trim();
  if (purpose.includes('%')) {
    try {
      purpose = decodeURIComponent(purpose);
    } catch {
      throw new SafeError('BAD_USER_INPUT', `${PURPOSE_HEADER} is not valid percent-encoding.`);
    }
  }
  if (purpose.length > MAX_PURPOSE_LENGTH) {
    throw new SafeError('BAD_USER_INPUT', `${PURPOSE_HEADER} must be at most ${MAX_PURPOSE_LENGTH} characters.`);
  }
  return purpose || null;
}

/** Serves GraphQL over HTTP and WebSocket on one port and path, with health, readiness and metrics. */
export async function startHub({ config, limits, db, log, tokens, webhooks, search, ...options }: HubOptions): Promise<Hub> {
  const schema = buildSchema();
  const metrics = createMetrics();
  const audit = new AuditWriter(db.knex, log);
  for (const pool of new Set([db.knex, db.background])) {
    pool.on('query', () => metrics.dbQueries.inc());
    traceQueries(pool);
  }
  const rules = validationRules(limits);
  const rateLimit = createRateLimiter(limits);
  const ownBus = options.bus ? null : new InProcessBus();
  const bus = options.bus ?? ownBus!;
  const clock = options.clock ?? systemClock;
  const resolution = options.resolution ?? createResolutionServices(db.knex);

  const contextFor = (viewer: Viewer, purpose: string | null, requestLog: Logger): RequestContext => ({
    viewer,
    purpose,
    data: createDataLayer(db.knex, viewer, {
      purpose, deadline: Date.now() + config.REQUEST_TIMEOUT_MS, search: search ?? null, bus, clock, resolution, replayDeadLetters: options.replayDeadLetters ?? null,
    }),
    log: requestLog,
  });
  const recordReads = (ctx: RequestContext, args: Pick<ExecutionArgs, 'document' | 'operationName'>) => {
    if (ctx.data.reads.personIds.size) {
      audit.record(ctx.viewer, ctx.data.reads, personFieldsOf(schema, args.document), ctx.purpose, args.operationName ?? null);
    }
  };

  const live = new LiveEngine({
    ...options.live,
    schema,
    knex: db.knex,
    bus,
    clock,
    log,
    contextFor: (viewer, purpose) => contextFor(viewer, purpose, log),
    format: (result) => (result.errors?.length ? { ...result, errors: result.errors.map((e) => maskError(log, e.toJSON(), e)) } : result) as ExecutionResult,
    onSlowConsumer: () => metrics.liveSlowConsumers.inc(),
    audit: (target, ctx, args) => {
      if (ctx.data.reads.personIds.size) {
        audit.record(target.viewer, ctx.data.reads, personFieldsOf(schema, args.document), target.purpose, args.operationName ?? null);
      }
    },
  });
  await live.start();

  let state: 'serving' | 'stopping' = 'serving';
  const httpServer = createServer();
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const production = config.NODE_ENV === 'production';
  const webConsole = options.console ? createConsole(db.knex, { ...options.console, devKeys: production ? null : options.console.devKeys ?? null }) : null;

  const execute = createExecutor(schema);
  const apollo = new ApolloServer<RequestContext>({
    // Apollo's gateway hook is its one way to take another executor (src/server/executor.ts).
    gateway: {
      load: async () => ({
        // The name the client sent, not the one Apollo resolved (null when it resolved none): a
        // name the document lacks must fail execution, as it does without a gateway.
        executor: (rc) => execute({ schema, document: rc.document, variableValues: rc.request.variables, contextValue: rc.context, operationName: rc.request.operationName }),
      }),
      onSchemaLoadOrUpdate: (callback) => {
        callback({ apiSchema: schema, coreSupergraphSdl: '' });
        return () => {};
      },
      stop: async () => {},
    },
    introspection: limits.introspection,
    validationRules: rules,
    // Automatic persisted queries would let any client register operations; the allow-list is ours.
    persistedQueries: false,
    // The same bound as the WebSocket path: a megabyte of fields costs parse time before any limit sees it.
    parseOptions: { maxTokens: MAX_TOKENS },
    // The hub's own shutdown drains HTTP, then writes the queued audit rows, then exits 0; Apollo
    // re-sending the signal first would kill the process before that.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => maskError(log, formatted, error),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.SHUTDOWN_TIMEOUT_MS }),
      // The hub sets no cache hints, and Apollo's default cache-control plugin wraps every field
      // resolver to compute them: a third of a 100-row list's execution time, for nothing.
      ApolloServerPluginCacheControlDisabled(),
      tracingPlugin<RequestContext>(),
      {
        async requestDidStart() {
          const started = process.hrtime.bigint();
          return {
            async didResolveOperation({ document, request, operationName }) {
              assertCost(schema, document, request.variables, operationName ?? undefined, limits);
            },
            async willSendResponse({ operation, errors, response, contextValue, document, operationName }) {
              if (document) recordReads(contextValue, { document, operationName });
              const type = operation?.operation ?? 'unknown';
              const failed = (errors?.length ?? 0) > 0 || (response.body.kind === 'single' && (response.body.singleResult.errors?.length ?? 0) > 0);
              // The database was not there: say so at the HTTP level too, so clients and proxies retry.
              if (response.body.kind === 'single' && response.body.singleResult.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE' && e.extensions.retryable === true)) {
                response.http.status = 503;
                response.http.headers.set('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
              }
              metrics.operations.inc({ type, outcome: failed ? 'error' : 'ok' });
              metrics.operationDuration.observe({ type }, Number(process.hrtime.bigint() - started) / 1e9);
            },
          };
        },
        // Stop the WebSocket side when Apollo stops, after HTTP has drained.
        async serverWillStart() {
          return { drainServer: async () => { await live.stop(); await wsCleanup.dispose(); } };
        },
      },
      ...(production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  });

  // Every subscriber of one subscription shares its syntax tree (src/live/documents.ts).
  const documents = new DocumentCache(schema, [...specifiedRules, ...rules]);
  type WsExtra = { viewer?: Viewer; purpose?: string | null; request: IncomingMessage };
  const wsCleanup = useServer<Record<string, unknown> | undefined, Omit<WsExtra, 'request'>>(
    {
      schema,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const header = typeof params.authorization === 'string' ? params.authorization : ctx.extra.request.headers.authorization;
        try {
          ctx.extra.viewer = await viewerFromAuthorization(tokens, header);
          ctx.extra.purpose = purposeOf(params[PURPOSE_HEADER] ?? params.purpose ?? ctx.extra.request.headers[PURPOSE_HEADER]);
          metrics.wsConnections.inc();
          return true;
        } catch {
          return false; // closes with 4403 Forbidden
        }
      },
      onClose: (ctx) => {
        if (ctx.extra.viewer) metrics.wsConnections.dec();
      },
      // The same gate as HTTP: allow-list, rate limit, validation with the limits, cost; then a
      // fresh context, so fresh loaders and a fresh read log, for every operation.
      onSubscribe: async (ctx, id, payload) => {
        const viewer = ctx.extra.viewer ?? { authenticated: false as const };
        try {
          await rateLimit(viewer.authenticated ? `sub:${viewer.subject}` : `ip:${ctx.extra.request.socket.remoteAddress ?? '?'}`);
          const text = resolveOperationText(payload, limits) ?? '';
          const { document, errors } = documents.check(text);
          if (errors) return [...errors];
          const variableValues = payload.variables ?? undefined;
          const operationName = payload.operationName ?? undefined;
          assertCost(schema, document, variableValues, operationName, limits);
          const purpose = ctx.extra.purpose ?? null;
          // A subscription's events each get a fresh context from the live engine; one held for
          // its whole life would only cost memory (and stale loaders if it were ever used).
          const subscription = getOperationAST(document, operationName)?.operation === OperationTypeNode.SUBSCRIPTION;
          return {
            schema, document, variableValues, operationName,
            contextValue: subscription ? null : contextFor(viewer, purpose, log),
            // Subscriptions are served by the live engine, which writes to the socket itself.
            live: { socket: ctx.extra.socket, id, viewer, purpose },
          } satisfies LiveExecutionArgs;
        } catch (err) {
          if (err instanceof GraphQLError) return [err];
          throw err;
        }
      },
      subscribe: (args) => live.subscribe(args as LiveExecutionArgs),
      onNext: (_ctx, _id, _payload, args, result) => {
        // Subscriptions carry no context (the live engine audits its own deliveries).
        if (args.contextValue) recordReads(args.contextValue as RequestContext, args);
        const { errors, ...rest } = result;
        if (!errors?.length) return result;
        return { ...rest, errors: errors.map((e) => maskError(log, e.toJSON(), e)) };
      },
    },
    wsServer,
  );

  await apollo.start();

  const serveGraphQL = async (req: IncomingMessage, res: ServerResponse) => {
    let viewer: Viewer;
    let purpose: string | null;
    try {
      viewer = await viewerFromAuthorization(tokens, req.headers.authorization);
      purpose = purposeOf(req.headers[PURPOSE_HEADER]);
    } catch (err) {
      if (err instanceof SafeError) throw HttpError.from(err.extensions.code === 'UNAUTHENTICATED' ? 401 : 400, err);
      throw err;
    }
    try {
      await rateLimit(viewer.authenticated ? `sub:${viewer.subject}` : `ip:${req.socket.remoteAddress ?? '?'}`);
    } catch (err) {
      if (err instanceof SafeError) throw HttpError.from(429, err, { 'retry-after': String(err.extensions.retryAfterSeconds ?? 60) });
      throw err;
    }
    const requestLog = log.child({ reqId: req.headers['x-request-id'] ?? undefined });
    // Someone waits on this one: on PGlite its statements go before the background jobs'.
    await db.interactive(() => handleGraphQL(apollo, req, res, {
      context: async () => contextFor(viewer, purpose, requestLog),
      timeoutMs: config.REQUEST_TIMEOUT_MS,
      ...(limits.persistedOperations
        ? {
            prepareBody: (body) => {
              try {
                // The text is resolved here; Apollo must not see its own (disabled) persisted-query extension.
                const { extensions, ...rest } = body;
                const { persistedQuery: _resolved, ...otherExtensions } = (extensions ?? {}) as Record<string, unknown>;
                return { ...rest, extensions: otherExtensions, query: resolveOperationText(body, limits) };
              } catch (err) {
                if (err instanceof SafeError) throw HttpError.from(400, err);
                throw err;
              }
            },
          }
        : {}),
    }));
  };

  httpServer.on('request', (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const done = (route: string) => res.once('finish', () => metrics.httpRequests.inc({ route, status: String(res.statusCode) }));
    if (path === '/healthz') {
      done('healthz');
      sendJson(res, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      done('readyz');
      void readiness(state, db, bus, search).then(({ ready, checks }) => sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks }));
    } else if (path === '/metrics') {
      done('metrics');
      // Read at scrape time from the engine itself, never a second tally that could drift.
      const { subscribers, groups } = live.stats();
      metrics.liveSubscribers.set(subscribers);
      metrics.liveGroups.set(groups);
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      });
    } else if (path === GRAPHQL_PATH) {
      done('graphql');
      serveGraphQL(req, res).catch((err: unknown) => {
        if (res.headersSent) {
          res.end();
        } else if (err instanceof HttpError) {
          sendError(res, err);
        } else {
          log.error({ err }, 'unhandled error serving /graphql');
          sendError(res, new HttpError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'));
        }
      });
    } else if (webhooks && path.startsWith(WEBHOOK_PREFIX)) {
      done('webhook');
      serveWebhook(req, res, path, webhooks).catch((err: unknown) => {
        log.error({ err, path }, 'webhook failed');
        // Every request gets an answer; a socket left open is a resource an anonymous client holds.
        if (!res.headersSent) sendJson(res, 500, { error: 'the hub could not take the push; the sender should retry' });
        else res.end();
      });
    } else if (webConsole && path.startsWith(CONSOLE_API_PREFIX)) {
      done('console');
      webConsole.serveApi(req, res, path).catch((err: unknown) => {
        if (err instanceof HttpError) sendError(res, err);
        else {
          log.error({ err }, 'unhandled error serving the console');
          sendError(res, new HttpError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'));
        }
      });
    } else {
      const notFound = () => sendJson(res, 404, { error: `Nothing at ${path}. GraphQL is served at ${GRAPHQL_PATH}${webConsole?.built ? ', the console at /' : ''}.` });
      done(webConsole?.built ? 'console' : 'other');
      if (webConsole) webConsole.serveStatic(req, res, notFound);
      else notFound();
    }
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}${GRAPHQL_PATH}`;
  log.info({ url, database: db.kind, persistedOperationsOnly: limits.persistedOperations !== null }, 'hub is serving');
  // Nobody waits on intake and escalation: the background pool, so they never hold a request's connection.
  const caseWatcher = startCaseWatcher({ knex: db.background, bus, clock }, { intervalMs: options.caseWatchIntervalMs ?? DEFAULT_CASE_WATCH_INTERVAL_MS, log });

  return {
    url,
    port,
    httpServer,
    metrics,
    audit,
    bus,
    caseWatcher,
    live,
    stop: async () => {
      if (state === 'stopping') return;
      state = 'stopping';
      log.info('hub is stopping: draining HTTP and WebSocket clients');
      await caseWatcher.stop();
      await apollo.stop();
      wsServer.close();
      await audit.flush();
      await ownBus?.close();
    },
  };
}

async function readiness(state: 'serving' | 'stopping', db: Database, bus: EventBus, search: SearchBackend | undefined) {
  const checks: Record<string, string> = {};
  if (state !== 'serving') checks.hub = 'stopping';
  try {
    await ping(db.knex);
    checks.database = 'ok';
  } catch (err) {
    checks.database = `unreachable: ${(err as Error).message.split('\n')[0]}`;
  }
  try {
    await bus.check?.();
    checks.bus = 'ok';
  } catch (err) {
    checks.bus = `unreachable: ${(err as Error).message.split('\n')[0]}`;
  }
  if (search) {
    try {
      await search.ping();
      checks.search = 'ok';
    } catch (err) {
      checks.search = `${search.kind} unreachable: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
}
