import pg from 'pg';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Database } from '../store/db.js';
import { InProcessBus, type EventBus, type Notice, type NoticeListener, type Topic } from './bus.js';

const TOPICS: readonly Topic[] = ['case', 'entity'];
const channelOf = (topic: Topic) => `liandong_${topic}`;
const topicOf = (channel: string): Topic | undefined => TOPICS.find((t) => channelOf(t) === channel);

/**
 * The position a notice carries when the listener reconnected: notices sent while it was away
 * are gone, so every tailer re-reads its log from where it was.
 */
export const RESYNC_POSITION = '0';

export interface PostgresNotifyBusOptions {
  /** Publishes go through the store's pool (NOTIFY is one short statement). */
  knex: Knex;
  /** The LISTEN connection: its own client, never one of the pool's, which knex would hand to queries. */
  connection: pg.ClientConfig;
  log: Logger;
  /** First reconnect delay; doubles up to 10 s. */
  reconnectMs?: number;
}

/**
 * Notices over PostgreSQL LISTEN/NOTIFY: every hub instance on the server hears every notice,
 * so a mutation served by one instance reaches subscribers of all of them. NOTIFY is
 * transactional and best-effort across a dropped connection; the logs are the truth, and a
 * reconnect tells every listener to re-read them.
 */
export class PostgresNotifyBus implements EventBus {
  private readonly listeners = new Map<Topic, Set<NoticeListener>>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly firstRetryMs: number;
  private retryMs: number;
  private closed = false;
  private everConnected = false;

  constructor(private readonly options: PostgresNotifyBusOptions) {
    this.firstRetryMs = this.retryMs = options.reconnectMs ?? 250;
  }

  /** Connects the listener; resolves once LISTEN is in place (rejects if the server is unreachable). */
  start(): Promise<void> {
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...this.options.connection, application_name: 'liandong-listen' });
    client.on('notification', (msg) => {
      const topic = topicOf(msg.channel);
      if (topic) this.deliver({ topic, position: msg.payload ?? RESYNC_POSITION });
    });
    client.on('error', (err) => {
      this.options.log.warn({ err: err.message }, 'event bus: listen connection failed; reconnecting');
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(TOPICS.map((t) => `LISTEN ${channelOf(t)}`).join('; '));
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
    this.retryMs = this.firstRetryMs;
    if (this.everConnected) {
      this.options.log.info('event bus: listening again; tailers re-read their logs');
      for (const topic of TOPICS) this.deliver({ topic, position: RESYNC_POSITION });
    }
    this.everConnected = true;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(10_000, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.start().catch((err: unknown) => {
        this.options.log.warn({ err: (err as Error).message, retryInMs: this.retryMs }, 'event bus: reconnect failed');
        this.scheduleReconnect();
      });
    }, wait);
  }

  private deliver(notice: Notice): void {
    for (const listener of this.listeners.get(notice.topic) ?? []) {
      try {
        listener(notice);
      } catch (err) {
        this.options.log.error({ err, topic: notice.topic }, 'event bus: a listener threw');
      }
    }
  }

  async publish(notice: Notice): Promise<void> {
    await this.options.knex.raw('select pg_notify(?, ?)', [channelOf(notice.topic), notice.position]);
  }

  subscribe(topic: Topic, listener: NoticeListener): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** For /readyz: the listen connection is up and answers. */
  async check(): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('not listening (reconnecting)');
    await client.query('select 1');
  }

  /** Drops the listen connection as a network failure would (tests of the reconnect). */
  interrupt(): void {
    const client = this.client;
    if (client) client.emit('error', new Error('interrupted'));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.listeners.clear();
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * The bus for a store: in-process on embedded PGlite (one process is the whole hub), LISTEN/NOTIFY
 * on a PostgreSQL server (any number of hub instances). The notify bus is listening when this resolves.
 */
export async function createEventBus(db: Database, log: Logger): Promise<EventBus> {
  if (db.kind === 'pglite') return new InProcessBus();
  // The same settings knex's pool connects with, so the listener is on the same server and database.
  const connection = (db.knex.client as { connectionSettings: pg.ClientConfig }).connectionSettings;
  const bus = new PostgresNotifyBus({ knex: db.knex, connection, log });
  await bus.start();
  return bus;
}
