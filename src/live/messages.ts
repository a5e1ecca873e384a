/**
 * What a live subscription's root field resolves to, and the cursors clients resume with. The
 * case or entity itself is not in the message: resolvers load it through the data layer of the
 * event's execution, so the subscriber's Policy decides what of it they see.
 */
import type { Topic } from '../events/bus.js';
import type { EntityChangeKind, EntityType } from '../generated/graphql.js';
import type { CaseEventModel } from '../store/models.js';
import type { EntityLogType, LogPosition } from '../store/repositories/eventLog.js';
import { SafeError } from '../errors.js';

export interface CaseEventMessageModel {
  cursor: string;
  event: CaseEventModel;
  caseId: string;
}

export interface EntityChangeModel {
  cursor: string;
  entityType: EntityType;
  entityLogType: EntityLogType;
  entityId: string;
  change: EntityChangeKind;
  at: Date;
  departmentId: string | null;
}

/** Opaque to clients: which log, and where in it. */
export function encodeCursor(topic: Topic, position: LogPosition): string {
  return Buffer.from(`${topic}:${position.tx}:${position.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(topic: Topic, cursor: string): LogPosition {
  const m = /^(case|entity):(\d{1,20}):(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m || m[1] !== topic) {
    throw new SafeError('BAD_USER_INPUT', `"${cursor}" is not a cursor of this subscription: pass the cursor of the last message received.`);
  }
  return { tx: m[2]!, id: m[3]! };
}
