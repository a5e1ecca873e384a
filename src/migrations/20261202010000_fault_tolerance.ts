import type { Knex } from 'knex';

/**
 * What the fault runs asked for: a sync run knows which process runs it (so a run whose process
 * was killed is closed by the next run instead of staying `running` forever), and a reported
 * case can carry the client's idempotency key (so a retry after a lost answer finds the case it
 * created instead of creating another).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sync_run', (t) => {
    t.text('owner'); // host:pid of the process running it; null for runs from before this migration
  });
  await knex.schema.createTable('case_request', (t) => {
    t.text('subject').notNullable(); // the token subject that reported
    t.text('key').notNullable(); // the client's idempotency key
    t.bigInteger('case_id').notNullable().references('case.id').onDelete('CASCADE');
    t.text('request_hash').notNullable(); // sha256 of the report, to refuse a key reused for another report
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.primary(['subject', 'key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('case_request');
  await knex.schema.alterTable('sync_run', (t) => {
    t.dropColumn('owner');
  });
}
