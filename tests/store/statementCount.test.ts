import { graphql } from 'graphql';
import { describeEachDatabase, WORLD_SETUP_TIMEOUT_MS } from '../support/databases.js';
import type { Database } from '../../src/store/db.js';
import { buildSchema } from '../../src/server/schema.js';
import { createDataLayer } from '../../src/store/dataLayer.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Viewer } from '../../src/auth/viewer.js';
import { PERSON_PROFILE } from '../../bench/queries.js';

const LIST = /* GraphQL */ `
  query($first: Int!) {
    people(first: $first) {
      edges { node {
        name
        household { number members { name } }
        dwelling { room building { name grid { name } } }
        grid { name }
        tags
      } }
    }
  }`;

const viewer: Viewer = { authenticated: true, subject: 't', name: null, role: 'district-admin', gridIds: [], streetIds: [], department: null };

describeEachDatabase('DataLoader batching', ({ openWorld }) => {
  let db: Database;
  beforeAll(async () => {
    ({ db } = await openWorld());
  }, WORLD_SETUP_TIMEOUT_MS);
  afterAll(() => db?.close());

  async function statementsOf(source: string, variableValues: Record<string, unknown>): Promise<string[]> {
    const sql: string[] = [];
    const listener = (q: { sql: string }) => sql.push(q.sql);
    db.knex.on('query', listener);
    try {
      const result = await graphql({
        schema: buildSchema(), source, variableValues,
        contextValue: { viewer, purpose: 'test', data: createDataLayer(db.knex, viewer, { purpose: 'test' }), log: createLogger('silent') },
      });
      expect(result.errors).toBeUndefined();
      return sql;
    } finally {
      db.knex.removeListener('query', listener);
    }
  }

  async function statementsFor(first: number): Promise<{ count: number; people: number }> {
    const schema = buildSchema();
    const sql: string[] = [];
    const listener = (q: { sql: string }) => sql.push(q.sql);
    db.knex.on('query', listener);
    try {
      const result = await graphql({
        schema, source: LIST, variableValues: { first },
        contextValue: { viewer, purpose: 'test', data: createDataLayer(db.knex, viewer, { purpose: 'test' }), log: createLogger('silent') },
      });
      expect(result.errors).toBeUndefined();
      return { count: sql.length, people: (result.data as any).people.edges.length };
    } finally {
      db.knex.removeListener('query', listener);
    }
  }

  test('100 people with household, members, dwelling, building and grid cost as many statements as 10', async () => {
    const ten = await statementsFor(10);
    const hundred = await statementsFor(100);
    expect(ten.people).toBe(10);
    expect(hundred.people).toBe(100);
    expect(hundred.count).toBe(ten.count);
    // list, household, members, dwelling, building, grid (person + building grids may batch apart), tags
    expect(hundred.count).toBeLessThanOrEqual(8);
  });

  // The bench's list (bench/peers.ts): households bring their dwelling's chain along, so the
  // levels below cost nothing.
  test('a page of people with household → dwelling → building → grid costs 2 statements: the page, and the households with their places', async () => {
    const sql = await statementsOf(/* GraphQL */ `query($first: Int!) {
      people(first: $first) { edges { node { id name household { number dwelling { room building { name grid { name } } } } } } }
    }`, { first: 100 });
    expect(sql).toHaveLength(2);
    expect(sql[1]).toMatch(/from household/);
  });

  // The golden count of the bench's profile (bench/queries.ts): a lone request, so nothing is
  // coalesced with other requests. The person, with where they live (dwelling, building, their
  // addresses, grid); its tags, household (with its places), records (subjects and mentions in
  // one), cases; the household's members (which give the head too), the areas, the grid's staff,
  // the departments.
  test('the person profile costs 9 distinct statements, whoever the person', async () => {
    for (const id of ['UGVyc29uOjQ5', 'UGVyc29uOjEyMA==', 'UGVyc29uOjE=']) {
      const sql = await statementsOf(PERSON_PROFILE, { id });
      expect(new Set(sql).size).toBe(9);
      // On a server the level-one statements come back at different moments, so the areas the
      // building's address and the grid ask for may go out in two batches of the same statement.
      expect(sql.length).toBeLessThanOrEqual(10);
    }
  });
});
