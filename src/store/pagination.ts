import { SafeError } from '../errors.js';

export const DEFAULT_PAGE_SIZE = 20;
/** Caps `first` so one request cannot ask the store for an unbounded page. */
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** A Relay connection as the data layer hands it out; the total is counted only when asked for. */
export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: () => Promise<number>;
}

/** Keyset position: the sort key of the last row seen. Opaque to clients. */
export function encodeCursor(key: string): string {
  return Buffer.from(`c:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('c:') || !/^\d+$/.test(text.slice(2))) {
    throw new SafeError('BAD_USER_INPUT', `Invalid cursor "${cursor}": pass a cursor this API returned.`);
  }
  return text.slice(2);
}

export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new SafeError('BAD_USER_INPUT', `first must be between 0 and ${MAX_PAGE_SIZE}, got ${size}.`);
  }
  return size;
}

/** Builds a connection from rows fetched with `limit size + 1`: the extra row only says there is more. */
export function toConnection<T extends { id: string }>(
  rows: T[],
  size: number,
  hasPrevious: boolean,
  totalCount: () => Promise<number>,
): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      hasPreviousPage: hasPrevious,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount,
  };
}
