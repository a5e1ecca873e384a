import { setImmediate as nextTurn } from 'node:timers/promises';

/** How long background work may hold the event loop before it lets others have a turn. */
export const SLICE_MS = 8;

/**
 * Node runs the hub's requests and its background work on one thread, so a loop over thousands
 * of records holds every request until it ends. A scheduled sync of housing re-reads its whole
 * dump (4,373 rows on the small district, 5 of them changed) and mapped and hashed each
 * 5,000-record batch in one go: 40–100 ms during which nothing was answered, which is what the
 * soak's p99 spikes were. Long loops of background work check `spent()` as they go and, once
 * their slice is used up, `await next()`: I/O callbacks waiting meanwhile (requests) run first.
 *
 *   if (slice.spent()) await slice.next();
 */
export class TimeSlice {
  private started = performance.now();

  constructor(private readonly budgetMs = SLICE_MS) {}

  spent(): boolean {
    return performance.now() - this.started >= this.budgetMs;
  }

  async next(): Promise<void> {
    await nextTurn();
    this.started = performance.now();
  }
}

/**
 * `items.map(fn)` for background work over thousands of items (entity resolution's evidence,
 * search documents): the same result, computed a slice at a time.
 */
export async function mapInTurns<T, R>(items: readonly T[], fn: (item: T, index: number) => R): Promise<R[]> {
  const slice = new TimeSlice();
  const out = new Array<R>(items.length);
  for (let i = 0; i < items.length; i++) {
    if (slice.spent()) await slice.next();
    out[i] = fn(items[i] as T, i);
  }
  return out;
}
