import type { StoreContext } from './context.js';
import { rowsOf } from '../loaders.js';
import { SafeError } from '../../errors.js';

/** A dead letter as the API shows it: why it failed, never its payload (which may hold personal data). */
export interface DeadLetterModel {
  id: string;
  stream: string;
  sourceId: string | null;
  stage: string;
  reason: string;
  attempts: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

export interface ReplayResultModel {
  department: string;
  replayed: number;
  stored: number;
  stillFailing: number;
}

/** Maps and stores a department's dead letters again (src/sync/replay.ts); the hub's process owns the connectors. */
export type DeadLetterReplay = (department: string) => Promise<ReplayResultModel>;

const MAX_DEAD_LETTERS = 100;

export function createDeadLettersRepository({ table, policy }: StoreContext, replay: DeadLetterReplay | null) {
  return {
    /** The department's unresolved dead letters, oldest first. */
    async deadLettersOf(departmentId: string, first: number): Promise<DeadLetterModel[]> {
      policy.assertCanOperateConnectors();
      if (first < 0 || first > MAX_DEAD_LETTERS) throw new SafeError('BAD_USER_INPUT', `deadLetters(first:) must be between 0 and ${MAX_DEAD_LETTERS}.`);
      const rows = await rowsOf(table('dead_letter').where('department_id', departmentId).whereNull('resolved_at')
        .select('id', 'stream', 'source_id', 'stage', 'reason', 'attempts', 'first_seen_at', 'last_seen_at').orderBy('id').limit(first));
      return rows.map((r) => ({
        id: String(r.id), stream: String(r.stream), sourceId: r.source_id === null ? null : String(r.source_id), stage: String(r.stage),
        reason: String(r.reason), attempts: Number(r.attempts), firstSeenAt: new Date(r.first_seen_at as string), lastSeenAt: new Date(r.last_seen_at as string),
      }));
    },
    async replay(department: string): Promise<ReplayResultModel> {
      policy.assertCanOperateConnectors();
      if (!replay) throw new SafeError('SERVICE_UNAVAILABLE', 'This hub runs no connectors, so it cannot replay dead letters; use `npx liandong deadletters --replay`.');
      return replay(department);
    },
  };
}
