import { GraphQLError } from 'graphql';

/**
 * The error codes clients can rely on (`extensions.code`). Anything thrown that is not a
 * SafeError is an internal error: logged in full, shown to the client only as INTERNAL_SERVER_ERROR.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  /** Personal data was asked for without an `x-purpose`. */
  | 'PURPOSE_REQUIRED'
  /** One of the operation limits (depth, aliases, cost, persisted operations) refused it; the message names the limit. */
  | 'OPERATION_LIMIT'
  | 'RATE_LIMITED'
  | 'TIME_LIMIT_EXCEEDED'
  /** A service the hub depends on (the search engine) did not answer; retrying later may work. */
  | 'SERVICE_UNAVAILABLE'
  /** A case command that is not valid in the case's current state; extensions carry `status`, `level` and the `allowed` mutations. */
  | 'INVALID_TRANSITION'
  /** mergeEntities of two entities whose keys say they are different (two valid ID numbers, two credit codes). */
  | 'CONFLICTING_KEYS';

/** An error whose message is written for the client and safe to show. */
export class SafeError extends GraphQLError {
  /** `cause`: what went wrong underneath, for the hub's log only (never shown to the client). */
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}, cause?: Error) {
    super(message, { extensions: { code, ...extensions }, ...(cause ? { originalError: cause } : {}) });
    this.name = 'SafeError';
  }
}

export const DATABASE_UNAVAILABLE = 'Service unavailable: the database is not answering (restarting or unreachable); retry shortly.';
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/** What a client is told when the database did not answer: typed, retryable, with when to try again. */
export function databaseUnavailableError(): SafeError {
  return new SafeError('SERVICE_UNAVAILABLE', DATABASE_UNAVAILABLE, { retryable: true, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS });
}
