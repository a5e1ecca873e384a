/**
 * The PostgreSQL search backend, the embedded default (PGlite) and the one for a hub on a
 * PostgreSQL server without Elasticsearch. Everything lives in its own schema `search`:
 *
 *   search.doc     the live documents: one row per entity, with
 *                  keys          text[]    every exact form, prefixed by field (n:王春雷, p:wangchunlei,
 *                                          i:wcl, ids:1234, dk:<room key>, ns:王?雷 …), GIN
 *                  grams         tsvector  CJK bigrams and words of name, address and text (made in
 *                                          Node: array_to_tsvector, no text search parser), GIN
 *                  pinyin_words  text      ' wangchunlei shanxx ', GIN gin_trgm_ops (prefix, similarity)
 *   search.state   the indexer's position in the outbox, and the layout version and generation
 *
 * pg_trgm only ever sees ASCII (pinyin): on a server with the C locale (ours, and PGlite's
 * sibling) it ignores CJK characters altogether, so CJK goes through the bigram tsvector and
 * the exact key arrays instead. A rebuild fills search.doc_build_<gen> and swaps it in with a
 * drop + rename in one transaction (queries wait on the lock for milliseconds, never fail).
 */
import type { Knex } from 'knex';
import type { SearchContext } from './context.js';
import { highlight } from './highlight.js';
import { TIE_BREAKER, clauseTypoKeys, documentTypoKeys, exactValues, normalizeName, planQuery, reasonsOf, type Clause, type ExactField, type QueryPlan } from './query.js';
import { FACET_SIZE, checkRequest, displayOf, emptyFacets, encodeSearchCursor, sortBuckets, type CheckedRequest } from './request.js';
import { uniqueTokens } from './text.js';
import { SEARCH_TYPES } from './types.js';
import type {
  BackendStatus, IndexerState, MatchReason, RebuildTarget, SearchBackend, SearchDocument, SearchFacets, SearchHit, SearchRequest,
  SearchResult, SearchType,
} from './types.js';

/** Bump when the table layout or what goes into keys/grams changes: the hub then rebuilds into a new generation. */
export const PG_LAYOUT_VERSION = 1;

const SCHEMA = 'search';
const LIVE = 'doc';

const KEY_PREFIX: Record<ExactField, string> = {
  name: 'n', pinyin: 'p', pinyin_alt: 'pa', pinyin_fuzzy: 'pf', initials: 'i', other_names: 'on', other_pinyin: 'op', other_initials: 'oi', id_number: 'id',
  id_suffix: 'ids', phone: 'ph', phone_suffix: 'phs', credit_code: 'cc', case_number: 'cn', dwelling_key: 'dk', building_key: 'bk',
};
const TYPO_PREFIX = { name: 'n', pinyin: 'p' } as const;

import { raw, type Row } from './sql.js';

interface Fragment {
  sql: string;
  bindings: Array<string | number>;
}

const frag = (sql: string, ...bindings: Array<string | number>): Fragment => ({ sql, bindings });

function join(parts: Fragment[], sep: string): Fragment {
  return { sql: parts.map((p) => `(${p.sql})`).join(sep), bindings: parts.flatMap((p) => p.bindings) };
}

function textArray(values: readonly string[]): Fragment {
  return values.length === 0 ? frag(`'{}'::text[]`) : frag(`array[${values.map(() => '?').join(',')}]::text[]`, ...values);
}

function inList(column: string, values: readonly string[]): Fragment {
  return values.length === 0 ? frag('false') : frag(`${column} in (${values.map(() => '?').join(',')})`, ...values);
}

/** A tsquery literal of lexemes taken verbatim (no parser: it would drop CJK on a C-locale server). */
function tsquery(tokens: readonly string[], op: '&' | '|'): string {
  return tokens.map((t) => `'${t.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`).join(` ${op} `);
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Everything a document row holds, as one JSON object per row (one bind parameter per batch). */
function rowOf(doc: SearchDocument): Row {
  const values = exactValues(doc);
  const keys = new Set<string>();
  for (const [field, list] of Object.entries(values) as Array<[ExactField, string[]]>) for (const v of list) keys.add(`${KEY_PREFIX[field]}:${v}`);
  const name = doc.name ? normalizeName(doc.name) : null;
  const typo = documentTypoKeys(doc);
  for (const k of typo.name) keys.add(`${TYPO_PREFIX.name}${k}`);
  for (const k of typo.pinyin) keys.add(`${TYPO_PREFIX.pinyin}${k}`);
  const grams = uniqueTokens([doc.name, doc.title, ...doc.otherNames, doc.addressText, doc.body]).filter((t) => t.length > 0);
  const pinyin = [...doc.pinyin, ...doc.pinyinAlt];
  return {
    key: doc.key, type: doc.type, id: doc.id, district_id: doc.districtId, street_id: doc.streetId, community_id: doc.communityId, grid_id: doc.gridId,
    tags: doc.tags, departments: doc.departments, keys: [...keys], pinyin_words: pinyin.length > 0 ? ` ${pinyin.join(' ')} ` : '',
    name: name, address: doc.addressText ? normalizeName(doc.addressText) : null, grams, category: doc.category, status: doc.status,
    lat: doc.location?.lat ?? null, lng: doc.location?.lng ?? null, display: displayOf(doc),
  };
}

const COLUMNS = [
  'key', 'type', 'id', 'district_id', 'street_id', 'community_id', 'grid_id', 'tags', 'departments', 'keys', 'pinyin_words', 'name', 'address', 'grams',
  'category', 'status', 'lat', 'lng', 'display',
];

const arrayOf = (field: string) => `coalesce(array(select jsonb_array_elements_text(d->'${field}')), '{}')`;
const SELECT_ROWS = `select d->>'key', d->>'type', d->>'id', d->>'district_id', d->>'street_id', d->>'community_id', d->>'grid_id',
  ${arrayOf('tags')}, ${arrayOf('departments')}, ${arrayOf('keys')}, d->>'pinyin_words', d->>'name', d->>'address',
  array_to_tsvector(${arrayOf('grams')}), d->>'category', d->>'status', (d->>'lat')::float8, (d->>'lng')::float8, d->'display'
  from jsonb_array_elements(?::jsonb) d`;

/**
 * The GIN indexes are built without a pending list (fastupdate = off). With one, every insert
 * goes to an unsorted list that each lookup reads from end to end until VACUUM merges it, and
 * PGlite has no autovacuum: on the `small` district the list of `keys` grew to 365 pages (the
 * 4 MB limit), read once per key looked up, ~40 keys a query, which made a pinyin search 55 ms
 * instead of 18. Writing each document's keys into the tree costs the indexer a little more.
 */
const GIN_INDEXES = [
  { suffix: 'keys', using: 'gin (keys)' },
  { suffix: 'grams', using: 'gin (grams)' },
  { suffix: 'pinyin', using: 'gin (pinyin_words gin_trgm_ops)' },
] as const;

async function createDocTable(db: Knex | Knex.Transaction, table: string, generation: string, options: { indexes: boolean }): Promise<void> {
  const t = `${SCHEMA}.${table}`;
  await db.raw(`create table if not exists ${t} (
    key text primary key,
    type text not null,
    id text not null,
    district_id text, street_id text, community_id text, grid_id text,
    tags text[] not null default '{}',
    departments text[] not null default '{}',
    keys text[] not null default '{}',
    pinyin_words text not null default '',
    name text,
    address text,
    grams tsvector not null,
    category text,
    status text,
    lat double precision,
    lng double precision,
    display jsonb not null,
    indexed_at timestamptz not null default now()
  )`);
  if (options.indexes) await createDocIndexes(db, table, generation);
}

/** A rebuild creates these after the fill: building an index once is cheaper than updating it per batch. */
async function createDocIndexes(db: Knex | Knex.Transaction, table: string, generation: string): Promise<void> {
  const t = `${SCHEMA}.${table}`;
  const ix = `doc_${generation}`;
  for (const g of GIN_INDEXES) await db.raw(`create index if not exists ${ix}_${g.suffix} on ${t} using ${g.using} with (fastupdate = off)`);
  await db.raw(`create index if not exists ${ix}_type on ${t} (type, key)`);
  await db.raw(`create index if not exists ${ix}_street on ${t} (street_id)`);
  await db.raw(`create index if not exists ${ix}_grid on ${t} (grid_id)`);
}

/** Live indexes made before fastupdate = off: switch it off and merge what their pending lists hold. */
async function dropPendingLists(db: Knex | Knex.Transaction): Promise<void> {
  const r = await raw(db, `select i.indexrelid::regclass::text as ix from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
    where i.indrelid = to_regclass('${SCHEMA}.${LIVE}') and am.amname = 'gin' and not coalesce('fastupdate=off' = any(c.reloptions), false)`);
  for (const row of r.rows) {
    const ix = String(row.ix);
    await db.raw(`alter index ${ix} set (fastupdate = off)`);
    await db.raw(`select gin_clean_pending_list(?::regclass)`, [ix]);
  }
}

/**
 * Rows per statement into the live table. Each row updates three GIN indexes (~0.5–1 ms a
 * document on PGlite), and a statement holds PGlite's one connection until it ends: 100 rows
 * keep that under a few hundred milliseconds, so a search waits at most that long for the indexer.
 */
const LIVE_ROWS_PER_STATEMENT = 100;
/** A rebuild's table has no indexes until the fill is done. */
const BUILD_ROWS_PER_STATEMENT = 500;

async function upsert(db: Knex | Knex.Transaction, table: string, docs: readonly SearchDocument[], rowsPerStatement: number): Promise<void> {
  const latest = new Map(docs.map((d) => [d.key, d]));
  const rows = [...latest.values()].map(rowOf);
  const update = COLUMNS.filter((c) => c !== 'key').map((c) => `${c} = excluded.${c}`).join(', ');
  for (let i = 0; i < rows.length; i += rowsPerStatement) {
    await db.raw(`insert into ${SCHEMA}.${table} (${COLUMNS.join(', ')}) ${SELECT_ROWS}
      on conflict (key) do update set ${update}, indexed_at = now()`, [JSON.stringify(rows.slice(i, i + rowsPerStatement))]);
  }
}

const INITIAL_STATE: IndexerState = { position: '0', generation: '' };

export interface PostgresSearchOptions {
  /** Searches, ping and status: the request pool. */
  knex: Knex;
  /** The index's upkeep (schema, outbox state, documents, rebuilds), the indexer's work: the background pool; absent: `knex`. */
  background?: Knex;
  context: SearchContext;
}

export class PostgresSearchBackend implements SearchBackend {
  readonly kind = 'postgres' as const;
  private readonly knex: Knex;
  private readonly upkeep: Knex;
  private context: SearchContext;

  constructor(options: PostgresSearchOptions) {
    this.knex = options.knex;
    this.upkeep = options.background ?? options.knex;
    this.context = options.context;
  }

  /** A new context after the area registry or the building register changed. */
  setContext(context: SearchContext): void {
    this.context = context;
  }

  async ensureSchema(): Promise<BackendStatus> {
    await this.upkeep.transaction(async (trx) => {
      // One hub at a time creates the schema (two starting together would race on create table).
      await trx.raw(`select pg_advisory_xact_lock(hashtext('liandong.search.schema'))`);
      await trx.raw('create extension if not exists pg_trgm');
      await trx.raw(`create schema if not exists ${SCHEMA}`);
      await trx.raw(`create table if not exists ${SCHEMA}.state (key text primary key, value jsonb not null, updated_at timestamptz not null default now())`);
      const layout = await this.readKey(trx, 'layout');
      const exists = await raw(trx, `select to_regclass('${SCHEMA}.${LIVE}') as t`);
      if (!layout || exists.rows[0]?.t === null) {
        const generation = `${Date.now().toString(36)}`;
        await createDocTable(trx, LIVE, generation, { indexes: true });
        await this.writeKey(trx, 'layout', { version: PG_LAYOUT_VERSION, generation });
        await this.writeKey(trx, 'outbox', { ...INITIAL_STATE, generation });
      }
      await dropPendingLists(trx);
    });
    return this.status();
  }

  async ping(): Promise<void> {
    await raw(this.knex, 'select 1');
  }

  async status(): Promise<BackendStatus> {
    const layout = await this.readKey(this.knex, 'layout');
    const count = await raw(this.knex, `select count(*)::int as n from ${SCHEMA}.${LIVE}`);
    return {
      kind: 'postgres',
      generation: layout ? String(layout.generation) : null,
      current: layout?.version === PG_LAYOUT_VERSION,
      documents: Number(count.rows[0]?.n ?? 0),
    };
  }

  private async readKey(db: Knex | Knex.Transaction, key: string): Promise<Row | null> {
    const r = await raw(db, `select value from ${SCHEMA}.state where key = ?`, [key]);
    const v = r.rows[0]?.value;
    return v === undefined ? null : ((typeof v === 'string' ? JSON.parse(v) : v) as Row);
  }

  private async writeKey(db: Knex | Knex.Transaction, key: string, value: unknown): Promise<void> {
    await db.raw(`insert into ${SCHEMA}.state (key, value, updated_at) values (?, ?::jsonb, now())
      on conflict (key) do update set value = excluded.value, updated_at = now()`, [key, JSON.stringify(value)]);
  }

  async readState(): Promise<IndexerState> {
    const v = await this.readKey(this.upkeep, 'outbox');
    if (!v) return { ...INITIAL_STATE };
    return { position: String(v.position), generation: String(v.generation ?? '') };
  }

  async writeState(state: IndexerState, expected: IndexerState): Promise<boolean> {
    if (expected.generation === '' && expected.position === '0') {
      // No state yet (a schema from before the outbox state): the first writer creates it.
      const created = await raw(this.upkeep, `insert into ${SCHEMA}.state (key, value) values ('outbox', ?::jsonb) on conflict (key) do nothing`, [JSON.stringify(state)]);
      if (created.count > 0) return true;
    }
    const r = await raw(this.upkeep,
      `update ${SCHEMA}.state set value = ?::jsonb, updated_at = now()
       where key = 'outbox' and value->>'generation' = ? and value->>'position' = ?`,
      [JSON.stringify(state), expected.generation, expected.position],
    );
    return r.count > 0;
  }

  async index(docs: readonly SearchDocument[]): Promise<void> {
    if (docs.length > 0) await upsert(this.upkeep, LIVE, docs, LIVE_ROWS_PER_STATEMENT);
  }

  async remove(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const f = inList('key', keys);
    await this.upkeep.raw(`delete from ${SCHEMA}.${LIVE} where ${f.sql}`, f.bindings);
  }

  async refresh(): Promise<void> {}

  async beginRebuild(): Promise<RebuildTarget> {
    const generation = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
    const table = `doc_build_${generation}`;
    await createDocTable(this.upkeep, table, generation, { indexes: false });
    const knex = this.upkeep;
    return {
      generation,
      index: (docs) => upsert(knex, table, docs, BUILD_ROWS_PER_STATEMENT),
      commit: async (state) => {
        // Outside the swap's lock: the live table keeps serving while these are built.
        await createDocIndexes(knex, table, generation);
        await knex.transaction(async (trx) => {
          await trx.raw(`lock table ${SCHEMA}.${LIVE} in access exclusive mode`);
          await trx.raw(`drop table ${SCHEMA}.${LIVE}`);
          await trx.raw(`alter table ${SCHEMA}.${table} rename to ${LIVE}`);
          await this.writeKey(trx, 'layout', { version: PG_LAYOUT_VERSION, generation });
          await this.writeKey(trx, 'outbox', { ...state, generation });
        });
      },
      abort: async () => {
        await knex.raw(`drop table if exists ${SCHEMA}.${table}`);
      },
    };
  }

  async close(): Promise<void> {}

  // -------------------------------------------------------------------------------------------
  // Search

  /**
   * A clause as SQL: `match` decides it per candidate row; `keys`, `tokens` and `like` are what
   * finds the candidates through the indexes (GIN on keys, GIN on grams, trigram on pinyin_words).
   */
  private clauseCondition(c: Clause): { match: Fragment; score: Fragment | null; keys: string[]; lookup: Fragment | null } {
    const typed = (f: Fragment): Fragment => (c.types ? join([inList('d.type', c.types), f], ' and ') : f);
    const none = { keys: [] as string[], lookup: null };
    const table = `${SCHEMA}.${LIVE}`;
    switch (c.kind) {
      case 'exact': {
        const keys = c.values.map((v) => `${KEY_PREFIX[c.field]}:${v}`);
        const arr = textArray(keys);
        return { ...none, match: typed(frag(`d.keys && ${arr.sql}`, ...arr.bindings)), score: null, keys };
      }
      case 'substitution':
      case 'fuzzy': {
        const keys = clauseTypoKeys(c.kind, c.value).map((k) => `${TYPO_PREFIX[c.field]}${k}`);
        if (c.kind === 'fuzzy') keys.push(`${KEY_PREFIX[c.field]}:${c.value}`);
        const arr = textArray(keys);
        return { ...none, match: typed(frag(`d.keys && ${arr.sql}`, ...arr.bindings)), score: null, keys };
      }
      case 'prefix': {
        const like = `% ${likeEscape(c.value)}%`;
        return { ...none, match: typed(frag(`d.pinyin_words like ?`, like)), score: null, lookup: frag(`select key from ${table} where pinyin_words like ?`, like) };
      }
      case 'phrase': {
        const tokens = uniqueTokens([c.value]);
        const column = c.field === 'name' ? 'd.name' : 'd.address';
        const pattern = `%${likeEscape(normalizeName(c.value))}%`;
        const candidate = tokens.length > 0 ? `d.grams @@ ?::tsquery and ` : '';
        const match = frag(`${candidate}${column} like ?`, ...(tokens.length > 0 ? [tsquery(tokens, '&')] : []), pattern);
        return { ...none, match: typed(match), score: null, lookup: { sql: `select key from ${table} d where ${match.sql}`, bindings: match.bindings } };
      }
      case 'text': {
        const count = frag(c.tokens.map(() => '(d.grams @@ ?::tsquery)::int').join(' + '), ...c.tokens.map((t) => tsquery([t], '|')));
        const any = tsquery(c.tokens, '|');
        return {
          ...none,
          match: typed(frag(`d.grams @@ ?::tsquery`, any)),
          score: frag(`(${count.sql})`, ...count.bindings),
          // Only documents with enough of the words are candidates (a common word alone is not).
          lookup: frag(`select key from ${table} d where d.grams @@ ?::tsquery and (${count.sql}) >= ?`, any, ...count.bindings, c.minimumMatch),
        };
      }
    }
  }

  private filters(r: CheckedRequest): Fragment {
    const parts: Fragment[] = r.types.length === SEARCH_TYPES.length ? [frag('true')] : [inList('d.type', r.types)];
    if (r.scope) {
      const s: Fragment[] = [];
      if (r.scope.gridIds.length > 0) s.push(inList('d.grid_id', r.scope.gridIds));
      if (r.scope.streetIds.length > 0) s.push(inList('d.street_id', r.scope.streetIds));
      parts.push(s.length === 0 ? frag('false') : join(s, ' or '));
    }
    const f = r.filter;
    if (f.districtIds) parts.push(inList('d.district_id', f.districtIds));
    if (f.streetIds) parts.push(inList('d.street_id', f.streetIds));
    if (f.communityIds) parts.push(inList('d.community_id', f.communityIds));
    if (f.gridIds) parts.push(inList('d.grid_id', f.gridIds));
    if (f.tags) parts.push(frag(`d.tags && ${textArray(f.tags).sql}`, ...f.tags));
    if (f.departments) parts.push(frag(`d.departments && ${textArray(f.departments).sql}`, ...f.departments));
    if (f.caseStatuses) parts.push(join([frag(`d.type <> 'case'`), inList('d.status', f.caseStatuses)], ' or '));
    if (f.caseCategories) parts.push(join([frag(`d.type <> 'case'`), inList('d.category', f.caseCategories)], ' or '));
    if (r.casesOfDepartment) parts.push(frag(`d.type <> 'case' or d.departments @> array[?]::text[]`, r.casesOfDepartment));
    if (f.near) {
      const { lat, lng, radiusMeters } = f.near;
      const dLat = radiusMeters / 111_320;
      const dLng = radiusMeters / (111_320 * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
      parts.push(frag(`d.lat between ? and ? and d.lng between ? and ?
        and 2 * 6371008.8 * asin(sqrt(power(sin(radians(d.lat - ?) / 2), 2) + cos(radians(?)) * cos(radians(d.lat)) * power(sin(radians(d.lng - ?) / 2), 2))) <= ?`,
      lat - dLat, lat + dLat, lng - dLng, lng + dLng, lat, lat, lng, radiusMeters));
    }
    return join(parts, ' and ');
  }

  /** EXPLAIN (ANALYZE) of a request's statement, for diagnosing a slow search. */
  async explain(request: SearchRequest): Promise<string> {
    const r = checkRequest(request);
    const { sql, bindings } = this.compile(r, planQuery(r.query, this.context));
    const out = await raw(this.knex, `explain (analyze, buffers) ${sql}`, bindings);
    return out.rows.map((row) => String(Object.values(row)[0])).join('\n');
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    const r = checkRequest(request);
    const plan = planQuery(r.query, this.context);
    const { sql, bindings } = this.compile(r, plan);
    const result = await raw(this.knex, sql, bindings);
    return this.decode(r, plan, result);
  }

  private compile(r: CheckedRequest, plan: QueryPlan): Fragment {
    const filters = this.filters(r);
    const conds = plan.clauses.map((c) => ({ clause: c, ...this.clauseCondition(c) }));

    // c: candidates with one boolean per clause (and a token count for text); m: matches with a score.
    const selects: Fragment[] = conds.map((c) => (c.score
      ? frag(`case when ${c.match.sql} then ${c.score.sql} else 0 end as ${c.clause.name}`, ...c.match.bindings, ...c.score.bindings)
      : frag(`coalesce(${c.match.sql}, false) as ${c.clause.name}`, ...c.match.bindings)));
    // Candidates: one index lookup per kind of index, never a scan of every row with every clause.
    const keys = [...new Set(conds.flatMap((c) => c.keys))];
    const lookups: Fragment[] = [];
    // One lookup per key: the planner estimates each key on its own (rare: an index scan), where
    // one overlap with forty keys looks common enough for a sequential scan.
    for (const k of keys) lookups.push(frag(`select key from ${SCHEMA}.${LIVE} where keys @> array[?]::text[]`, k));
    for (const c of conds) if (c.lookup) lookups.push(c.lookup);
    const browse = plan.normalized.length === 0;
    const candidates = browse ? null : lookups.length === 0 ? frag('select null::text as key where false') : {
      sql: lookups.map((l) => l.sql).join(' union '), bindings: lookups.flatMap((l) => l.bindings),
    };
    const matched = (c: Clause): string => (c.kind === 'text' ? `${c.name} >= ${c.minimumMatch}` : c.name);
    const weightOf = (c: Clause): string => (c.kind === 'text' ? `(case when ${matched(c)} then ${c.weight}::float8 * ${c.name} / ${c.tokens.length} else 0 end)` : `(case when ${c.name} then ${c.weight}::float8 else 0 end)`);
    const weights = plan.clauses.map(weightOf);
    const score = weights.length === 0 ? '0::float8' : weights.length === 1 ? weights[0] as string
      : `greatest(${weights.join(', ')}) + ${TIE_BREAKER}::float8 * ((${weights.join(' + ')}) - greatest(${weights.join(', ')}))`;
    const isMatch = plan.normalized.length === 0 ? 'true' : plan.clauses.length === 0 ? 'false' : plan.clauses.map(matched).join(' or ');
    const matchedArray = plan.clauses.length === 0 ? `'{}'::boolean[]` : `array[${plan.clauses.map(matched).join(', ')}]`;

    const after = r.after ? frag('(score < ? or (score = ? and key > ?))', r.after.score, r.after.score, r.after.key) : frag('true');
    const departmentsVisible = r.departmentsVisible ? frag(`where ${inList('dep', r.departmentsVisible).sql}`, ...r.departmentsVisible) : frag('');
    const facetSql = r.facets ? `(select coalesce(json_agg(f), '[]'::json) from (
        select 'district' as facet, district_id as value, count(*) as n from m where district_id is not null group by district_id
        union all select 'street', street_id, count(*) from m where street_id is not null group by street_id
        union all select 'grid', grid_id, count(*) from m where grid_id is not null group by grid_id
        union all select 'type', type, count(*) from m group by type
        ${r.tagsVisible ? `union all select 'tag', t, count(*) from m, unnest(m.tags) t group by t` : ''}
        union all select 'department', dep, count(*) from m, unnest(m.departments) dep ${departmentsVisible.sql} group by dep
      ) f)` : `'[]'::json`;

    // Materialised: the clause conditions are evaluated on the candidates only, never pushed down into a scan of every row.
    const columns = `d.key, d.type, d.id, d.district_id, d.street_id, d.grid_id, d.tags, d.departments, d.display${selects.map((s) => `, ${s.sql}`).join('')}`;
    // Each candidate is fetched by its key (a lateral lookup the planner cannot turn into a scan of every row).
    const from = candidates
      ? `(select distinct key from cand) k cross join lateral (select ${columns} from ${SCHEMA}.${LIVE} d where d.key = k.key and (${filters.sql}) limit 1) c1`
      : `(select ${columns} from ${SCHEMA}.${LIVE} d where ${filters.sql}) c1`;
    const sql = `with ${candidates ? `cand as materialized (${candidates.sql}), ` : ''}c as materialized (
        select c1.* from ${from}
      ), m as materialized (
        select c.*, (${score})::float8 as score, ${matchedArray} as matched from c where ${isMatch}
      )
      select
        (select coalesce(json_agg(h), '[]'::json) from (
          select key, type, id, score, display, matched from m where ${after.sql} order by score desc, key limit ?
        ) h) as hits,
        (select count(*)::int from m) as total,
        ${facetSql} as facets`;
    const bindings = [...(candidates?.bindings ?? []), ...selects.flatMap((s) => s.bindings), ...filters.bindings, ...after.bindings, r.first + 1,
      ...(r.facets ? departmentsVisible.bindings : [])];
    return { sql, bindings };
  }

  private decode(r: CheckedRequest, plan: QueryPlan, result: { rows: Row[] }): SearchResult {
    const row = result.rows[0] ?? {};
    const parse = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
    const hitRows = parse<Array<{ key: string; type: SearchType; id: string; score: number; display: ReturnType<typeof displayOf>; matched: boolean[] }>>(row.hits ?? '[]');
    const hits: SearchHit[] = hitRows.slice(0, r.first).map((h) => {
      const names = new Set(plan.clauses.filter((_, i) => h.matched[i] === true).map((c) => c.name));
      const reasons: MatchReason[] = reasonsOf(plan, names);
      const score = Number(h.score);
      return {
        type: h.type, id: h.id, score, reasons, highlights: highlight(plan, reasons, h.display), title: h.display.title, subtitle: h.display.subtitle,
        cursor: encodeSearchCursor(score, h.key, r.fingerprint),
      };
    });
    let facets: SearchFacets | null = null;
    if (r.facets) {
      facets = emptyFacets();
      for (const f of parse<Array<{ facet: keyof SearchFacets; value: string; n: number }>>(row.facets ?? '[]')) {
        facets[f.facet].push({ value: String(f.value), count: Number(f.n) });
      }
      for (const k of Object.keys(facets) as Array<keyof SearchFacets>) facets[k] = sortBuckets(facets[k]).slice(0, FACET_SIZE);
    }
    return {
      hits,
      totalCount: Number(row.total ?? 0),
      pageInfo: { hasNextPage: hitRows.length > r.first, endCursor: hits[hits.length - 1]?.cursor ?? null },
      facets,
    };
  }
}
