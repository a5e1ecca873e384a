/**
 * What the console added to the public API, on both stores: the case taxonomy and dispatch
 * targets for its forms, cases by building, and caseEventsCursor, from which a subscriber that
 * has seen no event yet replays everything after it.
 */
import { describeEachDatabase } from '../support/databases.js';
import { worldHubFixture } from '../support/hub.js';
import { LiveSubscriber } from '../support/live.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';

describeEachDatabase('the console\'s API additions', ({ openWorld }) => {
  const fx = worldHubFixture({ openWorld });

  test('the case taxonomy and the departments cases go to', async () => {
    const res = await fx.t.gql('{ caseCategories { code title } caseDepartments { name displayName } }');
    expect(res.errors).toBeUndefined();
    expect(res.data!.caseCategories).toContainEqual({ code: 'neighbour.noise', title: '噪音扰民' });
    expect(res.data!.caseDepartments).toContainEqual({ name: 'environment', displayName: '生态环境分局' });
  });

  test('cases(filter: { buildingId }) lists the cases placed in that building, and only those', async () => {
    const row = await fx.db.knex('case').whereNotNull('building_id').groupBy('building_id').orderByRaw('count(*) desc').first('building_id');
    const buildingId = String(row.building_id);
    const expected = (await fx.db.knex('case').where('building_id', buildingId).pluck('id')).map((id) => toGlobalId('Case', String(id))).sort();
    const res = await fx.t.gql('query($b: ID!) { cases(filter: { buildingId: $b }, first: 100) { totalCount edges { node { id building { id } } } } }', { b: toGlobalId('Building', buildingId) });
    expect(res.errors).toBeUndefined();
    expect(res.data!.cases.edges.map((e: any) => e.node.id).sort()).toEqual(expected);
    expect(res.data!.cases.totalCount).toBe(expected.length);
    expect(new Set(res.data!.cases.edges.map((e: any) => e.node.building.id))).toEqual(new Set([toGlobalId('Building', buildingId)]));
  });

  test('a subscriber from caseEventsCursor gets every event after it, though none had reached it yet', async () => {
    const cursor = await fx.t.gql('{ caseEventsCursor }');
    expect(cursor.errors).toBeUndefined();
    // Reported before the subscription starts: only the cursor can bring it.
    const reported = await fx.t.gql('mutation($i: ReportCaseInput!) { reportCase(input: $i) { case { id } } }', {
      i: { channel: 'HOTLINE_12345', title: '游标之后的事件', category: 'neighbour.noise', address: '测试地址' },
    });
    expect(reported.errors).toBeUndefined();
    const s = new LiveSubscriber(fx.t.hub.url, await fx.t.token(), 'subscription($a: String) { caseEvents(after: $a) { cursor event { type } case { id title } } }', { a: cursor.data!.caseEventsCursor });
    try {
      const [first] = await s.received(1);
      expect(first!.data.caseEvents.event.type).toBe('REPORTED');
      expect(first!.data.caseEvents.case).toEqual({ id: reported.data!.reportCase.case.id, title: '游标之后的事件' });
    } finally {
      await s.dispose();
    }
    const dashboard = await fx.t.gql('{ caseEventsCursor }', {}, await fx.t.token({ role: 'dashboard' }));
    expect(dashboard.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
