/**
 * The population register (人口库): a REST/JSON service over the generator's
 * departments/population/residents file.
 *
 *   GET /api/v1/residents?limit=N[&cursor=TOKEN]
 *       The full export in storage order. TOKEN is opaque (the file's byte offset).
 *   GET /api/v1/residents?updatedSince=ISO&limit=N[&cursor=TOKEN]
 *       Residents whose GXSJ is after `updatedSince` (compared to the second), ordered by
 *       (update time, RYBH); TOKEN is a keyset position.
 *
 * Both answer `{ "nextCursor": "…" | null, "highWater": "<ISO>", "data": [...] }`: nextCursor
 * is null on the last page; highWater is the instant every record was updated at or before when
 * the page was served (so a client that starts a full export can ask for what changed after it).
 * Records are written one per line inside `data`, so a client can split a response even when
 * some records come out broken (malformedRate).
 */
import { sendJson, sendJsonLines, startHttpShell } from '../common/server.js';
import { FaultState, breakJson } from '../common/faults.js';
import { FileTable } from '../common/table.js';
import type { RunningSimulator, SimulatorFactory, SimulatorOptions } from '../common/simulator.js';
import { worldFile } from '../../world/read.js';
import { Rng } from '../../world/rng.js';
import { NOW_MS, localBeijing } from '../../world/time.js';
import { afterSecond, beijingSecond, intParam, timeParam } from '../common/paging.js';

export const RESIDENTS_PATH = '/api/v1/residents';
const MAX_LIMIT = 5000;

export interface PopulationSimulator extends RunningSimulator {
  /** RYBH of every record changed so far, in order (tests compare incremental reads with it). */
  readonly changedKeys: readonly string[];
}

/** 'YYYY-MM-DD HH:MM:SS' Beijing time as epoch ms. */
function gxsjMs(text: unknown): number {
  const s = String(text);
  return Date.parse(`${s.slice(0, 10)}T${s.slice(11, 19)}+08:00`);
}

const ROOM = /(\d+)室$/;

function mobile(rng: Rng): string {
  return `1${rng.pick(['3', '5', '7', '8', '9'])}${rng.digits(9)}`;
}

/** A realistic edit to one resident: a new phone, a move to another flat, or settling hukou here. */
export function editResident(record: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  const r = { ...record };
  const u = rng.next();
  const xzz = typeof r.XZZ === 'string' ? r.XZZ : '';
  if (u < 0.15 && r.RYLB === '流动人口') {
    // 落户: a floating resident settles hukou at the current address.
    r.RYLB = '户籍人口';
    r.HJDZ = xzz;
  } else if (u < 0.5 && ROOM.test(xzz)) {
    // Moved to another flat of the same building.
    const old = xzz.match(ROOM)?.[1];
    let room = `${rng.int(1, 18)}0${rng.int(1, 4)}`;
    if (room === old) room = `${room}1`;
    r.XZZ = xzz.replace(ROOM, `${room}室`);
  } else {
    let phone = mobile(rng);
    if (phone === r.LXDH) phone = mobile(rng);
    r.LXDH = phone;
  }
  return r;
}

export async function startPopulationSimulator(options: SimulatorOptions): Promise<PopulationSimulator> {
  const seed = options.seed ?? 1;
  const file = worldFile(options.dataDir, 'departments/population/residents');
  if (file.endsWith('.gz')) throw new Error(`${file}: the population simulator pages through plain NDJSON by byte offset; generate the world without gzip`);
  const table = new FileTable(file, {
    keyField: 'RYBH',
    updatedAt: (r) => gxsjMs(r.GXSJ),
    stamp: (r, ms) => ({ ...r, GXSJ: localBeijing(ms) }),
    baseHighWater: NOW_MS,
  });
  const faults = new FaultState(seed * 31 + 1);
  const rng = new Rng(seed * 31 + 2);
  const changedKeys: string[] = [];

  const serve = (lines: string[]): string[] =>
    lines.map((line, i) => {
      const out = faults.malformed() ? breakJson(line, faults.draw()) : line;
      // One record per line inside the array (see the module comment).
      return i === lines.length - 1 ? `\n${out}\n` : `\n${out}`;
    });

  const change = async (count: number): Promise<number> => {
    const keys = table.change(count, rng, editResident);
    changedKeys.push(...keys);
    return keys.length;
  };

  const shell = await startHttpShell({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    faults,
    change,
    route: (req, res, url) => {
      if (url.pathname !== RESIDENTS_PATH || req.method !== 'GET') {
        sendJson(res, 404, { error: `no such resource: ${req.method ?? 'GET'} ${url.pathname}; try GET ${RESIDENTS_PATH}` });
        return;
      }
      const limit = intParam(url, 'limit', 1000, 1, MAX_LIMIT);
      const since = timeParam(url, 'updatedSince');
      if (typeof limit === 'string' || typeof since === 'string') {
        sendJson(res, 400, { error: typeof limit === 'string' ? limit : since });
        return;
      }
      const token = url.searchParams.get('cursor');
      const decoded = token ? decodeToken(token) : null;
      if (decoded === 'bad') {
        sendJson(res, 400, { error: `cursor is not one this service issued: ${JSON.stringify(token?.slice(0, 80))}` });
        return;
      }
      const highWater = beijingSecond(table.highWater);
      if (since === null) {
        if (decoded !== null && decoded.kind !== 'offset') {
          sendJson(res, 400, { error: 'cursor belongs to an updatedSince read; pass updatedSince with it' });
          return;
        }
        const page = table.scan(decoded?.offset ?? 0, limit);
        sendJsonLines(res, { nextCursor: page.next === null ? null : encodeOffset(page.next), highWater }, serve(page.lines));
        return;
      }
      if (decoded !== null && decoded.kind !== 'keyset') {
        sendJson(res, 400, { error: 'cursor belongs to a full export; drop updatedSince or the cursor' });
        return;
      }
      const found = table.changedSince(afterSecond(since), decoded?.after ?? null, limit + 1);
      const page = found.slice(0, limit);
      const last = page[page.length - 1];
      const nextCursor = found.length > limit && last ? encodeKeyset(last.updatedAt, last.key) : null;
      sendJsonLines(res, { nextCursor, highWater }, serve(page.map((s) => s.line)));
    },
  });

  return {
    department: 'population',
    endpoint: shell.url,
    connectorConfig: { baseUrl: shell.url },
    faults,
    changedKeys,
    change,
    async stop() {
      await shell.close();
      table.close();
    },
  };
}

startPopulationSimulator satisfies SimulatorFactory;

type Decoded = { kind: 'offset'; offset: number } | { kind: 'keyset'; after: { updatedAt: number; key: string } };

function encodeOffset(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

function encodeKeyset(updatedAt: number, key: string): string {
  return Buffer.from(`k:${updatedAt}:${key}`).toString('base64url');
}

function decodeToken(token: string): Decoded | 'bad' {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (text.startsWith('o:')) {
    const offset = Number(text.slice(2));
    if (Number.isInteger(offset) && offset >= 0) return { kind: 'offset', offset };
  } else if (text.startsWith('k:')) {
    const colon = text.indexOf(':', 2);
    const updatedAt = Number(text.slice(2, colon));
    if (colon > 2 && Number.isFinite(updatedAt)) return { kind: 'keyset', after: { updatedAt, key: text.slice(colon + 1) } };
  }
  return 'bad';
}
