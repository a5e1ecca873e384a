import type { Knex } from 'knex';

/**
 * What the connector runner keeps: a cursor per stream saved with the data it covers, the
 * record counts kept up to date as batches land (never counted per request), the links from a
 * record to every entity it names, the dead-letter store, a durable outbox of canonical
 * changes for the search index and subscriptions, and a log of sync runs whose counts balance.
 */
const DENORMALISED_AREAS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['person', ['district_id', 'street_id', 'community_id', 'grid_id']],
  ['building', ['district_id', 'street_id', 'community_id', 'grid_id']],
  ['enterprise', ['district_id', 'street_id', 'community_id', 'grid_id']],
  ['address', ['district_id', 'street_id', 'community_id']],
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('connector_state', (t) => {
    t.bigInteger('record_count').notNullable().defaultTo(0);
    t.bigInteger('unlinked_count').notNullable().defaultTo(0);
    t.text('last_error');
    t.timestamp('last_attempt_at', { useTz: true });
    t.text('connector_version');
  });

  await knex.schema.createTable('stream_state', (t) => {
    t.bigInteger('department_id').notNullable().references('department.id').onDelete('CASCADE');
    t.text('stream').notNullable();
    t.jsonb('cursor');
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.primary(['department_id', 'stream']);
  });

  await knex.schema.alterTable('source_record', (t) => {
    // The key the record links on (a valid ID number, credit code or normalised address), kept
    // while unlinked so a later sync of the entity's register can link it without re-reading.
    t.text('link_type');
    t.text('link_key');
    t.jsonb('facts'); // what the record states, canonical names: compared across departments
    t.timestamp('source_updated_at', { useTz: true });
  });
  // The raw payload is kept verbatim for provenance and replay, never queried into: json stores
  // it as text without jsonb's conversion, which is most of the cost of writing it.
  await knex.raw('alter table source_record alter column payload type json using payload::json');
  await knex.raw('create index source_record_unlinked on source_record (link_type, link_key) where entity_id is null and link_key is not null');

  await knex.schema.createTable('source_link', (t) => {
    t.bigIncrements('id');
    t.bigInteger('source_record_id').notNullable().references('source_record.id').onDelete('CASCADE');
    t.text('role').notNullable(); // owner, tenant, legal_representative, plaintiff, ...
    t.text('entity_type').notNullable();
    t.bigInteger('entity_id');
    t.text('link_key');
    t.jsonb('facts');
    t.index(['source_record_id']);
    t.index(['entity_type', 'entity_id']);
  });

  await knex.schema.createTable('dead_letter', (t) => {
    t.bigIncrements('id');
    t.bigInteger('department_id').notNullable().references('department.id').onDelete('CASCADE');
    t.text('stream').notNullable();
    t.text('source_id');
    t.text('stage').notNullable(); // parse | map | store
    t.text('reason').notNullable();
    t.text('raw').notNullable();
    t.text('raw_hash').notNullable();
    t.integer('attempts').notNullable().defaultTo(1);
    t.timestamp('first_seen_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.timestamp('resolved_at', { useTz: true });
    t.unique(['department_id', 'stream', 'raw_hash']);
    t.index(['department_id', 'stream', 'source_id']);
  });

  await knex.schema.createTable('change_event', (t) => {
    t.bigIncrements('id');
    t.text('entity_type').notNullable();
    t.bigInteger('entity_id').notNullable();
    t.text('change').notNullable(); // created | updated
    t.bigInteger('department_id').references('department.id').onDelete('SET NULL');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('sync_run', (t) => {
    t.bigIncrements('id');
    t.bigInteger('department_id').notNullable().references('department.id').onDelete('CASCADE');
    t.text('stream').notNullable();
    t.text('trigger').notNullable(); // schedule | cli | push | replay
    t.text('status').notNullable(); // running | succeeded | failed | cancelled
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.bigInteger('read').notNullable().defaultTo(0);
    t.bigInteger('stored').notNullable().defaultTo(0);
    t.bigInteger('changed').notNullable().defaultTo(0);
    t.bigInteger('dead_lettered').notNullable().defaultTo(0);
    t.text('error');
    t.index(['department_id', 'id']);
  });

  // The area columns of people, buildings, enterprises and addresses are copies of their grid's
  // (denormalised for filtering, see the canonical model) written by one writer from the grid
  // registry. Checking them against area and grid on every row was most of the cost of a bulk
  // sync; the grid registry, not each row, is where areas are kept whole.
  for (const [table, columns] of DENORMALISED_AREAS) {
    await knex.schema.alterTable(table, (t) => {
      for (const c of columns) t.dropForeign([c]);
    });
  }

  // One canonical row per place: upserts of buildings and dwellings key on their address.
  // The unique index replaces the plain one on the same column: one index to maintain per row, not two.
  for (const table of ['building', 'dwelling']) {
    await knex.schema.alterTable(table, (t) => {
      t.unique(['address_id']);
      t.dropIndex(['address_id']);
    });
  }
  await knex.schema.alterTable('grid_member', (t) => {
    t.text('employee_no');
    t.unique(['employee_no']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('grid_member', (t) => {
    t.dropUnique(['employee_no']);
    t.dropColumn('employee_no');
  });
  for (const table of ['dwelling', 'building']) {
    await knex.schema.alterTable(table, (t) => {
      t.index(['address_id']);
      t.dropUnique(['address_id']);
    });
  }
  for (const [table, columns] of DENORMALISED_AREAS) {
    await knex.schema.alterTable(table, (t) => {
      for (const c of columns) t.foreign(c).references(c === 'grid_id' ? 'grid.id' : 'area.id');
    });
  }
  for (const table of ['sync_run', 'change_event', 'dead_letter', 'source_link', 'stream_state']) await knex.schema.dropTableIfExists(table);
  await knex.raw('drop index if exists source_record_unlinked');
  await knex.raw('alter table source_record alter column payload type jsonb using payload::jsonb');
  await knex.schema.alterTable('source_record', (t) => {
    t.dropColumns('link_type', 'link_key', 'facts', 'source_updated_at');
  });
  await knex.schema.alterTable('connector_state', (t) => {
    t.dropColumns('record_count', 'unlinked_count', 'last_error', 'last_attempt_at', 'connector_version');
  });
}
