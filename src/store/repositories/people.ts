import type { StoreContext } from './context.js';
import { byForeignKey, byId, then, type Row } from '../loaders.js';
import { PLACE_CHAIN, PLACE_CHAIN_JOINS, columnsAs, type PlacesRepository } from './places.js';
import { whereArea, whereDepartmentPresent, type AreaIdsFilter } from '../filters.js';
import { keysetPage, type PageArgs } from '../pagination.js';
import { householdFromRow, personFromRow, personTagOf, type HouseholdModel, type PersonModel } from '../models.js';

export interface PersonListFilter {
  area?: AreaIdsFilter | null;
  tags?: string[] | null;
  department?: string | null;
  residenceType?: string | null;
}

/**
 * People, their households and tags. Every person leaves this module through `release`: in the
 * viewer's scope, masked as the role requires, and noted for the audit trail.
 */
export function createPeopleRepository({ knex, table, read, policy, reads, survivor }: StoreContext, places: Pick<PlacesRepository, 'primeDwelling'>) {
  // A person comes with where they live (dwelling, building, addresses, grid) for the places'
  // loaders: the profile asks for all of it beside the person, at the same level.
  const people = byId(read, `select person.*, ${columnsAs('dwelling', 'dwelling', 'dwelling_row')}, ${PLACE_CHAIN}
    from person left join dwelling on dwelling.id = person.dwelling_id ${PLACE_CHAIN_JOINS} where person.id = any(?::bigint[])`, (r) => {
    places.primeDwelling(r);
    return personFromRow(r);
  });
  const membersByHousehold = byForeignKey(read, 'select * from person where household_id = any(?::bigint[]) order by household_id, id', 'household_id', personFromRow);
  const residentsByDwelling = byForeignKey(read, 'select * from person where dwelling_id = any(?::bigint[]) order by dwelling_id, id', 'dwelling_id', personFromRow);
  // A household is in scope where its dwelling's building is. It comes with its dwelling's whole
  // chain (building, addresses, grid) for the places' loaders: a household is nearly always
  // shown where it lives.
  const householdsWithScope = `select household.*, building.grid_id, building.street_id, ${columnsAs('dwelling', 'dwelling', 'dwelling_row')}, ${PLACE_CHAIN}
    from household left join dwelling on dwelling.id = household.dwelling_id ${PLACE_CHAIN_JOINS}`;
  const householdFrom = (r: Row) => {
    places.primeDwelling(r);
    return householdFromRow(r);
  };
  const households = byId(read, `${householdsWithScope} where household.id = any(?::bigint[])`, householdFrom);
  const householdsByDwelling = byForeignKey(read, `${householdsWithScope} where household.dwelling_id = any(?::bigint[]) order by household.dwelling_id, household.id`, 'dwelling_id', householdFrom);
  const tagsByPerson = byForeignKey(read, 'select * from person_tag where person_id = any(?::bigint[]) order by person_id, tag', 'person_id', personTagOf);

  const release = (p: PersonModel): PersonModel => {
    reads.person(p.id);
    return { ...p, idNumber: policy.idNumber(p.idNumber), phone: policy.phone(p.phone) };
  };
  const releaseAll = (list: PersonModel[]) => list.filter((p) => policy.inScope(p)).map(release);
  const visibleHousehold = (h: HouseholdModel | null) => (h && policy.inScope(h) ? h : null);

  return {
    async person(id: string) {
      policy.assertCanRead('person');
      let p = await people.load(id);
      if (!p) {
        // A merged-away id answers with the person it was merged into.
        const now = await survivor('person', id);
        if (now !== null) p = await people.load(now);
      }
      return p && policy.inScope(p) ? release(p) : null;
    },
    async people(filter: PersonListFilter, page: PageArgs) {
      const access = policy.listAccess('person');
      if (filter.department) policy.assertCanFilterByDepartment(filter.department);
      if (filter.tags?.length) policy.assertCanReadTags();
      const base = () => {
        const q = policy.scopeQuery(whereArea(table('person'), 'person', filter.area), 'person');
        if (filter.residenceType) q.where('person.residence_type', filter.residenceType.toLowerCase());
        for (const tag of filter.tags ?? []) {
          q.whereExists(
            table('person_tag').whereRaw('person_tag.person_id = person.id').where('person_tag.tag', tag.toLowerCase()).select(knex.raw('1')),
          );
        }
        return whereDepartmentPresent(q, knex, 'person', 'person', filter.department);
      };
      const connection = await keysetPage({ base, table: 'person', page, fromRow: personFromRow, access });
      if (access === 'rows') for (const edge of connection.edges) edge.node = release(edge.node);
      return connection;
    },
    tags(personId: string) {
      policy.assertCanReadTags();
      return tagsByPerson.load(personId);
    },
    household(id: string) {
      policy.assertCanRead('household');
      return then(households.get(id), visibleHousehold);
    },
    /** The head, from the members' statement when the head lives there (it always should), so `head` and `members` cost one read. */
    async householdHead(household: HouseholdModel) {
      if (!household.headPersonId) return null;
      policy.assertCanRead('person');
      const head = (await membersByHousehold.load(household.id)).find((p) => p.id === household.headPersonId);
      if (head) return policy.inScope(head) ? release(head) : null;
      return this.person(household.headPersonId);
    },
    async householdMembers(householdId: string) {
      policy.assertCanRead('person');
      return releaseAll(await membersByHousehold.load(householdId));
    },
    async householdsOfDwelling(dwellingId: string) {
      policy.assertCanRead('household');
      return (await householdsByDwelling.load(dwellingId)).filter((h) => policy.inScope(h));
    },
    async residentsOfDwelling(dwellingId: string) {
      policy.assertCanRead('person');
      return releaseAll(await residentsByDwelling.load(dwellingId));
    },
    /** Forgets people this request loaded (after a correction changed them). */
    forget() {
      people.clearAll();
    },
    /** People loaded elsewhere (a case's people) pass the same gate. */
    releaseAll,
  };
}
export type PeopleRepository = ReturnType<typeof createPeopleRepository>;
