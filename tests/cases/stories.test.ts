/**
 * The seeds' stories, run through GraphQL against both stores with a clock the test moves:
 * the cement yard (joint dispatch, lead and cooperating departments, closed after a joint
 * meeting), the fallen trees (the street dispatches its own crews, on site within five minutes,
 * no escalation), and a stalled case that escalates on its own, grid → street → district.
 */
import type { Knex } from 'knex';
import { describeEachDatabase } from '../support/databases.js';
import { worldHubFixture } from '../support/hub.js';
import { ManualClock } from '../../src/domain/clock.js';
import { InProcessBus, type Notice } from '../../src/events/bus.js';
import { lastPositionOf } from '../../src/events/outbox.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';
import { startCaseWatcher } from '../../src/store/caseWatcher.js';
import { createLogger } from '../../src/observability/logger.js';
import { MINUTE, OPS, ok } from './support.js';

const START = '2026-11-25T01:00:00.000Z'; // 09:00 in Beijing

/** Everything the workflow writes about a case, to prove a refused command wrote nothing. */
async function snapshot(knex: Knex, caseId: string) {
  return {
    case: await knex('case').where('id', caseId).first(),
    dispatches: await knex('dispatch').where('case_id', caseId).orderBy('id'),
    events: await knex('case_event').where('case_id', caseId).orderBy('id'),
    outbox: Number((await knex('change_event').where({ entity_type: 'case', entity_id: caseId }).count({ n: '*' }).first())!.n),
  };
}

const dbId = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1]!;

describeEachDatabase('case workflow: the seeds\' stories', ({ openWorld }) => {
  const clock = new ManualClock(START);
  const bus = new InProcessBus();
  const notices: Notice[] = [];
  bus.subscribe('case', (n) => notices.push(n));
  const fx = worldHubFixture({ openWorld }, { clock, bus });

  /** A building of a street's community, with its grid, address text and location. */
  const buildingIn = async (community: string) => {
    const b = await fx.db.knex('building').join('area', 'area.id', 'building.community_id').join('address', 'address.id', 'building.address_id')
      .where('area.name', community).orderBy('building.id').first('building.*', 'address.text as address_text');
    return b as { id: string; grid_id: string; street_id: string; lat: number; lng: number; address_text: string; name: string };
  };
  const staff = (department: string) => fx.t.token({ role: 'department-staff', subject: `staff-${department}`, name: `${department} 值班员`, department });

  test('the cement yard: joint dispatch, a joint meeting re-decides the leads, closed after eight days', async () => {
    clock.set(START);
    const site = await buildingIn('运河村');
    const reported = await ok(fx.t, OPS.report, { input: {
      channel: 'HOTLINE_12345', title: '运河村村口露天水泥加工点灰尘噪音', category: 'environment.dust_noise', urgency: 'NORMAL',
      address: site.address_text, reporterName: '王女士', reporterPhone: '13800001111',
      description: '村口有露天水泥石料加工点，白天粉尘弥漫，夜间机器噪音扰民。',
    } });
    const c = reported.case;
    expect(c).toMatchObject({ status: 'REPORTED', level: 'DISTRICT', channel: 'HOTLINE_12345', supervised: false });
    // Triage: the address text resolved to the building, its address and its grid.
    expect(c.building.id).toBe(toGlobalId('Building', String(site.id)));
    expect(c.grid.id).toBe(toGlobalId('Grid', String(site.grid_id)));
    expect(new Date(c.sla.dispatchDueAt).getTime() - new Date(START).getTime()).toBe(30 * MINUTE);
    expect(new Date(c.sla.closeDueAt).getTime() - new Date(START).getTime()).toBe(10 * 24 * 60 * MINUTE);
    expect(reported.events.map((e: { type: string }) => e.type)).toEqual(['REPORTED']);

    // The operator dispatches at once to environment (lead) and urban management (cooperating).
    clock.advance(6 * MINUTE);
    const first = await ok(fx.t, OPS.dispatch, { input: { caseId: c.id, note: '同步派单', departments: [
      { department: 'environment', role: 'LEAD' }, { department: 'urban_management', role: 'COOPERATING' },
    ] } });
    expect(first.case.status).toBe('DISPATCHED');
    expect(first.case.dispatches.map((d: any) => [d.department.name, d.role, d.status])).toEqual([
      ['environment', 'LEAD', 'PENDING'], ['urban_management', 'COOPERATING', 'PENDING'],
    ]);
    expect(first.events.map((e: any) => [e.type, e.department.name, e.fromStatus, e.toStatus])).toEqual([
      ['DISPATCHED', 'environment', 'REPORTED', 'DISPATCHED'], ['DISPATCHED', 'urban_management', 'REPORTED', 'DISPATCHED'],
    ]);
    expect(first.case.dispatchedAt).toBe(clock.now().toISOString());

    // Environment accepts and goes on site; the visit finds more than dust.
    const dispatchOf = (payload: any, department: string) => payload.case.dispatches.find((d: any) => d.department.name === department).id;
    const env = dispatchOf(first, 'environment');
    clock.advance(10 * MINUTE);
    expect((await ok(fx.t, OPS.accept, { id: env }, await staff('environment'))).case.status).toBe('IN_PROGRESS');
    clock.advance(40 * MINUTE);
    await ok(fx.t, OPS.start, { id: env, note: '现场核查：另有违章搭建、无证经营、违法占用耕地' }, await staff('environment'));

    // The joint meeting: environment and land lead, five departments cooperate.
    clock.advance(26 * 60 * MINUTE);
    const meeting = await ok(fx.t, OPS.dispatch, { input: { caseId: c.id, note: '联席会议：生态环境、自然资源牵头，五部门协办', departments: [
      { department: 'environment', role: 'LEAD' }, { department: 'land', role: 'LEAD' },
      { department: 'urban_management', role: 'COOPERATING' }, { department: 'enterprise', role: 'COOPERATING' },
      { department: 'housing', role: 'COOPERATING' }, { department: 'police', role: 'COOPERATING' }, { department: 'community', role: 'COOPERATING' },
    ] } });
    expect(meeting.events.map((e: any) => e.department.name)).toEqual(['land', 'enterprise', 'housing', 'police', 'community']);
    const dispatches = meeting.case.dispatches as Array<{ id: string; role: string; department: { name: string } }>;
    expect(dispatches.filter((d) => d.role === 'LEAD').map((d) => d.department.name)).toEqual(['environment', 'land']);
    expect(dispatches.filter((d) => d.role === 'COOPERATING')).toHaveLength(5);
    expect(meeting.case.status).toBe('IN_PROGRESS');

    // Every department works its own dispatch: accept, on site, result.
    const tokenOf = async (department: string) => (department === 'police'
      ? fx.t.token({ role: 'police', subject: 'police-duty', department: 'police' })
      : staff(department));
    for (const d of dispatches) {
      const token = await tokenOf(d.department.name);
      if (d.department.name !== 'environment') {
        await ok(fx.t, OPS.accept, { id: d.id }, token);
        await ok(fx.t, OPS.start, { id: d.id }, token);
      }
      clock.advance(12 * 60 * MINUTE);
      const done = await ok(fx.t, OPS.complete, { id: d.id, result: `${d.department.name} 已完成处置` }, token);
      expect(done.dispatch).toEqual({ id: d.id, status: 'COMPLETED' });
    }

    // Closing needs the reporter's feedback: refused, and nothing written.
    const before = await snapshot(fx.db.knex, dbId(c.id));
    const early = await fx.t.gql(OPS.close, { id: c.id });
    expect(early.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_TRANSITION', status: 'IN_PROGRESS', level: 'DISTRICT' });
    expect(early.errors?.[0]?.extensions?.allowed).toEqual(['dispatchCase', 'recordFeedback', 'superviseCase']);
    expect(await snapshot(fx.db.knex, dbId(c.id))).toEqual(before);

    clock.set(new Date(new Date(START).getTime() + 8 * 24 * 60 * MINUTE));
    await ok(fx.t, OPS.feedback, { id: c.id, s: 'SATISFIED', note: '加工点已取缔，村民满意' });
    const closed = await ok(fx.t, OPS.close, { id: c.id, note: '联合处置完毕，结案' });
    expect(closed.case.status).toBe('CLOSED');
    expect(closed.case.closedAt).toBe('2026-12-03T01:00:00.000Z');
    expect(closed.case.feedback).toMatchObject({ satisfaction: 'SATISFIED', note: '加工点已取缔，村民满意' });
    expect(closed.case.sla).toMatchObject({ dueAt: null, overdue: false });

    // The history is the event list, in order, as stored.
    const { data } = await fx.t.gql(OPS.case, { id: c.id });
    const history = data!.case.history as Array<{ id: string; position: string; type: string; actor: string }>;
    const stored = await fx.db.knex('case_event').where('case_id', dbId(c.id)).orderBy('id');
    expect(history.map((e) => e.position)).toEqual(stored.map((e: any) => String(e.id)));
    expect(history.map((e) => e.type)).toEqual([
      'REPORTED', 'DISPATCHED', 'DISPATCHED', 'ACCEPTED', 'STARTED',
      'DISPATCHED', 'DISPATCHED', 'DISPATCHED', 'DISPATCHED', 'DISPATCHED',
      'COMPLETED', // environment
      'ACCEPTED', 'STARTED', 'COMPLETED', // urban management
      'ACCEPTED', 'STARTED', 'COMPLETED', // land
      'ACCEPTED', 'STARTED', 'COMPLETED', // enterprise
      'ACCEPTED', 'STARTED', 'COMPLETED', // housing
      'ACCEPTED', 'STARTED', 'COMPLETED', // police
      'ACCEPTED', 'STARTED', 'COMPLETED', // community
      'FEEDBACK', 'CLOSED',
    ]);
    expect(history.find((e) => e.type === 'STARTED')!.actor).toBe('environment 值班员');
    // Each command announced the log's new end on the bus, and the outbox has a row per command.
    expect(notices.at(-1)).toEqual({ topic: 'case', position: lastPositionOf(stored) });
    const outbox = await fx.db.knex('change_event').where({ entity_type: 'case', entity_id: dbId(c.id) }).orderBy('id').pluck('change');
    expect(outbox[0]).toBe('created');
    expect(outbox.slice(1).every((x: string) => x === 'updated')).toBe(true);
  });

  test('the fallen trees: the street dispatches its own crew at once, on site within five minutes, no escalation', async () => {
    clock.set('2026-11-26T06:00:00.000Z');
    const site = await buildingIn('金家渡社区');
    const operator = await fx.t.token({ role: 'street-operator', subject: 'op-liangzhu', name: '叶建良', streetIds: [String(site.street_id)] });
    const reported = await ok(fx.t, OPS.report, { input: {
      channel: 'COMMAND_CENTER', title: '台风刮倒行道树压住非机动车道', category: 'emergency.fallen_tree', urgency: 'HIGH',
      location: { lat: site.lat, lng: site.lng },
    } }, operator);
    const c = reported.case;
    // The street's command center handles it itself; the point lies in the building's grid.
    expect(c).toMatchObject({ status: 'REPORTED', level: 'STREET' });
    expect(c.grid.id).toBe(toGlobalId('Grid', String(site.grid_id)));
    expect(c.building.id).toBe(toGlobalId('Building', String(site.id)));

    clock.advance(2 * MINUTE);
    const dispatched = await ok(fx.t, OPS.dispatch, { input: { caseId: c.id, departments: [{ department: 'urban_management', role: 'LEAD' }] } }, operator);
    expect(new Date(dispatched.case.sla.arriveDueAt).getTime() - clock.now().getTime()).toBe(5 * MINUTE);
    const crew = await staff('urban_management');
    const d = dispatched.case.dispatches[0].id;
    await ok(fx.t, OPS.accept, { id: d }, crew);
    clock.advance(4 * MINUTE);
    const onSite = await ok(fx.t, OPS.start, { id: d, note: '抢险队到场' }, crew);
    expect(new Date(onSite.case.arrivedAt).getTime()).toBeLessThanOrEqual(new Date(onSite.case.sla.arriveDueAt).getTime());

    // The watcher finds nothing overdue; the case stays at street level.
    expect((await fx.t.hub.caseWatcher.runNow()).escalated).not.toContain(dbId(c.id));
    clock.advance(50 * MINUTE);
    await ok(fx.t, OPS.complete, { id: d, result: '倒伏树木已切割清运，道路恢复通行' }, crew);
    await ok(fx.t, OPS.feedback, { id: c.id, s: 'SATISFIED' }, operator);
    const closed = await ok(fx.t, OPS.close, { id: c.id }, operator);
    expect(closed.case).toMatchObject({ status: 'CLOSED', level: 'STREET', escalatedAt: null });
    const { data } = await fx.t.gql(OPS.case, { id: c.id });
    expect(data!.case.history.map((e: { type: string }) => e.type)).not.toContain('ESCALATED');

    // The street's daily report counts it on time at every step.
    const report = await fx.t.gql(`query($street: ID!, $at: DateTime!) { caseReport(filter: { area: { streetId: $street } }, period: DAY, at: $at) {
      from to reported closed escalated dispatchOnTimeRate arriveOnTimeRate closeOnTimeRate meanMinutesToDispatch
      byCategory { key title reported closed } byStreet { key street { id } reported } } }`,
    { street: toGlobalId('Area', String(site.street_id)), at: clock.now().toISOString() }, { token: operator });
    expect(report.errors).toBeUndefined();
    expect(report.data!.caseReport).toMatchObject({
      from: '2026-11-25T16:00:00.000Z', to: '2026-11-26T16:00:00.000Z', reported: 1, closed: 1, escalated: 0,
      dispatchOnTimeRate: 1, arriveOnTimeRate: 1, closeOnTimeRate: 1, meanMinutesToDispatch: 2,
      byCategory: [{ key: 'emergency.fallen_tree', title: '倒伏树木', reported: 1, closed: 1 }],
    });
  });

  test('a stalled case escalates on its own: grid → street → district, by the system, and a restarted watcher carries on', async () => {
    clock.set('2026-11-27T02:00:00.000Z');
    const site = await buildingIn('五常社区');
    const worker = await fx.t.token({ role: 'grid-worker', subject: 'gw-1', name: '网格员小李', gridIds: [String(site.grid_id)] });
    const reported = await ok(fx.t, OPS.patrol, { input: {
      title: '学校门口堆放建筑垃圾', category: 'city.construction_waste', location: { lat: site.lat, lng: site.lng }, photo: 'media/patrol/2026/11/27/0001.jpg',
    } }, worker);
    const c = reported.case;
    expect(c).toMatchObject({ status: 'REPORTED', level: 'GRID', channel: 'GRID_PATROL', photo: 'media/patrol/2026/11/27/0001.jpg' });
    const id = dbId(c.id);
    // The world's open cases escalate on their own deadlines meanwhile; this one is watched.
    const escalated = async (watcher: { runNow(): Promise<{ escalated: string[] }> } = fx.t.hub.caseWatcher) =>
      (await watcher.runNow()).escalated.filter((e) => e === id);

    // Nobody dispatches. Thirty minutes pass; the watcher sends it to the street.
    clock.advance(29 * MINUTE);
    expect(await escalated()).toEqual([]);
    clock.advance(2 * MINUTE);
    expect(await escalated()).toEqual([id]);
    let row = await fx.db.knex('case').where('id', id).first();
    expect(row).toMatchObject({ level: 'street', status: 'reported' });
    expect(new Date(row.dispatch_due_at).getTime()).toBe(clock.now().getTime() + 30 * MINUTE);
    // Running again changes nothing: the new deadline lies ahead.
    expect(await escalated()).toEqual([]);

    // The hub restarts: a new watcher reads the deadline from the store and escalates to the district.
    clock.advance(31 * MINUTE);
    const restarted = startCaseWatcher({ knex: fx.db.knex, bus, clock }, { intervalMs: 0, log: createLogger('silent') });
    expect(await escalated(restarted)).toEqual([id]);
    await restarted.stop();
    row = await fx.db.knex('case').where('id', id).first();
    expect(row.level).toBe('district');
    // The top of the hierarchy: no further escalation, but the case shows as overdue.
    clock.advance(60 * MINUTE);
    expect(await escalated()).toEqual([]);

    const { data } = await fx.t.gql(OPS.case, { id: c.id });
    const escalations = data!.case.history.filter((e: { type: string }) => e.type === 'ESCALATED');
    expect(escalations.map((e: any) => [e.actor, e.actorRole, e.level, JSON.parse(e.data)])).toEqual([
      ['system', 'system', 'STREET', { from: 'grid', to: 'street', missed: 'dispatch' }],
      ['system', 'system', 'DISTRICT', { from: 'street', to: 'district', missed: 'dispatch' }],
    ]);
    expect(data!.case.sla.overdue).toBe(true);
    expect(data!.case.escalatedAt).toBe(new Date(clock.now().getTime() - 60 * MINUTE).toISOString());
    // The grid worker no longer acts on it: it is the district's now.
    const late = await fx.t.gql(OPS.escalate, { id: c.id }, { token: worker });
    expect(late.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  test('invalid transitions are typed errors that write nothing', async () => {
    clock.set('2026-11-28T02:00:00.000Z');
    const site = await buildingIn('五常村');
    const c = (await ok(fx.t, OPS.report, { input: { channel: 'COMMAND_CENTER', title: '噪音扰民', category: 'neighbour.noise', buildingId: toGlobalId('Building', String(site.id)) } })).case;
    const id = dbId(c.id);
    const before = await snapshot(fx.db.knex, id);

    const close = await fx.t.gql(OPS.close, { id: c.id });
    expect(close.errors?.[0]?.extensions).toEqual({ code: 'INVALID_TRANSITION', status: 'REPORTED', level: 'DISTRICT', allowed: ['dispatchCase', 'superviseCase'] });
    const reopen = await fx.t.gql(OPS.reopen, { id: c.id, note: '再次投诉' });
    expect(reopen.errors?.[0]?.message).toMatch(/Only a closed case can be reopened/);
    const noLead = await fx.t.gql(OPS.dispatch, { input: { caseId: c.id, departments: [{ department: 'police', role: 'COOPERATING' }] } });
    expect(noLead.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await fx.t.gql(OPS.dispatch, { input: { caseId: c.id, departments: [{ department: 'weather', role: 'LEAD' }] } });
    expect(unknown.errors?.[0]?.message).toMatch(/There is no department "weather"/);
    const badCategory = await fx.t.gql(OPS.report, { input: { channel: 'COMMAND_CENTER', title: 'x', category: 'nonsense' } });
    expect(badCategory.errors?.[0]?.message).toMatch(/Unknown category "nonsense"/);
    expect(await snapshot(fx.db.knex, id)).toEqual(before);

    // A pending dispatch cannot be completed or started; a dispatch is accepted once.
    const dispatched = await ok(fx.t, OPS.dispatch, { input: { caseId: c.id, departments: [{ department: 'police', role: 'LEAD' }] } });
    const d = dispatched.case.dispatches[0].id;
    const police = await fx.t.token({ role: 'police', subject: 'police-1', department: 'police' });
    const afterDispatch = await snapshot(fx.db.knex, id);
    const complete = await fx.t.gql(OPS.complete, { id: d, result: '已处理' }, { token: police });
    expect(complete.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_TRANSITION', status: 'DISPATCHED', allowed: ['dispatchCase', 'acceptDispatch', 'superviseCase'] });
    await ok(fx.t, OPS.accept, { id: d }, police);
    const again = await fx.t.gql(OPS.accept, { id: d }, { token: police });
    expect(again.errors?.[0]?.extensions?.code).toBe('INVALID_TRANSITION');
    expect((await snapshot(fx.db.knex, id)).events).toHaveLength(afterDispatch.events.length + 1);
  });

  test('supervision tightens the clock; a closed case can be reopened and runs a new round', async () => {
    clock.set('2026-11-29T02:00:00.000Z');
    const site = await buildingIn('葛巷社区');
    const c = (await ok(fx.t, OPS.report, { input: { channel: 'HOTLINE_12345', title: '拖欠工资', category: 'labour.unpaid_wages', buildingId: toGlobalId('Building', String(site.id)) } })).case;
    expect(new Date(c.sla.dispatchDueAt).getTime() - clock.now().getTime()).toBe(30 * MINUTE);
    clock.advance(10 * MINUTE);
    const supervised = (await ok(fx.t, OPS.supervise, { id: c.id, note: '区督办' })).case;
    expect(supervised.supervised).toBe(true);
    expect(new Date(supervised.sla.dispatchDueAt).getTime() - clock.now().getTime()).toBe(15 * MINUTE);
    expect(new Date(supervised.sla.closeDueAt).getTime() - clock.now().getTime()).toBe(15 * 24 * 60 * MINUTE);
    const twice = await fx.t.gql(OPS.supervise, { id: c.id });
    expect(twice.errors?.[0]?.message).toMatch(/already supervised/);

    const d = (await ok(fx.t, OPS.dispatch, { input: { caseId: c.id, departments: [{ department: 'human_resources', role: 'LEAD' }] } })).case.dispatches[0].id;
    // Supervised: a team is due on site in half the normal window.
    const hr = await staff('human_resources');
    await ok(fx.t, OPS.accept, { id: d }, hr);
    await ok(fx.t, OPS.start, { id: d }, hr);
    await ok(fx.t, OPS.complete, { id: d, result: '经调解企业已支付欠薪' }, hr);
    await ok(fx.t, OPS.feedback, { id: c.id, s: 'UNSATISFIED', note: '只付了一半' });
    await ok(fx.t, OPS.close, { id: c.id });
    clock.advance(60 * MINUTE);
    const reopened = (await ok(fx.t, OPS.reopen, { id: c.id, note: '当事人反映仍有欠款未付' })).case;
    expect(reopened).toMatchObject({ status: 'REPORTED', closedAt: null, feedback: null, arrivedAt: null });
    expect(new Date(reopened.sla.dispatchDueAt).getTime() - clock.now().getTime()).toBe(15 * MINUTE);
    // The new round needs a dispatch again before anything closes.
    const close = await fx.t.gql(OPS.close, { id: c.id });
    expect(close.errors?.[0]?.extensions?.code).toBe('INVALID_TRANSITION');
  });
});
