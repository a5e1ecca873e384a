/**
 * Reading the two append-only logs live subscriptions follow: `case_event` (case transitions)
 * and `change_event` (canonical entities changed by connectors). Hub-wide, not per viewer: the
 * live engine reads each new event once and asks each subscriber's Policy whether it may see it.
 *
 * Read through the one outbox reader (src/events/outbox.ts), which says why the order is
 * (tx, id) and why only settled rows are handed out.
 */
import type { Knex } from 'knex';
import type { Topic } from '../../events/bus.js';
import { createOutboxReader, type LogPosition, type OutboxRead, type OutboxTable } from '../../events/outbox.js';
import { rowsOf, type Row } from '../loaders.js';
import { caseEventFromRow, caseFromRow, type CaseEventModel, type CaseModel } from '../models.js';
import { dispatchedTo } from './cases.js';

export { LOG_START, comparePositions, type LogPosition } from '../../events/outbox.js';

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
  /**
   * Where the read ended: the last row read, which may be past the last event when rows were
   * dropped (a case deleted since); null when no row was read.
   */
  end: LogPosition | null;
  /** Rows exist past the last event that are not settled yet: read again shortly. */
  unsettled: boolean;
  /** The read stopped at its limit: read again at once. */
  more: boolean;
}

const LOG_TABLE: Record<Topic, OutboxTable> = { case: 'case_event', entity: 'change_event' };
const ENTITY_TABLES: readonly EntityLogType[] = ['person', 'building', 'enterprise'];

const positionOf = (r: Row): LogPosition => ({ tx: String(r.tx), id: String(r.id) });
const readOf = <T>(read: OutboxRead<Row>, events: T[]): LogRead<T> => ({ events, end: read.end, unsettled: read.unsettled, more: read.more });

export function createEventLogReader(knex: Knex) {
  const outbox = createOutboxReader(knex);
  return {
    /** The last settled position of a log: a new reader starts here and hands out only what comes after. */
    head(topic: Topic): Promise<LogPosition> {
      return outbox.head(LOG_TABLE[topic]);
    },

    /** The last position retention pruned from a log (LOG_START when none): a replay must not start before it. */
    prunedThrough(topic: Topic): Promise<LogPosition> {
      return outbox.prunedThrough(LOG_TABLE[topic]);
    },

    /** Case events after `from` (and at most `through`), oldest first, each with its case. */
    async caseEvents(from: LogPosition, limit: number, through: LogPosition | null = null): Promise<LogRead<CaseLogEvent>> {
      const read = await outbox.read<Row>('case_event', { from, through, limit, shape: (q) => {
        q.select('case_event.*');
      } });
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
      return readOf(read, events);
    },

    /** Changes of people, buildings and enterprises after `from` (and at most `through`), oldest first. */
    async entityChanges(from: LogPosition, limit: number, through: LogPosition | null = null): Promise<LogRead<EntityLogEvent>> {
      const read = await outbox.read<Row>('change_event', {
        from, through, limit,
        shape: (q) => {
          q.whereIn('change_event.entity_type', ENTITY_TABLES as string[])
            .leftJoin('department', 'department.id', 'change_event.department_id')
            .select('change_event.id', 'change_event.entity_type', 'change_event.entity_id', 'change_event.change', 'change_event.at',
              'change_event.department_id', 'department.name as department');
          for (const t of ENTITY_TABLES) {
            q.leftJoin(`${t} as e_${t}`, (j) => j.on(`e_${t}.id`, 'change_event.entity_id').andOn('change_event.entity_type', knex.raw('?', [t])));
          }
          for (const col of ['grid_id', 'street_id', 'community_id', 'district_id', 'id']) {
            q.select(knex.raw(`coalesce(${ENTITY_TABLES.map((t) => `e_${t}.${col}`).join(', ')}) as place_${col}`));
          }
        },
      });
      const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
      return readOf(read, read.rows.map((r) => ({
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
      })));
    },
  };
}
export type EventLogReader = ReturnType<typeof createEventLogReader>;
