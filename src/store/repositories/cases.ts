import DataLoader from 'dataloader';

type Row = Record<string, unknown>;
import type { StoreContext } from './context.js';
import { byForeignKey, byId, groupInKeyOrder } from '../loaders.js';
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

export function createCasesRepository({ knex, policy }: StoreContext) {
  const cases = byId(knex, 'case', caseFromRow);
  const dispatches = byId(knex, 'dispatch', dispatchFromRow);
  const dispatchesByCase = byForeignKey(knex, 'dispatch', 'case_id', dispatchFromRow);
  const eventsByCase = byForeignKey(knex, 'case_event', 'case_id', caseEventFromRow);
  const peopleByCase = new DataLoader<string, PersonModel[]>(async (ids) => {
    const rows: Row[] = await knex
      .from<Row>('case_person')
      .join('person', 'person.id', 'case_person.person_id')
      .whereIn('case_person.case_id', ids as string[])
      .orderBy(['case_person.case_id', 'person.id'])
      .select('person.*', 'case_person.case_id as linked_case_id');
    return groupInKeyOrder(ids, rows, (r) => String(r.linked_case_id), personFromRow);
  });
  // Newest first per person, bounded per person by a window so one busy person cannot flood a batch.
  const latestByPerson = new DataLoader<string, CaseModel[]>(async (ids) => {
    const ranked = knex('case_person')
      .join('case', 'case.id', 'case_person.case_id')
      .whereIn('case_person.person_id', ids as string[])
      .select('case.*', 'case_person.person_id as linked_person_id')
      .select(knex.raw('row_number() over (partition by case_person.person_id order by "case".reported_at desc, "case".id desc) as rank'));
    const rows = (await knex
      .from(ranked.as('ranked'))
      .where('rank', '<=', LATEST_CASES_PER_PERSON)
      .orderBy([{ column: 'linked_person_id' }, { column: 'rank' }])) as Row[];
    return groupInKeyOrder(ids, rows, (r) => String(r.linked_person_id), caseFromRow);
  });

  return {
    case(id: string) {
      policy.assertCanRead('case');
      return cases.load(id);
    },
    cases(filter: CaseListFilter, page: PageArgs) {
      policy.assertCanRead('case');
      const base = () => {
        const q = whereArea(knex('case'), 'case', filter.area);
        if (filter.status?.length) q.whereIn('case.status', filter.status.map((s) => s.toLowerCase()));
        if (filter.category) q.where('case.category', filter.category);
        if (filter.personId) {
          q.whereExists(knex('case_person').whereRaw('case_person.case_id = "case".id').where('case_person.person_id', filter.personId).select(knex.raw('1')));
        }
        if (filter.department) {
          q.whereExists(
            knex('dispatch').join('department', 'department.id', 'dispatch.department_id')
              .whereRaw('dispatch.case_id = "case".id').where('department.name', filter.department).select(knex.raw('1')),
          );
        }
        return q;
      };
      return keysetPage<CaseModel>(base, 'case', page, caseFromRow, 'desc');
    },
    async latestCasesOf(personId: string, first: number) {
      policy.assertCanRead('case');
      if (!Number.isInteger(first) || first < 0 || first > LATEST_CASES_PER_PERSON) {
        throw new SafeError('BAD_USER_INPUT', `cases(first:) must be between 0 and ${LATEST_CASES_PER_PERSON}; page further with cases(filter: { personId }).`);
      }
      return (await latestByPerson.load(personId)).slice(0, first);
    },
    peopleOfCase(caseId: string) {
      policy.assertCanRead('person');
      return peopleByCase.load(caseId);
    },
    dispatch(id: string) {
      policy.assertCanRead('case');
      return dispatches.load(id);
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
