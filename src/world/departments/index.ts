/**
 * The seven department emitters, one file each. The layout (../generator.ts) calls them as it
 * builds each grid; each writes only its own department's streams and truth rows, through the
 * shared RecordWriter, and keeps its own sequence numbers.
 */
import type { EnterpriseCtx, PersonCtx, PoolPick } from '../working.js';
import { CourtEmitter } from './court.js';
import { EnterpriseEmitter } from './enterprise.js';
import { FireEmitter } from './fire.js';
import { HousingEmitter } from './housing.js';
import { PoliceEmitter } from './police.js';
import { PopulationEmitter } from './population.js';
import type { RecordWriter } from './records.js';
import { SocialEmitter } from './social.js';

export { RecordWriter } from './records.js';

export class Departments {
  readonly population: PopulationEmitter;
  readonly housing: HousingEmitter;
  readonly enterprise: EnterpriseEmitter;
  readonly police: PoliceEmitter;
  readonly court: CourtEmitter;
  readonly fire: FireEmitter;
  readonly social: SocialEmitter;

  constructor(rec: RecordWriter, pools: { adults: PoolPick<PersonCtx>; pastEnterprises: PoolPick<EnterpriseCtx> }) {
    this.population = new PopulationEmitter(rec);
    this.housing = new HousingEmitter(rec);
    this.enterprise = new EnterpriseEmitter(rec);
    this.police = new PoliceEmitter(rec);
    this.court = new CourtEmitter(rec, pools.adults, pools.pastEnterprises);
    this.fire = new FireEmitter(rec);
    this.social = new SocialEmitter(rec);
  }
}
