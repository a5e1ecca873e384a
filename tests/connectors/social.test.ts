/**
 * The social (civil affairs) connector against its simulator on a tiny world: REST behind OAuth2
 * client credentials with expiring tokens, page-paged full exports then changes from a high-water
 * mark, two streams.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import social, { type SocialConfig } from '../../src/connectors/social/index.js';
import { MappingError, RateLimited, SourceError, SourceUnavailable, type Cursor, type RawRecord } from '../../src/connectors/sdk/index.js';
import { startSocialSimulator, type SocialSimulator } from '../../src/simulators/social/index.js';
import { readNdjson, worldFile } from '../../src/world/read.js';
import { NOW_MS } from '../../src/world/time.js';
import type { SocialSpecialGroup, SocialSubsidy } from '../../src/world/types.js';
import { readAll, testContext } from '../support/connectors.js';
import { connectorConformance } from './conformance.js';
import { removeTestWorlds, testWorld } from '../support/world.js';

let dir: string;
let sim: SocialSimulator;
let config: SocialConfig;
let groups: SocialSpecialGroup[];
let grants: SocialSubsidy[];
const cursors: Record<string, Cursor | null> = { special_groups: null, subsidies: null };
const ID = { special_groups: 'object_no', subsidies: 'grant_no' } as const;

function data<T = Record<string, unknown>>(records: RawRecord[]): T[] {
  return records.map((r) => {
    if (!('data' in r)) throw new Error(`unexpected unparsable record: ${r.reason}`);
    return r.data as T;
  });
}

function ids(stream: keyof typeof ID, records: RawRecord[]): string[] {
  return data(records).map((r) => String(r[ID[stream]]));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  dir = await testWorld('tiny');
  groups = [];
  grants = [];
  for await (const r of readNdjson<SocialSpecialGroup>(worldFile(dir, 'departments/social/special_groups'))) groups.push(r);
  for await (const r of readNdjson<SocialSubsidy>(worldFile(dir, 'departments/social/subsidies'))) grants.push(r);
  sim = await startSocialSimulator({ dataDir: dir, seed: 6 });
  config = social.spec.config.parse(sim.connectorConfig);
});

afterAll(async () => {
  await sim?.stop().catch(() => undefined);
  removeTestWorlds();
});

describe('social connector', () => {
  test('config defaults and secrets, check and discover', async () => {
    expect(config).toEqual({ ...sim.connectorConfig, clientAuth: 'basic', pageSize: 1000, timeoutMs: 30_000 });
    expect(social.spec.secrets).toEqual(['clientSecret']);
    const missing = social.spec.config.safeParse({ baseUrl: sim.endpoint, clientId: 'x' });
    expect(missing.success).toBe(false);
    expect(missing.error?.issues.map((i) => i.path.join('.'))).toEqual(['clientSecret']);
    const check = await social.check(config, testContext());
    expect(check).toEqual({ ok: true, message: expect.stringContaining(sim.endpoint) });
    expect(check.message).toContain(`${groups.length} special-group records`);
    const streams = await social.discover(config, testContext());
    expect(streams.map((s) => [s.name, s.syncMode])).toEqual([['special_groups', 'incremental'], ['subsidies', 'incremental']]);
  });

  test('a full read of each stream moves every record once, and every one maps', async () => {
    for (const [stream, rows] of [['special_groups', groups], ['subsidies', grants]] as const) {
      const result = await readAll(social, config, stream, null);
      expect(ids(stream, result.records)).toEqual(rows.map((r) => (stream === 'special_groups' ? (r as SocialSpecialGroup).object_no : (r as SocialSubsidy).grant_no)));
      for (const r of data(result.records)) expect(social.map(stream, r).subject).toMatchObject({ kind: 'person', authority: 'reference' });
      expect(result.cursor).toEqual({ phase: 'incremental', since: expect.any(String), seen: [] });
      expect(Date.parse(String(result.cursor?.since))).toBeGreaterThanOrEqual(NOW_MS);
      cursors[stream] = result.cursor;
    }
  });

  test('known records map to the person, tags and guardian they name', () => {
    const g = groups[0]!;
    expect(social.map('special_groups', g)).toEqual({
      sourceId: g.object_no,
      updatedAt: g.updated_at,
      subject: {
        kind: 'person', authority: 'reference', idNumber: g.id_number,
        facts: { name: g.name, sex: g.sex === '男' ? 'male' : 'female', birthDate: g.birth_date, phone: g.phone, address: g.address, tags: [expect.any(String)] },
      },
      mentions: [],
    });
    const tags: Record<string, string> = { 独居老人: 'elderly_living_alone', 残疾人: 'disabled', 困难群众: 'hardship', 留守儿童: 'left_behind_child' };
    for (const [category, tag] of Object.entries(tags)) {
      const row = groups.find((r) => r.category === category) ?? { ...g, category };
      expect(social.map('special_groups', row).subject).toMatchObject({ facts: { tags: [tag] } });
    }
    const child = groups.find((r) => r.guardian !== null)!;
    expect(social.map('special_groups', child).mentions).toEqual([
      { role: 'guardian', ref: { kind: 'person', authority: 'reference', idNumber: null, facts: { name: child.guardian!.name, phone: child.guardian!.phone } } },
    ]);
    const grant = grants[0]!;
    expect(social.map('subsidies', grant)).toEqual({
      sourceId: grant.grant_no, updatedAt: grant.updated_at,
      subject: { kind: 'person', authority: 'reference', idNumber: grant.id_number, facts: { name: grant.name } },
    });
    const noId = grants.find((r) => r.id_number === null) ?? { ...grant, id_number: null };
    expect(social.map('subsidies', noId).subject).toMatchObject({ idNumber: null });
  });

  test('records that make no sense are MappingErrors that say why', () => {
    const g = groups[1]!;
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['special_groups', { ...g, object_no: undefined }, /object_no is missing/],
      ['special_groups', { ...g, object_no: 12345 }, /object_no must be text, got number/],
      ['special_groups', { ...g, sex: 'M' }, /sex must be 男 or 女/],
      ['special_groups', { ...g, birth_date: '1950-02-30' }, /birth_date: not a calendar date/],
      ['special_groups', { ...g, updated_at: '2026-01-29 23:58:20' }, /updated_at: not an ISO 8601 date-time with offset/],
      ['special_groups', { ...g, guardian: '王五' }, /guardian must be an object or null/],
      ['subsidies', { ...grants[0]!, grant_no: '' }, /grant_no is empty/],
      ['subsidies', { ...grants[0]!, name: null }, /name is missing/],
    ];
    for (const [stream, record, reason] of cases) {
      expect(() => social.map(stream, record)).toThrow(MappingError);
      expect(() => social.map(stream, record)).toThrow(reason);
    }
  });

  test('after change(5) incremental reads move exactly those 5, and the next reads none', async () => {
    const before = sim.changedKeys.length;
    expect(await sim.change(5)).toBe(5);
    const changed = sim.changedKeys.slice(before);
    const moved: string[] = [];
    for (const stream of ['special_groups', 'subsidies'] as const) {
      const first = await readAll(social, config, stream, cursors[stream]);
      moved.push(...ids(stream, first.records).map((id) => `${stream}/${id}`));
      const second = await readAll(social, config, stream, first.cursor);
      expect(second.records).toEqual([]);
      cursors[stream] = first.cursor;
    }
    expect(moved.sort()).toEqual(changed.map((c) => `${c.stream}/${c.key}`).sort());
  });

  test('resuming a full export from a mid-stream page cursor gives the rest exactly once', async () => {
    const small = { ...config, pageSize: 10 };
    const pages: Array<{ records: RawRecord[]; cursor: Cursor }> = [];
    for await (const page of social.read(small, 'special_groups', null, testContext())) {
      pages.push(page);
      if (pages.length === 2) break;
    }
    expect(pages[1]!.cursor).toMatchObject({ phase: 'full', page: 3, pageSize: 10 });
    // A different page size in the config does not move the saved position.
    const rest = await readAll(social, { ...config, pageSize: 7 }, 'special_groups', pages[1]!.cursor);
    expect([...pages.flatMap((p) => ids('special_groups', p.records)), ...ids('special_groups', rest.records)]).toEqual(groups.map((g) => g.object_no));
  });

  test('the token is cached across reads; a revoked token is refreshed once and the read goes on', async () => {
    const issued = sim.stats.tokensIssued;
    await readAll(social, config, 'subsidies', null);
    await readAll(social, config, 'special_groups', null);
    expect(sim.stats.tokensIssued).toBe(issued); // the token from check is still fresh

    const bogus = await fetch(`${sim.endpoint}/api/subsidies`, { headers: { authorization: 'Bearer nonsense' } });
    expect(bogus.status).toBe(401);
    expect(bogus.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    await bogus.body?.cancel();

    sim.revokeTokens();
    const unauthorized = sim.stats.unauthorized;
    const result = await readAll(social, config, 'subsidies', null);
    expect(result.records).toHaveLength(grants.length);
    expect(sim.stats.unauthorized).toBe(unauthorized + 1);
    expect(sim.stats.tokensIssued).toBe(issued + 1);
  });

  test('a token expiring mid-read is refreshed transparently', async () => {
    const res = await fetch(`${sim.endpoint}/_control`, { method: 'POST', body: JSON.stringify({ tokenTtlSeconds: 1, latencyMs: 120 }) });
    expect(res.status).toBe(200);
    expect(sim.tokenTtlSeconds).toBe(1);
    sim.revokeTokens(); // the cached token was issued with the old lifetime
    const issued = sim.stats.tokensIssued;
    try {
      const started = Date.now();
      const result = await readAll(social, { ...config, pageSize: 3 }, 'special_groups', null);
      expect(Date.now() - started).toBeGreaterThan(1500); // longer than a token lives
      expect(ids('special_groups', result.records)).toEqual(groups.map((g) => g.object_no));
      expect(sim.stats.tokensIssued - issued).toBeGreaterThanOrEqual(2);
      // Each token was used until shortly before it expired, not fetched per request.
      expect(sim.stats.tokensIssued - issued).toBeLessThan(result.pages.length);
    } finally {
      sim.faults.set({ latencyMs: 0 });
      sim.tokenTtlSeconds = 300;
      sim.revokeTokens();
    }
  });

  test('client credentials in the form work too', async () => {
    const form = { ...config, clientAuth: 'form' as const };
    const result = await readAll(social, form, 'subsidies', null);
    expect(result.records).toHaveLength(grants.length);
  });

  test('a wrong client secret fails check and read with a clear, non-retryable error naming the token URL', async () => {
    const wrong = { ...config, clientSecret: 'not-the-secret' };
    const refused = sim.stats.tokensRefused;
    const check = await social.check(wrong, testContext());
    expect(check.ok).toBe(false);
    expect(check.message).toContain(`${sim.endpoint}/oauth/token`);
    expect(check.message).toContain('401 invalid_client');
    expect(check.message).toContain('check clientId and clientSecret');
    expect(check.message).not.toContain('not-the-secret');
    const error = await readAll(social, wrong, 'special_groups', null).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).not.toBeInstanceOf(SourceUnavailable);
    expect((error as SourceError).retryable).toBe(false);
    expect((error as Error).message).toContain(`POST ${sim.endpoint}/oauth/token: 401`);
    expect(sim.stats.tokensRefused).toBe(refused + 2);
  });

  test('an outage is SourceUnavailable, a slow answer a timeout, a rate limit RateLimited with retryAfterMs', async () => {
    try {
      sim.faults.set({ down: true });
      await expect(readAll(social, config, 'special_groups', null)).rejects.toThrow(SourceUnavailable);
      const check = await social.check(config, testContext());
      expect(check.ok).toBe(false);
      expect(check.message).toContain(sim.endpoint);
      expect(check.message).toContain('503');
      sim.faults.set({ down: false, latencyMs: 400 });
      await expect(readAll(social, config, 'special_groups', null, testContext(undefined, 100))).rejects.toThrow(/no answer within 100 ms|TimeoutError/);
      sim.faults.set({ latencyMs: 0, rateLimitPerSecond: 1 });
      await sleep(1000);
      const error = await readAll(social, { ...config, pageSize: 5 }, 'special_groups', null).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimited);
      expect((error as RateLimited).retryAfterMs).toBeGreaterThan(0);
    } finally {
      sim.faults.set({ down: false, latencyMs: 0, rateLimitPerSecond: null });
    }
    await sleep(400);
  });

  test('malformed records come out as unparsable records or MappingErrors, never a failed read', async () => {
    sim.faults.set({ malformedRate: 0.3 });
    try {
      let unparsable = 0;
      let failed = 0;
      for (const [stream, count] of [['special_groups', groups.length], ['subsidies', grants.length]] as const) {
        const result = await readAll(social, config, stream, null);
        expect(result.records).toHaveLength(count);
        for (const r of result.records) {
          if ('unparsable' in r) {
            expect(r.reason).toMatch(/^not valid JSON: /);
            unparsable++;
            continue;
          }
          try {
            social.map(stream, r.data);
          } catch (error) {
            expect(error).toBeInstanceOf(MappingError);
            expect((error as Error).message).toMatch(/(object_no|grant_no) must be text, got number/);
            failed++;
          }
        }
      }
      expect(unparsable).toBeGreaterThan(3);
      expect(failed).toBeGreaterThan(0);
    } finally {
      sim.faults.set({ malformedRate: 0 });
    }
  });

  test('check on a stopped service fails with a message naming it', async () => {
    const other = await startSocialSimulator({ dataDir: dir });
    const cfg = social.spec.config.parse(other.connectorConfig);
    await other.stop();
    const check = await social.check(cfg, testContext());
    expect(check.ok).toBe(false);
    expect(check.message).toContain(`${other.endpoint}/oauth/token`);
    expect(check.message).toMatch(/connection refused|fetch failed/);
    await expect(readAll(social, cfg, 'special_groups', null)).rejects.toThrow(SourceUnavailable);
  });
});

connectorConformance({
  connector: social,
  start: (dataDir) => startSocialSimulator({ dataDir, seed: 15 }),
  badDate: (_stream, r) => ({ ...r, updated_at: '2026-13-45T25:61:00+08:00' }),
});
