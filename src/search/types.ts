/**
 * The search backend contract: what the hub asks (a query, the viewer's scope, filters, types,
 * a page) and what it gets back (typed hits with a score, highlights and the reasons they
 * matched, facets, a cursor). Two implementations: PostgreSQL (src/search/postgres.ts, the
 * embedded default) and Elasticsearch (src/search/elasticsearch.ts). docs/search.md explains the
 * design.
 */
import type { SearchContext } from './context.js';

/** The kinds of entity the index holds. `building` is the hit for an address. */
export const SEARCH_TYPES = ['person', 'building', 'enterprise', 'case'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

/**
 * Why a hit matched (the strongest first in `SearchHit.reasons`).
 * - name: the whole name (person, enterprise) or, for cases, a person named in the case
 * - name_partial: part of a name (春雷, 正阳贸易)
 * - pinyin: full pinyin of the name, or a Chinese query that sounds the same (homophone)
 * - initials: pinyin initials (wcl)
 * - typo: one character or letter off (name or pinyin)
 * - id_number / id_suffix: the whole resident ID, or its last 4-6 characters
 * - phone: the whole phone number or its last 4 digits
 * - address: the normalised place (building, or unit and room) or part of the address text
 * - credit_code, legal_representative, case_number: enterprise and case identifiers
 * - text: words of the text (case title and description, industry, address)
 */
export const MATCH_REASONS = [
  'id_number', 'credit_code', 'case_number', 'phone', 'name', 'address', 'pinyin', 'id_suffix', 'legal_representative',
  'name_partial', 'initials', 'typo', 'text',
] as const;
export type MatchReason = (typeof MATCH_REASONS)[number];

/**
 * Rows the viewer may see: the whole district, or those in any of the listed grids or streets
 * (database ids as strings). An object with no ids sees nothing.
 */
export type SearchScope = 'district' | { gridIds?: readonly string[]; streetIds?: readonly string[] };

export interface SearchFilter {
  /** Area ids (database ids as strings); each list is an OR, lists combine with AND. */
  districtIds?: readonly string[];
  streetIds?: readonly string[];
  communityIds?: readonly string[];
  gridIds?: readonly string[];
  /** Person tags (elderly_living_alone, ...): hits carrying any of them. */
  tags?: readonly string[];
  /** Department names (population, fire, ...): entities some record of one of them is about; cases dispatched to one. */
  departments?: readonly string[];
  /** Cases only: status and category codes. */
  caseStatuses?: readonly string[];
  caseCategories?: readonly string[];
  /** Hits with a location within `radiusMeters` of the point (cases, buildings, and what stands in them). */
  near?: { lat: number; lng: number; radiusMeters: number };
}

export interface SearchRequest {
  /** What the case worker typed. Empty: every entity the scope and filters allow. */
  query: string;
  scope: SearchScope;
  /** Default: every type. */
  types?: readonly SearchType[];
  filter?: SearchFilter;
  /** Page size, 0-100 (default 20). */
  first?: number;
  /** `endCursor` of the previous page, for the same query, scope, types and filter. */
  after?: string | null;
  /** Department roles see only the cases dispatched to their department (policy: casesOfDepartment). */
  casesOfDepartment?: string | null;
  /** Roles that may not see special-group tags: no tag facet, no tag filter. Default true. */
  tagsVisible?: boolean;
  /**
   * Departments whose records the role may see (policy: records); the department facet lists only
   * these and filtering by another is refused, so a facet never tells who has, say, court records.
   * Default: all.
   */
  departmentsVisible?: readonly string[] | 'all';
  /** Skip the facet aggregation (cheaper). Default true. */
  facets?: boolean;
}

export interface Highlight {
  /** name: the hit's own name; people: other people named (legal representative, a case's people); address; text: case text, industry. */
  field: 'name' | 'people' | 'address' | 'text';
  /** The field's text with the matching parts in <em></em> (everything else HTML-escaped). */
  fragment: string;
}

export interface SearchHit {
  type: SearchType;
  /** The entity's database id (the hub turns it into a global id). */
  id: string;
  score: number;
  /** Strongest first; never empty for a non-empty query. */
  reasons: MatchReason[];
  highlights: Highlight[];
  /** Display text the index holds (name or title, and a line under it), for logs and quick lists. */
  title: string;
  subtitle: string | null;
  cursor: string;
}

export interface FacetBucket {
  /** Area ids, type names, tag names, department names. */
  value: string;
  count: number;
}

export interface SearchFacets {
  district: FacetBucket[];
  street: FacetBucket[];
  grid: FacetBucket[];
  type: FacetBucket[];
  /** Empty when the request says tagsVisible: false. */
  tag: FacetBucket[];
  department: FacetBucket[];
}

export interface SearchResult {
  hits: SearchHit[];
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Over every hit of the query (not just this page); null when facets: false. */
  facets: SearchFacets | null;
}

/**
 * One document of the index, as the builder (src/search/documents.ts) makes it from canonical
 * rows. Every derived form (bigrams aside, which each engine makes itself) is computed here in
 * Node, once, so both backends index the same values.
 */
export interface SearchDocument {
  /** `${type}:${id}`, unique in the index. */
  key: string;
  type: SearchType;
  id: string;
  /** What a hit shows. */
  title: string;
  subtitle: string | null;
  districtId: string | null;
  streetId: string | null;
  communityId: string | null;
  gridId: string | null;
  tags: string[];
  departments: string[];
  /** The entity's own name: person name, enterprise name (exact, partial, typo). */
  name: string | null;
  /** Full pinyin of `name` (persons), the surname's reading first; readings after the first are `pinyinAlt`. */
  pinyin: string[];
  pinyinAlt: string[];
  initials: string[];
  /** Other people named on the entity: an enterprise's legal representative, a case's reporter and people. */
  otherNames: string[];
  otherPinyin: string[];
  otherInitials: string[];
  idNumber: string | null;
  /** Last 4, 5 and 6 characters of the ID number. */
  idSuffixes: string[];
  phones: string[];
  /** Last 4 digits of each phone. */
  phoneSuffixes: string[];
  creditCode: string | null;
  caseNumber: string | null;
  /** The canonical address text. */
  addressText: string | null;
  /** Normalised place keys (src/domain/address.ts): the dwelling or room, and the building. */
  dwellingKeys: string[];
  buildingKeys: string[];
  /** Free text: case title and description, enterprise industry, category. */
  body: string | null;
  category: string | null;
  status: string | null;
  location: { lat: number; lng: number } | null;
}

/** Where the outbox indexer is: the last change_event applied. */
export interface IndexerState {
  /**
   * The (tx, id) outbox position (`encodePosition` of src/events/outbox.ts, `tx:id`; `0` before
   * the first event) up to which every event has been applied.
   */
  position: string;
  /** The index generation the position belongs to; a rebuild starts a new one. */
  generation: string;
}

export interface BackendStatus {
  kind: 'postgres' | 'elasticsearch';
  /** The live index (ES: the index the alias points to; PG: the generation of search.doc). */
  generation: string | null;
  /** False when the live index was made by an older layout version: run a rebuild. */
  current: boolean;
  documents: number;
}

/** A new generation being filled by a rebuild; live searches use the old one until commit(). */
export interface RebuildTarget {
  readonly generation: string;
  index(docs: readonly SearchDocument[]): Promise<void>;
  /** Makes the new generation live (ES: alias swap; PG: rename in one transaction) with this indexer state. */
  commit(state: IndexerState): Promise<void>;
  /** Drops the new generation (on a failed rebuild). */
  abort(): Promise<void>;
}

export interface SearchBackend {
  readonly kind: 'postgres' | 'elasticsearch';
  /** Creates what is missing (schema, index, alias, state). Idempotent. */
  ensureSchema(): Promise<BackendStatus>;
  status(): Promise<BackendStatus>;
  /** Throws unless the engine answers (cheap: for readiness probes). */
  ping(): Promise<void>;
  search(request: SearchRequest): Promise<SearchResult>;
  /** Upserts documents into the live index (and, during a rebuild, only there: the rebuild replays). */
  index(docs: readonly SearchDocument[]): Promise<void>;
  /** Removes documents by key (`person:12`); unknown keys are ignored. */
  remove(keys: readonly string[]): Promise<void>;
  /** Makes what was written visible to search (ES refresh; a no-op on PostgreSQL). */
  refresh(): Promise<void>;
  readState(): Promise<IndexerState>;
  /**
   * Saves the indexer state if the stored one is still `expected` (same generation and
   * position): false when someone else moved it (another indexer, or a rebuild committed).
   */
  writeState(state: IndexerState, expected: IndexerState): Promise<boolean>;
  beginRebuild(): Promise<RebuildTarget>;
  /** The area tree and address normaliser queries are read with (reload it when new estates arrive). */
  setContext(context: SearchContext): void;
  close(): Promise<void>;
}
