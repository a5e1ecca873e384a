import type { Knex } from 'knex';

/**
 * The case workflow (issue 5): SLA deadlines kept on the case so they survive restarts, the
 * reporter's feedback, supervision, arrival on site, and a case history whose events say which
 * dispatch and department they concern and what the status and level were. `due_at` is the
 * deadline that applies in the case's current state, computed by the database so the SLA watcher
 * reads one indexed column and no writer can let it drift from the three it is derived from.
 */

/**
 * The workflow's columns on the case: supervision, escalation, first dispatch, arrival, the three
 * deadlines, last change. The live dashboard (20261125025000_live_operations, which runs first)
 * counts from them but does not add them: this migration is their one owner.
 */
const WORKFLOW_CASE_COLUMNS = [
  'supervised boolean not null default false',
  'escalated_at timestamptz',
  'dispatched_at timestamptz',
  'arrived_at timestamptz',
  'dispatch_due_at timestamptz',
  'arrive_due_at timestamptz',
  'close_due_at timestamptz',
  'updated_at timestamptz not null default now()',
];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table "case" ${WORKFLOW_CASE_COLUMNS.map((c) => `add column ${c}`).join(', ')}`);
  await knex.schema.alterTable('case', (t) => {
    t.text('feedback_satisfaction'); // satisfied | basically_satisfied | unsatisfied
    t.text('feedback_note');
    t.timestamp('feedback_at', { useTz: true });
    t.text('photo'); // a reference to the patrol's photo in the media store, never the image
  });
  await knex.raw(`alter table "case" add column due_at timestamptz generated always as (
    case
      when status = 'reported' then dispatch_due_at
      when status in ('dispatched', 'in_progress') and arrived_at is null then arrive_due_at
      when status <> 'closed' then close_due_at
    end) stored`);
  // The SLA watcher's query: open cases below the top level whose current deadline has passed.
  await knex.raw(`create index case_escalation_due on "case" (due_at) where level <> 'district' and status <> 'closed'`);
  await knex.raw(`alter table "case" add constraint case_status_check check (status in ('reported','dispatched','in_progress','closed'))`);
  await knex.raw(`alter table "case" add constraint case_level_check check (level in ('grid','street','district'))`);

  await knex.schema.alterTable('dispatch', (t) => {
    t.timestamp('arrived_at', { useTz: true }); // the team reached the site and started work
  });
  await knex.raw(`alter table dispatch add constraint dispatch_status_check check (status in ('pending','accepted','in_progress','completed'))`);
  await knex.raw(`alter table dispatch add constraint dispatch_role_check check (role in ('lead','cooperating'))`);

  await knex.schema.alterTable('case_event', (t) => {
    t.text('actor_role'); // the actor's role id, or 'system' for the SLA watcher and connector intake
    t.bigInteger('dispatch_id').references('dispatch.id').onDelete('CASCADE');
    t.bigInteger('department_id').references('department.id');
    t.text('from_status');
    t.text('to_status');
    t.text('level');
    t.jsonb('data');
  });

  await knex.schema.createTable('case_enterprise', (t) => {
    t.bigInteger('case_id').notNullable().references('case.id').onDelete('CASCADE');
    t.bigInteger('enterprise_id').notNullable().references('enterprise.id').onDelete('CASCADE');
    t.primary(['case_id', 'enterprise_id']);
    t.index(['enterprise_id', 'case_id']);
  });

  // One case per department record (a 110 call, an overdue fire hazard): intake is idempotent.
  await knex.schema.createTable('case_source', (t) => {
    t.bigInteger('case_id').notNullable().references('case.id').onDelete('CASCADE');
    t.bigInteger('source_record_id').notNullable().unique().references('source_record.id').onDelete('CASCADE');
    t.index(['case_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('case_source');
  await knex.schema.dropTableIfExists('case_enterprise');
  await knex.schema.alterTable('case_event', (t) => {
    t.dropColumns('actor_role', 'dispatch_id', 'department_id', 'from_status', 'to_status', 'level', 'data');
  });
  await knex.raw('alter table dispatch drop constraint if exists dispatch_status_check');
  await knex.raw('alter table dispatch drop constraint if exists dispatch_role_check');
  await knex.schema.alterTable('dispatch', (t) => t.dropColumn('arrived_at'));
  await knex.raw('alter table "case" drop constraint if exists case_status_check');
  await knex.raw('alter table "case" drop constraint if exists case_level_check');
  await knex.raw('drop index if exists case_escalation_due');
  await knex.schema.alterTable('case', (t) => {
    t.dropColumns('due_at', 'feedback_satisfaction', 'feedback_note', 'feedback_at', 'photo');
  });
  await knex.raw(`alter table "case" ${WORKFLOW_CASE_COLUMNS.map((c) => `drop column ${c.split(' ')[0]}`).join(', ')}`);
}
