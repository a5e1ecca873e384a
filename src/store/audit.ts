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

/**
 * One request's reads, queued as they came: what the request's rows share (who, when, which
 * fields, why) is kept and sent once, not once per person, since a page of 100 people would
 * otherwise serialise the same six values a hundred times into the statement's arrays.
 */
interface QueuedReads {
  /** ISO 8601: PostgreSQL parses it as the Date would be, and it is formatted once per request. */
  at: string;
  subject: string;
  role: string;
  personIds: string[];
  /** The fields as the jsonb text. */
  fields: string;
  purpose: string;
  operation: string | null;
}

export class AuditWriter {
  private queue: QueuedReads[] = [];
  /** Audit rows (people) queued. */
  private queuedRows = 0;
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
    this.queue.push({
      at: new Date().toISOString(), subject: viewer.subject, role: viewer.role, personIds: [...reads.personIds],
      fields: fieldsText(fields), purpose: purpose ?? '', operation,
    });
    this.queuedRows += reads.personIds.size;
    if (this.queuedRows > this.maxQueued) {
      // Never drop audit rows silently: say so loudly, keep them, and let the operator act.
      this.log.error({ queued: this.queuedRows }, 'audit log backlog is growing: the store is not accepting audit rows');
    }
    if (this.queuedRows >= this.batchSize) void this.flush();
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
        // Whole requests, about batchSize rows (at least one request).
        let end = 0;
        let rows = 0;
        while (end < this.queue.length && (end === 0 || rows + this.queue[end]!.personIds.length <= this.batchSize)) rows += this.queue[end++]!.personIds.length;
        const batch = this.queue.slice(0, end);
        try {
          // One array per column, one element per request, each request's people as one
          // comma-separated text: a fixed statement of seven parameters however many rows, and
          // the order of the rows is the order of the reads.
          await this.knex.raw(
            `insert into audit_log (at, subject, role, person_id, fields, purpose, operation)
             select r.at, r.subject, r.role, p.person_id, r.fields::jsonb, r.purpose, r.operation
               from unnest(?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
                      with ordinality as r(at, subject, role, person_ids, fields, purpose, operation, n)
               cross join lateral unnest(string_to_array(r.person_ids, ',')::bigint[]) with ordinality as p(person_id, m)
              order by r.n, p.m`,
            arrayBindings(
              batch.map((e) => e.at), batch.map((e) => e.subject), batch.map((e) => e.role), batch.map((e) => e.personIds.join(',')),
              batch.map((e) => e.fields), batch.map((e) => e.purpose), batch.map((e) => e.operation),
            ),
          );
          this.queue.splice(0, batch.length);
          this.queuedRows -= rows;
        } catch (err) {
          this.log.error({ err, queued: this.queuedRows }, 'could not write audit rows; will retry');
          this.timer ??= setTimeout(() => void this.flush(), 1000).unref();
          return;
        }
      }
    });
    return this.writing;
  }

  get pending(): number {
    return this.queuedRows;
  }
}

/** The same operation's field list (personFieldsOf hands out one array per document) is serialised once. */
const fieldTexts = new WeakMap<string[], string>();
function fieldsText(fields: string[]): string {
  let text = fieldTexts.get(fields);
  if (text === undefined) fieldTexts.set(fields, (text = JSON.stringify(fields)));
  return text;
}
