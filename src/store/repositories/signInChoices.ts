import type { Knex } from 'knex';

export interface SignInChoices {
  grids: Array<{ id: string; code: string; name: string; street: string }>;
  streets: Array<{ id: string; code: string; name: string }>;
  departments: Array<{ name: string; displayName: string }>;
}

/**
 * What the development role picker offers: every grid, street and department by database id.
 * Read without a viewer because it serves only the sign-in of a development hub, where the
 * picker mints whatever token it likes anyway; production hubs never call it.
 */
export async function signInChoices(knex: Knex): Promise<SignInChoices> {
  const [grids, streets, departments] = await Promise.all([
    knex('grid as g').join('area as s', 's.id', 'g.street_id').select('g.id', 'g.code', 'g.name', 's.name as street').orderBy('g.code').limit(500),
    knex('area').where({ level: 'street' }).select('id', 'code', 'name').orderBy('code').limit(200),
    knex('department').select('name', 'display_name').orderBy('name'),
  ]);
  return {
    grids: (grids as Array<Record<string, unknown>>).map((r) => ({ id: String(r.id), code: String(r.code), name: String(r.name), street: String(r.street) })),
    streets: (streets as Array<Record<string, unknown>>).map((r) => ({ id: String(r.id), code: String(r.code), name: String(r.name) })),
    departments: (departments as Array<Record<string, unknown>>).map((r) => ({ name: String(r.name), displayName: String(r.display_name) })),
  };
}
