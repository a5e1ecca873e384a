/**
 * The search engine as the data layer sees it: what `search` asks and what it gets back. The
 * store owns this contract (it calls it for the `search` query); the engines in src/search
 * implement it, with the indexing side on top (src/search/types.ts), so the store never imports
 * the search module.
 */

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

/** The part of a search backend the data layer calls. */
export interface SearchPort {
  readonly kind: 'postgres' | 'elasticsearch';
  search(request: SearchRequest): Promise<SearchResult>;
}
