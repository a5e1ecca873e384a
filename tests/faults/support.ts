/**
 * Driving real processes for the fault suite: the built CLI (`dist/`, so `npm run build`
 * first, as `npm run test:faults` does), killed with SIGKILL at chosen moments. Every process
 * a suite starts is killed in its afterAll; every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(process.cwd(), 'dist/src/cli/main.js');

export interface Cli {
  child: ChildProcess;
  logs: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill9(): Promise<void>;
}

const started = new Set<ChildProcess>();

export function cli(args: string[], env: NodeJS.ProcessEnv): Cli {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  const logs: string[] = [];
  child.stdout.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => logs.push(d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => {
    started.delete(child);
    resolve({ code, signal });
  }));
  return {
    child, logs, exited,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Kills whatever the suite started and is still running (afterAll). */
export async function killAll(): Promise<void> {
  for (const child of started) child.kill('SIGKILL');
  started.clear();
}

/** Polls `check` until it returns a value other than undefined/false, within `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A seeded generator, so a failing run can be repeated with FAULTS_SEED. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

export const FAULTS_SEED = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);

/** `liandong start` with `env`, once it says it is serving; an exit before that fails with its log. */
export async function serveHub(env: NodeJS.ProcessEnv): Promise<Cli> {
  const hub = cli(['start'], env);
  await waitUntil('the hub to serve', () => {
    if (hub.child.exitCode !== null) throw new Error(`the hub exited ${hub.child.exitCode}:\n${hub.logs.join('').slice(-3000)}`);
    return hub.logs.join('').includes('Liandong is serving GraphQL');
  }, 150_000, 100).catch((error: Error) => {
    throw new Error(`${error.message}\n${hub.logs.join('').slice(-3000)}`);
  });
  return hub;
}
