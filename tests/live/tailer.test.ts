import { describe, expect, test } from '@jest/globals';
import pino from 'pino';
import { comparePositions, type LogPosition } from '../../src/events/outbox.js';
import type { LogRead } from '../../src/store/repositories/eventLog.js';
import { LogTailer } from '../../src/live/tailer.js';

/** A log in memory: rows become readable once `settle` says their transaction has ended. */
function memoryLog() {
  const rows: Array<{ position: LogPosition; settled: boolean }> = [];
  let reads = 0;
  return {
    rows,
    get reads() {
      return reads;
    },
    read: async (from: LogPosition, limit: number): Promise<LogRead<LogPosition>> => {
      reads++;
      const after = rows.filter((r) => comparePositions(r.position, from) > 0).sort((a, b) => comparePositions(a.position, b.position));
      const cut = after.findIndex((r) => !r.settled);
      const settled = (cut >= 0 ? after.slice(0, cut) : after).slice(0, limit).map((r) => r.position);
      return { events: settled, end: settled.at(-1) ?? null, unsettled: cut >= 0, more: cut < 0 && after.length > limit };
    },
  };
}

const until = async (what: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!what() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return what();
};

describe('LogTailer', () => {
  test('woken by a notice, it reads again until it has passed the position the notice carries', async () => {
    const log = memoryLog();
    const delivered: LogPosition[] = [];
    const tailer = new LogTailer<LogPosition>({
      name: 'test', log: pino({ level: 'silent' }), head: async () => ({ tx: '0', id: '0' }), read: log.read,
      deliver: (events) => delivered.push(...events), active: () => true, pollMs: 60_000,
    });
    await tailer.start();
    // An older transaction (tx 10) holds a lower id; the notice comes from the younger one (tx 11), committed first.
    log.rows.push({ position: { tx: '10', id: '1' }, settled: false }, { position: { tx: '11', id: '2' }, settled: false });
    tailer.wake({ tx: '11', id: '2' });
    await until(() => log.reads >= 3);
    expect(delivered).toEqual([]);
    log.rows[0]!.settled = true;
    log.rows[1]!.settled = true;
    expect(await until(() => delivered.length === 2)).toBe(true);
    expect(delivered).toEqual([{ tx: '10', id: '1' }, { tx: '11', id: '2' }]);
    const reads = log.reads;
    await new Promise((r) => setTimeout(r, 100));
    expect(log.reads).toBe(reads); // passed it: no more reads until the next notice
    await tailer.stop();
  });

  test('a notice whose row is gone (filtered, or deleted since) is not waited for', async () => {
    const log = memoryLog();
    const tailer = new LogTailer<LogPosition>({
      name: 'test', log: pino({ level: 'silent' }), head: async () => ({ tx: '0', id: '0' }), read: log.read,
      deliver: () => undefined, active: () => true, pollMs: 60_000,
    });
    await tailer.start();
    tailer.wake({ tx: '5', id: '9' });
    await until(() => log.reads >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(log.reads).toBe(1);
    await tailer.stop();
  });
});
