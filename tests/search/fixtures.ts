/**
 * Test data and helpers for the search suites: a few people the synced world cannot be relied on
 * to hold (polyphonic surnames, one name shared by two people and a near namesake), and a TCP
 * proxy to take Elasticsearch "down" and bring it back.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Knex } from 'knex';

/** People whose names test the pinyin of polyphonic surnames (单 shan/dan, 曾 zeng/ceng, 解 xie/jie, 吕 lü). */
export const EXTRA_PEOPLE = [
  { name: '单田芳', id_number: '33011019650512001X', phone: '13900000001' },
  { name: '曾小贤', id_number: '330110198001010023', phone: '13900000002' },
  { name: '解晓东', id_number: '330110197202020035', phone: '13900000003' },
  { name: '吕秀英', id_number: '330110195003030046', phone: '13900000004' },
] as const;

/** Two people of one name, whose homophones and typos the suite searches for, and a name one character off (张梓豪). */
export const NAMESAKES = ['张家豪', '张家豪', '张梓豪'] as const;

/**
 * Adds EXTRA_PEOPLE and NAMESAKES to a synced world, living in its first person's dwelling, as
 * rows only (the index picks them up at its rebuild). Returns the first id they were given, so a
 * suite can tell them from the world's own people.
 */
export async function addSearchFixtures(knex: Knex): Promise<{ firstFixtureId: number }> {
  const home = await knex<Record<string, unknown>>('person').orderBy('id').first('dwelling_id', 'building_id', 'district_id', 'street_id', 'community_id', 'grid_id');
  if (!home) throw new Error('the search fixtures go into a synced world, and this store has no people');
  const rows = [
    ...EXTRA_PEOPLE.map((p) => ({ ...p, sex: 'male', birth_date: '1970-01-01' })),
    ...NAMESAKES.map((name) => ({ name, id_number: null, phone: null, sex: 'male', birth_date: '1990-06-01' })),
  ].map((p) => ({ ...p, residence_type: 'hukou', household_id: null, relation_to_head: null, ...home }));
  const ids: unknown[] = await knex('person').insert(rows).returning('id');
  return { firstFixtureId: Math.min(...ids.map((r) => Number((r as { id: unknown }).id))) };
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
