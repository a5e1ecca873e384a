/**
 * Helpers the REST simulators share (market regulation, civil affairs, the population register,
 * the police): finding the n-th record of a generator file without loading it, sending a JSON
 * envelope made of already-serialised record lines, query parameters, and the time conventions
 * of their `updatedAfter` filters.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { isoBeijing } from '../../world/time.js';

const CHUNK = 1 << 20;
/** One checkpoint per this many lines: 250,000 records need ~500 numbers. */
const STRIDE = 512;
/** Remembered (record offset → byte offset) pairs from recent pages, so sequential paging never rescans. */
const MEMO = 64;

/**
 * Record number → byte offset in an NDJSON file, from a sparse index built by one streaming pass
 * (newline counting only). Memory: one number per STRIDE lines.
 */
export class LineIndex {
  readonly count: number;
  private readonly fd: number;
  private readonly size: number;
  private readonly checkpoints: number[] = [];
  private readonly memo = new Map<number, number>();

  constructor(readonly file: string) {
    this.fd = openSync(file, 'r');
    this.size = fstatSync(this.fd).size;
    const buffer = Buffer.allocUnsafe(CHUNK);
    let lines = 0;
    let pos = 0;
    let last = 10;
    if (this.size > 0) this.checkpoints.push(0);
    while (pos < this.size) {
      const read = readSync(this.fd, buffer, 0, Math.min(CHUNK, this.size - pos), pos);
      if (read === 0) break;
      for (let i = buffer.indexOf(10, 0); i !== -1 && i < read; i = buffer.indexOf(10, i + 1)) {
        lines++;
        if (lines % STRIDE === 0 && pos + i + 1 < this.size) this.checkpoints.push(pos + i + 1);
      }
      last = buffer[read - 1] ?? 10;
      pos += read;
    }
    this.count = lines + (last !== 10 ? 1 : 0);
  }

  close(): void {
    closeSync(this.fd);
  }

  /** The byte offset where record `n` (0-based) starts; the file size when n >= count. */
  offsetOf(n: number): number {
    if (n >= this.count) return this.size;
    const known = this.memo.get(n);
    if (known !== undefined) return known;
    const k = Math.floor(n / STRIDE);
    let pos = this.checkpoints[k] ?? 0;
    let skip = n - k * STRIDE;
    const buffer = Buffer.allocUnsafe(64 * 1024);
    while (skip > 0 && pos < this.size) {
      const read = readSync(this.fd, buffer, 0, Math.min(buffer.length, this.size - pos), pos);
      if (read === 0) break;
      let i = 0;
      for (; skip > 0; skip--) {
        const nl = buffer.indexOf(10, i);
        if (nl === -1 || nl >= read) break;
        i = nl + 1;
      }
      pos += skip > 0 ? read : i;
    }
    return pos;
  }

  /** Records that record `n` starts at byte `offset` (after serving a page that ended there). */
  remember(n: number, offset: number): void {
    if (this.memo.size >= MEMO) {
      const oldest = this.memo.keys().next();
      if (!oldest.done) this.memo.delete(oldest.value);
    }
    this.memo.set(n, offset);
  }
}

/**
 * Writes `{...head, "<key>": [records]}` from already-serialised record lines, one record per
 * line inside the array, so that a client can still split a response whose records are broken.
 */
export function sendJsonArray(res: ServerResponse, head: Record<string, unknown>, key: string, lines: string[], headers: Record<string, string> = {}): void {
  const meta = JSON.stringify(head);
  const body = lines.length === 0 ? '' : `\n${lines.join(',\n')}\n`;
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(`${meta.slice(0, -1)}${meta.length > 2 ? ',' : ''}${JSON.stringify(key)}:[${body}]}`);
}

/**
 * The table's threshold for "updated after `ms`" as a client means it: records carry update
 * times to the second, so a record is after `ms` when its second is after `ms`'s second, whatever
 * milliseconds the table's clock stamped it with.
 */
export function afterSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000 + 999;
}

/** An instant as Beijing time with offset, to the second (how the simulators report high-water marks). */
export function beijingSecond(ms: number): string {
  return isoBeijing(Math.floor(ms / 1000) * 1000);
}

/** A query parameter as a whole number in [min, max], or an error message. */
export function intParam(url: URL, name: string, fallback: number, min: number, max: number): number | string {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) return `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`;
  return n;
}

/** A query parameter as an instant (ISO 8601), or an error message; null when absent. */
export function timeParam(url: URL, name: string): number | null | string {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return null;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? `${name} must be an ISO 8601 date-time, got ${JSON.stringify(raw)}` : ms;
}
