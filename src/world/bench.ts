/**
 * Measures the generator: wall time, peak RSS and bytes written, at a given scale, into a
 * temporary directory that is removed afterwards (unless `keep`).
 *
 *   import { benchWorld } from './world/bench.js';
 *   const r = await benchWorld({ scale: 'district' });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld, type ProgressStage } from './generator.js';
import type { ScaleName } from './layout.js';
import type { Manifest } from './types.js';

export interface WorldBenchOptions {
  scale?: ScaleName;
  seed?: number;
  gzip?: boolean | number;
  /** Where to write; a fresh temporary directory by default. */
  outDir?: string;
  keep?: boolean;
  onProgress?: (stage: ProgressStage, done: number, total: number) => void;
}

export interface WorldBenchResult {
  scale: ScaleName;
  gzip: boolean | number;
  wallMs: number;
  /** The process's peak resident set (getrusage maxrss), bytes. */
  peakRssBytes: number;
  outputBytes: number;
  rows: number;
  people: number;
  manifest: Manifest;
}

export async function benchWorld(options: WorldBenchOptions = {}): Promise<WorldBenchResult> {
  const scale = options.scale ?? 'district';
  const outDir = options.outDir ?? mkdtempSync(join(tmpdir(), `liandong-world-${scale}-`));
  const started = process.hrtime.bigint();
  try {
    const manifest = await generateWorld({
      scale, seed: options.seed ?? 20261125, outDir, gzip: options.gzip ?? false, overwrite: true, onProgress: options.onProgress,
    });
    const wallMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
    const files = Object.values(manifest.files);
    return {
      scale, gzip: options.gzip ?? false, wallMs, peakRssBytes: process.resourceUsage().maxRSS * 1024,
      outputBytes: files.reduce((s, f) => s + f.bytes, 0), rows: files.reduce((s, f) => s + f.rows, 0), people: manifest.entities.people, manifest,
    };
  } finally {
    if (!options.keep) rmSync(outDir, { recursive: true, force: true });
  }
}

/** One line per result, for a terminal or a markdown table. */
export function formatWorldBench(r: WorldBenchResult): string {
  const mb = (b: number): string => `${(b / 1_048_576).toFixed(0)} MiB`;
  return `world ${r.scale}${r.gzip ? ' (gzip)' : ''}: ${r.people.toLocaleString('en')} people, ${r.rows.toLocaleString('en')} rows in ${(r.wallMs / 1000).toFixed(1)} s, `
    + `peak RSS ${mb(r.peakRssBytes)}, output ${mb(r.outputBytes)}`;
}
