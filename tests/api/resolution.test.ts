/**
 * Review and correction of entity resolution over HTTP GraphQL: link evidence, the review
 * queue, confirm and reject (kept by later syncs and `resolve --all`), merge and split, the
 * refusals, resolvePerson, and what subscribers and the audit trail see of it. The store is
 * built by hand through the ingest path: three departments, a handful of people.
 */
import { describeEachDatabase } from '../support/databases.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { LiveSubscriber, waitFor } from '../support/live.js';
import { createIngestStore, type IngestStore, type MappedInput } from '../../src/store/ingest/index.js';
import { loadPlaces } from '../../src/store/ingest/places.js';
import { Resolver } from '../../src/resolution/index.js';
import { resolveAll } from '../../src/resolution/rerun.js';
import { isValidResidentId, makeResidentId } from '../../src/domain/idNumber.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';
import type { MappedRecord, PersonFacts, Authority } from '../../src/connectors/sdk/contract.js';
import type { Database } from '../../src/store/db.js';

const id1 = makeResidentId('330110', '1980-01-01', 1);
const id2 = makeResidentId('330110', '1975-05-05', 2);
const id4 = makeResidentId('330110', '1990-03-03', 4);

const person = (sourceId: string, authority: Authority, idNumber: string | null, facts: PersonFacts): MappedRecord => ({
  sourceId, subject: { kind: 'person', authority, idNumber, facts },
});

/** One slip in the first 17 digits: no longer passes its check digit. */
function mistyped(id: string): string {
  for (let i = 16; i >= 6; i--) {
    const d = (Number(id[i]) + 1) % 10;
    const broken = `${id.slice(0, i)}${d}${id.slice(i + 1)}`;
    if (!isValidResidentId(broken)) return broken;
  }
  throw new Error('no invalid neighbour');
}

const g = toGlobalId;
const dbIdOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1]!;

const QUEUE = `query($after: String) { matchReviewQueue(entityType: PERSON, first: 10, after: $after) {
  totalCount edges { cursor node { id role score status evidence { field agreement weight } record { id sourceId department { name } linked link { method } }
    candidate { id ... on Person { name idNumber } } } } pageInfo { hasNextPage endCursor } } }`;
const RECORDS = `query($id: ID!) { node(id: $id) { id ... on Person { name records { id sourceId role linked link { method score evidence { field agreement weight } } } } } }`;

describeEachDatabase('review and correction of entity resolution', ({ open }) => {
  let db: Database;
  let t: TestHub;
  let store: IngestStore;
  const departments: Record<string, string> = {};
  let steward: string;

  const commit = async (department: string, stream: string, records: MappedRecord[]) => {
    const mapped: MappedInput[] = records.map((m) => ({ mapped: m, payload: JSON.stringify(m) }));
    return store.commit({ departmentId: departments[department]!, stream, fetchedAt: new Date(), records: mapped, deadLetters: [], cursor: null });
  };
  const personOfRecord = async (sourceId: string) => {
    const row = await db.knex('source_record').where('source_id', sourceId).first('entity_id', 'link_method');
    return { entityId: row.entity_id === null ? null : String(row.entity_id), method: row.link_method as string | null };
  };
  const personIdByNumber = async (idNumber: string) => String((await db.knex('person').where('id_number', idNumber).first('id')).id);
  const stewardGql = (query: string, variables: Record<string, unknown> = {}) => t.gql(query, variables, { token: steward });

  beforeAll(async () => {
    db = await open();
    store = createIngestStore(db);
    for (const [name, displayName] of [['population', '人口库'], ['police', '公安'], ['social', '民政']] as const) {
      departments[name] = (await store.ensureDepartment({ name, displayName, version: '1' })).id;
    }
    await commit('population', 'residents', [
      person('POP-1', 'master', id1, { name: '张伟明', sex: 'male', birthDate: '1980-01-01', phone: '13800000001', residenceType: 'hukou' }),
      person('POP-2', 'master', id2, { name: '李秀英', sex: 'female', birthDate: '1975-05-05', phone: '13900000002', residenceType: 'hukou' }),
      person('POP-4', 'master', id4, { name: '王芳', sex: 'female', birthDate: '1990-03-03', phone: '13700000004', residenceType: 'hukou' }),
    ]);
    await commit('police', 'residents', [
      // The same name, birth date and phone, no ID number: linked by the model.
      person('POL-A', 'reference', null, { name: '张伟明', sex: 'male', birthDate: '1980-01-01', phone: '13800000001' }),
      // A floating resident registered without an ID number: a person of her own.
      person('POL-W', 'registry', null, { name: '王芳', sex: 'female', birthDate: '1991-08-08', phone: '13600000009' }),
    ]);
    await commit('social', 'special_groups', [
      // The name and the birth year only: for a person to look at.
      person('SOC-R', 'reference', null, { name: '张伟明', sex: 'male', birthDate: '1980-07-15' }),
      person('SOC-S', 'reference', null, { name: '张伟明', sex: 'male', birthDate: '1980-11-20' }),
    ]);
    t = await startTestHub(db);
    steward = await t.token({ role: 'data-steward', subject: 'steward-1', name: '数据专员' });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await db?.close();
  });

  test('a record shows how it was linked: method, score and evidence', async () => {
    const p1 = await personIdByNumber(id1);
    const res = await stewardGql(RECORDS, { id: g('Person', p1) });
    expect(res.errors).toBeUndefined();
    const records = res.data!.node.records as Array<{ sourceId: string; linked: boolean; link: { method: string; score: number; evidence: Array<{ field: string; agreement: string; weight: number }> } }>;
    const byKey = records.find((r) => r.sourceId === 'POP-1')!;
    expect(byKey.link.method).toBe('KEY');
    expect(byKey.link.score).toBe(1);
    const model = records.find((r) => r.sourceId === 'POL-A')!;
    expect(model.linked).toBe(true);
    expect(model.link.method).toBe('PROBABILISTIC');
    expect(model.link.score).toBeGreaterThanOrEqual(0.99);
    expect(model.link.evidence.map((e) => `${e.field}:${e.agreement}`)).toEqual(expect.arrayContaining(['name:exact', 'birthDate:exact', 'phone:exact']));
    for (const e of model.link.evidence) expect(typeof e.weight).toBe('number');
    // Unlinked records have no link.
    const unlinked = await db.knex('source_record').where('source_id', 'SOC-R').first('id');
    const node = await stewardGql(`query($id: ID!) { node(id: $id) { ... on SourceRecord { linked link { method } } } }`, { id: g('SourceRecord', String(unlinked.id)) });
    expect(node.data!.node).toEqual({ linked: false, link: null });
  });

  test('the review queue lists pending candidates best first; confirm links the record, and later syncs and resolve --all keep it', async () => {
    const p1 = await personIdByNumber(id1);
    const queue = await stewardGql(QUEUE);
    expect(queue.errors).toBeUndefined();
    const edges = queue.data!.matchReviewQueue.edges as Array<{ node: any }>;
    expect(queue.data!.matchReviewQueue.totalCount).toBe(edges.length);
    const sources = edges.map((e) => e.node.record.sourceId);
    expect(sources).toEqual(expect.arrayContaining(['SOC-R', 'SOC-S']));
    const scores = edges.map((e) => e.node.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const r = edges.find((e) => e.node.record.sourceId === 'SOC-R')!.node;
    expect(r).toMatchObject({ role: 'SUBJECT', status: 'PENDING', candidate: { id: g('Person', p1), name: '张伟明', idNumber: id1 }, record: { linked: false, link: null } });
    expect(r.evidence.map((e: { field: string }) => e.field)).toContain('name');
    // Pages follow the same order.
    const first = await stewardGql(QUEUE.replace('first: 10', 'first: 1'));
    const second = await stewardGql(QUEUE.replace('first: 10', 'first: 1'), { after: first.data!.matchReviewQueue.pageInfo.endCursor });
    expect(second.data!.matchReviewQueue.edges[0].node.id).toBe(edges[1]!.node.id);

    const confirmed = await stewardGql(`mutation($id: ID!) { confirmMatch(candidateId: $id, note: "同一人: 生日录入有误") {
      candidate { id status record { linked link { method score } } } entity { id } } }`, { id: r.id });
    expect(confirmed.errors).toBeUndefined();
    expect(confirmed.data!.confirmMatch).toEqual({ candidate: { id: r.id, status: 'CONFIRMED', record: { linked: true, link: { method: 'HUMAN', score: 1 } } }, entity: { id: g('Person', p1) } });
    expect(await personOfRecord('SOC-R')).toEqual({ entityId: p1, method: 'human' });
    const decision = await db.knex('match_decision').where({ decision: 'link', entity_id: p1 }).orderBy('id', 'desc').first();
    expect(decision).toMatchObject({ actor: '数据专员', role: 'data-steward', note: '同一人: 生日录入有误', mention_index: null });
    // Twice is refused.
    const again = await stewardGql(`mutation($id: ID!) { confirmMatch(candidateId: $id) { candidate { id } } }`, { id: r.id });
    expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    // The department changes the record: it is resolved again, and the decision holds.
    await commit('social', 'special_groups', [person('SOC-R', 'reference', null, { name: '张伟明', sex: 'male', birthDate: '1980-07-15', phone: '13511112222' })]);
    expect(await personOfRecord('SOC-R')).toEqual({ entityId: p1, method: 'human' });
    const places = await loadPlaces(db.knex);
    await resolveAll(db.knex, places, new Resolver(), { estimate: false });
    expect(await personOfRecord('SOC-R')).toEqual({ entityId: p1, method: 'human' });
    expect(await personOfRecord('POL-A')).toMatchObject({ entityId: p1 });
  }, 60_000);

  test('reject: the candidate is never proposed for that record again', async () => {
    const p1 = await personIdByNumber(id1);
    const queue = await stewardGql(QUEUE);
    const s = (queue.data!.matchReviewQueue.edges as Array<{ node: any }>).find((e) => e.node.record.sourceId === 'SOC-S')!.node;
    const rejected = await stewardGql(`mutation($id: ID!) { rejectMatch(candidateId: $id, note: "不是同一人") { candidate { status } } }`, { id: s.id });
    expect(rejected.errors).toBeUndefined();
    expect(rejected.data!.rejectMatch.candidate.status).toBe('REJECTED');
    const socS = String((await db.knex('source_record').where('source_id', 'SOC-S').first('id')).id);
    expect(await db.knex('match_decision').where({ decision: 'no_link', entity_id: p1, source_record_id: socS }).first()).toMatchObject({ note: '不是同一人', role: 'data-steward' });
    await commit('social', 'special_groups', [person('SOC-S', 'reference', null, { name: '张伟明', sex: 'male', birthDate: '1980-11-20', phone: '13533334444' })]);
    const record = await db.knex('source_record').where('source_id', 'SOC-S').first('id', 'entity_id');
    expect(record.entity_id).toBeNull();
    const pending = await db.knex('match_candidate').where({ source_record_id: record.id, status: 'pending', candidate_id: p1 });
    expect(pending).toHaveLength(0);
  });

  test('merge: two ids of one person become one, the old id answers with the survivor; split takes the records back out', async () => {
    const p4 = await personIdByNumber(id4);
    const p3 = (await personOfRecord('POL-W')).entityId!;
    expect(p3).not.toBe(p4);
    const subscriber = new LiveSubscriber(t.hub.url, steward, `subscription { entityChanged { entityType change entity { ... on Person { id name } } } }`);
    await waitFor('the subscription to join', () => t.hub.live.stats().subscribers > 0);
    try {
      const merged = await stewardGql(`mutation Merge($s: ID!, $m: ID!) { mergeEntities(survivor: $s, merged: $m, note: "同一人, 公安登记无身份证号") { entity { id ... on Person { name idNumber records { sourceId } } } } }`,
        { s: g('Person', p4), m: g('Person', p3) });
      expect(merged.errors).toBeUndefined();
      expect(merged.data!.mergeEntities.entity.id).toBe(g('Person', p4));
      expect(merged.data!.mergeEntities.entity.records.map((r: { sourceId: string }) => r.sourceId).sort()).toEqual(['POL-W', 'POP-4']);
      // Earlier syncs' changes may come first (this test's ingest store announces on no bus): wait for the merge's.
      await waitFor('the merge to reach the subscriber', () => subscriber.messages.some((m) => m.data?.entityChanged?.entity?.id === g('Person', p4)));
      expect(subscriber.messages.find((m) => m.data?.entityChanged?.entity?.id === g('Person', p4))!.data.entityChanged).toMatchObject({ entityType: 'PERSON', change: 'UPDATED' });
    } finally {
      await subscriber.dispose();
    }
    expect(await db.knex('person').where('id', p3)).toHaveLength(0);
    expect(await db.knex('entity_alias').where({ entity_type: 'person', merged_id: p3 }).first()).toMatchObject({ survivor_id: p4 });
    const events = await db.knex('change_event').where('entity_type', 'person').whereIn('entity_id', [p3, p4]).orderBy('id', 'desc').limit(2).pluck('entity_id');
    expect(events.map(String).sort()).toEqual([p3, p4].sort());
    await t.hub.audit.flush();
    const audited = await db.knex('audit_log').where({ operation: 'Merge', role: 'data-steward' }).pluck('person_ids');
    expect(audited.flat().map(String)).toEqual(expect.arrayContaining([p3, p4]));

    // The merged-away id resolves to the survivor, by node(id) and person(id).
    const old = await stewardGql(`query($id: ID!) { node(id: $id) { id } person(id: $id) { id name } }`, { id: g('Person', p3) });
    expect(old.data).toEqual({ node: { id: g('Person', p4) }, person: { id: g('Person', p4), name: '王芳' } });
    // A later sync of the police record keeps it on the survivor.
    await commit('police', 'residents', [person('POL-W', 'registry', null, { name: '王芳', sex: 'female', birthDate: '1991-08-08', phone: '13600000010' })]);
    expect(await personOfRecord('POL-W')).toEqual({ entityId: p4, method: 'human' });

    // Split the police record back out: two people again, each with their own records.
    const polW = String((await db.knex('source_record').where('source_id', 'POL-W').first('id')).id);
    const split = await stewardGql(`mutation($id: ID!, $records: [ID!]!) { splitEntity(id: $id, records: $records, note: "生日不同, 是两个人") {
      entity { id ... on Person { records { sourceId } } } created { id ... on Person { name birthDate records { sourceId link { method } } } } } }`,
    { id: g('Person', p4), records: [g('SourceRecord', polW)] });
    expect(split.errors).toBeUndefined();
    const { entity, created } = split.data!.splitEntity;
    expect(entity.records.map((r: { sourceId: string }) => r.sourceId)).toEqual(['POP-4']);
    expect(created).toMatchObject({ name: '王芳', birthDate: '1991-08-08', records: [{ sourceId: 'POL-W', link: { method: 'HUMAN' } }] });
    expect(created.id).not.toBe(g('Person', p4));
    const p5 = dbIdOf(created.id);
    expect(await db.knex('match_decision').where({ decision: 'split', entity_id: p4, other_entity_id: p5 })).toHaveLength(1);
    const keysOf = async (id: string) => {
      const rows: Array<{ profile: { bd?: string[] } }> = await db.knex('resolution_profile').where({ entity_type: 'person', entity_id: id }).select('profile');
      return [...(rows[0]?.profile.bd ?? [])].sort();
    };
    expect(await keysOf(p4)).toEqual(['1990-03-03']);
    expect(await keysOf(p5)).toEqual(['1991-08-08']);
    // A later sync keeps the split.
    await commit('police', 'residents', [person('POL-W', 'registry', null, { name: '王芳', sex: 'female', birthDate: '1991-08-08', phone: '13600000011' })]);
    expect(await personOfRecord('POL-W')).toEqual({ entityId: p5, method: 'human' });

    // Nothing left, or records not about the person: refused.
    const all = await stewardGql(`mutation($id: ID!, $records: [ID!]!) { splitEntity(id: $id, records: $records) { created { id } } }`,
      { id: created.id, records: [g('SourceRecord', polW)] });
    expect(all.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const pop1 = String((await db.knex('source_record').where('source_id', 'POP-1').first('id')).id);
    const stray = await stewardGql(`mutation($id: ID!, $records: [ID!]!) { splitEntity(id: $id, records: $records) { created { id } } }`,
      { id: g('Person', p4), records: [g('SourceRecord', pop1)] });
    expect(stray.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  }, 60_000);

  test('merging two people with different valid ID numbers, an entity with itself, or an unknown id is refused', async () => {
    const [p1, p2] = [await personIdByNumber(id1), await personIdByNumber(id2)];
    const MERGE = `mutation($s: ID!, $m: ID!) { mergeEntities(survivor: $s, merged: $m) { entity { id } } }`;
    const conflicting = await stewardGql(MERGE, { s: g('Person', p1), m: g('Person', p2) });
    expect(conflicting.errors?.[0]?.extensions?.code).toBe('CONFLICTING_KEYS');
    expect(conflicting.errors?.[0]?.message).toMatch(/different ID numbers/);
    expect(await db.knex('person').whereIn('id', [p1, p2])).toHaveLength(2);
    expect((await stewardGql(MERGE, { s: g('Person', p1), m: g('Person', p1) })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await stewardGql(MERGE, { s: g('Person', p1), m: g('Person', '999999') })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await stewardGql(MERGE, { s: g('Person', p1), m: g('Building', '1') })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('resolvePerson finds the person by name and phone, and by a mistyped ID number', async () => {
    const p1 = await personIdByNumber(id1);
    const RESOLVE = `query($input: ResolvePersonInput!) { resolvePerson(input: $input) { person { id name idNumber phone } score evidence { field agreement } } }`;
    const byNamePhone = await stewardGql(RESOLVE, { input: { name: '张伟明', phone: '13800000001' } });
    expect(byNamePhone.errors).toBeUndefined();
    expect(byNamePhone.data!.resolvePerson[0]).toMatchObject({ person: { id: g('Person', p1), idNumber: id1 } });
    expect(byNamePhone.data!.resolvePerson[0].score).toBeGreaterThan(0.9);
    const byTypo = await stewardGql(RESOLVE, { input: { idNumber: mistyped(id1) } });
    expect(byTypo.data!.resolvePerson[0]).toMatchObject({ person: { id: g('Person', p1) }, evidence: expect.arrayContaining([{ field: 'idNumber', agreement: 'slip' }]) });
    // Masked as the role requires.
    const fire = await t.gql(RESOLVE, { input: { name: '张伟明', phone: '13800000001' } }, { token: await t.token({ role: 'fire', department: 'fire' }) });
    expect(fire.data!.resolvePerson[0].person.idNumber).toBe(`${id1.slice(0, 6)}********${id1.slice(-4)}`);
    expect(fire.data!.resolvePerson[0].person.phone).toBe('138****0001');
    const empty = await stewardGql(RESOLVE, { input: {} });
    expect(empty.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
