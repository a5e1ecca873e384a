/** Driving one connector by hand, without the runner, for the per-department connector tests. */
import { createConnectorCache, createSourceHttp, systemClock, type Clock, type Connector, type ConnectorContext, type Cursor, type Page } from '../../src/connectors/sdk/index.js';

/** One cache for the test process, as the host keeps one per connector across its reads. */
const sharedCache = createConnectorCache(systemClock);

export function testContext(signal: AbortSignal = new AbortController().signal, timeoutMs = 5_000, clock: Clock = systemClock): ConnectorContext {
  return {
    signal,
    http: createSourceHttp({ timeoutMs, signal }),
    log: { info: () => undefined, warn: () => undefined },
    clock,
    cache: clock === systemClock ? sharedCache : createConnectorCache(clock),
  };
}

/** Every page of one stream from `cursor`, and the cursor after the last page. */
export async function readAll<C>(connector: Connector<C>, config: C, stream: string, cursor: Cursor | null = null, ctx = testContext()): Promise<{ pages: Page[]; records: Page['records']; cursor: Cursor | null }> {
  const pages: Page[] = [];
  let last = cursor;
  for await (const page of connector.read(config, stream, cursor, ctx)) {
    pages.push(page);
    last = page.cursor;
  }
  return { pages, records: pages.flatMap((p) => p.records), cursor: last };
}
