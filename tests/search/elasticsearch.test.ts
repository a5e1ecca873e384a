/**
 * The search contract on a real Elasticsearch 8 node (tools/elasticsearch), plus what only this
 * backend has: its analyzer agreeing with the tokens PostgreSQL gets from Node, an outage the
 * indexer rides out without losing an event, and a layout change that rebuilds into a new index.
 *
 * Skipped only when there is no Java 17+; with LIANDONG_REQUIRE_REAL_SERVICES=1 (CI) it runs and fails instead.
 */
import { Client } from '@elastic/elasticsearch';
import { findJava, type ElasticsearchNode } from '../../tools/servers/elasticsearch.js';
import { sharedElasticsearch } from '../support/elasticsearch.js';
import { openTestWorld } from '../support/databases.js';
import type { Database } from '../../src/store/db.js';
import { ElasticsearchSearchBackend, ES_LAYOUT_VERSION, loadSearchContext, SearchIndexer, type SearchContext } from '../../src/search/index.js';
import { textTokens } from '../../src/search/text.js';
import { addSearchFixtures, recordChange, ToggleProxy } from './fixtures.js';
import { searchBackendSuite } from './suite.js';

const required = process.env.LIANDONG_REQUIRE_REAL_SERVICES === '1';
const runnable = findJava() !== null || required;

(runnable ? describe : describe.skip)('search backend: Elasticsearch [elasticsearch]', () => {
  let node: ElasticsearchNode;

  beforeAll(async () => {
    node = await sharedElasticsearch();
  }, 600_000);

  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  describe('the search contract', () => {
    searchBackendSuite(async () => {
      const { db } = await openTestWorld('pglite');
      return {
        db,
        makeBackend: (context) => new ElasticsearchSearchBackend({ node: node.url, context, indexPrefix: 'contract' }),
        close: () => db.close(),
      };
    });
  });

  describe('Elasticsearch specifics', () => {
    let db: Database;
    let context: SearchContext;

    beforeAll(async () => {
      ({ db } = await openTestWorld('pglite'));
      await addSearchFixtures(db.knex);
      context = await loadSearchContext(db.knex);
    }, 300_000);

    afterAll(async () => {
      await db?.close();
    });

    test('its zh_text analyzer makes the same tokens as the Node tokenizer PostgreSQL indexes', async () => {
      const backend = new ElasticsearchSearchBackend({ node: node.url, context, indexPrefix: 'tokens' });
      await backend.ensureSchema();
      const index = (await backend.status()).generation as string;
      for (const text of ['余杭区良渚街道金家渡社区北苑3幢2单元501室', '王春雷', '电瓶车室内充电（西溪花园社区西溪诚园6幢）', 'ＡＢＣ有限公司 YH-2026-000001', '春', '杭州余杭正阳贸易有限公司']) {
        const r = await backend.client.indices.analyze({ index, analyzer: 'zh_text', text });
        expect([text, (r.tokens ?? []).map((t) => t.token)]).toEqual([text, textTokens(text)]);
      }
      await backend.close();
    });

    test('an outage loses nothing: the position waits, the indexer catches up when the node is back', async () => {
      const url = new URL(node.url);
      const proxy = new ToggleProxy({ host: url.hostname, port: Number(url.port) });
      await proxy.start();
      const client = new Client({ node: proxy.url, maxRetries: 0, requestTimeout: 2_000 });
      const backend = new ElasticsearchSearchBackend({ client, context, indexPrefix: 'outage' });
      const warnings: string[] = [];
      const indexer = new SearchIndexer({
        knex: db.knex, backend, context,
        logger: { info: () => undefined, warn: (_o, msg) => warnings.push(msg) },
      });
      await indexer.prepare();
      indexer.start({ intervalMs: 50 });
      try {
        const before = await backend.readState();
        await proxy.stop();
        const renamed = [11, 12, 13];
        for (const id of renamed) {
          await db.knex('person').where('id', id).update({ name: `慕容${'甲乙丙'.charAt(id - 11)}停` });
          await recordChange(db.knex, 'person', id);
        }
        // Aliased apart from the column: ORDER BY tx would sort the text ('999' after '1211').
        const lastRow = await db.knex('change_event').orderBy([{ column: 'tx', order: 'desc' }, { column: 'id', order: 'desc' }]).first(db.knex.raw('tx::text as tx_text'), 'id');
        const last = `${String(lastRow?.tx_text)}:${String(lastRow?.id)}`;
        await new Promise((r) => setTimeout(r, 1_500));
        expect(warnings.length).toBeGreaterThan(0);
        await proxy.start(); // same port
        const deadline = Date.now() + 60_000;
        while ((await backend.readState().catch(() => before)).position !== last && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect((await backend.readState()).position).toBe(last);
        for (const id of renamed) {
          const r = await backend.search({ query: `慕容${'甲乙丙'.charAt(id - 11)}停`, scope: 'district' });
          expect(r.hits[0]?.id).toBe(String(id));
        }
      } finally {
        await indexer.stop();
        await backend.close();
        await client.close();
        await proxy.stop();
      }
    }, 120_000);

    test('an index of an older layout is rebuilt into a new one behind the alias, never changed in place', async () => {
      const client = new Client({ node: node.url });
      const old = 'layout-v0-old';
      await client.indices.create({ index: old, mappings: { _meta: { layout_version: ES_LAYOUT_VERSION - 1 }, properties: { key: { type: 'keyword' } } }, aliases: { layout: {} } });
      const backend = new ElasticsearchSearchBackend({ client, context, indexPrefix: 'layout' });
      const status = await backend.ensureSchema();
      expect(status).toMatchObject({ generation: old, current: false });
      const { rebuilt } = await new SearchIndexer({ knex: db.knex, backend, context }).prepare();
      expect(rebuilt?.documents).toBeGreaterThan(1000);
      const after = await backend.status();
      expect(after.current).toBe(true);
      expect(after.generation).toMatch(new RegExp(`^layout-v${ES_LAYOUT_VERSION}-`));
      expect(after.documents).toBe(rebuilt?.documents);
      expect(await client.indices.exists({ index: old })).toBe(false);
      expect((await backend.search({ query: 'zhangjiahao', scope: 'district' })).totalCount).toBeGreaterThan(0);
      await client.close();
    }, 120_000);
  });
});
