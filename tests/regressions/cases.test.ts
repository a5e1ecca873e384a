/**
 * Case intake under a careless or hostile client (issue 13): a grid worker may link only people
 * and enterprises of the grids it covers, and the refusal reads the same whether the id exists
 * or not; a report retried with its idempotency key returns the case it created, even when the
 * retries arrive at once.
 */
import { describeEachDatabase } from '../support/databases.js';
import { worldHubFixture } from '../support/hub.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';
import { OPS } from '../cases/support.js';

describeEachDatabase('case intake (issue 13)', ({ openWorld }) => {
  const fx = worldHubFixture({ openWorld });

  /** A grid with a building and a person in it, and a person of another grid. */
  const scene = async () => {
    const building = await fx.db.knex('building').whereNotNull('grid_id').orderBy('id').first('id', 'grid_id', 'lat', 'lng');
    const own = await fx.db.knex('person').where('grid_id', building.grid_id).orderBy('id').first('id');
    const other = await fx.db.knex('person').whereNot('grid_id', building.grid_id).whereNotNull('grid_id').orderBy('id').first('id');
    const max = await fx.db.knex('person').max({ id: 'id' }).first();
    const token = await fx.t.token({ role: 'grid-worker', subject: 'grid-worker-1', gridIds: [String(building.grid_id)] });
    const patrol = (personId: string, extra: Record<string, unknown> = {}) => ({ input: {
      title: '楼道堆放杂物', category: 'fire.ebike_indoor_charging', location: { lat: building.lat, lng: building.lng }, photo: 'media/patrol-1.jpg',
      buildingId: toGlobalId('Building', String(building.id)), people: [{ personId: toGlobalId('Person', personId), role: 'SUBJECT' }], ...extra,
    } });
    return { own: String(own.id), other: String(other.id), absent: String(Number(max!.id) + 1000), token, patrol };
  };

  test('reportPatrol links a person of the worker\'s own grid, refuses one of another grid exactly as one that does not exist', async () => {
    const { own, other, absent, token, patrol } = await scene();
    const before = Number((await fx.db.knex('case').count({ n: '*' }).first())!.n);
    const linkedBefore = Number((await fx.db.knex('case_person').where('person_id', other).count({ n: '*' }).first())!.n);
    const ok = await fx.t.gql(OPS.patrol, patrol(own), { token });
    expect(ok.errors).toBeUndefined();
    const outside = await fx.t.gql(OPS.patrol, patrol(other), { token });
    const missing = await fx.t.gql(OPS.patrol, patrol(absent), { token });
    expect(outside.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // The same words, with only the id differing: nothing tells an existing person from an absent one.
    expect(outside.errors?.[0]?.message.replace(other, 'X')).toBe(missing.errors?.[0]?.message.replace(absent, 'X'));
    expect(Number((await fx.db.knex('case').count({ n: '*' }).first())!.n)).toBe(before + 1);
    expect(Number((await fx.db.knex('case_person').where('person_id', other).count({ n: '*' }).first())!.n)).toBe(linkedBefore);
  });

  test('a report retried with its idempotency key returns the same case, at once or later; a reused key for another report is refused', async () => {
    const { own, token, patrol } = await scene();
    const before = Number((await fx.db.knex('case').count({ n: '*' }).first())!.n);
    const args = patrol(own, { idempotencyKey: 'c0ffee00-0000-4000-8000-000000000001' });
    const answers = await Promise.all(Array.from({ length: 5 }, () => fx.t.gql(OPS.patrol, args, { token })));
    const later = await fx.t.gql(OPS.patrol, args, { token });
    const ids = [...answers, later].map((a) => {
      expect(a.errors).toBeUndefined();
      return a.data!.reportPatrol.case.id as string;
    });
    expect(new Set(ids).size).toBe(1);
    expect(Number((await fx.db.knex('case').count({ n: '*' }).first())!.n)).toBe(before + 1);
    const reused = await fx.t.gql(OPS.patrol, { input: { ...args.input, title: '另一件事' } }, { token });
    expect(reused.errors?.[0]).toMatchObject({ message: expect.stringMatching(/already used for a different report/), extensions: { code: 'BAD_USER_INPUT' } });
    // Another user's same key is their own.
    const colleague = await fx.t.token({ role: 'grid-worker', subject: 'grid-worker-2', gridIds: [String((await fx.db.knex('person').where('id', own).first('grid_id')).grid_id)] });
    const theirs = await fx.t.gql(OPS.patrol, args, { token: colleague });
    expect(theirs.data!.reportPatrol.case.id).not.toBe(ids[0]);
  });
});
