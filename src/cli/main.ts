#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config.js';
import { ROLE_IDS, type RoleId } from '../auth/viewer.js';
import { migrateToLatest, rollbackAll } from '../store/db.js';
import { loadDemoDistrict } from '../demo/district.js';
import { startHub } from '../server/hub.js';
import { limitsFromConfig } from '../server/limits.js';
import { idOf } from '../resolvers/globalId.js';
import { createRuntime } from './runtime.js';

const program = new Command('liandong')
  .description('Liandong: one GraphQL API over every department\'s data for district governance.')
  .showHelpAfterError();

program
  .command('start')
  .description('Migrate the store, load the demo district into an empty embedded store, and serve GraphQL (HTTP and WebSocket).')
  .action(async () => {
    const rt = createRuntime();
    const db = await rt.openStore();
    const applied = await migrateToLatest(db.knex);
    if (applied.length) rt.log.info({ applied }, 'applied migrations');
    if (rt.config.DEMO_DATA ?? db.kind === 'pglite') {
      const summary = await loadDemoDistrict(db.knex, { onProgress: (stage) => rt.log.info({ stage }, 'loading demo district') });
      rt.log.info(summary, summary.loaded ? 'demo district loaded' : 'store already has data; demo district not loaded');
    }
    const hub = await startHub({ config: rt.config, limits: limitsFromConfig(rt.config), db, log: rt.log, tokens: rt.tokens });
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) {
        rt.log.warn({ signal }, 'second signal: exiting without waiting for clients');
        process.exit(1);
      }
      stopping = true;
      rt.log.info({ signal }, 'shutting down');
      const deadline = setTimeout(() => {
        rt.log.error('shutdown timed out; exiting');
        process.exit(1);
      }, rt.config.SHUTDOWN_TIMEOUT_MS + 5000).unref();
      hub.stop()
        .then(() => db.close())
        .then(() => {
          clearTimeout(deadline);
          rt.log.info('stopped');
          process.exit(0);
        })
        .catch((err: unknown) => {
          rt.log.error({ err }, 'error during shutdown');
          process.exit(1);
        });
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    console.error(`\nLiandong is serving GraphQL at ${hub.url}\nMint a token: npx liandong token --role district-admin\n`);
  });

program
  .command('migrate')
  .description('Apply pending migrations to the store (or roll all of them back).')
  .option('--rollback', 'undo every migration (drops all canonical data)')
  .action(async (opts: { rollback?: boolean }) => {
    const rt = createRuntime();
    const db = await rt.openStore();
    try {
      if (opts.rollback) {
        await rollbackAll(db.knex);
        console.log('rolled back all migrations');
      } else {
        const applied = await migrateToLatest(db.knex);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
      }
    } finally {
      await db.close();
    }
  });

const parseRole = (value: string): RoleId => {
  if (!(ROLE_IDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${ROLE_IDS.join(', ')}`);
  return value as RoleId;
};
const collect = (value: string, previous: string[]) => [...previous, value];

program
  .command('token')
  .description('Print a signed development token (the last line of the output).')
  .addOption(new Option('--role <role>', `one of ${ROLE_IDS.join(', ')}`).argParser(parseRole).makeOptionMandatory())
  .option('--grid <id>', 'a grid the viewer works in (global Grid id); repeat for several', collect, [] as string[])
  .option('--street <id>', 'a street a street operator covers (global Area id); repeat for several', collect, [] as string[])
  .option('--department <name>', 'the department the viewer belongs to, e.g. police')
  .option('--subject <sub>', 'the user id', 'dev-user')
  .option('--name <name>', 'display name')
  .option('--expires-in <span>', 'lifetime, e.g. 12h or 30m', '12h')
  .action(async (opts: { role: RoleId; grid: string[]; street: string[]; department?: string; subject: string; name?: string; expiresIn: string }) => {
    const rt = createRuntime();
    if (!rt.signingKeys) {
      throw new Error('JWT_JWKS_URL is set: tokens come from your identity provider, not from this command.');
    }
    const gridIds = opts.grid.map((g) => (/^\d+$/.test(g) ? g : idOf('Grid', g)));
    const streetIds = opts.street.map((s) => (/^\d+$/.test(s) ? s : idOf('Area', s)));
    const token = await rt.signingKeys.sign({
      subject: opts.subject, role: opts.role, gridIds, streetIds, expiresIn: opts.expiresIn,
      ...(opts.name ? { name: opts.name } : {}), ...(opts.department ? { department: opts.department } : {}),
    });
    console.error(`token for ${opts.subject} as ${opts.role}, valid ${opts.expiresIn}; send it as "Authorization: Bearer <token>"`);
    console.log(token);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
