/**
 * The case clock: on every tick, intake from department records, then escalation of every case
 * whose deadline has passed. Deadlines live on the cases, so a restarted hub (or another hub)
 * picks up where this one stopped; both steps are idempotent and safe on several hubs at once.
 */
import type { Logger } from 'pino';
import { escalateOverdue, type CaseRuntime } from './caseCommands.js';
import { intakeFromConnectors } from './caseIntake.js';

export interface CaseWatcher {
  /** One tick now (waits for a tick already running instead of starting a second). */
  runNow(): Promise<{ created: string[]; escalated: string[] }>;
  stop(): Promise<void>;
}

export function startCaseWatcher(rt: CaseRuntime, options: { intervalMs: number; log: Logger }): CaseWatcher {
  let running: Promise<{ created: string[]; escalated: string[] }> | null = null;
  let stopped = false;
  const tick = () => {
    running ??= (async () => {
      const created = await intakeFromConnectors(rt);
      const escalated = await escalateOverdue(rt);
      if (created.length || escalated.length) options.log.info({ created: created.length, escalated: escalated.length }, 'case watcher: intake and escalation');
      return { created, escalated };
    })().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = options.intervalMs > 0
    ? setInterval(() => {
      if (!stopped) tick().catch((err: unknown) => options.log.error({ err }, 'case watcher tick failed'));
    }, options.intervalMs).unref()
    : null;
  return {
    runNow: tick,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
