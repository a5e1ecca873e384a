import DataLoader from 'dataloader';
import type { Knex } from 'knex';
import type { StoreContext } from './context.js';
import type { PeopleRepository } from './people.js';
import { byForeignKey, byId, groupInKeyOrder, rowsOf, type Row } from '../loaders.js';
import { whereArea, type AreaIdsFilter } from '../filters.js';
import { keysetPage } from '../paging.js';
import type { PageArgs } from '../pagination.js';
import { SafeError } from '../../errors.js';
import { caseEventFromRow, caseFromRow, dispatchFromRow, personFromRow, type CaseModel, type PersonModel } from '../models.js';

export interface CaseListFilter {
  area?: AreaIdsFilter | null;
  status?: string[] | null;
  category?: string | null;
  personId?: string | null;
  department?: string | null;
}

/** Latest cases per person that one batch fetches; `Person.cases(first:)` slices from these. */
const LATEST_CASES_PER_PERSON = 50;

/** The departments a case is dispatched to, which department roles are judged by. */
export const dispatchedTo = (knex: Knex) =>
  knex.raw(`array(select department.name from dispatch join department on department.id = dispatch.department_id
    where dispatch.case_id = "case".id order by department.name) as dispatched_to`);

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

export function createCasesRepository(ctx: StoreContext, people: PeopleRepository) {
  const { knex, table, policy } = ctx;
  const cases = byId(() => table('case').select('case.*', dispatchedTo(knex)), 'case.id', caseFromRow);
  const dispatches = byId(() => table('dispatch'), 'id', dispatchFromRow);
  const dispatchesByCase = byForeignKey(() => table('dispatch'), 'case_id', dispatchFromRow, 'id');
  const eventsByCase = byForeignKey(() => table('case_event'), 'case_id', caseEventFromRow, 'id');
  const peopleByCase = new DataLoader<string, PersonModel[]>(async (ids) => {
    const rows = await rowsOf(table('case_person')
      .join('person', 'person.id', 'case_person.person_id')
      .whereIn('case_person.case_id', ids as string[])
      .orderBy(['case_person.case_id', 'person.id'])
      .select('person.*', 'case_person.case_id as linked_case_id'));
    return groupInKeyOrder(ids, rows, (r) => String(r.linked_case_id), personFromRow);
  });
  // Newest first per person, bounded per person by a window so one busy person cannot flood a batch.
  const latestByPerson = new DataLoader<string, CaseModel[]>(async (ids) => {
    const ranked = table('case_person')
      .join('case', 'case.id', 'case_person.case_id')
      .whereIn('case_person.person_id', ids as string[])
      .select('case.*', 'case_person.person_id as linked_person_id', dispatchedTo(knex))
      .select(knex.raw('row_number() over (partition by case_person.person_id order by "case".reported_at desc, "case".id desc) as rank'));
    const rows = (await knex
      .from(ranked.as('ranked'))
      .where('rank', '<=', LATEST_CASES_PER_PERSON)
      .orderBy([{ column: 'linked_person_id' }, { column: 'rank' }])) as Row[];
    return groupInKeyOrder(ids, rows, (r) => String(r.linked_person_id), caseFromRow);
  });
  const visible = (c: CaseModel | null) => (c && policy.canSeeCase(c) ? c : null);

  return {
    async case(id: string) {
      policy.assertCanRead('case');
      return visible(await cases.load(id));
    },
    cases(filter: CaseListFilter, page: PageArgs) {
      const access = policy.listAccess('case');
      const base = () => {
        const q = casesInScope(ctx, filter.area);
        if (filter.status?.length) q.whereIn('case.status', filter.status.map((s) => s.toLowerCase()));
        if (filter.category) q.where('case.category', filter.category);
        if (filter.personId) {
          q.whereExists(table('case_person').whereRaw('case_person.case_id = "case".id').where('case_person.person_id', filter.personId).select(knex.raw('1')));
        }
        if (filter.department) whereDispatchedTo(ctx, q, filter.department);
        return q;
      };
      return keysetPage({ base, table: 'case', page, fromRow: caseFromRow, access, order: 'desc', columns: ['case.*', dispatchedTo(knex)] });
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
  };
}
export type CasesRepository = ReturnType<typeof createCasesRepository>;
