/**
 * Retention (docs/retention.md): what keeps `change_event` and `audit_log` from growing without
 * bound, and what `case_event` keeps.
 *
 * - `change_event` is pruned from its oldest end, as a prefix in (tx, id) order: never past the
 *   slowest registered consumer (src/events/consumers.ts), never past the last settled row, and
 *   never a row younger than the minimum age, nor anything after such a row. The last position
 *   pruned is recorded with the delete, in the same transaction (`outbox_pruned`), so a resuming
 *   subscriber whose cursor is older is refused instead of missing events (src/live/feeds.ts).
 *   A consumer that is behind and has not moved for long is named in a warning; it keeps
 *   holding pruning back until the operator removes it (`liandong prune --forget NAME`).
 * - `case_event` is case history: it is kept, whole, for as long as the case is.
 * - `audit_log` is partitioned by UTC month (the retention migration). Partitions are created
 *   ahead; a month older than the retention can be detached into `audit_archive_YYYY_MM`, a
 *   table of its own, still append-only, for the operator to dump and drop. Nothing here
 *   deletes an audit row.
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { comparePositions, createOutboxReader, encodePosition, type LogPosition } from '../events/outbox.js';
import { createConsumerRegistry, type ConsumerState } from '../events/consumers.js';

const HOUR_MS = 3_600_000;

export interface PruneOptions {
  /** Rows younger than this are kept, and so is everything after the first of them. */
  minAgeMs: number;
  /** A consumer behind the head that has not moved for this long is named in a warning. */
  staleMs: number;
  now?: Date;
  /** Rows deleted per transaction (default 5000). */
  batchSize?: number;
  /** Only report what would go. */
  dryRun?: boolean;
  log?: Pick<Logger, 'warn' | 'info'>;
}

export interface ConsumerReport extends ConsumerState {
  /** Rows after its position: how far behind it is. */
  behind: number;
  /** Behind, and not moved for longer than `staleMs`. */
  stale: boolean;
}

export interface PruneResult {
  /** Rows deleted (or, on a dry run, that would be). */
  removed: number;
  /** The last position pruned, after this run (LOG_START when nothing ever was). */
  prunedThrough: LogPosition;
  /** How far pruning could go: the slowest consumer or the last settled row, whichever is first. */
  bound: LogPosition;
  /** The consumer that set the bound, when one did. */
  slowest: string | null;
  /** The first row kept for its age, when that stopped pruning before the bound. */
  keptForAge: LogPosition | null;
  consumers: ConsumerReport[];
  rowsLeft: number;
}

/** Deletes the change events every registered consumer has passed and that are older than the minimum age. */
export async function pruneChangeEvents(knex: Knex, options: PruneOptions): Promise<PruneResult> {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 5000;
  const outbox = createOutboxReader(knex);
  const registry = createConsumerRegistry(knex);
  const head = await outbox.head('change_event');
  const listed = await registry.list('change_event');
  let bound = head;
  let slowest: string | null = null;
  for (const c of listed) {
    if (comparePositions(c.position, bound) < 0) {
      bound = c.position;
      slowest = c.name;
    }
  }
  const consumers: ConsumerReport[] = [];
  for (const c of listed) {
    const behind = await outbox.pending('change_event', c.position);
    const stale = behind > 0 && now.getTime() - c.movedAt.getTime() > options.staleMs;
    consumers.push({ ...c, behind, stale });
    if (stale) {
      options.log?.warn(
        { consumer: c.name, position: encodePosition(c.position), movedAt: c.movedAt.toISOString(), behind },
        `retention: outbox consumer "${c.name}" has not moved since ${c.movedAt.toISOString()} and is ${behind} change events behind; `
        + `change_event is not pruned past it. If it is gone for good, remove it: liandong prune --forget ${c.name}`,
      );
    }
  }

  // The first row young enough to keep, in log order: it and everything after it stay.
  const cutoff = new Date(now.getTime() - options.minAgeMs);
  const [young]: Array<Record<string, unknown>> = await knex('change_event')
    .whereRaw('(tx, id) <= (?::xid8, ?::bigint)', [bound.tx, bound.id]).where('at', '>=', cutoff)
    // Aliased apart from `tx`: ORDER BY a bare name binds to an output column first, and the
    // text form sorts '10' before '9'.
    .orderBy(['tx', 'id']).limit(1).select(knex.raw('tx::text as tx_text'), 'id');
  const keptForAge = young ? { tx: String(young.tx_text), id: String(young.id) } : null;
  const victims = (q: Knex.QueryBuilder) => {
    q.whereRaw('(tx, id) <= (?::xid8, ?::bigint)', [bound.tx, bound.id]);
    if (keptForAge) q.whereRaw('(tx, id) < (?::xid8, ?::bigint)', [keptForAge.tx, keptForAge.id]);
  };

  let removed = 0;
  let prunedThrough = await outbox.prunedThrough('change_event');
  if (options.dryRun) {
    const [row]: Array<Record<string, unknown>> = await knex('change_event').modify(victims).count({ n: '*' });
    removed = Number(row?.n ?? 0);
  } else {
    for (;;) {
      const batch = await knex.transaction(async (trx) => {
        const { rows }: { rows: Array<{ tx: string; id: string | number }> } = await trx.raw(
          'delete from change_event where id in (?) returning tx::text as tx, id',
          [trx('change_event').modify(victims).orderBy(['tx', 'id']).limit(batchSize).select('id')],
        );
        let last: LogPosition | null = null;
        for (const r of rows) {
          const p = { tx: String(r.tx), id: String(r.id) };
          if (!last || comparePositions(p, last) > 0) last = p;
        }
        if (last) {
          await trx.raw(
            `insert into outbox_pruned (outbox, tx, id, rows_pruned, pruned_at) values ('change_event', ?::xid8, ?, ?, ?)
             on conflict (outbox) do update set rows_pruned = outbox_pruned.rows_pruned + excluded.rows_pruned, pruned_at = excluded.pruned_at,
               tx = case when (excluded.tx, excluded.id) > (outbox_pruned.tx, outbox_pruned.id) then excluded.tx else outbox_pruned.tx end,
               id = case when (excluded.tx, excluded.id) > (outbox_pruned.tx, outbox_pruned.id) then excluded.id else outbox_pruned.id end`,
            [last.tx, last.id, rows.length, now],
          );
        }
        return { count: rows.length, last };
      });
      removed += batch.count;
      if (batch.last && comparePositions(batch.last, prunedThrough) > 0) prunedThrough = batch.last;
      if (batch.count < batchSize) break;
    }
  }
  const [left]: Array<Record<string, unknown>> = await knex('change_event').count({ n: '*' });
  return { removed, prunedThrough, bound, slowest, keptForAge, consumers, rowsLeft: Number(left?.n ?? 0) };
}

/** `YYYY-MM` of a date, in UTC. */
export function monthOf(d: Date): string {
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return monthOf(new Date(Date.UTC(y, m - 1 + n, 1)));
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Creates the audit_log partitions of this month and the next `monthsAhead` (those missing); returns the months created. */
export async function ensureAuditPartitions(knex: Knex, options: { monthsAhead: number; now?: Date }): Promise<string[]> {
  const current = monthOf(options.now ?? new Date());
  const created: string[] = [];
  for (let n = 0; n <= options.monthsAhead; n++) {
    const month = addMonths(current, n);
    const { rows }: { rows: Array<{ created: boolean }> } = await knex.raw('select audit_log_add_month(?::date) as created', [`${month}-01`]);
    if (rows[0]?.created) created.push(month);
  }
  return created;
}

export interface AuditPartition {
  /** `YYYY-MM`, or null for the default partition. */
  month: string | null;
  table: string;
  rows: number;
}

async function partitionsOf(knex: Knex, parent: string): Promise<string[]> {
  const { rows }: { rows: Array<{ name: string }> } = await knex.raw(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = to_regclass(?) order by c.relname`, [parent],
  );
  return rows.map((r) => r.name);
}

async function countRows(knex: Knex | Knex.Transaction, table: string): Promise<number> {
  const [row]: Array<Record<string, unknown>> = await knex(table).count({ n: '*' });
  return Number(row?.n ?? 0);
}

/** audit_log's partitions, and the months already archived. */
export async function auditPartitions(knex: Knex): Promise<{ partitions: AuditPartition[]; archives: AuditPartition[] }> {
  const partitions: AuditPartition[] = [];
  for (const table of await partitionsOf(knex, 'audit_log')) {
    const m = /^audit_log_(\d{4})_(\d{2})$/.exec(table);
    partitions.push({ month: m ? `${m[1]}-${m[2]}` : null, table, rows: await countRows(knex, table) });
  }
  const { rows }: { rows: Array<{ name: string }> } = await knex.raw(
    `select c.relname as name from pg_class c where c.relkind = 'r' and c.relnamespace = current_schema()::regnamespace and c.relname ~ '^audit_archive_[0-9]{4}_[0-9]{2}$' order by c.relname`,
  );
  const archives: AuditPartition[] = [];
  for (const { name } of rows) archives.push({ month: name.slice('audit_archive_'.length).replace('_', '-'), table: name, rows: await countRows(knex, name) });
  return { partitions, archives };
}

export interface ArchiveResult {
  archived: AuditPartition[];
  /** Rows of months before the cutoff that sit in the default partition (not archived: they cannot be moved without deleting). */
  leftInDefault: number;
}

/**
 * Detaches every audit_log month before `before` (`YYYY-MM`, at most the current month) into
 * `audit_archive_YYYY_MM`: the rows are no longer in audit_log (nor in the audit query), and
 * nothing is deleted. The archive keeps the append-only triggers; dropping it is the operator's
 * decision, once dumped.
 */
export async function archiveAuditMonths(knex: Knex, options: { before: string; now?: Date }): Promise<ArchiveResult> {
  if (!MONTH.test(options.before)) throw new Error(`--before must be a month as YYYY-MM, not ${options.before}`);
  const current = monthOf(options.now ?? new Date());
  if (options.before > current) throw new Error(`--before ${options.before} is after the current month (${current}): a month is archived only once it is over`);
  const archived: AuditPartition[] = [];
  for (const table of await partitionsOf(knex, 'audit_log')) {
    const m = /^audit_log_(\d{4})_(\d{2})$/.exec(table);
    if (!m) continue;
    const month = `${m[1]}-${m[2]}`;
    if (month >= options.before) continue;
    const archive = `audit_archive_${m[1]}_${m[2]}`;
    const rows = await knex.transaction(async (trx) => {
      await trx.raw('alter table audit_log detach partition ??', [table]);
      await trx.raw('alter table ?? rename to ??', [table, archive]);
      // Detaching drops the triggers the partition had from audit_log: the archive gets its own.
      await trx.raw('create trigger audit_log_no_change before update or delete on ?? for each row execute function audit_log_append_only()', [archive]);
      await trx.raw('drop trigger if exists audit_log_no_truncate on ??', [archive]);
      await trx.raw('create trigger audit_log_no_truncate before truncate on ?? for each statement execute function audit_log_append_only()', [archive]);
      return countRows(trx, archive);
    });
    archived.push({ month, table: archive, rows });
  }
  const [y, mo] = options.before.split('-').map(Number) as [number, number];
  const [row]: Array<Record<string, unknown>> = await knex('audit_log_default').where('at', '<', new Date(Date.UTC(y, mo - 1, 1))).count({ n: '*' });
  return { archived, leftInDefault: Number(row?.n ?? 0) };
}

export interface RetentionSettings {
  /** How often the job runs; 0: never (the CLI still prunes and archives). */
  intervalMs: number;
  changeEventMinAgeMs: number;
  consumerStaleMs: number;
  auditMonthsAhead: number;
  /** Months of audit_log kept online; older ones are archived by the job. 0: the job never archives. */
  auditArchiveAfterMonths: number;
}

export function retentionSettingsFromConfig(config: {
  RETENTION_INTERVAL_MINUTES: number; RETENTION_CHANGE_EVENT_MIN_AGE_HOURS: number; RETENTION_CONSUMER_STALE_HOURS: number;
  RETENTION_AUDIT_MONTHS_AHEAD: number; RETENTION_AUDIT_ARCHIVE_AFTER_MONTHS: number;
}): RetentionSettings {
  return {
    intervalMs: config.RETENTION_INTERVAL_MINUTES * 60_000,
    changeEventMinAgeMs: config.RETENTION_CHANGE_EVENT_MIN_AGE_HOURS * HOUR_MS,
    consumerStaleMs: config.RETENTION_CONSUMER_STALE_HOURS * HOUR_MS,
    auditMonthsAhead: config.RETENTION_AUDIT_MONTHS_AHEAD,
    auditArchiveAfterMonths: config.RETENTION_AUDIT_ARCHIVE_AFTER_MONTHS,
  };
}

export interface RetentionJob {
  /** One pass now: audit partitions ahead, archiving when configured, change_event pruning. */
  runNow(): Promise<PruneResult>;
  stop(): Promise<void>;
}

/** The hub's periodic retention pass. Creates this month's and the next months' audit partitions before it returns. */
export async function startRetention(options: {
  knex: Knex; log: Logger; settings: RetentionSettings; registry?: Registry; firstRunMs?: number; now?: () => Date;
}): Promise<RetentionJob> {
  const { knex, log, settings } = options;
  const now = options.now ?? (() => new Date());
  const pruned = options.registry && new Counter({
    name: 'liandong_retention_change_events_pruned_total', help: 'change_event rows pruned behind every registered consumer', registers: [options.registry],
  });
  const stale = options.registry && new Gauge({
    name: 'liandong_retention_stale_consumers', help: 'Outbox consumers behind the head that have not moved for RETENTION_CONSUMER_STALE_HOURS (they hold pruning back)', registers: [options.registry],
  });
  const created = await ensureAuditPartitions(knex, { monthsAhead: settings.auditMonthsAhead, now: now() });
  if (created.length) log.info({ months: created }, 'retention: audit_log partitions created');

  let running: Promise<PruneResult> | null = null;
  const pass = async (): Promise<PruneResult> => {
    const at = now();
    const months = await ensureAuditPartitions(knex, { monthsAhead: settings.auditMonthsAhead, now: at });
    if (months.length) log.info({ months }, 'retention: audit_log partitions created');
    if (settings.auditArchiveAfterMonths > 0) {
      const before = addMonths(monthOf(at), -settings.auditArchiveAfterMonths);
      const archive = await archiveAuditMonths(knex, { before, now: at });
      for (const a of archive.archived) log.info({ month: a.month, table: a.table, rows: a.rows }, 'retention: audit_log month archived (detached, not deleted)');
    }
    const result = await pruneChangeEvents(knex, { minAgeMs: settings.changeEventMinAgeMs, staleMs: settings.consumerStaleMs, now: at, log });
    pruned?.inc(result.removed);
    stale?.set(result.consumers.filter((c) => c.stale).length);
    if (result.removed > 0) log.info({ removed: result.removed, prunedThrough: encodePosition(result.prunedThrough), rowsLeft: result.rowsLeft }, 'retention: change_event pruned');
    return result;
  };
  const runNow = (): Promise<PruneResult> => {
    running ??= pass().finally(() => {
      running = null;
    });
    return running;
  };
  const tick = () => {
    runNow().catch((err: unknown) => log.warn({ err }, 'retention: pass failed; trying again at the next one'));
  };
  let timer: NodeJS.Timeout | null = null;
  let first: NodeJS.Timeout | null = null;
  if (settings.intervalMs > 0) {
    first = setTimeout(tick, Math.min(options.firstRunMs ?? 60_000, settings.intervalMs)).unref();
    timer = setInterval(tick, settings.intervalMs).unref();
  }
  return {
    runNow,
    async stop() {
      if (first) clearTimeout(first);
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
