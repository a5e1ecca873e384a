/** A generated world for connector and sync tests: `tiny` (~1,000 people) unless asked otherwise, one per seed and scale per test file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld, type GenerateOptions, type ScaleName } from '../../src/world/index.js';

const made = new Map<string, Promise<string>>();
const dirs: string[] = [];

/** `variant` adds generator options (a noise preset) under a name that keeps its world apart from the default one. */
export function testWorld(scale: ScaleName = 'tiny', seed = 7, variant?: { name: string; options: Partial<Omit<GenerateOptions, 'scale' | 'seed' | 'outDir'>> }): Promise<string> {
  const key = `${scale}:${seed}:${variant?.name ?? ''}`;
  let dir = made.get(key);
  if (!dir) {
    const out = mkdtempSync(join(tmpdir(), `liandong-world-${scale}-`));
    dirs.push(out);
    dir = generateWorld({ ...variant?.options, scale, seed, outDir: join(out, 'world'), overwrite: true }).then(() => join(out, 'world'));
    made.set(key, dir);
  }
  return dir;
}

/** Removes every world this test file generated; call from afterAll. */
export function removeTestWorlds(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  made.clear();
}
