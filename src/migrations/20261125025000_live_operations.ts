import type { Knex } from 'knex';

/**
 * What live subscriptions need from the store. (The case columns the dashboard counts from —
 * SLA deadlines, first dispatch, escalation — are the case workflow's, 20261125030000.)
 *
 * `tx` on both logs: the id of the transaction that appended the row. Log ids are taken when a
 * transaction inserts, not when it commits, so a reader that follows `id > last` can pass over
 * an id whose transaction commits a moment later, and never deliver it. Readers therefore go in
 * (tx, id) order and only as far as the oldest transaction still running
 * (`pg_snapshot_xmin`): every row that can still appear sorts after everything already read.
 */
const LOGS = ['case_event', 'change_event'] as const;

export async function up(knex: Knex): Promise<void> {
  // Dashboards count the open cases of an area; closed ones are most rows and never counted open.
  await knex.raw('create index if not exists case_open_street on "case" (street_id, category) where status <> \'closed\'');
  await knex.raw('create index if not exists case_closed_at on "case" (closed_at) where closed_at is not null');
  for (const log of LOGS) {
    await knex.raw(`alter table ${log} add column tx xid8 not null default pg_current_xact_id()`);
    await knex.raw(`create index ${log}_tx_id on ${log} (tx, id)`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const log of LOGS) {
    await knex.raw(`drop index if exists ${log}_tx_id`);
    await knex.raw(`alter table ${log} drop column if exists tx`);
  }
  await knex.raw('drop index if exists case_closed_at');
  await knex.raw('drop index if exists case_open_street');
}
