/**
 * 消防, fire and rescue: inspections of buildings and enterprises and the hazards they found,
 * with rectification deadlines, in snake_case, addresses in the short style. Hazards still open
 * are handed to the layout, whose cases may come from them.
 */
import type { GridPlan } from '../layout.js';
import type { NoiseTag } from '../noise.js';
import { type Rng, Weighted } from '../rng.js';
import { TODAY, civilFromDays, isoBeijing, isoDay } from '../time.js';
import type { EntityType, FireHazard, FireInspection, TruthLink } from '../types.js';
import { type BuildingCtx, type EnterpriseCtx, type HazardCtx, pad } from '../working.js';
import type { RecordWriter } from './records.js';

const HAZARD_TYPES = new Weighted([
  ['电瓶车室内充电', 5], ['楼道飞线充电', 4], ['疏散通道堆放杂物', 4], ['室内消火栓无水', 2], ['安全出口锁闭', 2], ['灭火器过期', 3],
  ['违规住人（三合一场所）', 2], ['电气线路老化', 2],
] as const);

export class FireEmitter {
  private inspectionSeq = 0;
  private openHazards: HazardCtx[] = [];

  constructor(private readonly rec: RecordWriter) {}

  /** The hazards found since the last call and not rectified yet. */
  takeHazards(): HazardCtx[] {
    const hazards = this.openHazards;
    this.openHazards = [];
    return hazards;
  }

  /** Perhaps an inspection of building `b`, with its hazards. */
  building(g: GridPlan, b: BuildingCtx): void {
    const r = this.rec.rc('fire');
    const p = b.kind === 'commercial' ? 0.8 : b.kind === 'village' ? (b.dwellings > 1 ? 0.3 : 0.1) : b.floors > 7 ? 0.5 : 0.2;
    if (!r.chance(p)) return;
    const hazardRate = b.kind === 'village' ? 0.5 : 0.3;
    this.inspection(g, r, b, null, hazardRate);
  }

  /** Perhaps an inspection of an active enterprise `e` at its premises. */
  enterprise(g: GridPlan, e: EnterpriseCtx): void {
    const r = this.rec.rc('fire');
    if (e.status !== 'active' || !r.chance(0.35)) return;
    this.inspection(g, r, e.building, e, 0.3);
  }

  private inspection(g: GridPlan, r: Rng, b: BuildingCtx, e: EnterpriseCtx | null, hazardRate: number): void {
    const day = TODAY - r.int(1, 360);
    const year = civilFromDays(day).y;
    const inspectionNo = `XFJC${year}${pad(++this.inspectionSeq, 7)}`;
    const u = this.rec.roll('fire');
    const tags: NoiseTag[] = [];
    const address = this.rec.address('fire', b.site, null, e ? e.room : null, u, tags);
    let targetName = e ? e.name : b.name;
    if (e && (u[4] as number) < this.rec.noise.fire.nameVariant) {
      // Inspectors write a company's short name: 杭州良渚金鼎贸易有限公司 → 金鼎贸易.
      targetName = e.name.replace(/^杭州/, '').replace(new RegExp(`^(${g.street.spec.short}|余杭)`), '').replace(/有限公司$/, '');
      tags.push('name_short');
    }
    const hazards = r.chance(hazardRate) ? (r.chance(0.7) ? 1 : r.int(2, 3)) : 0;
    this.rec.sink('fire/inspections').write({
      inspection_no: inspectionNo, target_type: e ? '单位' : '建筑', target_name: targetName, credit_code: e ? e.creditCode : null, address,
      inspected_on: isoDay(day), inspector: `余杭区消防救援大队${g.street.spec.short}中队`, result: hazards > 0 ? '发现隐患' : '合格', hazard_count: hazards,
      updated_at: isoBeijing(this.rec.stamp(r, day)),
    } satisfies FireInspection);
    const entity: EntityType = e ? 'enterprise' : 'building';
    const index = e ? e.index : b.index;
    const links: TruthLink[] = e ? [{ role: 'location', entity: 'building', index: b.index, noise: [] }] : [];
    this.rec.truth('fire', 'inspections', inspectionNo, entity, index, links, tags);
    for (let k = 1; k <= hazards; k++) {
      const type = HAZARD_TYPES.pick(r);
      const deadline = day + r.int(7, 30);
      let status: FireHazard['status'];
      let rectified: number | null = null;
      if (deadline < TODAY) {
        if (r.chance(0.82)) {
          status = '已整改';
          rectified = day + r.int(1, deadline - day);
        } else status = '逾期未整改';
      } else if (r.chance(0.4)) {
        status = '已整改';
        rectified = Math.min(TODAY, day + r.int(1, Math.max(1, TODAY - day)));
      } else status = '整改中';
      const hazardNo = `${inspectionNo}-${k}`;
      this.rec.sink('fire/hazards').write({
        hazard_no: hazardNo, inspection_no: inspectionNo, target_type: e ? '单位' : '建筑', target_name: targetName, address, hazard_type: type,
        description: `${targetName}存在${type}问题，责令限期整改。`, found_on: isoDay(day), rectification_deadline: isoDay(deadline), status,
        rectified_on: rectified !== null ? isoDay(rectified) : null, updated_at: isoBeijing(this.rec.stamp(r, rectified ?? day)),
      } satisfies FireHazard);
      this.rec.truth('fire', 'hazards', hazardNo, entity, index, links, tags);
      if (status !== '已整改') this.openHazards.push({ sourceId: hazardNo, building: b, enterprise: e, type, foundDay: day });
    }
  }
}
