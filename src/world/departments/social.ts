/**
 * 民政, civil affairs: the special-groups register (独居老人, 残疾人, 困难群众, 留守儿童) and the
 * monthly grants paid to them, in snake_case, addresses in the full style.
 */
import { EXTRA, type NoiseTag } from '../noise.js';
import type { Rng } from '../rng.js';
import { TODAY, civilFromDays, isoBeijing, isoDay } from '../time.js';
import type { PersonTag, SocialSpecialGroup, SocialSubsidy, TruthLink } from '../types.js';
import { type PersonCtx, pad } from '../working.js';
import { DUPLICATE_SEQ, type RecordWriter } from './records.js';

const SOCIAL_CATEGORY: Record<Exclude<PersonTag, 'community_correction'>, SocialSpecialGroup['category']> = {
  elderly_living_alone: '独居老人', disabled: '残疾人', hardship: '困难群众', left_behind_child: '留守儿童',
};

export class SocialEmitter {
  private groupSeq = 0;
  private duplicateSeq = 0;
  private grantSeq = 0;

  constructor(private readonly rec: RecordWriter) {}

  /** `p`'s special-group registrations and monthly grants, if any. */
  person(p: PersonCtx, head: PersonCtx, household: PersonCtx[]): void {
    const groups = p.tags.filter((t) => t !== 'community_correction');
    const age80 = p.age >= 80 && p.residence === 'hukou'; // 高龄津贴 is paid to registered residents
    if (groups.length === 0 && !age80) return;
    const r = this.rec.rc('social');
    const objectNos: string[] = [];
    const guardianOf = household.find((x) => x.relation === 'head') ?? head;
    for (const tag of groups) {
      const u = this.rec.roll('social');
      if (r.chance(0.03)) continue; // not yet registered
      const twice = (u[EXTRA.duplicate] as number) < this.rec.noise.social.duplicate;
      objectNos.push(this.specialGroup(p, tag, r, u, ++this.groupSeq, guardianOf, false));
      if (twice) this.specialGroup(p, tag, this.rec.dupContent('social'), this.rec.dupRoll('social'), DUPLICATE_SEQ + ++this.duplicateSeq, guardianOf, true);
    }
    this.subsidies(p, r, age80, objectNos);
  }

  /** One person × category in the special-groups register; returns its object_no. */
  private specialGroup(
    p: PersonCtx, tag: Exclude<PersonTag, 'community_correction'>, r: Rng, u: Float64Array, seq: number, guardianOf: PersonCtx, duplicate: boolean,
  ): string {
    const tags: NoiseTag[] = [];
    const f = this.rec.personFields('social', p, u, tags, { phoneOnly: true });
    const place: NoiseTag[] = [];
    const address = this.rec.personAddress('social', p, u, place);
    if (!f.phoneOnly) tags.push(...place);
    const birth = f.phoneOnly ? null : this.rec.birthFields('social', p, u, tags);
    if (duplicate) tags.push('duplicate_registration');
    let detail: string | null = null;
    if (tag === 'disabled') detail = `${r.pick(['肢体', '视力', '听力', '言语', '智力', '精神'])}${r.pick(['一', '二', '三', '四'])}级`;
    if (tag === 'hardship') detail = r.pick(['最低生活保障', '最低生活保障边缘', '特困供养']);
    if (tag === 'elderly_living_alone') detail = r.pick(['每周探访一次', '每日电话问候']);
    const guardian: SocialSpecialGroup['guardian'] = tag === 'left_behind_child' ? { name: guardianOf.name, phone: guardianOf.phone } : null;
    const code = { elderly_living_alone: 'DJ', disabled: 'CJ', hardship: 'KN', left_behind_child: 'LS' }[tag];
    const sourceId = `MZ${code}${pad(seq, 8)}`;
    const registered = TODAY - r.int(20, 2500);
    this.rec.sink('social/special_groups').write({
      object_no: sourceId, name: f.name, id_number: f.id, sex: p.sex === 'male' ? '男' : '女', birth_date: birth === null ? null : isoDay(birth),
      category: SOCIAL_CATEGORY[tag], detail, community: p.communityName, address: f.phoneOnly ? null : address, phone: f.phone, guardian,
      registered_on: isoDay(registered), status: '在册', updated_at: isoBeijing(this.rec.stamp(r, Math.max(registered, TODAY - 400))),
    } satisfies SocialSpecialGroup);
    const guardianLinks: TruthLink[] = guardian ? [{ role: 'guardian', entity: 'person', index: guardianOf.index, noise: [] }] : [];
    this.rec.truth('social', 'special_groups', sourceId, 'person', p.index, guardianLinks, tags);
    return sourceId;
  }

  private subsidies(p: PersonCtx, r: Rng, age80: boolean, objectNos: string[]): void {
    // Monthly grants.
    const grants: Array<[string, number]> = [];
    if (p.tags.includes('hardship')) grants.push(['最低生活保障金', 1310]);
    if (p.tags.includes('disabled') && (p.tags.includes('hardship') || r.chance(0.3))) grants.push(['残疾人两项补贴', r.pick([320, 360, 640])]);
    if (age80) grants.push(['高龄津贴', p.age >= 100 ? 800 : p.age >= 90 ? 300 : 100]);
    if (p.tags.includes('elderly_living_alone') && r.chance(0.5)) grants.push(['居家养老服务补贴', r.pick([200, 300, 400])]);
    for (const [subsidy, amount] of grants) {
      const u = this.rec.roll('social');
      const tags: NoiseTag[] = [];
      const f = this.rec.personFields('social', p, u, tags, { phone: false });
      const start = TODAY - r.int(30, 2000);
      const c = civilFromDays(start);
      const seq = ++this.grantSeq;
      const sourceId = `BZ${c.y}${pad(c.m, 2)}${pad(seq, 8)}`;
      this.rec.sink('social/subsidies').write({
        grant_no: sourceId, object_no: objectNos[0] ?? null, name: f.name, id_number: f.id, subsidy, monthly_amount_yuan: amount,
        start_month: `${c.y}-${pad(c.m, 2)}`, status: r.chance(0.04) ? '已停发' : '发放中', updated_at: isoBeijing(this.rec.stamp(r, TODAY - 60)),
      } satisfies SocialSubsidy);
      this.rec.truth('social', 'subsidies', sourceId, 'person', p.index, [], tags);
    }
  }
}
