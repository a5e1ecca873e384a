/**
 * Keeps the index fresh from the store's durable outbox (`change_event`): reads the events after
 * the position the backend holds, re-reads the entities they touch from the canonical tables,
 * indexes them in bulk, and only then moves the position. When the backend is down nothing
 * moves, so nothing is lost: the next round starts where the last successful one ended.
 *
 * The outbox is read through src/events/outbox.ts in (tx, id) order, settled rows only, so a
 * slow ingest batch that commits after a later one is never passed over and no timeout guesses
 * when a missing id was rolled back. A notice's position (`notify`) is read up to before the
 * indexer rests: the round that was running when it came may have started before that commit.
 *
 * A rebuild fills a new generation from the canonical tables while the live index keeps serving
 * and keeps being updated; it records the outbox position first, commits the new generation with
 * that position (alias swap / table rename), and the indexer then replays what changed during
 * the rebuild. Positions are written compare-and-set, so a round that raced a rebuild starts over.
 *
 * The indexer registers as an outbox consumer (src/events/consumers.ts, `search:<backend>`) and
 * reports its position after each round that moved it, so retention never prunes an event it
 * has not applied. During a rebuild it reports no further than the position the new generation
 * starts from, which the replay after the swap reads from.
 */
import type { Knex } from 'knex';
import { LOG_START, comparePositions, createOutboxReader, decodePosition, encodePosition, laterOf, type LogPosition, type OutboxReader } from '../events/outbox.js';
import { createConsumerRegistry, type ConsumerRegistry } from '../events/consumers.js';
import type { SearchContext } from './context.js';
import { affectedDocuments, allDocuments, countEntities, documentKey, loadDocuments } from './documents.js';
import { SEARCH_TYPES, type IndexerState, type SearchBackend, type SearchType } from './types.js';


export interface IndexerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SearchIndexerOptions {
  knex: Knex;
  backend: SearchBackend;
  /** The context documents are built with (a function: the hub may reload it). */
  context: SearchContext | (() => SearchContext);
  /** Outbox events per round (default 1000). */
  batchSize?: number;
  /** Documents loaded and indexed per bulk request (default 500). */
  documentBatchSize?: number;
  logger?: IndexerLogger;
  now?: () => number;
  /**
   * Called before documents are built for a round with building, dwelling or address events:
   * new estates and buildings must be known to the address normaliser (loadSearchContext) before
   * their addresses are keyed, and before a case worker types them.
   */
  refreshContext?: () => Promise<void>;
  /** The name it registers under as an outbox consumer (default `search:<backend kind>`). */
  consumerName?: string;
}

export interface CatchUpResult {
  events: number;
  documents: number;
  removed: number;
  rounds: number;
  position: string;
}

export interface RebuildProgress {
  type: SearchType;
  /** Documents of this type written so far, and how many the table has. */
  done: number;
  total: number;
  /** Over every type. */
  documents: number;
  totalDocuments: number;
  elapsedMs: number;
}

export interface RebuildResult {
  generation: string;
  documents: number;
  byType: Record<SearchType, number>;
  elapsedMs: number;
  documentsPerSecond: number;
  /** The outbox position the new generation starts from. */
  position: string;
  /** Events replayed after the swap. */
  replayed: number;
}


const PLACE_TYPES: ReadonlySet<string> = new Set(['building', 'dwelling', 'address']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SearchIndexer {
  private readonly knex: Knex;
  private readonly backend: SearchBackend;
  private readonly contextOf: () => SearchContext;
  private readonly batchSize: number;
  private readonly documentBatchSize: number;
  private readonly outbox: OutboxReader;
  /** The furthest position a notice announced: the loop does not rest before it has applied it. */
  private announced: LogPosition = LOG_START;
  private readonly logger: IndexerLogger | undefined;
  private readonly now: () => number;
  private readonly refreshContext: (() => Promise<void>) | undefined;
  private running: Promise<CatchUpResult> | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly consumers: ConsumerRegistry;
  private readonly consumerName: string;
  /** The position last reported to the consumer registry (text form); null: report at the next chance. */
  private reported: string | null = null;
  /** While a rebuild runs: the position its generation starts from, which the registry is never told past. */
  private rebuildFloor: LogPosition | null = null;

  constructor(options: SearchIndexerOptions) {
    this.knex = options.knex;
    this.backend = options.backend;
    const ctx = options.context;
    this.contextOf = typeof ctx === 'function' ? ctx : () => ctx;
    this.batchSize = options.batchSize ?? 1000;
    this.documentBatchSize = options.documentBatchSize ?? 500;
    this.outbox = createOutboxReader(options.knex);
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.refreshContext = options.refreshContext;
    this.consumers = createConsumerRegistry(options.knex);
    this.consumerName = options.consumerName ?? `search:${options.backend.kind}`;
  }

  /** Tells the consumer registry where this indexer stands (at most the rebuild floor); once per position. */
  private async report(position: string): Promise<void> {
    let at = decodePosition(position);
    if (!at) return;
    if (this.rebuildFloor && comparePositions(this.rebuildFloor, at) < 0) at = this.rebuildFloor;
    const text = encodePosition(at);
    if (text === this.reported) return;
    await this.consumers.report('change_event', this.consumerName, at);
    this.reported = text;
  }

  /**
   * Makes the backend ready: schema, and a full rebuild when the live index is of an older
   * layout or has never been filled (the store may hold rows written before the index existed,
   * whose outbox rows were pruned long ago).
   */
  async prepare(options: { onProgress?: (p: RebuildProgress) => void } = {}): Promise<{ rebuilt: RebuildResult | null }> {
    const status = await this.backend.ensureSchema();
    const state = await this.backend.readState();
    // A position from before (tx, id) positions places nothing: rebuild rather than guess.
    if (!status.current || (status.documents === 0 && state.position === '0') || decodePosition(state.position) === null) {
      return { rebuilt: await this.rebuild(options) };
    }
    await this.report(state.position);
    return { rebuilt: null };
  }

  /** Applies every outbox event after the saved position; one call at a time per indexer. */
  catchUp(): Promise<CatchUpResult> {
    if (this.running) return this.running;
    const run = this.drain().finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async drain(): Promise<CatchUpResult> {
    const result: CatchUpResult = { events: 0, documents: 0, removed: 0, rounds: 0, position: '0' };
    let lostRaces = 0;
    for (;;) {
      const round = await this.round();
      lostRaces = round.lostRace ? lostRaces + 1 : 0;
      if (lostRaces > 20) throw new Error('search indexer: the saved position keeps moving under this indexer (another indexer running flat out?)');
      result.rounds++;
      result.events += round.events;
      result.documents += round.documents;
      result.removed += round.removed;
      result.position = round.position;
      if (!round.more) break;
    }
    await this.backend.refresh();
    return result;
  }

  private async round(): Promise<{ events: number; documents: number; removed: number; position: string; more: boolean; lostRace?: boolean }> {
    const state = await this.backend.readState();
    // An unreadable position (only an index saved before positions were (tx, id)) replays from the start: indexing is idempotent.
    const from = decodePosition(state.position) ?? LOG_START;
    const read = await this.outbox.read('change_event', {
      from, limit: this.batchSize, shape: (q) => {
        q.select('change_event.entity_type', 'change_event.entity_id');
      },
    });
    const rows = read.rows;

    let documents = 0;
    let removed = 0;
    if (rows.length > 0) {
      const changes = rows.map((r) => ({ entityType: String(r.entity_type), entityId: String(r.entity_id) }));
      if (this.refreshContext && changes.some((c) => PLACE_TYPES.has(c.entityType))) await this.refreshContext();
      const counts = await this.apply(await affectedDocuments(this.knex, changes));
      documents = counts.documents;
      removed = counts.removed;
    }
    const nextState: IndexerState = { position: read.end ? encodePosition(read.end) : state.position, generation: state.generation };
    if (nextState.position !== state.position && !(await this.backend.writeState(nextState, state))) {
      // A rebuild committed (or another indexer moved on) meanwhile: start over from its position.
      this.logger?.info({ position: state.position }, 'search indexer: position moved by someone else; reading again');
      return { events: 0, documents, removed, position: state.position, more: true, lostRace: true };
    }
    // After the state is saved: the registry never holds a position the index has not reached.
    await this.report(nextState.position);
    return { events: rows.length, documents, removed, position: nextState.position, more: read.more };
  }

  /** Loads and indexes the documents, removes those whose entity is gone. */
  private async apply(affected: Map<SearchType, Set<string>>): Promise<{ documents: number; removed: number }> {
    let documents = 0;
    let removed = 0;
    for (const [type, idSet] of affected) {
      const ids = [...idSet];
      for (let i = 0; i < ids.length; i += this.documentBatchSize) {
        const chunk = ids.slice(i, i + this.documentBatchSize);
        const docs = await loadDocuments(this.knex, this.contextOf(), type, { ids: chunk });
        await this.backend.index(docs);
        const found = new Set(docs.map((d) => d.id));
        const gone = chunk.filter((id) => !found.has(id)).map((id) => documentKey(type, id));
        await this.backend.remove(gone);
        documents += docs.length;
        removed += gone.length;
      }
    }
    return { documents, removed };
  }

  /**
   * Polls the outbox every intervalMs (sooner after notify()); backs off up to 30 s while the
   * backend is down. After a notice it reads again within milliseconds until it has applied the
   * position the notice announced (rows in front of it may wait for older transactions to end).
   */
  start(options: { intervalMs?: number } = {}): void {
    if (this.loop) return;
    const interval = options.intervalMs ?? 1000;
    this.stopping = false;
    this.loop = (async () => {
      let failures = 0;
      let behind = 0;
      while (!this.stopping) {
        let wait = interval;
        try {
          const heard = this.announced;
          const done = await this.catchUp();
          if (failures > 0) this.logger?.info({ failures }, 'search indexer: backend reachable again, caught up');
          failures = 0;
          const at = decodePosition(done.position) ?? LOG_START;
          if (comparePositions(at, this.announced) >= 0) behind = 0;
          else if (this.announced !== heard) wait = 0; // announced while that round ran: it may not have seen it
          else if ((await this.outbox.pending('change_event', at)) === 0) {
            // Nothing at all is left after the position: the announced row is gone.
            this.announced = at;
            behind = 0;
          } else wait = Math.min(interval, 10 * 2 ** Math.min(behind++, 7));
        } catch (err) {
          failures++;
          wait = Math.min(30_000, interval * 2 ** Math.min(failures, 5));
          this.logger?.warn({ err: (err as Error).message, failures, retryInMs: wait }, 'search indexer: round failed; position kept');
        }
        if (this.stopping) break;
        if (wait === 0) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    })();
  }

  /** Starts the next round now (the store just committed a batch, whose last row is at `position` when the notice said). */
  notify(position: string | null = null): void {
    const at = position === null ? null : decodePosition(position);
    if (at) this.announced = laterOf(this.announced, at);
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = null;
    await this.running?.catch(() => undefined);
  }

  /** Events not yet applied (for a metric or a health check). */
  async lag(): Promise<{ position: string; latest: string; pending: number }> {
    const state = await this.backend.readState();
    const from = decodePosition(state.position) ?? LOG_START;
    const [pending, head] = await Promise.all([this.outbox.pending('change_event', from), this.outbox.head('change_event')]);
    return { position: state.position, latest: encodePosition(laterOf(head, from)), pending };
  }

  /**
   * A full rebuild into a new generation while the live one keeps serving, then an atomic swap
   * and a replay of what changed meanwhile. onProgress is called after every bulk write.
   */
  async rebuild(options: { onProgress?: (p: RebuildProgress) => void; pageSize?: number } = {}): Promise<RebuildResult> {
    const started = this.now();
    await this.refreshContext?.();
    // Every settled event is in the tables read below; whatever settles later sorts after this and is replayed.
    const head = await this.outbox.head('change_event');
    const position = encodePosition(head);
    // Until the replay after the swap has run, retention must keep what follows `head`.
    this.rebuildFloor = head;
    try {
      await this.report((await this.backend.readState()).position);
    } catch (err) {
      this.rebuildFloor = null;
      throw err;
    }

    const totals = {} as Record<SearchType, number>;
    for (const type of SEARCH_TYPES) totals[type] = await countEntities(this.knex, type);
    const totalDocuments = SEARCH_TYPES.reduce((s, t) => s + totals[t], 0);
    const byType = { person: 0, building: 0, enterprise: 0, case: 0 } as Record<SearchType, number>;
    let documents = 0;

    const target = await this.backend.beginRebuild();
    try {
      // Two stages in flight: the next page is read from the store while the last one is written.
      let writing: Promise<void> | null = null;
      for (const type of SEARCH_TYPES) {
        for await (const page of allDocuments(this.knex, this.contextOf(), type, options.pageSize ?? this.documentBatchSize)) {
          if (writing) await writing;
          writing = target.index(page).then(() => {
            byType[type] += page.length;
            documents += page.length;
            options.onProgress?.({ type, done: byType[type], total: Math.max(totals[type], byType[type]), documents, totalDocuments: Math.max(totalDocuments, documents), elapsedMs: this.now() - started });
          });
        }
      }
      if (writing) await writing;
      await target.commit({ position, generation: target.generation });
    } catch (err) {
      this.rebuildFloor = null;
      await target.abort().catch(() => undefined);
      throw err;
    }
    const loadedMs = Math.max(1, this.now() - started);
    this.logger?.info({ generation: target.generation, documents, ms: loadedMs }, 'search index rebuilt');
    let replayed = 0;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          replayed = (await this.catchUp()).events;
          break;
        } catch (err) {
          if (attempt >= 2) throw err;
          await sleep(500);
        }
      }
    } finally {
      this.rebuildFloor = null;
      this.reported = null;
    }
    await this.report((await this.backend.readState()).position).catch((err: unknown) => {
      this.logger?.warn({ err: (err as Error).message }, 'search indexer: could not report its position for retention; the next round will');
    });
    const elapsedMs = Math.max(1, this.now() - started);
    return {
      generation: target.generation, documents, byType, elapsedMs, documentsPerSecond: Math.round((documents * 1000) / loadedMs),
      position, replayed,
    };
  }
}
