import type { StoreContext } from './context.js';
import { ESCALATED_CASE, OPEN_CASE, OVERDUE_CASE, casesInScope } from './cases.js';
import { rowsOf } from '../loaders.js';
import type { AreaIdsFilter } from '../filters.js';

/** A command center's counters for one area, as one viewer's scope sees them. */
export interface DashboardModel {
  /** The area or grid asked for (database ids); both null for the viewer's whole scope. */
  areaId: string | null;
  gridId: string | null;
  at: Date;
  open: number;
  openByCategory: Array<{ category: string; count: number }>;
  overdue: number;
  escalated: number;
  supervised: number;
  closedToday: number;
  meanMinutesToDispatch: number | null;
  meanMinutesToClose: number | null;
  /** Open and overdue cases per grid (database ids), grids with open cases only, by grid id. */
  byGrid: GridCaseCountModel[];
}

export interface GridCaseCountModel {
  gridId: string;
  open: number;
  overdue: number;
}

/** China Standard Time has no daylight saving: a day starts at 16:00 UTC the day before. */
const CST_OFFSET_MS = 8 * 3600_000;

export function startOfDayCst(now: Date): Date {
  const local = now.getTime() + CST_OFFSET_MS;
  return new Date(local - (local % 86_400_000) - CST_OFFSET_MS);
}

export function createDashboardRepository(ctx: StoreContext) {
  const { knex, policy } = ctx;
  return {
    /**
     * The counters at `now` (the hub's Clock). One statement: open, overdue, escalated and
     * supervised cases by category, and what was dispatched and closed since midnight; and, in
     * the same statement's second grouping set, open and overdue cases by grid.
     */
    async counters(area: { ids: AreaIdsFilter | null; areaId: string | null; gridId: string | null }, now: Date): Promise<DashboardModel> {
      // Dashboards are aggregates: the dashboard role, which may only count cases, may see them.
      policy.listAccess('case');
      const day = startOfDayCst(now);
      const q = casesInScope(ctx, area.ids)
        .where((w) => void w.whereRaw(OPEN_CASE).orWhere('case.closed_at', '>=', day).orWhere('case.dispatched_at', '>=', day))
        .groupByRaw('grouping sets (("case".category), ("case".grid_id))')
        .select('case.category', 'case.grid_id', knex.raw(
          `grouping("case".grid_id) = 0 as by_grid,
           count(*) filter (where ${OPEN_CASE}) as open,
           count(*) filter (where ${OVERDUE_CASE}) as overdue,
           count(*) filter (where ${ESCALATED_CASE}) as escalated,
           count(*) filter (where ${OPEN_CASE} and "case".supervised) as supervised,
           count(*) filter (where "case".closed_at >= :day and "case".closed_at <= :now) as closed_today,
           count(*) filter (where "case".dispatched_at >= :day and "case".dispatched_at <= :now) as dispatched_today,
           coalesce(sum(extract(epoch from "case".dispatched_at - "case".reported_at)) filter (where "case".dispatched_at >= :day and "case".dispatched_at <= :now), 0) as dispatch_seconds,
           coalesce(sum(extract(epoch from "case".closed_at - "case".reported_at)) filter (where "case".closed_at >= :day and "case".closed_at <= :now), 0) as close_seconds`,
          { now, day },
        ));
      const all = await rowsOf(q);
      // Every case is in exactly one row of each grouping set: the totals come from the categories'.
      const rows = all.filter((r) => !r.by_grid);
      const gridRows = all.filter((r) => r.by_grid && r.grid_id !== null && Number(r.open) > 0);
      const sum = (col: string) => rows.reduce((s, r) => s + Number(r[col]), 0);
      const closedToday = sum('closed_today');
      const dispatchedToday = sum('dispatched_today');
      const minutes = (seconds: number, n: number) => (n === 0 ? null : Math.round((seconds / n / 60) * 10) / 10);
      return {
        areaId: area.areaId,
        gridId: area.gridId,
        at: now,
        open: sum('open'),
        openByCategory: rows
          .map((r) => ({ category: String(r.category), count: Number(r.open) }))
          .filter((c) => c.count > 0)
          .sort((a, b) => b.count - a.count || a.category.localeCompare(b.category)),
        overdue: sum('overdue'),
        escalated: sum('escalated'),
        supervised: sum('supervised'),
        closedToday,
        meanMinutesToDispatch: minutes(sum('dispatch_seconds'), dispatchedToday),
        meanMinutesToClose: minutes(sum('close_seconds'), closedToday),
        // Sorted as numbers, so that equal counters always serialize alike (the live feed compares them).
        byGrid: gridRows
          .map((r) => ({ gridId: String(r.grid_id), open: Number(r.open), overdue: Number(r.overdue) }))
          .sort((a, b) => Number(a.gridId) - Number(b.gridId)),
      };
    },
  };
}
export type DashboardRepository = ReturnType<typeof createDashboardRepository>;
