/**
 * One urql client per sign-in: queries and mutations over HTTP, subscriptions over graphql-ws
 * on the same /graphql path. The Bearer token and the purpose go with every request; the
 * purpose is percent-encoded because HTTP headers carry Latin-1 only (the hub decodes it).
 */
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

export interface ConsoleClient {
  urql: Client;
  ws: WsClient;
}

export function wsUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
}

export function createConsoleClient(token: string | null, purpose: () => string | null, onConnection?: (up: boolean) => void): ConsoleClient {
  const ws = createWsClient({
    url: wsUrl(),
    lazy: true,
    // A dropped connection is retried for as long as the page is open; subscriptions resume
    // from their last cursor (see useCaseEvents).
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 5000))),
    connectionParams: () => {
      const p = purpose();
      return { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(p ? { 'x-purpose': p } : {}) };
    },
    on: {
      connected: () => onConnection?.(true),
      closed: () => onConnection?.(false),
    },
  });
  const urql = new Client({
    url: '/graphql',
    requestPolicy: 'cache-and-network',
    // POST always: Apollo's CSRF prevention refuses simple GET requests, and POST keeps search text out of access logs.
    preferGetMethod: false,
    fetchOptions: () => {
      const p = purpose();
      return {
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(p ? { 'x-purpose': encodeURIComponent(p) } : {}),
        },
      };
    },
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
  return { urql, ws };
}
