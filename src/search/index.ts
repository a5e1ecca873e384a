/**
 * Search over people, buildings (addresses), enterprises and cases: one interface, two backends.
 *
 *   const context = await loadSearchContext(knex);
 *   const backend = createSearchBackend({ knex, context, elasticsearchUrl: config.ELASTICSEARCH_URL });
 *   const indexer = new SearchIndexer({ knex, backend, context });
 *   await indexer.prepare();          // schema; a full rebuild when the index is new or of an old layout
 *   indexer.start();                  // follows the outbox (change_event)
 *   await backend.search({ query: '王春雷', scope: 'district' });
 *
 * See docs/search.md.
 */
import type { Knex } from 'knex';
import type { SearchContext } from './context.js';
import { ElasticsearchSearchBackend } from './elasticsearch.js';
import { PostgresSearchBackend } from './postgres.js';
import type { SearchBackend } from './types.js';

export * from './types.js';
export { loadSearchContext, SearchContext } from './context.js';
export { SearchIndexer, type RebuildProgress, type RebuildResult, type CatchUpResult, type IndexerLogger } from './indexer.js';
export { PostgresSearchBackend, PG_LAYOUT_VERSION } from './postgres.js';
export { ElasticsearchSearchBackend, ES_LAYOUT_VERSION, DEFAULT_INDEX_PREFIX } from './elasticsearch.js';
export { loadDocuments, allDocuments, affectedDocuments, documentKey, parseDocumentKey } from './documents.js';

export interface SearchBackendOptions {
  /** Searches: the request pool. */
  knex: Knex;
  /** The PostgreSQL index's upkeep, which the indexer drives: the background pool; absent: `knex`. */
  background?: Knex;
  context: SearchContext;
  /** When set (config ELASTICSEARCH_URL), Elasticsearch; else PostgreSQL in the store's own database. */
  elasticsearchUrl?: string | undefined;
  indexPrefix?: string;
}

export function createSearchBackend(options: SearchBackendOptions): SearchBackend {
  if (options.elasticsearchUrl) {
    return new ElasticsearchSearchBackend({
      node: options.elasticsearchUrl, context: options.context, ...(options.indexPrefix ? { indexPrefix: options.indexPrefix } : {}),
    });
  }
  return new PostgresSearchBackend({ knex: options.knex, ...(options.background ? { background: options.background } : {}), context: options.context });
}
