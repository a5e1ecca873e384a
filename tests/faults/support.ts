/**
 * Driving real processes for the fault suite: the built CLI (`dist/`, so `npm run build`
 * first, as `npm run test:faults` does), killed with SIGKILL at chosen moments. Every process
 * a suite starts is killed in its afterAll; every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Rng } from '../../src/world/rng.js';

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

/** The world's seeded generator, so a failing run can be repeated with FAULTS_SEED. */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
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

export interface SimulatedDepartment {
  sim: Cli;
  /** What the connectors file takes under the department's name. */
  config: Record<string, unknown>;
  /** Its POST /_control (down, latencyMs, garbage, …), for the systems served over HTTP. */
  control(patch: Record<string, unknown>): Promise<void>;
}

/**
 * `liandong simulate NAME` on `world` in a process of its own, so that it outlives the hub or
 * sync that a test kills; resolves once it has printed its connector config.
 */
export async function simulateDepartment(name: string, world: string, dataDir: string, seed: number): Promise<SimulatedDepartment> {
  const sim = cli(['simulate', name, '--data', world, '--port', '0', '--seed', String(seed)], {
    WORLD_DIR: world, DATA_DIR: dataDir, LOG_LEVEL: 'warn', JWT_SECRET: '', SIMULATE: '', CONNECTORS_FILE: '',
  });
  let out = '';
  sim.child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const config = await waitUntil(`the ${name} simulator`, () => {
    if (sim.child.exitCode !== null) throw new Error(`${name} simulator exited:\n${sim.logs.join('')}`);
    try {
      return (JSON.parse(out) as Record<string, Record<string, unknown>>)[name];
    } catch {
      return undefined;
    }
  }, 60_000, 100);
  return {
    sim, config,
    async control(patch) {
      if (typeof config.baseUrl !== 'string') throw new Error(`the ${name} simulator is not served over HTTP; it has no /_control here`);
      const res = await fetch(`${new URL(config.baseUrl).origin}/_control`, { method: 'POST', body: JSON.stringify(patch), signal: AbortSignal.timeout(5_000) });
      if (res.status !== 200) throw new Error(`POST /_control to the ${name} simulator: ${res.status} ${await res.text()}`);
    },
  };
}
