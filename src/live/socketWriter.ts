/**
 * Writing `next` frames to subscribers' sockets, and closing the ones that cannot keep up.
 *
 * A message is serialized once and framed once per subscription id (the complete WebSocket text
 * frame): each socket then costs one write of the same bytes, straight to its TCP stream while
 * `ws` holds nothing back, through `ws.send` otherwise. Writes never wait: a socket whose unsent
 * backlog passes `maxBufferedBytes` is closed (4429, "slow consumer"), so one slow socket delays
 * nobody.
 */
import type { WebSocket } from 'ws';

export const SLOW_CONSUMER_CODE = 4429;

/** Who a subscription's messages go to, as far as writing is concerned: one subscription id on one socket. */
export interface SocketTarget {
  socket: WebSocket;
  /** The graphql-ws subscription id. */
  id: string;
}

/**
 * A complete unmasked WebSocket text frame (RFC 6455 §5.2): header and payload in one buffer, so
 * that a socket gets the message in one write. Built once per message, written to every socket.
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81; // FIN, text
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.write(text, header, 'utf8');
  return frame;
}

/** The `next` message of subscription `id` and its frame, made on first use and then shared. */
export class NextMessage {
  private readonly frames = new Map<string, { text: string; frame: Buffer }>();

  constructor(readonly payload: string) {}

  of(id: string): { text: string; frame: Buffer } {
    let message = this.frames.get(id);
    if (!message) {
      const text = `{"id":${JSON.stringify(id)},"type":"next","payload":${this.payload}}`;
      message = { text, frame: textFrame(text) };
      this.frames.set(id, message);
    }
    return message;
  }
}

/** The parts of a `ws` WebSocket written through (private to `ws`; checked before use). */
interface WsInternals {
  _socket?: { write(chunk: Buffer): boolean } | null;
  _sender?: { _queue?: unknown[]; _state?: number } | null;
}

/**
 * The underlying TCP stream of a socket whose sender holds nothing back, or null. Frames written
 * there go out in order with ws's own (it writes synchronously whenever its queue is empty,
 * which without per-message compression it always is); otherwise `ws.send` keeps the order.
 */
function directStream(socket: WebSocket): { write(chunk: Buffer): boolean } | null {
  const { _socket: stream, _sender: sender } = socket as unknown as WsInternals;
  if (!stream || typeof stream.write !== 'function' || !sender || !Array.isArray(sender._queue)) return null;
  return sender._queue.length === 0 && (sender._state ?? 0) === 0 ? stream : null;
}

export interface SocketWriterOptions {
  /** Unsent bytes a socket may hold before it is closed as a slow consumer. */
  maxBufferedBytes: number;
  log: { warn(obj: object, msg: string): void };
  /** A socket was closed as slow: end its subscriptions. */
  onClosed(socket: WebSocket): void;
  onSlowConsumer?: () => void;
}

export class SocketWriter {
  private readonly closed = new WeakSet<WebSocket>();

  constructor(private readonly options: SocketWriterOptions) {}

  write(target: SocketTarget, message: NextMessage): void {
    const socket = target.socket;
    if (this.closed.has(socket) || socket.readyState !== socket.OPEN) return;
    const { text, frame } = message.of(target.id);
    const stream = directStream(socket);
    // graphql-transport-ws messages are JSON text frames.
    if (stream) stream.write(frame);
    else socket.send(text, { binary: false });
    if (socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.slow(socket, `more than ${Math.round(this.options.maxBufferedBytes / 1024)} KiB waiting to be sent`);
    }
  }

  /** Closes a socket that cannot keep up; its subscriptions end and nobody else waits for it. */
  slow(socket: WebSocket, why: string): void {
    if (this.closed.has(socket)) return;
    this.closed.add(socket);
    this.options.log.warn({ why }, 'live: closing a slow consumer');
    this.options.onSlowConsumer?.();
    socket.close(SLOW_CONSUMER_CODE, `slow consumer: ${why}`);
    // A peer that stopped reading cannot receive the close frame either.
    setTimeout(() => socket.terminate(), 5000).unref();
    this.options.onClosed(socket);
  }
}
