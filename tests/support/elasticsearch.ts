/**
 * The Elasticsearch node of a test run. Jest's globalSetup starts one node in the background when
 * the run includes a file that calls sharedElasticsearch(), and every such file shares it (each
 * under its own index prefix), as the suites share one PostgreSQL server: a JVM start is
 * 20–60 s on the CI machine, paid once instead of once per file.
 *
 * Without globalSetup's node (a file run with LIANDONG_TEST_ELASTICSEARCH=own, or one globalSetup
 * did not foresee), the file starts its own, as before; LIANDONG_TEST_ELASTICSEARCH_URL still
 * names a node the developer runs. Tests that stop or break the node start their own with
 * startElasticsearch() and never touch the shared one.
 */
import { readFileSync } from 'node:fs';
import { startElasticsearch, type ElasticsearchNode } from '../../tools/servers/elasticsearch.js';
import { SHARED_ELASTICSEARCH_STATE_ENV } from './globalSetup.js';

interface SharedState { url?: string; pid?: number | null; logFile?: string | null; error?: string }

function readState(path: string): SharedState | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SharedState;
  } catch {
    return null; // not written yet (or being written: it is renamed into place, so rarely)
  }
}

/** The run's shared node once it is healthy; its stop() does nothing (globalTeardown stops it). */
export async function sharedElasticsearch(timeoutMs = 600_000): Promise<ElasticsearchNode> {
  const statePath = process.env[SHARED_ELASTICSEARCH_STATE_ENV];
  if (!statePath) return startElasticsearch();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = readState(statePath);
    if (state?.error) throw new Error(`the run's shared Elasticsearch node did not start:\n${state.error}`);
    if (state?.url) return { url: state.url, pid: state.pid ?? null, logFile: state.logFile ?? null, stop: async () => {} };
    if (Date.now() > deadline) throw new Error(`the run's shared Elasticsearch node was not up after ${timeoutMs} ms (state file ${statePath})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
