import { describeEachDatabase, WORLD_SETUP_TIMEOUT_MS } from '../support/databases.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import type { Database } from '../../src/store/db.js';
import type { RoleId } from '../../src/auth/viewer.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';
import { searchEngine } from '../../src/search/service.js';
import type { SearchBackend } from '../../src/search/types.js';

/**
 * Every role × every sensitive field and relation × in-scope and out-of-scope rows, through
 * every path a client has: root fields, node(id), lists, nested relations, filters. The
 * expectations below are written out by hand from the access rules (issue 6), not derived from
 * the policy code, so a change to the policy that is not also a change here fails.
 */

type Seen = 'visible' | 'hidden' | 'forbidden';
interface Expectation {
  people: Seen; // the in-scope person through person(id), node(id), lists and relations
  outOfScope: 'visible' | 'hidden'; // the person, building and case of another street
  idNumber: 'clear' | 'masked';
  phone: 'clear' | 'masked';
  tags: boolean;
  records: string[]; // departments whose records on the person the role sees
  caseIn: 'visible' | 'hidden'; // a case in the grid, dispatched to police only
  ownDepartmentCase: boolean; // department roles: a case dispatched to their department is visible
  countOnly?: boolean;
}

const EXPECTED: Record<RoleId, Expectation> = {
  'district-admin': { people: 'visible', outOfScope: 'visible', idNumber: 'clear', phone: 'clear', tags: true, records: ['court', 'police', 'population', 'social'], caseIn: 'visible', ownDepartmentCase: true },
  'street-operator': { people: 'visible', outOfScope: 'hidden', idNumber: 'masked', phone: 'clear', tags: true, records: ['court', 'police', 'population'], caseIn: 'visible', ownDepartmentCase: true },
  'grid-worker': { people: 'visible', outOfScope: 'hidden', idNumber: 'masked', phone: 'clear', tags: true, records: ['population'], caseIn: 'visible', ownDepartmentCase: true },
  police: { people: 'visible', outOfScope: 'visible', idNumber: 'clear', phone: 'clear', tags: true, records: ['police', 'population'], caseIn: 'visible', ownDepartmentCase: true },
  court: { people: 'visible', outOfScope: 'visible', idNumber: 'clear', phone: 'masked', tags: false, records: ['court', 'population'], caseIn: 'hidden', ownDepartmentCase: true },
  fire: { people: 'visible', outOfScope: 'visible', idNumber: 'masked', phone: 'masked', tags: false, records: [], caseIn: 'hidden', ownDepartmentCase: true },
  'social-worker': { people: 'visible', outOfScope: 'visible', idNumber: 'clear', phone: 'clear', tags: true, records: ['population', 'social'], caseIn: 'hidden', ownDepartmentCase: true },
  'department-staff': { people: 'visible', outOfScope: 'visible', idNumber: 'masked', phone: 'clear', tags: false, records: [], caseIn: 'hidden', ownDepartmentCase: true },
  'data-steward': { people: 'visible', outOfScope: 'visible', idNumber: 'clear', phone: 'clear', tags: false, records: ['court', 'police', 'population', 'social'], caseIn: 'visible', ownDepartmentCase: true },
  integrator: { people: 'forbidden', outOfScope: 'hidden', idNumber: 'masked', phone: 'masked', tags: false, records: [], caseIn: 'hidden', ownDepartmentCase: false },
  dashboard: { people: 'forbidden', outOfScope: 'hidden', idNumber: 'masked', phone: 'masked', tags: false, records: [], caseIn: 'hidden', ownDepartmentCase: false, countOnly: true },
};
const DEPARTMENT_OF: Partial<Record<RoleId, string>> = { police: 'police', court: 'court', fire: 'fire', 'social-worker': 'social', 'department-staff': 'environment' };

const g = toGlobalId;

describeEachDatabase('access matrix: every role × field × scope × path', ({ openWorld }) => {
  let db: Database;
  let t: TestHub;
  // The world the matrix probes: a person in grid G with records from four departments, a
  // housemate and a person of another street, a case in G, a case dispatched to each department.
  const w = {} as {
    grid: string; street: string; person: string; idNumber: string; phone: string; housemate: string; dwelling: string; household: string;
    outPerson: string; outIdNumber: string; outBuilding: string; outCase: string; caseIn: string; deptCase: Record<string, string>;
  };
  let search: SearchBackend;

  beforeAll(async () => {
    ({ db } = await openWorld());
    const k = db.knex;
    // Named by no other department's record (an owner, a tenant, a legal representative): the records it shows are the four below.
    const person = await k('person').whereNotNull('id_number').whereNotNull('phone').whereNotNull('household_id')
      .whereNotExists(k('source_link').whereRaw("source_link.entity_type = 'person' and source_link.entity_id = person.id").select(k.raw('1')))
      .whereIn('household_id', k('person').groupBy('household_id').havingRaw('count(*) > 1').select('household_id')).orderBy('id').first();
    Object.assign(w, {
      grid: String(person.grid_id), street: String(person.street_id), person: String(person.id), idNumber: person.id_number, phone: person.phone,
      dwelling: String(person.dwelling_id), household: String(person.household_id),
    });
    w.housemate = String((await k('person').where('household_id', person.household_id).whereNot('id', person.id).first()).id);
    const out = await k('person').whereNot('street_id', person.street_id).whereNotNull('grid_id').whereNotNull('id_number').orderBy('id').first();
    w.outPerson = String(out.id);
    w.outIdNumber = out.id_number;
    w.outBuilding = String(out.building_id);
    const departmentId = async (n: string) => String((await k('department').where('name', n).first()).id);
    await k('department').insert({ name: 'environment', display_name: '生态环境分局' });
    const [police, court, social, population, fire, environment] = [
      await departmentId('police'), await departmentId('court'), await departmentId('social'), await departmentId('population'), await departmentId('fire'),
      await departmentId('environment'),
    ];
    // Records from four departments on the person (the sync gives some; make sure of exactly those four).
    await k('source_record').where({ entity_type: 'person', entity_id: person.id }).whereNot('department_id', population).delete();
    for (const [dep, stream] of [[police, 'residents'], [court, 'dishonest_debtors'], [social, 'special_groups']] as const) {
      await k('source_record').insert({ department_id: dep, stream, source_id: `M-${stream}-${person.id_number}`, fetched_at: new Date(), payload_hash: 'a'.repeat(64), payload: '{}', entity_type: 'person', entity_id: person.id });
    }
    await k('person_tag').insert({ person_id: person.id, tag: 'hardship' }).onConflict(['person_id', 'tag']).ignore();
    // A case in G about the person and about the out-of-street person, dispatched to police only.
    const newCase = async (street: string, grid: string, dispatchTo: string[], number: string) => {
      const [row] = await k('case').insert({
        number, title: '测试事件', category: 'test.matrix', urgency: 'normal', status: 'dispatched', channel: 'command_center', level: 'street',
        reported_at: new Date(), street_id: street, grid_id: grid,
      }).returning('id');
      const id = String((row as { id: string }).id);
      for (const dep of dispatchTo) await k('dispatch').insert({ case_id: id, department_id: dep, role: 'lead', status: 'pending', dispatched_at: new Date() });
      return id;
    };
    w.caseIn = await newCase(w.street, w.grid, [police], 'MATRIX-IN');
    await k('case_person').insert([{ case_id: w.caseIn, person_id: w.person, role: 'subject' }, { case_id: w.caseIn, person_id: w.outPerson, role: 'affected' }]);
    w.outCase = await newCase(String(out.street_id), String(out.grid_id), [police, court, fire, social, environment], 'MATRIX-OUT');
    w.deptCase = {};
    for (const [name, dep] of [['police', police], ['court', court], ['fire', fire], ['social', social], ['environment', environment]] as const) {
      w.deptCase[name] = await newCase(w.street, w.grid, [dep], `MATRIX-${name}`);
    }
    const engine = await searchEngine(k, undefined);
    await engine.indexer.prepare();
    search = engine.backend;
    t = await startTestHub(db, { search });
  }, WORLD_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.stop();
    await search?.close();
    await db?.close();
  });

  const tokenFor = (role: RoleId) =>
    t.token({ role, subject: `matrix-${role}`, gridIds: role === 'grid-worker' ? [w.grid] : [], streetIds: role === 'street-operator' ? [w.street] : [], ...(DEPARTMENT_OF[role] ? { department: DEPARTMENT_OF[role] } : {}) });

  const codeOf = (res: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => res.errors?.[0]?.extensions?.code;

  test.each(Object.keys(EXPECTED) as RoleId[])('%s', async (role) => {
    const expected = EXPECTED[role];
    const token = await tokenFor(role);
    const q = (query: string, variables: Record<string, unknown> = {}) => t.gql(query, variables, { token });
    const personId = g('Person', w.person);

    // person(id) and node(id), with the sensitive fields.
    const direct = await q(`query($id: ID!) { person(id: $id) { id idNumber phone } node(id: $id) { id } }`, { id: personId });
    if (expected.people === 'forbidden') {
      expect(codeOf(direct)).toBe('FORBIDDEN');
      expect(direct.data?.person ?? null).toBeNull();
      expect(JSON.stringify(direct)).not.toContain(w.idNumber.slice(6, 14));
    } else {
      expect(direct.errors).toBeUndefined();
      expect(direct.data!.person.id).toBe(personId);
      expect(direct.data!.node.id).toBe(personId);
      expect(direct.data!.person.idNumber).toBe(expected.idNumber === 'clear' ? w.idNumber : `${w.idNumber.slice(0, 6)}********${w.idNumber.slice(-4)}`);
      expect(direct.data!.person.phone).toBe(expected.phone === 'clear' ? w.phone : `${w.phone.slice(0, 3)}****${w.phone.slice(-4)}`);
    }

    // Tags, records (provenance, with the source id masked like the ID number).
    const detail = await q(`query($id: ID!) { person(id: $id) { tags } }`, { id: personId });
    if (expected.people !== 'forbidden') {
      if (expected.tags) expect(detail.data!.person.tags).toContain('HARDSHIP');
      else expect(codeOf(detail)).toBe('FORBIDDEN');
      const recs = await q(`query($id: ID!) { person(id: $id) { records { department { name } sourceId } } }`, { id: personId });
      const records = recs.data!.person.records as Array<{ department: { name: string }; sourceId: string }>;
      expect([...new Set(records.map((r) => r.department.name))].sort()).toEqual(expected.records);
      // The planted records' source ids carry the ID number (the register's own RY… ids do not): masked like the ID number.
      const planted = records.filter((r) => r.sourceId.startsWith('M-'));
      expect(planted.length).toBe(expected.records.filter((d) => d !== 'population').length);
      for (const r of planted) expect(r.sourceId.includes(w.idNumber)).toBe(expected.idNumber === 'clear');
      // Filtering by a department's records reveals them: only where they are visible.
      for (const dept of ['court', 'social']) {
        const filtered = await q(`query($d: String!) { people(filter: { department: $d }, first: 1) { totalCount } }`, { d: dept });
        if (expected.records.includes(dept)) expect(filtered.errors).toBeUndefined();
        else expect(codeOf(filtered)).toBe('FORBIDDEN');
      }
    }

    // The out-of-scope person, building and case, by every root path.
    const out = await q(
      `query($p: ID!, $b: ID!, $c: ID!) { person(id: $p) { id } byNode: node(id: $p) { id } building(id: $b) { id } case(id: $c) { id } }`,
      { p: g('Person', w.outPerson), b: g('Building', w.outBuilding), c: g('Case', w.outCase) },
    );
    if (expected.people !== 'forbidden') {
      const shown = expected.outOfScope === 'visible';
      expect(out.data!.person !== null).toBe(shown);
      expect(out.data!.byNode !== null).toBe(shown);
      expect(out.data!.building !== null).toBe(shown);
      const deptSeesOutCase = shown && (DEPARTMENT_OF[role] !== undefined || role === 'district-admin' || role === 'data-steward');
      expect(out.data!.case !== null).toBe(deptSeesOutCase);
    }

    // Lists: a grid's people, all people, and totals, never cross the scope.
    const lists = await q(`query($grid: ID!) { inGrid: people(filter: { area: { gridId: $grid } }, first: 100) { totalCount edges { node { id } } } all: people(first: 100) { totalCount } buildings(first: 1) { totalCount } }`, { grid: g('Grid', w.grid) });
    if (expected.countOnly) {
      expect(codeOf(lists)).toBe('FORBIDDEN');
      const counts = await q(`{ people { totalCount } buildings { totalCount } cases { totalCount } }`);
      expect(counts.errors).toBeUndefined();
      expect(counts.data!.people.totalCount).toBe(Number((await db.knex('person').count({ n: '*' }).first())!.n));
    } else if (expected.people === 'forbidden') {
      expect(codeOf(lists)).toBe('FORBIDDEN');
    } else {
      const ids = lists.data!.inGrid.edges.map((e: { node: { id: string } }) => e.node.id);
      expect(ids).toContain(personId);
      const inGridTotal = Number((await db.knex('person').where('grid_id', w.grid).count({ n: '*' }).first())!.n);
      const allTotal = Number((await db.knex('person').count({ n: '*' }).first())!.n);
      const streetTotal = Number((await db.knex('person').where('street_id', w.street).count({ n: '*' }).first())!.n);
      expect(lists.data!.inGrid.totalCount).toBe(inGridTotal);
      expect(lists.data!.all.totalCount).toBe(role === 'grid-worker' ? inGridTotal : role === 'street-operator' ? streetTotal : allTotal);
    }

    // Nested paths: household members, dwelling residents, a case's people — the out-of-scope
    // person linked to an in-scope case never shows, and the housemate moved out of scope neither.
    if (expected.people !== 'forbidden') {
      await db.knex('person').where('id', w.housemate).update({ grid_id: null, street_id: null });
      try {
        const nested = await q(
          `query($id: ID!, $c: ID!) { person(id: $id) { household { members { id idNumber } } dwelling { residents { id } } } case(id: $c) { people { id idNumber } } }`,
          { id: personId, c: g('Case', w.caseIn) },
        );
        const members = nested.data!.person.household.members.map((m: { id: string }) => m.id);
        expect(members).toContain(personId);
        const housemateShown = expected.outOfScope === 'visible';
        expect(members.includes(g('Person', w.housemate))).toBe(housemateShown);
        expect(nested.data!.person.dwelling.residents.map((m: { id: string }) => m.id).includes(g('Person', w.housemate))).toBe(housemateShown);
        for (const m of nested.data!.person.household.members) {
          if (m.idNumber) expect(m.idNumber.includes('********')).toBe(expected.idNumber === 'masked');
        }
        if (expected.caseIn === 'visible') {
          const casePeople = nested.data!.case.people.map((p: { id: string }) => p.id);
          expect(casePeople).toContain(personId);
          expect(casePeople.includes(g('Person', w.outPerson))).toBe(expected.outOfScope === 'visible');
        } else {
          expect(nested.data!.case).toBeNull();
        }
      } finally {
        const original = await db.knex('person').where('id', w.person).first();
        await db.knex('person').where('id', w.housemate).update({ grid_id: original.grid_id, street_id: original.street_id });
      }
    }

    // Cases: department roles see what is dispatched to them, through the list and by id.
    if (expected.people !== 'forbidden') {
      const own = DEPARTMENT_OF[role];
      const cases = await q(`{ cases(filter: { category: "test.matrix" }, first: 50) { edges { node { number } } } }`);
      const numbers = (cases.data!.cases.edges as Array<{ node: { number: string } }>).map((e) => e.node.number);
      if (own) {
        expect(numbers).toContain(`MATRIX-${own}`);
        for (const other of Object.values(DEPARTMENT_OF)) if (other !== own) expect(numbers).not.toContain(`MATRIX-${other}`);
        expect(numbers.includes('MATRIX-IN')).toBe(expected.caseIn === 'visible');
      } else {
        expect(numbers).toContain('MATRIX-IN');
        expect(numbers.includes('MATRIX-OUT')).toBe(expected.outOfScope === 'visible');
      }
    }

    // Search answers as every other path: the same people, masked alike, the same cases, and
    // facets that reveal no tag or department record the role may not see.
    const SEARCH = `query($q: String!, $types: [SearchType!]) { search(query: $q, types: $types, first: 50) {
      edges { node { ... on Person { id idNumber } ... on Case { number } } } facets { tag { tag } department { department } } } }`;
    const byIdNumber = await q(SEARCH, { q: w.idNumber, types: ['PERSON'] });
    const outByIdNumber = await q(SEARCH, { q: w.outIdNumber, types: ['PERSON'] });
    if (expected.people === 'forbidden') {
      expect(codeOf(byIdNumber)).toBe('FORBIDDEN');
      expect(JSON.stringify(byIdNumber)).not.toContain(w.idNumber.slice(6, 14));
    } else {
      expect(byIdNumber.errors).toBeUndefined();
      const hits = byIdNumber.data!.search.edges as Array<{ node: { id: string; idNumber: string } }>;
      expect(hits.map((e) => e.node.id)).toEqual([personId]);
      expect(hits[0]!.node.idNumber).toBe(expected.idNumber === 'clear' ? w.idNumber : `${w.idNumber.slice(0, 6)}********${w.idNumber.slice(-4)}`);
      const facets = byIdNumber.data!.search.facets as { tag: Array<{ tag: string }>; department: Array<{ department: string }> };
      expect(facets.tag.map((b) => b.tag)).toEqual(expected.tags ? ['HARDSHIP'] : []);
      expect(facets.department.map((b) => b.department).sort()).toEqual(expected.records);
      expect((outByIdNumber.data!.search.edges as unknown[]).length).toBe(expected.outOfScope === 'visible' ? 1 : 0);
      const cases = await q(SEARCH, { q: '测试事件', types: ['CASE'] });
      const numbers = (cases.data!.search.edges as Array<{ node: { number: string } }>).map((e) => e.node.number);
      const own = DEPARTMENT_OF[role];
      if (own) {
        expect(numbers).toContain(`MATRIX-${own}`);
        for (const other of Object.values(DEPARTMENT_OF)) if (other !== own) expect(numbers).not.toContain(`MATRIX-${other}`);
      } else {
        expect(numbers).toContain('MATRIX-IN');
      }
      expect(numbers.includes('MATRIX-IN')).toBe(expected.caseIn === 'visible');
      expect(numbers.includes('MATRIX-OUT')).toBe(expected.outOfScope === 'visible' && (own !== undefined || role === 'district-admin' || role === 'data-steward'));
    }
  });

  // Who may issue which case command, written out by hand like EXPECTED. Each role gets a fresh
  // case in grid G at street level, dispatched to police (lead) and environment (cooperating).
  type Outcome = 'ok' | 'FORBIDDEN' | 'NOT_FOUND';
  const COMMANDS: Record<RoleId, { report: Outcome; dispatch: Outcome; acceptPolice: Outcome; acceptEnvironment: Outcome; escalate: Outcome; supervise: Outcome }> = {
    'district-admin': { report: 'ok', dispatch: 'ok', acceptPolice: 'FORBIDDEN', acceptEnvironment: 'FORBIDDEN', escalate: 'ok', supervise: 'ok' },
    'street-operator': { report: 'ok', dispatch: 'ok', acceptPolice: 'FORBIDDEN', acceptEnvironment: 'FORBIDDEN', escalate: 'ok', supervise: 'FORBIDDEN' },
    'grid-worker': { report: 'ok', dispatch: 'FORBIDDEN', acceptPolice: 'FORBIDDEN', acceptEnvironment: 'FORBIDDEN', escalate: 'FORBIDDEN', supervise: 'FORBIDDEN' },
    police: { report: 'ok', dispatch: 'FORBIDDEN', acceptPolice: 'ok', acceptEnvironment: 'FORBIDDEN', escalate: 'FORBIDDEN', supervise: 'FORBIDDEN' },
    court: { report: 'FORBIDDEN', dispatch: 'NOT_FOUND', acceptPolice: 'NOT_FOUND', acceptEnvironment: 'NOT_FOUND', escalate: 'NOT_FOUND', supervise: 'NOT_FOUND' },
    fire: { report: 'FORBIDDEN', dispatch: 'NOT_FOUND', acceptPolice: 'NOT_FOUND', acceptEnvironment: 'NOT_FOUND', escalate: 'NOT_FOUND', supervise: 'NOT_FOUND' },
    'social-worker': { report: 'FORBIDDEN', dispatch: 'NOT_FOUND', acceptPolice: 'NOT_FOUND', acceptEnvironment: 'NOT_FOUND', escalate: 'NOT_FOUND', supervise: 'NOT_FOUND' },
    'department-staff': { report: 'FORBIDDEN', dispatch: 'FORBIDDEN', acceptPolice: 'FORBIDDEN', acceptEnvironment: 'ok', escalate: 'FORBIDDEN', supervise: 'FORBIDDEN' },
    'data-steward': { report: 'FORBIDDEN', dispatch: 'FORBIDDEN', acceptPolice: 'FORBIDDEN', acceptEnvironment: 'FORBIDDEN', escalate: 'FORBIDDEN', supervise: 'FORBIDDEN' },
    integrator: { report: 'FORBIDDEN', dispatch: 'FORBIDDEN', acceptPolice: 'FORBIDDEN', acceptEnvironment: 'FORBIDDEN', escalate: 'FORBIDDEN', supervise: 'FORBIDDEN' },
    dashboard: { report: 'FORBIDDEN', dispatch: 'FORBIDDEN', acceptPolice: 'FORBIDDEN', acceptEnvironment: 'FORBIDDEN', escalate: 'FORBIDDEN', supervise: 'FORBIDDEN' },
  };
  const PAYLOAD = '{ case { id status level } events { type } }';

  test.each(Object.keys(COMMANDS) as RoleId[])('case commands: %s', async (role) => {
    const expected = COMMANDS[role];
    const token = await tokenFor(role);
    const outcome = (res: { errors?: Array<{ extensions?: Record<string, unknown> }> }): Outcome => (res.errors ? (res.errors[0]?.extensions?.code as Outcome) : 'ok');
    const site = await db.knex('building').where('grid_id', w.grid).whereNotNull('lat').orderBy('id').first();
    const location = { lat: site.lat, lng: site.lng };

    const report = role === 'grid-worker'
      ? await t.gql(`mutation($input: ReportPatrolInput!) { reportPatrol(input: $input) ${PAYLOAD} }`, { input: { title: '巡查', category: 'city.construction_waste', location, photo: 'p.jpg' } }, { token })
      : await t.gql(`mutation($input: ReportCaseInput!) { reportCase(input: $input) ${PAYLOAD} }`,
        { input: { channel: role === 'police' ? 'POLICE_110' : 'COMMAND_CENTER', title: '来电', category: 'neighbour.noise', location, level: role === 'police' ? null : 'STREET' } }, { token });
    expect(outcome(report)).toBe(expected.report);

    const created = await t.gql(`mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { id } } }`,
      { input: { channel: 'COMMAND_CENTER', title: '矩阵', category: 'neighbour.noise', location, level: 'STREET' } });
    const caseId = created.data!.reportCase.case.id;
    const dispatched = await t.gql(`mutation($input: DispatchCaseInput!) { dispatchCase(input: $input) { case { dispatches { id department { name } } } } }`,
      { input: { caseId, departments: [{ department: 'police', role: 'LEAD' }, { department: 'environment', role: 'COOPERATING' }] } });
    const dispatchOf = (name: string) => dispatched.data!.dispatchCase.case.dispatches.find((d: { department: { name: string } }) => d.department.name === name).id;
    const before = await db.knex('case_event').where('case_id', Buffer.from(caseId, 'base64url').toString().split(':')[1]).count({ n: '*' }).first();

    const results: Record<string, Outcome> = {};
    results.dispatch = outcome(await t.gql(`mutation($input: DispatchCaseInput!) { dispatchCase(input: $input) ${PAYLOAD} }`,
      { input: { caseId, departments: [{ department: 'social', role: 'COOPERATING' }] } }, { token }));
    results.acceptPolice = outcome(await t.gql(`mutation($id: ID!) { acceptDispatch(dispatchId: $id) ${PAYLOAD} }`, { id: dispatchOf('police') }, { token }));
    results.acceptEnvironment = outcome(await t.gql(`mutation($id: ID!) { acceptDispatch(dispatchId: $id) ${PAYLOAD} }`, { id: dispatchOf('environment') }, { token }));
    results.escalate = outcome(await t.gql(`mutation($id: ID!) { escalateCase(caseId: $id) ${PAYLOAD} }`, { id: caseId }, { token }));
    results.supervise = outcome(await t.gql(`mutation($id: ID!) { superviseCase(caseId: $id) ${PAYLOAD} }`, { id: caseId }, { token }));
    const { report: _report, ...commands } = expected;
    expect(results).toEqual(commands);
    // Refusals write nothing: the case log grew by exactly the commands that went through.
    const after = await db.knex('case_event').where('case_id', Buffer.from(caseId, 'base64url').toString().split(':')[1]).count({ n: '*' }).first();
    expect(Number(after!.n) - Number(before!.n)).toBe(Object.values(results).filter((r) => r === 'ok').length);
  });

  // Entity resolution, written out by hand like EXPECTED: who sees a record's link, who uses the
  // review queue and corrects (only district administrators and data stewards), and resolvePerson
  // (whoever reads people, in scope and masked). Corrections are probed with ids that change
  // nothing (an unknown candidate, a self-merge, an empty split), so the probes leave the world as it is.
  type Access = 'ok' | 'FORBIDDEN';
  const RESOLUTION: Record<RoleId, { link: Access | 'no-records'; queue: Access; correct: Access; resolvePerson: Access }> = {
    'district-admin': { link: 'ok', queue: 'ok', correct: 'ok', resolvePerson: 'ok' },
    'street-operator': { link: 'ok', queue: 'FORBIDDEN', correct: 'FORBIDDEN', resolvePerson: 'ok' },
    'grid-worker': { link: 'ok', queue: 'FORBIDDEN', correct: 'FORBIDDEN', resolvePerson: 'ok' },
    police: { link: 'ok', queue: 'FORBIDDEN', correct: 'FORBIDDEN', resolvePerson: 'ok' },
    court: { link: 'ok', queue: 'FORBIDDEN', correct: 'FORBIDDEN', resolvePerson: 'ok' },
    fire: { link: 'no-records', queue: 'FORBIDDEN', correct: 'FORBIDDEN', resolvePerson: 'ok' },
    'social-worker': { link: 'ok', queue: 'FORBIDDEN', correct: 'FORBIDDEN', resolvePerson: 'ok' },
    'department-staff': { link: 'no-records', queue: 'FORBIDDEN', correct: 'FORBIDDEN', resolvePerson: 'ok' },
    'data-steward': { link: 'ok', queue: 'ok', correct: 'ok', resolvePerson: 'ok' },
    integrator: { link: 'FORBIDDEN', queue: 'FORBIDDEN', correct: 'FORBIDDEN', resolvePerson: 'FORBIDDEN' },
    dashboard: { link: 'FORBIDDEN', queue: 'FORBIDDEN', correct: 'FORBIDDEN', resolvePerson: 'FORBIDDEN' },
  };

  test.each(Object.keys(RESOLUTION) as RoleId[])('entity resolution: %s', async (role) => {
    const expected = RESOLUTION[role];
    const seen = EXPECTED[role];
    const token = await tokenFor(role);
    const q = (query: string, variables: Record<string, unknown> = {}) => t.gql(query, variables, { token });
    const access = (res: { errors?: Array<{ extensions?: Record<string, unknown> }> }): string => (res.errors ? String(res.errors[0]?.extensions?.code) : 'ok');
    // A pending candidate in the queue: the person's population record against the housemate.
    const record = await db.knex('source_record').where({ entity_type: 'person', entity_id: w.person }).orderBy('id').first('id');
    await db.knex('match_candidate').insert({
      entity_type: 'person', source_record_id: record.id, mention_index: null, candidate_id: w.housemate, score: 0.7,
      evidence: JSON.stringify([{ field: 'name', agreement: 'surname', weight: 1.5 }]), status: 'pending', created_at: new Date(),
    }).onConflict(db.knex.raw('(source_record_id, coalesce(mention_index, -1), candidate_id)')).ignore();

    const links = await q(`query($id: ID!) { person(id: $id) { records { link { method score evidence { field } } } } }`, { id: g('Person', w.person) });
    if (expected.link === 'FORBIDDEN') expect(access(links)).toBe('FORBIDDEN');
    else {
      expect(links.errors).toBeUndefined();
      const records = links.data!.person.records as Array<{ link: { method: string } | null }>;
      if (expected.link === 'no-records') expect(records).toEqual([]);
      else for (const r of records) expect(r.link?.method).toBe('KEY');
    }

    const queue = await q(`{ matchReviewQueue(first: 5) { totalCount edges { node { id record { facts { field value } } candidate { id ... on Person { idNumber } } } } } }`);
    expect(access(queue)).toBe(expected.queue);
    if (expected.queue === 'ok') {
      const node = queue.data!.matchReviewQueue.edges.find((e: any) => e.node.candidate?.id === g('Person', w.housemate))?.node;
      expect(node).toBeDefined();
      expect(node.record.facts.find((f: { field: string }) => f.field === 'idNumber')?.value ?? w.idNumber).not.toContain('*');
    } else {
      expect(queue.data?.matchReviewQueue ?? null).toBeNull();
    }

    // Corrections: refused by role before anything is looked up; allowed roles get the probe's own refusal.
    const corrections = [
      await q(`mutation($id: ID!) { confirmMatch(candidateId: $id) { candidate { id } } }`, { id: g('MatchCandidate', '999999') }),
      await q(`mutation($id: ID!) { rejectMatch(candidateId: $id) { candidate { id } } }`, { id: g('MatchCandidate', '999999') }),
      await q(`mutation($id: ID!) { mergeEntities(survivor: $id, merged: $id) { entity { id } } }`, { id: g('Person', w.person) }),
      await q(`mutation($id: ID!) { splitEntity(id: $id, records: []) { created { id } } }`, { id: g('Person', w.person) }),
    ].map(access);
    expect(corrections).toEqual(expected.correct === 'ok' ? ['NOT_FOUND', 'NOT_FOUND', 'BAD_USER_INPUT', 'BAD_USER_INPUT'] : Array(4).fill('FORBIDDEN'));

    // resolvePerson: in scope and masked like person(id); out of scope left out.
    const RESOLVE = `query($n: String!) { resolvePerson(input: { idNumber: $n }) { person { id idNumber } score } }`;
    const found = await q(RESOLVE, { n: w.idNumber });
    const outside = await q(RESOLVE, { n: w.outIdNumber });
    expect(access(found)).toBe(expected.resolvePerson);
    if (expected.resolvePerson === 'ok') {
      expect(found.data!.resolvePerson[0].person).toEqual({
        id: g('Person', w.person), idNumber: seen.idNumber === 'clear' ? w.idNumber : `${w.idNumber.slice(0, 6)}********${w.idNumber.slice(-4)}`,
      });
      expect(outside.data!.resolvePerson.map((c: { person: { id: string } }) => c.person.id)).toEqual(seen.outOfScope === 'visible' ? [g('Person', w.outPerson)] : []);
    } else {
      expect(JSON.stringify(found)).not.toContain(w.idNumber.slice(6, 14));
    }
  });

  test('case commands need a token', async () => {
    const res = await t.gql(`mutation { escalateCase(caseId: "${g('Case', w.caseIn)}") { case { id } } }`, {}, { token: null });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('without a token nothing personal or operational is served; without a purpose no personal data', async () => {
    const anonymous = await t.gql(`{ people(first: 1) { totalCount } }`, {}, { token: null });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const anonCase = await t.gql(`{ cases(first: 1) { totalCount } }`, {}, { token: null });
    expect(anonCase.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const noPurpose = await t.gql(`query($id: ID!) { person(id: $id) { name } cases(first: 1) { totalCount } }`, { id: g('Person', w.person) }, { purpose: null });
    expect(noPurpose.errors?.[0]?.extensions?.code).toBe('PURPOSE_REQUIRED');
    expect(noPurpose.data!.person).toBeNull();
    expect(noPurpose.data!.cases.totalCount).toBeGreaterThan(0);
  });

  test('integrators and dashboards see the grid hierarchy, not the people in it', async () => {
    for (const role of ['integrator', 'dashboard'] as const) {
      const res = await t.gql(`{ grids(first: 2) { edges { node { name community { name } street { name } } } } }`, {}, { token: await tokenFor(role) });
      expect(res.errors).toBeUndefined();
      expect(res.data!.grids.edges[0].node.street.name).toMatch(/街道/);
      const members = await t.gql(`{ grids(first: 1) { edges { node { members { name } } } } }`, {}, { token: await tokenFor(role) });
      expect(members.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  test('a grid worker with no grids sees no one', async () => {
    const token = await t.token({ role: 'grid-worker', subject: 'no-grid' });
    const res = await t.gql(`query($id: ID!) { person(id: $id) { id } people { totalCount } }`, { id: g('Person', w.person) }, { token });
    expect(res.data).toEqual({ person: null, people: { totalCount: 0 } });
  });
});
