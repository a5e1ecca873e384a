/**
 * The store's side of the connector runner: departments and their health, stream cursors,
 * committing a batch with its cursor in one transaction, sync runs, relinking, and the
 * dead-letter store. The runner (src/sync) talks to the store only through this.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Database } from '../db.js';
import type { EventBus } from '../../events/bus.js';
import type { Cursor } from '../../domain/canonical.js';
import type { Row } from '../loaders.js';
import { loadPlaces, type Places } from './places.js';
import type { GridRegistry } from '../../domain/canonical.js';
import { storeGridRegistry } from './registry.js';
import { BatchWriter, type BatchInput, type BatchResult } from './writer.js';
import { DEFAULT_RESOLUTION, Resolver, type ResolutionOptions } from '../../resolution/index.js';
import { relinkUnlinked, rememberStored } from '../../resolution/rerun.js';
import { bulkInsert } from './bulk.js';
import { RETURNING_POSITION, lastPositionOf } from '../../events/outbox.js';
import { declareDataClass, type DataClass } from '../../domain/dataClasses.js';

export type { GridRegistry } from '../../domain/canonical.js';
export type { BatchInput, BatchResult, DeadLetterInput, MappedInput } from './writer.js';
export { sha256 } from './writer.js';

export interface DepartmentRef {
  id: string;
  name: string;
}

export type ConnectorHealth = 'healthy' | 'degraded' | 'down';
export type RunTrigger = 'schedule' | 'cli' | 'push' | 'replay';

export interface RunCounts {
  read: number;
  stored: number;
  changed: number;
  deadLettered: number;
}

export interface DeadLetter {
  id: string;
  department: string;
  stream: string;
  sourceId: string | null;
  stage: string;
  reason: string;
  raw: string;
  attempts: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
}

export interface IngestStore {
  /** Creates the department and its connector state on first sight; refreshes the display name. */
  /** The department's row; its `dataClass` (when given) is what roles see its records by, from now on in this process. */
  ensureDepartment(spec: { name: string; displayName: string; version: string; dataClass?: DataClass }): Promise<DepartmentRef>;
  cursor(department: DepartmentRef, stream: string): Promise<Cursor | null>;
  /** Stores a batch and moves the stream's cursor, atomically. */
  commit(batch: BatchInput): Promise<BatchResult>;
  startRun(department: DepartmentRef, stream: string, trigger: RunTrigger): Promise<string>;
  finishRun(runId: string, status: 'succeeded' | 'failed' | 'cancelled', counts: RunCounts, error: string | null): Promise<void>;
  setHealth(department: DepartmentRef, health: ConnectorHealth, error: string | null, synced: boolean): Promise<void>;
  /** Links stored records whose key now names an entity (the entity's register synced later). Returns how many. */
  relink(): Promise<number>;
  /** Imports the area and grid registry, then re-reads it for placing records. */
  importGridRegistry(registry: GridRegistry): Promise<{ areas: number; grids: number; members: number }>;
  /**
   * Runs `work` unless another hub instance is running work of the same name (a PostgreSQL
   * advisory lock, so a cluster of hubs syncs each connector once). Returns false when skipped.
   */
  exclusive(name: string, work: () => Promise<void>): Promise<boolean>;
  deadLetters(filter: { department?: string; includeResolved?: boolean; limit?: number }): Promise<DeadLetter[]>;
  resolveDeadLetters(ids: string[]): Promise<void>;
}

export interface IngestStoreOptions {
  /** Told `{ topic: 'entity' }` after each committed batch that changed canonical entities (live subscriptions). */
  bus?: EventBus;
  log?: Logger;
  /** Thresholds and mode of entity resolution (RESOLUTION_* in the environment). */
  resolution?: Partial<ResolutionOptions>;
}

const RUN_HOST = hostname();
/** Who runs a sync: this host and process, so a later run can tell a dead run from a live one. */
const RUN_OWNER = `${RUN_HOST}:${process.pid}`;

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function createIngestStore(db: Database, options: IngestStoreOptions = {}): IngestStore {
  // Syncs, pushes and replays are background work: on their own pool, never the requests'.
  const knex = db.background;
  let places: Promise<Places> | null = null;
  const resolver = new Resolver({ ...DEFAULT_RESOLUTION, ...options.resolution });
  // Whether a batch created people since the last relink: only then can an unlinked record newly match.
  let peopleCreated = false;
  const writer = async () => new BatchWriter(await (places ??= loadPlaces(knex)), resolver);

  return {
    async ensureDepartment(spec) {
      if (spec.dataClass !== undefined) declareDataClass(spec.name, spec.dataClass);
      const [row] = (await knex('department').insert({ name: spec.name, display_name: spec.displayName })
        .onConflict('name').merge(['display_name']).returning(['id', 'name'])) as Row[];
      const id = String(row?.id);
      await knex('connector_state').insert({ department_id: id, connector_version: spec.version })
        .onConflict('department_id').merge(['connector_version']);
      return { id, name: spec.name };
    },

    async cursor(department, stream) {
      const row = (await knex('stream_state').where({ department_id: department.id, stream }).first('cursor')) as Row | undefined;
      return (row?.cursor ?? null) as Cursor | null;
    },

    async commit(batch) {
      const w = await writer();
      const result = await knex.transaction((trx) => w.write(trx, batch));
      if (result.peopleCreated > 0) peopleCreated = true;
      if (options.bus && result.lastChangeId !== null) {
        // The batch is durable either way; a lost notice only delays subscribers until the next one.
        await options.bus.publish({ topic: 'entity', position: result.lastChangeId })
          .catch((err: unknown) => options.log?.warn({ err: (err as Error).message }, 'ingest: could not publish the entity notice'));
      }
      return result;
    },

    async startRun(department, stream, trigger) {
      const now = new Date();
      // A run whose process died (kill -9, a crash, a lost host) never finished: close it now,
      // so `running` means running. Only this host can tell whether one of its pids is alive.
      const open = (await knex('sync_run').where({ department_id: department.id, stream, status: 'running' })
        .whereLike('owner', `${RUN_HOST}:%`).select('id', 'owner')) as Row[];
      const dead = open.filter((r) => !processAlive(Number(String(r.owner).slice(RUN_HOST.length + 1))));
      if (dead.length > 0) {
        await knex('sync_run').whereIn('id', dead.map((r) => String(r.id))).where('status', 'running').update({
          status: 'failed', finished_at: now, error: 'interrupted: the process running this sync ended before it finished (killed or crashed); the next run resumed from the saved cursor',
        });
      }
      const [row] = (await knex('sync_run').insert({
        department_id: department.id, stream, trigger, status: 'running', started_at: now, owner: RUN_OWNER,
      }).returning('id')) as Row[];
      return String(row?.id);
    },

    async finishRun(runId, status, counts, error) {
      await knex('sync_run').where('id', runId).update({
        status, finished_at: new Date(), read: counts.read, stored: counts.stored, changed: counts.changed,
        dead_lettered: counts.deadLettered, error,
      });
    },

    async setHealth(department, health, error, synced) {
      const now = new Date();
      await knex('connector_state').where('department_id', department.id).update({
        status: health, last_error: error, last_attempt_at: now, ...(synced ? { last_sync_at: now } : {}),
        // Recounted rather than trusted: a count kept by increments drifts after any lost update.
        record_count: knex('source_record').where('department_id', department.id).count('*'),
        unlinked_count: knex('source_record').where('department_id', department.id).whereNull('entity_id').count('*'),
        dead_letter_count: knex('dead_letter').where('department_id', department.id).whereNull('resolved_at').count('*'),
      });
    },

    async relink() {
      const w = await writer();
      let linked = 0;
      const keyed: Row[] = [];
      const relinked: Row[] = [];
      const byKey: Array<[string, string]> = [
        ['person', "update source_record s set entity_type = 'person', entity_id = e.id, link_method = 'key', link_score = 1 from person e where s.entity_id is null and s.link_type = 'person' and s.link_key = e.id_number returning s.entity_id, s.facts, s.department_id"],
        ['enterprise', "update source_record s set entity_type = 'enterprise', entity_id = e.id, link_method = 'key', link_score = 1 from enterprise e where s.entity_id is null and s.link_type = 'enterprise' and s.link_key = e.credit_code returning s.entity_id, s.department_id"],
        ['building', "update source_record s set entity_type = 'building', entity_id = e.id, link_method = 'key', link_score = 1 from building e join address a on a.id = e.address_id where s.entity_id is null and s.link_type = 'building' and s.link_key = a.normalized returning s.entity_id, s.department_id"],
        ['dwelling', "update source_record s set entity_type = 'dwelling', entity_id = e.id, link_method = 'key', link_score = 1 from dwelling e join address a on a.id = e.address_id where s.entity_id is null and s.link_type = 'dwelling' and s.link_key = a.normalized returning s.entity_id, s.department_id"],
        ['person', "update source_link l set entity_id = e.id, link_method = 'key', link_score = 1 from person e, source_record s where l.entity_id is null and l.entity_type = 'person' and l.link_key = e.id_number and s.id = l.source_record_id returning l.entity_id, l.facts, s.department_id"],
        ['enterprise', "update source_link l set entity_id = e.id, link_method = 'key', link_score = 1 from enterprise e, source_record s where l.entity_id is null and l.entity_type = 'enterprise' and l.link_key = e.credit_code and s.id = l.source_record_id returning l.entity_id, s.department_id"],
      ];
      await knex.transaction(async (trx) => {
        for (const [type, sql] of byKey) {
          const rows = ((await trx.raw(sql)) as { rows: Row[] }).rows;
          if (sql.startsWith('update source_record')) linked += rows.length;
          for (const r of rows) relinked.push({ entity_type: type, entity_id: String(r.entity_id), department_id: String(r.department_id) });
          if (type === 'person') keyed.push(...rows);
        }
        await rememberStored(trx, w.places, resolver, keyed.map((r) => ({ entityId: String(r.entity_id), facts: r.facts })));
      });
      // Records still unlinked get another look once new people exist (a 110 caller synced before the register).
      const again = await relinkUnlinked(knex, w.places, resolver, peopleCreated);
      peopleCreated = false;
      linked += again.linked;
      const unique = new Map(relinked.map((r) => [`${String(r.entity_type)}:${String(r.entity_id)}`, r]));
      let lastChangeId = again.lastChangeId;
      if (unique.size > 0) {
        const ids = await knex.transaction((trx) => bulkInsert(trx, 'change_event', [...unique.values()].map((r) => ({ ...r, change: 'updated', at: new Date() })), RETURNING_POSITION));
        lastChangeId = lastPositionOf(ids);
      }
      if (options.bus && lastChangeId !== null) {
        await options.bus.publish({ topic: 'entity', position: lastChangeId })
          .catch((err: unknown) => options.log?.warn({ err: (err as Error).message }, 'ingest: could not publish the entity notice'));
      }
      return linked;
    },

    async importGridRegistry(registry) {
      const counts = await storeGridRegistry(knex, registry);
      places = null;
      return counts;
    },

    async exclusive(name, work) {
      // The embedded store is one process by definition, and its single connection cannot be held by a lock.
      if (db.kind === 'pglite') {
        await work();
        return true;
      }
      const key = createHash('sha256').update(`liandong:${name}`).digest().readBigInt64BE(0).toString();
      return knex.transaction(async (trx) => {
        const [row] = ((await trx.raw('select pg_try_advisory_xact_lock(?::bigint) as got', [key])) as { rows: Row[] }).rows;
        if (row?.got !== true) return false;
        await work();
        return true;
      });
    },

    async deadLetters(filter) {
      const q = knex('dead_letter as d').join('department as dep', 'dep.id', 'd.department_id')
        .select('d.*', 'dep.name as department').orderBy('d.id').limit(filter.limit ?? 1000);
      if (filter.department) q.where('dep.name', filter.department);
      if (!filter.includeResolved) q.whereNull('d.resolved_at');
      const rows = (await q) as Row[];
      return rows.map((r) => ({
        id: String(r.id), department: String(r.department), stream: String(r.stream), sourceId: r.source_id === null ? null : String(r.source_id),
        stage: String(r.stage), reason: String(r.reason), raw: String(r.raw), attempts: Number(r.attempts),
        firstSeenAt: new Date(r.first_seen_at as string), lastSeenAt: new Date(r.last_seen_at as string),
        resolvedAt: r.resolved_at ? new Date(r.resolved_at as string) : null,
      }));
    },

    async resolveDeadLetters(ids) {
      if (ids.length === 0) return;
      await knex.transaction(async (trx) => {
        const rows = (await trx('dead_letter').whereIn('id', ids).whereNull('resolved_at')
          .update({ resolved_at: new Date() }).returning('department_id')) as Row[];
        for (const department of new Set(rows.map((r) => String(r.department_id)))) {
          await trx('connector_state').where('department_id', department).update({
            dead_letter_count: trx('dead_letter').where('department_id', department).whereNull('resolved_at').count('*'),
          });
        }
      });
    },
  };
}
