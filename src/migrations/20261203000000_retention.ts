import type { Knex } from 'knex';

/**
 * Retention (docs/retention.md).
 *
 * `outbox_consumer`: where each consumer that needs old `change_event` rows stands (the search
 * indexer reports its position here after every round); pruning never deletes a row one of them
 * has not passed. `moved_at` is when the position last changed, so a consumer that stopped
 * moving is named in a warning instead of holding the log back silently.
 *
 * `outbox_pruned`: the last position pruned from each outbox. Every row up to it is gone and
 * every row after it is kept, so a subscriber resuming from an older cursor is refused (it would
 * miss events) instead of being handed a log with a hole in it.
 *
 * `audit_log` becomes range-partitioned by UTC month of `at` (`audit_log_YYYY_MM`, plus
 * `audit_log_default` so that a write never fails for a month without a partition). Existing
 * rows move over with their ids. The append-only triggers stay on the parent: the row triggers
 * are cloned onto every partition by PostgreSQL, and `audit_log_add_month` adds the TRUNCATE
 * trigger each partition needs of its own (a statement trigger is not cloned).
 */
const LOGS = `'case_event', 'change_event'`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create table outbox_consumer (
    outbox text not null check (outbox in (${LOGS})),
    name text not null,
    tx xid8 not null,
    id bigint not null,
    moved_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (outbox, name))`);
  await knex.raw(`create table outbox_pruned (
    outbox text primary key check (outbox in (${LOGS})),
    tx xid8 not null,
    id bigint not null,
    rows_pruned bigint not null default 0,
    pruned_at timestamptz not null)`);

  // The old table keeps its name's objects out of the way of the new one's.
  await knex.raw('alter table audit_log rename to audit_log_unpartitioned');
  await knex.raw('alter index audit_log_pkey rename to audit_log_unpartitioned_pkey');
  await knex.raw('alter index audit_log_person_id_id_index rename to audit_log_unpartitioned_person_id_id_index');
  await knex.raw('alter index audit_log_subject_id_index rename to audit_log_unpartitioned_subject_id_index');
  await knex.raw(`create table audit_log (
    id bigint not null default nextval('audit_log_id_seq'),
    at timestamptz not null,
    subject text not null,
    role text not null,
    person_id bigint not null,
    fields jsonb not null,
    purpose text not null,
    operation text,
    constraint audit_log_pkey primary key (id, at)
  ) partition by range (at)`);
  await knex.raw('alter sequence audit_log_id_seq owned by audit_log.id');
  await knex.raw('create index audit_log_person_id_id_index on audit_log (person_id, id)');
  await knex.raw('create index audit_log_subject_id_index on audit_log (subject, id)');
  await knex.raw('create trigger audit_log_no_change before update or delete on audit_log for each row execute function audit_log_append_only()');
  await knex.raw('create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only()');

  // One month's partition (UTC), if missing. False when it exists already, or when the default
  // partition holds rows of that month (they stay there: audit rows are never moved by deleting).
  await knex.raw(`
    create function audit_log_add_month(month date) returns boolean language plpgsql as $$
    declare
      first date := make_date(extract(year from month)::int, extract(month from month)::int, 1);
      lo timestamptz := first::timestamp at time zone 'UTC';
      hi timestamptz := (first + interval '1 month')::timestamp at time zone 'UTC';
      name text := 'audit_log_' || to_char(first, 'YYYY_MM');
    begin
      if to_regclass(name) is not null then
        return false;
      end if;
      begin
        execute format('create table %I partition of audit_log for values from (%L) to (%L)', name, lo, hi);
      exception
        when duplicate_table then
          return false;
        when check_violation then
          raise warning 'audit_log_default holds rows of %; that month stays in the default partition', to_char(first, 'YYYY-MM');
          return false;
      end;
      execute format('create trigger audit_log_no_truncate before truncate on %I for each statement execute function audit_log_append_only()', name);
      return true;
    end $$`);
  await knex.raw('create table audit_log_default partition of audit_log default');
  await knex.raw('create trigger audit_log_no_truncate before truncate on audit_log_default for each statement execute function audit_log_append_only()');

  // A partition for every month the old rows are in, and for this month and the next three.
  await knex.raw(`select audit_log_add_month(m) from (
      select distinct (at at time zone 'UTC')::date as m from audit_log_unpartitioned
      union select ((now() at time zone 'UTC') + make_interval(months => n))::date from generate_series(0, 3) n
    ) months order by m`);
  await knex.raw(`insert into audit_log (id, at, subject, role, person_id, fields, purpose, operation)
    select id, at, subject, role, person_id, fields, purpose, operation from audit_log_unpartitioned order by id`);
  await knex.raw('drop table audit_log_unpartitioned');
}

export async function down(knex: Knex): Promise<void> {
  // Back to one table, rows and ids kept. Months detached into audit_archive_* tables stay as they are.
  await knex.raw('alter table audit_log rename to audit_log_partitioned');
  await knex.raw('alter table audit_log_partitioned rename constraint audit_log_pkey to audit_log_partitioned_pkey');
  await knex.raw('alter index audit_log_person_id_id_index rename to audit_log_partitioned_person_id_id_index');
  await knex.raw('alter index audit_log_subject_id_index rename to audit_log_partitioned_subject_id_index');
  await knex.raw('alter sequence audit_log_id_seq rename to audit_log_partitioned_id_seq');
  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.timestamp('at', { useTz: true }).notNullable();
    t.text('subject').notNullable();
    t.text('role').notNullable();
    t.bigInteger('person_id').notNullable();
    t.jsonb('fields').notNullable();
    t.text('purpose').notNullable();
    t.text('operation');
    t.index(['person_id', 'id']);
    t.index(['subject', 'id']);
  });
  await knex.raw(`insert into audit_log (id, at, subject, role, person_id, fields, purpose, operation)
    select id, at, subject, role, person_id, fields, purpose, operation from audit_log_partitioned order by id`);
  await knex.raw(`select setval('audit_log_id_seq', greatest((select max(id) from audit_log), nextval('audit_log_partitioned_id_seq')))`);
  await knex.raw('drop table audit_log_partitioned');
  await knex.raw('drop function if exists audit_log_add_month(date)');
  await knex.raw('create trigger audit_log_no_change before update or delete on audit_log for each row execute function audit_log_append_only()');
  await knex.raw('create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only()');
  await knex.raw('drop table if exists outbox_pruned');
  await knex.raw('drop table if exists outbox_consumer');
}
