/**
 * CPU used by the processes of a run (Linux /proc), to tell on a small machine whether the
 * numbers measure the hub, the database, or the load generator. Elsewhere it reports nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** [ppid, cpu seconds (user + system)] of a process, or null when it is gone or there is no /proc. */
function statOf(pid: number): [number, number] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return [Number(fields[1]), (Number(fields[11]) + Number(fields[12])) / clockTicks()];
  } catch {
    return null;
  }
}

/** A process and all its descendants (e.g. a postmaster and its backends). */
export function processTree(root: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [root];
  }
  const children = new Map<number, number[]>();
  for (const e of entries) {
    const stat = statOf(Number(e));
    if (!stat) continue;
    const list = children.get(stat[0]) ?? [];
    list.push(Number(e));
    children.set(stat[0], list);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(root);
  return out;
}

/** CPU seconds (user + system) the processes used so far; 0 for those gone, or without /proc. */
export function cpuSecondsOf(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (statOf(pid)?.[1] ?? 0), 0);
}

export const OTHER_PROCESSES = 'other processes';

export interface CpuGroup {
  label: string;
  /** The processes now; asked at the start and at the end of the run. */
  pids(): number[];
}

export interface CpuShare {
  label: string;
  /** Percent of one core over the run. */
  percent: number;
}

/** Busy and total jiffies over all CPUs from /proc/stat, or null. */
function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest is already in user)
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/**
 * Starts measuring; the returned function stops and gives each group's share, this process's
 * ("load generator"), and the rest of the machine's ("other processes": anything else running).
 */
export function measureCpu(groups: CpuGroup[], othersLabel = OTHER_PROCESSES): () => CpuShare[] {
  if (process.platform !== 'linux') return () => [];
  const read = (g: CpuGroup) => new Map(g.pids().map((pid) => [pid, statOf(pid)?.[1] ?? 0]));
  const before = groups.map(read);
  const self = process.cpuUsage();
  const machineBefore = machineTicks();
  const started = process.hrtime.bigint();
  return () => {
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const shares = groups.map((g, i) => {
      let seconds = 0;
      for (const [pid, end] of read(g)) seconds += end - (before[i]!.get(pid) ?? 0);
      return { label: g.label, percent: (100 * seconds) / wall };
    });
    const own = process.cpuUsage(self);
    shares.push({ label: 'load generator', percent: (100 * (own.user + own.system)) / 1e6 / wall });
    const machineAfter = machineTicks();
    if (machineBefore && machineAfter && machineAfter.total > machineBefore.total) {
      const cores = cpus().length;
      const machine = (100 * cores * (machineAfter.busy - machineBefore.busy)) / (machineAfter.total - machineBefore.total);
      const ours = shares.reduce((a, s) => a + s.percent, 0);
      shares.push({ label: othersLabel, percent: Math.max(0, machine - ours) });
    }
    return shares;
  };
}
