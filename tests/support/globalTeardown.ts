/** Jest globalTeardown: stop the throwaway servers globalSetup started, if it did. */
// globalSetup.ts declares globalThis.__liandongPostgres.
import { rmSync } from 'node:fs';
import type {} from './globalSetup.js';

export default async function globalTeardown(): Promise<void> {
  const runDir = globalThis.__liandongRunDir;
  globalThis.__liandongRunDir = undefined;
  // Before the server stops: the template is dropped on it.
  await runDir?.remove();
  const es = globalThis.__liandongElasticsearch;
  if (es) {
    globalThis.__liandongElasticsearch = undefined;
    try {
      await (await es.started)?.stop();
    } finally {
      rmSync(es.stateDir, { recursive: true, force: true });
    }
  }
  const handle = globalThis.__liandongPostgres;
  if (!handle) return;
  globalThis.__liandongPostgres = undefined;
  try {
    await handle.server.stop();
  } finally {
    handle.removeExitHooks();
  }
}
