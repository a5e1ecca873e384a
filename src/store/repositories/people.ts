import DataLoader from 'dataloader';
import type { StoreContext } from './context.js';
import { byForeignKey, byId, groupInKeyOrder } from '../loaders.js';
import { whereArea, whereDepartmentPresent, type AreaIdsFilter } from '../filters.js';
import { keysetPage } from '../paging.js';
import type { PageArgs } from '../pagination.js';
import { householdFromRow, personFromRow, personTagOf, type PersonModel } from '../models.js';

export interface PersonListFilter {
  area?: AreaIdsFilter | null;
  tags?: string[] | null;
  department?: string | null;
  residenceType?: string | null;
}

/** People, their households and tags. */
export function createPeopleRepository({ knex, policy }: StoreContext) {
  const people = byId(knex, 'person', personFromRow);
  const households = byId(knex, 'household', householdFromRow);
  const membersByHousehold = byForeignKey(knex, 'person', 'household_id', personFromRow);
  const residentsByDwelling = byForeignKey(knex, 'person', 'dwelling_id', personFromRow);
  const householdsByDwelling = byForeignKey(knex, 'household', 'dwelling_id', householdFromRow);
  const tagsByPerson = new DataLoader<string, ReturnType<typeof personTagOf>[]>(async (ids) => {
    const rows = (await knex('person_tag').whereIn('person_id', ids as string[]).orderBy(['person_id', 'tag'])) as Record<string, unknown>[];
    return groupInKeyOrder(ids, rows, (r) => String(r.person_id), personTagOf);
  });

  return {
    person(id: string) {
      policy.assertCanRead('person');
      return people.load(id);
    },
    people(filter: PersonListFilter, page: PageArgs) {
      policy.assertCanRead('person');
      const base = () => {
        const q = whereArea(knex('person'), 'person', filter.area);
        if (filter.residenceType) q.where('person.residence_type', filter.residenceType.toLowerCase());
        for (const tag of filter.tags ?? []) {
          q.whereExists(
            knex('person_tag').whereRaw('person_tag.person_id = person.id').where('person_tag.tag', tag.toLowerCase()).select(knex.raw('1')),
          );
        }
        return whereDepartmentPresent(q, knex, 'person', 'person', filter.department);
      };
      return keysetPage<PersonModel>(base, 'person', page, personFromRow);
    },
    tags(personId: string) {
      policy.assertCanRead('person');
      return tagsByPerson.load(personId);
    },
    household(id: string) {
      policy.assertCanRead('household');
      return households.load(id);
    },
    householdMembers(householdId: string) {
      policy.assertCanRead('person');
      return membersByHousehold.load(householdId);
    },
    householdsOfDwelling(dwellingId: string) {
      policy.assertCanRead('household');
      return householdsByDwelling.load(dwellingId);
    },
    residentsOfDwelling(dwellingId: string) {
      policy.assertCanRead('person');
      return residentsByDwelling.load(dwellingId);
    },
  };
}
export type PeopleRepository = ReturnType<typeof createPeopleRepository>;
