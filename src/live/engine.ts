/**
 * The delivery engine behind `caseEvents`, `entityChanged` and `dashboard`.
 *
 * - One tailer per log reads each new event once for the whole hub (src/live/tailer.ts).
 * - Subscriptions that would produce the same bytes form a group: the same operation text,
 *   the same variables (but for the resume cursor) and the same Policy.scopeKey(). An event is
 *   executed once per group, with a fresh data layer, serialized once, and framed once (the
 *   complete WebSocket frame, per subscription id): each socket of the group then costs one
 *   write of the same bytes. graphql-ws still owns the protocol (connect, subscribe, complete);
 *   frames of `next` are written here, since its own path would serialize once per subscriber
 *   and `ws` would frame once per socket.
 * - A socket whose unsent backlog passes `maxBufferedBytes` is closed (4429, "slow consumer")
 *   instead of being waited for: writes never block, so one slow socket delays nobody.
 * - `after: cursor` replays the log from the cursor to where this hub's tailer stood when the
 *   subscriber joined, then continues live; events live delivery brings meanwhile wait in a
 *   bounded queue behind the replay. Nothing is sent twice: a subscriber skips events at or
 *   before its cursor (another hub instance may have been further along the log).
 */
import {
  GraphQLError, Kind, execute, getArgumentValues, getOperationAST, print, type DocumentNode, type ExecutionArgs, type ExecutionResult,
  type FieldNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { EventBus, Topic } from '../events/bus.js';
import { decodePosition } from '../events/outbox.js';
import type { Clock } from '../domain/clock.js';
import type { Viewer } from '../auth/viewer.js';
import type { RequestContext } from '../server/context.js';
import type { CaseEventFilter, EntityChangeFilter, EntityType } from '../generated/graphql.js';
import { Policy, type DataKind } from '../store/policy.js';
import { SafeError } from '../errors.js';
import {
  comparePositions, createEventLogReader, type CaseLogEvent, type EntityLogEvent, type EntityLogType, type EventLogReader, type LogPosition,
} from '../store/repositories/eventLog.js';
import type { DashboardModel } from '../store/repositories/dashboard.js';
import type { AreaIdsFilter } from '../store/filters.js';
import { areaFilter } from '../resolvers/base.js';
import { fromGlobalId } from '../resolvers/globalId.js';
import { LogTailer } from './tailer.js';
import { decodeCursor, encodeCursor, type CaseEventMessageModel, type EntityChangeModel } from './messages.js';

/** Who a subscription's messages go to: one graphql-ws subscription on one socket. */
export interface LiveTarget {
  socket: WebSocket;
  /** The graphql-ws subscription id. */
  id: string;
  viewer: Viewer;
  purpose: string | null;
}

/** ExecutionArgs as the hub's onSubscribe returns them for a WebSocket subscription. */
export type LiveExecutionArgs = ExecutionArgs & { live: LiveTarget };

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

export interface LiveEngineOptions extends LiveOptions {
  schema: GraphQLSchema;
  knex: Knex;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  /** A fresh context (data layer, loaders, read log) for one execution. */
  contextFor(viewer: Viewer, purpose: string | null): RequestContext;
  /** The result as the client may see it (errors masked). */
  format(result: ExecutionResult): ExecutionResult;
  /** After a message went to a subscriber: records the people it showed them, for the audit trail. */
  audit(target: LiveTarget, ctx: RequestContext, args: Pick<ExecutionArgs, 'document' | 'operationName'>): void;
  onSlowConsumer?: () => void;
}

export const SLOW_CONSUMER_CODE = 4429;

type Field = 'caseEvents' | 'entityChanged' | 'dashboard';
const TOPIC_OF: Record<Field, Topic> = { caseEvents: 'case', entityChanged: 'entity', dashboard: 'case' };

interface Subscriber {
  target: LiveTarget;
  /** Events at or before this were sent already (the resume cursor). */
  floor: LogPosition | null;
  /** While a replay runs: live messages waiting behind it. */
  pending: Array<{ position: LogPosition; message: NextMessage }> | null;
  held: HeldOpen;
}

interface GroupBase {
  key: string;
  args: { schema: GraphQLSchema; document: DocumentNode; operationName: string | null | undefined; variableValues: ExecutionArgs['variableValues'] };
  /** The first subscriber's: every member has the same scope key, so the Policy decides alike for all. */
  viewer: Viewer;
  purpose: string | null;
  policy: Policy;
  subscribers: Set<Subscriber>;
  /** Batches are executed one after another per group, so each subscriber sees log order. */
  chain: Promise<void>;
}
interface CaseGroup extends GroupBase { field: 'caseEvents'; matches(e: CaseLogEvent): boolean }
interface EntityGroup extends GroupBase { field: 'entityChanged'; matches(e: EntityLogEvent): boolean }
interface DashboardGroup extends GroupBase {
  field: 'dashboard';
  area: { ids: AreaIdsFilter | null; areaId: string | null; gridId: string | null };
  /** The counters last pushed (without `at`), and the message they made. */
  lastCounters: string | null;
  lastMessage: NextMessage | null;
}
type Group = CaseGroup | EntityGroup | DashboardGroup;

/** The single root field of a subscription (validation allows exactly one), through fragments. */
function rootField(document: DocumentNode, operation: OperationDefinitionNode): FieldNode | null {
  const visit = (set: SelectionSetNode): FieldNode | null => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD && !s.name.value.startsWith('__')) return s;
      if (s.kind === Kind.INLINE_FRAGMENT) return visit(s.selectionSet);
      if (s.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === s.name.value);
        if (fragment?.kind === Kind.FRAGMENT_DEFINITION) return visit(fragment.selectionSet);
      }
    }
    return null;
  };
  return visit(operation.selectionSet);
}

const printed = new WeakMap<DocumentNode, string>();
/** The document's canonical text; subscribers share documents (src/live/documents.ts), so it is printed once. */
function printedText(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) printed.set(document, (text = print(document)));
  return text;
}

/** JSON with sorted keys: equal variables, equal keys. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const inArea = (row: { districtId: string | null; streetId: string | null; communityId: string | null; gridId: string | null }, area: AreaIdsFilter | null) =>
  !area || ((!area.districtId || row.districtId === area.districtId) && (!area.streetId || row.streetId === area.streetId)
    && (!area.communityId || row.communityId === area.communityId) && (!area.gridId || row.gridId === area.gridId));

const ENTITY_KIND: Record<EntityLogType, DataKind> = { person: 'person', building: 'place', enterprise: 'enterprise' };
const ENTITY_TYPE: Record<EntityLogType, EntityType> = { person: 'PERSON', building: 'BUILDING', enterprise: 'ENTERPRISE' };

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What graphql-ws holds for a live subscription: it `return()`s it when the client completes or leaves. */
export interface HeldIterator extends AsyncIterable<never> {
  next(): Promise<IteratorResult<never, void>>;
  return(): Promise<IteratorResult<never, void>>;
  throw(error: unknown): Promise<IteratorResult<never, void>>;
}

/**
 * An async iterator graphql-ws can hold and `return()`: it yields nothing, the engine writes the
 * frames. A class, not closures: tens of thousands are alive at once.
 */
class HeldOpen implements HeldIterator {
  private ended = false;
  private error: Error | null = null;
  private settle: ((r: IteratorResult<never, void>) => void) | null = null;
  private fail: ((e: Error) => void) | null = null;

  constructor(private readonly onEnd: () => void) {}

  end(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    if (err) {
      this.error = err;
      this.fail?.(err);
    } else {
      this.settle?.({ done: true, value: undefined });
    }
  }

  next(): Promise<IteratorResult<never, void>> {
    return new Promise<IteratorResult<never, void>>((resolve, reject) => {
      if (this.error) reject(this.error);
      else if (this.ended) resolve({ done: true, value: undefined });
      else {
        this.settle = resolve;
        this.fail = reject;
      }
    });
  }

  async return(): Promise<IteratorResult<never, void>> {
    this.end();
    return { done: true, value: undefined };
  }

  async throw(err: unknown): Promise<IteratorResult<never, void>> {
    this.end();
    throw err;
  }

  [Symbol.asyncIterator](): HeldIterator {
    return this;
  }
}

/** The parts of a `ws` WebSocket the engine writes through (private to `ws`; checked before use). */
interface WsInternals {
  _socket?: { write(chunk: Buffer): boolean } | null;
  _sender?: { _queue?: unknown[]; _state?: number } | null;
}

/**
 * The underlying TCP stream of a socket whose sender holds nothing back, or null. Frames written
 * there go out in order with ws's own (it writes synchronously whenever its queue is empty,
 * which without per-message compression it always is); otherwise `ws.send` keeps the order.
 */
function directStream(socket: WebSocket): { write(chunk: Buffer): boolean } | null {
  const { _socket: stream, _sender: sender } = socket as unknown as WsInternals;
  if (!stream || typeof stream.write !== 'function' || !sender || !Array.isArray(sender._queue)) return null;
  return sender._queue.length === 0 && (sender._state ?? 0) === 0 ? stream : null;
}

/**
 * A complete unmasked WebSocket text frame (RFC 6455 §5.2): header and payload in one buffer, so
 * that a socket gets the message in one write. Built once per message, written to every socket.
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81; // FIN, text
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.write(text, header, 'utf8');
  return frame;
}

/** The `next` message of subscription `id` and its frame, made on first use and then shared. */
class NextMessage {
  private readonly frames = new Map<string, { text: string; frame: Buffer }>();

  constructor(readonly payload: string) {}

  of(id: string): { text: string; frame: Buffer } {
    let message = this.frames.get(id);
    if (!message) {
      const text = `{"id":${JSON.stringify(id)},"type":"next","payload":${this.payload}}`;
      message = { text, frame: textFrame(text) };
      this.frames.set(id, message);
    }
    return message;
  }
}

export class LiveEngine {
  private readonly reader: EventLogReader;
  private readonly groups = new Map<string, Group>();
  private readonly tailers: { case: LogTailer<CaseLogEvent>; entity: LogTailer<EntityLogEvent> };
  private readonly unsubscribe: Array<() => void> = [];
  private readonly closedSockets = new WeakSet<WebSocket>();
  private readonly maxBufferedBytes: number;
  private readonly maxPending: number;
  private readonly maxReplay: number;
  private dashboardTimer: NodeJS.Timeout | null = null;
  private dashboardRefresh: NodeJS.Timeout | null = null;
  private dashboards: Promise<void> = Promise.resolve();
  private groupSerial = 0;
  private stopped = false;

  constructor(private readonly options: LiveEngineOptions) {
    this.reader = createEventLogReader(options.knex);
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.maxPending = options.maxPendingMessages ?? 10_000;
    this.maxReplay = options.maxReplay ?? 10_000;
    const count = (field: Field) => () => [...this.groups.values()].some((g) => g.field === field);
    this.tailers = {
      case: new LogTailer<CaseLogEvent>({
        name: 'case_event', log: options.log,
        head: () => this.reader.head('case'),
        read: (from, limit) => this.reader.caseEvents(from, limit),
        active: () => count('caseEvents')() || count('dashboard')(),
        deliver: (events) => {
          for (const g of this.groups.values()) if (g.field === 'caseEvents') this.enqueue(g, events);
          this.scheduleDashboards();
        },
      }),
      entity: new LogTailer<EntityLogEvent>({
        name: 'change_event', log: options.log,
        head: () => this.reader.head('entity'),
        read: (from, limit) => this.reader.entityChanges(from, limit),
        active: count('entityChanged'),
        deliver: (events) => {
          for (const g of this.groups.values()) if (g.field === 'entityChanged') this.enqueue(g, events);
        },
      }),
    };
  }

  async start(): Promise<void> {
    await Promise.all([this.tailers.case.start(), this.tailers.entity.start()]);
    this.unsubscribe.push(
      this.options.bus.subscribe('case', (n) => this.tailers.case.wake(decodePosition(n.position))),
      this.options.bus.subscribe('entity', (n) => this.tailers.entity.wake(decodePosition(n.position))),
    );
    this.dashboardRefresh = setInterval(() => this.scheduleDashboards(), this.options.dashboardRefreshMs ?? 60_000);
    this.dashboardRefresh.unref();
  }

  /** Subscribers and groups now (a group shares one execution per event). */
  stats(): { subscribers: number; groups: number } {
    let subscribers = 0;
    for (const g of this.groups.values()) subscribers += g.subscribers.size;
    return { subscribers, groups: this.groups.size };
  }

  /** graphql-ws's `subscribe`: joins the subscription to its group, or answers with the errors why not. */
  async subscribe(args: LiveExecutionArgs): Promise<HeldIterator | ExecutionResult> {
    try {
      return await this.join(args);
    } catch (err) {
      if (err instanceof GraphQLError) return { errors: [err] };
      throw err;
    }
  }

  private async join(args: LiveExecutionArgs): Promise<HeldIterator> {
    const { schema, document, variableValues, operationName, live: target } = args;
    const operation = getOperationAST(document, operationName);
    const fieldNode = operation && rootField(document, operation);
    const fieldDef = fieldNode && schema.getSubscriptionType()?.getFields()[fieldNode.name.value];
    if (!fieldNode || !fieldDef) throw new SafeError('BAD_USER_INPUT', 'A subscription needs one of caseEvents, entityChanged or dashboard.');
    const field = fieldNode.name.value as Field;
    const values = getArgumentValues(fieldDef, fieldNode, variableValues ?? undefined);
    const policy = new Policy(target.viewer, target.purpose);

    // The resume cursor is the subscriber's own; everything else that shapes the message is the group's.
    const afterNode = fieldNode.arguments?.find((a) => a.name.value === 'after');
    const cursorVariable = afterNode?.value.kind === Kind.VARIABLE ? afterNode.value.name.value : null;
    const sharedVariables = Object.fromEntries(Object.entries(variableValues ?? {}).filter(([k]) => k !== cursorVariable));
    let key = [field, printedText(document), operationName ?? '', canonical(sharedVariables), policy.scopeKey()].join('\n');
    if (this.options.execution === 'per-subscriber') key += `\n${++this.groupSerial}`;

    const topic = TOPIC_OF[field];
    const cursor = typeof values.after === 'string' && field !== 'dashboard' ? decodeCursor(topic, values.after) : null;
    let group = this.groups.get(key);
    if (!group) group = await this.createGroup(field, key, args, values, policy);
    // createGroup awaited: another subscriber may have created the same group meanwhile.
    group = this.groups.get(key) ?? group;
    this.groups.set(key, group);

    const joinedAt = this.tailers[topic].position;
    const subscriber: Subscriber = { target, floor: cursor, pending: cursor ? [] : null, held: null! };
    const held = new HeldOpen(() => this.leave(group, subscriber));
    subscriber.held = held;
    group.subscribers.add(subscriber);
    this.tailers[topic].wake();

    if (group.field === 'dashboard') {
      void this.firstDashboard(group, subscriber);
    } else if (cursor) {
      void this.replay(group, subscriber, cursor, joinedAt);
    }
    return held;
  }

  private async createGroup(field: Field, key: string, args: LiveExecutionArgs, values: Record<string, unknown>, policy: Policy): Promise<Group> {
    const base = {
      key,
      args: { schema: args.schema, document: args.document, operationName: args.operationName, variableValues: args.variableValues },
      viewer: args.live.viewer,
      purpose: args.live.purpose,
      policy,
      subscribers: new Set<Subscriber>(),
      chain: Promise.resolve(),
    };
    switch (field) {
      case 'caseEvents': {
        policy.assertCanRead('case');
        const filter = (values.filter ?? {}) as CaseEventFilter;
        const area = areaFilter(filter.area);
        const statuses = filter.status?.length ? new Set<string>(filter.status) : null;
        if (filter.department) policy.assertCanFilterByDepartment(filter.department);
        return {
          ...base, field,
          matches: ({ case: c }) => policy.canSeeCase(c) && inArea(c, area) && (!filter.category || c.category === filter.category)
            && (!statuses || statuses.has(c.status)) && (!filter.department || c.dispatchedTo.includes(filter.department)),
        };
      }
      case 'entityChanged': {
        const filter = (values.filter ?? {}) as EntityChangeFilter;
        const asked = filter.types?.length ? new Set(filter.types) : null;
        const types = new Set<EntityLogType>();
        for (const t of Object.keys(ENTITY_KIND) as EntityLogType[]) {
          if (asked && !asked.has(ENTITY_TYPE[t])) continue;
          // Asked for by name: refuse what the role may not read; by default: leave it out.
          if (asked) policy.assertCanRead(ENTITY_KIND[t]);
          else if (policy.canRead(ENTITY_KIND[t])) types.add(t);
          if (asked) types.add(t);
        }
        if (types.size === 0) throw new SafeError('FORBIDDEN', 'Your role may not read people, buildings or enterprises.');
        const area = areaFilter(filter.area);
        if (filter.department) policy.assertCanFilterByDepartment(filter.department);
        return {
          ...base, field,
          matches: (e) => types.has(e.entityType) && e.place !== null && policy.inScope(e.place) && inArea(e.place, area)
            && (!filter.department || e.department === filter.department),
        };
      }
      case 'dashboard':
        return { ...base, field, area: await this.dashboardArea(values.area as string | null | undefined, args.live), lastCounters: null, lastMessage: null };
    }
  }

  private async dashboardArea(id: string | null | undefined, target: LiveTarget): Promise<DashboardGroup['area']> {
    if (!id) return { ids: null, areaId: null, gridId: null };
    const { type, id: dbId } = fromGlobalId(id);
    if (type === 'Grid') return { ids: { gridId: dbId }, areaId: null, gridId: dbId };
    if (type !== 'Area') throw new SafeError('BAD_USER_INPUT', 'dashboard(area:) takes the id of an Area or a Grid.');
    const area = await this.options.contextFor(target.viewer, target.purpose).data.places.area(dbId);
    if (!area) throw new SafeError('NOT_FOUND', `No area ${id}.`);
    const level = { DISTRICT: 'districtId', STREET: 'streetId', COMMUNITY: 'communityId' } as const;
    return { ids: { [level[area.level]]: dbId }, areaId: dbId, gridId: null };
  }

  private leave(group: Group, subscriber: Subscriber): void {
    group.subscribers.delete(subscriber);
    if (group.subscribers.size === 0 && this.groups.get(group.key) === group) this.groups.delete(group.key);
  }

  /** Executes the group's operation with `root` as the subscription's root value: the serialized payload. */
  private async run(group: Group, root: CaseEventMessageModel | EntityChangeModel | DashboardModel, viewer: Viewer, purpose: string | null) {
    const ctx = this.options.contextFor(viewer, purpose);
    const result = await execute({ ...group.args, rootValue: { [group.field]: root }, contextValue: ctx });
    return { message: new NextMessage(JSON.stringify(this.options.format(result))), ctx };
  }

  private messageOf(group: CaseGroup | EntityGroup, event: CaseLogEvent | EntityLogEvent): CaseEventMessageModel | EntityChangeModel {
    if ('event' in event) return { cursor: encodeCursor('case', event.position), event: event.event, caseId: event.case.id };
    return {
      cursor: encodeCursor('entity', event.position), entityType: ENTITY_TYPE[event.entityType], entityLogType: event.entityType,
      entityId: event.entityId, change: event.change === 'created' ? 'CREATED' : 'UPDATED', at: event.at, departmentId: event.departmentId,
    };
  }

  private enqueue<E extends CaseLogEvent | EntityLogEvent>(group: CaseGroup | EntityGroup, events: E[]): void {
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
          const { message, ctx } = await this.run(group, this.messageOf(group, event), group.viewer, group.purpose);
          for (const s of audience) this.send(s, event.position, message, ctx, group);
        } catch (err) {
          this.options.log.error({ err, field: group.field }, 'live: executing an event failed');
        }
      }
    });
  }

  private send(s: Subscriber, position: LogPosition | null, message: NextMessage, ctx: RequestContext, group: Group): void {
    if (!group.subscribers.has(s)) return;
    if (position && s.floor && comparePositions(position, s.floor) <= 0) return;
    if (s.pending && position) {
      if (s.pending.length >= this.maxPending) {
        this.slow(s.target.socket, `more than ${this.maxPending} messages waiting behind the replay`);
        return;
      }
      s.pending.push({ position, message });
      this.options.audit(s.target, ctx, group.args);
      return;
    }
    this.write(s.target, message);
    this.options.audit(s.target, ctx, group.args);
  }

  private write(target: LiveTarget, message: NextMessage): void {
    const socket = target.socket;
    if (this.closedSockets.has(socket) || socket.readyState !== socket.OPEN) return;
    const { text, frame } = message.of(target.id);
    const stream = directStream(socket);
    // graphql-transport-ws messages are JSON text frames.
    if (stream) stream.write(frame);
    else socket.send(text, { binary: false });
    if (socket.bufferedAmount > this.maxBufferedBytes) {
      this.slow(socket, `more than ${Math.round(this.maxBufferedBytes / 1024)} KiB waiting to be sent`);
    }
  }

  /** Closes a socket that cannot keep up; its subscriptions end and nobody else waits for it. */
  private slow(socket: WebSocket, why: string): void {
    if (this.closedSockets.has(socket)) return;
    this.closedSockets.add(socket);
    this.options.log.warn({ why }, 'live: closing a slow consumer');
    this.options.onSlowConsumer?.();
    socket.close(SLOW_CONSUMER_CODE, `slow consumer: ${why}`);
    // A peer that stopped reading cannot receive the close frame either.
    setTimeout(() => socket.terminate(), 5000).unref();
    for (const g of this.groups.values()) {
      for (const s of g.subscribers) if (s.target.socket === socket) s.held.end();
    }
  }

  /** Sends what the log holds after `cursor` up to where live delivery took over, then what waited behind. */
  private async replay(group: CaseGroup | EntityGroup, s: Subscriber, cursor: LogPosition, through: LogPosition): Promise<void> {
    try {
      let from = cursor;
      let replayed = 0;
      for (;;) {
        const read = group.field === 'caseEvents'
          ? await this.reader.caseEvents(from, 500, through)
          : await this.reader.entityChanges(from, 500, through);
        for (const event of read.events as Array<CaseLogEvent | EntityLogEvent>) {
          from = event.position;
          if (!(group.matches as (e: CaseLogEvent | EntityLogEvent) => boolean)(event)) continue;
          if (++replayed > this.maxReplay) {
            throw new SafeError('BAD_USER_INPUT', `The cursor is more than ${this.maxReplay} events old; query the current state and subscribe without after.`);
          }
          const { message, ctx } = await this.run(group, this.messageOf(group, event), s.target.viewer, s.target.purpose);
          if (!group.subscribers.has(s)) return;
          this.write(s.target, message);
          this.options.audit(s.target, ctx, group.args);
        }
        if (!read.more) break;
      }
      const pending = s.pending ?? [];
      s.pending = null;
      for (const p of pending) this.write(s.target, p.message);
    } catch (err) {
      const error = err instanceof GraphQLError ? err : new Error('Internal server error');
      if (!(err instanceof GraphQLError)) this.options.log.error({ err }, 'live: replay failed');
      s.held.end(error);
    }
  }

  private async firstDashboard(group: DashboardGroup, s: Subscriber): Promise<void> {
    try {
      if (group.lastMessage === null) await this.refreshDashboard(group, new Map(), true);
      else this.write(s.target, group.lastMessage);
    } catch (err) {
      const error = err instanceof GraphQLError ? err : new Error('Internal server error');
      if (!(err instanceof GraphQLError)) this.options.log.error({ err }, 'live: dashboard failed');
      s.held.end(error);
    }
  }

  private scheduleDashboards(): void {
    if (this.dashboardTimer || this.stopped) return;
    if (![...this.groups.values()].some((g) => g.field === 'dashboard')) return;
    this.dashboardTimer = setTimeout(() => {
      this.dashboardTimer = null;
      this.dashboards = this.dashboards.then(async () => {
        // Counters are computed once per area and scope, whatever number of documents ask for them.
        const computed = new Map<string, Promise<DashboardModel>>();
        for (const g of [...this.groups.values()]) {
          if (g.field !== 'dashboard') continue;
          await this.refreshDashboard(g, computed, false).catch((err: unknown) => this.options.log.error({ err }, 'live: dashboard refresh failed'));
        }
      });
    }, this.options.dashboardDebounceMs ?? 100);
  }

  private async refreshDashboard(group: DashboardGroup, computed: Map<string, Promise<DashboardModel>>, force: boolean): Promise<void> {
    const key = `${canonical(group.area)}\n${group.policy.scopeKey()}`;
    let counters = computed.get(key);
    if (!counters) {
      counters = this.options.contextFor(group.viewer, group.purpose).data.dashboard.counters(group.area, this.options.clock.now());
      computed.set(key, counters);
    }
    const model = await counters;
    const { at: _at, ...values } = model;
    const fingerprint = JSON.stringify(values);
    if (!force && fingerprint === group.lastCounters) return;
    const { message, ctx } = await this.run(group, model, group.viewer, group.purpose);
    group.lastCounters = fingerprint;
    group.lastMessage = message;
    for (const s of group.subscribers) this.send(s, null, message, ctx, group);
  }

  /** Ends every subscription (clients see them complete) and stops reading the logs. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    if (this.dashboardTimer) clearTimeout(this.dashboardTimer);
    if (this.dashboardRefresh) clearInterval(this.dashboardRefresh);
    await Promise.all([this.tailers.case.stop(), this.tailers.entity.stop()]);
    for (const g of [...this.groups.values()]) {
      await g.chain;
      for (const s of [...g.subscribers]) s.held.end();
    }
    await this.dashboards;
  }
}
