import type {
  AreaLevel, BuildingUse, CaseChannel, CaseLevel, CaseStatus, CaseUrgency, ConnectorHealth, DispatchRole,
  DispatchStatus, EnterpriseStatus, FeedbackSatisfaction, GridMemberRole, HouseholdRelation, Occupancy, PersonTag, ResidenceType, Sex,
} from '../generated/graphql.js';
import { earliestOwedDeadline, type CaseStatus as DomainCaseStatus } from '../domain/caseWorkflow.js';
import type { Connection } from './pagination.js';
import type { Highlight, MatchReason, SearchFacets, SearchType } from './searchPort.js';

/**
 * What the data layer hands to resolvers: one model per canonical table, camelCase, enums in
 * their GraphQL spelling, relations as ids for the loaders to follow. Rows are stored with
 * lower-case enum values; `fromRow` functions are the one place that converts.
 */
type Row = Record<string, unknown>;

const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string | Date));
/** Stored enum values are the GraphQL ones in lower case; the column's check or writer guarantees membership. */
function enumOf<T extends string>(v: unknown): T {
  return String(v).toUpperCase() as T;
}
function enumOrNull<T extends string>(v: unknown): T | null {
  return v === null || v === undefined ? null : enumOf<T>(v);
}

export interface AreaModel { id: string; code: string; name: string; level: AreaLevel; kind: string | null; parentId: string | null }
export const areaFromRow = (r: Row): AreaModel => ({
  id: str(r.id), code: str(r.code), name: str(r.name), level: enumOf(r.level),
  kind: r.kind ? str(r.kind).toUpperCase() : null, parentId: strOrNull(r.parent_id),
});

export interface AreaIds { districtId: string | null; streetId: string | null; communityId: string | null }
const areaIds = (r: Row): AreaIds => ({
  districtId: strOrNull(r.district_id), streetId: strOrNull(r.street_id), communityId: strOrNull(r.community_id),
});

export interface GeoPolygonModel { type: 'Polygon'; coordinates: number[][][] }
export interface GridModel { id: string; code: string; name: string; districtId: string; streetId: string; communityId: string; boundary: GeoPolygonModel }
export const gridFromRow = (r: Row): GridModel => ({
  id: str(r.id), code: str(r.code), name: str(r.name), districtId: str(r.district_id), streetId: str(r.street_id),
  communityId: str(r.community_id), boundary: r.boundary as GeoPolygonModel,
});

export interface GridMemberModel { id: string; gridId: string; name: string; role: GridMemberRole; phone: string | null }
export const gridMemberFromRow = (r: Row): GridMemberModel => ({
  id: str(r.id), gridId: str(r.grid_id), name: str(r.name), role: enumOf(r.role), phone: strOrNull(r.phone),
});

export interface AddressModel extends AreaIds {
  id: string; estate: string | null; buildingNo: string | null; unit: string | null; room: string | null; text: string; normalized: string;
}
export const addressFromRow = (r: Row): AddressModel => ({
  id: str(r.id), ...areaIds(r), estate: strOrNull(r.estate), buildingNo: strOrNull(r.building_no), unit: strOrNull(r.unit),
  room: strOrNull(r.room), text: str(r.text), normalized: str(r.normalized),
});

export interface GeoPointModel { lat: number; lng: number }
const point = (r: Row): GeoPointModel | null =>
  r.lat === null || r.lat === undefined || r.lng === null || r.lng === undefined ? null : { lat: Number(r.lat), lng: Number(r.lng) };

export interface BuildingModel extends AreaIds {
  id: string; name: string; addressId: string; gridId: string | null; use: BuildingUse; floors: number | null;
  builtYear: number | null; location: GeoPointModel | null;
}
export const buildingFromRow = (r: Row): BuildingModel => ({
  id: str(r.id), name: str(r.name), addressId: str(r.address_id), ...areaIds(r), gridId: strOrNull(r.grid_id),
  use: enumOf(r.use), floors: numOrNull(r.floors), builtYear: numOrNull(r.built_year), location: point(r),
});

/**
 * Where a row sits for the policy's row scope. Households and dwellings have no area columns of
 * their own: their loaders join the building and select its grid_id and street_id.
 */
export interface ScopeModel { gridId: string | null; streetId: string | null }
const scopeOf = (r: Row): ScopeModel => ({ gridId: strOrNull(r.grid_id), streetId: strOrNull(r.street_id) });

export interface DwellingModel extends ScopeModel {
  id: string; buildingId: string; addressId: string; unit: string | null; room: string | null; floorArea: number | null; occupancy: Occupancy;
}
export const dwellingFromRow = (r: Row): DwellingModel => ({
  id: str(r.id), buildingId: str(r.building_id), addressId: str(r.address_id), unit: strOrNull(r.unit), room: strOrNull(r.room),
  floorArea: numOrNull(r.floor_area), occupancy: enumOf(r.occupancy), ...scopeOf(r),
});

export interface HouseholdModel extends ScopeModel {
  id: string; number: string; dwellingId: string | null; headPersonId: string | null; residenceType: ResidenceType;
}
export const householdFromRow = (r: Row): HouseholdModel => ({
  id: str(r.id), number: str(r.number), dwellingId: strOrNull(r.dwelling_id), headPersonId: strOrNull(r.head_person_id),
  residenceType: enumOf(r.residence_type), ...scopeOf(r),
});

export interface PersonModel extends AreaIds {
  id: string; idNumber: string | null; name: string; sex: Sex | null; birthDate: string | null; phone: string | null;
  residenceType: ResidenceType; householdId: string | null; relationToHead: HouseholdRelation | null;
  dwellingId: string | null; buildingId: string | null; gridId: string | null;
}
export const personFromRow = (r: Row): PersonModel => ({
  id: str(r.id), idNumber: strOrNull(r.id_number), name: str(r.name), sex: enumOrNull(r.sex), birthDate: strOrNull(r.birth_date),
  phone: strOrNull(r.phone), residenceType: enumOf(r.residence_type), householdId: strOrNull(r.household_id),
  relationToHead: enumOrNull(r.relation_to_head), dwellingId: strOrNull(r.dwelling_id), buildingId: strOrNull(r.building_id),
  ...areaIds(r), gridId: strOrNull(r.grid_id),
});
export const personTagOf = (r: Row): PersonTag => enumOf(r.tag);

export interface EnterpriseModel extends AreaIds {
  id: string; creditCode: string | null; name: string; legalRepresentative: string | null; industry: string | null;
  status: EnterpriseStatus; registeredOn: string | null; addressId: string | null; buildingId: string | null; gridId: string | null;
}
export const enterpriseFromRow = (r: Row): EnterpriseModel => ({
  id: str(r.id), creditCode: strOrNull(r.credit_code), name: str(r.name), legalRepresentative: strOrNull(r.legal_representative),
  industry: strOrNull(r.industry), status: enumOf(r.status), registeredOn: strOrNull(r.registered_on),
  addressId: strOrNull(r.address_id), buildingId: strOrNull(r.building_id), ...areaIds(r), gridId: strOrNull(r.grid_id),
});

export interface DepartmentModel { id: string; name: string; displayName: string }
export const departmentFromRow = (r: Row): DepartmentModel => ({ id: str(r.id), name: str(r.name), displayName: str(r.display_name) });

export interface SyncRunModel {
  trigger: string; status: string; startedAt: Date; finishedAt: Date | null; read: number; stored: number; changed: number;
  deadLettered: number; error: string | null;
}
export const syncRunFromRow = (r: Row): SyncRunModel => ({
  trigger: str(r.trigger).toUpperCase(), status: str(r.status).toUpperCase(), startedAt: new Date(r.started_at as string | Date),
  finishedAt: dateOrNull(r.finished_at), read: Number(r.read), stored: Number(r.stored), changed: Number(r.changed),
  deadLettered: Number(r.dead_lettered), error: strOrNull(r.error),
});

export interface StreamStatusModel { name: string; cursor: string | null; updatedAt: Date | null; lastRun: SyncRunModel | null }

export interface ConnectorStatusModel {
  status: ConnectorHealth; lastSyncAt: Date | null; lastAttemptAt: Date | null; lastError: string | null; version: string | null;
  cursor: string | null; recordCount: number; unlinkedCount: number; deadLetterCount: number; streams: StreamStatusModel[];
}


export interface SourceRecordModel {
  id: string; departmentId: string; departmentName: string; stream: string; sourceId: string; fetchedAt: Date; payloadHash: string;
  entityType: string | null; entityId: string | null; sourceUpdatedAt: Date | null;
  /** SUBJECT, or the role the record names the entity in when reached through a link. */
  role: string;
  linked: boolean;
  /** Why the record (for a record reached through a link: the mention) names its entity; null while unlinked. */
  link: LinkModel | null;
  /** The mention's place in the record when reached through a link; null for the subject. */
  mentionIndex: number | null;
  /** What the record states (for a link: about the linked entity), unmasked; the repository masks before release. */
  facts: Record<string, unknown>;
}

export type LinkMethodModel = 'KEY' | 'RECOVERED_KEY' | 'PROBABILISTIC' | 'HUMAN' | 'CREATED';
export interface LinkEvidenceModel { field: string; agreement: string; weight: number }
export interface LinkModel { method: LinkMethodModel; score: number | null; evidence: LinkEvidenceModel[] }

/** Stored link_evidence (json: parsed by the driver, or text) as GraphQL's LinkEvidence list. */
export function evidenceOf(value: unknown): LinkEvidenceModel[] {
  const list = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (!Array.isArray(list)) return [];
  return (list as Array<Record<string, unknown>>).map((e) => ({ field: str(e.field), agreement: str(e.agreement), weight: Number(e.weight ?? 0) }));
}

/**
 * A slot's link columns as a Link. Rows linked before resolution recorded its method (or by the
 * relink on a key) have no method: they linked on a key.
 */
export function linkOf(entityId: unknown, method: unknown, score: unknown, evidence: unknown): LinkModel | null {
  if (entityId === null || entityId === undefined) return null;
  return {
    method: (method === null || method === undefined ? 'KEY' : str(method).toUpperCase()) as LinkMethodModel,
    score: score === null || score === undefined ? null : Number(score),
    evidence: evidenceOf(evidence),
  };
}
export const sourceRecordFromRow = (r: Row): SourceRecordModel => ({
  id: str(r.id), departmentId: str(r.department_id), departmentName: str(r.department_name), stream: str(r.stream), sourceId: str(r.source_id),
  fetchedAt: new Date(r.fetched_at as string | Date), payloadHash: str(r.payload_hash),
  entityType: strOrNull(r.entity_type), entityId: strOrNull(r.entity_id), sourceUpdatedAt: dateOrNull(r.source_updated_at),
  role: r.link_role ? str(r.link_role).toUpperCase() : 'SUBJECT',
  linked: r.entity_id !== null && r.entity_id !== undefined,
  link: r.link_role
    ? linkOf(r.entity_id, r.mention_link_method, r.mention_link_score, r.mention_link_evidence)
    : linkOf(r.entity_id, r.link_method, r.link_score, r.link_evidence),
  mentionIndex: r.link_role && r.mention_index !== null && r.mention_index !== undefined ? Number(r.mention_index) : null,
  facts: (r.link_facts ?? r.facts ?? {}) as Record<string, unknown>,
});

export interface StatedValueModel { value: string | null; departments: string[]; records: SourceRecordModel[] }
export interface DisagreementModel { field: string; values: StatedValueModel[] }

export interface CaseSlaModel {
  dispatchDueAt: Date | null; arriveDueAt: Date | null; closeDueAt: Date | null; dueAt: Date | null;
  /** earliestOwedDeadline: the case is overdue once it has passed. */
  owedBy: Date | null;
}
export interface CaseFeedbackModel { satisfaction: FeedbackSatisfaction; note: string | null; recordedAt: Date }

export interface CaseModel extends AreaIds {
  id: string; number: string; title: string; description: string | null; category: string; urgency: CaseUrgency;
  status: CaseStatus; channel: CaseChannel; level: CaseLevel; reportedAt: Date; closedAt: Date | null;
  location: GeoPointModel | null; addressId: string | null; buildingId: string | null; gridId: string | null;
  /** Names of the departments the case is dispatched to; the policy needs them for department roles. */
  dispatchedTo: string[];
  supervised: boolean; escalatedAt: Date | null; dispatchedAt: Date | null; arrivedAt: Date | null;
  sla: CaseSlaModel; feedback: CaseFeedbackModel | null; photo: string | null;
}
const slaOf = (r: Row): CaseSlaModel => {
  const deadlines = { dispatchDueAt: dateOrNull(r.dispatch_due_at), arriveDueAt: dateOrNull(r.arrive_due_at), closeDueAt: dateOrNull(r.close_due_at) };
  const owedBy = earliestOwedDeadline({ status: str(r.status) as DomainCaseStatus, dispatchedAt: dateOrNull(r.dispatched_at), arrivedAt: dateOrNull(r.arrived_at), ...deadlines });
  return { ...deadlines, dueAt: dateOrNull(r.due_at), owedBy };
};
export const caseFromRow = (r: Row): CaseModel => ({
  id: str(r.id), number: str(r.number), title: str(r.title), description: strOrNull(r.description), category: str(r.category),
  urgency: enumOf(r.urgency), status: enumOf(r.status), channel: enumOf(r.channel), level: enumOf(r.level),
  reportedAt: new Date(r.reported_at as string | Date), closedAt: dateOrNull(r.closed_at), location: point(r),
  addressId: strOrNull(r.address_id), buildingId: strOrNull(r.building_id), ...areaIds(r), gridId: strOrNull(r.grid_id),
  dispatchedTo: Array.isArray(r.dispatched_to) ? (r.dispatched_to as unknown[]).map(String) : [],
  supervised: r.supervised === true, escalatedAt: dateOrNull(r.escalated_at), dispatchedAt: dateOrNull(r.dispatched_at),
  arrivedAt: dateOrNull(r.arrived_at),
  sla: slaOf(r),
  feedback: r.feedback_at === null || r.feedback_at === undefined ? null : {
    satisfaction: enumOf(r.feedback_satisfaction), note: strOrNull(r.feedback_note), recordedAt: new Date(r.feedback_at as string | Date),
  },
  photo: strOrNull(r.photo),
});

export interface DispatchModel {
  id: string; caseId: string; departmentId: string; role: DispatchRole; status: DispatchStatus; dispatchedAt: Date;
  acceptedAt: Date | null; arrivedAt: Date | null; completedAt: Date | null; result: string | null;
}
export const dispatchFromRow = (r: Row): DispatchModel => ({
  id: str(r.id), caseId: str(r.case_id), departmentId: str(r.department_id), role: enumOf(r.role), status: enumOf(r.status),
  dispatchedAt: new Date(r.dispatched_at as string | Date), acceptedAt: dateOrNull(r.accepted_at), arrivedAt: dateOrNull(r.arrived_at),
  completedAt: dateOrNull(r.completed_at), result: strOrNull(r.result),
});

export interface CaseEventModel {
  id: string; caseId: string; type: string; actor: string; actorRole: string | null; at: Date; note: string | null;
  fromStatus: CaseStatus | null; toStatus: CaseStatus | null; level: CaseLevel | null; dispatchId: string | null; departmentId: string | null;
  data: Record<string, unknown> | null;
}
export const caseEventFromRow = (r: Row): CaseEventModel => ({
  id: str(r.id), caseId: str(r.case_id), type: str(r.type).toUpperCase(), actor: str(r.actor), actorRole: strOrNull(r.actor_role),
  at: new Date(r.at as string | Date), note: strOrNull(r.note), fromStatus: enumOrNull(r.from_status), toStatus: enumOrNull(r.to_status),
  level: enumOrNull(r.level), dispatchId: strOrNull(r.dispatch_id), departmentId: strOrNull(r.department_id),
  data: (r.data ?? null) as Record<string, unknown> | null,
});

/** One row of a case report: by street (streetId set) or by category (title from the taxonomy). */
export interface CaseCountModel { key: string; streetId: string | null; title: string | null; reported: number; closed: number }

export type PersonConnectionModel = Connection<PersonModel>;
export type GridConnectionModel = Connection<GridModel>;
export type BuildingConnectionModel = Connection<BuildingModel>;
export type EnterpriseConnectionModel = Connection<EnterpriseModel>;
export type CaseConnectionModel = Connection<CaseModel>;

/** Search hits (src/store/repositories/search.ts). */
/** Marks a hit's entity with its type, so the GraphQL union can tell them apart. */
export const HIT_TYPE = Symbol('hitType');
export type SearchNodeModel = (PersonModel | BuildingModel | EnterpriseModel | CaseModel) & { readonly [HIT_TYPE]: SearchType };

export interface SearchEdgeModel {
  cursor: string;
  node: SearchNodeModel;
  score: number;
  reasons: MatchReason[];
  highlights: Highlight[];
}

/** The backend's facets as they are; the resolvers name the areas and grids. */
export type SearchFacetsModel = SearchFacets;

export interface SearchConnectionModel {
  edges: SearchEdgeModel[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
  facets: SearchFacetsModel | null;
}
