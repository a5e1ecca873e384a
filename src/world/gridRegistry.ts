/**
 * Reads the area and grid registry from a data directory laid out as the generator writes it
 * (world/areas, world/grids, world/grid_members): the command center's own registry of where
 * every grid is and who works it. Department records are placed on these grids.
 */
import type { GridRegistry } from '../domain/canonical.js';
import type { AreaRow, GridMemberRow, GridRow } from './types.js';
import { readNdjson, worldFile } from './read.js';

export async function readGridRegistry(dataDir: string): Promise<GridRegistry> {
  const areas: AreaRow[] = [];
  for await (const a of readNdjson<AreaRow>(worldFile(dataDir, 'world/areas'))) areas.push(a);
  const codeOf = (index: number | null) => (index === null ? null : (areas[index]?.code ?? null));
  const grids: GridRow[] = [];
  for await (const g of readNdjson<GridRow>(worldFile(dataDir, 'world/grids'))) grids.push(g);
  const members: GridRegistry['members'] = [];
  for await (const m of readNdjson<GridMemberRow>(worldFile(dataDir, 'world/grid_members'))) {
    members.push({ employeeNo: m.employeeNo, gridCode: grids[m.gridIndex]?.code ?? '', role: m.role, name: m.name, phone: m.phone });
  }
  return {
    areas: areas.map((a) => ({ level: a.level, kind: a.kind, code: a.code, name: a.name, parentCode: codeOf(a.parentIndex) })),
    grids: grids.map((g) => ({ code: g.code, name: g.name, communityCode: codeOf(g.communityIndex) ?? '', boundary: g.boundary })),
    members,
  };
}
