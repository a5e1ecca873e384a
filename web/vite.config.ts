// The console builds into dist/web, which the hub serves (src/server/console.ts). Two pages:
// the app, and GraphiQL, so GraphiQL's editor never weighs on the app's first load.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    // The hub checks the first-load budget itself (scripts/web-size.mjs); Vite's warning is noise.
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      input: { index: here('index.html'), graphiql: here('graphiql.html') },
      // GraphiQL's dependencies mark modules "use client" for React Server Components; a browser bundle needs no such thing.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true }, '/console/': 'http://127.0.0.1:4000' },
  },
});
