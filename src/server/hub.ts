import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../store/db.js';
import { ping } from '../store/db.js';
import { createDataLayer } from '../store/dataLayer.js';
import { viewerFromAuthorization, type TokenKeys } from '../auth/tokens.js';
import type { Viewer } from '../auth/viewer.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { traceQueries, tracingPlugin } from '../observability/tracing.js';
import type { RequestContext } from './context.js';
import { maskError } from './errors.js';
import { handleGraphQL, sendJson } from './http.js';
import { buildSchema } from './schema.js';

export const GRAPHQL_PATH = '/graphql';

export interface HubOptions {
  config: Pick<Config, 'HOST' | 'PORT' | 'NODE_ENV' | 'SHUTDOWN_TIMEOUT_MS'>;
  db: Database;
  log: Logger;
  tokenKeys: TokenKeys;
}

export interface Hub {
  readonly url: string;
  readonly port: number;
  readonly httpServer: Server;
  readonly metrics: Metrics;
  /** Stops taking work, drains HTTP and WebSocket clients, and resolves when all are gone. Does not close the database. */
  stop(): Promise<void>;
}

/** Serves GraphQL over HTTP and WebSocket on one port and path, with health, readiness and metrics. */
export async function startHub({ config, db, log, tokenKeys }: HubOptions): Promise<Hub> {
  const schema = buildSchema();
  const metrics = createMetrics();
  db.knex.on('query', () => metrics.dbQueries.inc());
  traceQueries(db.knex);

  const contextFor = (viewer: Viewer, requestLog: Logger): RequestContext => ({
    viewer,
    data: createDataLayer(db.knex, viewer),
    log: requestLog,
  });
  const authenticate = async (authorization: string | undefined): Promise<Viewer> => {
    try {
      return await viewerFromAuthorization(tokenKeys, authorization);
    } catch (err) {
      if (err instanceof GraphQLError) {
        throw new GraphQLError(err.message, { extensions: { ...err.extensions, http: { status: 401 } } });
      }
      throw err;
    }
  };

  let state: 'serving' | 'stopping' = 'serving';
  const httpServer = createServer();
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const production = config.NODE_ENV === 'production';

  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => maskError(log, formatted, error),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.SHUTDOWN_TIMEOUT_MS }),
      tracingPlugin<RequestContext>(),
      {
        async requestDidStart() {
          const started = process.hrtime.bigint();
          return {
            async willSendResponse({ operation, errors, response }) {
              const type = operation?.operation ?? 'unknown';
              const failed = (errors?.length ?? 0) > 0 || (response.body.kind === 'single' && (response.body.singleResult.errors?.length ?? 0) > 0);
              metrics.operations.inc({ type, outcome: failed ? 'error' : 'ok' });
              metrics.operationDuration.observe({ type }, Number(process.hrtime.bigint() - started) / 1e9);
            },
          };
        },
        // Stop the WebSocket side when Apollo stops, after HTTP has drained.
        async serverWillStart() {
          return { drainServer: async () => { await wsCleanup.dispose(); } };
        },
      },
      ...(production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  });

  const wsCleanup = useServer<Record<string, unknown> | undefined, { viewer?: Viewer }>(
    {
      schema,
      onConnect: async (ctx) => {
        const fromParams = ctx.connectionParams?.authorization;
        const header = typeof fromParams === 'string' ? fromParams : ctx.extra.request.headers.authorization;
        try {
          ctx.extra.viewer = await viewerFromAuthorization(tokenKeys, header);
          metrics.wsConnections.inc();
          return true;
        } catch {
          return false; // closes with 4403 Forbidden
        }
      },
      onClose: (ctx) => {
        if (ctx.extra.viewer) metrics.wsConnections.dec();
      },
      // A fresh context, so fresh loaders, for every operation.
      context: (ctx) => contextFor(ctx.extra.viewer ?? { authenticated: false }, log),
      onNext: (_ctx, _id, _payload, args, result) => {
        const { errors, ...rest } = result as ExecutionResult;
        if (!errors?.length) return result;
        return { ...rest, errors: errors.map((e) => maskError(log, e.toJSON(), e)) };
      },
    },
    wsServer,
  );

  await apollo.start();

  httpServer.on('request', (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const done = (route: string) => res.once('finish', () => metrics.httpRequests.inc({ route, status: String(res.statusCode) }));
    if (path === '/healthz') {
      done('healthz');
      sendJson(res, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      done('readyz');
      void readiness(state, db).then(({ ready, checks }) => sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks }));
    } else if (path === '/metrics') {
      done('metrics');
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      });
    } else if (path === GRAPHQL_PATH) {
      done('graphql');
      const requestLog = log.child({ reqId: req.headers['x-request-id'] ?? undefined });
      handleGraphQL(apollo, req, res, async () => contextFor(await authenticate(req.headers.authorization), requestLog)).catch((err: unknown) => {
        log.error({ err }, 'unhandled error serving /graphql');
        if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
        else res.end();
      });
    } else {
      done('other');
      sendJson(res, 404, { error: `Nothing at ${path}. GraphQL is served at ${GRAPHQL_PATH}.` });
    }
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}${GRAPHQL_PATH}`;
  log.info({ url, database: db.kind }, 'hub is serving');

  return {
    url,
    port,
    httpServer,
    metrics,
    stop: async () => {
      if (state === 'stopping') return;
      state = 'stopping';
      log.info('hub is stopping: draining HTTP and WebSocket clients');
      await apollo.stop();
      wsServer.close();
    },
  };
}

async function readiness(state: 'serving' | 'stopping', db: Database) {
  const checks: Record<string, string> = {};
  if (state !== 'serving') checks.hub = 'stopping';
  try {
    await ping(db.knex);
    checks.database = 'ok';
  } catch (err) {
    checks.database = `unreachable: ${(err as Error).message.split('\n')[0]}`;
  }
  return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
}
