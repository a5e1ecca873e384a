// Fails when src/generated/ differs from what `npm run codegen` would write from the SDL.
import { readFileSync } from 'node:fs';
import { generate, loadCodegenConfig } from '@graphql-codegen/cli';

const { config } = await loadCodegenConfig({ configFilePath: 'codegen.yml' });
const outputs = await generate({ ...config, silent: true }, false);
let stale = 0;
for (const { filename, content } of outputs) {
  let current = '';
  try { current = readFileSync(filename, 'utf8'); } catch { /* missing counts as stale */ }
  if (current !== content) {
    stale++;
    console.error(`stale generated file: ${filename} — run \`npm run codegen\` and commit the result`);
  }
}
if (stale) process.exit(1);
console.log(`generated code is up to date (${outputs.length} file${outputs.length === 1 ? '' : 's'})`);
