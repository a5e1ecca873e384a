import { describeEachDatabase } from '../support/databases.js';
import { worldHubFixture } from '../support/hub.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';
import { PERSON_PROFILE } from '../../bench/queries.js';

/** The same profile query the benchmark measures. */
const PROFILE = PERSON_PROFILE;

describeEachDatabase('GraphQL queries over a synced world', ({ openWorld }) => {
  const fx = worldHubFixture({ openWorld });

  test('a person profile joins household, dwelling, building, grid, records and cases', async () => {
    const row = await fx.db.knex('person').whereNotNull('household_id').whereNotNull('id_number').orderBy('id').first();
    const res = await fx.t.gql(PROFILE, { id: toGlobalId('Person', String(row.id)) });
    expect(res.errors).toBeUndefined();
    const p = res.data!.person;
    expect(p.name).toBe(row.name);
    expect(p.idNumber).toBe(row.id_number);
    expect(p.household.members.map((m: { name: string }) => m.name)).toContain(row.name);
    expect(p.dwelling.address.text).toMatch(/余杭区/);
    expect(p.grid.members.length).toBeGreaterThan(0);
    expect(p.records.some((r: { department: { name: string } }) => r.department.name === 'population')).toBe(true);
    expect(p.records[0].payloadHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('node(id) fetches what an id names, and the id round-trips', async () => {
    const list = await fx.t.gql(`{ people(first: 1) { edges { node { id name } } } buildings(first: 1) { edges { node { id name } } } }`);
    const person = list.data!.people.edges[0].node;
    const building = list.data!.buildings.edges[0].node;
    const res = await fx.t.gql(
      `query($a: ID!, $b: ID!) { a: node(id: $a) { __typename id ... on Person { name } } b: node(id: $b) { __typename ... on Building { name } } }`,
      { a: person.id, b: building.id },
    );
    expect(res.data).toEqual({ a: { __typename: 'Person', id: person.id, name: person.name }, b: { __typename: 'Building', name: building.name } });
  });

  test('cursor pagination walks every person of a grid exactly once and totalCount agrees', async () => {
    const grid = await fx.db.knex('grid').orderBy('id').first();
    const expected = (await fx.db.knex('person').where('grid_id', grid.id).orderBy('id').pluck('name')) as string[];
    const seen: string[] = [];
    let after: string | null = null;
    let total = -1;
    for (let i = 0; i < 100; i++) {
      const res: any = await fx.t.gql(
        `query($grid: ID!, $after: String) { people(filter: { area: { gridId: $grid } }, first: 7, after: $after) {
          totalCount edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }`,
        { grid: toGlobalId('Grid', String(grid.id)), after },
      );
      expect(res.errors).toBeUndefined();
      const page = res.data.people;
      total = page.totalCount;
      seen.push(...page.edges.map((e: { node: { name: string } }) => e.node.name));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
    expect(total).toBe(expected.length);
  });

  test('filters by tag, department present and case status match the store', async () => {
    const tagged = await fx.db.knex('person_tag').where('tag', 'elderly_living_alone').count({ n: '*' }).first();
    const byTag = await fx.t.gql(`{ people(filter: { tags: [ELDERLY_LIVING_ALONE] }) { totalCount edges { node { tags } } } }`);
    expect(byTag.data!.people.totalCount).toBe(Number(tagged!.n));
    for (const e of byTag.data!.people.edges) expect(e.node.tags).toContain('ELDERLY_LIVING_ALONE');

    const court = await fx.db.knex('source_record').join('department', 'department.id', 'source_record.department_id')
      .where({ 'department.name': 'court', entity_type: 'person' }).countDistinct({ n: 'entity_id' }).first();
    const byDept = await fx.t.gql(`{ people(filter: { department: "court" }) { totalCount } }`);
    expect(byDept.data!.people.totalCount).toBe(Number(court!.n));

    const closed = await fx.t.gql(`{ cases(filter: { status: [CLOSED] }, first: 50) { totalCount edges { node { status closedAt history { type } } } } }`);
    const closedInStore = await fx.db.knex('case').where('status', 'closed').count({ n: '*' }).first();
    expect(closed.data!.cases.totalCount).toBe(Number(closedInStore!.n));
    for (const e of closed.data!.cases.edges) {
      expect(e.node.status).toBe('CLOSED');
      expect(e.node.closedAt).not.toBeNull();
    }
  });

  test('departments show their connector status and record counts', async () => {
    const res = await fx.t.gql(`{ departments { name displayName connector { status recordCount deadLetterCount lastSyncAt } } }`);
    const departments = res.data!.departments as Array<{ name: string; connector: { recordCount: number } }>;
    // Listed in the order the sync first heard from them, which the departments' answer times decide.
    expect(departments.map((d) => d.name).sort()).toEqual(['court', 'enterprise', 'fire', 'housing', 'police', 'population', 'social']);
    const stored = await fx.db.knex('source_record').join('department', 'department.id', 'source_record.department_id')
      .groupBy('department.name').select('department.name').count({ n: '*' });
    const storedBy = new Map(stored.map((r: any) => [String(r.name), Number(r.n)]));
    for (const d of departments) {
      expect(d.connector.recordCount).toBeGreaterThan(0);
      expect({ department: d.name, records: d.connector.recordCount }).toEqual({ department: d.name, records: storedBy.get(d.name) });
    }
  });

  test('bad input gets a typed error naming the problem, and no data', async () => {
    const wrongType = await fx.t.gql(`query($id: ID!) { person(id: $id) { name } }`, { id: toGlobalId('Building', '1') });
    expect(wrongType.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(wrongType.errors?.[0]?.message).toMatch(/Expected the id of a Person/);
    const garbage = await fx.t.gql(`{ person(id: "nonsense") { name } }`);
    expect(garbage.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badCursor = await fx.t.gql(`{ people(after: "xyz") { totalCount } }`);
    expect(badCursor.errors?.[0]?.message).toMatch(/Invalid cursor/);
    const tooMany = await fx.t.gql(`{ people(first: 101) { totalCount } }`);
    expect(tooMany.errors?.[0]?.message).toMatch(/first must be between 0 and 100/);
  });

  test('no token means no personal data; a bad token is refused with 401', async () => {
    const anonymous = await fx.t.gql(`{ viewer { authenticated } people(first: 1) { totalCount } }`, {}, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.data?.people ?? null).toBeNull();
    const forged = await fx.t.gql(`{ viewer { authenticated } }`, {}, 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl');
    expect(forged.status).toBe(401);
    expect(forged.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const gridWorker = await fx.t.token({ role: 'grid-worker', gridIds: ['1'], department: 'police', name: '张伟' });
    const me = await fx.t.gql(`{ viewer { authenticated role name grids { code } department { name } } }`, {}, gridWorker);
    expect(me.data!.viewer).toMatchObject({ authenticated: true, role: 'GRID_WORKER', name: '张伟', department: { name: 'police' } });
    expect(me.data!.viewer.grids).toHaveLength(1);
  });
});
