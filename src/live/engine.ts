/**
 * The delivery engine behind `caseEvents`, `entityChanged` and `dashboard`: it wires the three
 * jobs together and is all the server sees of them.
 *
 * - Subscription groups (groups.ts): who is subscribed to what; subscriptions that would produce
 *   the same bytes share one execution per event.
 * - Feeds (feeds.ts): the log tailers, execution per group, replay for a resuming subscriber,
 *   and the dashboards.
 * - The socket writer (socketWriter.ts): one framed write per socket, and 4429 for a socket
 *   that cannot keep up.
 *
 * graphql-ws still owns the protocol (connect, subscribe, complete); frames of `next` are
 * written by the socket writer, since graphql-ws's own path would serialize once per subscriber
 * and `ws` would frame once per socket.
 */
import { GraphQLError, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus.js';
import { decodePosition } from '../events/outbox.js';
import type { Clock } from '../domain/clock.js';
import type { Viewer } from '../auth/viewer.js';
import { createEventLogReader } from '../store/repositories/eventLog.js';
import { DashboardFeed, EventFeeds, type ExecutionHooks } from './feeds.js';
import { SubscriptionGroups, TOPIC_OF, type HeldIterator, type LiveContext, type LiveExecutionArgs, type LiveTarget } from './groups.js';
import { SocketWriter } from './socketWriter.js';

export { SLOW_CONSUMER_CODE, textFrame } from './socketWriter.js';
export type { HeldIterator, LiveExecutionArgs, LiveTarget } from './groups.js';

export interface LiveOptions {
  /** Unsent bytes a socket may hold before it is closed as a slow consumer (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Live messages queued behind a replay before the subscriber is closed as too slow (default 10,000). */
  maxPendingMessages?: number;
  /** Most events a resume may replay; an older cursor is refused (default 10,000). */
  maxReplay?: number;
  /** Dashboards are recomputed this long after the first case notice of a burst (default 100 ms). */
  dashboardDebounceMs?: number;
  /** And this often regardless, since deadlines pass and days end without events (default 60 s). */
  dashboardRefreshMs?: number;
  /**
   * 'per-subscriber' executes and serializes every event for every subscriber, as a plain
   * graphql-ws server does: only for measuring what sharing saves (bench/subscribers.ts).
   */
  execution?: 'shared' | 'per-subscriber';
}

export interface LiveEngineOptions extends LiveOptions, ExecutionHooks {
  schema: GraphQLSchema;
  knex: Knex;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  onSlowConsumer?: () => void;
}

export class LiveEngine {
  private readonly groups: SubscriptionGroups;
  private readonly feeds: EventFeeds;
  private readonly dashboards: DashboardFeed;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly options: LiveEngineOptions) {
    this.groups = new SubscriptionGroups({
      execution: options.execution,
      areaLevel: async (target, id) => (await options.contextFor(target.viewer, target.purpose).data.places.area(id))?.level ?? null,
    });
    const writer = new SocketWriter({
      maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
      log: options.log,
      onClosed: (socket) => this.groups.endSocket(socket),
      onSlowConsumer: options.onSlowConsumer,
    });
    const feedOptions = {
      groups: this.groups, writer, reader: createEventLogReader(options.knex), clock: options.clock, log: options.log,
      contextFor: (viewer: Viewer, purpose: string | null) => options.contextFor(viewer, purpose),
      format: (result: ExecutionResult) => options.format(result),
      audit: (target: LiveTarget, ctx: LiveContext, args: Pick<ExecutionArgs, 'document' | 'operationName'>) => options.audit(target, ctx, args),
      maxPending: options.maxPendingMessages ?? 10_000, maxReplay: options.maxReplay ?? 10_000,
    };
    this.dashboards = new DashboardFeed(feedOptions, { debounceMs: options.dashboardDebounceMs ?? 100, refreshMs: options.dashboardRefreshMs ?? 60_000 });
    this.feeds = new EventFeeds(feedOptions, () => this.dashboards.schedule());
  }

  async start(): Promise<void> {
    await this.feeds.start();
    const { tailers } = this.feeds;
    this.unsubscribe.push(
      this.options.bus.subscribe('case', (n) => tailers.case.wake(decodePosition(n.position))),
      this.options.bus.subscribe('entity', (n) => tailers.entity.wake(decodePosition(n.position))),
    );
    this.dashboards.start();
  }

  /** Subscribers and groups now (a group shares one execution per event). */
  stats(): { subscribers: number; groups: number } {
    return this.groups.stats();
  }

  /** graphql-ws's `subscribe`: joins the subscription to its group, or answers with the errors why not. */
  async subscribe(args: LiveExecutionArgs): Promise<HeldIterator | ExecutionResult> {
    try {
      const { tailers } = this.feeds;
      const { group, subscriber, held, cursor, joinedAt } = await this.groups.join(args, (topic) => tailers[topic].position);
      tailers[TOPIC_OF[group.field]].wake();
      if (group.field === 'dashboard') void this.dashboards.first(group, subscriber);
      else if (cursor) void this.feeds.replay(group, subscriber, cursor, joinedAt);
      return held;
    } catch (err) {
      if (err instanceof GraphQLError) return { errors: [err] };
      throw err;
    }
  }

  /** Ends every subscription (clients see them complete) and stops reading the logs. */
  async stop(): Promise<void> {
    for (const u of this.unsubscribe) u();
    const dashboardsStopped = this.dashboards.stop();
    await this.feeds.stop();
    for (const g of this.groups.all()) {
      await g.chain;
      for (const s of [...g.subscribers]) s.held.end();
    }
    await dashboardsStopped;
  }
}
