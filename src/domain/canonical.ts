/**
 * The canonical form: what every department's record becomes, whoever brings it.
 *
 * Connectors produce it (their `map` returns a MappedRecord); the store's writer, entity
 * resolution and search consume it. It lives in the domain, not in the connector SDK, so the store
 * never depends on the SDK; the SDK re-exports it for integrators.
 */

/**
 * A stream's saved position. Opaque to the runner and the store, which saves it with the batch: whatever JSON the connector needs to resume
 * (a page token, an updated-since high-water mark, the last dump file processed).
 */
export type Cursor = Readonly<Record<string, unknown>>;

/**
 * One source record, mapped. `subject` is what the record is about; `mentions` are the other
 * entities it names (a dwelling's owner and tenants, a judgment's parties, an enterprise's legal
 * representative). The runner links each reference to the canonical entity through its key
 * (resident ID number, unified social credit code, normalised address) when the key is valid,
 * and keeps the record unlinked but visible when it is not.
 */
export interface MappedRecord {
  /** The source's own id for the record; with (department, stream) it is the record's identity. */
  sourceId: string;
  /** When the source last changed the record (ISO 8601 with offset), if it says. */
  updatedAt?: string | null;
  subject: EntityRef | null;
  mentions?: Mention[];
}

export interface Mention {
  /** owner, tenant, legal_representative, plaintiff, defendant, guardian, reporter, ... */
  role: string;
  ref: EntityRef;
}

/**
 * How much a department's word counts for the entity:
 * - 'master': the register of record for this kind of entity; creates it and its values win.
 * - 'registry': a register that may create the entity when the master has not (the police's
 *   residence registration of a floating resident), never overwriting the master's values.
 * - 'reference': only links to an entity that exists; never creates one.
 */
export type Authority = 'master' | 'registry' | 'reference';

export type EntityRef = PersonRef | BuildingRef | DwellingRef | EnterpriseRef | RecordRef;

export interface PersonRef {
  kind: 'person';
  authority: Authority;
  /** As the source wrote it; the runner validates it (GB 11643) before linking on it. */
  idNumber: string | null;
  facts: PersonFacts;
}

export type HouseholdRelation = 'head' | 'spouse' | 'child' | 'parent' | 'grandchild' | 'other';
export type PersonTag = 'elderly_living_alone' | 'disabled' | 'hardship' | 'left_behind_child' | 'community_correction';

/** What a record states about a person, in canonical names and values. Absent: not stated. */
export interface PersonFacts {
  name?: string;
  sex?: 'male' | 'female';
  /** YYYY-MM-DD */
  birthDate?: string;
  phone?: string | null;
  residenceType?: 'hukou' | 'floating';
  /** Where the person lives now, as the source wrote it. */
  address?: string | null;
  /** 户号 */
  householdNumber?: string;
  relationToHead?: HouseholdRelation;
  tags?: PersonTag[];
}

export interface BuildingRef {
  kind: 'building';
  authority: Authority;
  /** The building's address as the source wrote it (any style; the runner normalises). */
  address: string;
  facts: BuildingFacts;
}

export interface BuildingFacts {
  name?: string;
  use?: 'residential' | 'commercial' | 'mixed' | 'industrial' | 'public';
  floors?: number;
  builtYear?: number;
  lat?: number;
  lng?: number;
  /** The door plate on the road, e.g. 古墩路1288号; with `community` and `name` it teaches the address normaliser road-style addresses. */
  roadAddress?: string;
  /** The community (社区) or village (村) the register places the building in. */
  community?: string;
}

export interface DwellingRef {
  kind: 'dwelling';
  authority: Authority;
  address: string;
  /** The building it is in, as another record of the same department (stream + sourceId). */
  building?: { stream: string; sourceId: string };
  facts: DwellingFacts;
}

export interface DwellingFacts {
  unit?: string | null;
  room?: string | null;
  floorArea?: number;
  occupancy?: 'owner_occupied' | 'rented' | 'vacant';
}

export interface EnterpriseRef {
  kind: 'enterprise';
  authority: Authority;
  /** As the source wrote it; the runner validates it (GB 32100) before linking on it. */
  creditCode: string | null;
  facts: EnterpriseFacts;
}

export interface EnterpriseFacts {
  name?: string;
  legalRepresentative?: string;
  industry?: string;
  status?: 'active' | 'suspended' | 'deregistered';
  /** YYYY-MM-DD */
  registeredOn?: string;
  address?: string | null;
  phone?: string | null;
}

/** The same entity as another record of this department (a fire hazard is about what its inspection was about). */
export interface RecordRef {
  kind: 'record';
  stream: string;
  sourceId: string;
}

// ---------------------------------------------------------------------------------------------
// The grid registry: the command center's own master data (districts, streets, communities,
// grids and their staff), imported whole and upserted by code, not a department's records.

export interface RegistryArea {
  level: 'district' | 'street' | 'community';
  kind: string | null;
  code: string;
  name: string;
  parentCode: string | null;
}

export interface RegistryGrid {
  code: string;
  name: string;
  communityCode: string;
  boundary: unknown;
}

export interface RegistryMember {
  employeeNo: string;
  gridCode: string;
  role: string;
  name: string;
  phone: string | null;
}

export interface GridRegistry {
  areas: RegistryArea[];
  grids: RegistryGrid[];
  members: RegistryMember[];
}
