/**
 * The police connector against the police simulator on a tiny world: REST/JSON in the police's
 * own style (pageNo paging for the full export, then positions (gxsj, 编号) for changes), two
 * streams, and live 110 calls pushed to a webhook with an HMAC signature.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import police, { nextSecond, type PoliceConfig } from '../../src/connectors/police/index.js';
import { MappingError, PushRejected, RateLimited, SourceError, SourceUnavailable, type Cursor, type MappedRecord, type RawRecord } from '../../src/connectors/sdk/index.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody, startPoliceSimulator, type PoliceSimulator, type PoliceStream } from '../../src/simulators/police/index.js';
import { readNdjson, worldFile } from '../../src/world/read.js';
import { NOW_MS } from '../../src/world/time.js';
import type { PoliceIncident, PoliceRegistration } from '../../src/world/types.js';
import { readAll, testContext } from '../support/connectors.js';
import { connectorConformance } from './conformance.js';
import { removeTestWorlds, testWorld } from '../support/world.js';

const ID = { residence_registrations: 'djbh', incidents: 'jjdbh' } as const;

interface Received {
  headers: Record<string, string | undefined>;
  body: Buffer;
}

/** A stand-in for the hub's webhook: records what arrives, answers `status`. */
class Webhook {
  readonly received: Received[] = [];
  status = 202;
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        this.received.push({ headers, body: Buffer.concat(chunks) });
        res.writeHead(this.status, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/police`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

let dir: string;
let sim: PoliceSimulator;
let config: PoliceConfig;
let registrations: PoliceRegistration[];
let incidents: PoliceIncident[];
const webhook = new Webhook();
const cursors: Record<PoliceStream, Cursor | null> = { residence_registrations: null, incidents: null };

function data<T = Record<string, unknown>>(records: RawRecord[]): T[] {
  return records.map((r) => {
    if (!('data' in r)) throw new Error(`unexpected unparsable record: ${r.reason}`);
    return r.data as T;
  });
}

function ids(stream: PoliceStream, records: RawRecord[]): string[] {
  return data(records).map((r) => String(r[ID[stream]]));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  dir = await testWorld('tiny');
  registrations = [];
  incidents = [];
  for await (const r of readNdjson<PoliceRegistration>(worldFile(dir, 'departments/police/residence_registrations'))) registrations.push(r);
  for await (const r of readNdjson<PoliceIncident>(worldFile(dir, 'departments/police/incidents'))) incidents.push(r);
  await webhook.start();
  // No timer here (incidentIntervalMs 0): pushes happen when a test asks; the timer has its own test.
  sim = await startPoliceSimulator({ dataDir: dir, seed: 4, webhookUrl: webhook.url, incidentIntervalMs: 0 });
  config = police.spec.config.parse(sim.connectorConfig);
});

afterAll(async () => {
  await sim?.stop().catch(() => undefined);
  await webhook.stop();
  removeTestWorlds();
});

describe('police connector', () => {
  test('config defaults and secrets, check and discover', async () => {
    expect(config).toEqual({ baseUrl: sim.endpoint, webhookSecret: 'police-webhook-secret', pageSize: 1000, timeoutMs: 30_000 });
    expect(police.spec.secrets).toEqual(['webhookSecret']);
    const bad = police.spec.config.safeParse({ baseUrl: 'ftp://x' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain('baseUrl');
    const check = await police.check(config, testContext());
    expect(check).toEqual({ ok: true, message: expect.stringContaining(sim.endpoint) });
    expect(check.message).toContain(`${incidents.length} 110 calls`);
    const streams = await police.discover(config, testContext());
    expect(streams.map((s) => [s.name, s.syncMode, s.push ?? false])).toEqual([
      ['residence_registrations', 'incremental', false],
      ['incidents', 'incremental', true],
    ]);
  });

  test('the service speaks the police dialect and answers bad requests with 4xx', async () => {
    const res = await fetch(`${sim.endpoint}/police/api/residence-registrations?pageNo=2&pageSize=3`);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 0, msg: 'ok', total: registrations.length, pageNo: 2, pageSize: 3, gxsjMax: expect.stringMatching(/^\d{14}$/) });
    expect((body.rows as PoliceRegistration[]).map((r) => r.djbh)).toEqual(registrations.slice(3, 6).map((r) => r.djbh));
    const bad = await fetch(`${sim.endpoint}/police/api/incidents?gxsjFrom=yesterday`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ code: 400, msg: expect.stringContaining('gxsjFrom must be YYYYMMDDHHMMSS') });
    expect((await fetch(`${sim.endpoint}/police/api/nothing`)).status).toBe(404);
    // Changes are ordered by (gxsj, 编号) and start at gxsjFrom (inclusive).
    const sorted = [...registrations].sort((a, b) => (a.gxsj + a.djbh < b.gxsj + b.djbh ? -1 : 1));
    const from = sorted[100]!.gxsj;
    const since = await fetch(`${sim.endpoint}/police/api/residence-registrations?gxsjFrom=${from}&pageSize=5`);
    const sinceBody = (await since.json()) as { total: number; rows: PoliceRegistration[]; nextGxsjFrom: string; nextBhAfter: string };
    const expected = sorted.filter((r) => r.gxsj >= from);
    expect(sinceBody.total).toBe(expected.length);
    expect(sinceBody.rows.map((r) => r.djbh)).toEqual(expected.slice(0, 5).map((r) => r.djbh));
    expect([sinceBody.nextGxsjFrom, sinceBody.nextBhAfter]).toEqual([expected[4]!.gxsj, expected[4]!.djbh]);
    const after = await fetch(`${sim.endpoint}/police/api/residence-registrations?gxsjFrom=${sinceBody.nextGxsjFrom}&bhAfter=${sinceBody.nextBhAfter}&pageSize=5`);
    expect(((await after.json()) as { rows: PoliceRegistration[] }).rows.map((r) => r.djbh)).toEqual(expected.slice(5, 10).map((r) => r.djbh));
  });

  test('a full read of each stream moves every record once, in register order, and every one maps', async () => {
    const regs = await readAll(police, config, 'residence_registrations', null);
    expect(ids('residence_registrations', regs.records)).toEqual(registrations.map((r) => r.djbh));
    const mappedRegs = data(regs.records).map((r) => police.map('residence_registrations', r));
    expect(mappedRegs.every((m) => m.subject?.kind === 'person' && m.subject.authority === 'registry')).toBe(true);
    expect(regs.cursor).toEqual({ phase: 'incremental', gxsjFrom: expect.stringMatching(/^\d{14}$/), bhAfter: null });
    expect(gxsjToMs(String(regs.cursor?.gxsjFrom))).toBeGreaterThan(NOW_MS);
    cursors.residence_registrations = regs.cursor;

    const calls = await readAll(police, config, 'incidents', null);
    expect(ids('incidents', calls.records)).toEqual(incidents.map((r) => r.jjdbh));
    const mappedCalls = data(calls.records).map((r) => police.map('incidents', r));
    expect(mappedCalls.every((m) => m.subject?.kind === 'building' && m.subject.authority === 'reference')).toBe(true);
    cursors.incidents = calls.cursor;
  });

  test('known registrations map to the floating resident they describe', () => {
    const first = registrations[0]!;
    expect(police.map('residence_registrations', first)).toEqual({
      sourceId: first.djbh,
      updatedAt: `${first.gxsj.slice(0, 4)}-${first.gxsj.slice(4, 6)}-${first.gxsj.slice(6, 8)}T${first.gxsj.slice(8, 10)}:${first.gxsj.slice(10, 12)}:${first.gxsj.slice(12, 14)}+08:00`,
      subject: {
        kind: 'person', authority: 'registry', idNumber: first.sfzh,
        facts: { name: first.xm, sex: first.xb === '男' ? 'male' : 'female', phone: first.lxdh, residenceType: 'floating', address: first.jzdz },
      },
    } satisfies MappedRecord);
    const cancelled = registrations.find((r) => r.zt === '注销');
    if (cancelled) expect(police.map('residence_registrations', cancelled).subject).toMatchObject({ facts: { address: null, residenceType: 'floating' } });
    const noId = registrations.find((r) => r.sfzh === null);
    if (noId) expect(police.map('residence_registrations', noId).subject).toMatchObject({ idNumber: null, facts: { name: noId.xm } });
    const noPhone = registrations.find((r) => r.lxdh === null);
    if (noPhone) expect(police.map('residence_registrations', noPhone).subject).toMatchObject({ facts: { phone: null } });
  });

  test('known 110 calls map to the building where they happened, with the caller when named', () => {
    const named = incidents.find((r) => r.bjrxm !== null)!;
    expect(police.map('incidents', named)).toEqual({
      sourceId: named.jjdbh,
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/),
      subject: { kind: 'building', authority: 'reference', address: named.afdd, facts: { lat: named.wd, lng: named.jd } },
      mentions: [{ role: 'reporter', ref: { kind: 'person', authority: 'reference', idNumber: null, facts: { name: named.bjrxm, phone: named.bjrdh } } }],
    });
    const anonymous = incidents.find((r) => r.bjrxm === null);
    if (anonymous) expect(police.map('incidents', anonymous).mentions).toEqual([]);
  });

  test('records that make no sense are MappingErrors that say why', () => {
    const reg = registrations[1]!;
    const call = incidents[1]!;
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['residence_registrations', { ...reg, djbh: undefined }, /djbh is missing/],
      ['residence_registrations', { ...reg, djbh: 12345 }, /djbh must be text, got number/],
      ['residence_registrations', { ...reg, xb: '1' }, /xb must be 男 or 女/],
      ['residence_registrations', { ...reg, zt: '待审' }, /zt must be 有效 or 注销/],
      ['residence_registrations', { ...reg, gxsj: '2026-01-01' }, /gxsj must be YYYYMMDDHHMMSS/],
      ['residence_registrations', { ...reg, gxsj: '20260230120000' }, /gxsj is not a real time/],
      ['residence_registrations', { ...reg, xm: '' }, /xm is empty/],
      ['incidents', { ...call, jjdbh: null }, /jjdbh is missing/],
      ['incidents', { ...call, wd: '30.1' }, /wd must be a number, got string/],
      ['incidents', { ...call, jd: 999 }, /jd must be within -180..180/],
      ['incidents', { ...call, afdd: null }, /afdd is missing/],
    ];
    for (const [stream, record, reason] of cases) {
      expect(() => police.map(stream, record)).toThrow(MappingError);
      expect(() => police.map(stream, record)).toThrow(reason);
    }
    expect(() => police.map('incidents', [1])).toThrow('record is not an object');
    expect(() => police.map('cases', {})).toThrow(/police has no stream "cases"/);
  });

  test('after change(5) incremental reads move exactly those 5, and the next reads none', async () => {
    const before = sim.changedKeys.length;
    expect(await sim.change(5)).toBe(5);
    const changed = sim.changedKeys.slice(before);
    const moved: string[] = [];
    for (const stream of ['residence_registrations', 'incidents'] as const) {
      const read = await readAll(police, config, stream, cursors[stream]);
      for (const r of data(read.records)) {
        moved.push(`${stream}:${String(r[ID[stream]])}`);
        const m = police.map(stream, r);
        expect(Date.parse(String(m.updatedAt))).toBeGreaterThan(NOW_MS);
        if (stream === 'residence_registrations') {
          const original = registrations.find((o) => o.djbh === r.djbh)!;
          const edited = r as unknown as PoliceRegistration;
          expect(edited.lxdh !== original.lxdh || edited.jzdz !== original.jzdz || edited.zt !== original.zt || edited.yxqz !== original.yxqz).toBe(true);
        } else {
          expect((r as unknown as PoliceIncident).cjjg).not.toBe(incidents.find((o) => o.jjdbh === r.jjdbh)!.cjjg);
        }
      }
      const again = await readAll(police, config, stream, read.cursor);
      expect(again.records).toEqual([]);
      expect(again.cursor).toEqual(read.cursor);
      cursors[stream] = read.cursor;
    }
    expect(moved.sort()).toEqual(changed.map((c) => `${c.stream}:${c.key}`).sort());
  });

  test('POST /_control {change} changes records too', async () => {
    const before = sim.changedKeys.length;
    const res = await fetch(`${sim.endpoint}/_control`, { method: 'POST', body: JSON.stringify({ change: 3 }) });
    expect(((await res.json()) as { changed: number }).changed).toBe(3);
    const moved: string[] = [];
    for (const stream of ['residence_registrations', 'incidents'] as const) {
      const read = await readAll(police, config, stream, cursors[stream]);
      moved.push(...ids(stream, read.records).map((id) => `${stream}:${id}`));
      cursors[stream] = read.cursor;
    }
    expect(moved.sort()).toEqual(sim.changedKeys.slice(before).map((c) => `${c.stream}:${c.key}`).sort());
  });

  test('resuming a full export from a mid-stream page cursor gives the rest exactly once', async () => {
    const small = { ...config, pageSize: 50 };
    const pages: Array<{ records: RawRecord[]; cursor: Cursor }> = [];
    for await (const page of police.read(small, 'residence_registrations', null, testContext())) {
      pages.push(page);
      if (pages.length === 3) break; // a crash after the 3rd page was saved
    }
    expect(pages[2]!.cursor).toMatchObject({ phase: 'full', pageNo: 4, pageSize: 50, since: expect.stringMatching(/^\d{14}$/) });
    // The resumed export keeps the page size it began with, whatever the config says now.
    const rest = await readAll(police, { ...config, pageSize: 7 }, 'residence_registrations', pages[2]!.cursor);
    const all = [...pages.flatMap((p) => ids('residence_registrations', p.records)), ...ids('residence_registrations', rest.records)];
    expect(all).toEqual(registrations.map((r) => r.djbh));
    expect(rest.cursor).toEqual({ phase: 'incremental', gxsjFrom: nextSecond(String(pages[0]!.cursor.since)), bhAfter: null });
  });

  test('resuming a changes read from a mid-stream page cursor gives the rest exactly once', async () => {
    const before = sim.changedKeys.length;
    await sim.change(25);
    const changed = sim.changedKeys.slice(before).filter((c) => c.stream === 'residence_registrations').map((c) => c.key);
    expect(changed.length).toBeGreaterThan(10);
    const small = { ...config, pageSize: 4 };
    const pages: Array<{ records: RawRecord[]; cursor: Cursor }> = [];
    for await (const page of police.read(small, 'residence_registrations', cursors.residence_registrations, testContext())) {
      pages.push(page);
      if (pages.length === 2) break;
    }
    expect(pages[1]!.cursor).toMatchObject({ phase: 'incremental', gxsjFrom: expect.stringMatching(/^\d{14}$/), bhAfter: expect.stringMatching(/^JZ/) });
    const rest = await readAll(police, small, 'residence_registrations', pages[1]!.cursor);
    const all = [...pages.flatMap((p) => ids('residence_registrations', p.records)), ...ids('residence_registrations', rest.records)];
    expect(all).toHaveLength(changed.length);
    expect([...all].sort()).toEqual([...changed].sort());
    cursors.residence_registrations = rest.cursor;
    const calls = await readAll(police, config, 'incidents', cursors.incidents);
    cursors.incidents = calls.cursor;
  });

  test('a record changed after the read passed it comes again once; records changed during a full export come after it', async () => {
    const small = { ...config, pageSize: 60 };
    const pages: Array<{ records: RawRecord[]; cursor: Cursor }> = [];
    let changed: string[] = [];
    for await (const page of police.read(small, 'residence_registrations', null, testContext())) {
      pages.push(page);
      if (pages.length === 2) {
        const before = sim.changedKeys.length;
        await sim.change(6);
        changed = sim.changedKeys.slice(before).filter((c) => c.stream === 'residence_registrations').map((c) => c.key);
      }
    }
    const all = pages.flatMap((p) => ids('residence_registrations', p.records));
    expect(all.slice(0, registrations.length)).toEqual(registrations.map((r) => r.djbh));
    expect([...all.slice(registrations.length)].sort()).toEqual([...changed].sort());
    const calls = await readAll(police, config, 'incidents', cursors.incidents);
    cursors.incidents = calls.cursor;
  });

  test('pushIncident posts a signed live 110 call that the connector accepts, and it is in the REST register too', async () => {
    const before = webhook.received.length;
    const jjdbh = await sim.pushIncident();
    expect(jjdbh).toMatch(/^JJ\d{15}$/);
    expect(sim.pushed).toContain(jjdbh);
    expect(webhook.received).toHaveLength(before + 1);
    const request = webhook.received[before]!;
    expect(request.headers['content-type']).toContain('application/json');
    expect(request.headers[SIGNATURE_HEADER]).toBe(signBody(request.body, 'police-webhook-secret', Number(request.headers[TIMESTAMP_HEADER])));
    const { stream, records } = police.push!.receive(config, request);
    expect(stream).toBe('incidents');
    expect(records).toHaveLength(1);
    const incident = data<PoliceIncident>(records)[0]!;
    expect(incident).toMatchObject({ jjdbh, cjjg: '处警中', bjsj: expect.stringMatching(/^\d{14}$/) });
    const mapped = police.map('incidents', incident);
    expect(mapped).toMatchObject({ sourceId: jjdbh, subject: { kind: 'building', authority: 'reference', address: incident.afdd } });
    expect(Date.parse(String(mapped.updatedAt))).toBeGreaterThan(NOW_MS);

    const pulled = await readAll(police, config, 'incidents', cursors.incidents);
    expect(data<PoliceIncident>(pulled.records)).toEqual([incident]);
    cursors.incidents = pulled.cursor;
    expect(sim.pushStats).toMatchObject({ failed: 0, lastError: null });
  });

  test('the webhook refuses bad signatures (401) and bad bodies (400); a bad incident inside a good body is only that record', () => {
    const now = Math.floor(Date.now() / 1000);
    const receive = (body: string, signature?: string, timestamp = now) =>
      police.push!.receive(config, { headers: signature === undefined ? {} : { [SIGNATURE_HEADER]: signature, [TIMESTAMP_HEADER]: String(timestamp) }, body: Buffer.from(body) });
    const sign = (body: string, secret = config.webhookSecret, timestamp = now) => signBody(body, secret, timestamp);
    const rejected = (fn: () => unknown): PushRejected => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(PushRejected);
        return error as PushRejected;
      }
      throw new Error('not rejected');
    };
    const good = JSON.stringify({ incidents: [incidents[0]] });
    expect(receive(good, sign(good)).records).toEqual([{ data: incidents[0] }]);
    expect(rejected(() => receive(good))).toMatchObject({ status: 401, message: expect.stringContaining(`missing ${SIGNATURE_HEADER}`) });
    expect(rejected(() => receive(good, sign(good, 'another secret')))).toMatchObject({ status: 401 });
    expect(rejected(() => receive(`${good} `, sign(good)))).toMatchObject({ status: 401, message: expect.stringContaining('does not match') });
    expect(rejected(() => receive(good, 'sha256=zz'))).toMatchObject({ status: 401 });
    // A replay: the signature is right for its timestamp, and the timestamp is 6 minutes old (or ahead).
    expect(rejected(() => receive(good, sign(good, config.webhookSecret, now - 360), now - 360))).toMatchObject({ status: 401, message: expect.stringMatching(/\b3[56]\d s old, outside the 300 s window/) }); // 360, or a second or more later on a slow machine
    expect(rejected(() => receive(good, sign(good, config.webhookSecret, now + 360), now + 360))).toMatchObject({ status: 401, message: expect.stringContaining('in the future') });
    // The signature covers the timestamp: moving it forward breaks the signature.
    expect(rejected(() => receive(good, sign(good, config.webhookSecret, now - 360), now))).toMatchObject({ status: 401, message: expect.stringContaining('does not match') });
    expect(rejected(() => police.push!.receive(config, { headers: { [SIGNATURE_HEADER]: sign(good) }, body: Buffer.from(good) }))).toMatchObject({ status: 401, message: expect.stringContaining(`missing or malformed ${TIMESTAMP_HEADER}`) });
    expect(rejected(() => receive(good, sign(good).replace('sha256=', 'md5=')))).toMatchObject({ status: 401 });
    const broken = '{"incidents":[{"jjdbh":';
    expect(rejected(() => receive(broken, sign(broken)))).toMatchObject({ status: 400, message: expect.stringContaining('not JSON') });
    const wrongShape = JSON.stringify({ calls: [] });
    expect(rejected(() => receive(wrongShape, sign(wrongShape)))).toMatchObject({ status: 400, message: expect.stringContaining('{"incidents":[…]}') });
    const mixed = JSON.stringify({ incidents: [incidents[0], 'JJ1|somewhere', { ...incidents[1], wd: 'north' }] });
    const { records } = receive(mixed, sign(mixed));
    expect(records).toHaveLength(3);
    expect(records[1]).toEqual({ unparsable: '"JJ1|somewhere"', reason: expect.stringContaining('must be a JSON object, got string') });
    expect(() => police.map('incidents', (records[2] as { data: unknown }).data)).toThrow(/wd must be a number/);
  });

  test('live 110 calls are pushed on a timer; a webhook that fails is counted and the call stays in the register', async () => {
    const hook = new Webhook();
    await hook.start();
    const live = await startPoliceSimulator({ dataDir: dir, seed: 9, webhookUrl: hook.url, incidentIntervalMs: 80, webhookSecret: 's3cret-of-16-chars' });
    try {
      const cfg = police.spec.config.parse(live.connectorConfig);
      expect(cfg.webhookSecret).toBe('s3cret-of-16-chars');
      for (let i = 0; i < 100 && hook.received.length < 3; i++) await sleep(20);
      expect(hook.received.length).toBeGreaterThanOrEqual(3);
      const pushedIds = hook.received.flatMap((r) => ids('incidents', police.push!.receive(cfg, r).records));
      expect(new Set(pushedIds).size).toBe(pushedIds.length);
      expect(pushedIds).toEqual(live.pushed.slice(0, pushedIds.length));

      hook.status = 503;
      await expect(live.pushIncident()).rejects.toThrow(/503/);
      expect(live.pushStats.failed).toBeGreaterThanOrEqual(1);
      expect(live.pushStats.lastError).toContain(hook.url);
      const all = await readAll(police, cfg, 'incidents', null);
      const registered = ids('incidents', all.records);
      expect(registered.length).toBeGreaterThanOrEqual(incidents.length + live.pushed.length);
      for (const id of live.pushed) expect(registered).toContain(id);
    } finally {
      await live.stop();
      await hook.stop();
    }
  });

  test('with malformedRate, pushed incidents are broken inside a well-formed, well-signed body', async () => {
    sim.faults.set({ malformedRate: 1 });
    try {
      const before = webhook.received.length;
      for (let i = 0; i < 6; i++) await sim.pushIncident();
      let unparsable = 0;
      let failed = 0;
      for (const request of webhook.received.slice(before)) {
        const { records } = police.push!.receive(config, request);
        expect(records).toHaveLength(1);
        const r = records[0]!;
        if ('unparsable' in r) {
          unparsable++;
          continue;
        }
        expect(() => police.map('incidents', r.data)).toThrow(MappingError);
        failed++;
      }
      expect(unparsable + failed).toBe(6);
    } finally {
      sim.faults.set({ malformedRate: 0 });
    }
    // The register keeps them intact.
    const pulled = await readAll(police, config, 'incidents', cursors.incidents);
    expect(ids('incidents', pulled.records)).toEqual(sim.pushed.slice(-6));
    for (const r of data(pulled.records)) police.map('incidents', r);
    cursors.incidents = pulled.cursor;
  });

  test('an outage is SourceUnavailable, a slow answer a timeout, a rate limit RateLimited with retryAfterMs', async () => {
    try {
      sim.faults.set({ down: true });
      await expect(readAll(police, config, 'incidents', null)).rejects.toThrow(SourceUnavailable);
      await expect(readAll(police, config, 'residence_registrations', cursors.residence_registrations)).rejects.toThrow(/503/);
      const check = await police.check(config, testContext());
      expect(check.ok).toBe(false);
      expect(check.message).toContain(sim.endpoint);
      expect(check.message).toContain('503');

      sim.faults.set({ down: false, latencyMs: 400 });
      await expect(readAll(police, config, 'incidents', null, testContext(undefined, 100))).rejects.toThrow(SourceUnavailable);
      await expect(readAll(police, config, 'incidents', null, testContext(undefined, 100))).rejects.toThrow(/no answer within 100 ms|TimeoutError/);

      sim.faults.set({ latencyMs: 0, rateLimitPerSecond: 1 });
      const error = await readAll(police, { ...config, pageSize: 20 }, 'residence_registrations', null).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimited);
      expect((error as RateLimited).retryAfterMs).toBeGreaterThan(0);
    } finally {
      sim.faults.set({ down: false, latencyMs: 0, rateLimitPerSecond: null });
    }
    await sleep(400); // let the slow answers drain
    await expect(readAll(police, config, 'incidents', { phase: 'sideways' })).rejects.toThrow(SourceError);
  });

  test('malformed records come out as unparsable records or MappingErrors, never a failed read', async () => {
    sim.faults.set({ malformedRate: 0.2 });
    try {
      const result = await readAll(police, { ...config, pageSize: 100 }, 'residence_registrations', null);
      const full = result.records.slice(0, registrations.length);
      expect(full).toHaveLength(registrations.length);
      const unparsable = full.filter((r) => 'unparsable' in r);
      expect(unparsable.length).toBeGreaterThan(5);
      for (const u of unparsable) if ('unparsable' in u) expect(u.reason).toMatch(/^not valid JSON: /);
      expect(unparsable.some((u) => 'sourceId' in u && typeof u.sourceId === 'string' && u.sourceId.startsWith('JZ'))).toBe(true);
      let failed = 0;
      let ok = 0;
      for (const r of full) {
        if (!('data' in r)) continue;
        try {
          police.map('residence_registrations', r.data);
          ok++;
        } catch (error) {
          expect(error).toBeInstanceOf(MappingError);
          expect((error as Error).message).toMatch(/must be text|is missing|must be 男 or 女|must be 有效 or 注销/);
          failed++;
        }
      }
      expect(failed).toBeGreaterThan(3);
      expect(ok + failed + unparsable.length).toBe(registrations.length);
    } finally {
      sim.faults.set({ malformedRate: 0 });
    }
  });

  test('check on a stopped service fails with a message naming it', async () => {
    const other = await startPoliceSimulator({ dataDir: dir });
    const cfg = police.spec.config.parse(other.connectorConfig);
    await other.stop();
    const check = await police.check(cfg, testContext());
    expect(check.ok).toBe(false);
    expect(check.message).toContain(other.endpoint);
    expect(check.message).toMatch(/connection refused|fetch failed/);
    expect(check.message).toContain('Check that the service is running');
    await expect(readAll(police, cfg, 'incidents', null)).rejects.toThrow(SourceUnavailable);
  });
});

function gxsjToMs(gxsj: string): number {
  return Date.parse(`${gxsj.slice(0, 4)}-${gxsj.slice(4, 6)}-${gxsj.slice(6, 8)}T${gxsj.slice(8, 10)}:${gxsj.slice(10, 12)}:${gxsj.slice(12, 14)}+08:00`);
}

connectorConformance({
  connector: police,
  start: (dataDir) => startPoliceSimulator({ dataDir, seed: 14, incidentIntervalMs: 0 }),
  badDate: (_stream, r) => ({ ...r, gxsj: '20261345250000' }),
});
