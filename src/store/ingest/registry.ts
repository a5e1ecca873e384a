/**
 * The hub's own area and grid registry (districts, streets, communities, grids and their
 * staff). Grids are the command center's own master data, not a department's, so they are
 * imported as a whole and upserted by code.
 */
import type { Knex } from 'knex';
import type { GridRegistry } from '../../domain/canonical.js';
import type { Row } from '../loaders.js';

export async function storeGridRegistry(knex: Knex, registry: GridRegistry): Promise<{ areas: number; grids: number; members: number }> {
  return knex.transaction(async (trx) => {
    const idByCode = new Map<string, string>();
    const levels = ['district', 'street', 'community'] as const;
    for (const level of levels) {
      const rows = registry.areas.filter((a) => a.level === level).map((a) => ({
        level, kind: a.kind, code: a.code, name: a.name, parent_id: a.parentCode ? (idByCode.get(a.parentCode) ?? null) : null,
      }));
      for (let i = 0; i < rows.length; i += 1000) {
        const saved = (await trx('area').insert(rows.slice(i, i + 1000)).onConflict('code').merge(['name', 'kind', 'parent_id']).returning(['id', 'code'])) as Row[];
        for (const r of saved) idByCode.set(String(r.code), String(r.id));
      }
    }
    const parentOf = new Map(registry.areas.map((a) => [a.code, a.parentCode]));
    const gridRows = registry.grids.map((g) => {
      const street = parentOf.get(g.communityCode) ?? null;
      const district = street ? (parentOf.get(street) ?? null) : null;
      return {
        code: g.code, name: g.name, boundary: JSON.stringify(g.boundary), community_id: idByCode.get(g.communityCode),
        street_id: street ? idByCode.get(street) : null, district_id: district ? idByCode.get(district) : null,
      };
    });
    const gridId = new Map<string, string>();
    for (let i = 0; i < gridRows.length; i += 500) {
      const saved = (await trx('grid').insert(gridRows.slice(i, i + 500)).onConflict('code')
        .merge(['name', 'boundary', 'community_id', 'street_id', 'district_id']).returning(['id', 'code'])) as Row[];
      for (const r of saved) gridId.set(String(r.code), String(r.id));
    }
    const memberRows = registry.members.map((m) => ({ employee_no: m.employeeNo, grid_id: gridId.get(m.gridCode), role: m.role, name: m.name, phone: m.phone }));
    for (let i = 0; i < memberRows.length; i += 1000) {
      await trx('grid_member').insert(memberRows.slice(i, i + 1000)).onConflict('employee_no').merge(['grid_id', 'role', 'name', 'phone']);
    }
    return { areas: registry.areas.length, grids: registry.grids.length, members: registry.members.length };
  });
}
