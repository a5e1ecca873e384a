import { createContext, useContext } from 'react';
import type { Client } from 'graphql-ws';

/** The live connection, for pages that drive subscriptions themselves, and whether it is up. */
export const ConnectionContext = createContext<{ ws: Client; online: boolean } | null>(null);

export function useConnection() {
  const ctx = useContext(ConnectionContext);
  if (!ctx) throw new Error('useConnection outside ConnectionContext');
  return ctx;
}
