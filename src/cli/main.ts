#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config.js';
import { ROLE_IDS, type RoleId } from '../auth/viewer.js';
import { migrateToLatest, rollbackAll } from '../store/db.js';
import { startHub } from '../server/hub.js';
import { limitsFromConfig } from '../server/limits.js';
import { idOf } from '../resolvers/globalId.js';
import { createRuntime } from './runtime.js';
import { SingleBar, Presets } from 'cli-progress';
import { generateWorld, NOISE_PRESETS, SCALES, type NoisePreset, type ScaleName } from '../world/index.js';
import { createIngestStore } from '../store/ingest/index.js';
import { createEventBus } from '../events/postgres.js';
import { ingestPush, replayDeadLetters, startScheduler, syncConcurrencyFor, type Scheduler } from '../sync/index.js';
import { SafeError } from '../errors.js';
import type { WebhookReceiver } from '../server/webhooks.js';
import { startDepartments, type Departments } from './departments.js';
import { takeInWorldCases } from './worldCases.js';
import { registerSyncCommands } from './syncCommands.js';
import { registerSearchCommands } from './searchCommands.js';
import { registerResolveCommands } from './resolveCommands.js';
import { registerSearchMetrics, startSearch } from '../search/service.js';
import { retentionSettingsFromConfig, startRetention } from '../store/retention.js';
import { registerRetentionCommands } from './retentionCommands.js';

const program = new Command('liandong')
  .description('Liandong: one GraphQL API over every department\'s data for district governance.')
  .showHelpAfterError();

program
  .command('start')
  .description('Migrate the store, bring up the departments (simulated on a generated district unless CONNECTORS_FILE names real ones), sync them, and serve GraphQL (HTTP and WebSocket).')
  .action(async () => {
    const rt = createRuntime();
    const db = await rt.openStore();
    const applied = await migrateToLatest(db.knex);
    if (applied.length) rt.log.info({ applied }, 'applied migrations');
    const bus = await createEventBus(db, rt.log);
    const store = createIngestStore(db, { bus, log: rt.log, resolution: rt.resolution });
    let departments: Departments | null = null;
    const webhooks: WebhookReceiver = async (name, request) => {
      const c = departments?.connectors.find((d) => d.connector.spec.name === name);
      if (!c) throw Object.assign(new Error(`no connector named ${name} is running here`), { status: 404 });
      return { ...(await ingestPush(store, c, request, rt.log)) };
    };
    if (rt.config.DEMO_DATA) {
      rt.log.warn('DEMO_DATA is deprecated and does nothing: every start on the simulated departments is the demo, with the generated district\'s cases (WORLD_SCALE=tiny for a quick one)');
    }
    const search = await startSearch({ knex: db.knex, background: db.background, elasticsearchUrl: rt.config.ELASTICSEARCH_URL, log: rt.log });
    const hub = await startHub({
      config: rt.config, limits: limitsFromConfig(rt.config), db, log: rt.log, tokens: rt.tokens, webhooks, search: search.backend, bus,
      console: {
        devKeys: rt.signingKeys,
        oidc: rt.config.OIDC_CLIENT_ID
          ? { issuer: rt.config.OIDC_ISSUER ?? rt.config.JWT_ISSUER, clientId: rt.config.OIDC_CLIENT_ID, scope: rt.config.OIDC_SCOPE }
          : null,
        tileUrl: rt.config.CONSOLE_TILE_URL ?? null,
      },
      replayDeadLetters: async (name) => {
        const c = departments?.connectors.find((d) => d.connector.spec.name === name);
        if (!c) throw new SafeError('NOT_FOUND', `No connector named ${name} runs in this hub.`);
        return replayDeadLetters(store, c);
      },
    });
    registerSearchMetrics(hub.metrics.registry, search.indexer);
    // Prunes change_event behind its consumers and keeps audit_log's monthly partitions ahead (docs/retention.md).
    const retention = await startRetention({ knex: db.background, log: rt.log.child({ component: 'retention' }), settings: retentionSettingsFromConfig(rt.config), registry: hub.metrics.registry });
    // Committed changes wake the indexer at once instead of at its next poll. An entity notice's
    // position is a change_event position, which it reads up to; a case notice's is the case log's.
    bus.subscribe('entity', (n) => search.indexer.notify(n.position));
    bus.subscribe('case', () => search.indexer.notify());
    let scheduler: Scheduler | null = null;
    departments = await startDepartments({ config: rt.config, log: rt.log, store, webhookUrl: `http://127.0.0.1:${hub.port}/webhooks/police` });
    scheduler = startScheduler(store, departments.connectors, rt.log, db.backgroundPoolMax ? { concurrency: syncConcurrencyFor(db.backgroundPoolMax) } : {});
    rt.log.info({ connectors: departments.connectors.map((c) => c.connector.spec.name) }, 'first sync of every department');
    await scheduler.runNow();
    if (departments.world) {
      // After the sync: the cases land on the people, enterprises and buildings the departments described.
      const taken = await takeInWorldCases(db.background, bus, departments.world);
      rt.log.info(taken, taken.loaded ? 'the simulated district\'s case history taken in' : 'the simulated district\'s case history was taken in before');
    }
    void search.ready
      .then(() => search.indexer.catchUp())
      .then(
        (r) => rt.log.info({ events: r.events, documents: r.documents, backend: search.backend.kind }, 'search index caught up'),
        (err: unknown) => rt.log.warn({ err }, 'search index not caught up yet; the indexer keeps trying'),
      );
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
      Promise.resolve(scheduler?.stop())
        .then(() => departments?.stop())
        .then(() => hub.stop())
        .then(() => search.stop())
        .then(() => retention.stop())
        .then(() => bus.close())
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
    // The URL ends its line's first part with a space: tools (and tests) read it up to whitespace.
    console.error(`\nLiandong is serving GraphQL at ${hub.url} and the console at ${hub.url.replace(/\/graphql$/, '/')}\nMint a token: npx liandong token --role district-admin\n`);
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

const parseSeed = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError('must be an integer from 0 to 4294967295');
  return n;
};

program
  .command('generate')
  .description('Write a synthetic district: the world, each department\'s view of it with noise, and the truth (src/world/README.md).')
  .addOption(new Option('--scale <scale>', 'how big').choices(Object.keys(SCALES)).default('small'))
  .option('--seed <n>', 'same seed and scale, byte-identical output', parseSeed, 20261125)
  .requiredOption('--out <dir>', 'output directory (must be empty or absent)')
  .option('--gzip', 'gzip every file (advised at district scale: about 0.7 GiB instead of 5 GiB)')
  .option('--overwrite', 'replace a non-empty output directory')
  .addOption(new Option('--noise <preset>', 'default: the noise of every earlier run; realistic: also homophones, wrong birth days, transposed digits, name-and-phone-only records, duplicates, twins and namesakes')
    .choices(Object.keys(NOISE_PRESETS)).default('default'))
  .action(async (opts: { scale: ScaleName; seed: number; out: string; gzip?: boolean; overwrite?: boolean; noise: NoisePreset }) => {
    const bar = new SingleBar({ format: ' {stage} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}', hideCursor: true }, Presets.shades_classic);
    let stage = '';
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    const manifest = await generateWorld({
      scale: opts.scale, seed: opts.seed, outDir: opts.out, gzip: opts.gzip ?? false, overwrite: opts.overwrite ?? false, signal: abort.signal,
      ...NOISE_PRESETS[opts.noise],
      onProgress: (next, done, total) => {
        if (next !== stage) {
          if (stage) bar.stop();
          stage = next;
          bar.start(total, done, { stage: next.padEnd(8) });
        } else {
          bar.update(done);
        }
      },
    }).finally(() => bar.stop());
    const e = manifest.entities;
    console.error(`\nwrote ${opts.out}: ${e.people} people, ${e.households} households, ${e.dwellings} dwellings, ${e.buildings} buildings, `
      + `${e.enterprises} enterprises, ${e.cases} cases, ${Object.keys(manifest.files).length} files in ${(manifest.timing.generateMs / 1000).toFixed(1)} s`);
  });

registerSyncCommands(program);
registerSearchCommands(program);
registerResolveCommands(program);
registerRetentionCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
