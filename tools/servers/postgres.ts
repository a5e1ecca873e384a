/**
 * A throwaway PostgreSQL server for the test run, started from the server binaries installed on
 * the machine (Debian's `postgresql` package), plus one fresh database per caller on it.
 *
 * initdb, pg_ctl and postgres refuse to run as root, so when we are root they run as the
 * `postgres` OS user (which Debian's package creates) and the data directory is chowned to it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chownSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import pg from 'pg';

const SERVER_BINARIES = ['pg_ctl', 'initdb', 'postgres'] as const;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function hasServerBinaries(dir: string): boolean {
  return SERVER_BINARIES.every((name) => isExecutable(join(dir, name)));
}

/**
 * The directory holding pg_ctl, initdb and postgres: the first PATH entry that has all three,
 * else the newest /usr/lib/postgresql/<version>/bin (where Debian installs them, off PATH).
 * null when there is none. `.ci/run` applies the same rule.
 */
export function findPostgresBinDir(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && hasServerBinaries(dir)) return dir;
  }
  const root = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = readdirSync(root);
  } catch {
    return null;
  }
  versions.sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (hasServerBinaries(dir)) return dir;
  }
  return null;
}

interface RunAs {
  /** Command prefix that runs the rest as the postgres OS user; empty when we aren't root. */
  prefix: string[];
  uid: number;
  gid: number;
}

function runAsForCurrentUser(): RunAs {
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) return { prefix: [], uid: -1, gid: -1 };
  let pgUid: number;
  let pgGid: number;
  try {
    pgUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    pgGid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error(
      'running as root, and PostgreSQL refuses to run as root, but there is no `postgres` OS user to run it as ' +
        '(Debian\'s postgresql package creates one: apt-get install -y postgresql)',
    );
  }
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find(isExecutable);
  if (runuser) return { prefix: [runuser, '-u', 'postgres', '--'], uid: pgUid, gid: pgGid };
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find(isExecutable);
  if (setpriv) {
    return {
      prefix: [setpriv, `--reuid=${pgUid}`, `--regid=${pgGid}`, '--init-groups', '--reset-env'],
      uid: pgUid,
      gid: pgGid,
    };
  }
  throw new Error('running as root, and neither runuser nor setpriv is available to run PostgreSQL as the postgres user');
}

/** A parent for the temp dir that the postgres user can reach (TMPDIR may be under /root). */
function tempParent(runAs: RunAs): string {
  const base = tmpdir();
  if (runAs.prefix.length === 0) return base;
  // Every ancestor must be searchable by others for the postgres user to reach its data dir.
  for (let dir = base; ; dir = dirname(dir)) {
    try {
      if ((statSync(dir).mode & 0o001) === 0) return '/tmp';
    } catch {
      return '/tmp';
    }
    if (dirname(dir) === dir) return base;
  }
}

function run(argv: string[], options: { timeoutMs: number }): Promise<{ stdout: string; stderr: string }> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { encoding: 'utf8', timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024, cwd: '/' },
      (error, stdout, stderr) => {
        if (error) {
          const detail = [stderr.trim(), stdout.trim()].filter(Boolean).join('\n');
          reject(new Error(`${argv.join(' ')} failed: ${error.message.split('\n')[0]}${detail ? `\n${detail}` : ''}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not read the port the OS assigned'))));
    });
  });
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust auth, superuser `postgres`). */
  readonly url: string;
  /** The data/log/socket directory; removed by stop(). */
  readonly dir: string;
  /** Fast shutdown, then removes the directory. Safe to call more than once. */
  stop(): Promise<void>;
  /** Synchronous best-effort stop for process-exit hooks (immediate shutdown, then remove). */
  stopSync(): void;
  /**
   * Stops the server (`fast`: clients disconnected, checkpoint; `immediate`: as a crash, recovery
   * on start), waits `downMs`, and starts it again on the same port. For the fault suite.
   */
  restart(mode: 'fast' | 'immediate', downMs?: number): Promise<void>;
}

/**
 * initdb into a fresh temp dir and start a server on a free 127.0.0.1 port with durability
 * switched off (it's thrown away). Throws with the server log's tail when it won't start.
 */
export async function startPostgresServer(settings: { durable?: boolean; settings?: string[] } = {}): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  if (!binDir) {
    throw new Error(
      'PostgreSQL server binaries (pg_ctl, initdb, postgres) not found on PATH or in /usr/lib/postgresql/*/bin; ' +
        'install Debian\'s postgresql package (apt-get install -y postgresql)',
    );
  }
  const runAs = runAsForCurrentUser();
  const dir = mkdtempSync(join(tempParent(runAs), 'liandong-pg-'));
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  const logFile = join(dir, 'postgres.log');
  mkdirSync(socketDir);
  if (runAs.prefix.length > 0) {
    chownSync(dir, runAs.uid, runAs.gid);
    chownSync(socketDir, runAs.uid, runAs.gid);
  }
  const pgCtl = join(binDir, 'pg_ctl');
  const cleanupDir = () => rmSync(dir, { recursive: true, force: true });

  try {
    await run(
      [
        ...runAs.prefix,
        join(binDir, 'initdb'),
        '-D', dataDir,
        '-U', 'postgres',
        '--auth=trust',
        '-E', 'UTF8',
        '--no-locale',
        '--no-sync',
      ],
      { timeoutMs: 120_000 },
    );
  } catch (error) {
    cleanupDir();
    throw error;
  }

  let port = 0;
  let options = '';
  for (let attempt = 1; ; attempt++) {
    port = await findFreePort();
    options = [
      `-p ${port}`,
      `-k ${socketDir}`,
      '-c listen_addresses=127.0.0.1',
      // Durable only for the fault suite's crash restarts: without it, a commit the hub acknowledged may be lost.
      ...(settings.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
      '-c max_connections=200',
      // More settings from the caller, e.g. the bench's shared_preload_libraries=pg_stat_statements.
      ...(settings.settings ?? []).map((setting) => `-c ${setting}`),
    ].join(' ');
    try {
      await run([...runAs.prefix, pgCtl, 'start', '-w', '-t', '60', '-D', dataDir, '-l', logFile, '-o', options], {
        timeoutMs: 90_000,
      });
      break;
    } catch (error) {
      const log = tail(logFile);
      // Someone else took the port between our probe and the server's bind: try another.
      if (attempt < 3 && /could not (create|bind)|Address already in use/i.test(log)) continue;
      try {
        await run([...runAs.prefix, pgCtl, 'stop', '-m', 'immediate', '-D', dataDir], { timeoutMs: 30_000 });
      } catch {
        // not running
      }
      cleanupDir();
      throw new Error(`${(error as Error).message}\n--- postgres log (tail) ---\n${log}`);
    }
  }

  let stopped = false;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        if (existsSync(join(dataDir, 'postmaster.pid'))) {
          await run([...runAs.prefix, pgCtl, 'stop', '-w', '-m', 'fast', '-D', dataDir], { timeoutMs: 60_000 });
        }
      } finally {
        cleanupDir();
      }
    },
    async restart(mode, downMs = 0) {
      await run([...runAs.prefix, pgCtl, 'stop', '-w', '-m', mode, '-D', dataDir], { timeoutMs: 60_000 });
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await run([...runAs.prefix, pgCtl, 'start', '-w', '-t', '60', '-D', dataDir, '-l', logFile, '-o', options], { timeoutMs: 90_000 });
    },
    stopSync() {
      if (stopped) return;
      stopped = true;
      try {
        if (existsSync(join(dataDir, 'postmaster.pid'))) {
          const [file, ...args] = [...runAs.prefix, pgCtl, 'stop', '-w', '-m', 'immediate', '-D', dataDir];
          execFileSync(file, args, { stdio: 'ignore', timeout: 30_000, cwd: '/' });
        }
      } catch {
        // best effort
      } finally {
        cleanupDir();
      }
    },
  };
}

export interface TestDatabase {
  /** The server url with the new database's name as its path. */
  readonly url: string;
  readonly name: string;
  /** Drops the database, terminating any connections still open to it. Safe to call twice. */
  drop(): Promise<void>;
}

async function withClient<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, application_name: 'liandong-tests' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A new database `lt_<random>` on the server at serverUrl (which names a database to connect to):
 * empty, or a copy of `template` (a database nobody is connected to), which is far faster than
 * filling a fresh one again.
 */
export async function createTestDatabase(serverUrl: string, template?: string): Promise<TestDatabase> {
  const name = `lt_${randomBytes(8).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(template ? `create database "${name}" template "${template}"` : `create database "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await withClient(serverUrl, (client) => client.query(`drop database if exists "${name}" with (force)`));
    },
  };
}
