/**
 * 人口库, the population register: one record per resident (every hukou resident, most floating
 * ones), in upper-case pinyin initials, addresses in the province style.
 */
import { renderAddress } from '../address.js';
import { EXTRA, type NoiseTag } from '../noise.js';
import { DISTRICT } from '../places.js';
import { type Rng, scrambleSmall } from '../rng.js';
import { TODAY, compactDay, localBeijing } from '../time.js';
import type { PopulationResident, Relation } from '../types.js';
import type { Sex } from '../names.js';
import { type PersonCtx, pad } from '../working.js';
import { DUPLICATE_INDEX, type RecordWriter } from './records.js';

const populationId = (i: number): string => `RY${DISTRICT.code}${pad(scrambleSmall(i, 10_000_000_000, 1_000_003, 1_234_567_891), 10)}`;

const RELATION_TEXT = (p: { relation: Relation; sex: Sex }): string => {
  switch (p.relation) {
    case 'head': return '户主';
    case 'spouse': return p.sex === 'male' ? '夫' : '妻';
    case 'child': return p.sex === 'male' ? '子' : '女';
    case 'parent': return p.sex === 'male' ? '父亲' : '母亲';
    case 'grandchild': return p.sex === 'male' ? '孙子' : '孙女';
  }
};

export class PopulationEmitter {
  constructor(private readonly rec: RecordWriter) {}

  /** The register's record of `p`, or two of them. */
  resident(p: PersonCtx): void {
    const r = this.rec.rc('population');
    const u = this.rec.roll('population');
    // Everyone with hukou is registered; a few floating residents never were.
    if (p.residence === 'floating' && r.chance(0.04)) return;
    const twice = (u[EXTRA.duplicate] as number) < this.rec.noise.population.duplicate;
    this.record(p, r, u, populationId(p.index), false);
    // Registered twice: a second record with fresh content and noise, under an id no person has.
    if (twice) this.record(p, this.rec.dupContent('population'), this.rec.dupRoll('population'), populationId(DUPLICATE_INDEX + p.index), true);
  }

  private record(p: PersonCtx, r: Rng, u: Float64Array, sourceId: string, duplicate: boolean): void {
    const tags: NoiseTag[] = [];
    // The register always holds ID number, birth date and address: no name-and-phone-only records.
    const f = this.rec.personFields('population', p, u, tags);
    const birth = this.rec.birthFields('population', p, u, tags);
    const xzz = this.rec.personAddress('population', p, u, tags);
    if (duplicate) tags.push('duplicate_registration');
    // Hukou residents who moved often keep their hukou at the old address.
    const hukouAt = p.residence === 'hukou' && p.movedFrom && r.chance(0.5) ? p.movedFrom : p.dwelling;
    const registered = p.residence === 'hukou' ? Math.max(p.birthDay + r.int(0, 60), TODAY - 365 * 30) : (p.movedOnDay ?? TODAY - r.int(30, 2000));
    this.rec.sink('population/residents').write({
      RYBH: sourceId, GMSFHM: f.id, XM: f.name, XB: p.sex === 'male' ? '1' : '2', CSRQ: compactDay(birth), MZ: p.ethnicity, LXDH: f.phone,
      RYLB: p.residence === 'hukou' ? '户籍人口' : '流动人口', HH: p.householdNumber, YHZGX: RELATION_TEXT(p),
      HJDZ: p.residence === 'hukou' ? renderAddress(hukouAt.site, hukouAt.unit, hukouAt.room, 'province') : p.origin.name, XZZ: xzz,
      DJRQ: compactDay(Math.min(registered, TODAY)), GXSJ: localBeijing(this.rec.stamp(r, Math.max(registered, p.movedOnDay ?? 0, TODAY - 720))),
    } satisfies PopulationResident);
    this.rec.truth('population', 'residents', sourceId, 'person', p.index, [], tags);
  }
}
