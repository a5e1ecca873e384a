/**
 * The court (法院): a SQL database holding its case register (judgments) and the dishonest-debtor
 * list (失信被执行人), loaded from the generator's departments/court files into two tables of
 * schema `court` (or options.schema):
 *
 *   judgments          (case_no text primary key, court, case_type, cause, filed_on date,
 *                       judged_on date, parties jsonb, amount_yuan numeric(14,2), sentence,
 *                       result, updated_at timestamptz)
 *   dishonest_debtors  (case_no text primary key, basis_case_no, court, debtor_type, name,
 *                       id_number, credit_code, legal_representative, address, obligation,
 *                       amount_yuan numeric(14,2), performance, circumstance, published_on date,
 *                       updated_at timestamptz)
 *
 * each with an index on (updated_at, case_no), bulk-inserted in batches while the file streams by.
 *
 * Where: with `databaseUrl`, that PostgreSQL database (the schema is created if needed, the two
 * tables dropped and re-created on start; they stay after stop). Without it, an embedded PGlite
 * served over the PostgreSQL wire protocol by @electric-sql/pglite-socket on `port` (0: a free
 * one); it serves one connection at a time (pglite has one session), so clients use one.
 * Either way the connector gets a plain postgres:// URL: connectorConfig = { databaseUrl, schema }.
 *
 * change(n) UPDATEs n rows (a debtor pays part: 全部未履行 → 部分未履行, or the circumstance is
 * revised; a judgment's result or sentence is amended) with a fresh updated_at, all in one
 * statement per table, so an incremental read keyed on (updated_at, case_no) sees exactly them.
 *
 * Faults:
 * - malformedRate: rows loaded at start (options.faults.malformedRate) or changed later come out
 *   malformed: a judgment whose parties is not an array, a row whose case_no is blank (whitespace,
 *   so the primary key stays unique; load only), a debtor whose debtor_type is neither 自然人 nor 法人.
 * - down, latencyMs, rateLimitPerSecond (embedded only): down stops the socket server, so
 *   connections are refused (and open ones are cut) until it is set back; latencyMs delays every
 *   query; above rateLimitPerSecond queries a second a query is refused with SQLSTATE 53300 and
 *   DETAIL "retry after N s". Against a real PostgreSQL server these three are ignored: the
 *   simulator does not own the server (the CLI even hands it the hub's own database), so it cannot
 *   take it down or slow it. malformedRate works on both. The embedded database and these three
 *   faults are the wire shim in ../common/pgWire.ts.
 */
import pg from 'pg';
import type { Faults } from '../common/faults.js';
import { type PgWireServer, type Sql, WireFaults, createPgWireServer } from '../common/pgWire.js';
import type { RunningSimulator, SimulatorFactory, SimulatorOptions } from '../common/simulator.js';
import { readNdjson, worldFile } from '../../world/read.js';
import { Rng } from '../../world/rng.js';
import { NOW_MS } from '../../world/time.js';
import type { CourtDishonestDebtor, CourtJudgment } from '../../world/types.js';

export type CourtStream = 'judgments' | 'dishonest_debtors';
export const COURT_STREAMS: readonly CourtStream[] = ['judgments', 'dishonest_debtors'];
const DEFAULT_BATCH = 2000;

export interface CourtSimulatorOptions extends SimulatorOptions {
  faults?: Partial<Faults>;
  /** The schema holding the court's tables (default 'court'). */
  schema?: string;
  /** Rows per INSERT while loading (default 2000). */
  batchSize?: number;
}

export interface CourtSimulator extends RunningSimulator {
  /** Every row changed by change(), in order. */
  readonly changedKeys: ReadonlyArray<{ stream: CourtStream; key: string }>;
  /** Rows loaded per table at start, and how many of them were written malformed. */
  readonly loaded: Readonly<Record<CourtStream, { rows: number; malformed: number }>>;
  /** True for the embedded PGlite, false for a PostgreSQL server given by databaseUrl. */
  readonly embedded: boolean;
  /** Resolves once the last `down` switch has taken effect (the socket server stopped or listening again). */
  settled(): Promise<void>;
}

const RESULTS = ['判决被告支付', '调解结案', '部分支持原告诉讼请求'];
const CIRCUMSTANCES = ['有履行能力而拒不履行生效法律文书确定义务', '违反财产报告制度', '违反限制消费令'];
const SENTENCE = /有期徒刑(\d+)个月/;

const JUDGMENT_COLUMNS = 'case_no text, court text, case_type text, cause text, filed_on date, judged_on date, parties jsonb, amount_yuan numeric, sentence text, result text, updated_at timestamptz';
const DEBTOR_COLUMNS = 'case_no text, basis_case_no text, court text, debtor_type text, name text, id_number text, credit_code text, legal_representative text, address text, obligation text, amount_yuan numeric, performance text, circumstance text, published_on date, updated_at timestamptz';

function columnNames(defs: string): string {
  return defs.split(',').map((d) => d.trim().split(' ')[0]).join(', ');
}

function judgmentRow(r: CourtJudgment): Record<string, unknown> {
  return {
    case_no: r.caseNo, court: r.court, case_type: r.caseType, cause: r.cause, filed_on: r.filedOn, judged_on: r.judgedOn,
    parties: r.parties, amount_yuan: r.amountYuan, sentence: r.sentence, result: r.result, updated_at: r.updatedAt,
  };
}

function debtorRow(r: CourtDishonestDebtor): Record<string, unknown> {
  return {
    case_no: r.caseNo, basis_case_no: r.basisCaseNo, court: r.court, debtor_type: r.debtorType, name: r.name, id_number: r.idNumber,
    credit_code: r.creditCode, legal_representative: r.legalRepresentative, address: r.address, obligation: r.obligation,
    amount_yuan: r.amountYuan, performance: r.performance, circumstance: r.circumstance, published_on: r.publishedOn, updated_at: r.updatedAt,
  };
}

/** A party list that is not a list: how a hand-edited row breaks. */
function brokenParties(parties: unknown, u: number): unknown {
  const first = Array.isArray(parties) && typeof parties[0] === 'object' && parties[0] !== null ? (parties[0] as { name?: unknown }).name : null;
  return u < 0.5 ? { 当事人: first ?? '不详' } : `${String(first ?? '不详')}等`;
}

/** A realistic amendment to one judgment: the result (and amount) of a civil case, the sentence of a criminal one. */
export function amendJudgment(row: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  const r = { ...row };
  const sentence = typeof r.sentence === 'string' ? r.sentence : null;
  const months = sentence?.match(SENTENCE)?.[1];
  if (months !== undefined && sentence !== null) {
    // 二审改判: a different term.
    const m = Number(months);
    const next = m > 6 && rng.chance(0.5) ? m - rng.int(1, Math.min(6, m - 1)) : m + rng.int(1, 6);
    r.sentence = sentence.replace(SENTENCE, `有期徒刑${next}个月`);
    return r;
  }
  const result = RESULTS.filter((x) => x !== r.result)[rng.int(0, RESULTS.length - 2)] ?? RESULTS[0];
  r.result = result;
  const amount = typeof r.amount_yuan === 'number' ? r.amount_yuan : Number(r.amount_yuan);
  if (result === '部分支持原告诉讼请求' && Number.isFinite(amount) && amount > 0) r.amount_yuan = Math.max(1000, Math.round((amount * 0.8) / 1000) * 1000);
  return r;
}

/** A realistic change on the dishonest list: a partial payment, or a revised circumstance. */
export function reviseDebtor(row: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  const r = { ...row };
  if (r.performance === '全部未履行') r.performance = '部分未履行';
  else r.circumstance = CIRCUMSTANCES.filter((c) => c !== r.circumstance)[rng.int(0, CIRCUMSTANCES.length - 2)] ?? CIRCUMSTANCES[0];
  return r;
}

export async function startCourtSimulator(options: CourtSimulatorOptions): Promise<CourtSimulator> {
  const seed = options.seed ?? 1;
  const schema = options.schema ?? 'court';
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`schema must be a plain lower-case SQL name, got ${JSON.stringify(schema)}`);
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const files = {
    judgments: worldFile(options.dataDir, 'departments/court/judgments'),
    dishonest_debtors: worldFile(options.dataDir, 'departments/court/dishonest_debtors'),
  };
  const faults = new WireFaults(seed * 47 + 1, { ...options.faults });
  const rng = new Rng(seed * 47 + 2);
  const embedded = options.databaseUrl === undefined;
  const q = `"${schema}"`;

  const wire: PgWireServer | null = embedded ? await createPgWireServer({ port: options.port, host: options.host, faults }) : null;
  const sql: Sql = wire ? wire.sql : serverSql(options.databaseUrl as string);

  const keys: Record<CourtStream, string[]> = { judgments: [], dishonest_debtors: [] };
  const loaded = { judgments: { rows: 0, malformed: 0 }, dishonest_debtors: { rows: 0, malformed: 0 } };
  let clock = NOW_MS;
  try {
    await sql.exec(`
      create schema if not exists ${q};
      drop table if exists ${q}.judgments;
      drop table if exists ${q}.dishonest_debtors;
      create table ${q}.judgments (
        case_no text primary key, court text not null, case_type text not null, cause text not null,
        filed_on date, judged_on date, parties jsonb not null, amount_yuan numeric(14, 2), sentence text,
        result text not null, updated_at timestamptz not null
      );
      create table ${q}.dishonest_debtors (
        case_no text primary key, basis_case_no text, court text not null, debtor_type text not null, name text not null,
        id_number text, credit_code text, legal_representative text, address text, obligation text not null,
        amount_yuan numeric(14, 2), performance text not null, circumstance text, published_on date,
        updated_at timestamptz not null
      );`);

    let blanks = 0;
    const load = async <T extends { caseNo: string; updatedAt: string }>(stream: CourtStream, columns: string, toRow: (r: T) => Record<string, unknown>, breakRow: (row: Record<string, unknown>, u: number) => void) => {
      const insert = `insert into ${q}.${stream} (${columnNames(columns)}) select * from jsonb_to_recordset($1::jsonb) as x(${columns})`;
      let batch: Record<string, unknown>[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        await sql.query(insert, [JSON.stringify(batch)]);
        batch = [];
      };
      for await (const record of readNdjson<T>(files[stream])) {
        const row = toRow(record);
        clock = Math.max(clock, Date.parse(record.updatedAt) || 0);
        if (faults.malformed()) {
          loaded[stream].malformed++;
          const u = faults.draw();
          if (u < 0.4) row.case_no = ' '.repeat(++blanks); // blank, yet unique
          else breakRow(row, faults.draw());
        } else {
          keys[stream].push(record.caseNo);
        }
        loaded[stream].rows++;
        batch.push(row);
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      await sql.exec(`create index ${stream}_updated_at_case_no on ${q}.${stream} (updated_at, case_no)`);
    };
    await load<CourtJudgment>('judgments', JUDGMENT_COLUMNS, judgmentRow, (row, u) => {
      row.parties = brokenParties(row.parties, u);
    });
    await load<CourtDishonestDebtor>('dishonest_debtors', DEBTOR_COLUMNS, debtorRow, (row) => {
      row.debtor_type = '不详';
    });
    await sql.exec(`analyze ${q}.judgments; analyze ${q}.dishonest_debtors`);
  } catch (error) {
    await sql.close().catch(() => undefined);
    throw error;
  }

  const changedKeys: Array<{ stream: CourtStream; key: string }> = [];
  const change = async (count: number): Promise<number> => {
    const total = keys.judgments.length + keys.dishonest_debtors.length;
    const want = Math.min(Math.max(0, Math.floor(count)), total);
    const picked: Record<CourtStream, Set<string>> = { judgments: new Set(), dishonest_debtors: new Set() };
    const share = keys.judgments.length / Math.max(1, total);
    for (let n = 0; n < want; ) {
      const stream: CourtStream = rng.next() < share ? 'judgments' : 'dishonest_debtors';
      const list = keys[stream];
      if (list.length === 0) continue;
      const key = list[Math.floor(rng.next() * list.length)] as string;
      if (picked[stream].has(key)) continue;
      picked[stream].add(key);
      n++;
    }
    clock = Math.max(Date.now(), clock + 1);
    const stamp = new Date(clock).toISOString();
    for (const stream of COURT_STREAMS) {
      const chosen = [...picked[stream]];
      if (chosen.length === 0) continue;
      const { rows } = await sql.query<{ row: Record<string, unknown> }>(
        `select to_jsonb(t) as row from ${q}.${stream} t where case_no in (select jsonb_array_elements_text($1::jsonb)) order by case_no`,
        [JSON.stringify(chosen)],
      );
      const edited = rows.map(({ row }) => {
        const r = typeof row === 'string' ? (JSON.parse(row) as Record<string, unknown>) : row;
        const next = stream === 'judgments' ? amendJudgment(r, rng) : reviseDebtor(r, rng);
        if (faults.malformed()) {
          if (stream === 'judgments') next.parties = brokenParties(next.parties, faults.draw());
          else next.debtor_type = '不详';
        }
        return next;
      });
      const update = stream === 'judgments'
        ? `update ${q}.judgments t set parties = x.parties, amount_yuan = x.amount_yuan, sentence = x.sentence, result = x.result, updated_at = $2::timestamptz
           from jsonb_to_recordset($1::jsonb) as x(case_no text, parties jsonb, amount_yuan numeric, sentence text, result text) where t.case_no = x.case_no`
        : `update ${q}.dishonest_debtors t set debtor_type = x.debtor_type, performance = x.performance, circumstance = x.circumstance, updated_at = $2::timestamptz
           from jsonb_to_recordset($1::jsonb) as x(case_no text, debtor_type text, performance text, circumstance text) where t.case_no = x.case_no`;
      await sql.query(update, [JSON.stringify(edited), stamp]);
      for (const key of chosen) changedKeys.push({ stream, key });
    }
    return want;
  };

  let databaseUrl: string;
  if (wire) {
    try {
      databaseUrl = await wire.listen();
    } catch (error) {
      await sql.close().catch(() => undefined);
      throw error;
    }
  } else {
    databaseUrl = options.databaseUrl as string;
  }

  return {
    department: 'court',
    endpoint: withoutPassword(databaseUrl),
    connectorConfig: { databaseUrl, schema },
    faults,
    changedKeys,
    loaded,
    embedded,
    change,
    settled: () => wire?.settled() ?? Promise.resolve(),
    async stop() {
      await (wire ? wire.stop() : sql.close());
    },
  };
}

startCourtSimulator satisfies SimulatorFactory;

function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '<invalid database URL>';
  }
}

// ---------------------------------------------------------------------------------------------
// A PostgreSQL server given by URL

function serverSql(url: string): Sql {
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'liandong-court-simulator' });
  pool.on('error', () => undefined); // an idle client cut by the server; the next query reconnects
  return {
    async query<T>(text: string, params: unknown[] = []) {
      const r = await pool.query(text, params);
      return { rows: r.rows as T[], count: r.rowCount ?? 0 };
    },
    async exec(text: string) {
      await pool.query(text);
    },
    close: () => pool.end(),
  };
}
