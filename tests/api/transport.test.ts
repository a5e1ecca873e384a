import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { describeEachDatabase } from '../support/databases.js';
import { worldHubFixture, startTestHub } from '../support/hub.js';

function wsClient(url: string, token: string | null): Client {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}`, 'x-purpose': 'automated test' } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

function run(client: Client, query: string): Promise<{ data?: any; errors?: any[] }> {
  return new Promise((resolve, reject) => {
    let result: { data?: any; errors?: any[] } = {};
    client.subscribe({ query }, { next: (r) => { result = r as typeof result; }, error: reject, complete: () => resolve(result) });
  });
}

describeEachDatabase('transport: WebSocket, health, metrics, errors, shutdown', ({ openWorld }) => {
  const fx = worldHubFixture({ openWorld });

  test('GraphQL over WebSocket on the same port and path answers with the same data as HTTP', async () => {
    const query = `{ people(first: 3) { totalCount edges { node { id name grid { name } } } } }`;
    const client = wsClient(fx.t.hub.url, await fx.t.token());
    try {
      const overWs = await run(client, query);
      const overHttp = await fx.t.gql(query);
      expect(overWs.errors).toBeUndefined();
      expect(overWs.data).toEqual(overHttp.data);
      expect(overWs.data.people.edges).toHaveLength(3);
    } finally {
      await client.dispose();
    }
  });

  test('a WebSocket with a forged token is closed as forbidden', async () => {
    const client = wsClient(fx.t.hub.url, 'not-a-jwt');
    await expect(run(client, '{ viewer { authenticated } }')).rejects.toMatchObject({ code: 4403 });
    await client.dispose();
  });

  test('healthz, readyz and metrics answer', async () => {
    const base = fx.t.hub.url.replace('/graphql', '');
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', bus: 'ok' } });
    await fx.t.gql('{ departments { name } }');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/liandong_graphql_operations_total\{type="query",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/liandong_db_queries_total [1-9]/);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
  });

  test('oversized and malformed bodies get clear errors', async () => {
    const big = await fetch(fx.t.hub.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ viewer { authenticated } } #${'x'.repeat(1_100_000)}` }) });
    expect(big.status).toBe(413);
    const bad = await fetch(fx.t.hub.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/not valid JSON/);
  });

  test('a failing store never leaks SQL or stack traces to the client', async () => {
    await fx.db.knex.schema.renameTable('person_tag', 'person_tag_moved');
    try {
      const res = await fx.t.gql(`{ person(id: "UGVyc29uOjE") { name tags } departments { name } }`);
      const text = JSON.stringify(res);
      expect(res.errors?.[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      expect(text).not.toMatch(/person_tag|select|relation|stack|at .*\.ts/i);
      // The failing field nulls its nullable parent; the rest of the query still answers.
      expect(res.data!.person).toBeNull();
      expect(res.data!.departments).toHaveLength(7);
    } finally {
      await fx.db.knex.schema.renameTable('person_tag_moved', 'person_tag');
    }
  });

  test('stop() drains: WebSocket clients are closed, the port stops answering, readyz never lies', async () => {
    const other = await startTestHub(fx.db);
    const client = wsClient(other.hub.url, await other.token());
    await run(client, '{ viewer { authenticated } }'); // open the socket
    const closed = new Promise<number>((resolve) => client.on('closed', (e) => resolve((e as { code: number }).code)));
    await other.stop();
    expect(await closed).toBe(1001);
    await expect(fetch(other.hub.url.replace('/graphql', '/healthz'))).rejects.toThrow();
    await client.dispose();
  });
});
