/**
 * Reading the two append-only logs live subscriptions follow: `case_event` (case transitions)
 * and `change_event` (canonical entities changed by connectors). Hub-wide, not per viewer: the
 * live engine reads each new event once and asks each subscriber's Policy whether it may see it.
 *
 * Order is (tx, id), not id: see the live-operations migration. A row is *settled* once no
 * transaction older than its own is still running; only settled rows are handed out, so a
 * reader that has passed a position never sees a row appear behind it.
 */
import type { Knex } from 'knex';
import type { Topic } from '../../events/bus.js';
import { rowsOf, type Row } from '../loaders.js';
import { caseEventFromRow, caseFromRow, type CaseEventModel, type CaseModel } from '../models.js';
import { dispatchedTo } from './cases.js';

/** A place in one log: the appending transaction and the row id (both decimal strings). */
export interface LogPosition {
  tx: string;
  id: string;
}

export const LOG_START: LogPosition = { tx: '0', id: '0' };

export function comparePositions(a: LogPosition, b: LogPosition): number {
  const tx = BigInt(a.tx) - BigInt(b.tx);
  if (tx !== 0n) return tx < 0n ? -1 : 1;
  const id = BigInt(a.id) - BigInt(b.id);
  return id === 0n ? 0 : id < 0n ? -1 : 1;
}

export interface CaseLogEvent {
  position: LogPosition;
  event: CaseEventModel;
  /** The case as it is when the event is read (its area, status and dispatches decide who sees it). */
  case: CaseModel;
}

export type EntityLogType = 'person' | 'building' | 'enterprise';

export interface EntityLogEvent {
  position: LogPosition;
  entityType: EntityLogType;
  entityId: string;
  change: 'created' | 'updated';
  at: Date;
  departmentId: string | null;
  department: string | null;
  /** Where the entity sits now; null when it has been deleted since. */
  place: { gridId: string | null; streetId: string | null; communityId: string | null; districtId: string | null } | null;
}

export interface LogRead<T> {
  events: T[];
  /** Rows exist past the last event that are not settled yet: read again shortly. */
  unsettled: boolean;
  /** The read stopped at its limit: read again at once. */
  more: boolean;
}

const LOG_TABLE: Record<Topic, string> = { case: 'case_event', entity: 'change_event' };
const ENTITY_TABLES: readonly EntityLogType[] = ['person', 'building', 'enterprise'];
const SETTLED = 'tx < pg_snapshot_xmin(pg_current_snapshot())';

const positionOf = (r: Row): LogPosition => ({ tx: String(r.tx), id: String(r.id) });

function after(q: Knex.QueryBuilder, table: string, from: LogPosition, through: LogPosition | null): Knex.QueryBuilder {
  q.whereRaw(`(${table}.tx, ${table}.id) > (?::xid8, ?::bigint)`, [from.tx, from.id]);
  if (through) q.whereRaw(`(${table}.tx, ${table}.id) <= (?::xid8, ?::bigint)`, [through.tx, through.id]);
  return q.orderBy([`${table}.tx`, `${table}.id`]);
}

/** The settled prefix of rows read in (tx, id) order. */
function settledPrefix(rows: Row[], limit: number): { rows: Row[]; unsettled: boolean; more: boolean } {
  const firstUnsettled = rows.findIndex((r) => r.settled !== true);
  if (firstUnsettled >= 0) return { rows: rows.slice(0, firstUnsettled), unsettled: true, more: false };
  return { rows, unsettled: false, more: rows.length >= limit };
}

export function createEventLogReader(knex: Knex) {
  return {
    /** The last settled position of a log: a new reader starts here and hands out only what comes after. */
    async head(topic: Topic): Promise<LogPosition> {
      const table = LOG_TABLE[topic];
      const [row] = await rowsOf(knex(table).whereRaw(SETTLED).orderBy([{ column: 'tx', order: 'desc' }, { column: 'id', order: 'desc' }])
        .limit(1).select(knex.raw('tx::text as tx'), 'id'));
      return row ? positionOf(row) : LOG_START;
    },

    /** Case events after `from` (and at most `through`), oldest first, each with its case. */
    async caseEvents(from: LogPosition, limit: number, through: LogPosition | null = null): Promise<LogRead<CaseLogEvent>> {
      const rows = await rowsOf(after(knex('case_event'), 'case_event', from, through).limit(limit)
        .select('case_event.*', knex.raw('case_event.tx::text as tx'), knex.raw(`${SETTLED} as settled`)));
      const read = settledPrefix(rows, limit);
      const caseIds = [...new Set(read.rows.map((r) => String(r.case_id)))];
      const cases = caseIds.length
        ? new Map((await rowsOf(knex('case').whereIn('case.id', caseIds).select('case.*', dispatchedTo(knex)))).map((r) => [String(r.id), caseFromRow(r)]))
        : new Map<string, CaseModel>();
      const events: CaseLogEvent[] = [];
      for (const r of read.rows) {
        const c = cases.get(String(r.case_id));
        // A case deleted since (cascading its events) has nothing left to show.
        if (c) events.push({ position: positionOf(r), event: caseEventFromRow(r), case: c });
      }
      return { events, unsettled: read.unsettled, more: read.more };
    },

    /** Changes of people, buildings and enterprises after `from` (and at most `through`), oldest first. */
    async entityChanges(from: LogPosition, limit: number, through: LogPosition | null = null): Promise<LogRead<EntityLogEvent>> {
      const q = after(knex('change_event'), 'change_event', from, through).limit(limit)
        .whereIn('change_event.entity_type', ENTITY_TABLES as string[])
        .leftJoin('department', 'department.id', 'change_event.department_id')
        .select('change_event.id', 'change_event.entity_type', 'change_event.entity_id', 'change_event.change', 'change_event.at',
          'change_event.department_id', 'department.name as department', knex.raw('change_event.tx::text as tx'),
          knex.raw(`change_event.${SETTLED} as settled`));
      for (const t of ENTITY_TABLES) {
        q.leftJoin(`${t} as e_${t}`, (j) => j.on(`e_${t}.id`, 'change_event.entity_id').andOn('change_event.entity_type', knex.raw('?', [t])));
      }
      for (const col of ['grid_id', 'street_id', 'community_id', 'district_id', 'id']) {
        q.select(knex.raw(`coalesce(${ENTITY_TABLES.map((t) => `e_${t}.${col}`).join(', ')}) as place_${col}`));
      }
      const read = settledPrefix(await rowsOf(q), limit);
      const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
      return {
        events: read.rows.map((r) => ({
          position: positionOf(r),
          entityType: String(r.entity_type) as EntityLogType,
          entityId: String(r.entity_id),
          change: String(r.change) === 'created' ? 'created' : 'updated',
          at: new Date(r.at as string | Date),
          departmentId: str(r.department_id),
          department: str(r.department),
          place: r.place_id === null ? null : {
            gridId: str(r.place_grid_id), streetId: str(r.place_street_id), communityId: str(r.place_community_id), districtId: str(r.place_district_id),
          },
        })),
        unsettled: read.unsettled,
        more: read.more,
      };
    },
  };
}
export type EventLogReader = ReturnType<typeof createEventLogReader>;
