/**
 * 法院, the court: judgments (civil and criminal) and the dishonest-debtor list, people and
 * enterprises, in camelCase, addresses in the full style. Plaintiffs come from the layout's pools
 * of earlier adults and enterprises.
 */
import { renderAddress } from '../address.js';
import { fullName } from '../names.js';
import type { NoiseTag } from '../noise.js';
import type { Rng } from '../rng.js';
import { TODAY, civilFromDays, isoBeijing, isoDay } from '../time.js';
import type { CourtDishonestDebtor, CourtJudgment, CourtParty, TruthLink } from '../types.js';
import { BRAND_CHARS, type EnterpriseCtx, type PersonCtx, type PoolPick } from '../working.js';
import type { RecordWriter } from './records.js';

export class CourtEmitter {
  private readonly caseSeq = new Map<string, number>();

  constructor(
    private readonly rec: RecordWriter, private readonly adults: PoolPick<PersonCtx>, private readonly pastEnterprises: PoolPick<EnterpriseCtx>,
  ) {}

  private nextCaseNo(year: number, kind: string): string {
    const key = `${year}${kind}`;
    const n = (this.caseSeq.get(key) ?? 0) + 1;
    this.caseSeq.set(key, n);
    return `(${year})浙0110${kind}${n}号`;
  }

  /** A party's fields as the court wrote them; its noise goes to `tags`. */
  private party(role: CourtParty['role'], p: PersonCtx, tags: NoiseTag[], withAddress: boolean): CourtParty {
    const u = this.rec.roll('court');
    const f = this.rec.personFields('court', p, u, tags, { phone: false });
    return { role, name: f.name, idNumber: f.id, creditCode: null, address: withAddress ? this.rec.personAddress('court', p, u, tags) : null };
  }

  /** Criminal and civil judgments against `p`, and the dishonest list when a debtor does not pay. */
  person(p: PersonCtx): void {
    const r = this.rec.rc('court');
    const civil = p.age >= 25 && p.age <= 72 && r.chance(0.012);
    const criminal = p.tags.includes('community_correction');
    if (!civil && !criminal) return;
    if (criminal) {
      const judged = TODAY - r.int(30, 900);
      const year = civilFromDays(judged - r.int(20, 90)).y;
      const caseNo = this.nextCaseNo(year, '刑初');
      const tags: NoiseTag[] = [];
      const defendant = this.party('被告人', p, tags, true);
      this.rec.sink('court/judgments').write({
        caseNo, court: '杭州市余杭区人民法院', caseType: '刑事', cause: r.pick(['危险驾驶罪', '盗窃罪', '帮助信息网络犯罪活动罪', '故意伤害罪']),
        filedOn: isoDay(judged - r.int(20, 90)), judgedOn: isoDay(judged), parties: [defendant], amountYuan: null,
        sentence: `判处有期徒刑${r.int(6, 30)}个月，缓刑${r.int(1, 3)}年`, result: '判决', updatedAt: isoBeijing(this.rec.stamp(r, judged)),
      } satisfies CourtJudgment);
      this.rec.truth('court', 'judgments', caseNo, 'person', p.index, [], tags);
    }
    if (civil) {
      const judged = TODAY - r.int(20, 1800);
      const filed = judged - r.int(30, 200);
      const caseNo = this.nextCaseNo(civilFromDays(filed).y, '民初');
      const tags: NoiseTag[] = [];
      const links: TruthLink[] = [];
      const cause = r.pick(['民间借贷纠纷', '买卖合同纠纷', '房屋租赁合同纠纷', '机动车交通事故责任纠纷', '金融借款合同纠纷', '劳务合同纠纷']);
      const amount = r.int(5, 800) * 1000;
      let plaintiff: CourtParty;
      const lender = cause === '金融借款合同纠纷' || cause === '买卖合同纠纷' ? this.pastEnterprises.pick(r) : undefined;
      const other = this.adults.pick(r);
      if (lender) {
        plaintiff = { role: '原告', name: lender.name, idNumber: null, creditCode: lender.creditCode, address: renderAddress(lender.building.site, null, lender.room, 'full') };
        links.push({ role: 'plaintiff', entity: 'enterprise', index: lender.index, noise: [] });
      } else if (other && other.index !== p.index) {
        const noise: NoiseTag[] = [];
        plaintiff = this.party('原告', other, noise, false);
        links.push({ role: 'plaintiff', entity: 'person', index: other.index, noise });
      } else {
        plaintiff = { role: '原告', name: fullName(r, 'male', 1975), idNumber: null, creditCode: null, address: null };
      }
      const defendant = this.party('被告', p, tags, true);
      this.rec.sink('court/judgments').write({
        caseNo, court: '杭州市余杭区人民法院', caseType: '民事', cause, filedOn: isoDay(filed), judgedOn: isoDay(judged), parties: [plaintiff, defendant],
        amountYuan: amount, sentence: null, result: r.pick(['判决被告支付', '调解结案', '判决被告支付', '部分支持原告诉讼请求']),
        updatedAt: isoBeijing(this.rec.stamp(r, judged)),
      } satisfies CourtJudgment);
      this.rec.truth('court', 'judgments', caseNo, 'person', p.index, links, tags);
      // A third of the losers do not pay: an enforcement case, and the dishonest list.
      if (r.chance(0.3) && judged + 60 < TODAY) this.dishonest(r, p, null, caseNo, amount, judged + r.int(40, 120));
    }
  }

  private dishonest(r: Rng, p: PersonCtx | null, e: EnterpriseCtx | null, basisCaseNo: string, amount: number, enforcementDay: number): void {
    const day = Math.min(enforcementDay, TODAY - 5);
    const caseNo = this.nextCaseNo(civilFromDays(day).y, '执');
    const published = Math.min(TODAY - 1, day + r.int(30, 180));
    const tags: NoiseTag[] = [];
    const links: TruthLink[] = [];
    let record: CourtDishonestDebtor;
    const common = {
      caseNo, basisCaseNo, court: '杭州市余杭区人民法院', obligation: r.pick(['偿还借款本金及利息', '支付货款', '支付租金', '赔偿损失', '支付工资']),
      amountYuan: amount, performance: r.chance(0.8) ? '全部未履行' as const : '部分未履行' as const,
      circumstance: r.pick(['有履行能力而拒不履行生效法律文书确定义务', '违反财产报告制度', '违反限制消费令']), publishedOn: isoDay(published),
      updatedAt: isoBeijing(this.rec.stamp(r, published)),
    };
    if (p) {
      const u = this.rec.roll('court');
      const f = this.rec.personFields('court', p, u, tags, { phone: false });
      record = { ...common, debtorType: '自然人', name: f.name, idNumber: f.id, creditCode: null, legalRepresentative: null, address: this.rec.personAddress('court', p, u, tags) };
      this.rec.sink('court/dishonest_debtors').write(record);
      this.rec.truth('court', 'dishonest_debtors', caseNo, 'person', p.index, links, tags);
    } else if (e) {
      const u = this.rec.roll('court');
      const repNoise: NoiseTag[] = [];
      const rep = this.rec.personFields('court', { index: e.legalRep?.index ?? -1, idNumber: e.legalRepId, name: e.legalRepName, phone: null }, u, repNoise).name;
      // Noise on a representative living outside the district stays on the record: there is no entity to link.
      if (e.legalRep) links.push({ role: 'legal_representative', entity: 'person', index: e.legalRep.index, noise: repNoise.filter((n) => n.startsWith('name_')) });
      else tags.push(...repNoise.filter((n) => n.startsWith('name_')));
      record = {
        ...common, debtorType: '法人', name: e.name, idNumber: null, creditCode: e.creditCode, legalRepresentative: rep,
        address: this.rec.address('court', e.building.site, null, e.room, u, tags),
      };
      this.rec.sink('court/dishonest_debtors').write(record);
      this.rec.truth('court', 'dishonest_debtors', caseNo, 'enterprise', e.index, links, tags);
    }
  }

  /** A civil judgment against enterprise `e` (a worker or a supplier sues), sometimes enforcement. `adults`: the grid's so far. */
  enterprise(e: EnterpriseCtx, adults: PersonCtx[]): void {
    const r = this.rec.rc('court');
    if (!r.chance(0.012)) return;
    const judged = TODAY - r.int(20, 1500);
    const filed = judged - r.int(30, 200);
    const caseNo = this.nextCaseNo(civilFromDays(filed).y, '民初');
    const links: TruthLink[] = [];
    const tags: NoiseTag[] = [];
    // A worker suing for wages, or a supplier suing for payment.
    const worker = r.chance(0.6) ? (adults.length > 0 ? r.pick(adults) : this.adults.pick(r)) : undefined;
    const supplier = worker ? undefined : this.pastEnterprises.pick(r);
    let cause: string;
    let plaintiff: CourtParty;
    if (worker) {
      cause = r.pick(['劳动争议', '追索劳动报酬纠纷']);
      const noise: NoiseTag[] = [];
      plaintiff = this.party('原告', worker, noise, false);
      links.push({ role: 'plaintiff', entity: 'person', index: worker.index, noise });
    } else if (supplier && supplier.index !== e.index) {
      cause = '买卖合同纠纷';
      plaintiff = { role: '原告', name: supplier.name, idNumber: null, creditCode: supplier.creditCode, address: renderAddress(supplier.building.site, null, supplier.room, 'full') };
      links.push({ role: 'plaintiff', entity: 'enterprise', index: supplier.index, noise: [] });
    } else {
      cause = '买卖合同纠纷';
      plaintiff = { role: '原告', name: `浙江${r.pick(BRAND_CHARS)}${r.pick(BRAND_CHARS)}供应链有限公司`, idNumber: null, creditCode: null, address: null };
    }
    const amount = r.int(10, 2000) * 1000;
    const u = this.rec.roll('court');
    const defendant: CourtParty = { role: '被告', name: e.name, idNumber: null, creditCode: e.creditCode, address: this.rec.address('court', e.building.site, null, e.room, u, tags) };
    this.rec.sink('court/judgments').write({
      caseNo, court: '杭州市余杭区人民法院', caseType: '民事', cause, filedOn: isoDay(filed), judgedOn: isoDay(judged), parties: [plaintiff, defendant],
      amountYuan: amount, sentence: null, result: r.pick(['判决被告支付', '调解结案']), updatedAt: isoBeijing(this.rec.stamp(r, judged)),
    } satisfies CourtJudgment);
    this.rec.truth('court', 'judgments', caseNo, 'enterprise', e.index, links, tags);
    if (r.chance(0.35) && judged + 60 < TODAY) this.dishonest(r, null, e, caseNo, amount, judged + r.int(40, 120));
  }
}
