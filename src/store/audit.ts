import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Viewer } from '../auth/viewer.js';
import { arrayBindings } from './loaders.js';

/**
 * The audit of person reads. During a request the data layer notes every person it hands out
 * (ReadLog); when the response is sent, the transport records one append-only audit_log row
 * per person, with who, when, which fields and the declared purpose. Rows are queued and
 * written in batches off the read path; `flush()` on shutdown writes what is queued.
 */
export class ReadLog {
  readonly personIds = new Set<string>();

  person(id: string): void {
    this.personIds.add(id);
  }
}

export interface AuditEntry {
  at: Date;
  subject: string;
  role: string;
  personId: string;
  fields: string[];
  purpose: string;
  operation: string | null;
}

export interface AuditWriterOptions {
  /** Write when this many rows are queued... */
  batchSize?: number;
  /** ...or this long after the first one was queued. */
  flushIntervalMs?: number;
  /** Past this many queued rows (a store that stays down), the writer refuses to hide it: see record(). */
  maxQueued?: number;
}

export class AuditWriter {
  private queue: AuditEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueued: number;

  constructor(private readonly knex: Knex, private readonly log: Logger, options: AuditWriterOptions = {}) {
    this.batchSize = options.batchSize ?? 500;
    this.flushIntervalMs = options.flushIntervalMs ?? 200;
    this.maxQueued = options.maxQueued ?? 100_000;
  }

  /** Queues the reads of one request. */
  record(viewer: Viewer, reads: ReadLog, fields: string[], purpose: string | null, operation: string | null): void {
    if (!viewer.authenticated || reads.personIds.size === 0) return;
    const at = new Date();
    for (const personId of reads.personIds) {
      this.queue.push({ at, subject: viewer.subject, role: viewer.role, personId, fields, purpose: purpose ?? '', operation });
    }
    if (this.queue.length > this.maxQueued) {
      // Never drop audit rows silently: say so loudly, keep them, and let the operator act.
      this.log.error({ queued: this.queue.length }, 'audit log backlog is growing: the store is not accepting audit rows');
    }
    if (this.queue.length >= this.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushIntervalMs).unref();
  }

  /** Writes everything queued; resolves when it is durable. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.writing = this.writing.then(async () => {
      while (this.queue.length) {
        const batch = this.queue.slice(0, this.batchSize);
        try {
          // One array per column: a fixed statement of seven parameters, however many rows
          // (a multi-row VALUES list costs seven placeholders a row to build and to parse).
          await this.knex.raw(
            `insert into audit_log (at, subject, role, person_id, fields, purpose, operation)
             select at, subject, role, person_id, fields::jsonb, purpose, operation
               from unnest(?::timestamptz[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[])
                 as r(at, subject, role, person_id, fields, purpose, operation)`,
            arrayBindings(
              batch.map((e) => e.at), batch.map((e) => e.subject), batch.map((e) => e.role), batch.map((e) => e.personId),
              batch.map((e) => JSON.stringify(e.fields)), batch.map((e) => e.purpose), batch.map((e) => e.operation),
            ),
          );
          this.queue.splice(0, batch.length);
        } catch (err) {
          this.log.error({ err, queued: this.queue.length }, 'could not write audit rows; will retry');
          this.timer ??= setTimeout(() => void this.flush(), 1000).unref();
          return;
        }
      }
    });
    return this.writing;
  }

  get pending(): number {
    return this.queue.length;
  }
}
