import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE } from '../errors.js';
import { isDatabaseUnavailable } from '../store/db.js';

/**
 * The error a resolver threw, out of the plain GraphQLErrors execution wrapped it in (graphql-js,
 * graphql-jit and Apollo each may add one). A GraphQLError of a subclass (SafeError) is the hub's
 * own, and its `originalError` is the cause it hides. Not Apollo's unwrapResolverError: that one
 * stops at a wrapper without `path`, and a driver's message (SQL and all) then passed as if the
 * hub had raised it.
 */
function causeOf(error: unknown): unknown {
  let e = error;
  while (e instanceof GraphQLError && e.constructor === GraphQLError && e.originalError && e.originalError !== e) e = e.originalError;
  return e;
}

/**
 * What a client may see of an error. GraphQL's own errors (syntax, validation, variables) and
 * errors the hub raised on purpose (SafeError and other GraphQLErrors) pass with their code;
 * anything else — a driver error with SQL in it, a bug — is logged whole and shown as a bare
 * INTERNAL_SERVER_ERROR. Used by HTTP and WebSocket alike.
 */
export function maskError(log: Logger, formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = causeOf(error);
  // `http` steers Apollo's status code; neither it nor a stack trace is for the client.
  const { stacktrace: _stack, http: _http, ...extensions } = (formatted.extensions ?? {}) as Record<string, unknown>;
  if (original instanceof GraphQLError) {
    const cause = original.originalError;
    if (cause) log.warn({ err: cause, code: extensions.code, path: formatted.path }, formatted.message);
    return { ...formatted, extensions };
  }
  if (isDatabaseUnavailable(original)) {
    log.warn({ err: original, path: formatted.path }, 'database unavailable while executing an operation');
    return {
      message: DATABASE_UNAVAILABLE, ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
    };
  }
  log.error({ err: original, path: formatted.path }, 'internal error while executing an operation');
  return { message: 'Internal server error', ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
