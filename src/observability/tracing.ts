import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Knex } from 'knex';

/**
 * OpenTelemetry hooks through the API package only: spans cost nothing until an operator
 * registers an SDK and exporter (e.g. `node --import ./otel-setup.js`), and the hub never
 * picks an exporter for them.
 */
export const tracer = trace.getTracer('liandong');

/** A span per GraphQL operation, named by operation, with errors recorded. */
export function tracingPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      let span: Span | undefined;
      return {
        async didResolveOperation({ operationName, operation }) {
          const type = operation?.operation ?? 'unknown';
          span = tracer.startSpan(`graphql.${type} ${operationName ?? 'anonymous'}`, {
            attributes: { 'graphql.operation.type': type, 'graphql.operation.name': operationName ?? '' },
          });
        },
        async didEncounterErrors({ errors }) {
          span?.setStatus({ code: SpanStatusCode.ERROR, message: errors[0]?.message ?? 'error' });
        },
        async willSendResponse() {
          span?.end();
        },
      };
    },
  };
}

/** A span per SQL statement: the statement text (with placeholders, never the bound values). */
export function traceQueries(knex: Knex): void {
  const spans = new Map<string, Span>();
  knex.on('query', (q: { __knexQueryUid: string; sql: string }) => {
    spans.set(q.__knexQueryUid, tracer.startSpan('db.query', { attributes: { 'db.system': 'postgresql', 'db.statement': q.sql } }));
  });
  const end = (error: boolean) => (_: unknown, q: { __knexQueryUid: string }) => {
    const span = spans.get(q.__knexQueryUid);
    if (!span) return;
    if (error) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    spans.delete(q.__knexQueryUid);
  };
  knex.on('query-response', end(false));
  knex.on('query-error', end(true));
}
