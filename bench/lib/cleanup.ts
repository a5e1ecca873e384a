/**
 * Everything the bench starts (child hubs, the throwaway PostgreSQL server, temp dirs) registers
 * how to undo it here. runCleanups() undoes all of it, newest first, whatever failed; there is
 * only ever one run at a time, and every caller waits for it. SIGINT/SIGTERM stop the load,
 * clean up and exit 130; a synchronous last resort runs on process exit for anything left.
 */
import { errorMessage, progress } from './util.js';

interface Entry {
  name: string;
  run: () => Promise<void>;
  /** Best effort without awaiting, for the process 'exit' hook. */
  sync?: () => void;
}

const entries: Entry[] = [];
const interruptHandlers = new Set<() => void>();
let running: Promise<void> | null = null;
let interrupted = false;

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

export function isInterrupted(): boolean {
  return interrupted;
}

/** Throws Interrupted once SIGINT/SIGTERM arrived: call between steps so nothing new starts. */
export function checkInterrupted(): void {
  if (interrupted) throw new Interrupted();
}

/**
 * Registers the undo step of a resource just acquired and returns its release(): runs the undo
 * once, however often it is called and whether the cleanup run got to it first, and resolves
 * when the undo has finished.
 */
export function track(name: string, undo: () => Promise<void>, sync?: () => void): () => Promise<void> {
  let undoing: Promise<void> | null = null;
  const once = () => (undoing ??= undo());
  const entry: Entry = { name, run: once, ...(sync ? { sync } : {}) };
  entries.push(entry);
  return async () => {
    try {
      await once();
    } finally {
      const i = entries.indexOf(entry);
      if (i >= 0) entries.splice(i, 1);
    }
  };
}

/** Undoes everything registered, newest first. Concurrent callers share one run. */
export function runCleanups(): Promise<void> {
  running ??= (async () => {
    try {
      while (entries.length) {
        const entry = entries[entries.length - 1]!;
        try {
          await entry.run();
        } catch (error) {
          progress(`cleanup of ${entry.name} failed: ${errorMessage(error)}`);
        }
        const i = entries.indexOf(entry);
        if (i >= 0) entries.splice(i, 1);
      }
    } finally {
      running = null;
    }
  })();
  return running;
}

/** Called on SIGINT/SIGTERM before cleaning up, e.g. to stop a running load generator. */
export function onInterrupt(handler: () => void): () => void {
  interruptHandlers.add(handler);
  return () => interruptHandlers.delete(handler);
}

export function installSignalHandlers(): void {
  const handle = (signal: NodeJS.Signals) => {
    if (interrupted) {
      progress(`${signal} again: exiting now`);
      process.exit(130);
    }
    interrupted = true;
    progress(`${signal}: stopping and cleaning up (send it again to exit at once)`);
    for (const handler of interruptHandlers) {
      try {
        handler();
      } catch {
        // keep going
      }
    }
    void runCleanups().finally(() => process.exit(130));
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  process.on('exit', () => {
    for (const entry of entries.splice(0).reverse()) {
      try {
        entry.sync?.();
      } catch {
        // best effort
      }
    }
  });
}
