import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, redactUrl, type Config } from '../config.js';
import { createLogger } from '../observability/logger.js';
import { openDatabase, type Database } from '../store/db.js';
import { resolveTokenKeys, type TokenKeys } from '../auth/tokens.js';

/** What every command starts from: validated config, a logger, the token keys, and the store on demand. */
export interface Runtime {
  config: Config;
  log: Logger;
  tokenKeys: TokenKeys;
  openStore(): Promise<Database>;
}

export function createRuntime(env: NodeJS.ProcessEnv = process.env): Runtime {
  const config = loadConfig(env);
  const log = createLogger(config.LOG_LEVEL);
  return {
    config,
    log,
    tokenKeys: resolveTokenKeys({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, dataDir: config.DATA_DIR }),
    openStore: () => {
      if (config.DATABASE_URL) {
        log.info({ database: redactUrl(config.DATABASE_URL) }, 'using PostgreSQL server');
        return openDatabase({ kind: 'postgres', url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX });
      }
      const dataDir = join(config.DATA_DIR, 'pgdata');
      log.info({ dataDir }, 'using embedded PGlite database');
      return openDatabase({ kind: 'pglite', dataDir });
    },
  };
}
