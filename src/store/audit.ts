import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Viewer } from '../auth/viewer.js';
import { arrayBindings } from './loaders.js';

/**
 * The audit of person reads. During a request the data layer notes every person it hands out
 * (ReadLog); when the response is sent, the transport records one append-only audit_log row
 * for the request: who, when, which fields, the declared purpose, and every person read (a GIN
 * index finds a person's rows). Rows are queued and written in batches off the read path;
 * `flush()` on shutdown writes what is queued.
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
  /** Everyone the request read, in the order the data layer handed them out. */
  personIds: string[];
  fields: string[];
  purpose: string;
  operation: string | null;
}

export interface AuditWriterOptions {
  /** Write when this many requests are queued... */
  batchSize?: number;
  /** ...or this long after the first one was queued. */
  flushIntervalMs?: number;
  /** Past this many queued requests (a store that stays down), the writer refuses to hide it: see record(). */
  maxQueued?: number;
}

/** One request's reads, queued as they came: its audit row to be. */
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
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueued: number;

  constructor(private readonly knex: Knex, private readonly log: Logger, options: AuditWriterOptions = {}) {
    this.batchSize = options.batchSize ?? 200;
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
          // One array per column, one element per request, each request's people as one
          // comma-separated text: a fixed statement of seven parameters however many rows, and
          // the order of the rows (their ids) is the order of the requests.
          await this.knex.raw(
            `insert into audit_log (at, subject, role, person_ids, fields, purpose, operation)
             select r.at, r.subject, r.role, string_to_array(r.person_ids, ',')::bigint[], r.fields::jsonb, r.purpose, r.operation
               from unnest(?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
                      with ordinality as r(at, subject, role, person_ids, fields, purpose, operation, n)
              order by r.n`,
            arrayBindings(
              batch.map((e) => e.at), batch.map((e) => e.subject), batch.map((e) => e.role), batch.map((e) => e.personIds.join(',')),
              batch.map((e) => e.fields), batch.map((e) => e.purpose), batch.map((e) => e.operation),
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

  /** Requests whose audit row is not yet written. */
  get pending(): number {
    return this.queue.length;
  }
}

/** The same operation's field list (personFieldsOf hands out one array per document) is serialised once. */
const fieldTexts = new WeakMap<string[], string>();
function fieldsText(fields: string[]): string {
  let text = fieldTexts.get(fields);
  if (text === undefined) fieldTexts.set(fields, (text = JSON.stringify(fields)));
  return text;
}
