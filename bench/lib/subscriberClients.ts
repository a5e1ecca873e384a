#!/usr/bin/env node
/**
 * A child process holding many WebSocket subscribers for bench/subscribers.ts (one process
 * cannot hold 10,000 sockets on both ends under the file-descriptor limit, and the hub should
 * not share an event loop with its clients). Speaks graphql-transport-ws directly: the
 * graphql-ws client costs more memory and CPU per socket than the test needs.
 *
 * Parent → child (IPC): { config } to start; { startedAt: Record<seq, ms> } to get latencies.
 * Child → parent: { connected, subscribed, received, closed } progress; { latencies } at the end.
 * A message is matched to its event by the event's note, `bench-<seq>`.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

interface Config {
  url: string;
  token: string;
  queries: string[];
  count: number;
  /** Index of the first subscriber (which query each gets rotates over all subscribers). */
  offset: number;
  /** Sockets connecting at once. */
  wave: number;
}

const now = () => performance.timeOrigin + performance.now();
const NOTE = /"note":"bench-(\d+)"/;

let connected = 0;
let subscribed = 0;
let received = 0;
let closed = 0;
const closeReasons = new Map<string, number>();
/** Receive times per event seq, all subscribers together. */
const arrivals = new Map<number, number[]>();
const sockets: WebSocket[] = [];

function open(config: Config, index: number): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(config.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { perMessageDeflate: false });
    sockets.push(ws);
    let settled = false;
    const done = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    ws.on('open', () => {
      connected++;
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${config.token}` } }));
    });
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.startsWith('{"type":"connection_ack"')) {
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: config.queries[(config.offset + index) % config.queries.length] } }));
        subscribed++;
        done();
        return;
      }
      const m = NOTE.exec(text);
      if (!m) return;
      const t = now();
      received++;
      const seq = Number(m[1]);
      let list = arrivals.get(seq);
      if (!list) arrivals.set(seq, (list = []));
      list.push(t);
    });
    ws.on('close', (code, reason) => {
      closed++;
      const key = `${code} ${reason.toString()}`;
      closeReasons.set(key, (closeReasons.get(key) ?? 0) + 1);
      done();
    });
    ws.on('error', () => done());
  });
}

async function start(config: Config): Promise<void> {
  for (let i = 0; i < config.count; i += config.wave) {
    const wave = [];
    for (let j = i; j < Math.min(config.count, i + config.wave); j++) wave.push(open(config, j));
    await Promise.all(wave);
  }
}

const report = () => process.send?.({ connected, subscribed, received, closed, closeReasons: Object.fromEntries(closeReasons) });
setInterval(report, 500).unref();

process.on('message', (msg: { config?: Config; startedAt?: Record<string, number>; stop?: true }) => {
  if (msg.config) {
    void start(msg.config).then(report);
  } else if (msg.startedAt) {
    const latencies: number[] = [];
    for (const [seq, times] of arrivals) {
      const started = msg.startedAt[String(seq)];
      if (started !== undefined) for (const t of times) latencies.push(t - started);
    }
    process.send?.({ latencies });
  } else if (msg.stop) {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
