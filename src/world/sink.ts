/**
 * Incremental NDJSON output with backpressure. Lines are batched into ~256 KiB chunks; a
 * chunk goes to the file stream (through gzip when asked) and, when the stream says its
 * buffer is full, the generator awaits 'drain' before producing more. Memory stays bounded by
 * one unit of work (a grid) plus the streams' high-water marks, whatever the scale.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { dirname, join } from 'node:path';
import { constants as zc, createGzip, type Gzip } from 'node:zlib';

const CHUNK_CHARS = 1 << 17;

export class NdjsonSink {
  private parts: string[] = [];
  private chars = 0;
  /** Lines written so far. */
  count = 0;
  private readonly file: WriteStream;
  private readonly gzip: Gzip | null;

  constructor(readonly relativePath: string, absolutePath: string, gzipLevel: number | null) {
    mkdirSync(dirname(absolutePath), { recursive: true });
    this.file = createWriteStream(absolutePath, { highWaterMark: 1 << 20 });
    if (gzipLevel === null) {
      this.gzip = null;
    } else {
      this.gzip = createGzip({ level: gzipLevel, chunkSize: 1 << 16, memLevel: 9, strategy: zc.Z_DEFAULT_STRATEGY });
      this.gzip.pipe(this.file);
    }
  }

  private get target(): Writable {
    return this.gzip ?? this.file;
  }

  write(row: unknown): void {
    const line = JSON.stringify(row);
    this.parts.push(line);
    this.chars += line.length + 1;
    this.count++;
    if (this.chars >= CHUNK_CHARS) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    const chunk = `${this.parts.join('\n')}\n`;
    this.parts = [];
    this.chars = 0;
    this.target.write(chunk);
  }

  /** Hands buffered lines to the stream and waits while it is over its high-water mark. */
  async drain(): Promise<void> {
    this.flush();
    // writableNeedDrain stays true from a refused write until 'drain' is emitted, so a drain
    // that happened while another file was awaited is not waited for again.
    const target = this.target;
    if (target.writableNeedDrain) await once(target, 'drain');
  }

  /** Flushes, ends and waits until the file is closed; returns the bytes on disk. */
  async close(): Promise<number> {
    this.flush();
    this.target.end();
    await finished(this.file);
    return this.file.bytesWritten;
  }

  /** Abandons the file (after an error or abort). */
  destroy(): void {
    this.gzip?.destroy();
    this.file.destroy();
  }
}

/** All output files of one run, opened on first use, keyed by their path under the output dir. */
export class SinkSet {
  private readonly sinks = new Map<string, NdjsonSink>();

  constructor(private readonly outDir: string, private readonly gzipLevel: number | null) {}

  get extension(): string {
    return this.gzipLevel === null ? '.ndjson' : '.ndjson.gz';
  }

  /** `name` is the path without extension, e.g. 'world/people'. */
  open(name: string): NdjsonSink {
    let sink = this.sinks.get(name);
    if (!sink) {
      const rel = `${name}${this.extension}`;
      sink = new NdjsonSink(rel, join(this.outDir, rel), this.gzipLevel);
      this.sinks.set(name, sink);
    }
    return sink;
  }

  async drainAll(): Promise<void> {
    for (const s of this.sinks.values()) await s.drain();
  }

  /** Closes every file; returns { relative path: { rows, bytes } } in opening order. */
  async closeAll(onClosed?: (done: number, total: number) => void): Promise<Record<string, { rows: number; bytes: number }>> {
    const out: Record<string, { rows: number; bytes: number }> = {};
    const all = [...this.sinks.values()];
    let done = 0;
    await Promise.all(all.map(async (s) => {
      const bytes = await s.close();
      out[s.relativePath] = { rows: s.count, bytes };
      onClosed?.(++done, all.length);
    }));
    // Deterministic key order whatever order the files finished in.
    const ordered: Record<string, { rows: number; bytes: number }> = {};
    for (const s of all) ordered[s.relativePath] = out[s.relativePath] as { rows: number; bytes: number };
    return ordered;
  }

  destroyAll(): void {
    for (const s of this.sinks.values()) s.destroy();
  }
}
