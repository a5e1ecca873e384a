/**
 * The population register (人口库, 公安人口信息系统): master of people.
 *
 * Source: REST/JSON, `GET {baseUrl}/api/v1/residents`, cursor-paged, answering
 * `{ nextCursor, highWater, data: [...] }`.
 * - Full export: `?limit=N&cursor=TOKEN` in storage order.
 * - Changes: `?updatedSince=ISO&limit=N&cursor=TOKEN`, ordered by (GXSJ, RYBH) with a keyset token.
 *
 * Cursor (saved by the runner after each page):
 * - `{ phase: 'full', token, since }` during the first full export. `since` is the register's
 *   highWater when the export began, so a record changed while the export runs is read again
 *   by the incremental phase that follows (in the same read).
 * - `{ phase: 'incremental', since, after }` afterwards: changes after `since`, resuming after the
 *   keyset token `after` (null: from the start of the window). When a changes read reaches its
 *   end, `since` moves to the register's highWater and `after` resets.
 */
import { z } from 'zod';
import { sourceIdFields,
  MappingError, SourceError, asObject, type Connector, type ConnectorContext, type Cursor, type HouseholdRelation, type MappedRecord, type Page, type PersonFacts, type RawRecord,
  textField as text, dateField as date, beijingTimeField as time,
  fetchJsonPage,
} from '../sdk/index.js';

const STREAM = 'residents';

const config = z.object({
  baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be the population register\'s http(s) base URL, e.g. http://rkk.example:8080' }),
  pageSize: z.number().int().min(1).max(5000).default(1000),
  timeoutMs: z.number().int().positive().default(30_000),
});

export type PopulationConfig = z.output<typeof config>;

type PopulationCursor =
  | { phase: 'full'; token: string | null; since: string | null }
  | { phase: 'incremental'; since: string; after: string | null };

const RELATION: Readonly<Record<string, HouseholdRelation>> = {
  本人: 'head', 户主: 'head',
  配偶: 'spouse', 妻: 'spouse', 夫: 'spouse', 妻子: 'spouse', 丈夫: 'spouse',
  子: 'child', 女: 'child', 儿子: 'child', 女儿: 'child', 长子: 'child', 次子: 'child', 长女: 'child', 次女: 'child',
  父: 'parent', 母: 'parent', 父亲: 'parent', 母亲: 'parent',
  孙子: 'grandchild', 孙女: 'grandchild', 外孙: 'grandchild', 外孙女: 'grandchild', 外孙子: 'grandchild',
};

const RESIDENCE: Readonly<Record<string, 'hukou' | 'floating'>> = { 户籍人口: 'hukou', 流动人口: 'floating' };

function residentsUrl(config: PopulationConfig): URL {
  return new URL('api/v1/residents', config.baseUrl.endsWith('/') ? config.baseUrl : `${config.baseUrl}/`);
}

const connector: Connector<PopulationConfig> = {
  spec: {
    name: 'population',
    displayName: '公安局人口库 (实有人口)',
    version: '1.0.0',
    description: 'The population register: every registered resident (hukou and floating) with ID number, household, relation to head and current address. Master for people.',
    config,
    dataClass: 'civil-registry',
    intervalSeconds: 15 * 60,
    timeoutMs: 30_000,
  },

  async check(cfg, ctx) {
    const url = residentsUrl(cfg);
    url.searchParams.set('limit', '1');
    try {
      const page = await fetchPage(url, ctx);
      return { ok: true, message: `population register at ${cfg.baseUrl} answers (highWater ${page.highWater})` };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { ok: false, message: `population register at ${cfg.baseUrl} is not usable: ${why}. Check that the service is running and baseUrl points at it.` };
    }
  },

  async discover() {
    return [{ name: STREAM, describes: 'a resident in the population register (实有人口): a person, their household and where they live', syncMode: 'incremental' as const }];
  },

  async *read(cfg, stream, cursor, ctx): AsyncGenerator<Page> {
    if (stream !== STREAM) throw new SourceError(`population has no stream ${JSON.stringify(stream)}; it offers ${STREAM}`);
    let state = parseCursor(cursor);
    while (state.phase === 'full') {
      const url = residentsUrl(cfg);
      url.searchParams.set('limit', String(cfg.pageSize));
      if (state.token !== null) url.searchParams.set('cursor', state.token);
      const page = await fetchPage(url, ctx);
      const since = state.since ?? page.highWater;
      state = page.nextCursor === null ? { phase: 'incremental', since, after: null } : { phase: 'full', token: page.nextCursor, since };
      yield { records: page.records, cursor: state };
    }
    // Changes: those made during the export just read, or since the last read.
    for (;;) {
      const url = residentsUrl(cfg);
      url.searchParams.set('updatedSince', state.since);
      url.searchParams.set('limit', String(cfg.pageSize));
      if (state.after !== null) url.searchParams.set('cursor', state.after);
      const page = await fetchPage(url, ctx);
      const done = page.nextCursor === null;
      state = done ? { phase: 'incremental', since: page.highWater, after: null } : { phase: 'incremental', since: state.since, after: page.nextCursor };
      yield { records: page.records, cursor: state };
      if (done) return;
    }
  },

  sourceIdOf: sourceIdFields({ residents: 'RYBH' }),

  map(stream, record) {
    if (stream !== STREAM) throw new MappingError(`population has no stream ${JSON.stringify(stream)}`);
    return mapResident(asObject(record));
  },
};

export default connector;

/** One resident in canonical form. */
export function mapResident(r: Record<string, unknown>): MappedRecord {
  const sourceId = text(r, 'RYBH', true);
  const sex = r.XB === '1' || r.XB === 1 ? 'male' : r.XB === '2' || r.XB === 2 ? 'female' : null;
  if (sex === null) throw new MappingError(`XB must be '1' (male) or '2' (female), got ${JSON.stringify(r.XB)}`);
  const category = text(r, 'RYLB', true);
  const residenceType = RESIDENCE[category];
  if (!residenceType) throw new MappingError(`RYLB must be 户籍人口 or 流动人口, got ${JSON.stringify(category)}`);
  const facts: PersonFacts = {
    name: text(r, 'XM', true),
    sex,
    birthDate: date(r, 'CSRQ'),
    phone: text(r, 'LXDH', false),
    residenceType,
    address: text(r, 'XZZ', false),
  };
  const household = text(r, 'HH', false);
  if (household !== null) facts.householdNumber = household;
  const relation = text(r, 'YHZGX', false);
  if (relation !== null) facts.relationToHead = RELATION[relation] ?? 'other';
  return {
    sourceId,
    updatedAt: time(r, 'GXSJ'),
    subject: { kind: 'person', authority: 'master', idNumber: text(r, 'GMSFHM', false), facts },
  };
}




// ---------------------------------------------------------------------------------------------
// Transport

interface ResidentsPage {
  records: RawRecord[];
  nextCursor: string | null;
  highWater: string;
}

function parseCursor(cursor: Cursor | null): PopulationCursor {
  if (cursor === null) return { phase: 'full', token: null, since: null };
  const optional = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'string' ? v : undefined);
  if (cursor.phase === 'full') {
    const token = optional(cursor.token);
    const since = optional(cursor.since);
    if (token !== undefined && since !== undefined) return { phase: 'full', token, since };
  } else if (cursor.phase === 'incremental' && typeof cursor.since === 'string') {
    const after = optional(cursor.after);
    if (after !== undefined) return { phase: 'incremental', since: cursor.since, after };
  }
  throw new SourceError(`population: the saved cursor is not one this connector wrote: ${JSON.stringify(cursor).slice(0, 200)}`);
}

async function fetchPage(url: URL, ctx: ConnectorContext): Promise<ResidentsPage> {
  const { head, records, where } = await fetchJsonPage(ctx, url, { key: 'data', idField: 'RYBH' });
  const nextCursor = head.nextCursor ?? null;
  if (nextCursor !== null && typeof nextCursor !== 'string') throw new SourceError(`${where}: nextCursor must be a string or null`);
  if (typeof head.highWater !== 'string' || Number.isNaN(Date.parse(head.highWater))) {
    throw new SourceError(`${where}: the answer has no valid highWater (got ${JSON.stringify(head.highWater)})`);
  }
  return { records, nextCursor, highWater: head.highWater };
}

