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
 * { "data": [ { "id", "updatedAt", "idNumber", "name", "phone", "address" } ], "nextCursor": TOKEN | null }.
 * Change read() and map() to your source; keep the rest of the contract (see docs/connectors.md).
 */
import { z } from 'zod';
import { asObject, optionalText, requiredText, SourceError, type Connector, type Cursor, type MappedRecord } from '../sdk/index.js';

const config = z.object({
  baseUrl: z.string().url(),
  pageSize: z.number().int().min(1).max(5000).default(500),
  timeoutMs: z.number().int().min(100).default(30_000),
  intervalSeconds: z.number().int().min(10).optional(),
});
type Config = z.infer<typeof config>;

/** Where a stream's read stands: the update-time high-water mark and the page token within it. */
interface RecordsCursor extends Cursor {
  since: string | null;
  token: string | null;
}

const connector: Connector<Config> = {
  spec: {
    name: '${name}',
    displayName: ${JSON.stringify(displayName)},
    version: '0.1.0',
    description: 'TODO: what the hub reads from this department.',
    config,
    defaultIntervalSeconds: 300,
    maxRequestsPerSecond: 20,
  },

  async check(cfg, ctx) {
    try {
      const res = await ctx.http.fetch(new URL(\`records?limit=1\`, withSlash(cfg.baseUrl)));
      return res.ok ? { ok: true, message: \`\${cfg.baseUrl} answers\` } : { ok: false, message: \`\${cfg.baseUrl} answered \${res.status}; check baseUrl and credentials\` };
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
  },

  async discover() {
    return [{ name: 'records', describes: 'TODO: one record per …', syncMode: 'incremental' }];
  },

  async *read(cfg, stream, cursor, ctx) {
    if (stream !== 'records') throw new SourceError(\`${name} has no stream \${stream}\`);
    const state: RecordsCursor = { since: null, token: null, ...(cursor as Partial<RecordsCursor> | null) };
    let highWater = state.since;
    for (;;) {
      const url = new URL('records', withSlash(cfg.baseUrl));
      url.searchParams.set('limit', String(cfg.pageSize));
      if (state.since) url.searchParams.set('updatedSince', state.since);
      if (state.token) url.searchParams.set('cursor', state.token);
      const res = await ctx.http.fetch(url, { signal: ctx.signal });
      if (!res.ok) throw new SourceError(\`\${url.pathname}: \${res.status}\`);
      const body = (await res.json()) as { data: unknown[]; nextCursor: string | null };
      for (const r of body.data) {
        const u = (r as { updatedAt?: unknown }).updatedAt;
        if (typeof u === 'string' && (highWater === null || u > highWater)) highWater = u;
      }
      // Within a read the token moves; once the source has no more pages, the next read asks only for later changes.
      const next: RecordsCursor = body.nextCursor ? { since: state.since, token: body.nextCursor } : { since: highWater, token: null };
      yield { records: body.data.map((data) => ({ data })), cursor: next };
      if (!body.nextCursor) return;
      state.token = body.nextCursor;
    }
  },

  map(stream, raw): MappedRecord {
    const r = asObject(raw);
    return {
      sourceId: requiredText(r, 'id'),
      updatedAt: optionalText(r, 'updatedAt'),
      subject: {
        kind: 'person',
        authority: 'reference',
        idNumber: optionalText(r, 'idNumber'),
        facts: { name: requiredText(r, 'name'), phone: optionalText(r, 'phone'), address: optionalText(r, 'address') },
      },
    };
  },
};

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
