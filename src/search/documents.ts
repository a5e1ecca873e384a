/**
 * Canonical rows to search documents. One query per table per batch (never per entity): people
 * with their dwelling's address and building, tags and the departments holding records about
 * them; buildings; enterprises with their legal representative; cases with the people named in
 * them, their dispatches and location.
 */
import type { Knex } from 'knex';
import { mapInTurns } from '../store/timeSlice.js';
import type { SearchContext } from './context.js';
import { idSuffixes, namePinyin, normalizeCode, normalizePhone, phoneSuffix } from './text.js';
import { SEARCH_TYPES, type SearchDocument, type SearchType } from './types.js';

import { rowsOf, type Row } from './sql.js';

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));
const uniq = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];

export function documentKey(type: SearchType, id: string): string {
  return `${type}:${id}`;
}

export function parseDocumentKey(key: string): { type: SearchType; id: string } | null {
  const i = key.indexOf(':');
  const type = key.slice(0, i) as SearchType;
  return i > 0 && SEARCH_TYPES.includes(type) ? { type, id: key.slice(i + 1) } : null;
}

/** Which entities to load: by id, or the page after an id (a rebuild walks each table in id order). */
export type DocumentSelection = { ids: readonly string[] } | { afterId: string | null; limit: number };

function select(q: Knex.QueryBuilder, column: string, sel: DocumentSelection): Knex.QueryBuilder {
  if ('ids' in sel) return q.whereIn(column, [...sel.ids]);
  if (sel.afterId !== null) q.where(column, '>', sel.afterId);
  return q.orderBy(column).limit(sel.limit);
}

function groupBy(rows: Row[], key: string, value: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const k = String(r[key]);
    const v = str(r[value]);
    if (v === null) continue;
    const list = out.get(k);
    if (list) {
      if (!list.includes(v)) list.push(v);
    } else out.set(k, [v]);
  }
  return out;
}

/** Departments with a record about these entities, as the subject (source_record) or named in it (source_link). */
async function departmentsOf(knex: Knex, entityType: string, ids: string[]): Promise<Map<string, string[]>> {
  if (ids.length === 0) return new Map();
  const subjects = knex('source_record').where('entity_type', entityType).whereIn('entity_id', ids).select('entity_id', 'department_id');
  const mentions = knex('source_link as l').join('source_record as r', 'r.id', 'l.source_record_id')
    .where('l.entity_type', entityType).whereIn('l.entity_id', ids).select('l.entity_id', 'r.department_id');
  const rows = await rowsOf(knex.select('x.entity_id', 'd.name').from(subjects.union(mentions).as('x')).join('department as d', 'd.id', 'x.department_id'));
  const out = groupBy(rows, 'entity_id', 'name');
  for (const list of out.values()) list.sort();
  return out;
}

function base(type: SearchType, r: Row, title: string, subtitle: string | null): SearchDocument {
  const id = String(r.id);
  return {
    key: documentKey(type, id), type, id, title, subtitle,
    districtId: str(r.district_id), streetId: str(r.street_id), communityId: str(r.community_id), gridId: str(r.grid_id),
    tags: [], departments: [], name: null, pinyin: [], pinyinAlt: [], initials: [], otherNames: [], otherPinyin: [], otherInitials: [],
    idNumber: null, idSuffixes: [], phones: [], phoneSuffixes: [], creditCode: null, caseNumber: null, addressText: null,
    dwellingKeys: [], buildingKeys: [], body: null, category: null, status: null, location: null,
  };
}

function location(lat: unknown, lng: unknown): { lat: number; lng: number } | null {
  const la = num(lat);
  const ln = num(lng);
  return la === null || ln === null || !Number.isFinite(la) || !Number.isFinite(ln) ? null : { lat: la, lng: ln };
}

function addPlace(doc: SearchDocument, context: SearchContext, r: Row, prefix: string): void {
  const text = str(r[`${prefix}text`]);
  if (text === null) return;
  doc.addressText ??= text;
  const keys = context.placeKeys({
    text, streetId: str(r[`${prefix}street_id`]), communityId: str(r[`${prefix}community_id`]), estate: str(r[`${prefix}estate`]),
    buildingNo: str(r[`${prefix}building_no`]), unit: str(r[`${prefix}unit`]), room: str(r[`${prefix}room`]),
  });
  doc.dwellingKeys = uniq([...doc.dwellingKeys, ...keys.dwelling]);
  doc.buildingKeys = uniq([...doc.buildingKeys, ...keys.building]);
}

const ADDRESS_COLUMNS = ['text', 'street_id', 'community_id', 'estate', 'building_no', 'unit', 'room'];
const addressColumns = (alias: string, prefix: string): string[] => ADDRESS_COLUMNS.map((c) => `${alias}.${c} as ${prefix}${c}`);

function setPeople(doc: SearchDocument, names: Array<string | null>, into: 'own' | 'other'): void {
  for (const name of names) {
    if (!name) continue;
    const p = namePinyin(name);
    if (into === 'own') {
      doc.name = name;
      doc.pinyin = p.pinyin;
      doc.pinyinAlt = p.pinyinAlt;
      doc.initials = p.initials;
    } else {
      doc.otherNames = uniq([...doc.otherNames, name]);
      doc.otherPinyin = uniq([...doc.otherPinyin, ...p.pinyin, ...p.pinyinAlt]);
      doc.otherInitials = uniq([...doc.otherInitials, ...p.initials]);
    }
  }
}

function setPhones(doc: SearchDocument, phones: Array<string | null>): void {
  for (const raw of phones) {
    const p = normalizePhone(raw);
    if (!p) continue;
    doc.phones = uniq([...doc.phones, p]);
    const s = phoneSuffix(p);
    if (s) doc.phoneSuffixes = uniq([...doc.phoneSuffixes, s]);
  }
}

async function people(knex: Knex, context: SearchContext, sel: DocumentSelection): Promise<SearchDocument[]> {
  const rows = await rowsOf(select(
    knex('person as p')
      .leftJoin('dwelling as dw', 'dw.id', 'p.dwelling_id')
      .leftJoin('address as a', 'a.id', 'dw.address_id')
      .leftJoin('building as b', 'b.id', knex.raw('coalesce(p.building_id, dw.building_id)'))
      .leftJoin('address as ba', 'ba.id', 'b.address_id')
      .select('p.id', 'p.id_number', 'p.name', 'p.phone', 'p.residence_type', 'p.district_id', 'p.street_id', 'p.community_id', 'p.grid_id',
        'b.lat', 'b.lng', ...addressColumns('a', 'a_'), ...addressColumns('ba', 'b_')),
    'p.id', sel));
  const ids = rows.map((r) => String(r.id));
  const [tagRows, departments, profileRows] = await Promise.all([
    ids.length === 0 ? [] : rowsOf(knex('person_tag').whereIn('person_id', ids).select('person_id', 'tag').orderBy('tag')),
    departmentsOf(knex, 'person', ids),
    ids.length === 0 ? [] : rowsOf(knex('resolution_profile').where('entity_type', 'person').whereIn('entity_id', ids).select('entity_id', 'profile')),
  ]);
  const tags = groupBy(tagRows, 'person_id', 'tag');
  // What every department holds for the person (entity resolution's profile): each phone, each
  // address in any style (the keys are the normaliser's, as the index's), each name written.
  const held = new Map(profileRows.map((r) => [String(r.entity_id), (typeof r.profile === 'string' ? JSON.parse(r.profile) : r.profile) as Record<string, string[] | undefined>]));
  // Pinyin for thousands of names is the indexer's longest stretch without a turn for requests.
  return mapInTurns(rows, (r) => {
    const address = str(r.a_text) ?? str(r.b_text);
    const doc = base('person', r, String(r.name), address);
    setPeople(doc, [str(r.name)], 'own');
    const id = normalizeCode(str(r.id_number));
    doc.idNumber = id;
    doc.idSuffixes = idSuffixes(id);
    setPhones(doc, [str(r.phone)]);
    addPlace(doc, context, r, 'a_');
    addPlace(doc, context, r, 'b_');
    const profile = held.get(doc.id);
    if (profile) {
      setPhones(doc, profile.ph ?? []);
      doc.dwellingKeys = uniq([...doc.dwellingKeys, ...(profile.dw ?? [])]);
      doc.buildingKeys = uniq([...doc.buildingKeys, ...(profile.bl ?? [])]);
      // Former and other written names are found as names the person is known by, not as the name.
      setPeople(doc, (profile.nm ?? []).filter((n) => n !== doc.name && /\p{Script=Han}/u.test(n)), 'other');
    }
    doc.tags = tags.get(doc.id) ?? [];
    doc.departments = departments.get(doc.id) ?? [];
    doc.category = str(r.residence_type);
    doc.location = location(r.lat, r.lng);
    return doc;
  });
}

async function buildings(knex: Knex, context: SearchContext, sel: DocumentSelection): Promise<SearchDocument[]> {
  const rows = await rowsOf(select(
    knex('building as b').leftJoin('address as a', 'a.id', 'b.address_id')
      .select('b.id', 'b.name', 'b.use', 'b.district_id', 'b.street_id', 'b.community_id', 'b.grid_id', 'b.lat', 'b.lng', ...addressColumns('a', 'a_')),
    'b.id', sel));
  const departments = await departmentsOf(knex, 'building', rows.map((r) => String(r.id)));
  return rows.map((r) => {
    const doc = base('building', r, String(r.name), str(r.a_text));
    doc.name = String(r.name);
    addPlace(doc, context, r, 'a_');
    doc.departments = departments.get(doc.id) ?? [];
    doc.category = str(r.use);
    doc.location = location(r.lat, r.lng);
    return doc;
  });
}

async function enterprises(knex: Knex, context: SearchContext, sel: DocumentSelection): Promise<SearchDocument[]> {
  const rows = await rowsOf(select(
    knex('enterprise as e').leftJoin('address as a', 'a.id', 'e.address_id').leftJoin('building as b', 'b.id', 'e.building_id')
      .leftJoin('address as ba', 'ba.id', 'b.address_id')
      .select('e.id', 'e.credit_code', 'e.name', 'e.legal_representative', 'e.industry', 'e.status', 'e.district_id', 'e.street_id',
        'e.community_id', 'e.grid_id', 'b.lat', 'b.lng', ...addressColumns('a', 'a_'), ...addressColumns('ba', 'b_')),
    'e.id', sel));
  const departments = await departmentsOf(knex, 'enterprise', rows.map((r) => String(r.id)));
  return rows.map((r) => {
    const doc = base('enterprise', r, String(r.name), str(r.a_text) ?? str(r.b_text));
    doc.name = String(r.name);
    setPeople(doc, [str(r.legal_representative)], 'other');
    doc.creditCode = normalizeCode(str(r.credit_code));
    addPlace(doc, context, r, 'a_');
    if (doc.dwellingKeys.length === 0) addPlace(doc, context, r, 'b_');
    doc.body = str(r.industry);
    doc.status = str(r.status);
    doc.departments = departments.get(doc.id) ?? [];
    doc.location = location(r.lat, r.lng);
    return doc;
  });
}

async function cases(knex: Knex, context: SearchContext, sel: DocumentSelection): Promise<SearchDocument[]> {
  const rows = await rowsOf(select(
    knex('case as c').leftJoin('address as a', 'a.id', 'c.address_id')
      .select('c.id', 'c.number', 'c.title', 'c.description', 'c.category', 'c.status', 'c.reporter_name', 'c.reporter_phone', 'c.lat', 'c.lng',
        'c.district_id', 'c.street_id', 'c.community_id', 'c.grid_id', ...addressColumns('a', 'a_')),
    'c.id', sel));
  const ids = rows.map((r) => String(r.id));
  const [personRows, dispatchRows] = ids.length === 0 ? [[], []] : await Promise.all([
    rowsOf(knex('case_person as cp').join('person as p', 'p.id', 'cp.person_id').whereIn('cp.case_id', ids).select('cp.case_id', 'p.name')),
    rowsOf(knex('dispatch as d').join('department as dep', 'dep.id', 'd.department_id').whereIn('d.case_id', ids).select('d.case_id', 'dep.name')),
  ]);
  const names = groupBy(personRows, 'case_id', 'name');
  const departments = groupBy(dispatchRows, 'case_id', 'name');
  return rows.map((r) => {
    const doc = base('case', r, String(r.title), `${String(r.number)} ${str(r.a_text) ?? ''}`.trim());
    doc.caseNumber = normalizeCode(str(r.number));
    setPeople(doc, [str(r.reporter_name), ...(names.get(doc.id) ?? [])], 'other');
    setPhones(doc, [str(r.reporter_phone)]);
    addPlace(doc, context, r, 'a_');
    doc.body = [str(r.title), str(r.description)].filter((x) => x !== null).join('\n');
    doc.category = str(r.category);
    doc.status = str(r.status);
    doc.departments = (departments.get(doc.id) ?? []).sort();
    doc.location = location(r.lat, r.lng);
    return doc;
  });
}

const LOADERS: Record<SearchType, (knex: Knex, context: SearchContext, sel: DocumentSelection) => Promise<SearchDocument[]>> = {
  person: people, building: buildings, enterprise: enterprises, case: cases,
};

/** Documents of one type, by id or a page in id order. Ids that no longer exist are simply absent. */
export function loadDocuments(knex: Knex, context: SearchContext, type: SearchType, sel: DocumentSelection): Promise<SearchDocument[]> {
  if ('ids' in sel && sel.ids.length === 0) return Promise.resolve([]);
  return LOADERS[type](knex, context, sel);
}

const TABLE: Record<SearchType, string> = { person: 'person', building: 'building', enterprise: 'enterprise', case: 'case' };

export async function countEntities(knex: Knex, type: SearchType): Promise<number> {
  const row = (await rowsOf(knex(TABLE[type]).count({ n: '*' })))[0];
  return Number(row?.n ?? 0);
}

/** Every document of a type, page by page in id order (a rebuild). */
export async function* allDocuments(knex: Knex, context: SearchContext, type: SearchType, pageSize = 1000): AsyncGenerator<SearchDocument[]> {
  let afterId: string | null = null;
  for (;;) {
    const docs = await loadDocuments(knex, context, type, { afterId, limit: pageSize });
    if (docs.length === 0) return;
    yield docs;
    afterId = (docs[docs.length - 1] as SearchDocument).id;
    if (docs.length < pageSize) return;
  }
}

/**
 * The documents a canonical change touches: the entity's own, and those that show what changed
 * (a building's address on the people and enterprises in it, a dwelling's on its residents).
 */
export async function affectedDocuments(knex: Knex, changes: ReadonlyArray<{ entityType: string; entityId: string }>): Promise<Map<SearchType, Set<string>>> {
  const out = new Map<SearchType, Set<string>>(SEARCH_TYPES.map((t) => [t, new Set<string>()]));
  const add = (type: SearchType, ids: Iterable<unknown>) => {
    const set = out.get(type) as Set<string>;
    for (const id of ids) set.add(String(id));
  };
  const by = new Map<string, string[]>();
  for (const c of changes) by.set(c.entityType, [...(by.get(c.entityType) ?? []), c.entityId]);
  const ids = (rows: Row[]) => rows.map((r) => r.id);
  for (const [type, list] of by) {
    switch (type) {
      case 'person':
      case 'enterprise':
      case 'case':
        add(type, list);
        break;
      case 'building':
        add('building', list);
        add('person', ids(await rowsOf(knex('person').whereIn('building_id', list).select('id'))));
        add('enterprise', ids(await rowsOf(knex('enterprise').whereIn('building_id', list).select('id'))));
        break;
      case 'dwelling':
        add('person', ids(await rowsOf(knex('person').whereIn('dwelling_id', list).select('id'))));
        break;
      case 'household':
        add('person', ids(await rowsOf(knex('person').whereIn('household_id', list).select('id'))));
        break;
      case 'address':
        add('building', ids(await rowsOf(knex('building').whereIn('address_id', list).select('id'))));
        add('enterprise', ids(await rowsOf(knex('enterprise').whereIn('address_id', list).select('id'))));
        add('case', ids(await rowsOf(knex('case').whereIn('address_id', list).select('id'))));
        add('person', ids(await rowsOf(knex('person as p').join('dwelling as d', 'd.id', 'p.dwelling_id').whereIn('d.address_id', list).select('p.id'))));
        break;
      default:
        break; // not searchable (grid members, records...): nothing to index
    }
  }
  return out;
}
