#!/usr/bin/env node
/**
 * One hub instance in its own process, for the live tests (two of them on one PostgreSQL
 * server) and the subscriber benchmark. Like `liandong start` on DATABASE_URL, without the
 * departments; and it takes cases to report on stdin, one JSON line each, sending each as a
 * `reportCase` mutation over HTTP to this instance (the case is placed at an address in the
 * command's grid), so that the latency measured runs from the mutation to delivery. Prints `{"ready": url}` once serving; answers
 * each command with `{"id", "startedAt", "caseId", "eventId"}` (times: performance.timeOrigin +
 * performance.now(), comparable across processes on one machine).
 *
 * Environment: DATABASE_URL (a migrated store holding the served world), JWT_SECRET (tokens are
 * signed with it, issuer "liandong"), LIVE_EXECUTION (shared | per-subscriber),
 * LIVE_MAX_BUFFERED_BYTES.
 */
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { localKeys } from '../../src/auth/tokens.js';
import { createEventBus } from '../../src/events/postgres.js';
import { createLogger } from '../../src/observability/logger.js';
import { startHub } from '../../src/server/hub.js';
import { openDatabase } from '../../src/store/db.js';
import { fromGlobalId } from '../../src/resolvers/globalId.js';
import { LIVE_HUB_ISSUER, type BenchCase } from './liveHubProcess.js';

const now = () => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  const secret = process.env.JWT_SECRET;
  if (!url || !secret) throw new Error('DATABASE_URL and JWT_SECRET are required');
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const db = await openDatabase({ kind: 'postgres', url, poolMax: 10 });
  const bus = await createEventBus(db, log);
  const execution = process.env.LIVE_EXECUTION === 'per-subscriber' ? 'per-subscriber' : 'shared';
  const hub = await startHub({
    config: { HOST: '127.0.0.1', PORT: 0, NODE_ENV: 'production', SHUTDOWN_TIMEOUT_MS: 5000, REQUEST_TIMEOUT_MS: 15_000 },
    limits: { maxDepth: 12, maxAliases: 30, maxCost: 50_000, ratePerMinute: 10_000_000, introspection: false, persistedOperations: null },
    db, log, tokens: localKeys(new TextEncoder().encode(secret), LIVE_HUB_ISSUER), bus, caseWatchIntervalMs: 0,
    live: { execution, ...(process.env.LIVE_MAX_BUFFERED_BYTES ? { maxBufferedBytes: Number(process.env.LIVE_MAX_BUFFERED_BYTES) } : {}) },
  });
  const write = (obj: object) => process.stdout.write(`${JSON.stringify(obj)}\n`);
  write({ ready: hub.url, pid: process.pid });

  const token = await localKeys(new TextEncoder().encode(secret), LIVE_HUB_ISSUER).sign({ subject: 'bench-operator', role: 'district-admin', expiresIn: '24h' });
  const addresses = new Map<string, Promise<string>>();
  const addressIn = (gridId: string) => {
    let address = addresses.get(gridId);
    if (!address) {
      address = db.knex('building').join('address', 'address.id', 'building.address_id').where('building.grid_id', gridId).orderBy('building.id')
        .first('address.text').then((r: { text: string } | undefined) => {
          if (!r) throw new Error(`no building in grid ${gridId}`);
          return r.text;
        });
      addresses.set(gridId, address);
    }
    return address;
  };
  const REPORT = `mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { id } events { position } } }`;
  const report = async (input: BenchCase): Promise<{ caseId: string; eventId: string }> => {
    const address = await addressIn(input.gridId);
    const res = await fetch(hub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: REPORT, variables: { input: {
        channel: 'COMMAND_CENTER', title: input.title ?? 'Construction waste at the school gate', description: input.note ?? null,
        category: input.category ?? 'city.construction_waste', address,
      } } }),
    });
    const body = (await res.json()) as { data?: { reportCase: { case: { id: string }; events: Array<{ position: string }> } }; errors?: Array<{ message: string }> };
    if (!body.data) throw new Error(body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status}`);
    return { caseId: fromGlobalId(body.data.reportCase.case.id).id, eventId: body.data.reportCase.events.at(-1)?.position ?? '' };
  };

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = JSON.parse(line) as { id: number; input: BenchCase };
    const startedAt = now();
    report(command.input).then(
      (r) => write({ id: command.id, startedAt, ...r }),
      // fetch's own message is only "fetch failed": the cause says why (refused, reset, timed out).
      (err: unknown) => write({ id: command.id, error: [err, (err as Error).cause].filter(Boolean).map((e) => (e as Error).message ?? String(e)).join(': ') }),
    );
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void hub.stop().then(() => bus.close()).then(() => db.close()).then(() => process.exit(0));
  };
  lines.on('close', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`live hub failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
