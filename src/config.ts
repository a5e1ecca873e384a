import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './domain/errors.js';

/**
 * Configuration comes from the environment only, validated once at start. Each wrong value
 * gets its own message naming the variable, so an operator fixes all of them in one go.
 */
const booleanString = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  /**
   * The background pool (syncs, pushes, indexer, retention, case watcher), apart from the request
   * pool above; absent: DEFAULT_BACKGROUND_POOL_MAX (5). At least 3: a scheduled sync holds its
   * lock's connection and works on another, and the indexer needs one meanwhile.
   */
  DATABASE_BACKGROUND_POOL_MAX: z.coerce.number().int().min(3).max(100).optional(),
  ELASTICSEARCH_URL: z.string().url('must be an http(s):// URL').optional(),
  DATA_DIR: z.string().min(1).default('.liandong'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_JWKS_URL: z.string().url('must be an https:// URL of the identity provider\'s JWKS').optional(),
  JWT_ISSUER: z.string().min(1).default('liandong'),
  /** The console's sign-in at the identity provider (OIDC authorization code + PKCE): its client id; the issuer is OIDC_ISSUER, else JWT_ISSUER. */
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_ISSUER: z.string().url('must be the identity provider\'s issuer URL').optional(),
  OIDC_SCOPE: z.string().min(1).default('openid profile'),
  /** The console map's background tiles from an internal tile server ({z}/{x}/{y}); absent: boundaries only. */
  CONSOLE_TILE_URL: z.string().url('must be an http(s):// URL template with {z}, {x} and {y}').optional(),
  /** Deprecated, and ignored with a warning: the demo is the simulated district, cases included, on every start. */
  DEMO_DATA: booleanString.optional(),
  /** Connector configs by connector name (JSON); without it, the embedded default simulates the departments. */
  CONNECTORS_FILE: z.string().min(1).optional(),
  /** Start the seven simulated department systems on a generated district and connect to them. */
  SIMULATE: booleanString.optional(),
  /** The generated district the simulators serve (generated on first start when absent). */
  WORLD_DIR: z.string().min(1).optional(),
  WORLD_SCALE: z.enum(['tiny', 'small', 'district']).default('small'),
  WORLD_SEED: z.coerce.number().int().min(0).default(20261125),
  /** Where the hub's area and grid registry is read from (world/areas, world/grids, world/grid_members). */
  GRID_REGISTRY_DIR: z.string().min(1).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** Operation limits (see src/server/limits.ts). */
  MAX_DEPTH: z.coerce.number().int().min(2).default(12),
  MAX_ALIASES: z.coerce.number().int().min(0).default(30),
  MAX_COST: z.coerce.number().int().min(1).default(50_000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  PERSISTED_OPERATIONS_FILE: z.string().min(1).optional(),
  /** Entity resolution (src/resolution): 'keys' links on valid keys only, as the hub did before. */
  RESOLUTION_MODE: z.enum(['full', 'keys']).default('full'),
  /** Match probability from which a record links without review, and from which it is queued for review. */
  RESOLUTION_AUTO_LINK: z.coerce.number().gt(0).lte(1).default(0.99),
  RESOLUTION_REVIEW: z.coerce.number().gt(0).lte(1).default(0.5),
  /** Bits by which the best candidate must beat the next (twins, namesakes) to link on its own. */
  RESOLUTION_MARGIN_BITS: z.coerce.number().min(0).default(4),
  /** Retention (docs/retention.md): how often the hub prunes change_event and keeps audit_log's partitions; 0: never (use `liandong prune`). */
  RETENTION_INTERVAL_MINUTES: z.coerce.number().min(0).max(10_080, 'must be at most 10080 (a week)').default(60),
  /** change_event rows younger than this are kept whatever the consumers' positions: the window a live subscriber can resume in. */
  RETENTION_CHANGE_EVENT_MIN_AGE_HOURS: z.coerce.number().min(0).default(72),
  /** A registered outbox consumer behind the head that has not moved for this long is named in a warning (it keeps holding pruning back). */
  RETENTION_CONSUMER_STALE_HOURS: z.coerce.number().gt(0).default(24),
  /** audit_log partitions created ahead of the current month. */
  RETENTION_AUDIT_MONTHS_AHEAD: z.coerce.number().int().min(1).max(24).default(3),
  /** Months of audit_log kept online; older months are detached into audit_archive_YYYY_MM by the hub. 0: never automatically (`liandong audit archive`). */
  RETENTION_AUDIT_ARCHIVE_AFTER_MONTHS: z.coerce.number().int().min(0).default(0),
});

export type Config = z.infer<typeof schema>;

// One ConfigError for the hub's environment, connector configs and connectors' credentials.
export { ConfigError };

/** Secrets may come from files (`JWT_SECRET_FILE=/run/secrets/jwt`), as container orchestrators mount them. */
const FILE_SECRETS = ['JWT_SECRET', 'DATABASE_URL'] as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings are treated as unset: `FOO= npm start` should not fail validation.
  const present: Record<string, string> = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
  const fileProblems: string[] = [];
  for (const name of FILE_SECRETS) {
    const file = present[`${name}_FILE`];
    if (!file) continue;
    try {
      present[name] = readFileSync(file, 'utf8').trim();
    } catch (err) {
      fileProblems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (fileProblems.length) throw new ConfigError(fileProblems);
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const config = result.data;
  if (config.RESOLUTION_REVIEW > config.RESOLUTION_AUTO_LINK) {
    throw new ConfigError([`RESOLUTION_REVIEW (${config.RESOLUTION_REVIEW}) must not exceed RESOLUTION_AUTO_LINK (${config.RESOLUTION_AUTO_LINK}): a pair that links on its own needs no review`]);
  }
  if (config.NODE_ENV === 'production' && !config.JWT_SECRET && !config.JWT_JWKS_URL) {
    throw new ConfigError(['JWT_JWKS_URL or JWT_SECRET: one is required when NODE_ENV=production (development keys are not for production)']);
  }
  return config;
}

/** The database URL with its password replaced, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}
