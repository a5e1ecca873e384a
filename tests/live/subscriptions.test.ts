import WebSocket from 'ws';
import { describeEachDatabase, WORLD_SETUP_TIMEOUT_MS } from '../support/databases.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { appendCaseEvent, reportCaseDirectly } from '../support/cases.js';
import { LiveSubscriber, sleep, waitFor } from '../support/live.js';
import { createEventBus } from '../../src/events/postgres.js';
import { createLogger } from '../../src/observability/logger.js';
import { ManualClock } from '../../src/domain/clock.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';
import { maskIdNumber } from '../../src/store/policy.js';
import type { EventBus } from '../../src/events/bus.js';
import type { Database } from '../../src/store/db.js';

const CASE_EVENTS = `subscription Cases($filter: CaseEventFilter, $after: String) {
  caseEvents(filter: $filter, after: $after) { cursor event { type } case { id title category status grid { id } } }
}`;
const caseIdOf = (m: { data?: any }) => m.data.caseEvents.case.id as string;

describeEachDatabase('live subscriptions over WebSocket', ({ kind, openWorld }) => {
  let db: Database;
  let bus: EventBus;
  let t: TestHub;
  const clock = new ManualClock('2026-11-25T02:00:00Z');
  /** Two grids in different streets. */
  let gridA: { id: string; street_id: string };
  let gridB: { id: string; street_id: string };
  const subscribers: LiveSubscriber[] = [];
  const subscribe = async (query: string, variables: Record<string, unknown> = {}, token?: string, purpose?: string | null) => {
    const before = t.hub.live.stats().subscribers;
    const s = new LiveSubscriber(t.hub.url, token ?? (await t.token()), query, variables, purpose);
    subscribers.push(s);
    // Events written before the hub has joined the subscription are not for it.
    await waitFor('the subscription to join', () => t.hub.live.stats().subscribers > before || s.messages.length > 0 || s.completed || s.error !== null);
    return s;
  };

  beforeAll(async () => {
    ({ db } = await openWorld());
    bus = await createEventBus(db, createLogger('silent'));
    t = await startTestHub(db, { bus, clock, live: { maxBufferedBytes: 512 * 1024, dashboardDebounceMs: 20 } });
    const grids: Array<{ id: string; street_id: string }> = await db.knex('grid').orderBy('id').select('id', 'street_id');
    gridA = grids[0]!;
    gridB = grids.find((g) => g.street_id !== gridA.street_id)!;
  }, WORLD_SETUP_TIMEOUT_MS);
  afterEach(async () => {
    await Promise.all(subscribers.splice(0).map((s) => s.dispose()));
    await waitFor('subscriptions to end', () => t.hub.live.stats().subscribers === 0);
  });
  afterAll(async () => {
    await t?.stop();
    await bus?.close();
    await db?.close();
  });

  test(`uses the ${kind === 'pglite' ? 'in-process' : 'LISTEN/NOTIFY'} bus`, () => {
    expect(bus.constructor.name).toBe(kind === 'pglite' ? 'InProcessBus' : 'PostgresNotifyBus');
  });

  test('a filter on category, area and status lets through only the matching case events', async () => {
    const sub = await subscribe(CASE_EVENTS, { filter: { category: 'fire.hazard', area: { gridId: toGlobalId('Grid', gridA.id) }, status: ['REPORTED'] } });
    await reportCaseDirectly(db.knex, bus, { gridId: gridA.id, category: 'environment.waste' });
    await reportCaseDirectly(db.knex, bus, { gridId: gridB.id, category: 'fire.hazard' });
    await reportCaseDirectly(db.knex, bus, { gridId: gridA.id, category: 'fire.hazard', status: 'dispatched' });
    const wanted = await reportCaseDirectly(db.knex, bus, { gridId: gridA.id, category: 'fire.hazard', title: 'E-bike charging in the stairwell' });
    const [m] = await sub.received(1);
    expect(m!.errors).toBeUndefined();
    expect(m!.data.caseEvents).toMatchObject({
      event: { type: 'REPORTED' },
      case: { id: toGlobalId('Case', wanted.caseId), title: 'E-bike charging in the stairwell', category: 'fire.hazard', status: 'REPORTED', grid: { id: toGlobalId('Grid', gridA.id) } },
    });
    expect(typeof m!.data.caseEvents.cursor).toBe('string');
    await sleep(300);
    expect(sub.messages).toHaveLength(1);
  });

  test("a grid worker gets its own grid's cases and never another grid's", async () => {
    const worker = await subscribe(CASE_EVENTS, {}, await t.token({ role: 'grid-worker', gridIds: [gridA.id] }));
    const admin = await subscribe(CASE_EVENTS);
    const other = await reportCaseDirectly(db.knex, bus, { gridId: gridB.id });
    const own = await reportCaseDirectly(db.knex, bus, { gridId: gridA.id });
    expect((await admin.received(2)).map(caseIdOf)).toEqual([toGlobalId('Case', other.caseId), toGlobalId('Case', own.caseId)]);
    expect((await worker.received(1)).map(caseIdOf)).toEqual([toGlobalId('Case', own.caseId)]);
    await sleep(200);
    expect(worker.messages).toHaveLength(1);
  });

  test('a department role only hears of cases dispatched to its department', async () => {
    const police = await subscribe(CASE_EVENTS, {}, await t.token({ role: 'police', department: 'police' }));
    await reportCaseDirectly(db.knex, bus, { gridId: gridA.id, dispatchTo: ['fire'] });
    const theirs = await reportCaseDirectly(db.knex, bus, { gridId: gridA.id, dispatchTo: ['police', 'fire'] });
    expect((await police.received(1)).map(caseIdOf)).toEqual([toGlobalId('Case', theirs.caseId)]);
    await sleep(200);
    expect(police.messages).toHaveLength(1);
  });

  test('subscribers of the same operation and scope share one execution per event', async () => {
    const token = await t.token();
    for (let i = 0; i < 3; i++) await subscribe(CASE_EVENTS, {}, token);
    await subscribe(CASE_EVENTS, {}, await t.token({ role: 'grid-worker', gridIds: [gridA.id] }));
    expect(t.hub.live.stats()).toEqual({ subscribers: 4, groups: 2 });
  });

  test('an integrator may not subscribe to case events', async () => {
    const s = await subscribe(CASE_EVENTS, {}, await t.token({ role: 'integrator' }));
    const [m] = await s.received(1);
    expect(m!.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  test('a client that reconnects with its last cursor gets every event since, once, then live ones', async () => {
    const first = await subscribe(CASE_EVENTS, { filter: { area: { gridId: toGlobalId('Grid', gridA.id) } } });
    const c1 = await reportCaseDirectly(db.knex, bus, { gridId: gridA.id });
    const [m1] = await first.received(1);
    await first.dispose();
    // While it is away: two transitions of that case and a new case.
    await appendCaseEvent(db.knex, bus, c1.caseId, { type: 'dispatched', status: 'dispatched' });
    const c2 = await reportCaseDirectly(db.knex, bus, { gridId: gridA.id });
    await appendCaseEvent(db.knex, bus, c1.caseId, { type: 'accepted', status: 'in_progress' });

    const again = await subscribe(CASE_EVENTS, { filter: { area: { gridId: toGlobalId('Grid', gridA.id) } }, after: m1!.data.caseEvents.cursor });
    const replayed = await again.received(3);
    expect(replayed.map((m) => [caseIdOf(m), m.data.caseEvents.event.type])).toEqual([
      [toGlobalId('Case', c1.caseId), 'DISPATCHED'], [toGlobalId('Case', c2.caseId), 'REPORTED'], [toGlobalId('Case', c1.caseId), 'ACCEPTED'],
    ]);
    await appendCaseEvent(db.knex, bus, c2.caseId, { type: 'dispatched', status: 'dispatched' });
    const [live] = (await again.received(4)).slice(3);
    expect([caseIdOf(live!), live!.data.caseEvents.event.type]).toEqual([toGlobalId('Case', c2.caseId), 'DISPATCHED']);
    await sleep(200);
    expect(again.messages).toHaveLength(4);
    const cursors = again.messages.map((m) => m.data.caseEvents.cursor);
    expect(new Set([m1!.data.caseEvents.cursor, ...cursors]).size).toBe(5);
  });

  test('a cursor of another subscription is refused', async () => {
    const s = await subscribe(CASE_EVENTS, { after: Buffer.from('entity:1:1').toString('base64url') });
    const [m] = await s.received(1);
    expect(m!.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  test('a consumer that stops reading is closed with a reason while the others keep receiving', async () => {
    const big = await reportCaseDirectly(db.knex, bus, { gridId: gridA.id, title: '大'.repeat(20_000) });
    const query = `subscription { caseEvents(filter: { area: { gridId: "${toGlobalId('Grid', gridA.id)}" } }) { cursor event { type } case { title } } }`;
    const healthy = await subscribe(query);

    const before = t.hub.live.stats().subscribers;
    const slow = new WebSocket(t.hub.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((resolve) => slow.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await new Promise((resolve) => slow.once('open', resolve));
    slow.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await t.token()}` } }));
    await new Promise((resolve) => slow.once('message', resolve));
    slow.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
    await waitFor('the slow subscriber to join', () => t.hub.live.stats().subscribers > before);
    // Stop reading: the socket's messages pile up in the kernel's buffers, then in the hub's.
    (slow as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    const events = 150; // ~60 KB each: far past the kernel's buffers and the 512 KiB bound
    for (let i = 0; i < events; i++) await appendCaseEvent(db.knex, bus, big.caseId, { type: 'note' });
    // The healthy one gets every note on the big case. Only notes count: events of grid A committed
    // just before it joined (the big case's own REPORTED among them) may come first, as the engine
    // replays from the last position it had read.
    const bigOnes = () => healthy.messages.filter((m) => m.data.caseEvents.event.type === 'NOTE' && m.data.caseEvents.case.title.length === 20_000).length;
    await waitFor(`${events} big events on the healthy subscriber`, () => bigOnes() >= events, 30_000);
    expect(bigOnes()).toBe(events);

    (slow as unknown as { _socket: { resume(): void } })._socket.resume();
    const { code, reason } = await closed;
    expect(code).toBe(4429);
    expect(reason).toMatch(/^slow consumer: more than 512 KiB waiting to be sent/);
    const metrics = await (await fetch(t.hub.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/liandong_live_slow_consumers_total [1-9]/);
  });

  test('a dashboard is pushed when its counters change, and not for changes elsewhere', async () => {
    const query = `subscription($area: ID) { dashboard(area: $area) { area { id } open overdue escalated closedToday openByCategory { category count } meanMinutesToClose } }`;
    const street = toGlobalId('Area', gridA.street_id);
    const sub = await subscribe(query, { area: street }, await t.token({ role: 'dashboard' }));
    const [first] = await sub.received(1);
    expect(first!.errors).toBeUndefined();
    const base = first!.data.dashboard;
    expect(base.area).toEqual({ id: street });

    const now = clock.now();
    await reportCaseDirectly(db.knex, bus, { gridId: gridA.id, category: 'live.test', reportedAt: new Date(now.getTime() - 3600_000), closeDueAt: new Date(now.getTime() - 60_000) });
    const [, second] = await sub.received(2);
    expect(second!.data.dashboard.open).toBe(base.open + 1);
    expect(second!.data.dashboard.overdue).toBe(base.overdue + 1);
    expect(second!.data.dashboard.openByCategory).toContainEqual({ category: 'live.test', count: 1 });

    // Another street's case changes nothing here: nothing is pushed.
    await reportCaseDirectly(db.knex, bus, { gridId: gridB.id, category: 'live.test' });
    await sleep(400);
    expect(sub.messages).toHaveLength(2);

    const closing = await reportCaseDirectly(db.knex, bus, { gridId: gridA.id, category: 'live.closing', reportedAt: new Date(now.getTime() - 30 * 60_000) });
    await sub.received(3);
    await appendCaseEvent(db.knex, bus, closing.caseId, { type: 'closed', status: 'closed', closedAt: now });
    const [, , , fourth] = await sub.received(4);
    expect(fourth!.data.dashboard.closedToday).toBe(base.closedToday + 1);
    expect(fourth!.data.dashboard.meanMinutesToClose).toEqual(expect.any(Number));
  });

  test("a dashboard's byGrid is pushed when a grid's counters move, and a document without it is not pushed for that", async () => {
    const street = toGlobalId('Area', gridA.street_id);
    const token = await t.token({ role: 'dashboard' });
    const grids = await subscribe(`subscription($area: ID) { dashboard(area: $area) { byGrid { grid { id } open overdue } } }`, { area: street }, token);
    const closed = await subscribe(`subscription($area: ID) { dashboard(area: $area) { closedToday } }`, { area: street }, token);
    const [first] = await grids.received(1);
    await closed.received(1);
    expect(first!.errors).toBeUndefined();
    const openIn = (m: { data?: any }) => m.data.dashboard.byGrid.find((g: { grid: { id: string } }) => g.grid.id === toGlobalId('Grid', gridA.id))?.open ?? 0;

    await reportCaseDirectly(db.knex, bus, { gridId: gridA.id, category: 'live.bygrid' });
    const [, second] = await grids.received(2);
    expect(openIn(second!)).toBe(openIn(first!) + 1);
    expect(second!.data.dashboard.byGrid.every((g: { grid: { id: string } }) => typeof g.grid.id === 'string')).toBe(true);
    // Another street's case changes no grid of this street; closedToday did not move either.
    await reportCaseDirectly(db.knex, bus, { gridId: gridB.id, category: 'live.bygrid' });
    await sleep(400);
    expect(grids.messages).toHaveLength(2);
    expect(closed.messages).toHaveLength(1);
  });

  test('entity changes reach subscribers in whose scope the entity is', async () => {
    const person: { id: string } = await db.knex('person').where('grid_id', gridA.id).first('id');
    const elsewhere: { id: string } = await db.knex('person').where('grid_id', gridB.id).first('id');
    const query = `subscription { entityChanged(filter: { types: [PERSON] }) { cursor entityType change entity { ... on Person { id name } } } }`;
    const worker = await subscribe(query, {}, await t.token({ role: 'grid-worker', gridIds: [gridA.id] }));
    for (const id of [elsewhere.id, person.id]) {
      const [row]: Array<{ id: string }> = await db.knex('change_event').insert({ entity_type: 'person', entity_id: id, change: 'updated' }).returning('id');
      await bus.publish({ topic: 'entity', position: String(row!.id) });
    }
    const [m] = await worker.received(1);
    expect(m!.data.entityChanged).toMatchObject({ entityType: 'PERSON', change: 'UPDATED', entity: { id: toGlobalId('Person', person.id) } });
    await sleep(200);
    expect(worker.messages).toHaveLength(1);
  });

  test('subscribers sharing one document and its pre-framed messages each see what their own role may, masked for them', async () => {
    const person: { id: string; id_number: string } = await db.knex('person').where('grid_id', gridA.id).whereNotNull('id_number').first('id', 'id_number');
    // One text for everyone: one parsed document, and one frame per group written to each of its sockets.
    const query = `subscription { entityChanged(filter: { types: [PERSON] }) { entity { ... on Person { id idNumber } } } }`;
    const admins = [await subscribe(query), await subscribe(query)];
    const worker = await subscribe(query, {}, await t.token({ role: 'grid-worker', gridIds: [gridA.id] }));
    const elsewhere = await subscribe(query, {}, await t.token({ role: 'grid-worker', gridIds: [gridB.id] }));
    expect(t.hub.live.stats()).toEqual({ subscribers: 4, groups: 3 });
    const [row]: Array<{ id: string }> = await db.knex('change_event').insert({ entity_type: 'person', entity_id: person.id, change: 'updated' }).returning('id');
    await bus.publish({ topic: 'entity', position: String(row!.id) });

    for (const admin of admins) {
      const [m] = await admin.received(1);
      expect(m!.data.entityChanged.entity).toEqual({ id: toGlobalId('Person', person.id), idNumber: person.id_number });
    }
    const [w] = await worker.received(1);
    expect(w!.data.entityChanged.entity).toEqual({ id: toGlobalId('Person', person.id), idNumber: maskIdNumber(person.id_number) });
    expect(w!.data.entityChanged.entity.idNumber).not.toBe(person.id_number);
    await sleep(200);
    expect(elsewhere.messages).toHaveLength(0);
  });

  test('readiness reports the bus', async () => {
    const ready = await fetch(t.hub.url.replace('/graphql', '/readyz'));
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', bus: 'ok' } });
  });
});
