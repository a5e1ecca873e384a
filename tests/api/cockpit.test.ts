/**
 * What the console's cockpit reads: case lists filtered by the dashboard's own overdue and
 * escalated rules, and the dashboard's per-grid counters, in the viewer's scope. Time is a
 * ManualClock the tests move past SLA deadlines.
 */
import { describeEachDatabase } from '../support/databases.js';
import { worldHubFixture } from '../support/hub.js';
import { LiveSubscriber, waitFor } from '../support/live.js';
import { MINUTE, OPS, ok } from '../cases/support.js';
import { ManualClock } from '../../src/domain/clock.js';
import { fromGlobalId, toGlobalId } from '../../src/resolvers/globalId.js';

const START = '2026-11-25T02:00:00.000Z';
const dbIdOf = (globalId: string) => fromGlobalId(globalId).id;

const DASHBOARD = `subscription { dashboard { open overdue escalated byGrid { grid { id } open overdue } } }`;
const LIST = `query($filter: CaseFilter, $after: String) {
  cases(filter: $filter, first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id status escalatedAt grid { id } sla { overdue owedBy } } } }
}`;

interface Counters { open: number; overdue: number; escalated: number; byGrid: Array<{ grid: { id: string }; open: number; overdue: number }> }
interface Listed { id: string; status: string; escalatedAt: string | null; grid: { id: string } | null; sla: { overdue: boolean; owedBy: string | null } }

describeEachDatabase('the cockpit\'s case lists and per-grid counters', ({ openWorld }) => {
  const clock = new ManualClock(START);
  const fx = worldHubFixture({ openWorld }, { clock });

  /** The dashboard as the viewer sees it now: a fresh subscription's first message. */
  const dashboard = async (token?: string): Promise<Counters> => {
    const s = new LiveSubscriber(fx.t.hub.url, token ?? (await fx.t.token()), DASHBOARD);
    try {
      const [m] = await s.received(1);
      expect(m!.errors).toBeUndefined();
      return m!.data.dashboard as Counters;
    } finally {
      await s.dispose();
      // The next read must compute anew, not get this group's last message.
      await waitFor('the dashboard subscription to end', () => fx.t.hub.live.stats().subscribers === 0);
    }
  };

  /** Every case of the filter, through all its pages. */
  const list = async (filter: Record<string, unknown>, token?: string): Promise<{ total: number; cases: Listed[] }> => {
    const cases: Listed[] = [];
    let after: string | null = null;
    let total = 0;
    for (;;) {
      const res: { data?: any; errors?: unknown } = await fx.t.gql(LIST, { filter, after }, token === undefined ? {} : { token });
      expect(res.errors).toBeUndefined();
      const page: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: Listed }> } = res.data!.cases;
      total = page.totalCount;
      cases.push(...page.edges.map((e) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    return { total, cases };
  };

  /** A building of a grid in some street, and a grid of another street. */
  const places = async () => {
    const building = await fx.db.knex('building').whereNotNull('grid_id').orderBy('id').first('id', 'grid_id', 'street_id');
    const other = await fx.db.knex('grid').whereNot('street_id', building.street_id).orderBy('id').first('id', 'street_id');
    const sibling = await fx.db.knex('building').where('street_id', building.street_id).whereNot('grid_id', building.grid_id).orderBy('id').first('id', 'grid_id');
    return { building, other, sibling };
  };
  const report = async (buildingId: string, title: string, level: 'STREET' | 'DISTRICT' = 'DISTRICT') => (await ok(fx.t, OPS.report, { input: {
    channel: 'COMMAND_CENTER', title, category: 'environment.dust_noise', urgency: 'NORMAL', buildingId: toGlobalId('Building', String(buildingId)), level,
  } })).case as { id: string; grid: { id: string }; sla: { dispatchDueAt: string } };

  test('cases(filter: { overdue: true }) lists exactly the cases the dashboard counts as overdue, as the clock passes a deadline', async () => {
    clock.set(START);
    const { building } = await places();
    const before = await dashboard();
    const listedBefore = await list({ overdue: true });
    expect(listedBefore.total).toBe(before.overdue);
    expect(listedBefore.cases).toHaveLength(before.overdue);

    const late = await report(building.id, '工地夜间施工噪音（逾期）');
    const onTime = await report(building.id, '工地夜间施工噪音（按时）');
    await ok(fx.t, OPS.dispatch, { input: { caseId: onTime.id, departments: [{ department: 'environment', role: 'LEAD' }] } });
    // Not yet due: neither counts, neither is listed.
    expect((await dashboard()).overdue).toBe(before.overdue);
    expect((await list({ overdue: true })).cases.map((c) => c.id)).not.toContain(late.id);

    // At the deadline itself it is not yet past (the dashboard's rule is strict).
    clock.set(late.sla.dispatchDueAt);
    expect((await dashboard()).overdue).toBe(before.overdue);
    expect((await list({ overdue: true })).cases.map((c) => c.id)).not.toContain(late.id);

    // Past the 30 minutes to dispatch: the undispatched one is overdue, the dispatched one not yet (it has its arrival deadline).
    clock.set(new Date(new Date(late.sla.dispatchDueAt).getTime() + MINUTE));
    const after = await dashboard();
    const listed = await list({ overdue: true });
    expect(listed.total).toBe(after.overdue);
    expect(listed.cases).toHaveLength(after.overdue);
    expect(listed.cases.map((c) => c.id)).toContain(late.id);
    expect(listed.cases.map((c) => c.id)).not.toContain(onTime.id);
    expect(listed.cases.every((c) => c.status !== 'CLOSED')).toBe(true);
    // Per grid the list and the dashboard agree too.
    const mine = await list({ overdue: true, area: { gridId: late.grid.id } });
    expect(mine.total).toBe(after.byGrid.find((g) => g.grid.id === late.grid.id)?.overdue);
    // Any passed deadline counts, not only the current one: a dispatched case still due on site
    // whose close deadline has gone (set here in the row) is overdue.
    await fx.db.knex('case').where('id', dbIdOf(onTime.id)).update({ close_due_at: new Date(clock.now().getTime() - MINUTE) });
    const closeMissed = await dashboard();
    expect(closeMissed.overdue).toBe(after.overdue + 1);
    // A case's own sla.overdue follows the same rule.
    expect((await ok(fx.t, OPS.case, { id: onTime.id })).sla.overdue).toBe(true);
    const relisted = await list({ overdue: true });
    expect(relisted.total).toBe(closeMissed.overdue);
    expect(relisted.cases.map((c) => c.id)).toContain(onTime.id);
    await fx.db.knex('case').where('id', dbIdOf(onTime.id)).update({ close_due_at: new Date(clock.now().getTime() + 9 * 24 * 60 * MINUTE) });

    // false is the complement: together they are every case.
    const [rest, all] = await Promise.all([list({ overdue: false }), fx.t.gql('{ cases(first: 0) { totalCount } }')]);
    expect(rest.total + listed.total).toBe(all.data!.cases.totalCount);
    expect(rest.cases.map((c) => c.id)).toContain(onTime.id);
    // Every case's sla.overdue says which of the two lists it is in.
    const [overdueNow, notOverdue] = await Promise.all([list({ overdue: true }), list({ overdue: false })]);
    expect(overdueNow.cases.filter((c) => !c.sla.overdue)).toEqual([]);
    expect(notOverdue.cases.filter((c) => c.sla.overdue)).toEqual([]);
    // owedBy is the deadline they are overdue by: passed for the one list, not for the other.
    const now = clock.now().getTime();
    expect(overdueNow.cases.filter((c) => !(c.sla.owedBy !== null && Date.parse(c.sla.owedBy) < now))).toEqual([]);
    expect(notOverdue.cases.filter((c) => c.sla.owedBy !== null && Date.parse(c.sla.owedBy) < now)).toEqual([]);
  }, 60_000);

  test('order: OLDEST_FIRST pages through the same cases as the default in the opposite order, so an overdue list cut at a page keeps those waiting longest', async () => {
    const ORDERED = `query($filter: CaseFilter, $order: CaseOrder, $after: String) {
      cases(filter: $filter, order: $order, first: 7, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id reportedAt } } }
    }`;
    const all = async (order: 'NEWEST_FIRST' | 'OLDEST_FIRST') => {
      const out: Array<{ id: string; reportedAt: string }> = [];
      let after: string | null = null;
      for (;;) {
        const res: { data?: any; errors?: unknown } = await fx.t.gql(ORDERED, { filter: {}, order, after });
        expect(res.errors).toBeUndefined();
        out.push(...(res.data!.cases.edges as Array<{ node: { id: string; reportedAt: string } }>).map((e) => e.node));
        if (!res.data!.cases.pageInfo.hasNextPage) return out;
        after = res.data!.cases.pageInfo.endCursor as string;
      }
    };
    const [newest, oldest] = await Promise.all([all('NEWEST_FIRST'), all('OLDEST_FIRST')]);
    expect(newest.length).toBeGreaterThan(7);
    expect(oldest.map((c) => c.id)).toEqual([...newest].reverse().map((c) => c.id));
  });

  test('cases(filter: { escalated: true }) lists exactly the open escalated cases the dashboard counts', async () => {
    const { building } = await places();
    clock.advance(10 * MINUTE);
    // At street level, so that a missed deadline sends it up to the district.
    const c = await report(building.id, '楼道堆物（升级）', 'STREET');
    clock.set(new Date(new Date(c.sla.dispatchDueAt).getTime() + MINUTE));
    // The SLA watcher sends the missed case up a level.
    const { escalated } = await fx.t.hub.caseWatcher.runNow();
    expect(escalated.length).toBeGreaterThan(0);
    expect((await ok(fx.t, OPS.case, { id: c.id })).escalatedAt).not.toBeNull();
    const counted = await dashboard();
    const listed = await list({ escalated: true });
    expect(listed.total).toBe(counted.escalated);
    expect(listed.cases).toHaveLength(counted.escalated);
    expect(listed.cases.map((x) => x.id)).toContain(c.id);
    expect(listed.cases.every((x) => x.escalatedAt !== null && x.status !== 'CLOSED')).toBe(true);
    // A closed case that was once escalated is not.
    const closedEscalated = await fx.db.knex('case').where('status', 'closed').whereNotNull('escalated_at').first('id');
    if (closedEscalated) expect(listed.cases.map((x) => x.id)).not.toContain(toGlobalId('Case', String(closedEscalated.id)));
  }, 60_000);

  test('byGrid adds up to open and overdue, and the dashboard role may read it', async () => {
    const unplaced = await fx.db.knex('case').whereNull('grid_id').whereNot('status', 'closed').count({ n: '*' });
    for (const token of [await fx.t.token(), await fx.t.token({ role: 'dashboard' })]) {
      const d = await dashboard(token);
      expect(d.byGrid.length).toBeGreaterThan(0);
      expect(d.byGrid.reduce((s, g) => s + g.open, 0) + Number(unplaced[0]!.n)).toBe(d.open);
      expect(d.byGrid.reduce((s, g) => s + g.overdue, 0)).toBeLessThanOrEqual(d.overdue);
      expect(d.byGrid.every((g) => g.open > 0 && g.overdue <= g.open)).toBe(true);
      // One row per grid, in a stable order.
      expect(new Set(d.byGrid.map((g) => g.grid.id)).size).toBe(d.byGrid.length);
      const overdueUnplaced = (await list({ overdue: true })).cases.filter((c) => c.grid === null).length;
      expect(d.byGrid.reduce((s, g) => s + g.overdue, 0) + overdueUnplaced).toBe(d.overdue);
    }
  }, 60_000);

  test("a grid worker's byGrid holds only their grids, a street operator's only their street's", async () => {
    const { building, other, sibling } = await places();
    // Open cases in the worker's grid, in another grid of the street, and in another street.
    await report(building.id, '网格内：垃圾堆放');
    if (sibling) await report(sibling.id, '同街道另一网格：垃圾堆放');
    const elsewhere = await fx.db.knex('building').where('grid_id', other.id).first('id');
    if (elsewhere) await report(elsewhere.id, '另一街道：垃圾堆放');

    const admin = await dashboard();
    const gridId = toGlobalId('Grid', String(building.grid_id));
    const worker = await dashboard(await fx.t.token({ role: 'grid-worker', gridIds: [String(building.grid_id)] }));
    expect(worker.byGrid.map((g) => g.grid.id)).toEqual([gridId]);
    expect(worker.byGrid[0]).toEqual(admin.byGrid.find((g) => g.grid.id === gridId));
    expect(worker.open).toBe(worker.byGrid[0]!.open);

    const streetGrids = new Set(((await fx.db.knex('grid').where('street_id', building.street_id).pluck('id')) as Array<string | number>)
      .map((id) => toGlobalId('Grid', String(id))));
    const operator = await dashboard(await fx.t.token({ role: 'street-operator', streetIds: [String(building.street_id)] }));
    expect(operator.byGrid.length).toBeGreaterThan(sibling ? 1 : 0);
    expect(operator.byGrid.every((g) => streetGrids.has(g.grid.id))).toBe(true);
    expect(admin.byGrid.length).toBeGreaterThan(operator.byGrid.length);
  }, 60_000);
});
