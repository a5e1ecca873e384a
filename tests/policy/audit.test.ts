import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { describeEachDatabase } from '../support/databases.js';
import { worldHubFixture } from '../support/hub.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';

describeEachDatabase('audit of person reads', ({ openWorld }) => {
  const fx = worldHubFixture({ openWorld });

  const entriesFor = async (subject: string) => {
    await fx.t.hub.audit.flush();
    return fx.db.knex('audit_log').where('subject', subject).orderBy('id');
  };

  test('a request is recorded once, with who, when, whom, which fields, the purpose and the operation', async () => {
    const token = await fx.t.token({ role: 'police', subject: 'officer-7' });
    const before = Date.now();
    const res = await fx.t.gql(
      `query Lookup($id: ID!) { person(id: $id) { name idNumber ...Contact household { number } } }
       fragment Contact on Person { phone }`,
      { id: toGlobalId('Person', '5') },
      { token, purpose: 'case YH-2026-000042 follow-up' },
    );
    expect(res.errors).toBeUndefined();
    const rows = await entriesFor('officer-7');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ role: 'police', person_ids: ['5'], purpose: 'case YH-2026-000042 follow-up', operation: 'Lookup' });
    expect(rows[0].fields).toEqual(['household', 'idNumber', 'name', 'phone']);
    expect(new Date(rows[0].at).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  test('a list records every person on the page, in one row; a hidden person is not recorded as read', async () => {
    const grid = await fx.db.knex('grid').orderBy('id').first();
    const token = await fx.t.token({ role: 'grid-worker', subject: 'gw-1', gridIds: [String(grid.id)] });
    const page = await fx.t.gql(`{ people(first: 5) { edges { node { id name } } } }`, {}, { token });
    const outsider = await fx.db.knex('person').whereNot('grid_id', grid.id).first();
    const hidden = await fx.t.gql(`query($id: ID!) { person(id: $id) { name } }`, { id: toGlobalId('Person', String(outsider.id)) }, { token });
    expect(hidden.data!.person).toBeNull();
    const rows = await entriesFor('gw-1');
    expect(rows).toHaveLength(1);
    expect(rows[0].person_ids.map((id: string) => toGlobalId('Person', id))).toEqual(page.data!.people.edges.map((e: { node: { id: string } }) => e.node.id));
    expect(rows[0].fields).toEqual(['id', 'name']);
  });

  test("the trail by person finds each request that read them, among others' reads", async () => {
    const admin = await fx.t.token({ role: 'district-admin', subject: 'trail-admin' });
    const [a, b, c] = (await fx.db.knex('person').orderBy('id').limit(3).pluck('id')).map(String) as [string, string, string];
    const read = (ids: string[], purpose: string) =>
      fx.t.gql(`{ ${ids.map((id, i) => `p${i}: person(id: "${toGlobalId('Person', id)}") { id }`).join(' ')} }`, {}, { token: admin, purpose });
    for (const [ids, why] of [[[a, b], 'ab'], [[c], 'c'], [[b, c], 'bc']] as const) expect((await read([...ids], why)).errors).toBeUndefined();
    await fx.t.hub.audit.flush();
    const trail = async (id: string) => {
      const res = await fx.t.gql(
        `query($id: ID!) { auditTrail(filter: { personId: $id, subject: "trail-admin" }) { totalCount edges { node { purpose personCount personIds people { id } } } } }`,
        { id: toGlobalId('Person', id) }, { token: admin },
      );
      expect(res.errors).toBeUndefined();
      return res.data!.auditTrail;
    };
    const ofB = await trail(b);
    expect(ofB.totalCount).toBe(2);
    expect(ofB.edges.map((e: { node: { purpose: string } }) => e.node.purpose)).toEqual(['bc', 'ab']);
    expect(ofB.edges[0].node).toMatchObject({ personCount: 2, personIds: [b, c].map((id) => toGlobalId('Person', id)), people: [b, c].map((id) => ({ id: toGlobalId('Person', id) })) });
    expect((await trail(a)).edges.map((e: { node: { purpose: string } }) => e.node.purpose)).toEqual(['ab']);
  });

  test('reads over WebSocket are recorded too', async () => {
    const token = await fx.t.token({ role: 'social-worker', subject: 'sw-ws' });
    const client = createClient({ url: fx.t.hub.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}`, 'x-purpose': 'home visit' }, retryAttempts: 0 });
    try {
      await new Promise<void>((resolve, reject) => {
        client.subscribe({ query: `{ person(id: "${toGlobalId('Person', '9')}") { name tags } }` }, { next: () => undefined, error: reject, complete: resolve });
      });
    } finally {
      await client.dispose();
    }
    const rows = await entriesFor('sw-ws');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ person_ids: ['9'], purpose: 'home visit' });
    expect(rows[0].fields).toEqual(['name', 'tags']);
  });

  test('administrators read the trail through GraphQL; no one else can', async () => {
    await fx.t.gql(`query Q($id: ID!) { person(id: $id) { name } }`, { id: toGlobalId('Person', '11') }, { token: await fx.t.token({ role: 'court', subject: 'judge-2' }), purpose: 'enforcement' });
    await fx.t.hub.audit.flush();
    const trail = await fx.t.gql(`{ auditTrail(filter: { subject: "judge-2" }) { totalCount edges { node { subject role personCount personIds people { id } fields purpose operation at } } } }`);
    expect(trail.errors).toBeUndefined();
    expect(trail.data!.auditTrail.totalCount).toBe(1);
    expect(trail.data!.auditTrail.edges[0].node).toMatchObject({
      subject: 'judge-2', role: 'COURT', personCount: 1, personIds: [toGlobalId('Person', '11')], people: [{ id: toGlobalId('Person', '11') }], fields: ['name'], purpose: 'enforcement', operation: 'Q',
    });
    const denied = await fx.t.gql(`{ auditTrail { totalCount } }`, {}, { token: await fx.t.token({ role: 'street-operator' }) });
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  test('the trail is append-only in the database itself', async () => {
    await fx.t.gql(`{ person(id: "${toGlobalId('Person', '3')}") { name } }`);
    await fx.t.hub.audit.flush();
    await expect(fx.db.knex('audit_log').update({ purpose: 'rewritten' })).rejects.toThrow(/append-only/);
    await expect(fx.db.knex('audit_log').delete()).rejects.toThrow(/append-only/);
    await expect(fx.db.knex.raw('truncate audit_log')).rejects.toThrow(/append-only/);
  });
});
