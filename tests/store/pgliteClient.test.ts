/** PGlite's one connection shared between interactive requests and background work (src/store/pgliteClient.ts). */
import { ConnectionScheduler } from '../../src/store/pgliteClient.js';
import { analyzeAllTables, openDatabase, type Database } from '../../src/store/db.js';

describe('ConnectionScheduler', () => {
  test('an interactive waiter goes before background waiters that queued earlier', async () => {
    const s = new ConnectionScheduler(1_000);
    const order: string[] = [];
    await s.acquire(); // held
    const bg = [1, 2].map((n) => s.acquire().then(() => { order.push(`bg${n}`); s.release(); }));
    const fg = s.interactive(async () => {
      await s.acquire();
      order.push('fg');
      s.release();
    });
    s.release();
    await Promise.all([...bg, fg]);
    expect(order).toEqual(['fg', 'bg1', 'bg2']);
  });

  test('background work holds back while an interactive operation is between statements, but at most its maximum wait', async () => {
    const s = new ConnectionScheduler(80);
    let release!: () => void;
    const operation = s.interactive(() => new Promise<void>((resolve) => { release = resolve; }));
    const started = performance.now();
    await s.acquire(); // background: the operation never uses the connection, so only the maximum lets this through
    const waited = performance.now() - started;
    s.release();
    expect(waited).toBeGreaterThanOrEqual(75);
    expect(waited).toBeLessThan(1_000);
    release();
    await operation;
    // With no interactive operation under way, background work goes at once.
    const t = performance.now();
    await s.acquire();
    s.release();
    expect(performance.now() - t).toBeLessThan(50);
  });

  test('an operation that ends lets waiting background work go before its maximum wait', async () => {
    const s = new ConnectionScheduler(10_000);
    let release!: () => void;
    const operation = s.interactive(() => new Promise<void>((resolve) => { release = resolve; }));
    let granted = false;
    const bg = s.acquire().then(() => { granted = true; });
    await new Promise((r) => setTimeout(r, 20));
    expect(granted).toBe(false);
    release();
    await operation;
    await bg;
    expect(granted).toBe(true);
    s.release();
  });

  test('a background waiter that has waited its maximum goes before interactive ones', async () => {
    let now = 0;
    const s = new ConnectionScheduler(100, () => now);
    const order: string[] = [];
    await s.acquire(); // held
    const bg = s.acquire().then(() => { order.push('bg'); s.release(); });
    now = 150;
    const fg = s.interactive(async () => {
      await s.acquire();
      order.push('fg');
      s.release();
    });
    s.release();
    await Promise.all([bg, fg]);
    expect(order).toEqual(['bg', 'fg']);
  });
});

describe('PGlite with the scheduled client', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ kind: 'pglite', dataDir: null });
    await db.knex.raw('create table t (id int primary key, v text)');
    await db.knex.raw('insert into t select g, md5(g::text) from generate_series(1, 2000) g');
  }, 60_000);
  afterAll(() => db.close());

  test('a background job running statement after statement lets timers and sockets in between them', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      const seen: number[] = [];
      for (let i = 0; i < 30; i++) {
        await db.knex.raw('select count(*) from t');
        seen.push(ticks);
      }
      // Without the yield the whole loop is one macrotask and the interval never runs during it.
      expect(seen.at(-1)).toBeGreaterThan(seen[0]!);
    } finally {
      clearInterval(timer);
    }
  });

  test('a request\'s statement overtakes background statements queued before it, and a background transaction is never split', async () => {
    const order: string[] = [];
    const background = Array.from({ length: 5 }, (_, i) => db.knex.raw('select count(*) from t').then(() => order.push(`bg${i}`)));
    const transaction = db.knex.transaction(async (trx) => {
      await trx.raw('update t set v = ? where id = 1', ['in a transaction']);
      await trx.raw('select v from t where id = 1');
      order.push('trx');
    });
    const request = db.interactive(async () => {
      const r = await db.knex.raw('select v from t where id = ?', [2]);
      order.push('request');
      return r.rows[0].v as string;
    });
    expect(await request).toHaveLength(32);
    await Promise.all([...background, transaction]);
    expect(order.indexOf('request')).toBeLessThan(order.indexOf('bg1'));
    expect(order).toContain('trx');
    expect((await db.knex.raw('select v from t where id = 1')).rows[0].v).toBe('in a transaction');
  });
});

describe('PGlite interactive marks', () => {
  test('a query builder handed back unawaited still runs as interactive work', async () => {
    const db = await openDatabase({ kind: 'pglite', dataDir: null });
    try {
      await db.knex.raw('create table t (id int primary key)');
      const started = performance.now();
      // Were it taken for background work, each would wait out the interactive operation it belongs to (250 ms).
      for (let i = 0; i < 5; i++) await db.interactive(() => db.knex('t').select('id').where('id', i) as unknown as Promise<unknown>);
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await db.close();
    }
  }, 60_000);
});

describe('PGlite statistics', () => {
  test('analyzeAllTables gives the planner row counts, which PGlite (no autovacuum) never collects itself', async () => {
    const db = await openDatabase({ kind: 'pglite', dataDir: null });
    try {
      await db.knex.raw('create table t (id int primary key)');
      await db.knex.raw('insert into t select generate_series(1, 5000)');
      const reltuples = async () => Number((await db.knex.raw(`select reltuples from pg_class where oid = 't'::regclass`)).rows[0].reltuples);
      expect(await reltuples()).toBeLessThan(0); // never analyzed
      expect(await analyzeAllTables(db.knex)).toBeGreaterThanOrEqual(1);
      expect(await reltuples()).toBe(5000);
    } finally {
      await db.close();
    }
  }, 60_000);
});
