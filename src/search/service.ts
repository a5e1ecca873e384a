/**
 * Search as a hub process runs it: the backend the configuration selects, and an indexer that
 * follows the store's outbox. The hub serves searches from the start; while the first (or a
 * layout-change) rebuild runs, searches see the index as it was.
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { loadSearchContext, type SearchContext } from './context.js';
import { createSearchBackend } from './index.js';
import { SearchIndexer, type RebuildProgress } from './indexer.js';
import type { SearchBackend } from './types.js';

export interface SearchServiceOptions {
  /** Serves searches: the request pool. */
  knex: Knex;
  /** The indexer follows the outbox on it: the background pool; absent: `knex`. */
  background?: Knex;
  /** Config ELASTICSEARCH_URL: Elasticsearch when set, else PostgreSQL in the store's own database. */
  elasticsearchUrl?: string | undefined;
  log: Logger;
  /** How often the indexer looks at the outbox when nothing wakes it (ms). */
  intervalMs?: number;
}

export interface SearchService {
  readonly backend: SearchBackend;
  readonly indexer: SearchIndexer;
  /** Settles when the index is prepared (rebuilt if it had to be) and followed. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/** The area tree and address normaliser, and a way to reload them when new places arrive. */
export async function searchEngine(knex: Knex, elasticsearchUrl: string | undefined, log?: Logger, background: Knex = knex): Promise<{ backend: SearchBackend; indexer: SearchIndexer }> {
  let context: SearchContext = await loadSearchContext(knex);
  const backend = createSearchBackend({ knex, background, context, elasticsearchUrl });
  const indexer = new SearchIndexer({
    knex: background,
    backend,
    context: () => context,
    refreshContext: async () => {
      context = await loadSearchContext(background);
      backend.setContext(context);
    },
    ...(log ? { logger: log } : {}),
  });
  return { backend, indexer };
}

const PREPARE_RETRY_MAX_MS = 30_000;

export async function startSearch({ knex, background, elasticsearchUrl, log, intervalMs = 1000 }: SearchServiceOptions): Promise<SearchService> {
  const searchLog = log.child({ component: 'search' });
  const { backend, indexer } = await searchEngine(knex, elasticsearchUrl, searchLog, background);
  let stopped = false;
  let lastLogged = 0;
  const onProgress = (p: RebuildProgress) => {
    if (Date.now() - lastLogged < 5000 && p.documents < p.totalDocuments) return;
    lastLogged = Date.now();
    searchLog.info({ documents: p.documents, total: p.totalDocuments, type: p.type }, 'search index rebuild progress');
  };

  // The engine may come up after the hub (a cluster restarting): keep trying, without holding up the hub.
  const ready = (async () => {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        const { rebuilt } = await indexer.prepare({ onProgress });
        if (rebuilt) {
          searchLog.info({ documents: rebuilt.documents, elapsedMs: rebuilt.elapsedMs, generation: rebuilt.generation }, 'search index rebuilt');
        }
        break;
      } catch (err) {
        const wait = Math.min(PREPARE_RETRY_MAX_MS, 1000 * 2 ** Math.min(attempt, 5));
        searchLog.warn({ err: (err as Error).message, backend: backend.kind, attempt, retryInMs: wait },
          `search backend not ready; searches fail until it is${backend.kind === 'elasticsearch' ? ' (check ELASTICSEARCH_URL)' : ''}`);
        await new Promise((resolve) => setTimeout(resolve, wait).unref());
      }
    }
    if (!stopped) indexer.start({ intervalMs });
  })();

  return {
    backend,
    indexer,
    ready,
    async stop() {
      stopped = true;
      await indexer.stop();
      await backend.close();
    },
  };
}

/** `liandong_search_index_lag_events`: outbox events the index has not applied yet, read at scrape time. */
export function registerSearchMetrics(registry: Registry, indexer: SearchIndexer): void {
  new Gauge({
    name: 'liandong_search_index_lag_events',
    help: 'Canonical changes (outbox events) not yet applied to the search index',
    registers: [registry],
    async collect() {
      this.set((await indexer.lag()).pending);
    },
  });
}
