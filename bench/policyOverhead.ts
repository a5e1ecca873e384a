import { execute, parse } from 'graphql';
import type { Knex } from 'knex';
import { createDataLayer } from '../src/store/dataLayer.js';
import { Policy, type ScopedRow } from '../src/store/policy.js';
import { AuditWriter } from '../src/store/audit.js';
import { buildSchema } from '../src/server/schema.js';
import { personFieldsOf } from '../src/server/personFields.js';
import { createLogger } from '../src/observability/logger.js';
import { toGlobalId } from '../src/resolvers/globalId.js';
import type { Viewer } from '../src/auth/viewer.js';
import { PERSON_PROFILE } from './queries.js';

/**
 * What the access policy and the audit cost on the person-profile query: the same operations,
 * executed in-process against the same store, alternating rounds with the real policy plus the
 * audit writer, and with a policy that allows everything and no audit. In-process, so the
 * difference is not lost in HTTP and load-generator noise.
 */

/** Allows everything, masks nothing: the baseline the real policy is measured against. */
class AllowAll extends Policy {
  override assertCanRead(): void {}
  override listAccess(): 'rows' { return 'rows'; }
  override scopeQuery(q: Knex.QueryBuilder): Knex.QueryBuilder { return q; }
  override inScope(_row: ScopedRow): boolean { return true; }
  override canSeeCase(): boolean { return true; }
  override idNumber(v: string | null): string | null { return v; }
  override phone(v: string | null): string | null { return v; }
  override sourceId(v: string): string { return v; }
  override assertCanReadTags(): void {}
  override recordDepartments(): ReadonlySet<string> { return ALL_DEPARTMENTS; }
  override assertCanFilterByDepartment(): void {}
}
const ALL_DEPARTMENTS: ReadonlySet<string> = new Set(['population', 'housing', 'enterprise', 'police', 'court', 'fire', 'social']);

export interface VariantStats { ops: number; opsPerSecond: number; p50: number; p99: number; mean: number }
export interface PolicyOverhead { withPolicy: VariantStats; withoutPolicy: VariantStats; auditRows: number }

function stats(latencies: number[], elapsedMs: number): VariantStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    ops: sorted.length,
    opsPerSecond: (sorted.length / elapsedMs) * 1000,
    p50: at(0.5),
    p99: at(0.99),
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
  };
}

export async function measurePolicyOverhead(knex: Knex, options: { rounds?: number; perRound?: number; concurrency?: number } = {}): Promise<PolicyOverhead> {
  const rounds = options.rounds ?? 20;
  const perRound = options.perRound ?? 100;
  const concurrency = options.concurrency ?? 8;
  const schema = buildSchema();
  const log = createLogger('silent');
  const audit = new AuditWriter(knex, log);
  const ids = ((await knex('person').orderBy('id').pluck('id')) as unknown[]).map((id) => toGlobalId('Person', String(id)));
  const viewer: Viewer = { authenticated: true, subject: 'bench', name: null, role: 'police', gridIds: [], streetIds: [], department: 'police' };
  const purpose = 'benchmark';
  const document = parse(PERSON_PROFILE); // as the hub's document cache does
  let next = 0;

  const once = async (withPolicy: boolean): Promise<number> => {
    const id = ids[next++ % ids.length]!;
    const started = performance.now();
    const data = createDataLayer(knex, viewer, withPolicy ? { purpose } : { purpose, policy: new AllowAll(viewer, purpose) });
    const result = await execute({ schema, document, variableValues: { id }, contextValue: { viewer, purpose, data, log } });
    if (result.errors?.length) throw new Error(`profile query failed: ${result.errors[0]!.message}`);
    if (withPolicy) audit.record(viewer, data.reads, personFieldsOf(schema, document), purpose, 'Profile');
    return performance.now() - started;
  };
  const latencies = { with: [] as number[], without: [] as number[] };
  const elapsed = { with: 0, without: 0 };
  for (let round = 0; round < rounds * 2; round++) {
    const withPolicy = round % 2 === 0;
    const started = performance.now();
    let remaining = perRound;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (remaining-- > 0) (withPolicy ? latencies.with : latencies.without).push(await once(withPolicy));
    }));
    if (withPolicy) await audit.flush(); // the audit's writes count against the policy side
    elapsed[withPolicy ? 'with' : 'without'] += performance.now() - started;
  }
  await audit.flush();
  const auditRows = Number(((await knex('audit_log').where('subject', 'bench').count({ n: '*' }).first()) as { n: string }).n);
  return { withPolicy: stats(latencies.with, elapsed.with), withoutPolicy: stats(latencies.without, elapsed.without), auditRows };
}

export interface PolicyOverheadResult extends PolicyOverhead { store: string }

const pct = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(1)}%`;
const ms = (v: number) => v.toFixed(2);

/** The bench's section of docs/BENCHMARKS.md. */
export function renderPolicySection(results: PolicyOverheadResult[], machine: { cpu: string; cores: number; memoryGiB: number; node: string; os: string }, date: string, rounds: number): string {
  const rows = results.flatMap((r) => [
    `| ${r.store} | with policy + audit | ${r.withPolicy.ops} | ${r.withPolicy.opsPerSecond.toFixed(0)} | ${ms(r.withPolicy.mean)} | ${ms(r.withPolicy.p50)} | ${ms(r.withPolicy.p99)} |`,
    `| ${r.store} | without | ${r.withoutPolicy.ops} | ${r.withoutPolicy.opsPerSecond.toFixed(0)} | ${ms(r.withoutPolicy.mean)} | ${ms(r.withoutPolicy.p50)} | ${ms(r.withoutPolicy.p99)} |`,
  ]);
  const overhead = results.map((r) =>
    `- ${r.store}: throughput ${pct(r.withoutPolicy.opsPerSecond, r.withPolicy.opsPerSecond)} higher without; mean latency +${pct(r.withPolicy.mean, r.withoutPolicy.mean)} with (${r.auditRows} audit rows written)`);
  return [
    '<!-- bench:policy-overhead:start -->',
    '## Policy and audit overhead (issue 6)',
    '',
    'The person-profile query executed in-process (no HTTP) against the served world (the district `npm start` serves, synced by the bench), as a police officer: alternating rounds with the real policy (scope, masking, record visibility) plus the audit writer (one row per request, naming every person it handed out, written in batches and flushed inside the measured round), and with a policy that allows everything and no audit. 8 operations in flight, each for a different person.',
    '',
    `- Date: ${date}`,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM; Node ${machine.node}; ${machine.os}`,
    `- ${rounds} rounds of each variant, interleaved`,
    '',
    '| store | variant | operations | ops/s | mean ms | p50 ms | p99 ms |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...overhead,
    '<!-- bench:policy-overhead:end -->',
  ].join('\n');
}
