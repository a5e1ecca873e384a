import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const started = Date.now();

/** One progress line on stderr, stamped with the time since the bench started. */
export function progress(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${seconds}s] ${message}\n`);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let root: string | undefined;

/** The repository root: the nearest directory above this file with the liandong package.json. */
export function projectRoot(): string {
  if (root) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'liandong') return (root = dir);
      } catch {
        // not ours; keep looking
      }
    }
    if (dirname(dir) === dir) throw new Error('cannot find the liandong package root above the bench script');
  }
}

/** Keeps the last `maxLines` lines written to it, for error messages about child processes. */
export class LineTail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly maxLines = 40) {}
  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
  }
  text(): string {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.join('\n').trimEnd();
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
