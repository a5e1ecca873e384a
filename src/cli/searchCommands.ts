/**
 * `liandong reindex`: a full rebuild of the search index without downtime. Searches keep using
 * the live index (and hubs keep updating it) until the new one is complete; then an alias swap
 * (Elasticsearch) or a table rename (PostgreSQL) makes it live, and what changed meanwhile is
 * replayed from the outbox.
 */
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { migrateToLatest } from '../store/db.js';
import { searchEngine } from '../search/service.js';
import { createRuntime } from './runtime.js';

export function registerSearchCommands(program: Command): void {
  program
    .command('reindex')
    .description('Rebuild the search index from the canonical store into a new index version and switch to it when complete (ELASTICSEARCH_URL selects Elasticsearch; else PostgreSQL). Hubs keep serving searches meanwhile.')
    .option('--no-progress', 'no progress bar (logs only)')
    .action(async (opts: { progress: boolean }) => {
      const rt = createRuntime();
      const db = await rt.openStore();
      const bar = opts.progress
        ? new SingleBar({ format: ' {type} [{bar}] {percentage}% | {value}/{total} documents | {rate}/s | {duration_formatted}', hideCursor: true }, Presets.shades_classic)
        : null;
      try {
        await migrateToLatest(db.knex);
        const { backend, indexer } = await searchEngine(db.knex, rt.config.ELASTICSEARCH_URL);
        try {
          await backend.ensureSchema().catch((err: unknown) => {
            throw new Error(`the ${backend.kind} search backend is not reachable: ${(err as Error).message}${backend.kind === 'elasticsearch' ? '. Check ELASTICSEARCH_URL and that the cluster is up.' : ''}`);
          });
          let started = false;
          const result = await indexer.rebuild({
            onProgress: (p) => {
              if (!bar) return;
              const rate = Math.round(p.documents / Math.max(0.001, p.elapsedMs / 1000));
              if (!started) {
                bar.start(p.totalDocuments, p.documents, { type: p.type.padEnd(10), rate });
                started = true;
              } else {
                bar.update(p.documents, { type: p.type.padEnd(10), rate });
              }
            },
          });
          bar?.stop();
          const byType = Object.entries(result.byType).map(([type, n]) => `${n} ${type}`).join(', ');
          console.error(`\nindexed ${result.documents} documents (${byType}) into ${backend.kind} generation ${result.generation} `
            + `in ${(result.elapsedMs / 1000).toFixed(1)} s (${Math.round(result.documentsPerSecond)}/s); it is live now, `
            + `and ${result.replayed} changes made meanwhile were replayed.`);
        } finally {
          await backend.close();
        }
      } finally {
        bar?.stop();
        await db.close();
      }
    });
}
