import type { Knex } from 'knex';

/**
 * The audit trail of person reads. Append-only in the database itself: a trigger refuses
 * UPDATE, DELETE and TRUNCATE, so no code path (nor a hurried operator) can rewrite it.
 * No foreign key to person: the trail outlives the records it is about.
 */
export async function up(knex: Knex): Promise<void> {
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
  await knex.raw(`
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only';
    end $$`);
  await knex.raw(`create trigger audit_log_no_change before update or delete on audit_log for each row execute function audit_log_append_only()`);
  await knex.raw(`create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('audit_log');
  await knex.raw('drop function if exists audit_log_append_only()');
}
