import { describeEachDatabase, WORLD_SETUP_TIMEOUT_MS } from '../support/databases.js';
import type { Database } from '../../src/store/db.js';
import { createDataLayer } from '../../src/store/dataLayer.js';
import { addressFromRow, buildingFromRow, dwellingFromRow, gridFromRow } from '../../src/store/models.js';
import type { Viewer } from '../../src/auth/viewer.js';

const viewer: Viewer = { authenticated: true, subject: 't', name: null, role: 'district-admin', gridIds: [], streetIds: [], department: null };

// A person and a household come with their dwelling's whole chain (dwelling, its address, the
// building, the building's address, the grid) selected by named columns. What the loaders are
// primed with must be what a plain `select *` of each row maps to, so a column the chain forgets
// (a new one a mapper reads) fails here.
describeEachDatabase('the place chain of people and households', ({ openWorld }) => {
  let db: Database;
  beforeAll(async () => {
    ({ db } = await openWorld());
  }, WORLD_SETUP_TIMEOUT_MS);
  afterAll(() => db?.close());

  async function plain(table: string, id: string) {
    const row = await db.knex(table).where({ id }).first();
    expect(row).toBeDefined();
    return row as Record<string, unknown>;
  }

  /** A fresh data layer (the request's loaders), and the statements it sends while `fn` runs. */
  async function withStatements(fn: (data: ReturnType<typeof createDataLayer>, statements: string[]) => Promise<void>) {
    const statements: string[] = [];
    const listener = (q: { sql: string }) => statements.push(q.sql);
    db.knex.on('query', listener);
    try {
      await fn(createDataLayer(db.knex, viewer, { purpose: 'test' }), statements);
    } finally {
      db.knex.removeListener('query', listener);
    }
  }

  async function expectChainOf(dwellingId: string, data: ReturnType<typeof createDataLayer>, statements: string[]) {
    const before = statements.length;
    const dwelling = await data.places.dwelling(dwellingId);
    const building = await data.places.building(dwelling!.buildingId);
    const address = await data.places.address(dwelling!.addressId);
    const buildingAddress = await data.places.address(building!.addressId);
    const grid = building!.gridId ? await data.places.grid(building!.gridId) : null;
    // All of it was primed: not one more statement.
    expect(statements.length).toBe(before);

    const b = await plain('building', dwelling!.buildingId);
    expect(dwelling).toEqual(dwellingFromRow({ ...(await plain('dwelling', dwellingId)), grid_id: b.grid_id, street_id: b.street_id }));
    expect(building).toEqual(buildingFromRow(b));
    expect(address).toEqual(addressFromRow(await plain('address', dwelling!.addressId)));
    expect(buildingAddress).toEqual(addressFromRow(await plain('address', building!.addressId)));
    if (b.grid_id !== null) expect(grid).toEqual(gridFromRow(await plain('grid', String(b.grid_id))));
  }

  test('a person brings the places where they live, equal to each row read on its own', async () => {
    const ids = (await db.knex('person').whereNotNull('dwelling_id').orderBy('id').limit(5).pluck('id')).map(String);
    expect(ids).toHaveLength(5);
    for (const id of ids) {
      await withStatements(async (data, statements) => {
        const person = await data.people.person(id);
        expect(person?.dwellingId).not.toBeNull();
        await expectChainOf(person!.dwellingId!, data, statements);
      });
    }
  });

  test('a household brings its dwelling\'s chain; one without a dwelling has none', async () => {
    const ids = (await db.knex('household').whereNotNull('dwelling_id').orderBy('id', 'desc').limit(5).pluck('id')).map(String);
    expect(ids).toHaveLength(5);
    for (const id of ids) {
      await withStatements(async (data, statements) => {
        const household = await data.people.household(id);
        expect(household?.dwellingId).not.toBeNull();
        await expectChainOf(household!.dwellingId!, data, statements);
      });
    }

    // A left join that finds nothing leaves no half-empty place behind.
    const homeless = await db.knex('household').whereNull('dwelling_id').first();
    const [row] = homeless
      ? [homeless]
      : await db.knex('household').insert({ number: 'TEST-NO-DWELLING', residence_type: 'registered' }).returning('*');
    const data = createDataLayer(db.knex, viewer, { purpose: 'test' });
    const household = await data.people.household(String(row.id));
    expect(household).toMatchObject({ id: String(row.id), dwellingId: null, gridId: null, streetId: null });
  });
});
