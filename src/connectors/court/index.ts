/**
 * The court (法院): its case register (judgments) and the dishonest-debtor list (失信被执行人).
 * A reference for people and enterprises: it links to them, never creates or overwrites them.
 *
 * Source: a PostgreSQL database (PostgreSQL wire protocol; the simulator's embedded PGlite speaks
 * it too), read with knex + pg from `{schema}.judgments` and `{schema}.dishonest_debtors`, each
 * with an index on (updated_at, case_no).
 *
 * Cursor per stream: `{ updatedAt, caseNo }`, the keyset position (updated_at, case_no) of the
 * last row delivered (null before the first read). Each page is
 * `where (updated_at, case_no) > (cursor) order by updated_at, case_no limit pageSize`: a full read
 * and a changes read are the same query, a resumed read starts right after the last saved row, and
 * a row updated after we passed it has a later updated_at, so it comes again once, in its new
 * version. updatedAt is kept to the microsecond as text, so the position is exact whatever the
 * writer's clock resolution. (Like any keyset on an update time, it assumes rows become visible in
 * updated_at order: a writer whose transaction commits after a later-stamped one could be missed.
 * The court's writer stamps and commits each change in one statement.)
 *
 * Connections: a knex pool of at most `poolMax` (default 1: the embedded PGlite serves one
 * session) opened per read or check and destroyed when it finishes or fails, so no handle
 * outlives a read. `timeoutMs` bounds connecting and every query (client side). Rows are selected
 * with dates and times as text and amounts as float8, so the hub's global pg type parsers do not
 * change what a record looks like.
 */
import knexFactory, { type Knex } from 'knex';
import { z } from 'zod';
import { sourceIdFields,
  MappingError, RateLimited, SourceError, SourceUnavailable, asObject,
  type Connector, type ConnectorContext, type Cursor, type EnterpriseRef, type MappedRecord, type Mention, type Page, type PersonRef,
} from '../sdk/index.js';

const STREAMS = {
  judgments: {
    describes: 'a judgment (判决/调解) of a civil or criminal case: the defendant it is about, and the other parties',
    columns: `case_no, court, case_type, cause, to_char(filed_on, 'YYYY-MM-DD') as filed_on, to_char(judged_on, 'YYYY-MM-DD') as judged_on,
      parties, amount_yuan::float8 as amount_yuan, sentence, result`,
  },
  dishonest_debtors: {
    describes: 'a debtor on the dishonest list (失信被执行人): a person or an enterprise, with the enforcement case',
    columns: `case_no, basis_case_no, court, debtor_type, name, id_number, credit_code, legal_representative, address, obligation,
      amount_yuan::float8 as amount_yuan, performance, circumstance, to_char(published_on, 'YYYY-MM-DD') as published_on`,
  },
} as const;
type Stream = keyof typeof STREAMS;

/** updated_at in Beijing time, to the microsecond: exact as a keyset position, readable as a record field. */
const UPDATED_AT = `to_char(updated_at at time zone interval '+08:00', 'YYYY-MM-DD"T"HH24:MI:SS.US"+08:00"') as updated_at`;

const config = z.object({
  databaseUrl: z.string({ error: 'databaseUrl is required: the court database as postgres://user:password@host:5432/database' })
    .regex(/^postgres(ql)?:\/\/\S+$/, 'databaseUrl must be a postgres:// URL, e.g. postgres://court_reader:secret@fy-db.example:5432/court'),
  schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'schema must be a plain SQL name, e.g. court').default('court'),
  pageSize: z.number().int().min(1).max(10_000).default(1000),
  timeoutMs: z.number().int().positive().default(30_000),
  /** Connections per read; the embedded PGlite serves one at a time. */
  poolMax: z.number().int().min(1).max(20).default(1),
});

export type CourtConfig = z.output<typeof config>;

// A type, not an interface: a Cursor is a record of unknown values.
type CourtCursor = { updatedAt: string; caseNo: string };

const connector: Connector<CourtConfig> = {
  spec: {
    name: 'court',
    displayName: '法院 (裁判文书、失信被执行人)',
    version: '1.0.0',
    description: 'The court: judgments of civil and criminal cases with their parties, and the dishonest-debtor list (people and enterprises). References people and enterprises.',
    config,
    dataClass: 'judicial',
    intervalSeconds: 60 * 60,
    timeoutMs: 30_000,
    secrets: ['databaseUrl'],
  },

  async check(cfg) {
    const where = describeUrl(cfg.databaseUrl);
    const db = open(cfg);
    try {
      const result = await db.raw<{ rows: Array<{ judgments: number; debtors: number }> }>(
        'select (select count(*) from ??.judgments)::int as judgments, (select count(*) from ??.dishonest_debtors)::int as debtors',
        [cfg.schema, cfg.schema],
      );
      const counts = result.rows[0];
      return { ok: true, message: `court database at ${where} answers: ${counts?.judgments ?? 0} judgments and ${counts?.debtors ?? 0} dishonest debtors in schema ${cfg.schema}` };
    } catch (error) {
      const why = classify(error, cfg, '').message;
      return {
        ok: false,
        message: `court database at ${where} is not usable: ${why}. Check that the database is running, databaseUrl points at it and schema ${cfg.schema} holds the judgments and dishonest_debtors tables.`,
      };
    } finally {
      await db.destroy();
    }
  },

  async discover() {
    return (Object.keys(STREAMS) as Stream[]).map((name) => ({ name, describes: STREAMS[name].describes, syncMode: 'incremental' as const }));
  },

  async *read(cfg, stream, cursor, ctx: ConnectorContext): AsyncGenerator<Page> {
    const s = streamOf(stream);
    if (!s) throw new SourceError(`court has no stream ${JSON.stringify(stream)}; it offers ${Object.keys(STREAMS).join(', ')}`);
    let position = parseCursor(cursor);
    const select = `select ${STREAMS[s].columns}, ${UPDATED_AT} from ??.${s}`;
    const db = open(cfg);
    try {
      for (;;) {
        ctx.signal.throwIfAborted();
        let rows: Array<Record<string, unknown>>;
        try {
          const result = position === null
            ? await db.raw<{ rows: Array<Record<string, unknown>> }>(`${select} order by updated_at, case_no limit ?`, [cfg.schema, cfg.pageSize])
            : await db.raw<{ rows: Array<Record<string, unknown>> }>(
              `${select} where (updated_at, case_no) > (?::timestamptz, ?) order by updated_at, case_no limit ?`,
              [cfg.schema, position.updatedAt, position.caseNo, cfg.pageSize],
            );
          rows = result.rows;
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          throw classify(error, cfg, `court database at ${describeUrl(cfg.databaseUrl)}, reading ${cfg.schema}.${s}: `);
        }
        const last = rows[rows.length - 1];
        if (!last) return;
        if (typeof last.updated_at !== 'string' || typeof last.case_no !== 'string') {
          throw new SourceError(`court database at ${describeUrl(cfg.databaseUrl)}: ${cfg.schema}.${s} has a row without updated_at or case_no; the table is not the court's`);
        }
        // The position is the row's own key, untrimmed, so the next page starts right after it.
        position = { updatedAt: last.updated_at, caseNo: last.case_no };
        yield { records: rows.map((data) => ({ data })), cursor: position };
        if (rows.length < cfg.pageSize) return;
      }
    } finally {
      await db.destroy();
    }
  },

  sourceIdOf: sourceIdFields({ judgments: 'case_no', dishonest_debtors: 'case_no' }),

  map(stream, record) {
    const s = streamOf(stream);
    if (!s) throw new MappingError(`court has no stream ${JSON.stringify(stream)}`);
    const r = asObject(record);
    return s === 'judgments' ? mapJudgment(r) : mapDebtor(r);
  },
};

export default connector;

// ---------------------------------------------------------------------------------------------
// Mapping

const ROLE: Readonly<Record<string, 'plaintiff' | 'defendant'>> = { 原告: 'plaintiff', 被告: 'defendant', 被告人: 'defendant' };
/** A party with neither an ID number nor a credit code is an organisation when its name says so. */
const ORGANISATION = /(公司|厂|店|行|社|中心|所|院|校|局|委员会|协会|银行|集团|合作社|经营部)$/;
const TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?([+-]\d\d:\d\d|Z)$/;

/** A judgment: about its first defendant (被告/被告人); every other party is a mention. */
export function mapJudgment(r: Record<string, unknown>): MappedRecord {
  const sourceId = text(r, 'case_no', true);
  const updatedAt = time(r, 'updated_at');
  const parties = r.parties;
  if (!Array.isArray(parties)) throw new MappingError(`parties must be a list of parties, got ${describe(parties)}`);
  let subject: PersonRef | EnterpriseRef | null = null;
  const mentions: Mention[] = [];
  for (let i = 0; i < parties.length; i++) {
    const { role, ref } = party(parties[i], i);
    if (subject === null && role === 'defendant') subject = ref;
    else mentions.push({ role, ref });
  }
  if (subject === null) throw new MappingError(`no 被告 or 被告人 among the ${parties.length} parties`);
  return { sourceId, updatedAt, subject, mentions };
}

/** A debtor on the dishonest list: a person (自然人) or an enterprise (法人). */
export function mapDebtor(r: Record<string, unknown>): MappedRecord {
  const sourceId = text(r, 'case_no', true);
  const updatedAt = time(r, 'updated_at');
  const type = r.debtor_type;
  const name = text(r, 'name', true);
  const address = text(r, 'address', false);
  if (type === '自然人') {
    return { sourceId, updatedAt, subject: { kind: 'person', authority: 'reference', idNumber: text(r, 'id_number', false), facts: { name, address } }, mentions: [] };
  }
  if (type === '法人') {
    const representative = text(r, 'legal_representative', false);
    return {
      sourceId,
      updatedAt,
      subject: {
        kind: 'enterprise',
        authority: 'reference',
        creditCode: text(r, 'credit_code', false),
        facts: { name, ...(representative === null ? {} : { legalRepresentative: representative }), address },
      },
      mentions: representative === null ? [] : [{ role: 'legal_representative', ref: { kind: 'person', authority: 'reference', idNumber: null, facts: { name: representative } } }],
    };
  }
  throw new MappingError(`debtor_type must be 自然人 or 法人, got ${JSON.stringify(type)}`);
}

function party(value: unknown, i: number): { role: 'plaintiff' | 'defendant'; ref: PersonRef | EnterpriseRef } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MappingError(`parties[${i}] must be an object, got ${describe(value)}`);
  const p = value as Record<string, unknown>;
  const role = ROLE[String(p.role)];
  if (!role) throw new MappingError(`parties[${i}].role must be 原告, 被告 or 被告人, got ${JSON.stringify(p.role)}`);
  const name = text(p, 'name', true, `parties[${i}].`);
  const idNumber = text(p, 'idNumber', false, `parties[${i}].`);
  const creditCode = text(p, 'creditCode', false, `parties[${i}].`);
  const enterprise = creditCode !== null || (idNumber === null && ORGANISATION.test(name));
  const ref: PersonRef | EnterpriseRef = enterprise
    ? { kind: 'enterprise', authority: 'reference', creditCode, facts: { name } }
    : { kind: 'person', authority: 'reference', idNumber, facts: { name } };
  return { role, ref };
}

function text(r: Record<string, unknown>, field: string, required: true, prefix?: string): string;
function text(r: Record<string, unknown>, field: string, required: false, prefix?: string): string | null;
function text(r: Record<string, unknown>, field: string, required: boolean, prefix = ''): string | null {
  const v = r[field];
  if (v === null || v === undefined) {
    if (required) throw new MappingError(`${prefix}${field} is missing`);
    return null;
  }
  if (typeof v !== 'string') throw new MappingError(`${prefix}${field} must be text, got ${describe(v)}`);
  const t = v.trim();
  if (t === '' && required) throw new MappingError(`${prefix}${field} is empty`);
  return t === '' ? null : t;
}

/** updated_at as ISO 8601 with its offset; the fraction only when there is one. */
function time(r: Record<string, unknown>, field: string): string {
  const v = text(r, field, true);
  const m = TIME.exec(v);
  if (!m || Number.isNaN(Date.parse(v))) throw new MappingError(`${field} must be an ISO 8601 time with offset, got ${JSON.stringify(v)}`);
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  return `${m[1]}${fraction ? `.${fraction}` : ''}${m[3]}`;
}

function describe(v: unknown): string {
  const kind = v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
  return `${kind} ${(JSON.stringify(v) ?? String(v)).slice(0, 80)}`;
}

// ---------------------------------------------------------------------------------------------
// Transport

function streamOf(stream: string): Stream | null {
  return Object.hasOwn(STREAMS, stream) ? (stream as Stream) : null;
}

function parseCursor(cursor: Cursor | null): CourtCursor | null {
  if (cursor === null) return null;
  if (typeof cursor.updatedAt === 'string' && !Number.isNaN(Date.parse(cursor.updatedAt)) && typeof cursor.caseNo === 'string') {
    return { updatedAt: cursor.updatedAt, caseNo: cursor.caseNo };
  }
  throw new SourceError(`court: the saved cursor is not one this connector wrote: ${JSON.stringify(cursor).slice(0, 200)}`);
}

function open(cfg: CourtConfig): Knex {
  return knexFactory({
    client: 'pg',
    // Known up front, so knex does not ask (`select version()` on connect: a failure there would leak the connection).
    version: '13',
    connection: {
      connectionString: cfg.databaseUrl,
      application_name: 'liandong-court-connector',
      connectionTimeoutMillis: cfg.timeoutMs,
      query_timeout: cfg.timeoutMs,
    } as Knex.PgConnectionConfig,
    pool: { min: 0, max: cfg.poolMax },
    acquireConnectionTimeout: cfg.timeoutMs,
    // Connection failures are thrown (and classified) anyway; knex would print them to the console too.
    log: { warn: quiet, debug: quiet, deprecate: quiet, error: quiet },
  });
}

function quiet(): void {}

/** The database URL without its password, for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '<the configured databaseUrl (not a valid URL)>';
  }
}

const NETWORK: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (is the database running and the URL right?)',
  ECONNRESET: 'connection reset by the database',
  ENOTFOUND: 'host not found (check the URL)',
  ETIMEDOUT: 'connecting timed out',
  EHOSTUNREACH: 'host unreachable',
  EPIPE: 'the database closed the connection',
};

/** A pg/knex failure as the SDK error the runner acts on (retry, wait, or give up); its message starts with `prefix`. */
function classify(error: unknown, cfg: CourtConfig, prefix: string): SourceError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown; detail?: unknown; name?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : null;
  // knex puts the SQL in front of the driver's message: keep only the driver's words.
  const raw = typeof e.message === 'string' ? e.message : String(error);
  const message = raw.includes(' - ') ? raw.slice(raw.lastIndexOf(' - ') + 3) : raw;
  if (code !== null && NETWORK[code]) return new SourceUnavailable(`${prefix}${NETWORK[code]}`, error);
  if (code === null && Array.isArray(e.errors)) {
    // Node's AggregateError (IPv4 and IPv6 both refused).
    const inner = (e.errors as Array<{ code?: unknown }>).map((x) => (typeof x?.code === 'string' ? x.code : '')).find((c) => NETWORK[c]);
    if (inner) return new SourceUnavailable(`${prefix}${NETWORK[inner]}`, error);
  }
  if (/Query read timeout|timeout expired|Timeout acquiring a connection/i.test(message) || e.name === 'KnexTimeoutError') {
    return new SourceUnavailable(`${prefix}no answer within ${cfg.timeoutMs} ms`, error);
  }
  if (code !== null && /^[0-9A-Z]{5}$/.test(code)) {
    const detail = typeof e.detail === 'string' ? ` (${e.detail})` : '';
    if (code === '53300') {
      const seconds = typeof e.detail === 'string' ? /retry after (\d+) s/.exec(e.detail)?.[1] : undefined;
      return new RateLimited(`${prefix}${message}${detail} [SQLSTATE ${code}]`, seconds === undefined ? null : Number(seconds) * 1000);
    }
    const text = `${prefix}${message}${detail} [SQLSTATE ${code}]`;
    // Connection exceptions, server shutting down or starting, out of resources: try again later.
    if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P') || code === '40001' || code === '40P01') return new SourceUnavailable(text, error);
    if (code === '42P01' || code === '3F000') return new SourceError(`${text}; is schema ${cfg.schema} right?`, { failureType: 'config', cause: error });
    // Class 28: the credentials; 3D: the database name; 42501: the role lacks the grant. All the operator's to fix.
    if (code.startsWith('28') || code.startsWith('3D') || code === '42501') return new SourceError(text, { failureType: 'config', cause: error });
    return new SourceError(text, { cause: error });
  }
  // No SQLSTATE: the connection broke or the server spoke no PostgreSQL (e.g. refused a second session).
  return new SourceUnavailable(`${prefix}${message}`, error);
}
