import type { Logger } from 'pino';
import { LOG_START, comparePositions, laterOf, type LogPosition } from '../events/outbox.js';
import type { LogRead } from '../store/repositories/eventLog.js';

export interface TailerOptions<T> {
  name: string;
  head(): Promise<LogPosition>;
  read(from: LogPosition, limit: number): Promise<LogRead<T>>;
  /** Called synchronously with each batch, in log order; the position has moved past it already. */
  deliver(events: T[]): void;
  /** Whether anyone listens: an idle tailer only keeps up with the head instead of reading events. */
  active(): boolean;
  log: Logger;
  batchSize?: number;
  /** A safety read while active, in case a notice never came (default 5 s). */
  pollMs?: number;
}

/**
 * Follows one log for this hub: reads what was appended after its position whenever a notice
 * says the log grew, one read at a time, in order, in batches. Everything at or before
 * `position` has been handed to `deliver`; everything after it will be, which is what lets a
 * subscriber join (or resume) between two batches without a gap.
 *
 * A notice's position is a promise that the log holds a row there: until the tailer has passed
 * it (rows in front of it may still wait for older transactions to end), it reads again shortly.
 */
export class LogTailer<T> {
  private current: LogPosition = LOG_START;
  /** The furthest position a notice announced. */
  private announced: LogPosition = LOG_START;
  private running: Promise<void> | null = null;
  private dirty = false;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private retryMs = 0;
  private poll: NodeJS.Timeout | null = null;
  private readonly batchSize: number;

  constructor(private readonly options: TailerOptions<T>) {
    this.batchSize = options.batchSize ?? 500;
  }

  get position(): LogPosition {
    return this.current;
  }

  async start(): Promise<void> {
    this.current = await this.options.head();
    const pollMs = this.options.pollMs ?? 5000;
    this.poll = setInterval(() => {
      if (this.options.active()) this.wake();
    }, pollMs);
    this.poll.unref();
  }

  /** The log grew (or may have; up to `position` when the notice said): read it. Cheap to call often; reads coalesce. */
  wake(position: LogPosition | null = null): void {
    if (this.stopped) return;
    if (position) this.announced = laterOf(this.announced, position);
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
    });
  }

  private later(): void {
    if (this.retry || this.stopped) return;
    this.retryMs = Math.min(1000, Math.max(10, this.retryMs * 2));
    this.retry = setTimeout(() => {
      this.retry = null;
      this.wake();
    }, this.retryMs);
  }

  private async drain(): Promise<void> {
    for (;;) {
      this.dirty = false;
      let waiting = false;
      try {
        if (!this.options.active()) {
          const head = await this.options.head();
          // Someone may have joined while the head was read: they expect what follows `position`.
          if (!this.options.active()) this.current = head;
          else this.dirty = true;
        } else {
          const heard = this.announced;
          const read = await this.options.read(this.current, this.batchSize);
          if (read.end) this.current = read.end;
          if (read.events.length > 0) this.options.deliver(read.events);
          if (read.more) this.dirty = true;
          else if (!read.unsettled && this.announced === heard && comparePositions(this.current, heard) < 0) {
            // Every committed row was read and the announced one was not there: it is gone (a case deleted since).
            this.announced = this.current;
          }
          // A transaction older than the next rows is still running: look again shortly.
          waiting = read.unsettled || comparePositions(this.current, this.announced) < 0;
        }
        if (waiting && !this.dirty) this.later();
        else this.retryMs = 0;
      } catch (err) {
        if (this.stopped) return;
        this.options.log.warn({ err: (err as Error).message, log: this.options.name }, 'live: reading the log failed; retrying');
        this.later();
        return;
      }
      if (!this.dirty || this.stopped) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.poll) clearInterval(this.poll);
    await this.running;
  }
}
