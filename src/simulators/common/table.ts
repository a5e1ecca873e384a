/**
 * A department system's table, backed by the generator's NDJSON file without loading it: the
 * full export pages through the file by byte offset, and records changed while the simulator
 * runs live in a small in-memory overlay with fresh update times. That is enough to serve a
 * 3,000,000-row register with flat memory, and to make incremental reads mean something.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Rng } from '../../world/rng.js';

export interface TableOptions {
  /** Field holding the record's id (e.g. RYBH); read from raw lines without parsing them. */
  keyField: string;
  /** The record's last update, in epoch ms. */
  updatedAt(record: Record<string, unknown>): number;
  /** The record with its update field set to `ms` (in the department's own format). */
  stamp(record: Record<string, unknown>, ms: number): Record<string, unknown>;
  /** Every base record was updated at or before this instant (the world's "now"). */
  baseHighWater: number;
}

export interface StoredLine {
  key: string;
  updatedAt: number;
  line: string;
}

const CHUNK = 1 << 20;

export class FileTable {
  private readonly fd: number;
  private readonly size: number;
  /** key → latest version, for records changed or added at runtime. */
  private readonly overlay = new Map<string, StoredLine>();
  /** Keys added at runtime (not in the file), in insertion order. */
  private readonly added: string[] = [];
  private clock: number;
  private sortedBase: StoredLine[] | null = null;

  constructor(readonly file: string, private readonly options: TableOptions) {
    this.fd = openSync(file, 'r');
    this.size = fstatSync(this.fd).size;
    this.clock = options.baseHighWater;
  }

  close(): void {
    closeSync(this.fd);
  }

  /** The instant every record so far was updated at or before: a full export's high-water mark. */
  get highWater(): number {
    return this.clock;
  }

  /**
   * Up to `limit` lines in storage order after `cursor` (0: the start). The cursor is a byte
   * offset into the file, then size + n for the n-th record added at runtime. A record changed at
   * runtime is served in its latest version.
   */
  scan(cursor: number, limit: number): { lines: string[]; next: number | null } {
    const lines: string[] = [];
    let pos = cursor;
    const buffer = Buffer.allocUnsafe(CHUNK);
    while (pos < this.size && lines.length < limit) {
      const read = readSync(this.fd, buffer, 0, Math.min(CHUNK, this.size - pos), pos);
      if (read === 0) break;
      let start = 0;
      for (;;) {
        const nl = buffer.indexOf(10, start);
        if (nl === -1 || nl >= read) break;
        if (nl > start) lines.push(this.latest(buffer.toString('utf8', start, nl)));
        start = nl + 1;
        if (lines.length >= limit) break;
      }
      if (start === 0) {
        if (pos + read >= this.size) {
          lines.push(this.latest(buffer.toString('utf8', 0, read)));
          start = read;
        } else {
          throw new Error(`${this.file}: a line longer than ${CHUNK} bytes at offset ${pos}`);
        }
      }
      pos += start;
    }
    if (pos >= this.size) {
      let n = pos - this.size;
      while (n < this.added.length && lines.length < limit) {
        const stored = this.overlay.get(this.added[n] as string);
        if (stored) lines.push(stored.line);
        n++;
      }
      pos = this.size + n;
      return { lines, next: n < this.added.length ? pos : null };
    }
    return { lines, next: pos };
  }

  /**
   * Records updated after `since` (epoch ms), ordered by (update time, key), after the keyset
   * position `after`. Changes made at runtime are answered from memory; a `since` before the
   * base high-water mark needs the whole file once (sorted on first use).
   */
  changedSince(since: number, after: { updatedAt: number; key: string } | null, limit: number): StoredLine[] {
    const candidates: StoredLine[] = [];
    if (since < this.options.baseHighWater) {
      for (const s of this.baseSorted()) if (s.updatedAt > since && !this.overlay.has(s.key)) candidates.push(s);
    }
    for (const s of this.overlay.values()) if (s.updatedAt > since) candidates.push(s);
    candidates.sort(compareStored);
    const out: StoredLine[] = [];
    for (const s of candidates) {
      if (after && compareStored(s, { ...after, line: '' }) <= 0) continue;
      out.push(s);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Changes `count` distinct random records through `mutate`, each stamped with a fresh update time. Returns their keys. */
  change(count: number, rng: Rng, mutate: (record: Record<string, unknown>, rng: Rng) => Record<string, unknown>): string[] {
    // Distinct records: random offsets may land on one record twice, and a caller asking for
    // n changes expects n records to differ. Long records are likelier targets; that is fine.
    const keys = new Set<string>();
    if (this.size === 0) return [];
    for (let attempts = 0; keys.size < count && attempts < count * 20; attempts++) {
      const line = this.latest(this.lineAt(Math.floor(rng.next() * this.size)));
      const key = keyOf(line, this.options.keyField);
      if (key !== null && keys.has(key)) continue;
      keys.add(this.put(mutate(JSON.parse(line) as Record<string, unknown>, rng)));
    }
    return [...keys];
  }

  /** Replaces an existing record (from the file or added earlier), stamped now. Returns its key. */
  put(record: Record<string, unknown>): string {
    return this.store(record, false);
  }

  /** Adds a record the file does not have (a new 110 call), stamped now. Returns its key. */
  add(record: Record<string, unknown>): string {
    return this.store(record, true);
  }

  private store(record: Record<string, unknown>, isNew: boolean): string {
    const key = String(record[this.options.keyField]);
    this.clock = Math.max(Date.now(), this.clock + 1000);
    const stamped = this.options.stamp(record, this.clock);
    if (isNew && !this.overlay.has(key)) this.added.push(key);
    this.overlay.set(key, { key, updatedAt: this.clock, line: JSON.stringify(stamped) });
    return key;
  }

  private baseSorted(): StoredLine[] {
    if (!this.sortedBase) {
      const all: StoredLine[] = [];
      let cursor = 0;
      for (;;) {
        const { lines, next } = this.scanBase(cursor, 10_000);
        for (const line of lines) {
          const record = JSON.parse(line) as Record<string, unknown>;
          all.push({ key: String(record[this.options.keyField]), updatedAt: this.options.updatedAt(record), line });
        }
        if (next === null) break;
        cursor = next;
      }
      this.sortedBase = all.sort(compareStored);
    }
    return this.sortedBase;
  }

  private scanBase(cursor: number, limit: number): { lines: string[]; next: number | null } {
    const saved = [...this.overlay.entries()];
    this.overlay.clear();
    try {
      const page = this.scan(cursor, limit);
      return { lines: page.lines, next: page.next !== null && page.next < this.size ? page.next : null };
    } finally {
      for (const [k, v] of saved) this.overlay.set(k, v);
    }
  }

  private latest(line: string): string {
    if (this.overlay.size === 0) return line;
    const key = keyOf(line, this.options.keyField);
    return (key !== null && this.overlay.get(key)?.line) || line;
  }

  /** The whole line containing byte `offset`. */
  private lineAt(offset: number): string {
    const window = Math.min(offset, 64 * 1024);
    const buffer = Buffer.allocUnsafe(window);
    const read = window === 0 ? 0 : readSync(this.fd, buffer, 0, window, offset - window);
    const prev = buffer.lastIndexOf(10, read - 1);
    const start = prev === -1 ? offset - read : offset - read + prev + 1;
    return this.scan(start, 1).lines[0] ?? '';
  }
}

function compareStored(a: StoredLine, b: StoredLine): number {
  return a.updatedAt - b.updatedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** The string value of `"field":"…"` in a raw JSON line, without parsing it. */
export function keyOf(line: string, field: string): string | null {
  const marker = `"${field}":"`;
  const at = line.indexOf(marker);
  if (at === -1) return null;
  const start = at + marker.length;
  const end = line.indexOf('"', start);
  return end === -1 ? null : line.slice(start, end);
}
