import type { Knex } from 'knex';

/** Area restriction in database ids; every listed level must match. */
export interface AreaIdsFilter {
  districtId?: string | null;
  streetId?: string | null;
  communityId?: string | null;
  gridId?: string | null;
}

/** Applies an area filter to a table that carries the denormalised area columns. */
export function whereArea(q: Knex.QueryBuilder, table: string, area: AreaIdsFilter | null | undefined): Knex.QueryBuilder {
  if (!area) return q;
  if (area.districtId) q.where(`${table}.district_id`, area.districtId);
  if (area.streetId) q.where(`${table}.street_id`, area.streetId);
  if (area.communityId) q.where(`${table}.community_id`, area.communityId);
  if (area.gridId) q.where(`${table}.grid_id`, area.gridId);
  return q;
}

/** Rows some record of the named department is about: the "department present" filter. */
export function whereDepartmentPresent(q: Knex.QueryBuilder, knex: Knex, table: string, entityType: string, department: string | null | undefined): Knex.QueryBuilder {
  if (!department) return q;
  return q.whereExists(
    knex('source_record as sr')
      .join('department as d', 'd.id', 'sr.department_id')
      .where('sr.entity_type', entityType)
      .whereRaw('sr.entity_id = ??', [`${table}.id`])
      .where('d.name', department)
      .select(knex.raw('1')),
  );
}
