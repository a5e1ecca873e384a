/**
 * 住建, housing: the building register and the dwelling register with owners and tenants, in
 * snake_case, addresses in the housing style.
 */
import type { NoiseTag } from '../noise.js';
import { DISTRICT } from '../places.js';
import { TODAY, isoBeijing } from '../time.js';
import type { HousingBuilding, HousingDwelling, HousingPerson, Occupancy, TruthLink } from '../types.js';
import { type BuildingCtx, type DwellingCtx, type PersonCtx, pad } from '../working.js';
import type { RecordWriter } from './records.js';

export class HousingEmitter {
  constructor(private readonly rec: RecordWriter) {}

  /** The register's record of building `b`. */
  building(b: BuildingCtx, units: number): void {
    const { site, kind, use, name, floors, builtYear, dwellings, lng, lat } = b;
    const r = this.rec.rc('housing');
    const u = this.rec.roll('housing');
    const tags: NoiseTag[] = [];
    const code = `FW${DISTRICT.code}${pad(b.index + 1, 7)}`;
    this.rec.sink('housing/buildings').write({
      building_code: code, building_name: name, address: this.rec.address('housing', site, null, null, u, tags),
      road_address: kind === 'village' ? `${site.community}${site.number}号` : `${site.road}${site.doorNo}号`, community: site.community,
      use: use === 'residential' ? '住宅' : use === 'mixed' ? '商住' : '商业',
      structure: kind === 'village' ? (builtYear < 2000 ? '砖混' : r.chance(0.7) ? '砖混' : '框架') : floors > 7 ? '钢筋混凝土' : r.chance(0.6) ? '砖混' : '钢筋混凝土',
      floors_above: floors, units, built_year: builtYear, dwelling_count: dwellings, longitude: lng, latitude: lat,
      updated_at: isoBeijing(this.rec.stamp(r, TODAY - 900)),
    } satisfies HousingBuilding);
    this.rec.truth('housing', 'buildings', code, 'building', b.index, [], tags);
  }

  /** The register's record of dwelling `dw` (some village rooms were never registered). */
  dwelling(dw: DwellingCtx, floor: number, areaM2: number, occupancy: Occupancy, owner: PersonCtx | null, tenant: PersonCtx | null, b: BuildingCtx): void {
    const r = this.rec.rc('housing');
    // The bureau does not know every dwelling: some village rooms are never registered.
    if (b.kind === 'village' && dw.room !== null && r.chance(0.05)) return;
    const k = dw.index - b.firstDwelling;
    const code = `FW${DISTRICT.code}${pad(b.index + 1, 7)}-${pad(k + 1, 4)}`;
    const u = this.rec.roll('housing');
    const tags: NoiseTag[] = [];
    const links: TruthLink[] = [];
    const person = (p: PersonCtx, role: string): HousingPerson => {
      const noise: NoiseTag[] = [];
      // The bureau lists owners and tenants by name, ID number and phone; some only by name and phone.
      const f = this.rec.personFields('housing', p, role === 'owner' ? u : this.rec.roll('housing'), noise, { phoneOnly: true });
      links.push({ role, entity: 'person', index: p.index, noise });
      return { name: f.name, id_number: f.id, phone: f.phone };
    };
    const ownerOut = owner ? person(owner, 'owner') : null;
    const tenants = tenant ? [person(tenant, 'tenant')] : [];
    const record: HousingDwelling = {
      house_code: code, building_code: `FW${DISTRICT.code}${pad(b.index + 1, 7)}`, address: this.rec.address('housing', dw.site, dw.unit, dw.room, u, tags),
      unit: dw.unit, floor, room: dw.room, area_m2: areaM2, usage: occupancy === 'owner_occupied' ? '自住' : occupancy === 'rented' ? '出租' : '空置',
      owner: ownerOut, tenants, updated_at: isoBeijing(this.rec.stamp(r, TODAY - 700)),
    };
    this.rec.sink('housing/dwellings').write(record);
    this.rec.truth('housing', 'dwellings', code, 'dwelling', dw.index, links, tags);
  }
}
