import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, redactUrl, type Config } from '../config.js';
import { createLogger } from '../observability/logger.js';
import { DEFAULT_BACKGROUND_POOL_MAX, openDatabase, type Database } from '../store/db.js';
import type { ResolutionOptions } from '../resolution/index.js';
import { developmentSecret, localKeys, remoteJwks, type LocalKeys, type TokenVerifier } from '../auth/tokens.js';

/** What every command starts from: validated config, a logger, token keys, and the store on demand. */
export interface Runtime {
  config: Config;
  log: Logger;
  tokens: TokenVerifier;
  /** The key `npx liandong token` signs with; absent when tokens come from an identity provider. */
  signingKeys: LocalKeys | null;
  openStore(): Promise<Database>;
  /** Entity resolution's mode and thresholds, from RESOLUTION_*. */
  resolution: ResolutionOptions;
}

export function createRuntime(env: NodeJS.ProcessEnv = process.env): Runtime {
  const config = loadConfig(env);
  const log = createLogger(config.LOG_LEVEL);
  const signingKeys = config.JWT_JWKS_URL && !config.JWT_SECRET
    ? null
    : localKeys(config.JWT_SECRET ? new TextEncoder().encode(config.JWT_SECRET) : developmentSecret(config.DATA_DIR), config.JWT_ISSUER);
  return {
    config,
    log,
    tokens: config.JWT_JWKS_URL ? remoteJwks(config.JWT_JWKS_URL, config.JWT_ISSUER) : signingKeys!,
    signingKeys,
    resolution: {
      mode: config.RESOLUTION_MODE, autoLink: config.RESOLUTION_AUTO_LINK, review: config.RESOLUTION_REVIEW, margin: config.RESOLUTION_MARGIN_BITS,
    },
    openStore: () => {
      if (config.DATABASE_URL) {
        const backgroundPoolMax = config.DATABASE_BACKGROUND_POOL_MAX ?? DEFAULT_BACKGROUND_POOL_MAX;
        // Both pools, so an operator sizing max_connections sees what this process may open (plus its LISTEN connection).
        log.info({ database: redactUrl(config.DATABASE_URL), requestPoolMax: config.DATABASE_POOL_MAX, backgroundPoolMax }, 'using PostgreSQL server');
        return openDatabase({ kind: 'postgres', url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, backgroundPoolMax });
      }
      const dataDir = join(config.DATA_DIR, 'pgdata');
      log.info({ dataDir }, 'using embedded PGlite database');
      return openDatabase({ kind: 'pglite', dataDir });
    },
  };
}
