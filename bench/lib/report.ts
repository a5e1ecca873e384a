/** The machine, the results table, and the bench's own section of docs/BENCHMARKS.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { OTHER_PROCESSES, type CpuShare } from './cpu.js';
import { totalErrors, type LoadResult } from './load.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
}

export function describeMachine(): Machine {
  let distro = '';
  try {
    distro = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux, or no os-release
  }
  const kernel = `${os.type()} ${os.release()} ${os.arch()}`;
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: distro ? `${distro} (${kernel})` : kernel,
  };
}

export interface TargetOutcome {
  name: string;
  result?: LoadResult;
  /** CPU use during the measured run, percent of one core per process group. */
  cpu?: CpuShare[];
  /** Why the target has no numbers. */
  failed?: string;
  notes: string[];
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function errorsCell(r: LoadResult): string {
  const total = totalErrors(r);
  if (total === 0) return '0';
  const parts = [
    r.connErrors ? `${fmt(r.connErrors)} connection${r.timeouts ? ` (${fmt(r.timeouts)} timeouts)` : ''}` : '',
    r.non2xx ? `${fmt(r.non2xx)} non-2xx` : '',
    r.graphqlErrors ? `${fmt(r.graphqlErrors)} GraphQL` : '',
    r.noData ? `${fmt(r.noData)} null data` : '',
  ].filter(Boolean);
  return `${fmt(total)} (${parts.join(', ')})`;
}

export function resultsTable(outcomes: TargetOutcome[]): string {
  const header = ['target', 'connections', 'duration', 'req/s', 'p50 ms', 'p99 ms', 'errors'];
  const rows = outcomes.map((o) => {
    const r = o.result;
    if (!r) return [o.name, '', '', '', '', '', `failed: ${(o.failed ?? 'unknown').split('\n')[0]}`];
    return [o.name, String(r.connections), `${fmt(r.durationS, 0)} s`, fmt(r.reqPerSec, 1), fmt(r.p50Ms), fmt(r.p99Ms), errorsCell(r)];
  });
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

export const SECTION_START = '<!-- bench:person-profile:start -->';
export const SECTION_END = '<!-- bench:person-profile:end -->';

export interface SectionInput {
  machine: Machine;
  date: string;
  command: string;
  people: number;
  warmupS: number;
  outcomes: TargetOutcome[];
  query: string;
  peerQueries: Array<{ name: string; query: string }>;
}

export function renderSection(input: SectionInput): string {
  const m = input.machine;
  const lines = [
    SECTION_START,
    '## Person profile (issue 2)',
    '',
    `The profile page's query (person with household members, dwelling, building and address, grid and its members, department records, latest cases) under load, each request for a different person: the requests rotate over all ${fmt(input.people)} people of the served world (the district \`npm start\` serves) by global id, so loaders and the database do real work on every request.`,
    '',
    `- Date: ${input.date}`,
    `- Command: \`${input.command}\``,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM; Node ${m.node}; ${m.os}`,
    `- Setup: each hub runs as \`liandong start\` in its own child process (NODE_ENV=production, LOG_LEVEL=warn, RATE_LIMIT_PER_MINUTE raised since one district-admin token drives every connection) over a store the bench migrated and loaded with the served world; requests carry an \`x-purpose\` header, so every person read is audited as in production. autocannon runs in the bench process. Load generator, hub and database server share the ${m.cores} cores.`,
    `- Each target: ${input.warmupS > 0 ? `${input.warmupS} s warm-up (discarded), then ` : ''}the measured run. req/s is autocannon's per-second average; latencies are per request.`,
    ...busyMachineCaveat(input.outcomes),
    '',
    resultsTable(input.outcomes),
    '',
    'errors = connection errors and timeouts + non-2xx responses + 2xx responses whose body has `errors` or null data (e.g. `person: null`).',
    '',
    ...input.outcomes.map((o) => {
      const parts = [...o.notes];
      const r = o.result;
      if (r) {
        parts.push(`${fmt(r.requests)} requests, mean ${fmt(r.meanMs, 1)} ms, max ${fmt(r.maxMs)} ms, ${fmt(r.bytesPerSec / 1024)} KiB/s`);
        if (o.cpu?.length) parts.push(`CPU (100% = one core): ${o.cpu.map((c) => `${c.label} ${fmt(c.percent)}%`).join(', ')}`);
        if (r.firstProblem) parts.push(`first problem: ${r.firstProblem.split('\n')[0]}`);
      } else {
        parts.push(`failed: ${(o.failed ?? 'unknown').split('\n').slice(0, 3).join(' / ')}`);
      }
      return `- ${o.name}: ${parts.join('; ')}`;
    }),
    '',
    'The query:',
    '',
    '```graphql',
    input.query.trim(),
    '```',
    ...input.peerQueries.flatMap((p) => ['', `Peer ${p.name}'s query:`, '', '```graphql', p.query.trim(), '```']),
    SECTION_END,
  ];
  return lines.join('\n');
}

/** A run shares the machine with whatever else is running; say so when that was a lot. */
function busyMachineCaveat(outcomes: TargetOutcome[]): string[] {
  const others = outcomes
    .map((o) => ({ name: o.name, percent: o.cpu?.find((c) => c.label === OTHER_PROCESSES)?.percent ?? 0 }))
    .filter((o) => o.percent >= 15);
  if (!others.length) return [];
  return [
    `- **Not an idle machine:** other processes used ${others.map((o) => `${fmt(o.percent)}% of a core during ${o.name}`).join(', ')}; these numbers are lower than the hub does alone.`,
  ];
}

const DEFAULT_HEADER = `# Benchmarks

Load tests of the hub, run with \`npm run bench\` (see \`bench/run.ts\` for the options). Each
section is rewritten by its bench when re-run; numbers only compare within one section (one
machine, one run).
`;

/** Replaces the section between the markers (or appends it), leaving the rest of the file alone. */
/** Replaces the section between `<!-- bench:NAME:start -->` and its end marker (or appends it). */
export function writeSection(file: string, section: string, name = 'person-profile'): void {
  const SECTION_START = `<!-- bench:${name}:start -->`;
  const SECTION_END = `<!-- bench:${name}:end -->`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : DEFAULT_HEADER;
  const start = current.indexOf(SECTION_START);
  const end = current.indexOf(SECTION_END);
  let next: string;
  if (start >= 0 && end > start) {
    next = current.slice(0, start) + section + current.slice(end + SECTION_END.length);
  } else {
    next = `${current.trimEnd()}\n\n${section}\n`;
  }
  writeFileSync(file, next);
}
