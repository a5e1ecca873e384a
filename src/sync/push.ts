/**
 * Webhook ingestion: records a department pushes (the police's live 110 incidents) go through
 * the same mapping, dead letters and commit as a read, without moving the stream's cursor.
 */
import type { Logger } from 'pino';
import { PushRejected } from '../connectors/sdk/index.js';
import type { IngestStore } from '../store/ingest/index.js';
import { commitIsolating, mapRecords, type ConfiguredConnector } from './runner.js';

export interface PushResult {
  stream: string;
  received: number;
  stored: number;
  deadLettered: number;
}

export { PushRejected };

export async function ingestPush(
  store: IngestStore, { connector, config }: ConfiguredConnector, request: { headers: Record<string, string | undefined>; body: Buffer }, log: Logger,
): Promise<PushResult> {
  if (!connector.push) throw new PushRejected(400, `${connector.spec.name} does not accept pushed records`);
  const { stream, records } = connector.push.receive(config, request);
  const department = await store.ensureDepartment(connector.spec);
  const runId = await store.startRun(department, stream, 'push');
  const { mapped, dead } = mapRecords(connector, stream, records);
  const r = await commitIsolating(store, { departmentId: department.id, stream, fetchedAt: new Date(), records: mapped, deadLetters: dead, cursor: null });
  await store.finishRun(runId, 'succeeded', { read: records.length, stored: r.stored, changed: r.changed, deadLettered: r.deadLettered }, null);
  log.info({ connector: connector.spec.name, stream, received: records.length, stored: r.stored, deadLettered: r.deadLettered }, 'pushed records ingested');
  return { stream, received: records.length, stored: r.stored, deadLettered: r.deadLettered };
}
