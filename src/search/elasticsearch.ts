/**
 * The Elasticsearch search backend (8.x, `@elastic/elasticsearch`). One index for every type
 * behind an alias:
 *
 *   liandong-search                 alias: what searches and the live indexer use
 *   liandong-search-v<N>-<gen>      the index; N is ES_LAYOUT_VERSION (mappings, analysis, what
 *                                   the builder stores), gen the rebuild that made it
 *   liandong-search-state           the outbox indexer's position (doc `outbox`), written with
 *                                   optimistic concurrency (if_seq_no), so two indexers or an
 *                                   indexer and a rebuild never move it past each other
 *
 * Analysis is what every Elasticsearch node has: standard tokenizer + cjk_width + lowercase +
 * cjk_bigram (zh_text). Pinyin, initials, ID and phone suffixes and place keys are computed in
 * Node (src/search/documents.ts) and stored in keyword fields. A mapping change is a new layout
 * version: a rebuild fills a new index and swaps the alias; the old index is never changed in place.
 */
import { Client, errors as esErrors } from '@elastic/elasticsearch';
import type { estypes } from '@elastic/elasticsearch';
import type { SearchContext } from './context.js';
import { highlight } from './highlight.js';
import { TIE_BREAKER, clauseTypoKeys, documentTypoKeys, exactValues, normalizeName, planQuery, reasonsOf, type Clause, type ExactField } from './query.js';
import { FACET_SIZE, checkRequest, displayOf, emptyFacets, encodeSearchCursor, sortBuckets, type CheckedRequest } from './request.js';
import type {
  BackendStatus, IndexerState, MatchReason, RebuildTarget, SearchBackend, SearchDocument, SearchFacets, SearchHit, SearchRequest, SearchResult,
  SearchType,
} from './types.js';

/** Bump with any change to SETTINGS, MAPPINGS or sourceOf(): the hub then rebuilds into a new index. */
export const ES_LAYOUT_VERSION = 2;

export const DEFAULT_INDEX_PREFIX = 'liandong-search';

const keyword = { type: 'keyword' } as const;
/** Facet fields: global ordinals built at refresh, not by the first search after it. */
const facet = { type: 'keyword', eager_global_ordinals: true } as const;
const ZH = 'zh_text';

const SETTINGS: estypes.IndicesIndexSettings = {
  analysis: {
    analyzer: {
      [ZH]: { type: 'custom', tokenizer: 'standard', filter: ['cjk_width', 'lowercase', 'cjk_bigram'] },
    },
  },
};

const EXACT_FIELD_NAMES: Record<ExactField, string> = {
  name: 'name', pinyin: 'pinyin', pinyin_alt: 'pinyin_alt', pinyin_fuzzy: 'pinyin_fuzzy', initials: 'initials', other_names: 'other_names', other_pinyin: 'other_pinyin',
  other_initials: 'other_initials', id_number: 'id_number', id_suffix: 'id_suffix', phone: 'phone', phone_suffix: 'phone_suffix',
  credit_code: 'credit_code', case_number: 'case_number', dwelling_key: 'dwelling_key', building_key: 'building_key',
};

const MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  _meta: { layout_version: ES_LAYOUT_VERSION },
  properties: {
    key: keyword, type: facet, id: keyword,
    district_id: facet, street_id: facet, community_id: keyword, grid_id: facet,
    tags: facet, departments: facet,
    name: { type: 'keyword', fields: { text: { type: 'text', analyzer: ZH } } },
    pinyin: keyword, pinyin_alt: keyword, pinyin_fuzzy: keyword, initials: keyword,
    other_names: keyword, other_pinyin: keyword, other_initials: keyword,
    id_number: keyword, id_suffix: keyword, phone: keyword, phone_suffix: keyword, credit_code: keyword, case_number: keyword,
    dwelling_key: keyword, building_key: keyword,
    name_typo: keyword, pinyin_typo: keyword,
    address: { type: 'text', analyzer: ZH },
    all_text: { type: 'text', analyzer: ZH },
    category: keyword, status: keyword,
    location: { type: 'geo_point' },
    display: { type: 'object', enabled: false },
    indexed_at: { type: 'date' },
  },
};

/** The stored form of a document. */
export function sourceOf(doc: SearchDocument): Record<string, unknown> {
  const v = exactValues(doc);
  const fields: Record<string, unknown> = {};
  for (const [f, list] of Object.entries(v) as Array<[ExactField, string[]]>) fields[EXACT_FIELD_NAMES[f]] = list;
  const typo = documentTypoKeys(doc);
  return {
    ...fields,
    name_typo: typo.name, pinyin_typo: typo.pinyin,
    key: doc.key, type: doc.type, id: doc.id,
    district_id: doc.districtId, street_id: doc.streetId, community_id: doc.communityId, grid_id: doc.gridId,
    tags: doc.tags, departments: doc.departments,
    name: v.name[0] ?? null,
    address: doc.addressText ? normalizeName(doc.addressText) : null,
    all_text: [doc.name, doc.title, ...doc.otherNames, doc.addressText, doc.body].filter((x): x is string => !!x),
    category: doc.category, status: doc.status,
    location: doc.location ? { lat: doc.location.lat, lon: doc.location.lng } : null,
    display: displayOf(doc),
    indexed_at: new Date().toISOString(),
  };
}

export interface ElasticsearchSearchOptions {
  /** http://host:port, or a client (tests pass one with short timeouts). */
  node?: string;
  client?: Client;
  context: SearchContext;
  /** Alias and index name prefix; the state index is `${prefix}-state`. */
  indexPrefix?: string;
  /** Replicas of new indices (0 on a single node). */
  replicas?: number;
}

const INITIAL_STATE: IndexerState = { position: '0', generation: '' };

function isStatus(err: unknown, status: number): boolean {
  return err instanceof esErrors.ResponseError && err.statusCode === status;
}

type Query = estypes.QueryDslQueryContainer;

function typed(c: Clause, q: Query): Query {
  return c.types ? { bool: { filter: [{ terms: { type: [...c.types] } }, q] } } : q;
}

function clauseQuery(c: Clause): Query {
  switch (c.kind) {
    case 'exact':
      return { constant_score: { filter: typed(c, { terms: { [EXACT_FIELD_NAMES[c.field]]: c.values } }), boost: c.weight, _name: c.name } };
    case 'substitution':
    case 'fuzzy': {
      // Exact lookups of one-edit keys indexed from Node (as PostgreSQL does): a wildcard or fuzzy
      // query would walk the name field's whole term dictionary, tens of ms at district scale.
      const should: Query[] = [{ terms: { [c.field === 'name' ? 'name_typo' : 'pinyin_typo']: clauseTypoKeys(c.kind, c.value) } }];
      if (c.kind === 'fuzzy') should.push({ term: { [c.field]: c.value } });
      return { constant_score: { filter: typed(c, { bool: { should, minimum_should_match: 1 } }), boost: c.weight, _name: c.name } };
    }
    case 'prefix':
      return {
        constant_score: {
          filter: typed(c, { bool: { should: [{ prefix: { pinyin: c.value } }, { prefix: { pinyin_alt: c.value } }], minimum_should_match: 1 } }),
          boost: c.weight, _name: c.name,
        },
      };
    case 'phrase':
      return {
        constant_score: {
          filter: typed(c, { match_phrase: { [c.field === 'name' ? 'name.text' : 'address']: { query: normalizeName(c.value), analyzer: ZH } } }),
          boost: c.weight, _name: c.name,
        },
      };
    case 'text': {
      // weight × (tokens matched / tokens): the same arithmetic as PostgreSQL's, not BM25.
      const per = c.weight / c.tokens.length;
      const inner: Query = {
        bool: {
          should: c.tokens.map((t) => ({ constant_score: { filter: { term: { all_text: t } }, boost: per } })),
          minimum_should_match: c.minimumMatch,
        },
      };
      return c.types ? { bool: { must: [inner], filter: [{ terms: { type: [...c.types] } }], _name: c.name } } : { bool: { ...inner.bool, _name: c.name } };
    }
  }
}

function filtersOf(r: CheckedRequest): Query[] {
  const out: Query[] = [{ terms: { type: r.types } }];
  if (r.scope) {
    const should: Query[] = [];
    if (r.scope.gridIds.length > 0) should.push({ terms: { grid_id: r.scope.gridIds } });
    if (r.scope.streetIds.length > 0) should.push({ terms: { street_id: r.scope.streetIds } });
    out.push(should.length === 0 ? { match_none: {} } : { bool: { should, minimum_should_match: 1 } });
  }
  const f = r.filter;
  if (f.districtIds) out.push({ terms: { district_id: f.districtIds } });
  if (f.streetIds) out.push({ terms: { street_id: f.streetIds } });
  if (f.communityIds) out.push({ terms: { community_id: f.communityIds } });
  if (f.gridIds) out.push({ terms: { grid_id: f.gridIds } });
  if (f.tags) out.push({ terms: { tags: f.tags } });
  if (f.departments) out.push({ terms: { departments: f.departments } });
  const notCase: Query = { bool: { must_not: [{ term: { type: 'case' } }] } };
  if (f.caseStatuses) out.push({ bool: { should: [notCase, { terms: { status: f.caseStatuses } }], minimum_should_match: 1 } });
  if (f.caseCategories) out.push({ bool: { should: [notCase, { terms: { category: f.caseCategories } }], minimum_should_match: 1 } });
  if (r.casesOfDepartment) out.push({ bool: { should: [notCase, { term: { departments: r.casesOfDepartment } }], minimum_should_match: 1 } });
  if (f.near) out.push({ geo_distance: { distance: `${f.near.radiusMeters}m`, location: { lat: f.near.lat, lon: f.near.lng } } });
  return out;
}

/** A case worker waits for an answer, not for bulk-load timeouts: fail fast and say so. */
const SEARCH_REQUEST = { requestTimeout: 5000, maxRetries: 1 } as const;

export class ElasticsearchSearchBackend implements SearchBackend {
  readonly kind = 'elasticsearch' as const;
  readonly client: Client;
  readonly alias: string;
  readonly stateIndex: string;
  private readonly ownsClient: boolean;
  private readonly replicas: number;
  private context: SearchContext;

  constructor(options: ElasticsearchSearchOptions) {
    if (options.client) this.client = options.client;
    else if (options.node) this.client = new Client({ node: options.node, requestTimeout: 30_000, maxRetries: 2 });
    else throw new Error('ElasticsearchSearchBackend needs a node url or a client');
    this.ownsClient = !options.client;
    this.alias = options.indexPrefix ?? DEFAULT_INDEX_PREFIX;
    this.stateIndex = `${this.alias}-state`;
    this.replicas = options.replicas ?? 0;
    this.context = options.context;
  }

  setContext(context: SearchContext): void {
    this.context = context;
  }

  private indexName(generation: string): string {
    return `${this.alias}-v${ES_LAYOUT_VERSION}-${generation}`;
  }

  private async createIndex(name: string, withAlias: boolean, bulkLoad: boolean): Promise<void> {
    await this.client.indices.create({
      index: name,
      settings: {
        ...SETTINGS,
        number_of_shards: 1,
        number_of_replicas: bulkLoad ? 0 : this.replicas,
        ...(bulkLoad ? { refresh_interval: '-1' } : {}),
      },
      mappings: MAPPINGS,
      ...(withAlias ? { aliases: { [this.alias]: {} } } : {}),
    });
  }

  private async liveIndex(): Promise<string | null> {
    try {
      const r = await this.client.indices.getAlias({ name: this.alias });
      return Object.keys(r)[0] ?? null;
    } catch (err) {
      if (isStatus(err, 404)) return null;
      throw err;
    }
  }

  async ensureSchema(): Promise<BackendStatus> {
    try {
      await this.client.indices.create({
        index: this.stateIndex,
        settings: { number_of_shards: 1, number_of_replicas: this.replicas },
        mappings: { dynamic: false, properties: { generation: keyword, position: keyword } },
      });
    } catch (err) {
      if (!(err instanceof esErrors.ResponseError && /resource_already_exists/.test(JSON.stringify(err.body)))) throw err;
    }
    if ((await this.liveIndex()) === null) {
      const generation = Date.now().toString(36);
      try {
        await this.createIndex(this.indexName(generation), true, false);
        await this.client.index({ index: this.stateIndex, id: 'outbox', document: { ...INITIAL_STATE, generation }, refresh: true });
      } catch (err) {
        // Another hub made it at the same moment: theirs is as good.
        if (!(err instanceof esErrors.ResponseError && /resource_already_exists|invalid_alias_name/.test(JSON.stringify(err.body)))) throw err;
      }
    }
    return this.status();
  }

  async ping(): Promise<void> {
    if (!(await this.client.ping({}, { requestTimeout: 2000, maxRetries: 0 }))) throw new Error('Elasticsearch did not answer the ping');
  }

  async status(): Promise<BackendStatus> {
    const live = await this.liveIndex();
    if (live === null) return { kind: 'elasticsearch', generation: null, current: false, documents: 0 };
    const mapping = await this.client.indices.getMapping({ index: live });
    const meta = mapping[live]?.mappings._meta as { layout_version?: number } | undefined;
    const count = await this.client.count({ index: live });
    return { kind: 'elasticsearch', generation: live, current: meta?.layout_version === ES_LAYOUT_VERSION, documents: count.count };
  }

  private async readStateDoc(): Promise<{ state: IndexerState; seqNo: number; primaryTerm: number } | null> {
    try {
      const r = await this.client.get<IndexerState>({ index: this.stateIndex, id: 'outbox' });
      const s = r._source;
      if (!s || r._seq_no === undefined || r._primary_term === undefined) return null;
      return {
        state: { position: String(s.position), generation: String(s.generation ?? '') },
        seqNo: r._seq_no, primaryTerm: r._primary_term,
      };
    } catch (err) {
      if (isStatus(err, 404)) return null;
      throw err;
    }
  }

  async readState(): Promise<IndexerState> {
    return (await this.readStateDoc())?.state ?? { ...INITIAL_STATE };
  }

  async writeState(state: IndexerState, expected: IndexerState): Promise<boolean> {
    const current = await this.readStateDoc();
    if (!current && expected.generation === '' && expected.position === '0') {
      // No state yet (the state index was lost): the first writer creates it.
      try {
        await this.client.create({ index: this.stateIndex, id: 'outbox', document: state });
        return true;
      } catch (err) {
        if (isStatus(err, 409)) return false;
        throw err;
      }
    }
    if (!current || current.state.generation !== expected.generation || current.state.position !== expected.position) return false;
    try {
      await this.client.index({
        index: this.stateIndex, id: 'outbox', document: state, if_seq_no: current.seqNo, if_primary_term: current.primaryTerm,
      });
      return true;
    } catch (err) {
      if (isStatus(err, 409)) return false;
      throw err;
    }
  }

  private async bulk(index: string, operations: unknown[]): Promise<void> {
    if (operations.length === 0) return;
    const r = await this.client.bulk({ index, operations, refresh: false });
    if (!r.errors) return;
    const failed = r.items.map((i) => Object.values(i)[0]).filter((i) => i && i.error && i.status !== 404);
    if (failed.length > 0) {
      const first = failed[0];
      throw new Error(`Elasticsearch bulk: ${failed.length} of ${r.items.length} failed, first: ${JSON.stringify(first?.error)}`);
    }
  }

  private async indexInto(index: string, docs: readonly SearchDocument[]): Promise<void> {
    for (let i = 0; i < docs.length; i += 1000) {
      const ops: unknown[] = [];
      for (const d of docs.slice(i, i + 1000)) ops.push({ index: { _id: d.key } }, sourceOf(d));
      await this.bulk(index, ops);
    }
  }

  async index(docs: readonly SearchDocument[]): Promise<void> {
    await this.indexInto(this.alias, docs);
  }

  async remove(keys: readonly string[]): Promise<void> {
    await this.bulk(this.alias, keys.map((k) => ({ delete: { _id: k } })));
  }

  async refresh(): Promise<void> {
    await this.client.indices.refresh({ index: this.alias });
  }

  async beginRebuild(): Promise<RebuildTarget> {
    const generation = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
    const name = this.indexName(generation);
    await this.createIndex(name, false, true);
    return {
      generation: name,
      index: (docs) => this.indexInto(name, docs),
      commit: async (state) => {
        await this.client.indices.putSettings({ index: name, settings: { refresh_interval: '1s', number_of_replicas: this.replicas } });
        await this.client.indices.refresh({ index: name });
        const old = await this.liveIndex();
        await this.client.indices.updateAliases({
          actions: [...(old ? [{ remove: { index: old, alias: this.alias } }] : []), { add: { index: name, alias: this.alias } }],
        });
        await this.client.index({ index: this.stateIndex, id: 'outbox', document: { ...state, generation: name }, refresh: true });
        if (old) await this.client.indices.delete({ index: old }, { ignore: [404] });
      },
      abort: async () => {
        await this.client.indices.delete({ index: name }, { ignore: [404] });
      },
    };
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    const r = checkRequest(request);
    const plan = planQuery(r.query, this.context);
    let must: Query;
    if (plan.normalized.length === 0) must = { match_all: {} };
    else if (plan.clauses.length === 0) must = { match_none: {} };
    else must = { dis_max: { queries: plan.clauses.map(clauseQuery), tie_breaker: TIE_BREAKER } };
    const aggs: Record<string, estypes.AggregationsAggregationContainer> = {};
    if (r.facets) {
      const terms = (field: string) => ({ terms: { field, size: FACET_SIZE } });
      const department = r.departmentsVisible ? { terms: { field: 'departments', size: FACET_SIZE, include: r.departmentsVisible } } : terms('departments');
      Object.assign(aggs, {
        district: terms('district_id'), street: terms('street_id'), grid: terms('grid_id'), type: terms('type'), department,
        ...(r.tagsVisible ? { tag: terms('tags') } : {}),
      });
    }
    const res = await this.client.search<{ display: ReturnType<typeof displayOf> }>({
      index: this.alias,
      query: { bool: { filter: filtersOf(r), must: [must] } },
      sort: [{ _score: { order: 'desc' } }, { key: { order: 'asc' } }],
      ...(r.after ? { search_after: [r.after.score, r.after.key] } : {}),
      size: r.first + 1,
      track_total_hits: true,
      track_scores: true,
      _source: ['display', 'type', 'id'],
      ...(r.facets ? { aggs } : {}),
    }, SEARCH_REQUEST);
    const raw = res.hits.hits;
    const hits: SearchHit[] = raw.slice(0, r.first).map((h) => {
      const source = h._source as { display: ReturnType<typeof displayOf>; type: SearchType; id: string };
      const matched = new Set(Array.isArray(h.matched_queries) ? h.matched_queries : Object.keys(h.matched_queries ?? {}));
      const reasons: MatchReason[] = reasonsOf(plan, matched);
      const score = Number(h._score ?? h.sort?.[0] ?? 0);
      return {
        type: source.type, id: source.id, score, reasons, highlights: highlight(plan, reasons, source.display), title: source.display.title,
        subtitle: source.display.subtitle, cursor: encodeSearchCursor(score, String(h._id), r.fingerprint),
      };
    });
    let facets: SearchFacets | null = null;
    if (r.facets) {
      facets = emptyFacets();
      const a = (res.aggregations ?? {}) as Record<string, { buckets?: Array<{ key: string | number; doc_count: number }> }>;
      for (const k of Object.keys(facets) as Array<keyof SearchFacets>) {
        facets[k] = sortBuckets((a[k]?.buckets ?? []).map((b) => ({ value: String(b.key), count: b.doc_count })));
      }
    }
    const total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
    return { hits, totalCount: total, pageInfo: { hasNextPage: raw.length > r.first, endCursor: hits[hits.length - 1]?.cursor ?? null }, facets };
  }
}
