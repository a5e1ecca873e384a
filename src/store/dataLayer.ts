import type { Knex } from 'knex';
import type { Viewer } from '../auth/viewer.js';
import { Policy } from './policy.js';
import { SafeError } from '../errors.js';
import { ReadLog } from './audit.js';
import { createPlacesRepository } from './repositories/places.js';
import { createPeopleRepository } from './repositories/people.js';
import { createEnterprisesRepository } from './repositories/enterprises.js';
import { createDepartmentsRepository } from './repositories/departments.js';
import { createDeadLettersRepository, type DeadLetterReplay } from './repositories/deadLetters.js';
import { createEventLogReader, type LogPosition } from './repositories/eventLog.js';
import { createCasesRepository } from './repositories/cases.js';
import { createAuditRepository } from './repositories/audit.js';
import { createSearchRepository } from './repositories/search.js';
import type { SearchPort } from './searchPort.js';
import { createCaseWritesRepository } from './repositories/caseWrites.js';
import { InProcessBus, type EventBus } from '../events/bus.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { createDashboardRepository } from './repositories/dashboard.js';
import { createResolutionRepository } from './repositories/resolution.js';
import { createResolutionServices, type ResolutionServices } from '../resolution/decisions.js';
import DataLoader from 'dataloader';
import { rowsOf } from './loaders.js';
import { coalescedReads } from './reads.js';

export interface DataLayerOptions {
  /** The purpose the client declared (`x-purpose`); personal data is refused without one. */
  purpose?: string | null;
  /** Epoch ms after which the data layer refuses to start more SQL (the request's time limit). */
  deadline?: number | null;
  /** Replaces the viewer's policy: only for measuring what the policy itself costs (bench/policyOverhead.ts). */
  policy?: Policy;
  /** The hub's search backend; absent: `search` answers SERVICE_UNAVAILABLE. */
  search?: SearchPort | null;
  /** Where committed case events are announced (the hub's bus); default: a bus nobody listens to. */
  bus?: EventBus;
  /** The time case commands, SLA deadlines and `overdue` use; tests pass a ManualClock. */
  clock?: Clock;
  /**
   * The hub's long-lived Resolver and places (review, correction, resolvePerson); absent: made
   * for this data layer alone, which loads the places again on first use (fine for tools and tests).
   */
  resolution?: ResolutionServices;
  /** Replays a department's dead letters through its connector; absent: replayDeadLetters answers SERVICE_UNAVAILABLE. */
  replayDeadLetters?: DeadLetterReplay | null;
}

/**
 * The data layer for one request (or one subscription event): repositories with fresh
 * DataLoaders, all bound to the viewer's policy. Never share one across requests: its loaders
 * cache, and its read log is that request's audit.
 */
export function createDataLayer(knex: Knex, viewer: Viewer, options: DataLayerOptions = {}) {
  const policy = options.policy ?? new Policy(viewer, options.purpose ?? null);
  const reads = new ReadLog();
  const deadline = options.deadline ?? null;
  const table = (name: string) => {
    if (deadline !== null && Date.now() > deadline) {
      throw new SafeError('TIME_LIMIT_EXCEEDED', 'Request limit: the operation ran past its time limit; ask for less, or page through it.');
    }
    return knex(name);
  };
  const shared = coalescedReads(knex);
  const read = (sql: string, keys: readonly string[]) => {
    if (deadline !== null && Date.now() > deadline) {
      throw new SafeError('TIME_LIMIT_EXCEEDED', 'Request limit: the operation ran past its time limit; ask for less, or page through it.');
    }
    return shared.rows(sql, keys);
  };
  // Merged-away ids (entity_alias), one statement per batch of misses; chains are followed.
  const aliases = new DataLoader<string, string | null>(async (keys) => {
    const out = new Map<string, string | null>();
    let pending = keys.map((k) => ({ key: k, at: k.slice(k.indexOf(':') + 1) }));
    for (let hop = 0; hop < 8 && pending.length > 0; hop++) {
      const rows = await rowsOf(table('entity_alias').whereIn(['entity_type', 'merged_id'], pending.map((p) => [p.key.slice(0, p.key.indexOf(':')), p.at]))
        .select('entity_type', 'merged_id', 'survivor_id'));
      const next = new Map(rows.map((r) => [`${String(r.entity_type)}:${String(r.merged_id)}`, String(r.survivor_id)]));
      pending = pending.flatMap((p) => {
        const to = next.get(`${p.key.slice(0, p.key.indexOf(':'))}:${p.at}`);
        if (to === undefined) return [];
        out.set(p.key, to);
        return [{ key: p.key, at: to }];
      });
    }
    return keys.map((k) => out.get(k) ?? null);
  });
  const survivor = (type: 'person' | 'building' | 'enterprise', id: string) => aliases.load(`${type}:${id}`);
  const ctx = { knex, policy, reads, table, read, survivor };
  const clock = options.clock ?? systemClock;
  const bus = options.bus ?? new InProcessBus();
  const places = createPlacesRepository(ctx);
  const people = createPeopleRepository(ctx, places);
  const enterprises = createEnterprisesRepository(ctx);
  const subjectVisible = async (subject: string, id: string): Promise<boolean> => {
    switch (subject) {
      case 'person': return (await people.person(id)) !== null;
      case 'building': return (await places.building(id)) !== null;
      case 'enterprise': return (await enterprises.enterprise(id)) !== null;
      default: return false;
    }
  };
  const cases = createCasesRepository(ctx, people, clock);
  const departments = createDepartmentsRepository(ctx, subjectVisible);
  const resolution = createResolutionRepository(ctx, { services: options.resolution ?? createResolutionServices(knex), bus }, {
    people, departments,
    forget: () => {
      aliases.clearAll();
      people.forget();
      places.forget();
      enterprises.forget();
      departments.forget();
    },
  });
  return {
    viewer,
    policy,
    reads,
    clock,
    places,
    people,
    enterprises,
    departments,
    deadLetters: createDeadLettersRepository(ctx, options.replayDeadLetters ?? null),
    resolution,
    cases,
    caseWrites: createCaseWritesRepository(ctx, { bus, clock }, cases),
    audit: createAuditRepository(ctx),
    search: createSearchRepository(ctx, options.search ?? null, {
      person: (id) => people.person(id),
      building: (id) => places.building(id),
      enterprise: (id) => enterprises.enterprise(id),
      case: (id) => cases.case(id),
    }),
    dashboard: createDashboardRepository(ctx),
    /** The case log's settled head, for a subscriber that has seen no event yet to resume from. */
    async caseLogHead(): Promise<LogPosition> {
      policy.assertCanRead('case');
      return createEventLogReader(knex).head('case');
    },
  };
}
export type DataLayer = ReturnType<typeof createDataLayer>;
