/** Request checks and cursors shared by both backends. */
import { createHash } from 'node:crypto';
import { SafeError } from '../errors.js';
import type { DisplayFields } from './highlight.js';
import { SEARCH_TYPES, type FacetBucket, type SearchDocument, type SearchFacets, type SearchRequest, type SearchType } from './types.js';

export const DEFAULT_SEARCH_PAGE = 20;
export const MAX_SEARCH_PAGE = 100;
/** Buckets per facet (grids are the longest list: a district has a few hundred). */
export const FACET_SIZE = 500;

export interface CheckedRequest {
  query: string;
  types: SearchType[];
  first: number;
  after: { score: number; key: string } | null;
  /** null: the whole district. */
  scope: { gridIds: string[]; streetIds: string[] } | null;
  filter: {
    districtIds: string[] | null; streetIds: string[] | null; communityIds: string[] | null; gridIds: string[] | null; tags: string[] | null; departments: string[] | null;
    caseStatuses: string[] | null; caseCategories: string[] | null; near: { lat: number; lng: number; radiusMeters: number } | null;
  };
  casesOfDepartment: string | null;
  tagsVisible: boolean;
  /** null: all. */
  departmentsVisible: string[] | null;
  facets: boolean;
  fingerprint: string;
}

const list = (xs: readonly string[] | undefined): string[] | null => (xs === undefined ? null : [...new Set(xs.map(String))].sort());

export function checkRequest(r: SearchRequest): CheckedRequest {
  const first = r.first ?? DEFAULT_SEARCH_PAGE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_SEARCH_PAGE) {
    throw new SafeError('BAD_USER_INPUT', `first must be between 0 and ${MAX_SEARCH_PAGE}, got ${first}.`);
  }
  const types = r.types && r.types.length > 0 ? [...new Set(r.types)].sort() : [...SEARCH_TYPES];
  for (const t of types) if (!SEARCH_TYPES.includes(t)) throw new SafeError('BAD_USER_INPUT', `Unknown search type "${String(t)}".`);
  const tagsVisible = r.tagsVisible ?? true;
  const f = r.filter ?? {};
  if (!tagsVisible && f.tags && f.tags.length > 0) throw new SafeError('FORBIDDEN', 'Filtering by special-group tags is not allowed for this role.');
  const departmentsVisible = r.departmentsVisible === undefined || r.departmentsVisible === 'all' ? null : [...new Set(r.departmentsVisible)].sort();
  for (const d of f.departments ?? []) {
    if (departmentsVisible && !departmentsVisible.includes(d)) throw new SafeError('FORBIDDEN', `Filtering by the records of department "${d}" is not allowed for this role.`);
  }
  const near = f.near ?? null;
  if (near && !(Number.isFinite(near.lat) && Number.isFinite(near.lng) && Number.isFinite(near.radiusMeters) && near.radiusMeters > 0)) {
    throw new SafeError('BAD_USER_INPUT', 'near needs a finite lat, lng and a positive radiusMeters.');
  }
  const scope = r.scope === 'district' ? null : { gridIds: list(r.scope.gridIds) ?? [], streetIds: list(r.scope.streetIds) ?? [] };
  const checked: Omit<CheckedRequest, 'fingerprint' | 'after'> = {
    query: (r.query ?? '').trim(),
    types,
    first,
    scope,
    filter: {
      districtIds: list(f.districtIds), streetIds: list(f.streetIds), communityIds: list(f.communityIds), gridIds: list(f.gridIds), tags: list(f.tags), departments: list(f.departments),
      caseStatuses: list(f.caseStatuses), caseCategories: list(f.caseCategories), near,
    },
    casesOfDepartment: r.casesOfDepartment ?? null,
    tagsVisible,
    departmentsVisible,
    facets: r.facets ?? true,
  };
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([checked.query, checked.types, checked.scope, checked.filter, checked.casesOfDepartment]))
    .digest('base64url').slice(0, 12);
  return { ...checked, fingerprint, after: r.after ? decodeSearchCursor(r.after, fingerprint) : null };
}

export function encodeSearchCursor(score: number, key: string, fingerprint: string): string {
  return Buffer.from(JSON.stringify([fingerprint, score, key]), 'utf8').toString('base64url');
}

function decodeSearchCursor(cursor: string, fingerprint: string): { score: number; key: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || typeof parsed[1] !== 'number' || typeof parsed[2] !== 'string') {
    throw new SafeError('BAD_USER_INPUT', `Invalid cursor "${cursor}": pass a cursor this API returned.`);
  }
  if (parsed[0] !== fingerprint) {
    throw new SafeError('BAD_USER_INPUT', 'This cursor belongs to another search: pass the same query, types, filter and scope as the page it came from.');
  }
  return { score: parsed[1], key: parsed[2] };
}

/** What a document keeps for display and highlights (ES `_source.display`, PG `display`). */
export function displayOf(doc: SearchDocument): DisplayFields & { subtitle: string | null } {
  return {
    title: doc.title, subtitle: doc.subtitle, name: doc.type === 'case' ? null : doc.name, otherNames: doc.otherNames,
    addressText: doc.addressText, body: doc.body,
  };
}

export function emptyFacets(): SearchFacets {
  return { district: [], street: [], grid: [], type: [], tag: [], department: [] };
}

/** Buckets by count, then value. */
export function sortBuckets(b: FacetBucket[]): FacetBucket[] {
  return b.sort((x, y) => y.count - x.count || (x.value < y.value ? -1 : x.value > y.value ? 1 : 0));
}
