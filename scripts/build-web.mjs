// Builds the console (web/) into dist/web with Vite, then writes a .gz beside every text asset
// so the hub serves them compressed without compressing per request (sirv's `gzip` option).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { firstLoad } from './web-size.mjs';

const started = Date.now();
await build({ configFile: 'web/vite.config.ts', logLevel: 'warn' });
const out = 'dist/web';
const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? walk(path) : [path];
});
for (const file of walk(out)) {
  if (/\.(js|css|html|svg|json|map)$/.test(file) && !file.endsWith('.map')) writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
}
const size = firstLoad(out);
console.log(`web console built into ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s; first-load JavaScript ${(size.gzip / 1024).toFixed(1)} KB gzipped`);
