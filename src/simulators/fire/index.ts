/**
 * The fire brigade's supervision system (消防监督管理系统): inspections of buildings and
 * enterprises, and the hazards they found, served as XML over HTTP.
 *
 *   GET /fire/api/inspections?size=500[&after=<token>][&since=<ISO 8601>]
 *   GET /fire/api/hazards?size=500[&after=<token>][&since=<ISO 8601>]
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <inspections size="500" count="500" total="1234" more="true" highWater="2026-11-25T10:00:00+08:00" next="1764036000000~XFJC20260000005">
 *     <inspection><inspection_no>XFJC20260000005</inspection_no>…<credit_code/>…</inspection>
 *     …
 *   </inspections>
 *
 * Records come in (update time, number) order. Paging is by keyset, not by page number: `next` is
 * the position of the page's last record, and `after=<next>` returns the records after it. A
 * record that changes between two requests gets an update time later than every record served so
 * far, so it moves behind the position already reached and is served again, in its new version,
 * further on; nothing shifts under the reader (an offset-based `page=N` would skip a record each
 * time one before it moved to the end). The same token, kept after the last page, is the
 * incremental cursor: `after=<last next>` returns exactly what changed since. `since` filters by
 * update time (exclusive) for clients that want a time window instead. `total` counts the
 * records from this page to the end; `more` says whether another page follows.
 *
 * Empty elements are nulls. Malformed records (malformedRate): an unclosed tag, a stray `&`, a
 * date field that is not a date; each stays inside its own `<inspection>`/`<hazard>` element.
 */
import type { ServerResponse } from 'node:http';
import { FaultState } from '../common/faults.js';
import { startHttpShell } from '../common/server.js';
import type { RunningSimulator, SimulatorFactory } from '../common/simulator.js';
import { FileTable, type StoredLine } from '../common/table.js';
import { worldFile } from '../../world/read.js';
import { Rng } from '../../world/rng.js';
import { beijingDay, isoBeijing, isoDay, NOW_MS } from '../../world/time.js';
import type { FireHazard, FireInspection } from '../../world/types.js';

export const FIRE_STREAMS = {
  inspections: {
    element: 'inspection',
    key: 'inspection_no',
    fields: ['inspection_no', 'target_type', 'target_name', 'credit_code', 'address', 'inspected_on', 'inspector', 'result', 'hazard_count', 'updated_at'],
    dateField: 'inspected_on',
  },
  hazards: {
    element: 'hazard',
    key: 'hazard_no',
    fields: [
      'hazard_no', 'inspection_no', 'target_type', 'target_name', 'address', 'hazard_type', 'description', 'found_on', 'rectification_deadline',
      'status', 'rectified_on', 'updated_at',
    ],
    dateField: 'found_on',
  },
} as const;

type StreamName = keyof typeof FIRE_STREAMS;
type Row = Record<string, unknown>;

const MAX_SIZE = 5000;
const DEFAULT_SIZE = 500;
const XML_SPECIAL = /[&<>]/g;
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const TOKEN = /^(\d{1,16})~(.+)$/;

export const startFireSimulator: SimulatorFactory = async (options) => {
  const seed = options.seed ?? 1;
  const faults = new FaultState(seed);
  const rng = Rng.of(seed, 0x4649);
  const table = (stream: StreamName) =>
    new FileTable(worldFile(options.dataDir, `departments/fire/${stream}`), {
      keyField: FIRE_STREAMS[stream].key,
      updatedAt: (r) => Date.parse(String(r.updated_at)),
      stamp: (r, ms) => ({ ...r, updated_at: isoBeijing(ms) }),
      baseHighWater: NOW_MS,
    });
  const tables: Record<StreamName, FileTable> = { inspections: table('inspections'), hazards: table('hazards') };

  function serve(res: ServerResponse, stream: StreamName, url: URL): void {
    const spec = FIRE_STREAMS[stream];
    const sizeText = url.searchParams.get('size');
    const size = sizeText === null ? DEFAULT_SIZE : Number(sizeText);
    if (!Number.isInteger(size) || size < 1 || size > MAX_SIZE) return xmlError(res, 400, `size must be a whole number from 1 to ${MAX_SIZE}`);
    const sinceText = url.searchParams.get('since');
    const since = sinceText === null ? -Infinity : Date.parse(sinceText);
    if (Number.isNaN(since)) return xmlError(res, 400, `since is not an ISO 8601 time: ${sinceText}`);
    const afterText = url.searchParams.get('after');
    let after: { updatedAt: number; key: string } | null = null;
    if (afterText !== null) {
      const m = TOKEN.exec(afterText);
      if (!m) return xmlError(res, 400, `after is not a position token from a previous page's next attribute: ${afterText}`);
      after = { updatedAt: Number(m[1]), key: m[2] as string };
    }
    const t = tables[stream];
    const highWater = t.highWater;
    // Everything after the position, from the position's own time on, so a deep sweep stays cheap.
    const from = after ? Math.max(since, after.updatedAt - 1) : since;
    const rest = t.changedSince(from, after, Number.MAX_SAFE_INTEGER);
    const page = rest.slice(0, size);
    const last = page.at(-1);
    const head =
      `<?xml version="1.0" encoding="UTF-8"?>\n<${stream} size="${size}" count="${page.length}" total="${rest.length}" more="${rest.length > page.length}"` +
      ` highWater="${isoBeijing(highWater)}"${last ? ` next="${token(last)}"` : ''}>\n`;
    const body = page.map((s) => element(spec.element, spec.fields, JSON.parse(s.line) as Row, spec.dateField)).join('');
    res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8' });
    res.end(`${head}${body}</${stream}>\n`);
  }

  function element(name: string, fields: readonly string[], record: Row, dateField: string): string {
    let out = `<${name}>`;
    for (const f of fields) {
      const v = record[f];
      out += v === null || v === undefined || v === '' ? `<${f}/>` : `<${f}>${escapeXml(String(v))}</${f}>`;
    }
    out += `</${name}>\n`;
    if (!faults.malformed()) return out;
    const u = faults.draw();
    if (u < 0.34) return out.replace('</target_name>', ''); // an unclosed tag
    if (u < 0.67) return out.replace('<target_name>', '<target_name>R&D '); // a stray ampersand
    return out.replace(new RegExp(`<${dateField}>[^<]*</${dateField}>`), `<${dateField}>待补录</${dateField}>`); // a date that is not one
  }

  const shell = await startHttpShell({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    faults,
    route: (req, res, url) => {
      const m = /^\/fire\/api\/(inspections|hazards)\/?$/.exec(url.pathname);
      if (!m) return xmlError(res, 404, `no such resource ${url.pathname}; try /fire/api/inspections or /fire/api/hazards`);
      if (req.method !== 'GET') return xmlError(res, 405, 'only GET');
      serve(res, m[1] as StreamName, url);
    },
    change: (count) => Promise.resolve(change(count)),
  });

  /** Changes `count` distinct records: hazards rectified or gone overdue, re-inspections. */
  function change(count: number): number {
    const changed = new Set<string>();
    const today = beijingDay(Math.max(Date.now(), NOW_MS));
    for (let attempt = 0; changed.size < count && attempt < count * 50; attempt++) {
      const hazard = rng.chance(0.6);
      const [key] = hazard ? tables.hazards.change(1, rng, (r, g) => changeHazard(r, g, today)) : tables.inspections.change(1, rng, (r, g) => changeInspection(r, g, today));
      if (key !== undefined) changed.add(`${hazard ? 'h' : 'i'}:${key}`);
    }
    return changed.size;
  }

  let stopped = false;
  const running: RunningSimulator = {
    department: 'fire',
    endpoint: shell.url,
    connectorConfig: { baseUrl: shell.url },
    faults,
    change: (count) => Promise.resolve(change(count)),
    async stop() {
      if (stopped) return;
      stopped = true;
      await shell.close();
      tables.inspections.close();
      tables.hazards.close();
    },
  };
  return running;
};

function token(s: StoredLine): string {
  return `${s.updatedAt}~${s.key}`;
}

function escapeXml(text: string): string {
  return text.replace(XML_SPECIAL, (c) => XML_ESCAPES[c] as string);
}

function xmlError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/xml; charset=utf-8' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<error status="${status}">${escapeXml(message)}</error>\n`);
}

/** A hazard's rectification moves on: done, gone overdue, or re-opened after a failed re-check. */
function changeHazard(record: Row, rng: Rng, today: number): Row {
  const h = record as unknown as FireHazard;
  const deadlinePassed = h.rectification_deadline < isoDay(today);
  if (h.status === '整改中') return deadlinePassed && rng.chance(0.5) ? { ...h, status: '逾期未整改' } : { ...h, status: '已整改', rectified_on: isoDay(today) };
  if (h.status === '逾期未整改') return { ...h, status: '已整改', rectified_on: isoDay(today) };
  // 复查不合格: re-opened with a new deadline.
  return { ...h, status: '整改中', rectified_on: null, rectification_deadline: isoDay(today + rng.int(7, 30)) };
}

/** A re-inspection: a new date, and a pass when the hazards were dealt with. */
function changeInspection(record: Row, rng: Rng, today: number): Row {
  const i = record as unknown as FireInspection;
  const result = i.result === '发现隐患' && rng.chance(0.5) ? '合格' : i.result;
  return { ...i, inspected_on: isoDay(today), result };
}
