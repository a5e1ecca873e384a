import type { Knex } from 'knex';

/**
 * The canonical model: areas, grids, addresses, buildings, dwellings, households, people,
 * enterprises, departments, provenance and cases. Area ids are denormalised onto the rows
 * that case workers filter by area (people, buildings, enterprises, cases) so that a filter
 * by street or grid is one indexed predicate instead of a four-table join.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('area', (t) => {
    t.bigIncrements('id');
    t.text('level').notNullable(); // district | street | community
    t.text('code').notNullable().unique();
    t.text('name').notNullable();
    t.text('kind'); // community areas: 'community' (社区) or 'village' (村)
    t.bigInteger('parent_id').references('area.id').onDelete('RESTRICT');
    t.index(['parent_id']);
    t.check("level in ('district','street','community')", [], 'area_level_check');
  });

  await knex.schema.createTable('grid', (t) => {
    t.bigIncrements('id');
    t.text('code').notNullable().unique();
    t.text('name').notNullable();
    t.bigInteger('district_id').notNullable().references('area.id');
    t.bigInteger('street_id').notNullable().references('area.id');
    t.bigInteger('community_id').notNullable().references('area.id');
    t.jsonb('boundary').notNullable(); // GeoJSON Polygon, [lng, lat] pairs
    t.index(['district_id']);
    t.index(['street_id']);
    t.index(['community_id']);
  });

  await knex.schema.createTable('grid_member', (t) => {
    t.bigIncrements('id');
    t.bigInteger('grid_id').notNullable().references('grid.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('role').notNullable(); // leader | worker | auxiliary_police | supervisor
    t.text('phone');
    t.index(['grid_id']);
  });

  await knex.schema.createTable('address', (t) => {
    t.bigIncrements('id');
    t.bigInteger('district_id').references('area.id');
    t.bigInteger('street_id').references('area.id');
    t.bigInteger('community_id').references('area.id');
    t.text('estate'); // estate (小区) or village (村) name
    t.text('building_no');
    t.text('unit');
    t.text('room');
    t.text('text').notNullable(); // as the source wrote it
    t.text('normalized').notNullable().unique(); // canonical rendering; one row per place
    t.index(['community_id']);
  });

  await knex.schema.createTable('building', (t) => {
    t.bigIncrements('id');
    t.text('name').notNullable();
    t.bigInteger('address_id').notNullable().references('address.id');
    t.bigInteger('district_id').references('area.id');
    t.bigInteger('street_id').references('area.id');
    t.bigInteger('community_id').references('area.id');
    t.bigInteger('grid_id').references('grid.id');
    t.text('use').notNullable(); // residential | commercial | mixed | industrial | public
    t.integer('floors');
    t.integer('built_year');
    t.double('lat');
    t.double('lng');
    t.index(['address_id']);
    t.index(['district_id', 'id']);
    t.index(['street_id', 'id']);
    t.index(['community_id', 'id']);
    t.index(['grid_id', 'id']);
  });

  await knex.schema.createTable('dwelling', (t) => {
    t.bigIncrements('id');
    t.bigInteger('building_id').notNullable().references('building.id').onDelete('CASCADE');
    t.bigInteger('address_id').notNullable().references('address.id');
    t.text('unit');
    t.text('room');
    t.double('floor_area');
    t.text('occupancy').notNullable(); // owner_occupied | rented | vacant
    t.index(['building_id']);
    t.index(['address_id']);
  });

  await knex.schema.createTable('household', (t) => {
    t.bigIncrements('id');
    t.text('number').notNullable().unique(); // 户号
    t.bigInteger('dwelling_id').references('dwelling.id');
    t.bigInteger('head_person_id'); // FK added after person exists
    t.text('residence_type').notNullable(); // hukou | floating
    t.index(['dwelling_id']);
  });

  await knex.schema.createTable('person', (t) => {
    t.bigIncrements('id');
    t.text('id_number').unique(); // null when no department gave a valid one
    t.text('name').notNullable();
    t.text('sex'); // male | female
    t.date('birth_date');
    t.text('phone');
    t.text('residence_type').notNullable(); // hukou | floating
    t.bigInteger('household_id').references('household.id');
    t.text('relation_to_head'); // head | spouse | child | parent | grandchild | other
    t.bigInteger('dwelling_id').references('dwelling.id');
    t.bigInteger('building_id').references('building.id');
    t.bigInteger('district_id').references('area.id');
    t.bigInteger('street_id').references('area.id');
    t.bigInteger('community_id').references('area.id');
    t.bigInteger('grid_id').references('grid.id');
    t.index(['household_id']);
    t.index(['dwelling_id']);
    t.index(['building_id']);
    t.index(['district_id', 'id']);
    t.index(['street_id', 'id']);
    t.index(['community_id', 'id']);
    t.index(['grid_id', 'id']);
    t.index(['residence_type', 'id']);
  });
  await knex.schema.alterTable('household', (t) => {
    t.foreign('head_person_id').references('person.id').onDelete('SET NULL');
  });

  await knex.schema.createTable('person_tag', (t) => {
    t.bigInteger('person_id').notNullable().references('person.id').onDelete('CASCADE');
    t.text('tag').notNullable();
    t.primary(['person_id', 'tag']);
    t.index(['tag', 'person_id']);
  });

  await knex.schema.createTable('enterprise', (t) => {
    t.bigIncrements('id');
    t.text('credit_code').unique(); // unified social credit code, GB 32100
    t.text('name').notNullable();
    t.text('legal_representative');
    t.text('industry');
    t.text('status').notNullable(); // active | suspended | deregistered
    t.date('registered_on');
    t.bigInteger('address_id').references('address.id');
    t.bigInteger('building_id').references('building.id');
    t.bigInteger('district_id').references('area.id');
    t.bigInteger('street_id').references('area.id');
    t.bigInteger('community_id').references('area.id');
    t.bigInteger('grid_id').references('grid.id');
    t.index(['building_id']);
    t.index(['district_id', 'id']);
    t.index(['street_id', 'id']);
    t.index(['community_id', 'id']);
    t.index(['grid_id', 'id']);
    t.index(['status', 'id']);
  });

  await knex.schema.createTable('department', (t) => {
    t.bigIncrements('id');
    t.text('name').notNullable().unique(); // stable machine name: population, housing, ...
    t.text('display_name').notNullable();
  });

  // One row per connector; the connector runner (issue 3) owns its updates.
  await knex.schema.createTable('connector_state', (t) => {
    t.bigInteger('department_id').primary().references('department.id').onDelete('CASCADE');
    t.text('status').notNullable().defaultTo('never_synced'); // never_synced | healthy | degraded | down
    t.timestamp('last_sync_at', { useTz: true });
    t.jsonb('cursor');
    t.bigInteger('dead_letter_count').notNullable().defaultTo(0);
  });

  // Provenance: what one department system said about one canonical entity.
  await knex.schema.createTable('source_record', (t) => {
    t.bigIncrements('id');
    t.bigInteger('department_id').notNullable().references('department.id');
    t.text('stream').notNullable();
    t.text('source_id').notNullable();
    t.timestamp('fetched_at', { useTz: true }).notNullable();
    t.text('payload_hash').notNullable(); // sha256 of the raw payload
    t.jsonb('payload').notNullable();
    t.text('entity_type'); // person | building | enterprise | ... ; null while unlinked
    t.bigInteger('entity_id');
    t.unique(['department_id', 'stream', 'source_id']);
    t.index(['entity_type', 'entity_id', 'department_id']);
  });

  await knex.schema.createTable('case', (t) => {
    t.bigIncrements('id');
    t.text('number').notNullable().unique();
    t.text('title').notNullable();
    t.text('description');
    t.text('category').notNullable();
    t.text('urgency').notNullable(); // low | normal | high | critical
    t.text('status').notNullable(); // reported | dispatched | in_progress | closed
    t.text('channel').notNullable(); // hotline_12345 | police_110 | command_center | grid_patrol | connector
    t.text('level').notNullable(); // grid | street | district
    t.timestamp('reported_at', { useTz: true }).notNullable();
    t.timestamp('closed_at', { useTz: true });
    t.text('reporter_name');
    t.text('reporter_phone');
    t.double('lat');
    t.double('lng');
    t.bigInteger('address_id').references('address.id');
    t.bigInteger('building_id').references('building.id');
    t.bigInteger('district_id').references('area.id');
    t.bigInteger('street_id').references('area.id');
    t.bigInteger('community_id').references('area.id');
    t.bigInteger('grid_id').references('grid.id');
    t.index(['status', 'id']);
    t.index(['category', 'id']);
    t.index(['district_id', 'id']);
    t.index(['street_id', 'id']);
    t.index(['community_id', 'id']);
    t.index(['grid_id', 'id']);
    t.index(['building_id']);
    t.index(['reported_at']);
  });

  await knex.schema.createTable('case_person', (t) => {
    t.bigInteger('case_id').notNullable().references('case.id').onDelete('CASCADE');
    t.bigInteger('person_id').notNullable().references('person.id').onDelete('CASCADE');
    t.text('role').notNullable(); // reporter | subject | affected
    t.primary(['case_id', 'person_id']);
    t.index(['person_id', 'case_id']);
  });

  await knex.schema.createTable('dispatch', (t) => {
    t.bigIncrements('id');
    t.bigInteger('case_id').notNullable().references('case.id').onDelete('CASCADE');
    t.bigInteger('department_id').notNullable().references('department.id');
    t.text('role').notNullable(); // lead | cooperating
    t.text('status').notNullable(); // pending | accepted | completed
    t.timestamp('dispatched_at', { useTz: true }).notNullable();
    t.timestamp('accepted_at', { useTz: true });
    t.timestamp('completed_at', { useTz: true });
    t.text('result');
    t.index(['case_id']);
    t.index(['department_id', 'status']);
  });

  // Append-only: a case's history is this list.
  await knex.schema.createTable('case_event', (t) => {
    t.bigIncrements('id');
    t.bigInteger('case_id').notNullable().references('case.id').onDelete('CASCADE');
    t.text('type').notNullable();
    t.text('actor').notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.text('note');
    t.index(['case_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'case_event', 'dispatch', 'case_person', 'case', 'source_record', 'connector_state', 'department',
    'enterprise', 'person_tag',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.schema.alterTable('household', (t) => t.dropForeign(['head_person_id']));
  for (const table of ['person', 'household', 'dwelling', 'building', 'address', 'grid_member', 'grid', 'area']) {
    await knex.schema.dropTableIfExists(table);
  }
}
