/**
 * The entity resolution benchmark: how many of the department records and the people,
 * buildings, dwellings and enterprises they mention the hub links to the right canonical entity,
 * against the generator's truth, and what resolution costs; with Splink on the same person items
 * side by side.
 *
 * One generated district (cached like the sync bench's), synced twice by `liandong sync` in a
 * child process into two fresh databases on the throwaway PostgreSQL server: once with
 * RESOLUTION_MODE=keys (links by valid ID number, credit code and normalised address only: the
 * baseline) and once with full resolution (the default). Then `liandong resolve --all` is timed
 * on the full one. Both stores are evaluated with bench/lib/resolutionEval.ts. Splink runs in a
 * Python venv the bench makes itself (.liandong/bench/splink-venv), on the person items exported
 * from the synced store with the facts the connectors mapped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { pinyin } from 'pinyin-pro';
import { openDatabase } from '../src/store/db.js';
import type { ScaleName } from '../src/world/index.js';
import { checkInterrupted, track } from './lib/cleanup.js';
import type { Machine } from './lib/report.js';
import {
  evaluate, predictionsFromClusters, readPredictions, realisticNoise, readTruthItems, renderByDepartment, renderByNoise, renderFalseMerges, renderMethods,
  renderSummary, type Evaluation, type Item, type Prediction, type TypeEvaluation,
} from './lib/resolutionEval.js';
import type { BenchContext } from './lib/targets.js';
import { benchSync, node, type SyncBenchResult } from './sync.js';
import type { WorldVariant } from './lib/world.js';
import { errorMessage, LineTail, progress, projectRoot } from './lib/util.js';

export type NoisePreset = 'default' | 'realistic';

export interface ResolutionBenchOptions {
  scale: ScaleName;
  seed: number;
  noise: NoisePreset;
  splink: boolean;
  /** Splink's match probability threshold for clustering. */
  splinkThreshold: number;
}

interface Timed {
  ms: number | null;
  /** Why there is no time (the command does not exist yet, it failed). */
  note?: string;
}

export interface SplinkResult {
  version: string | null;
  /** Wall time of the Python process: loading, training (u sampling, EM), predicting, clustering. */
  wallMs: number;
  timings: Record<string, number | string>;
  evaluation: Evaluation;
}

export interface ResolutionBenchResult {
  options: ResolutionBenchOptions;
  /** How the noise was chosen: the preset's export name, or why the default was used. */
  noiseNote: string;
  people: number;
  generateMs: number | null;
  keysSync: { elapsedMs: number; ok: boolean };
  fullSync: { elapsedMs: number; ok: boolean };
  resolveAll: Timed;
  items: number;
  keys: Evaluation;
  full: Evaluation;
  splink: SplinkResult | { failed: string } | null;
  postgres: string;
}

function sync(label: string, r: SyncBenchResult) {
  const ok = r.summaries.every((s) => s.ok);
  progress(`${label}: ${(r.elapsedMs / 1000).toFixed(1)} s${ok ? '' : ' (FAILED streams)'}`);
  return { elapsedMs: r.elapsedMs, ok };
}

/** `liandong resolve --all --no-progress` on a synced store, timed; null with a reason when it is not there or fails. */
async function timeResolveAll(databaseUrl: string, work: string): Promise<Timed> {
  progress('resolution: timing `liandong resolve --all` on the full store');
  const started = performance.now();
  const child = node('src/cli/main.js', ['resolve', '--all', '--no-progress'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', DATA_DIR: work, SIMULATE: 'false' });
  const tail = new LineTail(20);
  let unknown = false;
  const watch = (c: Buffer) => {
    // commander says so on the first line, before its help text fills the tail.
    if (/unknown command/i.test(c.toString())) unknown = true;
    tail.push(c);
  };
  child.stdout.on('data', watch);
  child.stderr.on('data', watch);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ms = performance.now() - started;
  if (code === 0) return { ms };
  const note = unknown ? 'no `resolve` command in this build' : `exited ${code}: ${tail.text().split('\n').at(-1) ?? ''}`;
  progress(`resolution: resolve --all: ${note}`);
  return { ms: null, note };
}

async function evaluateStore(name: string, databaseUrl: string, items: Item[]): Promise<{ evaluation: Evaluation; predictions: Map<string, Prediction> }> {
  const db = await openDatabase({ kind: 'postgres', url: databaseUrl, poolMax: 2 });
  try {
    const predictions = await readPredictions(db.knex);
    return { evaluation: evaluate(name, items, predictions), predictions };
  } finally {
    await db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Splink

const SPLINK_VENV = () => join(projectRoot(), '.liandong', 'bench', 'splink-venv');

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/** The venv's python with Splink importable, made on first use (python3 -m venv, pip install splink). */
function splinkPython(): { python: string; version: string } {
  const venv = SPLINK_VENV();
  const python = join(venv, 'bin', 'python');
  const probe = () => run(python, ['-c', 'import splink, duckdb; print(splink.__version__)']);
  if (existsSync(python)) {
    const p = probe();
    if (p.ok) return { python, version: p.out.trim() };
  }
  progress(`splink: creating a venv in ${venv} and installing splink from PyPI`);
  mkdirSync(join(venv, '..'), { recursive: true });
  const made = run('python3', ['-m', 'venv', venv]);
  if (!made.ok) throw new Error(`python3 -m venv failed: ${made.out.trim().split('\n').at(-1)}`);
  const pip = run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', 'splink']);
  if (!pip.ok) throw new Error(`pip install splink failed: ${pip.out.trim().split('\n').slice(-3).join(' ')}`);
  const p = probe();
  if (!p.ok) throw new Error(`splink does not import after installing: ${p.out.trim().split('\n').at(-1)}`);
  return { python, version: p.out.trim() };
}

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v).trim());

/** Name as pinyin without tones or spaces: 陳國華, 王 芳, WANG FANG and 王芳 meet; homophones too. */
export function namePinyin(name: string): string {
  const compact = name.replace(/\s+/g, '');
  if (compact === '') return '';
  return pinyin(compact, { toneType: 'none', type: 'array', nonZh: 'consecutive' }).join('').toLowerCase().replace(/[^a-z]/g, '');
}

/** A birth date as written, else the one an 18-character ID number carries (when it reads as a date). */
function birthDate(facts: Record<string, unknown>): string {
  const written = str(facts.birthDate);
  if (written) return written;
  const id = str(facts.idNumber);
  const m = /^\d{6}(\d{4})(\d{2})(\d{2})\d{3}[\dXx]$/.exec(id);
  if (!m) return '';
  const [, y, mo, d] = m;
  return Number(mo) >= 1 && Number(mo) <= 12 && Number(d) >= 1 && Number(d) <= 31 ? `${y}-${mo}-${d}` : '';
}

/**
 * One CSV row per person item the store has a row for: the facts the connector mapped, with the
 * normalisations Splink's comparisons need. The address parts come from the hub's address
 * parser (addressKey: street|estate|building|unit|room), which both sides share.
 */
export function splinkRows(items: Item[], predictions: Map<string, Prediction>): { rows: Array<Record<string, string>>; keys: string[] } {
  const rows: Array<Record<string, string>> = [];
  const keys: string[] = [];
  for (const item of items) {
    if (item.entityType !== 'person') continue;
    const f = predictions.get(item.key)?.facts;
    if (!f) continue;
    const id = str(f.idNumber).toUpperCase();
    const dob = birthDate(f);
    const addressKey = str(f.addressKey);
    const parts = addressKey ? addressKey.split('|') : [];
    rows.push({
      unique_id: String(keys.length),
      truth_cluster: item.truth,
      name: str(f.name).replace(/\s+/g, ''),
      name_pinyin: namePinyin(str(f.name)),
      sex: str(f.sex),
      birth_date: dob,
      birth_year: dob.slice(0, 4),
      phone: str(f.phone).replace(/\D/g, ''),
      id_number: id,
      id_head: id.length >= 14 ? id.slice(0, 14) : '',
      id_tail: id.length === 18 ? id.slice(10) : '',
      street: parts[0] ?? '',
      building: parts.length >= 3 ? parts.slice(0, 3).join('|') : '',
      dwelling: addressKey,
    });
    keys.push(item.key);
  }
  return { rows, keys };
}

async function runSplink(items: Item[], predictions: Map<string, Prediction>, threshold: number, work: string): Promise<SplinkResult> {
  const { python, version } = splinkPython();
  const { rows, keys } = splinkRows(items, predictions);
  const input = join(work, 'splink-people.csv');
  const output = join(work, 'splink-clusters.csv');
  // Empty strings are nulls to Splink: DuckDB reads them as NULL with all_varchar.
  writeFileSync(input, stringify(rows, { header: true, columns: Object.keys(rows[0] ?? { unique_id: '' }) }));
  progress(`splink ${version}: ${rows.length} person items → ${input}; training and clustering at p ≥ ${threshold}`);
  const started = performance.now();
  const child = spawn(python, [join(projectRoot(), 'bench', 'splink', 'resolve.py'), input, output, '--threshold', String(threshold)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let last = '';
  createInterface({ input: child.stdout }).on('line', (line) => { if (line.trim()) last = line; });
  const tail = new LineTail(30);
  child.stderr.on('data', (c: Buffer) => tail.push(c));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`resolve.py exited ${code}: ${tail.text().split('\n').slice(-5).join(' | ')}`);
  const timings = JSON.parse(last) as Record<string, number | string>;
  const clusters = new Map<string, string>();
  const out: Array<{ unique_id: string; cluster_id: string }> = parse(readFileSync(output, 'utf8'), { columns: true });
  for (const r of out) {
    const key = keys[Number(r.unique_id)];
    if (key !== undefined) clusters.set(key, `splink:${r.cluster_id}`);
  }
  const persons = items.filter((i) => i.entityType === 'person');
  const evaluation = evaluate(`Splink ${version}`, persons, predictionsFromClusters(clusters, predictions));
  progress(`splink: ${(wallMs / 1000).toFixed(1)} s wall (train ${Number(timings.trainS).toFixed(1)} s)`);
  return { version, wallMs, timings, evaluation };
}

// ---------------------------------------------------------------------------------------------

export async function benchResolution(ctx: BenchContext, opts: ResolutionBenchOptions): Promise<ResolutionBenchResult> {
  let variant: WorldVariant | undefined;
  let noiseNote = 'default noise (DEFAULT_NOISE)';
  if (opts.noise === 'realistic') {
    const options = realisticNoise();
    variant = { name: 'realistic', options };
    noiseNote = 'the realistic preset (REALISTIC_NOISE)';
  }
  const work = mkdtempSync(join(tmpdir(), 'liandong-bench-resolution-'));
  track('resolution work directory', async () => rmSync(work, { recursive: true, force: true }));

  // RESOLUTION_MODE=keys is the baseline; the full run must not inherit one from the caller's shell.
  const keysRun = await benchSync(ctx, opts.scale, opts.seed, { variant, env: { RESOLUTION_MODE: 'keys' }, label: 'resolution: keys-only sync' });
  const keysSync = sync('resolution: keys-only sync', keysRun);
  checkInterrupted();
  const fullRun = await benchSync(ctx, opts.scale, opts.seed, { variant, env: { RESOLUTION_MODE: undefined }, label: 'resolution: full sync' });
  const fullSync = sync('resolution: full sync', fullRun);
  checkInterrupted();
  const resolveAll = await timeResolveAll(fullRun.databaseUrl, work);
  checkInterrupted();

  progress('resolution: reading the truth and evaluating both stores');
  const items = await readTruthItems(keysRun.worldDir);
  const keys = (await evaluateStore('hub, keys only', keysRun.databaseUrl, items)).evaluation;
  const fullEval = await evaluateStore('hub, full resolution', fullRun.databaseUrl, items);
  checkInterrupted();

  let splink: ResolutionBenchResult['splink'] = null;
  if (opts.splink) {
    try {
      splink = await runSplink(items, fullEval.predictions, opts.splinkThreshold, work);
    } catch (error) {
      progress(`splink: FAILED: ${errorMessage(error)}`);
      splink = { failed: errorMessage(error) };
    }
  }
  return {
    options: opts, noiseNote, people: keysRun.people, generateMs: keysRun.generateMs, keysSync, fullSync, resolveAll,
    items: items.length, keys, full: fullEval.evaluation, splink, postgres: keysRun.postgres,
  };
}

// ---------------------------------------------------------------------------------------------

const s = (ms: number | null) => (ms === null ? 'n/a' : (ms / 1000).toFixed(1));
const pct = (v: number | null) => (v === null ? '—' : (v * 100).toFixed(2));
const person = (e: Evaluation): TypeEvaluation | undefined => e.types.find((t) => t.entityType === 'person');

export function renderResolutionSection(r: ResolutionBenchResult, machine: Machine, date: string): string {
  const o = r.options;
  const slowdown = r.fullSync.elapsedMs / Math.max(1, r.keysSync.elapsedMs);
  const hubPerson = person(r.full);
  const side: string[][] = [];
  if (hubPerson) {
    side.push(['hub (full resolution)', pct(hubPerson.pairwise.f1), pct(hubPerson.pairwise.precision), pct(hubPerson.pairwise.recall),
      pct(hubPerson.bcubed.precision), pct(hubPerson.bcubed.recall), r.resolveAll.ms === null ? `n/a (${r.resolveAll.note ?? ''})` : s(r.resolveAll.ms)]);
  }
  const keysPerson = person(r.keys);
  if (keysPerson) {
    side.push(['hub (keys only, baseline)', pct(keysPerson.pairwise.f1), pct(keysPerson.pairwise.precision), pct(keysPerson.pairwise.recall),
      pct(keysPerson.bcubed.precision), pct(keysPerson.bcubed.recall), '—']);
  }
  let splinkText = 'Splink: not run (`--no-resolution-splink`).';
  if (r.splink && 'failed' in r.splink) splinkText = `Splink: FAILED: ${r.splink.failed}`;
  else if (r.splink) {
    const sp = person(r.splink.evaluation);
    if (sp) side.push([r.splink.evaluation.name, pct(sp.pairwise.f1), pct(sp.pairwise.precision), pct(sp.pairwise.recall), pct(sp.bcubed.precision), pct(sp.bcubed.recall), s(r.splink.wallMs)]);
    const t = r.splink.timings;
    splinkText = `Splink ${r.splink.version} (DuckDB ${String(t.duckdb)}), clusters at match probability ≥ ${o.splinkThreshold}: ${String(t.rows)} person rows, ${String(t.pairsAboveThreshold)} pairs above the threshold; load ${Number(t.loadS).toFixed(1)} s, training ${Number(t.trainS).toFixed(1)} s, predict ${Number(t.predictS).toFixed(1)} s, cluster ${Number(t.clusterS).toFixed(1)} s (wall ${s(r.splink.wallMs)} s with Python's start).`;
  }
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    `<!-- bench:${resolutionSectionName(o.scale, o.noise)}:start -->`,
    `## Entity resolution at ${o.scale} scale${o.noise === 'default' ? '' : `, ${o.noise} noise`}`,
    '',
    `${date} · ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB · ${machine.os} · Node ${machine.node} · \`npm run bench -- --resolution --resolution-scale ${o.scale}${o.noise === 'default' ? '' : ` --resolution-noise ${o.noise}`}\``,
    '',
    `What is measured: the \`${o.scale}\` district (seed ${o.seed}, ${r.people.toLocaleString('en-US')} people, ${r.noiseNote}) synced by \`liandong sync\` twice into fresh databases on a local PostgreSQL server (${r.postgres.split('@').pop()}): with \`RESOLUTION_MODE=keys\` (links by valid ID number, credit code and normalised address only, the baseline) and with full resolution (the default). \`liandong resolve --all\` is then timed on the full store. Each store is scored against the generator's truth (\`truth/*.ndjson\`) by \`bench/lib/resolutionEval.ts\`: an item is a record's subject or one entity it mentions (the k-th mention of a role is the k-th truth link of that role), ${r.items.toLocaleString('en-US')} items in all; the truth cluster is the world entity, the predicted cluster the canonical row the hub linked it to (unlinked: a cluster of its own). Pairwise precision/recall/F1 count item pairs from contingency counts; B³ averages per item; "usable" restricts recall to items that carry an ID number or credit code as written, or a name plus a phone, birth date or address (places: an address); a false merge is a predicted cluster holding more than one truth entity.`,
    '',
    `Splink runs in the bench's own venv (\`.liandong/bench/splink-venv\`, \`pip install splink\`) on the person items of the synced store, with the facts the connectors mapped (name, pinyin of the name via pinyin-pro, sex, birth date or the one in the ID number, phone, ID number as written, street/building/room from the hub's address parser): \`bench/splink/resolve.py\` compares name (exact, same pinyin, Jaro-Winkler ≥ 0.92/0.80 on pinyin), birth date and phone and ID number (edit distance 1, 2), sex, address (room, building, street); blocks on pinyin + birth year, phone, room, and ID fragments; estimates λ from ID and name+birth+phone agreement, u by random sampling, m by EM in three sessions; predicts and clusters connected components. Its time includes training; the hub's is the \`resolve --all\` time.`,
    '',
    `**Sync: ${s(r.keysSync.elapsedMs)} s keys only, ${s(r.fullSync.elapsedMs)} s with full resolution (×${slowdown.toFixed(2)})**${r.keysSync.ok && r.fullSync.ok ? '' : ' — a sync had FAILED streams'}; \`resolve --all\` ${r.resolveAll.ms === null ? `n/a: ${r.resolveAll.note ?? ''}` : `${s(r.resolveAll.ms)} s`}${r.generateMs === null ? '' : `; generation ${s(r.generateMs)} s`}.`,
    '',
    'People, hub and Splink side by side (pairwise F1, P, R; B³ P, R; wall seconds):',
    '',
    row(['resolver', 'F1 %', 'P %', 'R %', 'B³ P %', 'B³ R %', 'seconds']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...side.map(row),
    '',
    splinkText,
    '',
    'Every entity type:',
    '',
    renderSummary([r.keys, r.full, ...(r.splink && !('failed' in r.splink) ? [r.splink.evaluation] : [])]),
    '',
    '<details><summary>Full resolution per department, per noise tag, per link method; false merges</summary>',
    '',
    renderByDepartment(r.full),
    '',
    renderByNoise(r.full),
    '',
    renderMethods(r.full),
    '',
    'False merges (up to 5 per type, largest first):',
    '',
    renderFalseMerges(r.full),
    '',
    '</details>',
    `<!-- bench:${resolutionSectionName(o.scale, o.noise)}:end -->`,
  ].join('\n');
}

/** One section per scale in docs/BENCHMARKS.md: a tiny run does not overwrite the small one. */
/** One section per scale and noise, so a realistic run does not replace the default one. */
export const resolutionSectionName = (scale: ScaleName, noise: string) => (noise === 'default' ? `entity-resolution-${scale}` : `entity-resolution-${scale}-${noise}`);
