/**
 * The HTTP shell every HTTP-speaking simulator shares: latency, outages and rate limits from
 * FaultState, a control endpoint, and JSON helpers. Each department brings its own routes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultState, Faults } from './faults.js';

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface ControlRequest extends Partial<Faults> {
  /** Change this many records now. */
  change?: number;
}

export interface HttpShellOptions {
  host: string;
  port: number;
  faults: FaultState;
  route: Route;
  /** Applies a change request (records to change now); returns how many changed. */
  change(count: number): Promise<number>;
}

export interface HttpShell {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startHttpShell(options: HttpShellOptions): Promise<HttpShell> {
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (url.pathname === '/_control' && req.method === 'POST') {
      const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as ControlRequest;
      const { change, ...patch } = body;
      options.faults.set(patch);
      const changed = change ? await options.change(change) : 0;
      sendJson(res, 200, { faults: options.faults.faults, changed });
      return;
    }
    const { faults } = options.faults;
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (faults.down) {
      sendJson(res, 503, { error: 'service unavailable (simulated outage)' });
      return;
    }
    if (faults.garbage) {
      const page = '<html><head><title>Network access</title></head><body>Please sign in to the network.</body></html>';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) });
      res.end(page);
      return;
    }
    const wait = options.faults.rateLimited();
    if (wait > 0) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(wait) });
      res.end(JSON.stringify({ error: 'too many requests' }));
      return;
    }
    await options.route(req, res, url);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** Writes a JSON envelope whose `data` array is made of already-serialised record lines. */
export function sendJsonLines(res: ServerResponse, head: Record<string, unknown>, lines: string[]): void {
  const meta = JSON.stringify(head);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(`${meta.slice(0, -1)}${meta.length > 2 ? ',' : ''}"data":[${lines.join(',')}]}`);
}

export async function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
