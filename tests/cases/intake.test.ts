/**
 * Cases from department systems: a live 110 call pushed to the police webhook and fire hazards
 * past their rectification deadline become cases once each, placed where the records say;
 * records that call for no case (a call the police closed, a hazard still within its deadline)
 * do not, until they do.
 */
import { describeEachDatabase } from '../support/databases.js';
import { worldHubFixture } from '../support/hub.js';
import { ManualClock } from '../../src/domain/clock.js';
import police from '../../src/connectors/police/index.js';
import fire from '../../src/connectors/fire/index.js';
import { configure, mapRecords } from '../../src/sync/runner.js';
import { ingestPush } from '../../src/sync/push.js';
import { createIngestStore, type IngestStore } from '../../src/store/ingest/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { signedHeaders } from '../../src/simulators/police/index.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';
import type { ConfiguredConnector } from '../../src/sync/runner.js';

const SECRET = 'intake-test-secret';
const log = createLogger('silent');
// 2026-11-30 10:00 in Beijing.
const NOW = '2026-11-30T02:00:00.000Z';
const clock = new ManualClock(NOW);

describeEachDatabase('case intake from department records', ({ openWorld }) => {
  let store: IngestStore;
  let policeConnector: ConfiguredConnector;
  const fx = worldHubFixture({ openWorld }, {
    clock,
    webhooks: async (_name, request) => ({ ...(await ingestPush(store, policeConnector, request, log)) }),
  });

  /** The last case before the tests push anything: the world's history and what its synced records became. */
  let lastWorldCase = 0;
  beforeAll(async () => {
    store = createIngestStore(fx.db);
    policeConnector = configure(police, { baseUrl: 'http://127.0.0.1:9/', webhookSecret: SECRET });
    // The synced 110 calls and hazards become cases at the times the tests tick at; taken in
    // first, so each test sees only what its own records make.
    for (const at of [NOW, '2026-12-06T02:00:00.000Z']) {
      clock.set(at);
      await fx.t.hub.caseWatcher.runNow();
    }
    lastWorldCase = Number((await fx.db.knex('case').max({ id: 'id' }).first())!.id ?? 0);
  });

  const push = async (incidents: object[]) => {
    const body = JSON.stringify({ incidents });
    const res = await fetch(fx.t.hub.url.replace('/graphql', '/webhooks/police'), {
      method: 'POST', headers: { 'content-type': 'application/json', ...signedHeaders(body, SECRET) }, body,
    });
    expect(res.status).toBeLessThan(300);
  };
  const casesFrom = (channel: string) => fx.db.knex('case').where('channel', channel).whereIn('category', ['police.incident', 'fire.hazard']).where('id', '>', lastWorldCase).orderBy('id');

  test('a live 110 call becomes one case at its building; calls the police closed, or long past, do not', async () => {
    clock.set(NOW);
    const b = await fx.db.knex('building').join('address', 'address.id', 'building.address_id').orderBy('building.id').offset(40)
      .first('building.*', 'address.text as address_text');
    const call = (jjdbh: string, cjjg: string, bjsj: string) => ({
      jjdbh, bjsj, bjrxm: '陈先生', bjrdh: '13900002222', afdd: b.address_text, jqlb: '宠物蟒蛇出逃', jyaq: '报警人称家中宠物蟒蛇逃出，疑藏于楼道。',
      jd: b.lng, wd: b.lat, cjdw: '良渚派出所', cjjg, gxsj: bjsj,
    });
    await push([
      call('JJ202611300000001', '移交社区', '20261130095500'),
      call('JJ202611300000002', '已处理', '20261130095600'),
      call('JJ202611300000004', '处警中', '20261130095700'),
      call('JJ202611010000003', '移交社区', '20261101095600'),
    ]);
    const { created } = await fx.t.hub.caseWatcher.runNow();
    expect(created).toHaveLength(1);
    const [c] = await casesFrom('police_110');
    expect(c).toMatchObject({ category: 'police.incident', urgency: 'normal', status: 'reported', building_id: b.id, grid_id: b.grid_id, level: 'grid' });
    expect(new Date(c.reported_at).toISOString()).toBe('2026-11-30T01:55:00.000Z');
    const source = await fx.db.knex('case_source').join('source_record', 'source_record.id', 'case_source.source_record_id').where('case_source.case_id', c.id).first('source_record.source_id');
    expect(source.source_id).toBe('JJ202611300000001');

    // The same call pushed again, a pull that brings it back, another tick: still one case.
    await push([call('JJ202611300000001', '移交社区', '20261130095500')]);
    expect((await fx.t.hub.caseWatcher.runNow()).created).toEqual([]);
    expect(await casesFrom('police_110')).toHaveLength(1);

    const { data } = await fx.t.gql(`query($id: ID!) { case(id: $id) { channel history { type actor actorRole note } } }`, { id: toGlobalId('Case', String(c.id)) });
    expect(data!.case.channel).toBe('POLICE_110');
    expect(data!.case.history).toEqual([{ type: 'REPORTED', actor: 'system', actorRole: 'system', note: '110 接警单 JJ202611300000001，处警结果：移交社区' }]);
  });

  test('a fire hazard past its rectification deadline becomes a case about its enterprise; one within it does when the deadline passes', async () => {
    clock.set(NOW);
    const e = await fx.db.knex('enterprise').whereNotNull('credit_code').whereNotNull('building_id').orderBy('id').first();
    // Where the enterprise is, as the fire department writes it: its building's address.
    const address = (await fx.db.knex('building').join('address', 'address.id', 'building.address_id').where('building.id', e.building_id).first('address.text')).text;
    const department = await store.ensureDepartment(fire.spec);
    const commit = async (stream: string, data: object[]) => {
      const { mapped, dead } = mapRecords(fire, stream, data.map((d) => ({ data: d })));
      expect(dead).toEqual([]);
      await store.commit({ departmentId: department.id, stream, fetchedAt: clock.now(), records: mapped, deadLetters: [], cursor: null });
    };
    await commit('inspections', [{
      inspection_no: 'XJ-2026-0901', target_type: '单位', target_name: e.name, credit_code: e.credit_code, address, inspected_on: '2026-11-01',
      inspector: '王队', result: '发现隐患', hazard_count: '3', updated_at: '2026-11-01T10:00:00+08:00',
    }]);
    const hazard = (no: string, status: string, deadline: string) => ({
      hazard_no: no, inspection_no: 'XJ-2026-0901', target_type: '单位', target_name: e.name, address, hazard_type: '疏散通道堵塞',
      description: '安全出口被货物堵塞', found_on: '2026-11-01', rectification_deadline: deadline, status, rectified_on: status === '已整改' ? '2026-11-10' : null,
      updated_at: '2026-11-20T10:00:00+08:00',
    });
    await commit('hazards', [
      hazard('YH-0001', '逾期未整改', '2026-11-15'),
      hazard('YH-0002', '整改中', '2026-11-20'),
      hazard('YH-0003', '整改中', '2026-12-05'),
      hazard('YH-0004', '已整改', '2026-11-15'),
    ]);
    expect((await fx.t.hub.caseWatcher.runNow()).created).toHaveLength(2);
    let cases = await casesFrom('connector');
    expect(cases.map((c: any) => [c.category, c.building_id])).toEqual([['fire.hazard', e.building_id], ['fire.hazard', e.building_id]]);
    const linked = await fx.db.knex('case_enterprise').whereIn('case_id', cases.map((c: any) => c.id)).pluck('enterprise_id');
    expect(linked.map(String)).toEqual([String(e.id), String(e.id)]);

    // A later sync of the same hazards creates nothing new; the third's deadline passing does.
    await commit('hazards', [hazard('YH-0001', '逾期未整改', '2026-11-15'), hazard('YH-0002', '逾期未整改', '2026-11-20')]);
    expect((await fx.t.hub.caseWatcher.runNow()).created).toEqual([]);
    clock.set('2026-12-06T02:00:00.000Z');
    expect((await fx.t.hub.caseWatcher.runNow()).created).toHaveLength(1);
    cases = await casesFrom('connector');
    expect(cases).toHaveLength(3);
    const { data } = await fx.t.gql(`query($id: ID!) { case(id: $id) { title enterprises { name } } }`, { id: toGlobalId('Case', String(cases[2].id)) });
    expect(data!.case).toEqual({ title: `消防隐患逾期未整改：疏散通道堵塞（${e.name}）`, enterprises: [{ name: e.name }] });
  });
});
