/**
 * Test data and helpers for the search suites: the demo district (optionally with more people
 * and enterprises drawn from other seeds of the same generator, for a harder relevance set),
 * rows with polyphonic surnames, and a TCP proxy to take Elasticsearch "down" and bring it back.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Knex } from 'knex';
import { generateDemoDistrict, loadDemoDistrict } from '../../src/demo/district.js';

/** People whose names test the pinyin of polyphonic surnames (单 shan/dan, 曾 zeng/ceng, 解 xie/jie, 吕 lü). */
export const EXTRA_PEOPLE = [
  { name: '单田芳', id_number: '33011019650512001X', phone: '13900000001' },
  { name: '曾小贤', id_number: '330110198001010023', phone: '13900000002' },
  { name: '解晓东', id_number: '330110197202020035', phone: '13900000003' },
  { name: '吕秀英', id_number: '330110195003030046', phone: '13900000004' },
] as const;

/**
 * The demo district, then `extraSeeds` more copies of its people and enterprises drawn with
 * other seeds, living in the first district's dwellings (so ~2,176 people per seed). Also adds
 * EXTRA_PEOPLE. Returns the number of people.
 */
export async function loadSearchDistrict(knex: Knex, options: { extraSeeds?: number } = {}): Promise<number> {
  await loadDemoDistrict(knex);
  const base = (await knex('person').select('id', 'dwelling_id', 'building_id', 'district_id', 'street_id', 'community_id', 'grid_id').orderBy('id')) as any[];
  const baseEnterprises = (await knex('enterprise').select('id', 'address_id', 'building_id', 'district_id', 'street_id', 'community_id', 'grid_id').orderBy('id')) as any[];
  const ids = new Set(((await knex('person').whereNotNull('id_number').select('id_number')) as any[]).map((r) => String(r.id_number)));
  const codes = new Set(((await knex('enterprise').select('credit_code')) as any[]).map((r) => String(r.credit_code)));
  let nextPerson = base.length + 1;
  let nextEnterprise = baseEnterprises.length + 1;
  for (let s = 1; s <= (options.extraSeeds ?? 0); s++) {
    const w = generateDemoDistrict(20261125 + s * 7919);
    const people = w.people.flatMap((p, i) => {
      if (p.id_number !== null && ids.has(p.id_number)) return [];
      if (p.id_number !== null) ids.add(p.id_number);
      const home = base[i % base.length];
      return [{
        id: nextPerson++, id_number: p.id_number, name: p.name, sex: p.sex, birth_date: p.birth_date, phone: p.phone, residence_type: p.residence_type,
        household_id: null, relation_to_head: p.relation_to_head, dwelling_id: home.dwelling_id, building_id: home.building_id,
        district_id: home.district_id, street_id: home.street_id, community_id: home.community_id, grid_id: home.grid_id,
      }];
    });
    for (let i = 0; i < people.length; i += 500) await knex('person').insert(people.slice(i, i + 500));
    const enterprises = w.enterprises.flatMap((e, i) => {
      if (codes.has(e.credit_code)) return [];
      codes.add(e.credit_code);
      const at = baseEnterprises[i % baseEnterprises.length];
      return [{
        id: nextEnterprise++, credit_code: e.credit_code, name: e.name, legal_representative: e.legal_representative, industry: e.industry, status: e.status,
        registered_on: e.registered_on, address_id: at.address_id, building_id: at.building_id, district_id: at.district_id, street_id: at.street_id,
        community_id: at.community_id, grid_id: at.grid_id,
      }];
    });
    if (enterprises.length > 0) await knex('enterprise').insert(enterprises);
  }
  const home = base[0];
  for (const p of EXTRA_PEOPLE) {
    await knex('person').insert({
      id: nextPerson++, ...p, sex: 'male', birth_date: '1970-01-01', residence_type: 'hukou', household_id: null, relation_to_head: null,
      dwelling_id: home.dwelling_id, building_id: home.building_id, district_id: home.district_id, street_id: home.street_id,
      community_id: home.community_id, grid_id: home.grid_id,
    });
  }
  await knex.raw(`select setval(pg_get_serial_sequence('person', 'id'), (select max(id) from person))`);
  await knex.raw(`select setval(pg_get_serial_sequence('enterprise', 'id'), (select max(id) from enterprise))`);
  return nextPerson - 1;
}

/** Writes an outbox row as the connector runner does. */
export async function recordChange(knex: Knex, entityType: string, entityId: string | number, id?: number): Promise<void> {
  await knex('change_event').insert({ ...(id === undefined ? {} : { id }), entity_type: entityType, entity_id: String(entityId), change: 'updated', department_id: null });
}

/** A TCP proxy in front of Elasticsearch that can be stopped (connections refused, open ones cut) and started again on the same port. */
export class ToggleProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
