/**
 * What a case is about, and how fast each kind must be handled: the category taxonomy with its
 * SLA per urgency, and the stricter clock of supervised handling. Extending the taxonomy is
 * adding an entry to CATEGORIES; a category without its own SLA for an urgency uses STANDARD_SLA.
 */

export type CaseUrgency = 'low' | 'normal' | 'high' | 'critical';
export const URGENCIES: readonly CaseUrgency[] = ['low', 'normal', 'high', 'critical'];

/** How long each step may take, in minutes from the moment the step became due. */
export interface Sla {
  /** From report (or reopening) to the first dispatch. */
  dispatchMinutes: number;
  /** From dispatch to a team on site. */
  arriveMinutes: number;
  /** From report (or reopening) to closing. */
  closeMinutes: number;
}

const DAY = 24 * 60;

/** The command center's default service levels. */
export const STANDARD_SLA: Readonly<Record<CaseUrgency, Sla>> = {
  critical: { dispatchMinutes: 5, arriveMinutes: 15, closeMinutes: 1 * DAY },
  high: { dispatchMinutes: 15, arriveMinutes: 30, closeMinutes: 3 * DAY },
  normal: { dispatchMinutes: 30, arriveMinutes: 120, closeMinutes: 7 * DAY },
  low: { dispatchMinutes: 120, arriveMinutes: 24 * 60, closeMinutes: 15 * DAY },
};

/**
 * A supervised case (督办) runs on half of every window, and no remaining window is ever
 * lengthened by being supervised.
 */
export const SUPERVISED_FACTOR = 0.5;

export interface CaseCategory {
  /** `domain.kind`, stable: stored on cases and used in filters. */
  code: string;
  title: string;
  sla: Readonly<Record<CaseUrgency, Sla>>;
}

function category(code: string, title: string, overrides: Partial<Record<CaseUrgency, Partial<Sla>>> = {}): CaseCategory {
  const sla = Object.fromEntries(URGENCIES.map((u) => [u, { ...STANDARD_SLA[u], ...overrides[u] }])) as Record<CaseUrgency, Sla>;
  return { code, title, sla };
}

/** The taxonomy. Codes already in stored cases (the demo, the generated world) must stay. */
export const CATEGORIES: readonly CaseCategory[] = [
  category('environment.dust_noise', '灰尘噪音污染', { normal: { closeMinutes: 10 * DAY }, high: { closeMinutes: 10 * DAY } }),
  category('environment.pollution', '环境污染'),
  category('city.construction_waste', '建筑垃圾乱堆', { normal: { closeMinutes: 1 * DAY }, low: { closeMinutes: 3 * DAY } }),
  category('city.illegal_building', '违章搭建', { normal: { closeMinutes: 15 * DAY } }),
  category('city.illegal_land_use', '违法用地', { normal: { closeMinutes: 30 * DAY } }),
  // Teams reach a fallen tree within five minutes: the street dispatches its own crews.
  category('emergency.fallen_tree', '倒伏树木', {
    high: { dispatchMinutes: 5, arriveMinutes: 5, closeMinutes: 1 * DAY },
    critical: { dispatchMinutes: 3, arriveMinutes: 5, closeMinutes: 0.5 * DAY },
  }),
  category('safety.escaped_animal', '动物出逃', { high: { dispatchMinutes: 5, arriveMinutes: 10 }, critical: { dispatchMinutes: 3, arriveMinutes: 10 } }),
  category('neighbour.noise', '噪音扰民'),
  category('labour.unpaid_wages', '拖欠工资、工伤赔偿', { normal: { closeMinutes: 30 * DAY }, high: { closeMinutes: 15 * DAY } }),
  category('fire.ebike_indoor_charging', '电瓶车室内充电'),
  category('fire.hazard', '消防隐患逾期未整改', { normal: { closeMinutes: 7 * DAY }, high: { closeMinutes: 3 * DAY } }),
  category('police.incident', '110 警情移交'),
  category('market.prepaid_card_risk', '预付卡经营风险', { normal: { closeMinutes: 30 * DAY }, high: { closeMinutes: 15 * DAY } }),
  category('care.elderly_alone', '独居老人帮扶'),
];

const BY_CODE = new Map(CATEGORIES.map((c) => [c.code, c]));

export function categoryOf(code: string): CaseCategory | null {
  return BY_CODE.get(code) ?? null;
}

/** The windows that apply to a case now. Unknown categories (older data) get the standard ones. */
export function slaOf(code: string, urgency: CaseUrgency, supervised: boolean): Sla {
  const base = categoryOf(code)?.sla[urgency] ?? STANDARD_SLA[urgency];
  if (!supervised) return base;
  const strict = (minutes: number) => Math.ceil(minutes * SUPERVISED_FACTOR);
  return { dispatchMinutes: strict(base.dispatchMinutes), arriveMinutes: strict(base.arriveMinutes), closeMinutes: strict(base.closeMinutes) };
}
