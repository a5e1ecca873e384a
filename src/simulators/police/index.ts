/**
 * The public security bureau (公安局): 居住登记 (residence registrations of floating residents) and
 * 110 接警单 (incidents), served as REST/JSON over the generator's departments/police files, plus
 * a push of live 110 incidents to the hub's webhook.
 *
 *   GET /police/api/residence-registrations?pageNo=N&pageSize=M
 *   GET /police/api/incidents?pageNo=N&pageSize=M
 *       全量: the whole register in registration order. Page numbers are stable: the register
 *       only grows at its end (a new 110 call), and a record changed later is served in place in
 *       its latest version. `total` counts the register.
 *   GET …?gxsjFrom=YYYYMMDDHHMMSS[&bhAfter=ID]&pageSize=M[&pageNo=N]
 *       增量: records whose (gxsj, 编号) is after the position (gxsjFrom, bhAfter) — without
 *       bhAfter, every record with gxsj >= gxsjFrom — ordered by (gxsj, 编号). `total` counts all
 *       of them; `nextGxsjFrom`/`nextBhAfter` are the position of the page's last record (what to
 *       ask for next), given by the server so a client can go on even when that record comes out
 *       broken. pageNo is accepted, but page numbers over a window that moves while a client pages
 *       skip records (a record changed meanwhile jumps to the end and every later one shifts one
 *       place left), so clients page with the position: pageNo=1 and the previous page's
 *       nextGxsjFrom/nextBhAfter. A record changed after a client passed it has a later gxsj, so it
 *       comes again after the position, once, in its new version; nothing before the position
 *       changes place.
 *
 * Every answer is `{"code":0,"msg":"ok","total":…,"pageNo":…,"pageSize":…,"gxsjMax":"…",…,"rows":[…]}`
 * with one record per line inside `rows` (so a client can split an answer whose records are
 * broken, malformedRate). `gxsjMax` is the second every record so far was updated at or before:
 * a client starting a full export asks for gxsjFrom = gxsjMax + 1 s afterwards. Errors answer HTTP
 * 4xx with `{"code":4xx,"msg":"…"}`.
 *
 * Push: with `webhookUrl`, every `incidentIntervalMs` (default 5000) a new live 110 call (derived
 * from an existing one: new jjdbh, bjsj and gxsj now, 处警中) is added to the incidents register and
 * posted as `POST webhookUrl` with body `{"incidents":[…]}` and headers `x-liandong-timestamp:
 * <unix seconds>` and `x-liandong-signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>"
 * with the shared secret>`.
 * `pushIncident()` does one now (without webhookUrl it only adds the call to the register).
 * incidentIntervalMs 0 turns the timer off. With malformedRate some pushed incidents are broken inside a
 * well-formed body (a field of the wrong type, a missing jjdbh, an element that is not an object);
 * the REST register keeps them intact.
 *
 * Time: gxsj is to the second. Base records are stamped at whole seconds at or before the world's
 * now; every record changed or added at runtime gets a second of its own after it (FileTable's
 * clock moves at least 1 s per change), which is what lets the server answer positions in seconds.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, startHttpShell } from '../common/server.js';
import { FaultState, breakJson, type Faults } from '../common/faults.js';
import { FileTable } from '../common/table.js';
import type { RunningSimulator, SimulatorFactory, SimulatorOptions } from '../common/simulator.js';
import { LineIndex, intParam, sendJsonArray } from '../common/paging.js';
import { worldFile } from '../../world/read.js';
import { Rng } from '../../world/rng.js';
import { NOW_MS, compactBeijing } from '../../world/time.js';

export const POLICE_PATHS = {
  residence_registrations: '/police/api/residence-registrations',
  incidents: '/police/api/incidents',
} as const;
export type PoliceStream = keyof typeof POLICE_PATHS;
const KEY_FIELD: Readonly<Record<PoliceStream, string>> = { residence_registrations: 'djbh', incidents: 'jjdbh' };
const MAX_PAGE_SIZE = 5000;
export const DEFAULT_WEBHOOK_SECRET = 'police-webhook-secret';
export const SIGNATURE_HEADER = 'x-liandong-signature';
export const TIMESTAMP_HEADER = 'x-liandong-timestamp';
export const DEFAULT_INCIDENT_INTERVAL_MS = 5000;

export interface PoliceSimulatorOptions extends SimulatorOptions {
  faults?: Partial<Faults>;
  /** The secret the webhook is signed with (default 'police-webhook-secret'). */
  webhookSecret?: string;
}

export interface PushStats {
  /** Pushes the webhook accepted (2xx). */
  sent: number;
  /** Pushes that failed (network error or non-2xx answer); the incident is in the REST register anyway. */
  failed: number;
  lastError: string | null;
}

export interface PoliceSimulator extends RunningSimulator {
  /** Every record changed by change(), in order. */
  readonly changedKeys: ReadonlyArray<{ stream: PoliceStream; key: string }>;
  /** jjdbh of every live incident added so far (pushed or not), in order. */
  readonly pushed: readonly string[];
  readonly pushStats: PushStats;
  /**
   * Adds one live 110 call now and, when webhookUrl is set, posts it; resolves with its jjdbh.
   * Rejects when the webhook refuses it or cannot be reached (the call stays in the REST register).
   */
  pushIncident(): Promise<string>;
}

/** 'YYYYMMDDHHMMSS' Beijing time as epoch ms; NaN when it is not one. */
export function gxsjMs(text: unknown): number {
  const s = String(text);
  if (!/^\d{14}$/.test(s)) return Number.NaN;
  const n = (from: number, to: number) => Number(s.slice(from, to));
  return Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10) - 8, n(10, 12), n(12, 14));
}

/** HMAC-SHA256 of `<timestamp>.<body>`, as the signature header writes it. */
export function signBody(body: string | Buffer, secret: string, timestamp: number): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/** The two headers a push carries, signed at `nowMs`. */
export function signedHeaders(body: string | Buffer, secret: string, nowMs = Date.now()): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signBody(body, secret, timestamp) };
}

const ROOM = /(\d+)室$/;
const RESULTS = ['已调解', '已处理', '移交社区', '已立案', '现场劝离'];

function mobile(rng: Rng): string {
  return `1${rng.pick(['3', '5', '7', '8', '9'])}${rng.digits(9)}`;
}

/** A realistic edit to one registration: 注销 (moved away), a move within the building, 居住证 renewed, or a new phone. */
export function editRegistration(record: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  const r = { ...record };
  const u = rng.next();
  const jzdz = typeof r.jzdz === 'string' ? r.jzdz : '';
  if (u < 0.2 && r.zt === '有效') {
    r.zt = '注销';
  } else if (u < 0.45 && ROOM.test(jzdz)) {
    const old = jzdz.match(ROOM)?.[1];
    let room = `${rng.int(1, 18)}0${rng.int(1, 4)}`;
    if (room === old) room = `${room}1`;
    r.jzdz = jzdz.replace(ROOM, `${room}室`);
  } else if (u < 0.6 && typeof r.yxqz === 'string' && /^\d{4}-/.test(r.yxqz)) {
    r.yxqz = `${Number(r.yxqz.slice(0, 4)) + 1}${r.yxqz.slice(4)}`; // 居住证 renewed for a year
  } else {
    let phone = mobile(rng);
    if (phone === r.lxdh) phone = mobile(rng);
    r.lxdh = phone;
  }
  return r;
}

/** A realistic edit to one 110 call: the handling result is revised (e.g. 已调解 → 已立案). */
export function editIncident(record: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  const others = RESULTS.filter((x) => x !== record.cjjg);
  return { ...record, cjjg: rng.pick(others) };
}

/** One incident broken the way a pushing system breaks them, inside a well-formed body. */
function breakIncident(record: Record<string, unknown>, u: number): unknown {
  if (u < 0.4) return { ...record, wd: `北纬${String(record.wd)}` }; // a coordinate as text
  if (u < 0.7) {
    const { jjdbh: _jjdbh, ...rest } = record;
    return rest; // no jjdbh
  }
  return `${String(record.jjdbh)}|${String(record.afdd)}`; // a flat string, not an object
}

interface StreamTable {
  table: FileTable;
  index: LineIndex;
  /** Records added at runtime (live 110 calls), after the file's. */
  added: number;
}

export async function startPoliceSimulator(options: PoliceSimulatorOptions): Promise<PoliceSimulator> {
  const seed = options.seed ?? 1;
  const secret = options.webhookSecret ?? DEFAULT_WEBHOOK_SECRET;
  const intervalMs = options.incidentIntervalMs ?? DEFAULT_INCIDENT_INTERVAL_MS;
  const open = (stream: PoliceStream): StreamTable => {
    const file = worldFile(options.dataDir, `departments/police/${stream}`);
    if (file.endsWith('.gz')) throw new Error(`${file}: the police simulator pages through plain NDJSON by byte offset; generate the world without gzip`);
    const table = new FileTable(file, {
      keyField: KEY_FIELD[stream],
      updatedAt: (r) => gxsjMs(r.gxsj),
      stamp: (r, ms) => ({ ...r, gxsj: compactBeijing(ms) }),
      baseHighWater: NOW_MS,
    });
    return { table, index: new LineIndex(file), added: 0 };
  };
  const tables: Record<PoliceStream, StreamTable> = { residence_registrations: open('residence_registrations'), incidents: open('incidents') };
  const faults = new FaultState(seed * 43 + 1, { ...options.faults });
  const rng = new Rng(seed * 43 + 2);
  const pushRng = new Rng(seed * 43 + 3);
  const changedKeys: Array<{ stream: PoliceStream; key: string }> = [];
  const pushed: string[] = [];
  const pushStats: PushStats = { sent: 0, failed: 0, lastError: null };

  const serve = (lines: string[]): string[] => lines.map((line) => (faults.malformed() ? breakJson(line, faults.draw()) : line));

  const change = async (count: number): Promise<number> => {
    const seen = new Set<string>();
    const regs = tables.residence_registrations.index.count;
    const share = regs / Math.max(1, regs + tables.incidents.index.count);
    for (let attempts = 0; seen.size < count && attempts < count * 20; attempts++) {
      const stream: PoliceStream = rng.next() < share ? 'residence_registrations' : 'incidents';
      const edit = stream === 'residence_registrations' ? editRegistration : editIncident;
      for (const key of tables[stream].table.change(1, rng, edit)) {
        const id = `${stream}\n${key}`;
        if (!seen.has(id)) changedKeys.push({ stream, key });
        seen.add(id);
      }
    }
    return seen.size;
  };

  /** A new live 110 call derived from an existing one, added to the register; returns it as stored. */
  const newIncident = (): Record<string, unknown> => {
    const t = tables.incidents;
    if (t.index.count === 0) throw new Error('the incidents register is empty: nothing to derive a live 110 call from');
    const n = Math.floor(pushRng.next() * t.index.count);
    const line = t.table.scan(t.index.offsetOf(n), 1).lines[0];
    if (line === undefined) throw new Error(`incident ${n} could not be read`);
    const template = JSON.parse(line) as Record<string, unknown>;
    const now = Math.max(Date.now(), t.table.highWater + 1000);
    const seq = t.index.count + t.added + 1;
    const jjdbh = `JJ${compactBeijing(now).slice(0, 8)}${String(seq).padStart(7, '0')}`;
    const jitter = () => Math.round((pushRng.next() - 0.5) * 600) / 1e6;
    const record: Record<string, unknown> = {
      ...template,
      jjdbh,
      bjsj: compactBeijing(now),
      jd: typeof template.jd === 'number' ? Math.round((template.jd + jitter()) * 1e6) / 1e6 : template.jd,
      wd: typeof template.wd === 'number' ? Math.round((template.wd + jitter()) * 1e6) / 1e6 : template.wd,
      cjjg: '处警中',
    };
    t.table.add(record);
    t.added++;
    pushed.push(jjdbh);
    // FileTable stamped it with its clock, now its high-water mark: the same gxsj the REST register serves.
    return { ...record, gxsj: compactBeijing(t.table.highWater) };
  };

  const post = async (incident: Record<string, unknown>): Promise<void> => {
    if (!options.webhookUrl) return;
    const element = faults.malformed() ? breakIncident(incident, faults.draw()) : incident;
    const body = JSON.stringify({ incidents: [element] });
    let response: Response;
    try {
      response = await fetch(options.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', ...signedHeaders(body, secret) },
        body,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      pushStats.failed++;
      pushStats.lastError = `POST ${options.webhookUrl}: ${(error as Error).message}`;
      throw new Error(pushStats.lastError, { cause: error });
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      pushStats.failed++;
      pushStats.lastError = `POST ${options.webhookUrl}: ${response.status} ${text.slice(0, 200)}`.trim();
      throw new Error(pushStats.lastError);
    }
    pushStats.sent++;
  };

  const pushIncident = async (): Promise<string> => {
    const incident = newIncident();
    await post(incident);
    return String(incident.jjdbh);
  };

  const route = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const stream = (Object.keys(POLICE_PATHS) as PoliceStream[]).find((s) => POLICE_PATHS[s] === url.pathname);
    if (!stream || req.method !== 'GET') {
      sendJson(res, 404, { code: 404, msg: `no such resource: ${req.method ?? 'GET'} ${url.pathname}; try GET ${Object.values(POLICE_PATHS).join(' or GET ')}` });
      return;
    }
    const pageSize = intParam(url, 'pageSize', 100, 1, MAX_PAGE_SIZE);
    const pageNo = intParam(url, 'pageNo', 1, 1, 1_000_000_000);
    if (typeof pageSize === 'string' || typeof pageNo === 'string') {
      sendJson(res, 400, { code: 400, msg: typeof pageSize === 'string' ? pageSize : pageNo });
      return;
    }
    const from = url.searchParams.get('gxsjFrom');
    const bhAfter = url.searchParams.get('bhAfter') || null;
    const { table, index, added } = tables[stream];
    const gxsjMax = compactBeijing(table.highWater);
    const start = (pageNo - 1) * pageSize;

    if (from === null || from === '') {
      if (bhAfter !== null) {
        sendJson(res, 400, { code: 400, msg: 'bhAfter needs gxsjFrom' });
        return;
      }
      const total = index.count + added;
      const fileEnd = index.offsetOf(index.count);
      const offset = start >= index.count ? fileEnd + (start - index.count) : index.offsetOf(start);
      const page = start >= total ? { lines: [], next: null } : table.scan(offset, pageSize);
      const end = start + page.lines.length;
      if (page.next !== null && end < index.count) index.remember(end, page.next);
      sendJsonArray(res, { code: 0, msg: 'ok', total, pageNo, pageSize, gxsjMax }, 'rows', serve(page.lines));
      return;
    }

    const fromMs = gxsjMs(from);
    if (Number.isNaN(fromMs)) {
      sendJson(res, 400, { code: 400, msg: `gxsjFrom must be YYYYMMDDHHMMSS (Beijing time), got ${JSON.stringify(from)}` });
      return;
    }
    // The table orders by (update time in ms, key). A base second holds only records stamped at the
    // whole second; a runtime second holds one record (see the module comment). So "after
    // (second, key)" is "after (second + 0 ms, key)" for a base second and "after the whole second"
    // for a runtime one.
    const after = bhAfter === null ? null : { updatedAt: fromMs <= NOW_MS ? fromMs : fromMs + 999, key: bhAfter };
    const found = table.changedSince(fromMs - 1, after, Number.MAX_SAFE_INTEGER);
    const page = found.slice(start, start + pageSize);
    const last = page[page.length - 1];
    sendJsonArray(res, {
      code: 0, msg: 'ok', total: found.length, pageNo, pageSize, gxsjMax,
      nextGxsjFrom: last ? compactBeijing(last.updatedAt) : from,
      nextBhAfter: last ? last.key : bhAfter,
    }, 'rows', serve(page.map((s) => s.line)));
  };

  const shell = await startHttpShell({ host: options.host ?? '127.0.0.1', port: options.port ?? 0, faults, change, route });

  let timer: NodeJS.Timeout | null = null;
  if (options.webhookUrl && intervalMs > 0) {
    timer = setInterval(() => {
      void pushIncident().catch(() => undefined); // counted in pushStats
    }, intervalMs);
    timer.unref();
  }

  return {
    department: 'police',
    endpoint: shell.url,
    connectorConfig: { baseUrl: shell.url, webhookSecret: secret },
    faults,
    changedKeys,
    pushed,
    pushStats,
    change,
    pushIncident,
    async stop() {
      if (timer) clearInterval(timer);
      await shell.close();
      for (const t of Object.values(tables)) {
        t.table.close();
        t.index.close();
      }
    },
  };
}

startPoliceSimulator satisfies SimulatorFactory;
