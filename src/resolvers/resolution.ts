import type { Resolvers, ResolvableType } from '../generated/graphql.js';
import type { DataLayer } from '../store/dataLayer.js';
import { SafeError } from '../errors.js';
import { required, tagNode, pageFields } from './base.js';
import { fromGlobalId, globalIdField, idOf, type NodeType } from './globalId.js';

type ResolvableEntity = 'person' | 'enterprise' | 'building';
type EntityRefModel = { type: ResolvableEntity; id: string };

const NODE_OF: Record<ResolvableEntity, NodeType> = { person: 'Person', enterprise: 'Enterprise', building: 'Building' };
const entityOf = (t: ResolvableType): ResolvableEntity => t.toLowerCase() as ResolvableEntity;

/** A Person, Enterprise or Building global id: its type and database id. */
function resolvable(globalId: string): { type: ResolvableEntity; id: string } {
  const { type, id } = fromGlobalId(globalId);
  const entry = (Object.entries(NODE_OF) as Array<[ResolvableEntity, NodeType]>).find(([, node]) => node === type);
  if (!entry) throw new SafeError('BAD_USER_INPUT', `Expected the id of a Person, Enterprise or Building, got the id of a ${type}.`);
  return { type: entry[0], id };
}

/** An entity through the data layer (scope, masking, audit), tagged for Node. */
async function load(data: DataLayer, ref: EntityRefModel | null) {
  if (ref === null) return null;
  switch (ref.type) {
    case 'person': return tagNode('Person', await data.people.person(ref.id));
    case 'enterprise': return tagNode('Enterprise', await data.enterprises.enterprise(ref.id));
    case 'building': return tagNode('Building', await data.places.building(ref.id));
  }
}

/** Review and correction of entity resolution, and resolvePerson: decode ids, call the data layer. */
export const resolutionResolvers: Resolvers = {
  Query: {
    matchReviewQueue: (_, { entityType, first, after }, { data }) => data.resolution.reviewQueue(entityOf(entityType ?? 'PERSON'), { first, after }),
    resolvePerson: (_, { input, first }, { data }) => data.resolution.resolvePerson(input, first ?? 5),
  },
  Mutation: {
    confirmMatch: (_, { candidateId, note }, { data }) => data.resolution.confirm(idOf('MatchCandidate', candidateId), note ?? null),
    rejectMatch: (_, { candidateId, note }, { data }) => data.resolution.reject(idOf('MatchCandidate', candidateId), note ?? null),
    mergeEntities: (_, { survivor, merged, note }, { data }) => {
      const s = resolvable(survivor);
      const m = resolvable(merged);
      if (s.type !== m.type) throw new SafeError('BAD_USER_INPUT', `Only entities of one type merge: a ${NODE_OF[s.type]} and a ${NODE_OF[m.type]} do not.`);
      return data.resolution.merge(s.type, s.id, m.id, note ?? null);
    },
    splitEntity: (_, { id, records, note }, { data }) => {
      const e = resolvable(id);
      return data.resolution.split(e.type, e.id, records.map((r) => idOf('SourceRecord', r)), note ?? null);
    },
  },
  MatchCandidate: {
    id: globalIdField('MatchCandidate'),
    record: (c, _, { data }) => required(`match candidate ${c.id} record`, data.resolution.candidateRecord(c)),
    role: async (c, _, { data }) => (await data.resolution.candidateRecord(c))?.role ?? 'SUBJECT',
    candidate: (c, _, { data }) => load(data, { type: c.entityType, id: c.candidateId }),
  },
  MatchDecisionPayload: {
    entity: (p, _, { data }) => load(data, p.entity),
    created: (p, _, { data }) => load(data, p.created),
  },
  MatchCandidateConnection: { ...pageFields, totalCount: (c) => c.totalCount() },
  SourceRecord: {
    link: (r) => r.link,
  },
};
