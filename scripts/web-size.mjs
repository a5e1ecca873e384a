// The console's first-load JavaScript, gzipped: the entry script and the modules index.html
// preloads (Vite lists every static import of the entry there). Lazy pages, the map and
// GraphiQL are not in it. `node scripts/web-size.mjs` prints it; tests/web/budget.test.ts asserts it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const FIRST_LOAD_BUDGET_BYTES = 300 * 1024;

export function firstLoad(dir = 'dist/web') {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const srcs = [...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g), ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g)].map((m) => m[1]);
  const files = [...new Set(srcs)].map((src) => {
    const bytes = readFileSync(join(dir, src.replace(/^\//, '')));
    return { file: src, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return { files, gzip: files.reduce((a, f) => a + f.gzip, 0), bytes: files.reduce((a, f) => a + f.bytes, 0) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = firstLoad(process.argv[2]);
  for (const f of r.files) console.log(`${f.file}  ${(f.bytes / 1024).toFixed(1)} KB, ${(f.gzip / 1024).toFixed(1)} KB gzipped`);
  console.log(`first-load JavaScript: ${(r.gzip / 1024).toFixed(1)} KB gzipped (budget ${FIRST_LOAD_BUDGET_BYTES / 1024} KB)`);
  if (r.gzip > FIRST_LOAD_BUDGET_BYTES) process.exit(1);
}
