/**
 * `liandong resolve`: entity resolution over what is stored. Without `--all`, another look at
 * every record still unlinked; with it, everything again (keys rebuilt, the model estimated from
 * the data, every link not made by a key or a person re-decided). Safe to interrupt: the next
 * run resumes from the last committed batch.
 */
import type { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { migrateToLatest } from '../store/db.js';
import { loadPlaces } from '../store/ingest/places.js';
import { Resolver } from '../resolution/index.js';
import { relinkUnlinked, resolveAll } from '../resolution/rerun.js';
import { createRuntime } from './runtime.js';

export function registerResolveCommands(program: Command): void {
  program
    .command('resolve')
    .description('Entity resolution over the stored records: another look at the unlinked ones, or with --all everything again (resumable, idempotent).')
    .option('--all', 'rebuild the keys, estimate the model (EM) and re-resolve every link not made by a key or a person')
    .option('--no-estimate', 'with --all: keep the stored (or default) model instead of estimating it')
    .option('--no-progress', 'no progress bar')
    .action(async (opts: { all?: boolean; estimate: boolean; progress: boolean }) => {
      const rt = createRuntime();
      const db = await rt.openStore();
      const bar = opts.progress ? new SingleBar({ format: ' {stage} [{bar}] {percentage}% | {value}/{total} records | {duration_formatted}', hideCursor: true }, Presets.shades_classic) : null;
      const started = Date.now();
      try {
        await migrateToLatest(db.knex);
        const places = await loadPlaces(db.knex);
        const resolver = new Resolver({ ...rt.resolution, mode: 'full' });
        if (!opts.all) {
          const r = await relinkUnlinked(db.knex, places, resolver);
          console.error(`looked again at ${r.examined} unlinked records and mentions: ${r.linked} linked, ${r.review} sent to review, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
          return;
        }
        let stage = '';
        const r = await resolveAll(db.knex, places, resolver, {
          estimate: opts.estimate,
          onProgress: (p) => {
            if (!bar) return;
            if (p.stage !== stage) {
              if (stage) bar.stop();
              stage = p.stage;
              bar.start(p.total, p.done, { stage: p.stage.padEnd(8) });
            } else {
              bar.update(p.done);
            }
          },
        });
        bar?.stop();
        console.error(`\nresolved again in ${((Date.now() - started) / 1000).toFixed(1)} s (run ${r.runId}): ${r.examined} records and mentions looked at, `
          + `${r.linked} newly linked, ${r.moved} moved to another entity, ${r.unlinked} unlinked, ${r.review} sent to review; `
          + `model estimated from ${r.pairs} pairs.`);
        console.log(JSON.stringify({ runId: r.runId, examined: r.examined, linked: r.linked, moved: r.moved, unlinked: r.unlinked, review: r.review, pairs: r.pairs, elapsedMs: Date.now() - started }));
      } finally {
        bar?.stop();
        await db.close();
      }
    });
}
