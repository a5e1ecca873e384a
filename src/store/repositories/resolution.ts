import type { StoreContext } from './context.js';
import type { PeopleRepository } from './people.js';
import type { DepartmentsRepository } from './departments.js';
import type { Connection, PageArgs } from '../pagination.js';
import { pageSize } from '../pagination.js';
import { rowsOf, type Row } from '../loaders.js';
import { evidenceOf, type LinkEvidenceModel, type PersonModel } from '../models.js';
import { SafeError } from '../../errors.js';
import type { EventBus } from '../../events/bus.js';
import type { Logger } from 'pino';
import {
  confirmMatch, mergeEntities, rejectMatch, splitEntity, type DecisionActor, type DecisionResult, type ResolutionServices, type ResolvableEntity,
} from '../../resolution/decisions.js';
import { personEvidence } from '../../resolution/person.js';

export type { ResolvableEntity } from '../../resolution/decisions.js';

export interface MatchCandidateModel {
  id: string;
  entityType: ResolvableEntity;
  recordId: string;
  mentionIndex: number | null;
  candidateId: string;
  score: number;
  evidence: LinkEvidenceModel[];
  status: 'PENDING' | 'CONFIRMED' | 'REJECTED' | 'SUPERSEDED';
  createdAt: Date;
}
export type MatchCandidateConnectionModel = Connection<MatchCandidateModel>;

/** An entity named by type and id; the resolver loads it through the data layer (policy applies). */
export interface EntityRefModel {
  type: ResolvableEntity;
  id: string;
}

export interface MatchDecisionPayloadModel {
  candidate: MatchCandidateModel | null;
  entity: EntityRefModel | null;
  created: EntityRefModel | null;
}

export interface PersonCandidateModel {
  person: PersonModel;
  score: number;
  evidence: LinkEvidenceModel[];
}

export interface ResolvePersonInput {
  name?: string | null;
  idNumber?: string | null;
  birthDate?: string | null;
  phone?: string | null;
  address?: string | null;
}

const candidateFromRow = (r: Row): MatchCandidateModel => ({
  id: String(r.id), entityType: String(r.entity_type) as ResolvableEntity, recordId: String(r.source_record_id),
  mentionIndex: r.mention_index === null || r.mention_index === undefined ? null : Number(r.mention_index),
  candidateId: String(r.candidate_id), score: Number(r.score), evidence: evidenceOf(r.evidence),
  status: String(r.status).toUpperCase() as MatchCandidateModel['status'], createdAt: new Date(r.created_at as string),
});

/** The queue's position: the last candidate's score and id (best score first, then oldest). */
const encodeQueueCursor = (c: MatchCandidateModel) => Buffer.from(`q:${c.score}:${c.id}`, 'utf8').toString('base64url');
function decodeQueueCursor(cursor: string): { score: number; id: string } {
  const m = /^q:([^:]+):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const score = m ? Number(m[1]) : NaN;
  if (!m || !Number.isFinite(score)) throw new SafeError('BAD_USER_INPUT', `Invalid cursor "${cursor}": pass a cursor this API returned.`);
  return { score, id: m[2] as string };
}

export interface ResolutionRuntime {
  services: ResolutionServices;
  bus: EventBus;
  log?: Logger;
}

/**
 * Entity resolution for one request: the review queue and the corrections (district
 * administrators and data stewards, decided by the policy), and resolvePerson (whoever may read
 * people). Writes are src/resolution/decisions.ts's; the people they touch are noted for the
 * audit trail, and their change events announced on the bus.
 */
export function createResolutionRepository(
  { knex, table, policy, reads }: StoreContext, runtime: ResolutionRuntime,
  repos: { people: PeopleRepository; departments: DepartmentsRepository; forget: () => void },
) {
  const actor = (): DecisionActor => {
    policy.assertCanCorrectResolution();
    const v = policy.viewer;
    if (!v.authenticated) throw new SafeError('UNAUTHENTICATED', 'This needs a Bearer token: mint one with `npx liandong token --role ROLE`.');
    return { name: v.name ?? v.subject, role: v.role };
  };

  const candidateById = async (id: string) => {
    const [row] = await rowsOf(table('match_candidate').where('id', id));
    return row ? candidateFromRow(row) : null;
  };

  /** After a decision: the request reads the store afresh, the people touched are audited, subscribers hear of it. */
  const settle = async (result: DecisionResult) => {
    repos.forget();
    for (const id of result.people) reads.person(id);
    if (result.lastChangeId !== null) {
      await runtime.bus.publish({ topic: 'entity', position: result.lastChangeId })
        .catch((err: unknown) => runtime.log?.warn({ err: (err as Error).message }, 'resolution: could not publish the entity notice'));
    }
  };

  return {
    async candidate(id: string) {
      policy.assertCanCorrectResolution();
      return candidateById(id);
    },

    async reviewQueue(entityType: ResolvableEntity, page: PageArgs): Promise<MatchCandidateConnectionModel> {
      policy.assertCanCorrectResolution();
      const size = pageSize(page.first);
      const after = page.after ? decodeQueueCursor(page.after) : null;
      const base = () => table('match_candidate').where({ entity_type: entityType, status: 'pending' });
      let count: Promise<number> | undefined;
      const totalCount = () => (count ??= base().count({ n: '*' }).first().then((r: Row | undefined) => Number(r?.n ?? 0)));
      const q = base().select('*').orderBy([{ column: 'score', order: 'desc' }, { column: 'id', order: 'asc' }]).limit(size + 1);
      if (after) q.whereRaw('(score < ?::double precision or (score = ?::double precision and id > ?::bigint))', [after.score, after.score, after.id]);
      const rows = size === 0 ? [] : (await rowsOf(q)).map(candidateFromRow);
      const edges = rows.slice(0, size).map((node) => ({ cursor: encodeQueueCursor(node), node }));
      return {
        edges,
        pageInfo: { hasNextPage: rows.length > size, hasPreviousPage: after !== null, startCursor: edges[0]?.cursor ?? null, endCursor: edges[edges.length - 1]?.cursor ?? null },
        totalCount,
      };
    },

    /** The record slot a candidate is about, as that slot (a mention's role, facts and link). */
    candidateRecord(c: MatchCandidateModel) {
      return repos.departments.recordSlot(c.recordId, c.mentionIndex);
    },

    async confirm(candidateId: string, note: string | null): Promise<MatchDecisionPayloadModel> {
      const result = await confirmMatch(knex, runtime.services, actor(), candidateId, note);
      await settle(result);
      return { candidate: await candidateById(candidateId), entity: { type: result.entityType, id: result.entityId }, created: null };
    },

    async reject(candidateId: string, note: string | null): Promise<MatchDecisionPayloadModel> {
      const result = await rejectMatch(knex, actor(), candidateId, note);
      await settle(result);
      return { candidate: await candidateById(candidateId), entity: { type: result.entityType, id: result.entityId }, created: null };
    },

    async merge(type: ResolvableEntity, survivorId: string, mergedId: string, note: string | null): Promise<MatchDecisionPayloadModel> {
      const result = await mergeEntities(knex, runtime.services, actor(), type, survivorId, mergedId, note);
      await settle(result);
      return { candidate: null, entity: { type, id: result.entityId }, created: null };
    },

    async split(type: ResolvableEntity, entityId: string, recordIds: string[], note: string | null): Promise<MatchDecisionPayloadModel> {
      const result = await splitEntity(knex, runtime.services, actor(), type, entityId, recordIds, note);
      await settle(result);
      return { candidate: null, entity: { type, id: result.entityId }, created: result.otherId === null ? null : { type, id: result.otherId } };
    },

    /**
     * Who the description may be, best first: scored as a record would be, then each person
     * through the people repository (scope, masking, audit), so anyone out of scope is left out.
     */
    async resolvePerson(input: ResolvePersonInput, limit: number): Promise<PersonCandidateModel[]> {
      policy.assertCanRead('person');
      const given = (v: string | null | undefined) => (v === null || v === undefined || v.trim() === '' ? undefined : v.trim());
      const name = given(input.name);
      const idNumber = given(input.idNumber);
      const birthDate = given(input.birthDate);
      const phone = given(input.phone);
      const address = given(input.address);
      if (!name && !idNumber && !birthDate && !phone && !address) {
        throw new SafeError('BAD_USER_INPUT', 'Describe the person: give at least one of name, idNumber, birthDate, phone, address.');
      }
      if (!Number.isInteger(limit) || limit < 1 || limit > 20) throw new SafeError('BAD_USER_INPUT', `first must be between 1 and 20, got ${limit}.`);
      const { resolver } = runtime.services;
      const places = await runtime.services.places();
      await resolver.load(knex);
      const evidence = personEvidence(idNumber ?? null, {
        ...(name ? { name } : {}), ...(birthDate ? { birthDate } : {}), ...(phone ? { phone } : {}),
      }, places.parse(address));
      // Scored beyond the limit: some may be outside the viewer's scope.
      const scored = await resolver.people.candidates(knex, evidence, limit * 4);
      const out: PersonCandidateModel[] = [];
      for (const c of scored) {
        if (out.length >= limit) break;
        const person = await repos.people.person(c.entityId);
        if (person && !out.some((o) => o.person.id === person.id)) out.push({ person, score: c.probability, evidence: c.evidence });
      }
      return out;
    },
  };
}
export type ResolutionRepository = ReturnType<typeof createResolutionRepository>;
