/**
 * HTTP for connectors: Node's fetch with a timeout, a request-rate limit, and the source's
 * failures turned into the SDK's error classes. Retrying is the runner's job, not this one's:
 * a failed page is re-read from the last saved cursor.
 */
import { RateLimited, SourceUnavailable, statusError } from './errors.js';
import type { SourceHttp } from './contract.js';

export interface SourceHttpOptions {
  /** Abort a request that takes longer than this. */
  timeoutMs: number;
  /** Spread requests so that no more than this many start per second (none: no limit). */
  maxRequestsPerSecond?: number;
  signal: AbortSignal;
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export function createSourceHttp(options: SourceHttpOptions): SourceHttp {
  const configuredSpacing = options.maxRequestsPerSecond ? 1000 / options.maxRequestsPerSecond : 0;
  // A 429 means the source's real limit is below ours: slow down (halving the rate each time)
  // and speed back up gradually while requests succeed, so retries make progress.
  let spacingMs = configuredSpacing;
  let successes = 0;
  const slowDown = () => {
    spacingMs = Math.min(10_000, Math.max(100, spacingMs * 2));
    successes = 0;
  };
  const succeeded = () => {
    if (spacingMs > configuredSpacing && ++successes >= 20) {
      spacingMs = Math.max(configuredSpacing, spacingMs / 2);
      successes = 0;
    }
  };
  let nextSlot = 0;
  const waitForSlot = async (): Promise<void> => {
    if (spacingMs === 0) return;
    const now = Date.now();
    const at = Math.max(now, nextSlot);
    nextSlot = at + spacingMs;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  };

  return {
    async fetch(url, init = {}) {
      await waitForSlot();
      const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs), ...(init.signal ? [init.signal] : [])]);
      const where = `${init.method ?? 'GET'} ${redactUrl(url)}`;
      let response: Response;
      try {
        response = await fetch(url, { ...init, signal });
      } catch (error) {
        if (options.signal.aborted) throw error;
        // By name, not instanceof: the DOMException may come from another realm (test runners, workers).
        const timedOut = typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'TimeoutError';
        const reason = timedOut ? `no answer within ${options.timeoutMs} ms` : describeNetworkError(error);
        throw new SourceUnavailable(`${where}: ${reason}`, error);
      }
      if (response.status === 429) {
        slowDown();
        await response.body?.cancel();
        const wait = retryAfterMs(response.headers.get('retry-after'));
        throw new RateLimited(`${where}: 429 Too Many Requests${wait === null ? '' : ` (retry after ${Math.ceil(wait / 1000)} s)`}`, wait);
      }
      if (response.status >= 500) {
        const text = await response.text().catch(() => '');
        throw new SourceUnavailable(`${where}: ${response.status} ${text.slice(0, 200)}`.trim());
      }
      if (response.status >= 400 && response.status !== 401) {
        throw statusError(where, response.status, await response.text().catch(() => ''));
      }
      succeeded();
      // 401 goes back to the connector: token-based sources refresh and ask again.
      return response;
    },
  };
}

function describeNetworkError(error: unknown): string {
  // Duck-typed: fetch's errors may come from another realm, where instanceof Error is false.
  const asError = (e: unknown) => (typeof e === 'object' && e !== null ? (e as { message?: unknown; code?: unknown; cause?: unknown }) : null);
  const outer = asError(error);
  const cause = asError(outer?.cause) ?? outer;
  const code = cause?.code === undefined ? null : String(cause.code);
  if (code === 'ECONNREFUSED') return 'connection refused (is the source running and the URL right?)';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset by the source';
  if (code === 'ENOTFOUND') return 'host not found (check the URL)';
  return typeof cause?.message === 'string' ? cause.message : String(error);
}

/** URLs may carry tokens in their query; logs and errors show only the path. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '<invalid URL>';
  }
}
