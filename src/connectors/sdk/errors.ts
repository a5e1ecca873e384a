/**
 * Errors a connector throws, in Airbyte's three failure classes, so the runner knows what to do:
 * - transient (RateLimited, SourceUnavailable: the network, 5xx, 429, timeouts): retried from
 *   the last saved cursor with backoff;
 * - config (ConfigError, or a SourceError of that class: bad credentials, a 4xx, a wrong folder
 *   or schema): the stream fails at once, DOWN with the message, until the operator acts;
 * - system (anything else: a TypeError in the connector, a source answering nonsense): the
 *   stream fails at once; retrying the same code on the same data would fail the same way.
 * One record that makes no sense is none of these: MappingError dead-letters it alone.
 */
import { ConfigError } from '../../domain/errors.js';

export { ConfigError };

export type FailureType = 'config' | 'transient' | 'system';

export class SourceError extends Error {
  readonly failureType: FailureType;
  constructor(message: string, options: { failureType?: FailureType; retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SourceError';
    this.failureType = options.failureType ?? (options.retryable ? 'transient' : 'system');
  }

  /** Retrying the same read later may succeed. */
  get retryable(): boolean {
    return this.failureType === 'transient';
  }
}

/** The source is down, slow past the timeout, or answered 5xx. */
export class SourceUnavailable extends SourceError {
  constructor(message: string, cause?: unknown) {
    super(message, { failureType: 'transient', cause });
    this.name = 'SourceUnavailable';
  }
}

/** The source said "too many requests"; `retryAfterMs` is what it asked for, if it did. */
export class RateLimited extends SourceError {
  readonly retryAfterMs: number | null;
  constructor(message: string, retryAfterMs: number | null) {
    super(message, { failureType: 'transient' });
    this.name = 'RateLimited';
    this.retryAfterMs = retryAfterMs;
  }
}

/** One record makes no sense; the runner dead-letters it with this message. */
export class MappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingError';
  }
}

/** A webhook request the hub must refuse: `status` 400 (bad body) or 401 (bad credentials). */
export class PushRejected extends Error {
  readonly status: 400 | 401;
  constructor(status: 400 | 401, message: string) {
    super(message);
    this.name = 'PushRejected';
    this.status = status;
  }
}

/**
 * The failure class of anything a connector threw. By `failureType` rather than instanceof
 * alone, so that an error from another copy of the SDK (a connector built separately) still
 * classifies; whatever declares no class is the connector's own bug: system.
 */
export function failureTypeOf(error: unknown): FailureType {
  if (error instanceof ConfigError) return 'config';
  const declared = typeof error === 'object' && error !== null ? (error as { failureType?: unknown }).failureType : undefined;
  return declared === 'config' || declared === 'transient' || declared === 'system' ? declared : 'system';
}

/** The SourceError for an HTTP answer that is not the page asked for (the status is not 200). */
export function statusError(where: string, status: number, body: string): SourceError {
  // 4xx is the request the hub was told to make (URL, credentials, allow-list); 5xx and 429 are
  // transient and already thrown by ctx.http; anything else (a redirect, 204) is the source's oddity.
  const failureType: FailureType = status === 408 ? 'transient' : status >= 400 && status < 500 ? 'config' : 'system';
  return new SourceError(`${where}: ${status} ${body.slice(0, 200)}`.trim(), { failureType });
}
