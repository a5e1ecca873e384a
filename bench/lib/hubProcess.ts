/**
 * A hub as an operator runs it: `node dist/src/cli/main.js start` in its own process (so it
 * doesn't share an event loop with the load generator), configured through the environment.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { track } from './cleanup.js';
import { LineTail, progress, projectRoot, sleep } from './util.js';

export interface HubProcess {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:41234/graphql. */
  readonly url: string;
  readonly pid: number;
  /** A district-admin token minted by `liandong token` with the hub's own environment. */
  token(): Promise<string>;
  /** null while the process runs; else how it ended, with the tail of its output. */
  exitReport(): string | null;
  /** SIGTERM (the hub drains and exits), SIGKILL after a grace period. Safe to call twice. */
  stop(): Promise<void>;
}

export interface HubProcessOptions {
  label: string;
  /** Added to the bench's own environment: DATABASE_URL or DATA_DIR, and so on. */
  env: Record<string, string>;
  readyTimeoutMs: number;
  /** Another checkout's CLI (its dist/src/cli/main.js), to run a different build side by side; default: this one's. */
  cli?: string;
  /** Each line the hub writes to stdout (its JSON log lines), as it comes. */
  onLogLine?: (line: string) => void;
}

const SERVING = /Liandong is serving GraphQL at (\S+)/;

export function cliPath(): string {
  const path = join(projectRoot(), 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(path)) throw new Error(`${path} does not exist; run \`npm run build\` first (npm run bench does)`);
  return path;
}

export async function startHubProcess(options: HubProcessOptions): Promise<HubProcess> {
  const cli = options.cli ?? cliPath();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    // The hub serves the store the bench filled; it starts no departments of its own.
    SIMULATE: 'false',
    ...options.env,
  };
  const stderr = new LineTail(40);
  const stdout = new LineTail(40);
  const child: ChildProcess = spawn(process.execPath, [cli, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (error) => {
      stderr.push(`spawn failed: ${error.message}\n`);
      exited ??= { code: null, signal: null };
      resolve();
    });
  });
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  if (options.onLogLine && child.stdout) {
    const onLine = options.onLogLine;
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => onLine(line));
  }

  const outputTail = () => {
    const parts = [`--- ${options.label} hub stderr (tail) ---\n${stderr.text() || '(empty)'}`];
    const out = stdout.text();
    if (out) parts.push(`--- ${options.label} hub stdout/logs (tail) ---\n${out}`);
    return parts.join('\n');
  };
  const describeExit = () => {
    const e = exited;
    return e ? `exited with ${e.signal ? `signal ${e.signal}` : `code ${e.code}`}` : 'running';
  };

  const stop = track(
    `${options.label} hub (pid ${child.pid})`,
    async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const timedOut = await Promise.race([exitedPromise.then(() => false), sleep(15_000).then(() => true)]);
      if (timedOut && !exited) {
        child.kill('SIGKILL');
        await exitedPromise;
      }
    },
    () => {
      if (!exited) child.kill('SIGKILL');
    },
  );

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the ${options.label} hub did not start serving within ${options.readyTimeoutMs / 1000} s\n${outputTail()}`));
      }, options.readyTimeoutMs);
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr.push(chunk);
        const match = SERVING.exec(stderr.text());
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      void exitedPromise.then(() => {
        clearTimeout(timer);
        reject(new Error(`the ${options.label} hub ${describeExit()} before it was ready\n${outputTail()}`));
      });
    });
    const deadline = Date.now() + options.readyTimeoutMs;
    const readyz = new URL('/readyz', url).toString();
    let last = 'no answer yet';
    for (;;) {
      if (exited) throw new Error(`the ${options.label} hub ${describeExit()} before /readyz answered 200\n${outputTail()}`);
      try {
        const res = await fetch(readyz, { signal: AbortSignal.timeout(2000) });
        last = `${res.status} ${await res.text()}`;
        if (res.status === 200) break;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      if (Date.now() > deadline) {
        throw new Error(`the ${options.label} hub's /readyz did not return 200 within ${options.readyTimeoutMs / 1000} s (last: ${last})\n${outputTail()}`);
      }
      await sleep(250);
    }
    await waitForSearchIndex(options.label, url, options.readyTimeoutMs, () => exited !== null);

    return {
      url,
      pid: child.pid ?? -1,
      token: () => mintToken(cli, env),
      exitReport: () => (exited ? `the ${options.label} hub ${describeExit()}\n${outputTail()}` : null),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Waits until the hub's search index has applied every outbox event (/metrics,
 * liandong_search_index_lag_events 0). A hub started on a synced store first builds its index,
 * tens of seconds of the hub's and the database's work that would otherwise land in the first
 * measured round.
 */
async function waitForSearchIndex(label: string, url: string, timeoutMs: number, exited: () => boolean): Promise<void> {
  const metrics = new URL('/metrics', url).toString();
  const started = Date.now();
  let pending = 'no answer yet';
  for (;;) {
    if (exited()) throw new Error(`the ${label} hub exited while its search index was being built`);
    try {
      const text = await (await fetch(metrics, { signal: AbortSignal.timeout(5000) })).text();
      pending = /^liandong_search_index_lag_events (\d+)/m.exec(text)?.[1] ?? 'not reported';
      if (pending === '0') break;
    } catch (error) {
      pending = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() - started > timeoutMs) throw new Error(`the ${label} hub's search index did not catch up within ${timeoutMs / 1000} s (pending: ${pending})`);
    await sleep(500);
  }
  if (Date.now() - started > 2000) progress(`${label}: search index caught up after ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export function mintToken(cli: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cli, 'token', '--role', 'district-admin', '--subject', 'bench', '--name', 'bench'],
      { env, encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) => {
        const token = stdout.trim().split('\n').pop()?.trim();
        if (error || !token) {
          reject(new Error(`liandong token failed: ${error?.message ?? 'printed no token'}\n${stderr.trim()}`));
        } else {
          resolve(token);
        }
      },
    );
  });
}
