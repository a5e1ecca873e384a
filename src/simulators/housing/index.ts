/**
 * The housing bureau (住建/房管局) as it really exchanges data: a nightly full export of its
 * building register (楼盘表) and dwelling register, as GBK-encoded CSV files dropped on a shared
 * folder. Nothing here speaks HTTP except the small control port every simulator has.
 *
 * Layout of the drop folder (`<workDir>/housing`, or a temporary directory):
 *
 *   20261125T133000-0001/buildings.csv    header row + one row per building
 *   20261125T133000-0001/dwellings.csv    header row + one row per dwelling, owner and tenants flattened
 *   20261125T133000-0001/_READY           written last; a dump without it is still being written
 *
 * Dump names sort in time order (Beijing wall time, then a sequence number). Rows are CRLF-ended,
 * fields never contain line breaks, and tenants are written `name|id_number|phone;name|…`.
 * The last three complete dumps are kept; older ones are deleted.
 *
 * Faults, the way a file drop fails:
 * - down: the share disappears (the folder is renamed away, as when the mount drops); dumps
 *   written meanwhile land in the hidden folder and reappear with it.
 * - latencyMs: the export job is slow; a new dump's folder exists without `_READY` for this long
 *   before its files are written.
 * - malformedRate: rows written with the wrong number of fields (an unquoted comma in the
 *   address, a truncated line) or in UTF-8 instead of GBK (a record edited through a web form).
 * - rateLimitPerSecond: applies to the control port only; a folder has no rate limit.
 */
import { existsSync, mkdtempSync, renameSync, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify/sync';
import iconv from 'iconv-lite';
import { FaultState, type Faults } from '../common/faults.js';
import { sendJson, startHttpShell } from '../common/server.js';
import type { RunningSimulator, SimulatorFactory } from '../common/simulator.js';
import { FileTable } from '../common/table.js';
import { worldFile } from '../../world/read.js';
import { Rng } from '../../world/rng.js';
import { compactBeijing, isoBeijing, NOW_MS } from '../../world/time.js';
import type { HousingBuilding, HousingDwelling, HousingPerson } from '../../world/types.js';

export const BUILDING_COLUMNS = [
  'building_code', 'building_name', 'address', 'road_address', 'community', 'use', 'structure', 'floors_above', 'units', 'built_year',
  'dwelling_count', 'longitude', 'latitude', 'updated_at',
] as const;

export const DWELLING_COLUMNS = [
  'house_code', 'building_code', 'address', 'unit', 'floor', 'room', 'area_m2', 'usage', 'owner_name', 'owner_id_number', 'owner_phone',
  'tenants', 'updated_at',
] as const;

/** The marker written last into a complete dump. */
export const READY_MARKER = '_READY';
/** Complete dumps kept in the folder; older ones are deleted after each new dump. */
export const KEEP_DUMPS = 3;

const PAGE = 2000;
const CSV = { record_delimiter: 'windows' } as const;
const LINE_BREAKS = /[\r\n]+/g;
const DOOR_NUMBER = /^(.*?)(\d+)号$/;
const DUMP_NAME = /^\d{8}T\d{6}-(\d+)$/;
const MOBILE_PREFIXES = ['135', '136', '137', '138', '139', '150', '158', '159', '182', '187', '188', '189', '199'] as const;

type Row = Record<string, unknown>;

/** A fault state that reports each change of its knobs, so that `down` takes effect at once. */
class FolderFaults extends FaultState {
  onSet: () => void = () => undefined;
  override set(patch: Partial<Faults>): void {
    super.set(patch);
    this.onSet();
  }
}

export const startHousingSimulator: SimulatorFactory = async (options) => {
  const seed = options.seed ?? 1;
  const faults = new FolderFaults(seed);
  const rng = Rng.of(seed, 0x4853);
  const ownFolder = options.workDir === undefined;
  const folder = options.workDir !== undefined ? join(options.workDir, 'housing') : mkdtempSync(join(tmpdir(), 'liandong-housing-'));
  const hidden = `${folder}.unmounted`;
  if (!existsSync(folder) && existsSync(hidden)) renameSync(hidden, folder); // left down by a previous run
  await mkdir(folder, { recursive: true });

  const table = (stream: string, keyField: string) =>
    new FileTable(worldFile(options.dataDir, `departments/housing/${stream}`), {
      keyField,
      updatedAt: (r) => Date.parse(String(r.updated_at)),
      stamp: (r, ms) => ({ ...r, updated_at: isoBeijing(ms) }),
      baseHighWater: NOW_MS,
    });
  const buildings = table('buildings', 'building_code');
  const dwellings = table('dwellings', 'house_code');

  let down = false;
  const root = (): string => (down ? hidden : folder);
  faults.onSet = () => {
    const want = faults.faults.down;
    if (want === down) return;
    renameSync(want ? folder : hidden, want ? hidden : folder);
    down = want;
  };

  let stopping = false;
  let seq = 0;
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const m = DUMP_NAME.exec(entry.name);
    if (!entry.isDirectory() || !m) continue;
    seq = Math.max(seq, Number(m[1]));
    // A dump a previous run never finished: the export job cleans up after itself.
    if (!existsSync(join(folder, entry.name, READY_MARKER))) await rm(join(folder, entry.name), { recursive: true, force: true });
  }

  async function writeTable(source: FileTable, columns: readonly string[], toRow: (r: Row) => string[], path: string): Promise<number> {
    let rows = 0;
    async function* chunks(): AsyncGenerator<Buffer> {
      yield iconv.encode(stringify([columns], CSV), 'gbk');
      let cursor = 0;
      for (;;) {
        if (stopping) throw new Error('simulator stopped while writing a dump');
        const { lines, next } = source.scan(cursor, PAGE);
        const parts: Buffer[] = [];
        let batch: string[][] = [];
        const flush = () => {
          if (batch.length > 0) parts.push(iconv.encode(stringify(batch, CSV), 'gbk'));
          batch = [];
        };
        for (const line of lines) {
          const row = toRow(JSON.parse(line) as Row);
          rows++;
          if (!faults.malformed()) {
            batch.push(row);
            continue;
          }
          const u = faults.draw();
          if (u < 0.25) batch.push([...row.slice(0, 2), ...splitAtComma(row[2] ?? ''), ...row.slice(3)]); // an unquoted comma in the address
          else if (u < 0.5) batch.push(row.slice(0, -2)); // a line cut short
          else {
            flush();
            parts.push(Buffer.from(stringify([row], CSV), 'utf8')); // UTF-8 among GBK
          }
        }
        flush();
        if (parts.length > 0) yield Buffer.concat(parts);
        if (next === null) break;
        cursor = next;
        // Let the event loop breathe between pages: the control port stays responsive during a district-scale dump.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    await pipeline(Readable.from(chunks()), createWriteStream(path));
    return rows;
  }

  /** Writes one complete dump and returns its name. */
  async function writeDump(): Promise<string> {
    const now = Date.now();
    const stamp = compactBeijing(now);
    const name = `${stamp.slice(0, 8)}T${stamp.slice(8)}-${String(++seq).padStart(4, '0')}`;
    await mkdir(join(root(), name));
    const latency = faults.faults.latencyMs;
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    const counts = {
      buildings: await writeTable(buildings, BUILDING_COLUMNS, buildingRow, join(root(), name, 'buildings.csv')),
      dwellings: await writeTable(dwellings, DWELLING_COLUMNS, dwellingRow, join(root(), name, 'dwellings.csv')),
    };
    await writeFile(join(root(), name, READY_MARKER), `${JSON.stringify({ dump: name, encoding: 'GBK', rows: counts, writtenAt: isoBeijing(now) })}\n`);
    await prune();
    return name;
  }

  async function prune(): Promise<void> {
    const dir = root();
    const complete = (await readdir(dir)).filter((n) => DUMP_NAME.test(n) && existsSync(join(dir, n, READY_MARKER))).sort();
    for (const old of complete.slice(0, Math.max(0, complete.length - KEEP_DUMPS))) await rm(join(dir, old), { recursive: true, force: true });
  }

  /** Changes `count` distinct records (about one in ten a building), then writes a new full dump. */
  async function changeAndDump(count: number): Promise<number> {
    const changed = new Set<string>();
    for (let attempt = 0; changed.size < count && attempt < count * 50; attempt++) {
      const building = rng.chance(0.1);
      const [key] = building ? buildings.change(1, rng, changeBuilding) : dwellings.change(1, rng, changeDwelling);
      if (key !== undefined) changed.add(`${building ? 'b' : 'd'}:${key}`);
    }
    await writeDump();
    return changed.size;
  }

  let queue: Promise<unknown> = writeDump();
  await queue;

  const shell = await startHttpShell({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    faults,
    route: (_req, res) => sendJson(res, 404, { error: `the housing bureau exchanges files, not HTTP: its daily dumps are in ${folder}` }),
    change: (count) => change(count),
  });

  function change(count: number): Promise<number> {
    const next = queue.then(() => changeAndDump(count));
    queue = next.catch(() => undefined);
    return next;
  }

  const running: RunningSimulator & { controlUrl: string } = {
    department: 'housing',
    endpoint: folder,
    controlUrl: shell.url,
    connectorConfig: { folder },
    faults,
    change,
    async stop() {
      if (stopping) return;
      stopping = true;
      await queue.catch(() => undefined);
      await shell.close();
      buildings.close();
      dwellings.close();
      if (down) {
        faults.onSet = () => undefined;
        renameSync(hidden, folder);
        down = false;
      }
      if (ownFolder) await rm(folder, { recursive: true, force: true });
    },
  };
  return running;
};

// ---------------------------------------------------------------------------------------------
// Rows and realistic edits.

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v).replace(LINE_BREAKS, ' '));

function buildingRow(r: Row): string[] {
  return BUILDING_COLUMNS.map((c) => text(r[c]));
}

function dwellingRow(r: Row): string[] {
  const d = r as unknown as HousingDwelling;
  const tenants = d.tenants.map((t) => `${text(t.name)}|${text(t.id_number)}|${text(t.phone)}`).join(';');
  return [
    d.house_code, d.building_code, text(d.address), text(d.unit), text(d.floor), text(d.room), text(d.area_m2), d.usage,
    text(d.owner?.name), text(d.owner?.id_number), text(d.owner?.phone), tenants, d.updated_at,
  ];
}

/** 良渚街道华云花园1幢 → ['良渚街道华', '云花园1幢']: what an unquoted comma does to a CSV row. */
function splitAtComma(value: string): string[] {
  const at = Math.max(1, Math.floor(value.length / 2));
  return [value.slice(0, at), value.slice(at)];
}

function mobile(rng: Rng): string {
  return `${rng.pick(MOBILE_PREFIXES)}${rng.digits(8)}`;
}

/** Door plates renumbered (门牌整顿) or the structure corrected after a survey. */
function changeBuilding(record: Row, rng: Rng): Row {
  const b = record as unknown as HousingBuilding;
  const door = DOOR_NUMBER.exec(b.road_address);
  if (door && rng.chance(0.6)) return { ...b, road_address: `${door[1] ?? ''}${Number(door[2]) + 2 * rng.int(1, 20)}号` };
  return { ...b, structure: b.structure === '砖混' ? '框架' : '砖混' };
}

/** A tenant moves out, an owner moves back in, a new phone number, a re-measured floor area. */
function changeDwelling(record: Row, rng: Rng): Row {
  const d = record as unknown as HousingDwelling;
  const newPhone = (p: HousingPerson): HousingPerson => ({ ...p, phone: mobile(rng) });
  const u = rng.next();
  if (d.usage === '出租' && d.tenants.length > 0 && u < 0.5) return { ...d, usage: '空置', tenants: [] };
  if (d.usage === '出租' && d.tenants.length > 0 && u < 0.75) return { ...d, tenants: d.tenants.map(newPhone) };
  if (d.usage === '空置' && d.owner && u < 0.5) return { ...d, usage: '自住' };
  if (d.owner && u < 0.8) return { ...d, owner: newPhone(d.owner) };
  const area = Math.round((d.area_m2 + (rng.chance(0.5) ? 1 : -1) * rng.float(0.5, 3)) * 100) / 100;
  return { ...d, area_m2: area };
}
