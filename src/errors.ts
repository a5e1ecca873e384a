import { GraphQLError } from 'graphql';

/**
 * The error codes clients can rely on (`extensions.code`). Anything thrown that is not a
 * SafeError is an internal error: logged in full, shown to the client only as INTERNAL_SERVER_ERROR.
 */
export type ErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND';

/** An error whose message is written for the client and safe to show. */
export class SafeError extends GraphQLError {
  constructor(code: ErrorCode, message: string) {
    super(message, { extensions: { code } });
    this.name = 'SafeError';
  }
}
