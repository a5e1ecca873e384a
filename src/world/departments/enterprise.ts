/**
 * 市场监管, market regulation: one record per enterprise with its legal representative, SAMR-style
 * camelCase, addresses in the province style.
 */
import type { NoiseTag } from '../noise.js';
import { TODAY, isoDay, localBeijing } from '../time.js';
import type { EnterpriseRow, EnterpriseStatus, MarketEnterprise } from '../types.js';
import type { EnterpriseCtx } from '../working.js';
import type { RecordWriter } from './records.js';

const REG_STATE: Record<EnterpriseStatus, string> = { active: '存续（在营、开业、在册）', revoked: '吊销，未注销', deregistered: '注销' };

export class EnterpriseEmitter {
  constructor(private readonly rec: RecordWriter) {}

  /** The register's record of enterprise `e`, whose world row is `row`; `estDay` its founding day. */
  record(e: EnterpriseCtx, row: EnterpriseRow, estDay: number): void {
    const { index, pripid, creditCode, name, status, room, building: b, legalRep: rep, legalRepId: repId, legalRepName: repName } = e;
    const { entType, registeredCapital: regCap, phone } = row;
    const industry = { code: row.industryCode, name: row.industry };
    const r = this.rec.rc('enterprise');
    const u = this.rec.roll('enterprise');
    const tags: NoiseTag[] = [];
    const repNoise: NoiseTag[] = [];
    const f = this.rec.personFields('enterprise', { index: rep?.index ?? -1, idNumber: repId, name: repName, phone: null }, u, repNoise);
    // Noise on a representative living outside the district stays on the record: there is no entity to link.
    if (!rep) tags.push(...repNoise);
    const changed = Math.min(TODAY - 1, estDay + r.int(0, Math.max(1, TODAY - estDay)));
    this.rec.sink('enterprise/enterprises').write({
      pripid, uniscid: creditCode, entName: name, entType, leRep: f.name, leRepCerType: '中华人民共和国居民身份证', leRepCerNo: f.id,
      dom: this.rec.address('enterprise', b.site, null, room, u, tags), industryPhy: industry.code, industryName: industry.name, regCap, regCapCur: '人民币',
      estDate: isoDay(estDay), regState: REG_STATE[status], apprDate: isoDay(changed), regOrg: '杭州市余杭区市场监督管理局', tel: phone,
      updateTime: localBeijing(this.rec.stamp(r, Math.max(changed, TODAY - 500))),
    } satisfies MarketEnterprise);
    this.rec.truth('enterprise', 'enterprises', pripid, 'enterprise', index, rep ? [{ role: 'legal_representative', entity: 'person', index: rep.index, noise: repNoise }] : [], tags);
  }
}
