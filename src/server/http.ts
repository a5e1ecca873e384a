import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import type { GraphQLError } from 'graphql';

/** Request bodies past this are refused with 413 before parsing. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }

  static from(status: number, error: GraphQLError, headers: Record<string, string> = {}): HttpError {
    return new HttpError(status, String(error.extensions.code ?? 'BAD_REQUEST'), error.message, headers);
  }
}

/** How long the rest of a refused body is read and dropped, so that the sender sees the 413. */
const LINGER_MS = 2_000;

/**
 * The body, or null when it is over `limit`: refused from `Content-Length` before a byte is read,
 * or as soon as a chunked body passes it; the caller answers 413 at once. Nothing past the limit
 * is kept. What still comes is dropped for LINGER_MS and then the connection is cut: closing
 * while the sender's bytes are unread would reset the connection and lose the 413 on the way.
 * Not `for await`: leaving that loop destroys the socket before the answer.
 */
export function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const refuse = (): null => {
    req.resume();
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
    req.once('end', () => clearTimeout(timer));
    req.once('close', () => clearTimeout(timer));
    return null;
  };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(refuse());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        resolve(refuse());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const body = await readLimited(req, limit);
  if (body === null) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request limit: the body exceeds ${limit} bytes.`);
  try {
    return utf8.decode(body);
  } catch {
    // Decoding leniently would turn the bad bytes into U+FFFD and run a query nobody sent.
    throw new HttpError(400, 'BAD_REQUEST', 'Request body is not valid UTF-8.');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A refusal before execution, in GraphQL's response shape so clients read it like any other error. */
export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { errors: [{ message: err.message, extensions: { code: err.code } }] }, err.headers);
}

export interface GraphQLHttpOptions<TContext extends object> {
  context: () => Promise<TContext>;
  /** Rewrites a parsed JSON body before Apollo sees it (persisted-operations mode only). May throw HttpError. */
  prepareBody?: (body: Record<string, unknown>) => Record<string, unknown>;
  /** After this, the client gets TIME_LIMIT_EXCEEDED instead of waiting on. */
  timeoutMs: number;
}

/**
 * Apollo Server on Node's own http server, through Apollo's integration API: turn the Node
 * request into an HTTPGraphQLRequest, let Apollo execute it, write its response back.
 */
export async function handleGraphQL<TContext extends object>(
  apollo: ApolloServer<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
  options: GraphQLHttpOptions<TContext>,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown;
  if (req.method === 'POST') {
    const text = await readBody(req, MAX_BODY_BYTES);
    if ((headers.get('content-type') ?? '').includes('application/json')) {
      try {
        body = text.length ? JSON.parse(text) : undefined;
      } catch {
        throw new HttpError(400, 'BAD_REQUEST', 'Request body is not valid JSON.');
      }
      // Refused rather than bounded: a batch would pass the rate limit and the request deadline as one request.
      if (Array.isArray(body)) {
        throw new HttpError(400, 'BATCHING_NOT_SUPPORTED', 'Batched operations (a JSON array) are not accepted; send one operation per request, or ask for several fields in one operation.');
      }
      if (options.prepareBody && body && typeof body === 'object') {
        body = options.prepareBody(body as Record<string, unknown>);
      }
    } else {
      body = text;
    }
  } else if (options.prepareBody && ['query', 'extensions', 'documentId'].some((k) => url.searchParams.has(k))) {
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'This hub takes persisted operations by POST only.');
  }
  const httpGraphQLRequest: HTTPGraphQLRequest = { method: req.method ?? 'GET', headers, search: url.search, body };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(503, 'TIME_LIMIT_EXCEEDED', `Request limit: no answer within ${options.timeoutMs} ms.`)), options.timeoutMs);
  });
  try {
    const response = await Promise.race([apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: options.context }), deadline]);
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  } finally {
    clearTimeout(timer);
  }
}
