/**
 * 公安, the police: residence registrations of floating residents aged 16+, and 110 calls (some of
 * which became cases), in lower-case pinyin, addresses in the road style.
 */
import { EXTRA, type NoiseTag } from '../noise.js';
import { DISTRICT } from '../places.js';
import { type Rng, Weighted, scrambleSmall } from '../rng.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, NOW_MS, TODAY, civilFromDays, compactBeijing, isoDay } from '../time.js';
import type { PoliceIncident, PoliceRegistration, TruthLink } from '../types.js';
import { round6, type GridPlan } from '../layout.js';
import { type BuildingCtx, type PersonCtx, pad } from '../working.js';
import { DUPLICATE_SEQ, type RecordWriter } from './records.js';

const INCIDENT_TYPES = new Weighted([
  ['噪音扰民', 5], ['邻里纠纷', 4], ['家庭纠纷', 3], ['盗窃电动车', 2], ['走失求助', 1], ['交通事故', 3], ['电信诈骗', 2],
] as const);

export class PoliceEmitter {
  private registrationSeq = 0;
  private duplicateSeq = 0;
  private incidentSeq = 0;

  constructor(private readonly rec: RecordWriter) {}

  /** A floating resident's residence registration (居住登记), or two of them. */
  registration(p: PersonCtx): void {
    if (p.residence !== 'floating' || p.age < 16) return;
    const r = this.rec.rc('police');
    const u = this.rec.roll('police');
    if (r.chance(0.1)) return; // not registered
    const twice = (u[EXTRA.duplicate] as number) < this.rec.noise.police.duplicate;
    this.registrationRecord(p, r, u, ++this.registrationSeq, false);
    if (twice) this.registrationRecord(p, this.rec.dupContent('police'), this.rec.dupRoll('police'), DUPLICATE_SEQ + ++this.duplicateSeq, true);
  }

  private registrationRecord(p: PersonCtx, r: Rng, u: Float64Array, seq: number, duplicate: boolean): void {
    const tags: NoiseTag[] = [];
    const f = this.rec.personFields('police', p, u, tags, { phoneOnly: true });
    const place: NoiseTag[] = [];
    const address = this.rec.personAddress('police', p, u, place);
    // A name-and-phone-only registration has no address; its dates still follow from the one the station had.
    const stale = place.includes('address_stale');
    if (!f.phoneOnly) tags.push(...place);
    if (duplicate) tags.push('duplicate_registration');
    const jzdz = f.phoneOnly ? null : address;
    const regDay = stale ? TODAY - r.int(400, 1500) : (p.movedOnDay ?? TODAY - r.int(10, 1500)) + r.int(0, 20);
    const permit = TODAY - regDay > 180 && r.chance(0.75);
    const permitIssued = regDay + 180 + r.int(0, 30);
    const expires = permit ? permitIssued + 365 * (1 + Math.floor((TODAY - permitIssued) / 365)) : null;
    const sourceId = `JZ${civilFromDays(Math.min(regDay, TODAY)).y}${pad(seq, 8)}`;
    this.rec.sink('police/residence_registrations').write({
      djbh: sourceId, sfzh: f.id, xm: f.name, xb: p.sex === 'male' ? '男' : '女', lxdh: f.phone, hjdz: p.origin.name, jzdz,
      jzsy: p.age < 20 && r.chance(0.3) ? '就学' : r.pick(['务工', '务工', '务工', '经商', '投亲靠友']), djrq: isoDay(Math.min(regDay, TODAY)),
      jzzbh: permit ? `${DISTRICT.code}${pad(scrambleSmall(seq, 100_000_000, 43_112_609, 9_876_543), 8)}` : null, yxqz: expires !== null ? isoDay(expires) : null,
      zt: stale && r.chance(0.3) ? '注销' : '有效', gxsj: compactBeijing(this.rec.stamp(r, Math.min(regDay, TODAY - 1))),
    } satisfies PoliceRegistration);
    this.rec.truth('police', 'residence_registrations', sourceId, 'person', p.index, [], tags);
  }

  /** A 110 call at building `b`, perhaps the one a case came from; returns its jjdbh. */
  incident(g: GridPlan, at: number, b: BuildingCtx, caller: PersonCtx | null, title: string | null, caseIndex: number | null): string {
    const r = this.rec.rc('police');
    const u = this.rec.roll('police');
    const tags: NoiseTag[] = [];
    const links: TruthLink[] = [];
    const c = civilFromDays(Math.floor((at + 8 * HOUR_MS) / DAY_MS));
    const sourceId = `JJ${c.y}${pad(c.m, 2)}${pad(c.d, 2)}${pad(++this.incidentSeq, 7)}`;
    let name: string | null = null;
    let phone: string | null = null;
    if (caller) {
      const noise: NoiseTag[] = [];
      const f = this.rec.personFields('police', caller, u, noise);
      name = r.chance(0.15) ? null : f.name; // callers do not always give a name
      phone = f.phone;
      // A 110 call records no ID number; a caller who gave no name has no name noise.
      links.push({ role: 'reporter', entity: 'person', index: caller.index, noise: noise.filter((n) => !n.startsWith('id_') && (name !== null || !n.startsWith('name_'))) });
    }
    if (caseIndex !== null) links.push({ role: 'case', entity: 'case', index: caseIndex, noise: [] });
    const type = title ?? INCIDENT_TYPES.pick(r);
    this.rec.sink('police/incidents').write({
      jjdbh: sourceId, bjsj: compactBeijing(at), bjrxm: name, bjrdh: phone, afdd: this.rec.address('police', b.site, null, null, u, tags), jqlb: type,
      jyaq: `报警人称${b.name}附近发生${type}，请求处置。`, jd: round6(b.lng + r.float(-0.0003, 0.0003)), wd: round6(b.lat + r.float(-0.0003, 0.0003)),
      cjdw: `杭州市公安局余杭区分局${g.street.spec.short}派出所`, cjjg: r.pick(['已调解', '已处理', '移交社区', '已立案', '现场劝离']),
      gxsj: compactBeijing(Math.min(NOW_MS - MINUTE_MS, at + r.int(10, 600) * MINUTE_MS)),
    } satisfies PoliceIncident);
    this.rec.truth('police', 'incidents', sourceId, 'building', b.index, links, tags);
    return sourceId;
  }
}
