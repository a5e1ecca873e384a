/** Reading the generator's output back, line by line (plain or gzip), for simulators, evaluation and tests. */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';

/** The path of an output file under `outDir`, e.g. worldFile(out, 'world/people'), whether gzipped or not. */
export function worldFile(outDir: string, name: string): string {
  const plain = join(outDir, `${name}.ndjson`);
  if (existsSync(plain)) return plain;
  const gz = `${plain}.gz`;
  if (existsSync(gz)) return gz;
  throw new Error(`no ${name}.ndjson(.gz) under ${outDir}`);
}

/** Yields each line of an NDJSON(.gz) file parsed as T. The caller vouches for T. */
export async function* readNdjson<T = unknown>(path: string): AsyncGenerator<T> {
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.length > 0) yield JSON.parse(line) as T;
  }
}
