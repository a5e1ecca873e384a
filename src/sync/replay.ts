/**
 * Replaying dead letters: after a connector's mapping is fixed (or the data behind a record
 * is), its dead letters are mapped again from their raw payload and stored; those that still
 * fail stay, with the new reason.
 */
import type { IngestStore } from '../store/ingest/index.js';
import { commitIsolating, mapRecords, type ConfiguredConnector } from './runner.js';

export interface ReplayResult {
  department: string;
  replayed: number;
  stored: number;
  stillFailing: number;
}

export async function replayDeadLetters(store: IngestStore, configured: ConfiguredConnector): Promise<ReplayResult> {
  const { connector } = configured;
  const department = await store.ensureDepartment(connector.spec);
  const letters = await store.deadLetters({ department: connector.spec.name, limit: 100_000 });
  const result: ReplayResult = { department: connector.spec.name, replayed: letters.length, stored: 0, stillFailing: 0 };
  const byStream = new Map<string, typeof letters>();
  for (const l of letters) byStream.set(l.stream, [...(byStream.get(l.stream) ?? []), l]);
  for (const [stream, group] of byStream) {
    const resolved: string[] = [];
    for (const letter of group) {
      let data: unknown;
      try {
        data = JSON.parse(letter.raw);
      } catch {
        result.stillFailing++; // raw bytes the transport could not parse: only the source can fix them
        continue;
      }
      const { mapped, dead } = mapRecords(connector, stream, [{ data }]);
      const r = await commitIsolating(store, { departmentId: department.id, stream, fetchedAt: new Date(), records: mapped, deadLetters: dead, cursor: null });
      if (r.deadLettered === 0) {
        result.stored += r.stored;
        resolved.push(letter.id);
      } else {
        result.stillFailing++;
      }
    }
    await store.resolveDeadLetters(resolved);
  }
  return result;
}
