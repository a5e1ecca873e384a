import type { Knex } from 'knex';

/**
 * Entity resolution (src/resolution): how each record and mention was linked and why, the
 * values every department holds for an entity (blocking and comparison keys), the review
 * queue, the human decisions later resolution must keep to, aliases of merged-away entities,
 * and the estimated match model.
 */
const LINKED = ['source_record', 'source_link'] as const;

export async function up(knex: Knex): Promise<void> {
  for (const table of LINKED) {
    await knex.schema.alterTable(table, (t) => {
      t.text('link_method'); // key | recovered_key | probabilistic | human; null while unlinked
      t.double('link_score'); // match probability of a probabilistic link; 1 for keys and humans
      t.json('link_evidence'); // [{ field, agreement, weight }]: why, for the steward and GraphQL
    });
  }
  // A mention's place in its record (0-based, in the connector's order): with the record's id it
  // names the mention across re-syncs, which replace source_link rows.
  await knex.schema.alterTable('source_link', (t) => {
    t.integer('mention_index').notNullable().defaultTo(0);
  });

  // What the relink after each sync reads: person slots still unlinked.
  await knex.raw("create index source_record_unlinked_person on source_record (id) where entity_id is null and link_type = 'person'");
  await knex.raw("create index source_link_unlinked_person on source_link (id) where entity_id is null and entity_type = 'person'");

  // The values blocking looks candidates up by (and names, for their frequency), one row per
  // (kind, value). Like resolution_profile, always derivable again from the records.
  await knex.schema.createTable('resolution_key', (t) => {
    t.text('entity_type').notNullable();
    t.text('kind').notNullable();
    t.text('value').notNullable();
    t.bigInteger('entity_id').notNullable();
    t.primary(['entity_type', 'kind', 'value', 'entity_id']);
    t.index(['entity_type', 'entity_id']);
  });

  // Every value compared, per entity, as one JSON object of kind → values: one row to read per
  // candidate and one to write per linked record, where a row per value cost ten.
  await knex.schema.createTable('resolution_profile', (t) => {
    t.text('entity_type').notNullable();
    t.bigInteger('entity_id').notNullable();
    t.jsonb('profile').notNullable();
    t.primary(['entity_type', 'entity_id']);
  });

  // Pairs the model was unsure of: a record (or one of its mentions) and a candidate entity.
  await knex.schema.createTable('match_candidate', (t) => {
    t.bigIncrements('id');
    t.text('entity_type').notNullable();
    t.bigInteger('source_record_id').notNullable().references('source_record.id').onDelete('CASCADE');
    t.integer('mention_index'); // null: the record's subject
    t.bigInteger('candidate_id').notNullable();
    t.double('score').notNullable();
    t.json('evidence').notNullable();
    t.text('status').notNullable().defaultTo('pending'); // pending | confirmed | rejected | superseded
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('decided_at', { useTz: true });
    t.text('decided_by');
    t.index(['status', 'entity_type', 'score']);
    t.index(['source_record_id']);
  });
  await knex.raw('create unique index match_candidate_pair on match_candidate (source_record_id, coalesce(mention_index, -1), candidate_id)');

  // What people decided. Permanent: re-resolution and later syncs keep to every row here.
  await knex.schema.createTable('match_decision', (t) => {
    t.bigIncrements('id');
    t.text('entity_type').notNullable();
    t.text('decision').notNullable(); // link | no_link | merge | split
    t.bigInteger('source_record_id').references('source_record.id').onDelete('CASCADE');
    t.integer('mention_index');
    t.bigInteger('entity_id'); // link / no_link: the entity; merge: the survivor; split: the entity split from
    t.bigInteger('other_entity_id'); // merge: the entity merged away; split: the new entity
    t.text('actor').notNullable();
    t.text('role').notNullable();
    t.text('note');
    t.timestamp('at', { useTz: true }).notNullable();
    t.index(['source_record_id']);
  });

  await knex.schema.createTable('entity_alias', (t) => {
    t.text('entity_type').notNullable();
    t.bigInteger('merged_id').notNullable();
    t.bigInteger('survivor_id').notNullable();
    t.bigInteger('decision_id').references('match_decision.id');
    t.timestamp('at', { useTz: true }).notNullable();
    t.primary(['entity_type', 'merged_id']);
    t.index(['entity_type', 'survivor_id']);
  });

  await knex.schema.createTable('match_model', (t) => {
    t.text('entity_type').primary();
    t.json('model').notNullable();
    t.integer('pairs').notNullable();
    t.timestamp('estimated_at', { useTz: true }).notNullable();
  });

  // Where `resolve --all` is, so a crash resumes instead of starting over.
  await knex.schema.createTable('resolution_run', (t) => {
    t.bigIncrements('id');
    t.text('status').notNullable(); // running | succeeded | failed
    t.bigInteger('after_record_id').notNullable().defaultTo(0);
    t.bigInteger('total').notNullable().defaultTo(0);
    t.bigInteger('done').notNullable().defaultTo(0);
    t.json('counts');
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['resolution_run', 'match_model', 'entity_alias', 'match_decision', 'match_candidate', 'resolution_profile', 'resolution_key']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw('drop index if exists source_link_unlinked_person');
  await knex.raw('drop index if exists source_record_unlinked_person');
  await knex.schema.alterTable('source_link', (t) => t.dropColumn('mention_index'));
  for (const table of LINKED) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('link_evidence');
      t.dropColumn('link_score');
      t.dropColumn('link_method');
    });
  }
}
