/**
 * `liandong connector new <name>`: a working connector to start from, in the department's own
 * folder, plus its one registration line. The template reads a REST source with cursor paging
 * and an updated-since filter, the most common shape; docs/connectors.md explains each part.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface ScaffoldOptions {
  name: string;
  displayName: string;
  /** The repository root (holding src/connectors). */
  root: string;
  register: boolean;
}

const NAME = /^[a-z][a-z0-9_]{1,30}$/;

export function scaffoldConnector(options: ScaffoldOptions): string[] {
  const { name, displayName, root } = options;
  if (!NAME.test(name)) throw new Error(`connector name ${JSON.stringify(name)}: use 2–31 lower-case letters, digits or _ , starting with a letter`);
  const dir = join(root, 'src', 'connectors', name);
  if (existsSync(dir)) throw new Error(`${relative(process.cwd(), dir) || dir} already exists; pick another name or remove it`);
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const write = (path: string, text: string) => {
    writeFileSync(path, text);
    written.push(relative(process.cwd(), path) || path);
  };
  write(join(dir, 'index.ts'), connectorTemplate(name, displayName));
  write(join(dir, 'README.md'), readmeTemplate(name, displayName));
  if (options.register) {
    const registry = join(root, 'src', 'connectors', 'registry.ts');
    write(registry, register(readFileSync(registry, 'utf8'), name));
  }
  return written;
}

export function identifierOf(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Adds the connector's import and its line at the end of CONNECTORS (synced last). */
export function register(source: string, name: string): string {
  const id = identifierOf(name);
  const imports = [...source.matchAll(/^import \w+ from '\.\/[\w]+\/index\.js';$/gm)];
  const last = imports.at(-1);
  const end = source.indexOf('];', source.indexOf('export const CONNECTORS'));
  if (!last || last.index === undefined || end === -1) throw new Error('src/connectors/registry.ts does not have the expected shape; add the connector by hand');
  const afterImport = last.index + last[0].length;
  const withLine = `${source.slice(0, end)}  anyConnector(${id}),\n${source.slice(end)}`;
  return `${withLine.slice(0, afterImport)}\nimport ${id} from './${name}/index.js';${withLine.slice(afterImport)}`;
}

function connectorTemplate(name: string, displayName: string): string {
  return `/**
 * ${displayName}: TODO one line on what this department system is and what the hub reads from it.
 *
 * Source: a REST API, GET {baseUrl}/records?limit=N[&updatedSince=ISO][&cursor=TOKEN] answering
 * { "data": [ { "id", "updatedAt", "idNumber", "name", "phone", "address" } ], "nextCursor": TOKEN | null },
 * one record per line inside "data" (so one broken record does not lose its page).
 * Change read() and map() to your source; keep the rest of the contract (see docs/connectors.md).
 *
 * The cursor is inclusive: the next read asks for updatedSince = the highest updatedAt read so
 * far, so a record written in the same second as the last one read is not missed. The ids read
 * at that instant ride in the cursor, and the records the source sends again are skipped.
 */
import { z } from 'zod';
import {
  asObject, fetchJsonPage, MappingError, optionalText, requiredText, SourceError, sourceIdFields, type Connector, type Cursor, type MappedRecord, type RawRecord,
} from '../sdk/index.js';

const config = z.object({
  baseUrl: z.string().url(),
  pageSize: z.number().int().min(1).max(5000).default(500),
});
type Config = z.infer<typeof config>;

/** Where a stream's read stands. */
interface RecordsCursor extends Cursor {
  /** Ask for records updated at or after this (null: the first, full read). */
  since: string | null;
  /** Ids already read that were updated exactly at since: skipped when the source sends them again. */
  seen: string[];
  /** The source's page token within this read (null: the read starts, or is done). */
  token: string | null;
  /** The highest updatedAt of this read so far, and the ids read at it: the next read's since and seen. */
  high: string | null;
  atHigh: string[];
}

const connector: Connector<Config> = {
  spec: {
    name: '${name}',
    displayName: ${JSON.stringify(displayName)},
    version: '0.1.0',
    description: 'TODO: what the hub reads from this department.',
    config,
    // TODO: the class of data this department brings (src/domain/dataClasses.ts); roles see its records by it.
    dataClass: 'civil-registry',
    intervalSeconds: 300,
    timeoutMs: 30_000,
    maxRequestsPerSecond: 20,
  },

  async check(cfg, ctx) {
    try {
      await fetchJsonPage(ctx, new URL('records?limit=1', withSlash(cfg.baseUrl)), { key: 'data', idField: 'id' });
      return { ok: true, message: \`\${cfg.baseUrl} answers\` };
    } catch (error) {
      return { ok: false, message: \`\${error instanceof Error ? error.message : String(error)}; check baseUrl and credentials\` };
    }
  },

  async discover() {
    return [{ name: 'records', describes: 'TODO: one record per …', syncMode: 'incremental' }];
  },

  async *read(cfg, stream, cursor, ctx) {
    if (stream !== 'records') throw new SourceError(\`${name} has no stream \${stream}\`, { failureType: 'config' });
    const state = parseCursor(cursor);
    const seen = new Set(state.seen);
    for (;;) {
      const url = new URL('records', withSlash(cfg.baseUrl));
      url.searchParams.set('limit', String(cfg.pageSize));
      if (state.since) url.searchParams.set('updatedSince', state.since);
      if (state.token) url.searchParams.set('cursor', state.token);
      const { head, records, where } = await fetchJsonPage(ctx, url, { key: 'data', idField: 'id' });
      const next = head.nextCursor ?? null;
      if (next !== null && typeof next !== 'string') throw new SourceError(\`\${where}: nextCursor must be a string or null\`);
      const fresh: RawRecord[] = [];
      for (const record of records) {
        const { id, updatedAt } = 'data' in record ? keysOf(record.data) : { id: null, updatedAt: null };
        if (id !== null && updatedAt !== null && updatedAt === state.since && seen.has(id)) continue; // read last time
        if (updatedAt !== null && id !== null) {
          if (state.high === null || updatedAt > state.high) {
            state.high = updatedAt;
            state.atHigh = [id];
          } else if (updatedAt === state.high && !state.atHigh.includes(id)) {
            state.atHigh.push(id);
          }
        }
        fresh.push(record);
      }
      state.token = next;
      yield { records: fresh, cursor: next !== null ? { ...state } : done(state) };
      if (next === null) return;
    }
  },

  map(stream, raw): MappedRecord {
    const r = asObject(raw);
    const updatedAt = requiredText(r, 'updatedAt');
    if (Number.isNaN(Date.parse(updatedAt))) throw new MappingError(\`updatedAt is not a date-time: \${JSON.stringify(updatedAt)}\`);
    return {
      sourceId: requiredText(r, 'id'),
      updatedAt,
      subject: {
        kind: 'person',
        authority: 'reference',
        idNumber: optionalText(r, 'idNumber'),
        facts: { name: requiredText(r, 'name'), phone: optionalText(r, 'phone'), address: optionalText(r, 'address') },
      },
    };
  },

  sourceIdOf: sourceIdFields({ records: 'id' }),
};

/** The cursor once the source has no more pages: the next read asks from this read's high-water mark. */
function done(state: RecordsCursor): RecordsCursor {
  if (state.high === null) return { since: state.since, seen: state.seen, token: null, high: null, atHigh: [] };
  const seen = state.high === state.since ? [...new Set([...state.seen, ...state.atHigh])] : state.atHigh;
  return { since: state.high, seen, token: null, high: null, atHigh: [] };
}

function parseCursor(cursor: Cursor | null): RecordsCursor {
  const c = (cursor ?? {}) as Partial<RecordsCursor>;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { since: text(c.since), seen: list(c.seen), token: text(c.token), high: text(c.high), atHigh: list(c.atHigh) };
}

function keysOf(data: unknown): { id: string | null; updatedAt: string | null } {
  const r = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  return { id: typeof r.id === 'string' ? r.id : null, updatedAt: typeof r.updatedAt === 'string' ? r.updatedAt : null };
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : \`\${url}/\`;
}

export default connector;
`;
}

function readmeTemplate(name: string, displayName: string): string {
  return `# ${name} — ${displayName}

TODO: the department system, who runs it, how the hub reaches it (URL, credentials), and what
each stream holds. Config (in the connectors file under "${name}"):

\`\`\`json
{ "${name}": { "baseUrl": "https://…", "pageSize": 500 } }
\`\`\`

See docs/connectors.md for the contract and how to test this connector.
`;
}
