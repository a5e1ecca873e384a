/**
 * The search backend contract: what the hub asks (a query, the viewer's scope, filters, types,
 * a page) and what it gets back (typed hits with a score, highlights and the reasons they
 * matched, facets, a cursor). Two implementations: PostgreSQL (src/search/postgres.ts, the
 * embedded default) and Elasticsearch (src/search/elasticsearch.ts). docs/search.md explains the
 * design.
 */
import type { SearchPort, SearchType } from '../store/searchPort.js';
import type { SearchContext } from './context.js';

// The query side of the contract is the data layer's (src/store/searchPort.ts).
export * from '../store/searchPort.js';

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

export interface SearchBackend extends SearchPort {
  /** Creates what is missing (schema, index, alias, state). Idempotent. */
  ensureSchema(): Promise<BackendStatus>;
  status(): Promise<BackendStatus>;
  /** Throws unless the engine answers (cheap: for readiness probes). */
  ping(): Promise<void>;
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
