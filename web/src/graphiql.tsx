/**
 * GraphiQL, bundled from npm (no CDN), against this hub. It uses the console's sign-in: the
 * token and purpose of this tab's session go with every request.
 */
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws';
import { wsUrl } from './lib/client';
import 'graphiql/style.css';

const token = sessionStorage.getItem('liandong.token');
const purpose = sessionStorage.getItem('liandong.purpose');
const headers: Record<string, string> = {
  ...(token ? { authorization: `Bearer ${token}` } : {}),
  ...(purpose ? { 'x-purpose': encodeURIComponent(purpose) } : {}),
};
const fetcher = createGraphiQLFetcher({
  url: '/graphql',
  headers,
  wsClient: createClient({ url: wsUrl(), connectionParams: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(purpose ? { 'x-purpose': purpose } : {}) } }),
});

createRoot(document.getElementById('graphiql')!).render(<GraphiQL fetcher={fetcher} defaultQuery={'# 联动 GraphQL\n{\n  viewer { authenticated role name }\n}\n'} />);
