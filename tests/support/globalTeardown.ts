/** Jest globalTeardown: stop the throwaway PostgreSQL server globalSetup started, if it did. */
// globalSetup.ts declares globalThis.__liandongPostgres.
import type {} from './globalSetup.js';

export default async function globalTeardown(): Promise<void> {
  const handle = globalThis.__liandongPostgres;
  if (!handle) return;
  globalThis.__liandongPostgres = undefined;
  try {
    await handle.server.stop();
  } finally {
    handle.removeExitHooks();
  }
}
