/**
 * A subscriber resuming `entityChanged` with `after:` after retention pruned change_event
 * (src/store/retention.ts): a cursor at or after what was pruned replays as before; an older one
 * gets the clear refusal instead of a replay with a hole in it.
 */
import { describeEachDatabase, WORLD_SETUP_TIMEOUT_MS } from '../support/databases.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { LiveSubscriber, waitFor } from '../support/live.js';
import { createEventBus } from '../../src/events/postgres.js';
import { createLogger } from '../../src/observability/logger.js';
import { RETURNING_POSITION, decodePosition, lastPositionOf } from '../../src/events/outbox.js';
import { createConsumerRegistry } from '../../src/events/consumers.js';
import { pruneChangeEvents } from '../../src/store/retention.js';
import type { EventBus } from '../../src/events/bus.js';
import type { Database } from '../../src/store/db.js';

const ENTITY_CHANGES = `subscription Changes($after: String) {
  entityChanged(filter: { types: [PERSON] }, after: $after) { cursor entityId: entity { ... on Person { id } } }
}`;

describeEachDatabase('resuming after retention pruned the log', ({ openWorld }) => {
  let db: Database;
  let bus: EventBus;
  let t: TestHub;
  let people: string[];
  const subscribers: LiveSubscriber[] = [];
  const subscribe = async (variables: Record<string, unknown> = {}) => {
    const before = t.hub.live.stats().subscribers;
    const s = new LiveSubscriber(t.hub.url, await t.token(), ENTITY_CHANGES, variables);
    subscribers.push(s);
    await waitFor('the subscription to join', () => t.hub.live.stats().subscribers > before || s.messages.length > 0 || s.completed || s.error !== null);
    return s;
  };
  /** A change of a person, `at` long ago (so that only the consumers hold it back), announced on the bus. */
  const change = async (personId: string) => {
    const { rows } = (await db.knex.raw<{ rows: Array<{ id: unknown; tx: unknown }> }>(
      `insert into change_event (entity_type, entity_id, change, at) values ('person', ?, 'updated', now() - interval '10 days') ${RETURNING_POSITION}`, [personId],
    ));
    const position = lastPositionOf(rows)!;
    await bus.publish({ topic: 'entity', position });
    return decodePosition(position)!;
  };

  beforeAll(async () => {
    ({ db } = await openWorld());
    // The sync's own changes, long past too: only the consumers may hold pruning back here.
    await db.knex('change_event').update({ at: db.knex.raw(`now() - interval '10 days'`) });
    bus = await createEventBus(db, createLogger('silent'));
    t = await startTestHub(db, { bus });
    people = ((await db.knex('person').orderBy('id').limit(4).select('id'))).map((r) => String(r.id));
  }, WORLD_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all(subscribers.splice(0).map((s) => s.dispose()));
    await t?.stop();
    await bus?.close();
    await db?.close();
  });

  test('a cursor older than the kept log is refused; one at its edge replays what was kept', async () => {
    const live = await subscribe();
    const p1 = await change(people[0]!);
    const p2 = await change(people[1]!);
    await change(people[2]!);
    const [m1, m2, m3] = await live.received(3);
    await live.dispose();

    // A consumer stands at p2: pruning stops there, with the minimum age passed for every row.
    const registry = createConsumerRegistry(db.knex);
    await registry.report('change_event', 'test-consumer', p2);
    const pruned = await pruneChangeEvents(db.knex, { minAgeMs: 3_600_000, staleMs: 86_400_000 });
    expect(pruned.prunedThrough).toEqual(p2);
    expect(pruned.removed).toBeGreaterThanOrEqual(2);

    // At the edge: everything after it is there, and comes back.
    const edge = await subscribe({ after: m2!.data.entityChanged.cursor });
    const [again] = await edge.received(1);
    expect(again!.data.entityChanged.cursor).toBe(m3!.data.entityChanged.cursor);

    // Before it: the event at p2 is gone, so the replay would have a hole. Refused, clearly.
    const old = await subscribe({ after: m1!.data.entityChanged.cursor });
    await old.ended();
    expect(old.messages).toEqual([]);
    const [refused] = old.error as Array<{ message: string; extensions?: Record<string, unknown> }>;
    expect(refused).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(refused!.message).toMatch(/older than the events this hub keeps; query the current state and subscribe without after/);
    // The log itself still holds what the consumer has not passed.
    expect(((await db.knex('change_event').whereRaw('(tx, id) > (?::xid8, ?::bigint)', [p2.tx, p2.id]).count({ n: '*' })))[0]!.n)
      .not.toEqual(0);
    expect(((await db.knex('change_event').whereRaw('(tx, id) <= (?::xid8, ?::bigint)', [p1.tx, p1.id]).count({ n: '*' }))).map((r) => Number(r.n)))
      .toEqual([0]);
  });
});
