/**
 * A throwaway, real Elasticsearch 8 node for the [elasticsearch] tests: one JVM started from
 * tools/elasticsearch (the Elasticsearch server jar and modules from Maven Central, see
 * docs/elasticsearch.md), listening on 127.0.0.1 on a free port, with its data in a temp dir.
 *
 *   const es = await startElasticsearch();   // builds the classpath on first use (mvn, cached)
 *   await fetch(`${es.url}/_cluster/health`);
 *   await es.stop();                          // SIGTERM, clean close, temp dir removed
 *
 * The JVM is also ended when this process exits (an 'exit' hook), and, however this process dies,
 * when its stdin pipe closes (RunNode --exit-on-stdin-eof).
 *
 * Environment:
 *   LIANDONG_TEST_ELASTICSEARCH_URL  use that node instead of starting one (stop() then does nothing)
 *   LIANDONG_ES_JAVA                 the java binary to run (else $JAVA_HOME/bin/java, PATH, /usr/lib/jvm/*)
 *   LIANDONG_ES_HEAP                 heap for -Xms/-Xmx (default 512m)
 *   LIANDONG_ES_START_TIMEOUT_MS     JVM start to yellow health (default 120000)
 *   LIANDONG_ES_BUILD_TIMEOUT_MS     first-time mvn build (default 600000)
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

export const ELASTICSEARCH_URL_ENV = 'LIANDONG_TEST_ELASTICSEARCH_URL';
/** Elasticsearch 8.x runs on Java 17 and later. */
export const MIN_JAVA_MAJOR = 17;

/**
 * tools/elasticsearch, found from the working directory up (tests and benches run from the
 * checkout), or LIANDONG_ES_TOOL_DIR. Not from import.meta: Jest's globalSetup, which starts the
 * shared node, loads this module as CommonJS.
 */
function findToolDir(): string {
  if (process.env.LIANDONG_ES_TOOL_DIR) return resolve(process.env.LIANDONG_ES_TOOL_DIR);
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const candidate = join(dir, 'tools', 'elasticsearch');
    if (existsSync(join(candidate, 'es-node.sh'))) return candidate;
    if (dirname(dir) === dir) return join(process.cwd(), 'tools', 'elasticsearch');
  }
}
export const ES_TOOL_DIR = findToolDir();
const ES_NODE_SCRIPT = join(ES_TOOL_DIR, 'es-node.sh');
const READY_MARK = 'LIANDONG_ES_READY ';
const LOG_TAIL_LINES = 60;

export interface ElasticsearchNode {
  /** http://127.0.0.1:PORT, no trailing slash. */
  url: string;
  /** PID of the JVM, or null for an external node. */
  pid: number | null;
  /** Console log of the JVM (kept until stop()). */
  logFile: string | null;
  /** Stops the JVM (SIGTERM, then SIGKILL after 30 s) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

function envMs(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** The major version `java -version` reports (1.8 -> 8), or null when it is no runnable java. */
export function javaMajorVersion(java: string): number | null {
  try {
    if (!statSync(java).isFile()) return null;
  } catch {
    return null;
  }
  const r = spawnSync(java, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
  if (r.error || r.status !== 0) return null;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}\n${r.stdout}`);
  if (!m) return null;
  const major = Number(m[1]);
  return major === 1 && m[2] ? Number(m[2]) : major;
}

let cachedJava: string | null | undefined;

/**
 * A java binary of version 17 or later: LIANDONG_ES_JAVA, else $JAVA_HOME/bin/java, else `java`
 * on PATH, else the newest-named /usr/lib/jvm/<jdk>/bin/java. null when there is none.
 */
export function findJava(): string | null {
  if (cachedJava !== undefined) return cachedJava;
  const candidates: string[] = [];
  if (process.env.LIANDONG_ES_JAVA) candidates.push(process.env.LIANDONG_ES_JAVA);
  if (process.env.JAVA_HOME) candidates.push(join(process.env.JAVA_HOME, 'bin', 'java'));
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir) candidates.push(join(dir, 'java'));
  }
  try {
    const jvms = readdirSync('/usr/lib/jvm').sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
    for (const jdk of jvms) candidates.push(join('/usr/lib/jvm', jdk, 'bin', 'java'));
  } catch {
    // no /usr/lib/jvm
  }
  cachedJava = null;
  for (const java of [...new Set(candidates)]) {
    const major = javaMajorVersion(java);
    if (major !== null && major >= MIN_JAVA_MAJOR) {
      cachedJava = java;
      break;
    }
  }
  return cachedJava;
}

/** Keeps the last lines written to a stream, for error messages. */
class LogTail {
  private lines: string[] = [];
  private partial = '';
  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > LOG_TAIL_LINES) this.lines.splice(0, this.lines.length - LOG_TAIL_LINES);
  }
  text(): string {
    return [...this.lines, this.partial].filter((l) => l.length > 0).join('\n');
  }
}

/** Runs `es-node.sh build` (a no-op once built): resolves the classpath from Maven Central into ~/.m2. */
export async function buildElasticsearchNode(timeoutMs = envMs('LIANDONG_ES_BUILD_TIMEOUT_MS', 600_000)): Promise<void> {
  const tail = new LogTail();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [ES_NODE_SCRIPT, 'build'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tools/elasticsearch build (mvn) did not finish in ${timeoutMs} ms:\n${tail.text()}`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => tail.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => tail.push(d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run bash ${ES_NODE_SCRIPT} build: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`tools/elasticsearch build failed (exit ${code ?? signal}):\n${tail.text()}`));
    });
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a fresh single-node Elasticsearch (or returns LIANDONG_TEST_ELASTICSEARCH_URL's) and
 * resolves once `GET /_cluster/health?wait_for_status=yellow` answers. Rejects with the tail of
 * the node's log when it exits or is not healthy in time.
 */
export async function startElasticsearch(): Promise<ElasticsearchNode> {
  const external = process.env[ELASTICSEARCH_URL_ENV];
  if (external) return { url: external.replace(/\/+$/, ''), pid: null, logFile: null, stop: async () => {} };

  const java = findJava();
  if (!java) {
    throw new Error(
      `no Java ${MIN_JAVA_MAJOR}+ found (LIANDONG_ES_JAVA, JAVA_HOME, PATH, /usr/lib/jvm); ` +
        'Elasticsearch 8 needs one (Debian: apt-get install -y openjdk-17-jdk-headless maven)',
    );
  }
  await buildElasticsearchNode();

  const startTimeoutMs = envMs('LIANDONG_ES_START_TIMEOUT_MS', 120_000);
  const home = mkdtempSync(join(tmpdir(), 'liandong-es-'));
  const logFile = join(home, 'console.log');
  const log = createWriteStream(logFile);
  const tail = new LogTail();
  const child = spawn('bash', [ES_NODE_SCRIPT, 'run', '--home', home, '--http-port', '0', '--exit-on-stdin-eof'], {
    env: { ...process.env, JAVA: java },
    // stdin stays open for the JVM's lifetime: its EOF (this process gone) stops the node.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.on('error', () => {});

  let url: string | null = null;
  let onReady: (u: string) => void = () => {};
  const ready = new Promise<string>((resolve) => {
    onReady = resolve;
  });
  const onData = (chunk: string) => {
    log.write(chunk);
    tail.push(chunk);
    if (url === null) {
      const i = chunk.indexOf(READY_MARK);
      if (i >= 0) {
        const m = /^LIANDONG_ES_READY (http:\/\/\S+)/.exec(chunk.slice(i));
        if (m?.[1]) {
          url = m[1];
          onReady(url);
        }
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', onData);
  child.stderr?.setEncoding('utf8').on('data', onData);

  const killOnExit = () => {
    if (!exited(child)) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const exitedEarly = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`could not start ${ES_NODE_SCRIPT}: ${err.message}`)));
    // 'close', not 'exit': by then its last output is in the log tail too.
    child.once('close', (code, signal) => reject(new Error(`the Elasticsearch JVM exited (${code ?? signal}) before it was healthy`)));
  });
  exitedEarly.catch(() => {});

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited(child)) {
        child.kill('SIGTERM');
        if (!(await waitForExit(child, 30_000))) {
          child.kill('SIGKILL');
          await waitForExit(child, 10_000);
        }
      }
      process.removeListener('exit', killOnExit);
      child.stdin?.destroy();
      await new Promise<void>((r) => log.end(() => r()));
      rmSync(home, { recursive: true, force: true });
    })();
    return stopping;
  };

  const deadline = Date.now() + startTimeoutMs;
  const healthy = (async () => {
    const base = await ready;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${base}/_cluster/health?wait_for_status=yellow&timeout=5s`, {
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await res.json()) as { status?: string; timed_out?: boolean };
        if (res.ok && !body.timed_out && (body.status === 'yellow' || body.status === 'green')) return base;
        last = `HTTP ${res.status} ${JSON.stringify(body)}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(250);
    }
    throw new Error(`not healthy: ${last}`);
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no yellow cluster health within ${startTimeoutMs} ms`)), startTimeoutMs);
  });

  try {
    const base = await Promise.race([healthy, exitedEarly, timeout]);
    return { url: base, pid: child.pid ?? null, logFile, stop };
  } catch (err) {
    healthy.catch(() => {});
    const pid = child.pid;
    if (!exited(child)) {
      child.kill('SIGKILL');
      await waitForExit(child, 10_000);
    }
    process.removeListener('exit', killOnExit);
    child.stdin?.destroy();
    await new Promise<void>((r) => log.end(() => r()));
    throw new Error(
      `Elasticsearch did not start: ${(err as Error).message}\n` +
        `(pid ${pid ?? '?'}, java ${java}, home ${home} kept; full log ${logFile})\n` +
        `--- last lines of its log ---\n${tail.text()}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** True when tools/elasticsearch looks usable here: a Java 17+ and the node's sources. */
export function elasticsearchAvailable(): boolean {
  return findJava() !== null && existsSync(ES_NODE_SCRIPT);
}
