import type { Knex } from 'knex';

/**
 * One audit row per request, not per person read: `audit_log.person_id bigint` becomes
 * `person_ids bigint[]`, with a GIN index for "who read this person".
 *
 * Why: a page of 100 people wrote 100 rows and 300 index entries, the largest part of the
 * database's work for that page (docs/performance.md). The who, when, which fields and why of a
 * request are the same for each of its people, so one row says it as truly.
 *
 * `alter column … type … using` rewrites the rows without firing the append-only row triggers,
 * and it recurses into every attached month. Months already detached into `audit_archive_*`
 * tables keep their old shape: they are for dumping, not for the trail.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('drop index audit_log_person_id_id_index');
  await knex.raw('alter table audit_log rename column person_id to person_ids');
  await knex.raw('alter table audit_log alter column person_ids type bigint[] using array[person_ids]');
  await knex.raw('alter table audit_log add constraint audit_log_person_ids_present check (cardinality(person_ids) > 0)');
  await knex.raw('create index audit_log_person_ids_index on audit_log using gin (person_ids)');
}

/**
 * Back to a row per person. Each request's row becomes one row per person with a new id, in the
 * order they were read; the rows' order and everything else they say is kept.
 */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index audit_log_person_ids_index');
  await knex.raw('alter table audit_log drop constraint audit_log_person_ids_present');
  await knex.raw(`create temporary table audit_log_flat on commit drop as
    select a.at, a.subject, a.role, p.person_id, a.fields, a.purpose, a.operation, a.id, p.n
      from audit_log a cross join lateral unnest(a.person_ids) with ordinality as p(person_id, n)`);
  // The trail is append-only for every code path; this migration is the one place that rewrites it.
  await knex.raw('alter table audit_log disable trigger audit_log_no_change');
  await knex.raw('delete from audit_log');
  await knex.raw('alter table audit_log enable trigger audit_log_no_change');
  await knex.raw('alter table audit_log alter column person_ids type bigint using person_ids[1]');
  await knex.raw('alter table audit_log rename column person_ids to person_id');
  await knex.raw(`insert into audit_log (at, subject, role, person_id, fields, purpose, operation)
    select at, subject, role, person_id, fields, purpose, operation from audit_log_flat order by id, n`);
  await knex.raw('create index audit_log_person_id_id_index on audit_log (person_id, id)');
}
