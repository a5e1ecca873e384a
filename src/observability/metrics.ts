import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per hub, so tests and several hubs in one process do not share counters. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'liandong_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'liandong_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'] as const, registers: [registry],
    }),
    operations: new Counter({
      name: 'liandong_graphql_operations_total', help: 'GraphQL operations by type and outcome',
      labelNames: ['type', 'outcome'] as const, registers: [registry],
    }),
    operationDuration: new Histogram({
      name: 'liandong_graphql_operation_duration_seconds', help: 'GraphQL operation time, parse to response',
      labelNames: ['type'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
    }),
    dbQueries: new Counter({ name: 'liandong_db_queries_total', help: 'SQL statements sent to the store', registers: [registry] }),
    wsConnections: new Gauge({ name: 'liandong_ws_connections', help: 'Open GraphQL WebSocket connections', registers: [registry] }),
    liveSubscribers: new Gauge({ name: 'liandong_live_subscribers', help: 'Live subscriptions (caseEvents, entityChanged, dashboard)', registers: [registry] }),
    liveGroups: new Gauge({ name: 'liandong_live_groups', help: 'Distinct live subscriptions: each event is executed once per group', registers: [registry] }),
    liveSlowConsumers: new Counter({ name: 'liandong_live_slow_consumers_total', help: 'Sockets closed for not reading their messages', registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
