/**
 * Errors a connector throws, classified so the runner knows what to do: wait and retry
 * (RateLimited, SourceUnavailable), give up on the stream until the operator acts (SourceError),
 * or dead-letter one record (MappingError).
 */
export class SourceError extends Error {
  /** Retrying the same read later may succeed. */
  readonly retryable: boolean;
  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SourceError';
    this.retryable = options.retryable ?? false;
  }
}

/** The source is down, slow past the timeout, or answered 5xx. */
export class SourceUnavailable extends SourceError {
  constructor(message: string, cause?: unknown) {
    super(message, { retryable: true, cause });
    this.name = 'SourceUnavailable';
  }
}

/** The source said "too many requests"; `retryAfterMs` is what it asked for, if it did. */
export class RateLimited extends SourceError {
  readonly retryAfterMs: number | null;
  constructor(message: string, retryAfterMs: number | null) {
    super(message, { retryable: true });
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
