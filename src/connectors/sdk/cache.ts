/**
 * The host's side of ConnectorContext.cache: a bounded in-memory map with expiry, read through the
 * host's clock so that a test moving time also expires entries.
 */
import type { Clock } from '../../domain/clock.js';
import type { ConnectorCache } from './contract.js';

/** Enough for tokens and a little metadata; past it the oldest entry goes. */
const MAX_ENTRIES = 256;

export function createConnectorCache(clock: Clock): ConnectorCache {
  const entries = new Map<string, { value: unknown; until: number }>();
  return {
    get<T>(key: string): T | undefined {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.until <= clock.now().getTime()) {
        entries.delete(key);
        return undefined;
      }
      return e.value as T;
    },
    set<T>(key: string, value: T, ttlMs?: number): void {
      entries.delete(key);
      entries.set(key, { value, until: ttlMs === undefined ? Infinity : clock.now().getTime() + ttlMs });
      if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
    },
    delete(key: string): void {
      entries.delete(key);
    },
  };
}
