/**
 * Hostile requests at the hub's HTTP edge (issue 13): webhooks replayed, unsigned, mis-signed,
 * oversized or not JSON; GraphQL bodies of 2 MB, bodies that are not UTF-8, mutations by GET
 * and batches. Each gets a clear refusal at once, the hub stays up, and the good pushes around
 * them are all stored, once.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { migrateToLatest, openDatabase, type Database } from '../../src/store/db.js';
import police, { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/connectors/police/index.js';
import { configure } from '../../src/sync/runner.js';
import { ingestPush } from '../../src/sync/push.js';
import { createIngestStore } from '../../src/store/ingest/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { signBody, signedHeaders } from '../../src/simulators/police/index.js';
import { MAX_WEBHOOK_BYTES } from '../../src/server/webhooks.js';
import { MAX_BODY_BYTES } from '../../src/server/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const SECRET = 'hostile-edge-test-secret';
const log = createLogger('silent');

const incident = (jjdbh: string) => ({
  jjdbh, bjsj: '20261130095500', bjrxm: '陈先生', bjrdh: '13900002222', afdd: '余杭区良渚街道华云花园1幢', jqlb: '噪音扰民',
  jyaq: '报警人称楼上深夜施工。', jd: 120.03, wd: 30.37, cjdw: '良渚派出所', cjjg: '处警中', gxsj: '20261130095500',
});

interface Answer { status: number; body: Record<string, any>; headers: IncomingMessage['headers']; sent: number }

/**
 * Sends `total` bytes in 256 KB chunks, one every 20 ms, and stops at the first answer: how much
 * went out before it shows whether the hub read it all. Chunked when `declare` is false.
 */
function sendLarge(url: string, total: number, declare: boolean, headers: Record<string, string> = {}): Promise<Answer> {
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers, ...(declare ? { 'content-length': String(total) } : {}) } });
    req.on('response', (res) => {
      clearInterval(timer);
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, any>, sent });
        req.destroy();
      });
    });
    req.on('error', (error) => { clearInterval(timer); reject(error); });
    req.flushHeaders();
    const timer = setInterval(() => {
      if (sent >= total) { clearInterval(timer); req.end(); return; }
      req.write(chunk);
      sent += chunk.length;
    }, 20);
  });
}

describe('hostile input at the HTTP edge (issue 13)', () => {
  let db: Database;
  let t: TestHub;
  let base: string;
  beforeAll(async () => {
    db = await openDatabase({ kind: 'pglite', dataDir: null });
    await migrateToLatest(db.knex);
    const store = createIngestStore(db);
    const connector = configure(police, { baseUrl: 'http://127.0.0.1:9/', webhookSecret: SECRET });
    t = await startTestHub(db, { webhooks: async (_name, request) => ({ ...(await ingestPush(store, connector, request, log)) }) });
    base = t.hub.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await t?.stop();
    await db?.close();
  });

  const push = async (body: string, headers: Record<string, string>) => {
    const res = await fetch(`${base}/webhooks/police`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as { error?: string; stored?: number } };
  };
  const stored = async () => (await db.knex('source_record').where({ stream: 'incidents' }).pluck('source_id')).sort();

  test('webhooks: unsigned, mis-signed, replayed, stale, future and broken pushes are refused with their reason; good ones are stored once', async () => {
    const good = JSON.stringify({ incidents: [incident('JJ202611300000101')] });
    const headers = signedHeaders(good, SECRET);
    expect(await push(good, headers)).toEqual({ status: 202, body: expect.objectContaining({ stored: 1 }) });

    expect(await push(good, {})).toEqual({ status: 401, body: { error: expect.stringContaining(`missing ${SIGNATURE_HEADER} header`) } });
    expect(await push(good, { [SIGNATURE_HEADER]: headers[SIGNATURE_HEADER]! })).toEqual({ status: 401, body: { error: expect.stringContaining(`missing or malformed ${TIMESTAMP_HEADER}`) } });
    expect(await push(good, { ...headers, [TIMESTAMP_HEADER]: 'yesterday' })).toMatchObject({ status: 401 });
    expect(await push(good, signedHeaders(good, 'not the shared secret at all'))).toEqual({ status: 401, body: { error: expect.stringContaining('does not match') } });

    // The same request captured and sent again later: refused once it is outside the window.
    const sixMinutesAgo = Date.now() - 6 * 60_000;
    const captured = signedHeaders(JSON.stringify({ incidents: [incident('JJ202611300000102')] }), SECRET, sixMinutesAgo);
    const replay = await push(JSON.stringify({ incidents: [incident('JJ202611300000102')] }), captured);
    expect(replay).toEqual({ status: 401, body: { error: expect.stringMatching(/x-liandong-timestamp is 36\d s old, outside the 300 s window: a replayed request/) } });
    expect((await push(good, signedHeaders(good, SECRET, Date.now() + 6 * 60_000))).body.error).toContain('in the future');
    // A stale signature under a fresh timestamp: the signature covers the timestamp.
    expect(await push(good, { ...captured, [TIMESTAMP_HEADER]: headers[TIMESTAMP_HEADER]! })).toMatchObject({ status: 401 });
    // Inside the window a replay is harmless: the record is upserted by its source id.
    expect((await push(good, headers)).status).toBe(202);

    const broken = '{"incidents":[{"jjdbh":';
    expect(await push(broken, signedHeaders(broken, SECRET))).toEqual({ status: 400, body: { error: expect.stringContaining('not JSON') } });
    const wrongShape = '{"calls":[]}';
    expect(await push(wrongShape, signedHeaders(wrongShape, SECRET))).toEqual({ status: 400, body: { error: expect.stringContaining('{"incidents":[…]}') } });
    const ts = Math.floor(Date.now() / 1000);
    expect((await push(good, { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signBody(`${good} `, SECRET, ts) })).status).toBe(401);

    expect(await stored()).toEqual(['JJ202611300000101']);
  });

  test('webhooks: a 10 MB body is refused 413 before it is read, declared or chunked; the hub takes the next push', async () => {
    for (const declare of [true, false]) {
      const answer = await sendLarge(`${base}/webhooks/police`, 10 * 1024 * 1024, declare, signedHeaders('', SECRET));
      expect(answer.status).toBe(413);
      expect(answer.body.error).toBe(`webhook bodies are limited to ${MAX_WEBHOOK_BYTES} bytes; split the records over several pushes`);
      // Declared: refused from the header, before the first chunk; chunked: soon after the limit.
      expect(answer.sent).toBeLessThanOrEqual(declare ? 256 * 1024 : MAX_WEBHOOK_BYTES + 4 * 1024 * 1024);
    }
    const next = JSON.stringify({ incidents: [incident('JJ202611300000103')] });
    expect((await push(next, signedHeaders(next, SECRET))).status).toBe(202);
    expect(await stored()).toEqual(['JJ202611300000101', 'JJ202611300000103']);
  });

  const post = async (body: string | Buffer, headers: Record<string, string> = {}) => {
    const token = await t.token();
    const res = await fetch(t.hub.url, {
      method: 'POST', body, signal: AbortSignal.timeout(10_000),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'hostile edge test', ...headers },
    });
    return { status: res.status, body: (await res.json()) as { errors?: Array<{ message: string; extensions: { code: string } }>; data?: unknown } };
  };

  test('GraphQL: a 2 MB body is 413 before it is read, declared or chunked', async () => {
    for (const declare of [true, false]) {
      const answer = await sendLarge(t.hub.url, 2 * 1024 * 1024, declare, { authorization: `Bearer ${await t.token()}` });
      expect(answer.status).toBe(413);
      expect(answer.body.errors[0]).toEqual({ message: `Request limit: the body exceeds ${MAX_BODY_BYTES} bytes.`, extensions: { code: 'PAYLOAD_TOO_LARGE' } });
      expect(answer.sent).toBeLessThan(2 * 1024 * 1024);
    }
    expect((await t.gql('{ people(first: 1) { totalCount } }')).data).toEqual({ people: { totalCount: 0 } });
  });

  test('GraphQL: a body that is not UTF-8 is 400, not a query with U+FFFD in it', async () => {
    const bytes = Buffer.concat([Buffer.from('{"query":"{ people(first: 1, search: \\"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('\\") { totalCount } }"}')]);
    expect(await post(bytes)).toEqual({ status: 400, body: { errors: [{ message: 'Request body is not valid UTF-8.', extensions: { code: 'BAD_REQUEST' } }] } });
    // A truncated multi-byte character at the very end too.
    expect((await post(Buffer.concat([Buffer.from('{"query":"{ __typename }","x":"张'), Buffer.from([0xe5, 0xbc])]))).status).toBe(400);
  });

  test('GraphQL: a mutation sent by GET is 405 and does not run; a query by GET runs', async () => {
    const token = await t.token();
    const get = async (query: string) => {
      const res = await fetch(`${t.hub.url}?query=${encodeURIComponent(query)}`, {
        headers: { authorization: `Bearer ${token}`, 'x-purpose': 'hostile edge test', 'apollo-require-preflight': 'true' }, signal: AbortSignal.timeout(10_000),
      });
      return { status: res.status, allow: res.headers.get('allow'), body: (await res.json()) as { errors?: Array<{ message: string }>; data?: unknown } };
    };
    const mutation = await get('mutation { replayDeadLetters(department: "police") { __typename } }');
    expect(mutation.status).toBe(405);
    expect(mutation.allow).toBe('POST');
    expect(mutation.body.errors?.[0]?.message).toMatch(/GET requests only support query operations, not mutation operations/);
    expect(mutation.body.data).toBeUndefined();
    expect(await get('{ people(first: 1) { totalCount } }')).toMatchObject({ status: 200, body: { data: { people: { totalCount: 0 } } } });
  });

  test('GraphQL: a batch (a JSON array) is refused whole with BATCHING_NOT_SUPPORTED', async () => {
    const batch = JSON.stringify(Array.from({ length: 50 }, () => ({ query: '{ people(first: 100) { totalCount } }' })));
    const res = await post(batch);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: expect.stringMatching(/^Batched operations \(a JSON array\) are not accepted; send one operation per request/), extensions: { code: 'BATCHING_NOT_SUPPORTED' } }]);
    expect((await post('[]')).status).toBe(400);
    expect((await post('{"query":"{ people(first: 1) { totalCount } }"}')).body.data).toEqual({ people: { totalCount: 0 } });
  });
});
