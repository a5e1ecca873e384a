/**
 * `liandong prune` and `liandong audit …`: retention by hand (docs/retention.md). The hub runs
 * the same steps every RETENTION_INTERVAL_MINUTES.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { encodePosition } from '../events/outbox.js';
import { createConsumerRegistry } from '../events/consumers.js';
import { migrateToLatest } from '../store/db.js';
import { archiveAuditMonths, auditPartitions, ensureAuditPartitions, pruneChangeEvents, retentionSettingsFromConfig } from '../store/retention.js';
import { createRuntime } from './runtime.js';

const parseHours = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of hours, 0 or more');
  return n;
};

export function registerRetentionCommands(program: Command): void {
  program
    .command('prune')
    .description('Delete change_event rows that every registered consumer (the search indexer) has passed and that are older than RETENTION_CHANGE_EVENT_MIN_AGE_HOURS; print what was removed and where each consumer stands. case_event (case history) and audit_log are never pruned.')
    .option('--dry-run', 'only count what would be removed')
    .option('--min-age-hours <h>', 'override RETENTION_CHANGE_EVENT_MIN_AGE_HOURS for this run', parseHours)
    .option('--forget <consumer>', 'first remove a registered consumer that is gone for good (it no longer holds pruning back)')
    .action(async (opts: { dryRun?: boolean; minAgeHours?: number; forget?: string }) => {
      const rt = createRuntime();
      const settings = retentionSettingsFromConfig(rt.config);
      const db = await rt.openStore();
      try {
        await migrateToLatest(db.knex);
        if (opts.forget) {
          const gone = await createConsumerRegistry(db.knex).forget('change_event', opts.forget);
          console.log(gone ? `removed consumer ${opts.forget}` : `no consumer named ${opts.forget} is registered`);
          if (!gone) process.exitCode = 1;
        }
        const minAgeMs = opts.minAgeHours === undefined ? settings.changeEventMinAgeMs : opts.minAgeHours * 3_600_000;
        const r = await pruneChangeEvents(db.knex, { minAgeMs, staleMs: settings.consumerStaleMs, dryRun: opts.dryRun ?? false, log: rt.log });
        console.log(`${opts.dryRun ? 'would remove' : 'removed'} ${r.removed} change_event rows; ${r.rowsLeft}${opts.dryRun ? '' : ' are'} left`
          + `${opts.dryRun ? ' now' : ''}; pruned through ${encodePosition(r.prunedThrough)}`);
        console.log(`bound: ${encodePosition(r.bound)} (${r.slowest ? `the slowest consumer, ${r.slowest}` : 'the last settled row'})`
          + `${r.keptForAge ? `; kept from ${encodePosition(r.keptForAge)} on for the minimum age of ${minAgeMs / 3_600_000} h` : ''}`);
        for (const c of r.consumers) {
          console.log(`consumer ${c.name}: at ${encodePosition(c.position)}, ${c.behind} behind, moved ${c.movedAt.toISOString()}${c.stale ? ' — STALE: holds pruning back' : ''}`);
        }
        if (r.consumers.length === 0) console.log('no consumer is registered');
      } finally {
        await db.close();
      }
    });

  const audit = program.command('audit').description('The access audit (audit_log): its monthly partitions and archives.');
  audit
    .command('partitions')
    .description('List audit_log\'s partitions and the archived months, with their row counts; create the partitions of the coming months if missing.')
    .action(async () => {
      const rt = createRuntime();
      const db = await rt.openStore();
      try {
        await migrateToLatest(db.knex);
        await ensureAuditPartitions(db.knex, { monthsAhead: rt.config.RETENTION_AUDIT_MONTHS_AHEAD });
        const { partitions, archives } = await auditPartitions(db.knex);
        for (const p of partitions) console.log(`${p.month ?? 'default'}\t${p.table}\t${p.rows} rows`);
        for (const a of archives) console.log(`${a.month}\t${a.table}\t${a.rows} rows\tarchived (not in audit_log)`);
      } finally {
        await db.close();
      }
    });
  audit
    .command('archive')
    .description('Detach every audit_log month before --before into its own table audit_archive_YYYY_MM (still append-only), to dump (pg_dump -t) and then drop. No row is deleted.')
    .requiredOption('--before <YYYY-MM>', 'archive the months before this one (at most the current month)')
    .action(async (opts: { before: string }) => {
      const rt = createRuntime();
      const db = await rt.openStore();
      try {
        await migrateToLatest(db.knex);
        const r = await archiveAuditMonths(db.knex, { before: opts.before });
        for (const a of r.archived) console.log(`archived ${a.month}: ${a.rows} rows, now in table ${a.table}`);
        if (r.archived.length === 0) console.log(`no audit_log month before ${opts.before} to archive`);
        if (r.leftInDefault > 0) console.log(`${r.leftInDefault} rows before ${opts.before} are in audit_log_default (a month without a partition when written); they stay in audit_log`);
      } finally {
        await db.close();
      }
    });
}
