/**
 * Market regulation (市场监管): a SAMR-style REST service over the generator's
 * departments/enterprise/enterprises file, with offset paging and a rate limit.
 *
 *   GET /api/enterprises?offset=N&limit=N
 *       The register in storage order: `{ total, offset, items: [...] }`.
 *   GET /api/enterprises?updatedAfter=ISO&offset=N&limit=N
 *       Enterprises whose updateTime is after `updatedAfter` (to the second), ordered by
 *       (updateTime, pripid); `total` counts them. Offsets shift when a record changes while a
 *       client pages (it moves to the end), as in the real system.
 *
 * Every answer carries `Last-Modified`: the latest update time in the register (what a full
 * export started now is current to). The service allows 20 requests per second by default
 * (faults.rateLimitPerSecond; 429 with Retry-After above it). `limit` is at most 1000.
 */
import { sendJson, startHttpShell } from '../common/server.js';
import { FaultState, breakJson, type Faults } from '../common/faults.js';
import { FileTable, keyOf } from '../common/table.js';
import type { RunningSimulator, SimulatorFactory, SimulatorOptions } from '../common/simulator.js';
import { worldFile } from '../../world/read.js';
import { Rng } from '../../world/rng.js';
import { NOW_MS, beijingDay, isoDay, localBeijing } from '../../world/time.js';
import { LineIndex, afterSecond, intParam, sendJsonArray, timeParam } from '../common/paging.js';

export const ENTERPRISES_PATH = '/api/enterprises';
const MAX_LIMIT = 1000;
export const DEFAULT_RATE_LIMIT = 20;

export interface EnterpriseSimulatorOptions extends SimulatorOptions {
  /** Initial faults; rateLimitPerSecond defaults to 20 (null: no limit). */
  faults?: Partial<Faults>;
}

export interface EnterpriseSimulator extends RunningSimulator {
  /** pripid of every record changed so far, in order. */
  readonly changedKeys: readonly string[];
  /**
   * Changes these enterprises now, in this order (a test hook for "a record changes while a client
   * pages"). Scans the register, so it costs a full pass. Returns how many were found.
   */
  touch(keys: readonly string[]): Promise<number>;
}

function updateTimeMs(text: unknown): number {
  const s = String(text);
  return Date.parse(`${s.slice(0, 10)}T${s.slice(11, 19)}+08:00`);
}

const ROOM = /(\d+)室$/;

/** A realistic change to one enterprise: a new phone, a move, a status change or new capital. */
export function editEnterprise(record: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  const r = { ...record };
  const u = rng.next();
  const dom = typeof r.dom === 'string' ? r.dom : '';
  if (u < 0.2) {
    // 注销 or 吊销: the register's status changes.
    r.regState = typeof r.regState === 'string' && r.regState.startsWith('存续') && rng.chance(0.5) ? '吊销，未注销' : '注销';
  } else if (u < 0.45 && ROOM.test(dom)) {
    const old = dom.match(ROOM)?.[1];
    let room = `${rng.int(1, 20)}${String(rng.int(1, 12)).padStart(2, '0')}`;
    if (room === old) room = `${room}1`;
    r.dom = dom.replace(ROOM, `${room}室`);
  } else if (u < 0.6 && typeof r.regCap === 'number') {
    r.regCap = r.regCap + rng.pick([50, 100, 200, 500]); // 增资
  } else {
    let tel = `0571-8${rng.digits(7)}`;
    if (tel === r.tel) tel = `0571-8${rng.digits(7)}`;
    r.tel = tel;
  }
  return r;
}

export async function startEnterpriseSimulator(options: EnterpriseSimulatorOptions): Promise<EnterpriseSimulator> {
  const seed = options.seed ?? 1;
  const file = worldFile(options.dataDir, 'departments/enterprise/enterprises');
  if (file.endsWith('.gz')) throw new Error(`${file}: the enterprise simulator pages through plain NDJSON; generate the world without gzip`);
  const table = new FileTable(file, {
    keyField: 'pripid',
    updatedAt: (r) => updateTimeMs(r.updateTime),
    stamp: (r, ms) => ({ ...r, apprDate: isoDay(beijingDay(ms)), updateTime: localBeijing(ms) }),
    baseHighWater: NOW_MS,
  });
  const index = new LineIndex(file);
  const faults = new FaultState(seed * 37 + 1, { rateLimitPerSecond: DEFAULT_RATE_LIMIT, ...options.faults });
  const rng = new Rng(seed * 37 + 2);
  const changedKeys: string[] = [];

  const serve = (lines: string[]): string[] => lines.map((line) => (faults.malformed() ? breakJson(line, faults.draw()) : line));

  const change = async (count: number): Promise<number> => {
    const keys = table.change(count, rng, editEnterprise);
    changedKeys.push(...keys);
    return keys.length;
  };

  const touch = async (keys: readonly string[]): Promise<number> => {
    const wanted = new Set(keys);
    const found = new Map<string, Record<string, unknown>>();
    for (let pos: number | null = 0; pos !== null && found.size < wanted.size;) {
      const page = table.scan(pos, 1000);
      for (const line of page.lines) {
        const key = keyOf(line, 'pripid');
        if (key !== null && wanted.has(key)) found.set(key, JSON.parse(line) as Record<string, unknown>);
      }
      pos = page.next;
    }
    for (const key of keys) {
      const record = found.get(key);
      if (!record) continue;
      table.put(editEnterprise(record, rng));
      changedKeys.push(key);
    }
    return found.size;
  };

  const shell = await startHttpShell({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    faults,
    change,
    route: (req, res, url) => {
      if (url.pathname !== ENTERPRISES_PATH || req.method !== 'GET') {
        sendJson(res, 404, { error: `no such resource: ${req.method ?? 'GET'} ${url.pathname}; try GET ${ENTERPRISES_PATH}` });
        return;
      }
      const offset = intParam(url, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(url, 'limit', 100, 0, MAX_LIMIT);
      const after = timeParam(url, 'updatedAfter');
      const problem = [offset, limit, after].find((v): v is string => typeof v === 'string');
      if (problem !== undefined || typeof offset !== 'number' || typeof limit !== 'number' || typeof after === 'string') {
        sendJson(res, 400, { error: problem ?? 'bad request' });
        return;
      }
      const headers = { 'last-modified': new Date(table.highWater).toUTCString() };
      if (after === null) {
        const total = index.count;
        let lines: string[] = [];
        if (offset < total && limit > 0) {
          const page = table.scan(index.offsetOf(offset), limit);
          lines = page.lines;
          if (page.next !== null) index.remember(offset + lines.length, page.next);
        }
        sendJsonArray(res, { total, offset }, 'items', serve(lines), headers);
        return;
      }
      const found = table.changedSince(afterSecond(after), null, Number.MAX_SAFE_INTEGER);
      sendJsonArray(res, { total: found.length, offset }, 'items', serve(found.slice(offset, offset + limit).map((s) => s.line)), headers);
    },
  });

  return {
    department: 'enterprise',
    endpoint: shell.url,
    connectorConfig: { baseUrl: shell.url },
    faults,
    changedKeys,
    change,
    touch,
    async stop() {
      await shell.close();
      table.close();
      index.close();
    },
  };
}

startEnterpriseSimulator satisfies SimulatorFactory;
