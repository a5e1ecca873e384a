/**
 * POST /webhooks/<connector>: where department systems push records (the police's live 110
 * incidents). The route only frames HTTP; authenticating and ingesting is the connector's and
 * the runner's job (src/sync/push.ts), handed in as `receive`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readLimited, sendJson } from './http.js';

export const WEBHOOK_PREFIX = '/webhooks/';
export const MAX_WEBHOOK_BYTES = 5 * 1024 * 1024;

export interface WebhookRequest {
  headers: Record<string, string | undefined>;
  body: Buffer;
}

/** Ingests a push for the named connector; throws an error with `status` 400/401/404 to refuse it. */
export type WebhookReceiver = (connector: string, request: WebhookRequest) => Promise<Record<string, unknown>>;

export async function serveWebhook(req: IncomingMessage, res: ServerResponse, path: string, receive: WebhookReceiver): Promise<void> {
  if (req.method !== 'POST') {
    sendJson(res, 405, { error: 'webhooks take POST' }, { allow: 'POST' });
    return;
  }
  let connector: string;
  try {
    connector = decodeURIComponent(path.slice(WEBHOOK_PREFIX.length));
  } catch {
    req.resume();
    sendJson(res, 404, { error: `no webhook at ${path.slice(0, 100)}: the connector name is not valid percent-encoding` });
    return;
  }
  const body = await readLimited(req, MAX_WEBHOOK_BYTES);
  if (body === null) {
    sendJson(res, 413, { error: `webhook bodies are limited to ${MAX_WEBHOOK_BYTES} bytes; split the records over several pushes` });
    return;
  }
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  try {
    sendJson(res, 202, await receive(connector, { headers, body }));
  } catch (error) {
    const status = typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : 500;
    sendJson(res, status, { error: status === 500 ? 'the hub could not store the records; the sender should retry' : (error as Error).message });
    if (status === 500) throw error;
  }
}
