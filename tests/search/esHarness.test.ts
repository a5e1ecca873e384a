/**
 * The search harness itself: a real Elasticsearch 8 node (tools/elasticsearch, see
 * docs/elasticsearch.md) starts, analyses Chinese with the cjk analyzer and cjk_bigram filter,
 * finds names and addresses by their parts, and stops.
 *
 * Its own node, not the run's shared one: the last test stops it.
 *
 * Skipped only when there is no Java 17+ here; with LIANDONG_REQUIRE_REAL_SERVICES=1 (CI) it runs
 * anyway and fails, so a missing Java cannot pass CI unseen.
 */
import { findJava, startElasticsearch } from '../../tools/servers/elasticsearch.js';
import type { ElasticsearchNode } from '../../tools/servers/elasticsearch.js';

const required = process.env.LIANDONG_REQUIRE_REAL_SERVICES === '1';
const runnable = findJava() !== null || required;

const INDEX = 'residents';

interface SearchHits {
  hits: { total: { value: number }; hits: Array<{ _id: string; _score: number }> };
}

async function es(node: ElasticsearchNode, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${node.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'application/x-ndjson' : 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

async function ids(node: ElasticsearchNode, query: unknown): Promise<string[]> {
  const r = (await es(node, 'POST', `/${INDEX}/_search`, { query })) as SearchHits;
  return r.hits.hits.map((h) => h._id);
}

async function tokens(node: ElasticsearchNode, request: unknown): Promise<string[]> {
  const r = await es(node, 'POST', '/_analyze', request);
  return (r.tokens as Array<{ token: string }>).map((t) => t.token);
}

(runnable ? describe : describe.skip)('search harness: a real Elasticsearch 8 node [elasticsearch]', () => {
  let node: ElasticsearchNode | undefined;

  beforeAll(async () => {
    node = await startElasticsearch();
  }, 600_000);

  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  test('is Elasticsearch 8 on loopback, healthy, with plain HTTP', async () => {
    const n = node!;
    expect(n.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const info = await es(n, 'GET', '/');
    expect(info.version.number).toMatch(/^8\./);
    const health = await es(n, 'GET', '/_cluster/health');
    expect(['yellow', 'green']).toContain(health.status);
  });

  test('the cjk analyzer and the cjk_width/lowercase/cjk_bigram chain split Chinese into bigrams', async () => {
    const n = node!;
    expect(await tokens(n, { analyzer: 'cjk', text: '王春雷' })).toEqual(['王春', '春雷']);
    expect(
      await tokens(n, { tokenizer: 'standard', filter: ['cjk_width', 'lowercase', 'cjk_bigram'], text: '北苑３幢ＡＢ' }),
    ).toEqual(['北苑', '3', '幢', 'ab']);
  });

  test('finds Chinese names and addresses by their parts', async () => {
    const n = node!;
    await es(n, 'PUT', `/${INDEX}`, {
      settings: {
        number_of_shards: 1,
        number_of_replicas: 0,
        analysis: {
          analyzer: {
            zh_address: { type: 'custom', tokenizer: 'standard', filter: ['cjk_width', 'lowercase', 'cjk_bigram'] },
          },
        },
      },
      mappings: {
        properties: {
          name: { type: 'text', analyzer: 'cjk' },
          address: { type: 'text', analyzer: 'zh_address' },
        },
      },
    });
    const docs = [
      { id: '1', name: '王春雷', address: '余杭区良渚街道金家渡社区北苑3幢2单元501室' },
      { id: '2', name: '张春华', address: '西湖区文新街道文三路100号' },
      { id: '3', name: '李雷', address: '拱墅区大关街道南苑1幢' },
    ];
    const bulk = docs.map(({ id, ...doc }) => `${JSON.stringify({ index: { _id: id } })}\n${JSON.stringify(doc)}\n`).join('');
    const indexed = await es(n, 'POST', `/${INDEX}/_bulk?refresh=true`, bulk);
    expect(indexed.errors).toBe(false);

    // "春雷" is one bigram: only 王春雷 has it (张春华 shares 春, 李雷 shares 雷).
    expect(await ids(n, { match: { name: '春雷' } })).toEqual(['1']);
    // "金家渡北苑" skips 社区: bigrams 金家 家渡 渡北 北苑, three of them in doc 1's address.
    expect(await ids(n, { match: { address: { query: '金家渡北苑', minimum_should_match: '75%' } } })).toEqual(['1']);
    // Any one bigram is enough by default; 南苑 (doc 3) is not 北苑, so still only doc 1.
    expect(await ids(n, { match: { address: '金家渡北苑' } })).toEqual(['1']);
    // A plain street search reaches the other addresses too.
    expect((await ids(n, { match: { address: '街道' } })).sort()).toEqual(['1', '2', '3']);
  });

  test('stop() ends the JVM and frees the port', async () => {
    const n = node!;
    await n.stop();
    await expect(fetch(`${n.url}/_cluster/health`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
    if (n.pid !== null) expect(() => process.kill(n.pid!, 0)).toThrow();
  });
});
