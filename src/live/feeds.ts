/**
 * Feeds: what puts messages into the groups. The event feeds follow `case_event` and
 * `change_event` (one tailer per log for the whole hub), execute each event once per group that
 * matches it and hand the message to the group's subscribers, and replay the log for a
 * subscriber that resumes. The dashboard feed recomputes counters after case notices (debounced)
 * and every minute, and pushes a message only when a counter changed.
 *
 * Resuming: `after: cursor` replays the log from the cursor to where this hub's tailer stood
 * when the subscriber joined, then continues live; events live delivery brings meanwhile wait in
 * a bounded queue behind the replay. Nothing is sent twice: a subscriber skips events at or
 * before its cursor (another hub instance may have been further along the log). A cursor older
 * than what retention kept (src/store/retention.ts prunes `change_event`) is refused, before the
 * replay and after every read of it, rather than replayed with a hole in it.
 */
import { GraphQLError, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { Viewer } from '../auth/viewer.js';
import { SafeError, databaseUnavailableError } from '../errors.js';
import { comparePositions, type LogPosition } from '../events/outbox.js';
import { isDatabaseUnavailable } from '../store/db.js';
import type { CaseLogEvent, EntityLogEvent, EventLogReader } from '../store/repositories/eventLog.js';
import type { DashboardModel } from '../store/repositories/dashboard.js';
import { LogTailer } from './tailer.js';
import { encodeCursor, type CaseEventMessageModel, type EntityChangeModel } from './messages.js';
import { NextMessage, type SocketWriter } from './socketWriter.js';
import {
  ENTITY_TYPE, canonical, type DashboardGroup, type EventGroup, type Group, type LiveContext, type LiveTarget, type Subscriber, type SubscriptionGroups,
} from './groups.js';

/** What the server lends the feeds to execute an event for a group: its context, masking, audit. */
export interface ExecutionHooks {
  /** A fresh context (data layer, loaders, read log) for one execution. */
  contextFor(viewer: Viewer, purpose: string | null): LiveContext;
  /** The result as the client may see it (errors masked). */
  format(result: ExecutionResult): ExecutionResult;
  /** After a message went to a subscriber: records the people it showed them, for the audit trail. */
  audit(target: LiveTarget, ctx: LiveContext, args: Pick<ExecutionArgs, 'document' | 'operationName'>): void;
}

export interface FeedOptions extends ExecutionHooks {
  groups: SubscriptionGroups;
  writer: SocketWriter;
  reader: EventLogReader;
  clock: Clock;
  log: Logger;
  /** Live messages queued behind a replay before the subscriber is closed as too slow. */
  maxPending: number;
  /** Most events a resume may replay; an older cursor is refused. */
  maxReplay: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Executes the group's operation with `root` as the subscription's root value: the serialized payload. */
async function run(o: FeedOptions, group: Group, root: CaseEventMessageModel | EntityChangeModel | DashboardModel, viewer: Viewer, purpose: string | null) {
  const ctx = o.contextFor(viewer, purpose);
  const result = await execute({ ...group.args, rootValue: { [group.field]: root }, contextValue: ctx });
  return { message: new NextMessage(JSON.stringify(o.format(result))), ctx, result };
}

/** Waits before each new try of an event's execution while the database does not answer (about 4 s in all). */
const UNAVAILABLE_BACKOFF_MS = [100, 250, 500, 1000, 2000];

/**
 * `run` for a log event, which a subscriber must never miss: while the database does not answer
 * (a restart, a lost connection) it tries again, and null means it still did not. The caller then
 * ends the subscriptions with a retryable error, so that each client resumes from the cursor it
 * holds, which is before this event. Sending the errored result instead would let the next
 * event's cursor carry the client past this one.
 */
async function runEvent(o: FeedOptions, group: Group, root: CaseEventMessageModel | EntityChangeModel, viewer: Viewer, purpose: string | null) {
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await run(o, group, root, viewer, purpose);
      if (!out.result.errors?.some((e) => isDatabaseUnavailable(e))) return out;
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
    }
    const wait = UNAVAILABLE_BACKOFF_MS[attempt];
    if (wait === undefined) return null;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** Hands a group's message to one subscriber: not at or before its cursor, behind its replay while that runs. */
function send(o: FeedOptions, s: Subscriber, position: LogPosition | null, message: NextMessage, ctx: LiveContext, group: Group): void {
  if (!group.subscribers.has(s)) return;
  if (position && s.floor && comparePositions(position, s.floor) <= 0) return;
  if (s.pending && position) {
    if (s.pending.length >= o.maxPending) {
      o.writer.slow(s.target.socket, `more than ${o.maxPending} messages waiting behind the replay`);
      return;
    }
    s.pending.push({ position, message });
    o.audit(s.target, ctx, group.args);
    return;
  }
  o.writer.write(s.target, message);
  o.audit(s.target, ctx, group.args);
}

/** A subscription that failed: the client sees its error (a GraphQLError as it is, anything else masked). */
function fail(o: FeedOptions, s: Subscriber, err: unknown, what: string): void {
  const unavailable = !(err instanceof GraphQLError) && isDatabaseUnavailable(err);
  const error = err instanceof GraphQLError ? err : unavailable ? databaseUnavailableError() : new Error('Internal server error');
  if (!(err instanceof GraphQLError)) o.log[unavailable ? 'warn' : 'error']({ err }, `live: ${what} failed`);
  s.held.end(error);
}

function messageOf(event: CaseLogEvent | EntityLogEvent): CaseEventMessageModel | EntityChangeModel {
  if ('event' in event) return { cursor: encodeCursor('case', event.position), event: event.event, caseId: event.case.id };
  return {
    cursor: encodeCursor('entity', event.position), entityType: ENTITY_TYPE[event.entityType], entityLogType: event.entityType,
    entityId: event.entityId, change: event.change === 'created' ? 'CREATED' : 'UPDATED', at: event.at, departmentId: event.departmentId,
  };
}

/** `caseEvents` and `entityChanged`: the two logs, followed once each for the whole hub. */
export class EventFeeds {
  readonly tailers: { case: LogTailer<CaseLogEvent>; entity: LogTailer<EntityLogEvent> };

  constructor(private readonly o: FeedOptions, onCaseEvents: () => void) {
    const { groups, reader, log } = o;
    this.tailers = {
      case: new LogTailer<CaseLogEvent>({
        name: 'case_event', log,
        head: () => reader.head('case'),
        read: (from, limit) => reader.caseEvents(from, limit),
        active: () => groups.any('caseEvents') || groups.any('dashboard'),
        deliver: (events) => {
          for (const g of groups.of('caseEvents')) this.enqueue(g, events);
          onCaseEvents();
        },
      }),
      entity: new LogTailer<EntityLogEvent>({
        name: 'change_event', log,
        head: () => reader.head('entity'),
        read: (from, limit) => reader.entityChanges(from, limit),
        active: () => groups.any('entityChanged'),
        deliver: (events) => {
          for (const g of groups.of('entityChanged')) this.enqueue(g, events);
        },
      }),
    };
  }

  async start(): Promise<void> {
    await Promise.all([this.tailers.case.start(), this.tailers.entity.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.tailers.case.stop(), this.tailers.entity.stop()]);
  }

  private enqueue<E extends CaseLogEvent | EntityLogEvent>(group: EventGroup, events: E[]): void {
    // Who gets this batch is decided now, in log order with joins: a later joiner starts after it.
    const audience = [...group.subscribers];
    const matching = events.filter((e) => (group.matches as (e: E) => boolean)(e));
    if (matching.length === 0) return;
    group.chain = group.chain.then(async () => {
      for (const event of matching) {
        // Let sockets flush and other groups run between events: an embedded store can answer
        // a whole batch without ever returning to the event loop.
        await yieldToEventLoop();
        try {
          const out = await runEvent(this.o, group, messageOf(event), group.viewer, group.purpose);
          if (!out) {
            this.o.log.warn({ field: group.field, subscribers: audience.length }, 'live: the database did not answer for an event; its subscribers are ended to resume from their cursors');
            for (const s of audience) if (group.subscribers.has(s)) s.held.end(databaseUnavailableError());
            continue;
          }
          for (const s of audience) send(this.o, s, event.position, out.message, out.ctx, group);
        } catch (err) {
          this.o.log.error({ err, field: group.field }, 'live: executing an event failed');
        }
      }
    });
  }

  /** Sends what the log holds after `cursor` up to where live delivery took over, then what waited behind. */
  async replay(group: EventGroup, s: Subscriber, cursor: LogPosition, through: LogPosition): Promise<void> {
    const { reader, writer, maxReplay } = this.o;
    const topic = group.field === 'caseEvents' ? 'case' : 'entity';
    // Rows after `from` are all there as long as nothing after it was pruned. Checked after each
    // read too: pruning that committed before a read is seen by the check that follows it.
    const assertKept = async (from: LogPosition) => {
      if (comparePositions(from, await reader.prunedThrough(topic)) < 0) {
        throw new SafeError('BAD_USER_INPUT', 'The cursor is older than the events this hub keeps; query the current state and subscribe without after.');
      }
    };
    try {
      let from = cursor;
      let replayed = 0;
      await assertKept(from);
      for (;;) {
        const read = group.field === 'caseEvents'
          ? await reader.caseEvents(from, 500, through)
          : await reader.entityChanges(from, 500, through);
        await assertKept(from);
        for (const event of read.events as Array<CaseLogEvent | EntityLogEvent>) {
          if (!(group.matches as (e: CaseLogEvent | EntityLogEvent) => boolean)(event)) continue;
          if (++replayed > maxReplay) {
            throw new SafeError('BAD_USER_INPUT', `The cursor is more than ${maxReplay} events old; query the current state and subscribe without after.`);
          }
          const out = await runEvent(this.o, group, messageOf(event), s.target.viewer, s.target.purpose);
          if (!group.subscribers.has(s)) return;
          if (!out) throw databaseUnavailableError();
          writer.write(s.target, out.message);
          this.o.audit(s.target, out.ctx, group.args);
        }
        if (read.end) from = read.end;
        // Rows up to `through` were settled when live delivery passed them; an unsettled one in front is a moment away.
        if (read.unsettled && comparePositions(from, through) < 0) await new Promise((resolve) => setTimeout(resolve, 20));
        else if (!read.more) break;
      }
      const pending = s.pending ?? [];
      s.pending = null;
      for (const p of pending) writer.write(s.target, p.message);
    } catch (err) {
      fail(this.o, s, err, 'replay');
    }
  }
}

/** `dashboard`: counters per area and scope, pushed when they change. */
export class DashboardFeed {
  private timer: NodeJS.Timeout | null = null;
  private refresh: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: FeedOptions, private readonly timing: { debounceMs: number; refreshMs: number }) {}

  start(): void {
    this.refresh = setInterval(() => this.schedule(), this.timing.refreshMs);
    this.refresh.unref();
  }

  /** The case log grew (or time passed): recompute soon, once for a burst. */
  schedule(): void {
    if (this.timer || this.stopped) return;
    if (!this.o.groups.any('dashboard')) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.running.then(async () => {
        // Counters are computed once per area and scope, whatever number of documents ask for them.
        const computed = new Map<string, Promise<DashboardModel>>();
        for (const g of [...this.o.groups.of('dashboard')]) {
          await this.recompute(g, computed, false).catch((err: unknown) => this.o.log.error({ err }, 'live: dashboard refresh failed'));
        }
      });
    }, this.timing.debounceMs);
  }

  /** A new subscriber gets the group's last message, or the first one computed now. */
  async first(group: DashboardGroup, s: Subscriber): Promise<void> {
    try {
      if (group.lastMessage === null) await this.recompute(group, new Map(), true);
      else this.o.writer.write(s.target, group.lastMessage);
    } catch (err) {
      fail(this.o, s, err, 'dashboard');
    }
  }

  private async recompute(group: DashboardGroup, computed: Map<string, Promise<DashboardModel>>, force: boolean): Promise<void> {
    const key = `${canonical(group.area)}\n${group.policy.scopeKey()}`;
    let counters = computed.get(key);
    if (!counters) {
      counters = this.o.contextFor(group.viewer, group.purpose).data.dashboard.counters(group.area, this.o.clock.now());
      computed.set(key, counters);
    }
    const model = await counters;
    // What the document shows but for `at`: counters it does not ask for (byGrid, say) never push it.
    const values = Object.entries(model).filter(([name]) => name !== 'at' && group.selected.has(name));
    const fingerprint = JSON.stringify(values);
    if (!force && fingerprint === group.lastCounters) return;
    const { message, ctx } = await run(this.o, group, model, group.viewer, group.purpose);
    group.lastCounters = fingerprint;
    group.lastMessage = message;
    for (const s of group.subscribers) send(this.o, s, null, message, ctx, group);
  }

  /** Stops scheduling at once; resolves when a recompute under way has finished. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.refresh) clearInterval(this.refresh);
    return this.running;
  }
}
