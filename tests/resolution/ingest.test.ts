/**
 * Resolution on the ingest path, batch by batch, on both stores: who links to whom, how, and
 * what never happens (two valid ID numbers merged, a twin picked at random, a person's decision
 * overridden), then `resolve --all` run twice over what is stored.
 */
import { describeEachDatabase } from '../support/databases.js';
import { createIngestStore, type DepartmentRef, type IngestStore } from '../../src/store/ingest/index.js';
import type { MappedRecord, PersonRef } from '../../src/connectors/sdk/index.js';
import { makeResidentId } from '../../src/domain/idNumber.js';
import { loadPlaces } from '../../src/store/ingest/places.js';
import { Resolver } from '../../src/resolution/index.js';
import { resolveAll } from '../../src/resolution/rerun.js';
import type { Database } from '../../src/store/db.js';
import { loadDocuments } from '../../src/search/documents.js';
import { loadSearchContext } from '../../src/search/context.js';

const id = (seq: number, birth = '1986-05-10') => makeResidentId('330110', birth, seq);
const person = (authority: PersonRef['authority'], idNumber: string | null, facts: PersonRef['facts']): PersonRef => ({ kind: 'person', authority, idNumber, facts });
/** A row as the test reads it: knex's rows are untyped. */
const row = async <T>(query: PromiseLike<unknown>): Promise<T> => (await query) as T;
const mistype = (valid: string, pos = 15) => valid.slice(0, pos) + String((Number(valid[pos]) + 4) % 10) + valid.slice(pos + 1);

describeEachDatabase('entity resolution on ingest', ({ open }) => {
  let db: Database;
  let store: IngestStore;
  let population: DepartmentRef;
  let police: DepartmentRef;
  let social: DepartmentRef;
  let n = 0;

  const commit = (department: DepartmentRef, stream: string, records: MappedRecord[]) => store.commit({
    departmentId: department.id, stream, fetchedAt: new Date(), cursor: null, deadLetters: [],
    records: records.map((mapped) => ({ mapped, payload: JSON.stringify({ ...mapped, n: n++ }) })),
  });
  const subjectOf = (department: DepartmentRef, sourceId: string) => row<{ id: string; entity_id: string | null; link_method: string | null; link_evidence: unknown }>(
    db.knex('source_record').where({ department_id: department.id, source_id: sourceId }).first('id', 'entity_id', 'link_method', 'link_evidence'));
  const mentionOf = (department: DepartmentRef, sourceId: string) => row<{ entity_id: string | null; link_method: string | null; link_evidence: unknown }>(
    db.knex('source_link as l').join('source_record as s', 's.id', 'l.source_record_id').where({ 's.department_id': department.id, 's.source_id': sourceId })
      .first('l.entity_id', 'l.link_method', 'l.link_evidence'));
  const personId = async (idNumber: string) => String((await row<{ id: string }>(db.knex('person').where('id_number', idNumber).first('id'))).id);
  const evidenceFields = (e: unknown) => ((typeof e === 'string' ? JSON.parse(e) : e) as Array<{ field: string }>).map((x) => x.field);

  beforeEach(async () => {
    db = await open();
    store = createIngestStore(db);
    population = await store.ensureDepartment({ name: 'population', displayName: 'population', version: '1' });
    police = await store.ensureDepartment({ name: 'police', displayName: 'police', version: '1' });
    social = await store.ensureDepartment({ name: 'social', displayName: 'social', version: '1' });
    await commit(population, 'residents', [
      { sourceId: 'R1', subject: person('master', id(161), { name: '张伟', sex: 'male', birthDate: '1986-05-10', phone: '13912345678', householdNumber: 'H1' }) },
      { sourceId: 'R2', subject: person('master', id(262, '1990-03-02'), { name: '李 娜', sex: 'female', birthDate: '1990-03-02', phone: '13800001111' }) },
    ]);
  });
  afterEach(() => db.close());

  test('a 110 caller known by name and phone links to the registered person, with its evidence, and the person is told it changed', async () => {
    const before = Number((await row<Array<{ m: unknown }>>(db.knex('change_event').max({ m: 'id' })))[0]?.m);
    await commit(police, 'incidents', [{ sourceId: 'JJ1', subject: null, mentions: [{ role: 'reporter', ref: person('reference', null, { name: '张伟', phone: '139 1234 5678' }) }] }]);
    const m = await mentionOf(police, 'JJ1');
    expect(m.entity_id).toBe(await personId(id(161)));
    expect(m.link_method).toBe('probabilistic');
    expect(evidenceFields(m.link_evidence)).toEqual(expect.arrayContaining(['name', 'phone']));
    const events = await db.knex('change_event').where('id', '>', before).select('entity_type', 'entity_id');
    expect(events).toContainEqual({ entity_type: 'person', entity_id: m.entity_id });
  });

  test('a mistyped ID number is recovered when the name and birth date agree, and not when the name differs', async () => {
    await commit(social, 'special_groups', [
      { sourceId: 'S1', subject: person('reference', mistype(id(161)), { name: '张伟', birthDate: '1986-05-10' }) },
      { sourceId: 'S2', subject: person('reference', mistype(id(161)), { name: '王强', birthDate: '1986-05-10' }) },
    ]);
    const s1 = await subjectOf(social, 'S1');
    expect([s1.entity_id, s1.link_method]).toEqual([await personId(id(161)), 'recovered_key']);
    expect((await subjectOf(social, 'S2')).entity_id).toBeNull();
  });

  test('two people with different valid ID numbers never merge, whatever else agrees', async () => {
    await commit(police, 'residence_registrations', [
      { sourceId: 'J1', subject: person('registry', id(163), { name: '张伟', sex: 'male', birthDate: '1986-05-10', phone: '13912345678' }) },
    ]);
    const j1 = await subjectOf(police, 'J1');
    expect(j1.entity_id).not.toBeNull();
    expect(j1.entity_id).not.toBe(await personId(id(161)));
    expect(Number((await row<Array<{ n: unknown }>>(db.knex('person').where('name', '张伟').count({ n: '*' })))[0]?.n)).toBe(2);
  });

  test('twins: a record that fits two people alike goes to review, linked to neither', async () => {
    await commit(population, 'residents', [
      { sourceId: 'R3', subject: person('master', id(171, '2015-07-01'), { name: '王一诺', sex: 'female', birthDate: '2015-07-01', householdNumber: 'H9' }) },
      { sourceId: 'R4', subject: person('master', id(173, '2015-07-01'), { name: '王一诺', sex: 'female', birthDate: '2015-07-01', householdNumber: 'H9' }) },
    ]);
    await commit(social, 'special_groups', [{ sourceId: 'S9', subject: person('reference', null, { name: '王一诺', birthDate: '2015-07-01', householdNumber: 'H9' }) }]);
    const s9 = await subjectOf(social, 'S9');
    expect(s9.entity_id).toBeNull();
    const queued = await row<Array<{ candidate_id: string }>>(db.knex('match_candidate').where({ source_record_id: s9.id, status: 'pending' }).select('candidate_id'));
    expect(queued.map((q) => String(q.candidate_id)).sort()).toEqual([await personId(id(171, '2015-07-01')), await personId(id(173, '2015-07-01'))].sort());
  });

  test('a register record with a broken ID number creates a person without one; the valid ID another department holds joins it later', async () => {
    const valid = id(181, '1975-12-24');
    await commit(population, 'residents', [{ sourceId: 'R5', subject: person('master', `${valid.slice(0, 17)}${valid[17] === '1' ? '2' : '1'}`, { name: '陈 国华', sex: 'male', birthDate: '1975-12-24', phone: '13700002222' }) }]);
    const r5 = await subjectOf(population, 'R5');
    expect(r5.link_method).toBe('created');
    const created = await row<{ id_number: string | null; name: string }>(db.knex('person').where('id', r5.entity_id).first('id_number', 'name'));
    expect(created).toEqual({ id_number: null, name: '陈国华' });
    await commit(police, 'residence_registrations', [{ sourceId: 'J5', subject: person('registry', valid, { name: '陳國華', sex: 'male', phone: '13700002222' }) }]);
    const j5 = await subjectOf(police, 'J5');
    expect([j5.entity_id, j5.link_method]).toEqual([r5.entity_id, 'probabilistic']);
    expect((await row<{ id_number: string }>(db.knex('person').where('id', r5.entity_id).first('id_number'))).id_number).toBe(valid);
  });

  test('a person\'s decision is kept when the record is read again', async () => {
    await commit(police, 'incidents', [{ sourceId: 'JJ2', subject: null, mentions: [{ role: 'reporter', ref: person('reference', null, { name: '张伟', phone: '13912345678' }) }] }]);
    const record = await subjectOf(police, 'JJ2');
    const zhang = await personId(id(161));
    const li = await personId(id(262, '1990-03-02'));
    await db.knex('match_decision').insert({ entity_type: 'person', decision: 'no_link', source_record_id: record.id, mention_index: 0, entity_id: zhang, actor: 'steward', role: 'data-steward', at: new Date() });
    await commit(police, 'incidents', [{ sourceId: 'JJ2', subject: null, mentions: [{ role: 'reporter', ref: person('reference', null, { name: '张伟', phone: '13912345678' }) }] }]);
    expect((await mentionOf(police, 'JJ2')).entity_id).toBeNull();
    await db.knex('match_decision').insert({ entity_type: 'person', decision: 'link', source_record_id: record.id, mention_index: 0, entity_id: li, actor: 'steward', role: 'data-steward', at: new Date() });
    await commit(police, 'incidents', [{ sourceId: 'JJ2', subject: null, mentions: [{ role: 'reporter', ref: person('reference', null, { name: '张伟', phone: '13912345678' }) }] }]);
    expect(await mentionOf(police, 'JJ2')).toMatchObject({ entity_id: li, link_method: 'human' });
    // And re-resolution keeps to it too.
    await resolveAll(db.knex, await loadPlaces(db.knex), new Resolver());
    expect(await mentionOf(police, 'JJ2')).toMatchObject({ entity_id: li, link_method: 'human' });
  });

  test('resolve --all twice over the store: the second run changes nothing', async () => {
    await commit(police, 'incidents', [
      { sourceId: 'JJ3', subject: null, mentions: [{ role: 'reporter', ref: person('reference', null, { name: '张伟', phone: '13912345678' }) }] },
      { sourceId: 'JJ4', subject: null, mentions: [{ role: 'reporter', ref: person('reference', null, { name: '李娜', phone: '13800001111' }) }] },
    ]);
    await commit(social, 'special_groups', [{ sourceId: 'S3', subject: person('reference', mistype(id(262, '1990-03-02'), 16), { name: '李娜', birthDate: '1990-03-02' }) }]);
    const snapshot = async () => [
      ...(await db.knex('source_record').orderBy('id').select('id', 'entity_id')),
      ...(await db.knex('source_link').orderBy('id').select('source_record_id', 'entity_id')),
    ];
    const places = await loadPlaces(db.knex);
    const first = await resolveAll(db.knex, places, new Resolver());
    const links = await snapshot();
    const second = await resolveAll(db.knex, places, new Resolver());
    expect(await snapshot()).toEqual(links);
    expect([second.linked, second.moved, second.unlinked]).toEqual([0, 0, 0]);
    expect(first.examined).toBeGreaterThan(0);
    expect((await mentionOf(police, 'JJ4')).entity_id).toBe(await personId(id(262, '1990-03-02')));
  });

  test('search finds the person by every phone and name any department holds', async () => {
    await commit(police, 'residence_registrations', [{ sourceId: 'J7', subject: person('registry', id(161), { name: '张伟', phone: '13600009999' }) }]);
    await commit(social, 'special_groups', [{ sourceId: 'S7', subject: person('reference', id(161), { name: '張偉' }) }]);
    const zhang = await personId(id(161));
    const [doc] = await loadDocuments(db.knex, await loadSearchContext(db.knex), 'person', { ids: [zhang] });
    expect(doc?.phones).toEqual(expect.arrayContaining(['13912345678', '13600009999']));
    expect(doc?.name).toBe('张伟');
  });

  test('keys mode links on valid keys only, as before resolution', async () => {
    const keysOnly = createIngestStore(db, { resolution: { mode: 'keys' } });
    await keysOnly.commit({
      departmentId: police.id, stream: 'incidents', fetchedAt: new Date(), cursor: null, deadLetters: [],
      records: [{ mapped: { sourceId: 'JJ5', subject: null, mentions: [{ role: 'reporter', ref: person('reference', null, { name: '张伟', phone: '13912345678' }) }] }, payload: '{"jjdbh":"JJ5"}' }],
    });
    expect((await mentionOf(police, 'JJ5')).entity_id).toBeNull();
  });
});
