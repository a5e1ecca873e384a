/**
 * Subscription groups: subscriptions that would produce the same bytes — the same operation
 * text, the same variables (but for the resume cursor) and the same Policy.scopeKey() — share
 * one execution per event. This module owns who is subscribed to what: parsing a subscription
 * into its group key, the group's matcher (its filter and the Policy), joining and leaving, and
 * the iterator graphql-ws holds for each subscription.
 */
import {
  Kind, getArgumentValues, getOperationAST, print, type DocumentNode, type ExecutionArgs, type FieldNode, type GraphQLSchema,
  type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import type { WebSocket } from 'ws';
import type { Topic } from '../events/bus.js';
import type { LogPosition } from '../events/outbox.js';
import type { Viewer } from '../auth/viewer.js';
import type { CaseEventFilter, EntityChangeFilter, EntityType } from '../generated/graphql.js';
import { Policy, type DataKind } from '../store/policy.js';
import { SafeError } from '../errors.js';
import type { CaseLogEvent, EntityLogEvent, EntityLogType } from '../store/repositories/eventLog.js';
import type { AreaIdsFilter } from '../store/filters.js';
import { areaFilter } from '../resolvers/base.js';
import { fromGlobalId } from '../resolvers/globalId.js';
import { decodeCursor } from './messages.js';
import type { NextMessage, SocketTarget } from './socketWriter.js';

/** The context one execution gets: the one seam through which live code sees the server's type. */
export type { RequestContext as LiveContext } from '../resolvers/context.js';

/** Who a subscription's messages go to: one graphql-ws subscription on one socket. */
export interface LiveTarget extends SocketTarget {
  viewer: Viewer;
  purpose: string | null;
}

/** ExecutionArgs as the hub's onSubscribe returns them for a WebSocket subscription. */
export type LiveExecutionArgs = ExecutionArgs & { live: LiveTarget };

export type Field = 'caseEvents' | 'entityChanged' | 'dashboard';
export const TOPIC_OF: Record<Field, Topic> = { caseEvents: 'case', entityChanged: 'entity', dashboard: 'case' };

export interface Subscriber {
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
export interface CaseGroup extends GroupBase { field: 'caseEvents'; matches(e: CaseLogEvent): boolean }
export interface EntityGroup extends GroupBase { field: 'entityChanged'; matches(e: EntityLogEvent): boolean }
export interface DashboardGroup extends GroupBase {
  field: 'dashboard';
  area: { ids: AreaIdsFilter | null; areaId: string | null; gridId: string | null };
  /**
   * The Dashboard fields the document selects: only a change in one of them makes a new message
   * (a document without `byGrid` is not pushed when only a grid's counters moved).
   */
  selected: ReadonlySet<string>;
  /** The counters last pushed (the selected ones, without `at`), and the message they made. */
  lastCounters: string | null;
  lastMessage: NextMessage | null;
}
export type EventGroup = CaseGroup | EntityGroup;
export type Group = EventGroup | DashboardGroup;

/** What graphql-ws holds for a live subscription: it `return()`s it when the client completes or leaves. */
export interface HeldIterator extends AsyncIterable<never> {
  next(): Promise<IteratorResult<never, void>>;
  return(): Promise<IteratorResult<never, void>>;
  throw(error: unknown): Promise<IteratorResult<never, void>>;
}

/**
 * An async iterator graphql-ws can hold and `return()`: it yields nothing, the socket writer
 * writes the frames. A class, not closures: tens of thousands are alive at once.
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

/** The names of the fields a selection set asks for, through its fragments (not below them). */
function selectedFields(document: DocumentNode, set: SelectionSetNode | undefined): Set<string> {
  const names = new Set<string>();
  const visit = (s: SelectionSetNode | undefined): void => {
    for (const selection of s?.selections ?? []) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else {
        const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
        if (fragment?.kind === Kind.FRAGMENT_DEFINITION) visit(fragment.selectionSet);
      }
    }
  };
  visit(set);
  return names;
}

const printed = new WeakMap<DocumentNode, string>();
/** The document's canonical text; subscribers share documents (src/live/documents.ts), so it is printed once. */
function printedText(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) printed.set(document, (text = print(document)));
  return text;
}

/** JSON with sorted keys: equal variables, equal keys. */
export function canonical(value: unknown): string {
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
export const ENTITY_TYPE: Record<EntityLogType, EntityType> = { person: 'PERSON', building: 'BUILDING', enterprise: 'ENTERPRISE' };

export interface SubscriptionGroupsOptions {
  /** 'per-subscriber': a group of one per subscription (for measuring what sharing saves). */
  execution?: 'shared' | 'per-subscriber';
  /** The level of an Area as the subscriber may read it, for `dashboard(area:)`; null when there is none. */
  areaLevel(target: LiveTarget, id: string): Promise<'DISTRICT' | 'STREET' | 'COMMUNITY' | null>;
}

/** A subscription that has joined its group. */
export interface Joined {
  group: Group;
  subscriber: Subscriber;
  held: HeldIterator;
  /** Its resume cursor, when it gave one. */
  cursor: LogPosition | null;
  /** Where its log's live delivery stood when it joined: a replay goes this far. */
  joinedAt: LogPosition;
}

export class SubscriptionGroups {
  private readonly groups = new Map<string, Group>();
  private serial = 0;

  constructor(private readonly options: SubscriptionGroupsOptions) {}

  /** Groups now, of one field. */
  *of<F extends Field>(field: F): Iterable<Extract<Group, { field: F }>> {
    for (const g of this.groups.values()) if (g.field === field) yield g as Extract<Group, { field: F }>;
  }

  any(field: Field): boolean {
    for (const g of this.groups.values()) if (g.field === field) return true;
    return false;
  }

  all(): Group[] {
    return [...this.groups.values()];
  }

  stats(): { subscribers: number; groups: number } {
    let subscribers = 0;
    for (const g of this.groups.values()) subscribers += g.subscribers.size;
    return { subscribers, groups: this.groups.size };
  }

  /**
   * Joins the subscription to its group, making the group when it is the first. `position`
   * says where live delivery of a log stands; it is read in the same turn of the event loop as
   * the subscriber is added, so every event after it reaches the subscriber live.
   */
  async join(args: LiveExecutionArgs, position: (topic: Topic) => LogPosition): Promise<Joined> {
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
    if (this.options.execution === 'per-subscriber') key += `\n${++this.serial}`;

    const topic = TOPIC_OF[field];
    const cursor = typeof values.after === 'string' && field !== 'dashboard' ? decodeCursor(topic, values.after) : null;
    let group = this.groups.get(key);
    if (!group) group = await this.create(field, key, args, values, policy, fieldNode);
    // create awaited: another subscriber may have created the same group meanwhile.
    group = this.groups.get(key) ?? group;
    this.groups.set(key, group);

    const joinedAt = position(topic);
    const subscriber: Subscriber = { target, floor: cursor, pending: cursor ? [] : null, held: null! };
    const joined = group;
    const held = new HeldOpen(() => this.leave(joined, subscriber));
    subscriber.held = held;
    group.subscribers.add(subscriber);
    return { group, subscriber, held, cursor, joinedAt };
  }

  /** Ends every subscription on the socket (it was closed as slow). */
  endSocket(socket: WebSocket): void {
    for (const g of this.groups.values()) {
      for (const s of g.subscribers) if (s.target.socket === socket) s.held.end();
    }
  }

  private leave(group: Group, subscriber: Subscriber): void {
    group.subscribers.delete(subscriber);
    if (group.subscribers.size === 0 && this.groups.get(group.key) === group) this.groups.delete(group.key);
  }

  private async create(field: Field, key: string, args: LiveExecutionArgs, values: Record<string, unknown>, policy: Policy, fieldNode: FieldNode): Promise<Group> {
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
        return {
          ...base, field, area: await this.dashboardArea(values.area as string | null | undefined, args.live),
          selected: selectedFields(args.document, fieldNode.selectionSet), lastCounters: null, lastMessage: null,
        };
    }
  }

  private async dashboardArea(id: string | null | undefined, target: LiveTarget): Promise<DashboardGroup['area']> {
    if (!id) return { ids: null, areaId: null, gridId: null };
    const { type, id: dbId } = fromGlobalId(id);
    if (type === 'Grid') return { ids: { gridId: dbId }, areaId: null, gridId: dbId };
    if (type !== 'Area') throw new SafeError('BAD_USER_INPUT', 'dashboard(area:) takes the id of an Area or a Grid.');
    const level = await this.options.areaLevel(target, dbId);
    if (!level) throw new SafeError('NOT_FOUND', `No area ${id}.`);
    const column = { DISTRICT: 'districtId', STREET: 'streetId', COMMUNITY: 'communityId' } as const;
    return { ids: { [column[level]]: dbId }, areaId: dbId, gridId: null };
  }
}
