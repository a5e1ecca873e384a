import type { Knex } from 'knex';
import type { StoreContext } from './context.js';
import type { PeopleRepository } from './people.js';
import { byForeignKey, byId, rowsOf } from '../loaders.js';
import { whereArea, type AreaIdsFilter } from '../filters.js';
import { keysetPage, type PageArgs } from '../pagination.js';
import { SafeError } from '../../errors.js';
import {
  caseEventFromRow, caseFromRow, dispatchFromRow, personFromRow, type CaseCountModel, type CaseModel,
} from '../models.js';
import type { Clock } from '../../domain/clock.js';
import { categoryOf } from '../../domain/caseTaxonomy.js';
import type { ReportPeriod } from '../../generated/graphql.js';

export interface CaseListFilter {
  area?: AreaIdsFilter | null;
  status?: string[] | null;
  category?: string | null;
  personId?: string | null;
  buildingId?: string | null;
  department?: string | null;
  /** true: the cases the dashboard counts as overdue (OVERDUE_CASE); false: the others. */
  overdue?: boolean | null;
  /** true: the cases the dashboard counts as escalated (ESCALATED_CASE); false: the others. */
  escalated?: boolean | null;
}

/**
 * The rules the dashboard counts by and case lists filter by: one text each, so a list and a
 * counter can never disagree. SQL conditions on `"case"`, with the instant bound as `:now`.
 */
export const OPEN_CASE = `"case".status <> 'closed'`;
/** Open, and past a deadline: not dispatched, not reached, or not closed in time (earliestOwedDeadline in src/domain/caseWorkflow.ts). */
export const OVERDUE_CASE = `${OPEN_CASE} and ((("case".dispatched_at is null and "case".dispatch_due_at < :now)
        or ("case".arrived_at is null and "case".arrive_due_at < :now) or "case".close_due_at < :now))`;
/** Open, and escalated to a higher level. */
export const ESCALATED_CASE = `${OPEN_CASE} and "case".escalated_at is not null`;

/** Keeps the rows where `condition` holds (true) or does not (false: null counts as not holding). */
function whereCondition(q: Knex.QueryBuilder, condition: string, wanted: boolean, now: Date): Knex.QueryBuilder {
  return q.whereRaw(wanted ? `(${condition})` : `not coalesce((${condition}), false)`, { now });
}

/** Latest cases per person that one batch fetches; `Person.cases(first:)` slices from these. */
const LATEST_CASES_PER_PERSON = 50;

/** The departments a case is dispatched to, which department roles are judged by. */
const DISPATCHED_TO = `array(select department.name from dispatch join department on department.id = dispatch.department_id
    where dispatch.case_id = "case".id order by department.name) as dispatched_to`;
export const dispatchedTo = (knex: Knex) => knex.raw(DISPATCHED_TO);

export interface CaseReportModel {
  period: ReportPeriod; from: Date; to: Date; reported: number; closed: number; overdue: number; escalated: number;
  byStreet: CaseCountModel[]; byCategory: CaseCountModel[];
  dispatchOnTimeRate: number | null; arriveOnTimeRate: number | null; closeOnTimeRate: number | null;
  meanMinutesToDispatch: number | null; meanHoursToClose: number | null;
}

const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** The Beijing calendar day, week (from Monday) or month containing `at`, as instants. */
export function periodOf(period: ReportPeriod, at: Date): { from: Date; to: Date } {
  const local = new Date(at.getTime() + BEIJING_OFFSET_MS);
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth();
  const d = local.getUTCDate();
  const instant = (yy: number, mm: number, dd: number) => new Date(Date.UTC(yy, mm, dd) - BEIJING_OFFSET_MS);
  switch (period) {
    case 'DAY': return { from: instant(y, m, d), to: instant(y, m, d + 1) };
    case 'WEEK': {
      const monday = d - ((local.getUTCDay() + 6) % 7);
      return { from: instant(y, m, monday), to: instant(y, m, monday + 7) };
    }
    case 'MONTH': return { from: instant(y, m, 1), to: instant(y, m + 1, 1) };
  }
}

/** A step is judged once it is done or its deadline has passed; it was late if done after it or escalated for missing it. */
const onTime = (done: string, due: string, missed: string) => `
  count(*) filter (where "case".${due} is not null and ("case".${done} is not null or "case".${due} <= :now)) as ${missed}_judged,
  count(*) filter (where "case".${done} <= "case".${due} and not exists (
    select 1 from case_event e where e.case_id = "case".id and e.type = 'escalated' and e.data->>'missed' = '${missed}')) as ${missed}_on_time`;

const num = (v: unknown): number => Number(v ?? 0);
const rate = (onTimeCount: unknown, judged: unknown): number | null => (num(judged) === 0 ? null : num(onTimeCount) / num(judged));
const meanOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Cases dispatched to the named department (a correlated EXISTS on `"case"`). */
function whereDispatchedTo({ knex, table }: StoreContext, q: Knex.QueryBuilder, department: string): Knex.QueryBuilder {
  return q.whereExists(
    table('dispatch').join('department', 'department.id', 'dispatch.department_id')
      .whereRaw('dispatch.case_id = "case".id').where('department.name', department).select(knex.raw('1')),
  );
}

/** The cases of an area that the viewer may see: the policy's scope, and for department roles their dispatches. */
export function casesInScope(ctx: StoreContext, area: AreaIdsFilter | null | undefined): Knex.QueryBuilder {
  const q = ctx.policy.scopeQuery(whereArea(ctx.table('case'), 'case', area), 'case');
  const ownDepartment = ctx.policy.casesOfDepartment;
  return ownDepartment ? whereDispatchedTo(ctx, q, ownDepartment) : q;
}

export function createCasesRepository(ctx: StoreContext, people: PeopleRepository, clock: Clock) {
  const { knex, table, read, policy } = ctx;
  const cases = byId(read, `select "case".*, ${DISPATCHED_TO} from "case" where "case".id = any(?::bigint[])`, caseFromRow);
  const dispatches = byId(read, 'select * from dispatch where id = any(?::bigint[])', dispatchFromRow);
  const dispatchesByCase = byForeignKey(read, 'select * from dispatch where case_id = any(?::bigint[]) order by case_id, id', 'case_id', dispatchFromRow);
  const eventsByCase = byForeignKey(read, 'select * from case_event where case_id = any(?::bigint[]) order by case_id, id', 'case_id', caseEventFromRow);
  const eventsById = byId(read, 'select * from case_event where id = any(?::bigint[])', caseEventFromRow);
  const enterpriseIdsByCase = byForeignKey(read, 'select * from case_enterprise where case_id = any(?::bigint[]) order by case_id, enterprise_id', 'case_id', (r) => String(r.enterprise_id));
  const peopleByCase = byForeignKey(read, `select person.*, case_person.case_id as linked_case_id from case_person join person on person.id = case_person.person_id
    where case_person.case_id = any(?::bigint[]) order by case_person.case_id, person.id`, 'linked_case_id', personFromRow);
  // Newest first per person, bounded per person by a window so one busy person cannot flood a batch.
  const latestByPerson = byForeignKey(read, `select * from (
      select "case".*, case_person.person_id as linked_person_id, ${DISPATCHED_TO},
        row_number() over (partition by case_person.person_id order by "case".reported_at desc, "case".id desc) as rank
      from case_person join "case" on "case".id = case_person.case_id
      where case_person.person_id = any(?::bigint[])
    ) ranked where rank <= ${LATEST_CASES_PER_PERSON} order by linked_person_id, rank`, 'linked_person_id', caseFromRow);
  const visible = (c: CaseModel | null) => (c && policy.canSeeCase(c) ? c : null);
  /** The cases the viewer may see that match the filter: one definition for lists and reports. */
  const listed = (filter: CaseListFilter) => {
    const q = casesInScope(ctx, filter.area);
    if (filter.status?.length) q.whereIn('case.status', filter.status.map((s) => s.toLowerCase()));
    if (filter.category) q.where('case.category', filter.category);
    if (filter.personId) {
      q.whereExists(table('case_person').whereRaw('case_person.case_id = "case".id').where('case_person.person_id', filter.personId).select(knex.raw('1')));
    }
    if (filter.buildingId) q.where('case.building_id', filter.buildingId);
    if (filter.department) whereDispatchedTo(ctx, q, filter.department);
    if (typeof filter.overdue === 'boolean') whereCondition(q, OVERDUE_CASE, filter.overdue, clock.now());
    if (typeof filter.escalated === 'boolean') whereCondition(q, ESCALATED_CASE, filter.escalated, clock.now());
    return q;
  };

  return {
    async case(id: string) {
      policy.assertCanRead('case');
      return visible(await cases.load(id));
    },
    /** Ordered by id, the order the hub took the cases in: `desc` latest first. */
    cases(filter: CaseListFilter, page: PageArgs, order: 'asc' | 'desc' = 'desc') {
      const access = policy.listAccess('case');
      return keysetPage({ base: () => listed(filter), table: 'case', page, fromRow: caseFromRow, access, order, columns: ['case.*', dispatchedTo(knex)] });
    },
    /** Counts and rates over the cases reported in one period; aggregates, so count-only roles may ask. */
    async report(filter: CaseListFilter, period: ReportPeriod, at: Date | null): Promise<CaseReportModel> {
      policy.listAccess('case');
      const now = clock.now();
      const { from, to } = periodOf(period, at ?? now);
      const inPeriod = () => listed(filter).where('case.reported_at', '>=', from).where('case.reported_at', '<', to);
      const [totals = {}] = await rowsOf(inPeriod().select(knex.raw(`
        count(*) as reported,
        count(*) filter (where "case".status = 'closed') as closed,
        count(*) filter (where ${OVERDUE_CASE}) as overdue,
        count(*) filter (where "case".escalated_at is not null) as escalated,
        ${onTime('dispatched_at', 'dispatch_due_at', 'dispatch')},
        ${onTime('arrived_at', 'arrive_due_at', 'arrive')},
        ${onTime('closed_at', 'close_due_at', 'close')},
        avg(extract(epoch from "case".dispatched_at - "case".reported_at) / 60) as mean_dispatch_minutes,
        avg(extract(epoch from "case".closed_at - "case".reported_at) / 3600) as mean_close_hours`, { now })));
      const closedCount = knex.raw(`count(*) filter (where "case".status = 'closed') as closed`);
      const streets = await rowsOf(inPeriod().leftJoin('area as street', 'street.id', 'case.street_id')
        .groupBy('case.street_id', 'street.name').orderBy('case.street_id')
        .select('case.street_id', 'street.name as street_name', knex.raw('count(*) as reported'), closedCount));
      const categories = await rowsOf(inPeriod().groupBy('case.category').orderBy('case.category')
        .select('case.category', knex.raw('count(*) as reported'), closedCount));
      return {
        period, from, to, reported: num(totals.reported), closed: num(totals.closed), overdue: num(totals.overdue), escalated: num(totals.escalated),
        byStreet: streets.map((r) => ({
          key: r.street_name === null ? '(unplaced)' : String(r.street_name), streetId: r.street_id === null ? null : String(r.street_id), title: null,
          reported: num(r.reported), closed: num(r.closed),
        })),
        byCategory: categories.map((r) => ({
          key: String(r.category), streetId: null, title: categoryOf(String(r.category))?.title ?? null, reported: num(r.reported), closed: num(r.closed),
        })),
        dispatchOnTimeRate: rate(totals.dispatch_on_time, totals.dispatch_judged),
        arriveOnTimeRate: rate(totals.arrive_on_time, totals.arrive_judged),
        closeOnTimeRate: rate(totals.close_on_time, totals.close_judged),
        meanMinutesToDispatch: meanOrNull(totals.mean_dispatch_minutes),
        meanHoursToClose: meanOrNull(totals.mean_close_hours),
      };
    },
    async latestCasesOf(personId: string, first: number) {
      policy.assertCanRead('case');
      if (!Number.isInteger(first) || first < 0 || first > LATEST_CASES_PER_PERSON) {
        throw new SafeError('BAD_USER_INPUT', `cases(first:) must be between 0 and ${LATEST_CASES_PER_PERSON}; page further with cases(filter: { personId }).`);
      }
      return (await latestByPerson.load(personId)).filter((c) => policy.canSeeCase(c)).slice(0, first);
    },
    async peopleOfCase(caseId: string) {
      policy.assertCanRead('person');
      return people.releaseAll(await peopleByCase.load(caseId));
    },
    async dispatch(id: string) {
      policy.assertCanRead('case');
      const d = await dispatches.load(id);
      return d && visible(await cases.load(d.caseId)) ? d : null;
    },
    dispatchesOf(caseId: string) {
      policy.assertCanRead('case');
      return dispatchesByCase.load(caseId);
    },
    historyOf(caseId: string) {
      policy.assertCanRead('case');
      return eventsByCase.load(caseId);
    },
    /** Ids of the enterprises a case concerns; the enterprises repository decides which the viewer sees. */
    enterpriseIdsOf(caseId: string) {
      policy.assertCanRead('case');
      return enterpriseIdsByCase.load(caseId);
    },
    async caseEvent(id: string) {
      policy.assertCanRead('case');
      const e = await eventsById.load(id);
      return e && visible(await cases.load(e.caseId)) ? e : null;
    },
    /** Events by id, oldest first: what a command just appended. The caller has judged the case visible. */
    async events(ids: string[]) {
      policy.assertCanRead('case');
      if (ids.length === 0) return [];
      return (await rowsOf(table('case_event').whereIn('id', ids).orderBy('id'))).map(caseEventFromRow);
    },
    /** Drops what this request's loaders hold about a case, after a command changed it. */
    forget(caseId: string) {
      cases.clear(caseId);
      dispatchesByCase.clear(caseId);
      eventsByCase.clear(caseId);
      dispatches.clearAll();
    },
  };
}
export type CasesRepository = ReturnType<typeof createCasesRepository>;
