/** Starts bench/lib/liveHub.ts (built) in a child process and talks to it over its stdin/stdout. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from './util.js';

/** The issuer the hub process's tokens carry; sign them with localKeys(JWT_SECRET, this). */
export const LIVE_HUB_ISSUER = 'liandong';

/** A case the bench reports through the hub process: where, and what it says. */
export interface BenchCase {
  /** Database id of the grid; the case's address is one of its buildings'. */
  gridId: string;
  category?: string;
  title?: string;
  note?: string;
}

export interface ReportedCase {
  caseId: string;
  eventId: string;
}

export interface LiveHubProcess {
  url: string;
  pid: number;
  /** Writes a case event through this hub process; startedAt is when it began (performance.timeOrigin-based ms). */
  report(input: BenchCase): Promise<ReportedCase & { startedAt: number }>;
  stop(): Promise<void>;
}

export interface LiveHubOptions {
  databaseUrl: string;
  jwtSecret: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Node's own flags for the hub (--cpu-prof, --heapsnapshot-signal, …: NODE_OPTIONS refuses some). */
  nodeArgs?: string[];
  /** Processors the hub may run on (taskset's list, "0" or "0,1"), to keep the load generator off them. */
  cpus?: string;
  /** Raises the hub's open-file limit (one descriptor per subscriber socket); needs the privilege to. */
  maxOpenFiles?: number;
  /** Another build's dist/bench/lib/liveHub.js, to measure a hub as it was before a change in the same run. */
  entry?: string;
}

/**
 * The command line that runs `node` (with `args`) on `cpus` and with `maxOpenFiles`: taskset and
 * prlimit each exec what follows, so the pid spawned is node's own (for RSS and CPU readings).
 */
export function nodeCommand(args: string[], options: { cpus?: string; maxOpenFiles?: number }): [string, ...string[]] {
  let command: string[] = [process.execPath, ...args];
  if (options.cpus) command = ['taskset', '-c', options.cpus, ...command];
  if (options.maxOpenFiles) command = ['prlimit', `--nofile=${options.maxOpenFiles}:${options.maxOpenFiles}`, ...command];
  return command as [string, ...string[]];
}

export async function startLiveHub(options: LiveHubOptions): Promise<LiveHubProcess> {
  const entry = options.entry ?? join(projectRoot(), 'dist', 'bench', 'lib', 'liveHub.js');
  if (!existsSync(entry)) throw new Error(`${entry} does not exist; run \`npm run build\` first`);
  const [command, ...args] = nodeCommand([...(options.nodeArgs ?? []), entry], options);
  const child = spawn(command, args, {
    env: { ...process.env, DATABASE_URL: options.databaseUrl, JWT_SECRET: options.jwtSecret, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const waiting = new Map<number, { resolve: (r: ReportedCase & { startedAt: number }) => void; reject: (e: Error) => void }>();
  let ready: (url: string) => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const readyUrl = new Promise<string>((resolve, reject) => {
    ready = resolve;
    timer = setTimeout(() => reject(new Error(`live hub did not start:\n${stderr}`)), options.readyTimeoutMs ?? 60_000);
    child.once('exit', (code) => {
      reject(new Error(`live hub exited with ${code}:\n${stderr}`));
      for (const w of waiting.values()) w.reject(new Error(`live hub exited with ${code}`));
    });
  }).finally(() => clearTimeout(timer));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line) as { ready?: string; id?: number; error?: string } & ReportedCase & { startedAt: number };
    if (msg.ready) return ready(msg.ready);
    const w = msg.id === undefined ? undefined : waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id!);
    if (msg.error) w.reject(new Error(msg.error));
    else w.resolve({ caseId: msg.caseId, eventId: msg.eventId, startedAt: msg.startedAt });
  });
  const url = await readyUrl;
  let next = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    pid: child.pid!,
    report: (input) => new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve, reject });
      child.stdin.write(`${JSON.stringify({ id, input })}\n`);
    }),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
