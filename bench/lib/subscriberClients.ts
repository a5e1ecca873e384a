#!/usr/bin/env node
/**
 * A child process holding many WebSocket subscribers for bench/subscribers.ts (one process
 * cannot hold tens of thousands of sockets on both ends under the file-descriptor limit, and
 * the hub should not share an event loop with its clients).
 *
 * It speaks WebSocket (RFC 6455) and graphql-transport-ws over plain TCP sockets itself: the
 * clients are the load generator, and on a two-core machine every microsecond they spend per
 * message is a microsecond the hub's core may lose or a delay counted as the hub's. With `ws`
 * clients (a stream, a parser, an event and a string per message) the load generator used
 * about as much CPU as the hub (19% and 20% of a core at 10,000); this one takes the arrival
 * time as the bytes come in and looks for the event's number without decoding the message.
 *
 * Parent → child (IPC): { config } to start; { startedAt: Record<seq, ms> } to get latencies.
 * Child → parent: { connected, subscribed, received, closed } progress; { latencies, events } at the end.
 * A message is matched to its event by the event's note, `bench-<seq>`.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

interface Config {
  url: string;
  token: string;
  queries: string[];
  count: number;
  /** Index of the first subscriber (which query each gets rotates over all subscribers). */
  offset: number;
  /** Sockets connecting at once. */
  wave: number;
  /**
   * Local addresses to connect from, in turn (127.0.0.x): one source address has ~28,000
   * ephemeral ports towards one server port, fewer than 50,000 subscribers need.
   */
  localAddresses?: string[];
  /** Subscriptions per socket, ids "1", "2", …; subscriber i's queries rotate from i × perSocket. */
  perSocket?: number;
  /** Events numbered below this belong to an earlier run (see bench/subscribers.ts): not counted. */
  firstSeq?: number;
}

const now = () => performance.timeOrigin + performance.now();
const NOTE = Buffer.from('"note":"bench-');
const ACK = Buffer.from('"connection_ack"');

let connected = 0;
let subscribed = 0;
let received = 0;
let closed = 0;
const closeReasons = new Map<string, number>();
/** Receive times per event seq, all subscribers together. */
const arrivals = new Map<number, number[]>();
const sockets: Socket[] = [];

/** A client frame: clients must mask (RFC 6455 §5.3); a zero key leaves the bytes as they are. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const head = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.alloc(head + 4 + length);
  frame[0] = 0x80 | opcode;
  if (head === 2) frame[1] = 0x80 | length;
  else if (head === 4) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, head + 4);
  return frame;
}

const text = (value: unknown) => clientFrame(0x1, Buffer.from(JSON.stringify(value)));

function record(seq: number, at: number): void {
  received++;
  let list = arrivals.get(seq);
  if (!list) arrivals.set(seq, (list = []));
  list.push(at);
}

function closedWith(reason: string): void {
  closed++;
  closeReasons.set(reason, (closeReasons.get(reason) ?? 0) + 1);
}

function open(config: Config, index: number): Promise<void> {
  return new Promise((resolve) => {
    const url = new URL(config.url.replace(/^http/, 'ws'));
    const localAddress = config.localAddresses?.length ? config.localAddresses[index % config.localAddresses.length] : undefined;
    const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true, ...(localAddress ? { localAddress } : {}) });
    sockets.push(socket);
    let settled = false;
    const done = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    let upgraded = false;
    let ended = false;
    let rest: Buffer | null = null;
    const end = (reason: string) => {
      if (ended) return;
      ended = true;
      closedWith(reason);
      socket.destroy();
      done();
    };

    const onFrame = (opcode: number, payload: Buffer, at: number) => {
      if (opcode === 0x1) {
        const i = payload.indexOf(NOTE);
        if (i >= 0) {
          let seq = 0;
          for (let j = i + NOTE.length; j < payload.length && payload[j]! >= 48 && payload[j]! <= 57; j++) seq = seq * 10 + payload[j]! - 48;
          if (seq >= (config.firstSeq ?? 0)) record(seq, at);
        } else if (payload.indexOf(ACK) >= 0) {
          const perSocket = config.perSocket ?? 1;
          for (let k = 0; k < perSocket; k++) {
            const query = config.queries[((config.offset + index) * perSocket + k) % config.queries.length];
            socket.write(text({ id: String(k + 1), type: 'subscribe', payload: { query } }));
          }
          subscribed += perSocket;
          done();
        }
      } else if (opcode === 0x9) {
        socket.write(clientFrame(0xa, payload)); // graphql-ws's keep-alive pings want their pong
      } else if (opcode === 0x8) {
        end(`${payload.length >= 2 ? payload.readUInt16BE(0) : 1005} ${payload.subarray(2).toString()}`);
      }
    };

    socket.on('connect', () => {
      connected++;
      socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
        + `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      const at = now();
      let data = rest ? Buffer.concat([rest, chunk]) : chunk;
      rest = null;
      if (!upgraded) {
        const headEnd = data.indexOf('\r\n\r\n');
        if (headEnd < 0) {
          rest = data;
          return;
        }
        const status = data.subarray(0, data.indexOf('\r\n')).toString();
        if (!status.startsWith('HTTP/1.1 101')) return end(status);
        upgraded = true;
        socket.write(text({ type: 'connection_init', payload: { authorization: `Bearer ${config.token}` } }));
        data = data.subarray(headEnd + 4);
      }
      let at0 = 0;
      while (data.length - at0 >= 2) {
        const opcode = data[at0]! & 0x0f;
        let length = data[at0 + 1]! & 0x7f;
        let head = 2;
        if (length === 126) {
          if (data.length - at0 < 4) break;
          length = data.readUInt16BE(at0 + 2);
          head = 4;
        } else if (length === 127) {
          if (data.length - at0 < 10) break;
          length = Number(data.readBigUInt64BE(at0 + 2));
          head = 10;
        }
        if (data.length - at0 < head + length) break;
        onFrame(opcode, data.subarray(at0 + head, at0 + head + length), at);
        at0 += head + length;
      }
      // Keep only an unfinished frame, copied, so a chunk is not held for its last bytes.
      if (at0 < data.length) rest = Buffer.from(data.subarray(at0));
    });
    socket.on('close', () => end('1006 connection lost'));
    socket.on('error', () => end('1006 connection error'));
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
    /** Per event: its first and last delivery here (how long the write took, and how long the fan-out). */
    const events: Record<string, [number, number]> = {};
    for (const [seq, times] of arrivals) {
      const started = msg.startedAt[String(seq)];
      if (started === undefined) continue;
      let first = Infinity;
      let last = -Infinity;
      for (const t of times) {
        latencies.push(t - started);
        first = Math.min(first, t - started);
        last = Math.max(last, t - started);
      }
      events[String(seq)] = [first, last];
    }
    process.send?.({ latencies, events });
  } else if (msg.stop) {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});
