/**
 * PGlite's one connection, shared fairly between the people waiting on it and the hub's own
 * background work (syncs, pushes, the search indexer, the live tailers, the case watcher).
 *
 * PGlite runs PostgreSQL in WebAssembly on Node's main thread, and a statement resolves through
 * promises only: a job that issues statement after statement never gives the event loop a turn,
 * so no HTTP request is even read until it is done (seconds, during a sync). And knex-pglite's
 * pool of one hands the connection out first come, first served, so a search's five statements
 * each waited behind whatever background statements and transactions had queued before it.
 *
 * This client changes both, and nothing else (same SQL, same driver):
 * - a background statement first yields to the event loop (setImmediate), inside transactions
 *   too, so sockets are read between statements;
 * - the connection goes to interactive work first: a waiting interactive statement is served
 *   before any background one, and while an interactive operation is under way (between its
 *   statements, too) background work waits, at most BACKGROUND_MAX_WAIT_MS, so it never starves.
 *
 * Interactive work is whatever runs inside `interactive(fn)` (the hub wraps each GraphQL request
 * over HTTP); AsyncLocalStorage carries the mark through every await. A transaction keeps the
 * connection until it ends, so a background transaction already running is never interrupted:
 * keeping background transactions short is what bounds the wait.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import ClientPgLite from 'knex-pglite';

/** How long background work defers to interactive operations in flight before it takes its turn anyway. */
export const BACKGROUND_MAX_WAIT_MS = 250;

const lane = new AsyncLocalStorage<true>();

interface Waiter {
  interactive: boolean;
  since: number;
  grant: () => void;
}

/** Who holds the connection next: one holder at a time, interactive waiters first. */
export class ConnectionScheduler {
  private busy = false;
  private readonly waiters: Waiter[] = [];
  private activeInteractive = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly maxBackgroundWaitMs = BACKGROUND_MAX_WAIT_MS, private readonly now: () => number = () => performance.now()) {}

  /** Runs fn as interactive work: its statements go first, and background work holds back until it settles. */
  async interactive<T>(fn: () => Promise<T>): Promise<T> {
    this.activeInteractive++;
    try {
      // Awaited inside the run: a thenable fn returns (a knex query builder) is started by that
      // await, and started outside the run it would lose the mark.
      return await lane.run(true, async () => await fn());
    } finally {
      this.activeInteractive--;
      this.dispatch();
    }
  }

  isInteractive(): boolean {
    return lane.getStore() === true;
  }

  acquire(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiters.push({ interactive: this.isInteractive(), since: this.now(), grant: resolve });
      this.dispatch();
    });
  }

  release(): void {
    this.busy = false;
    this.dispatch();
  }

  private dispatch(): void {
    if (this.busy || this.waiters.length === 0) return;
    const background = this.waiters.findIndex((w) => !w.interactive);
    const waited = background < 0 ? 0 : this.now() - this.waiters[background]!.since;
    // A background statement that has waited long enough goes next, even before interactive ones.
    let i = background >= 0 && waited >= this.maxBackgroundWaitMs ? background : this.waiters.findIndex((w) => w.interactive);
    if (i < 0) {
      // Only background work waits: it goes now, unless an interactive operation is between statements.
      if (this.activeInteractive === 0) i = background;
    }
    if (background >= 0 && i !== background) this.wakeAfter(this.maxBackgroundWaitMs - waited);
    if (i < 0) return;
    const [next] = this.waiters.splice(i, 1);
    this.busy = true;
    next!.grant();
  }

  /** Looks again once the oldest background waiter has waited its maximum. */
  private wakeAfter(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dispatch();
    }, Math.max(1, Math.ceil(ms)));
  }
}

type Connection = unknown;
interface QueryObject {
  sql?: string;
}

/**
 * knex-pglite's client with the scheduler in front of its pool of one. A knex transaction takes
 * the connection once for its whole length (its statements do not acquire again), so the
 * scheduler sees transactions and single statements alike as one turn each.
 */
export function scheduledPgLiteClient(scheduler: ConnectionScheduler): typeof ClientPgLite {
  const Base = ClientPgLite as unknown as new (config: unknown) => {
    acquireConnection(): Promise<Connection>;
    releaseConnection(connection: Connection): Promise<void>;
    _query(connection: Connection, obj: QueryObject): Promise<QueryObject>;
  };
  class ScheduledClient extends Base {
    override async acquireConnection(): Promise<Connection> {
      await scheduler.acquire();
      try {
        return await super.acquireConnection();
      } catch (err) {
        scheduler.release();
        throw err;
      }
    }

    override async releaseConnection(connection: Connection): Promise<void> {
      try {
        await super.releaseConnection(connection);
      } finally {
        scheduler.release();
      }
    }

    override async _query(connection: Connection, obj: QueryObject): Promise<QueryObject> {
      if (!scheduler.isInteractive()) await yieldToEventLoop();
      return super._query(connection, obj);
    }
  }
  return ScheduledClient as unknown as typeof ClientPgLite;
}
