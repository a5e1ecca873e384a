/**
 * What a simulated department system can be told to do wrong, so that tests and benchmarks can
 * exercise the hub against real failure modes. Every simulator honours the same knobs; they can
 * be changed while it runs (programmatically or with POST /_control).
 */
import { Rng } from '../../world/rng.js';

export interface Faults {
  /** Answer every request with 503 (HTTP sources) or refuse connections (the court's database). */
  down: boolean;
  /** Wait this long before answering each request. */
  latencyMs: number;
  /** Share of records served malformed (broken JSON or XML, wrong types, bad encoding). */
  malformedRate: number;
  /** Requests per second above which the source answers 429 with Retry-After (null: no limit). */
  rateLimitPerSecond: number | null;
  /**
   * Answer every request 200 with an HTML page instead of the API's data, as a proxy or captive
   * portal put in front of the system does (HTTP sources only).
   */
  garbage: boolean;
}

export const NO_FAULTS: Faults = { down: false, latencyMs: 0, malformedRate: 0, rateLimitPerSecond: null, garbage: false };

/** The knobs plus the seeded randomness that decides which records come out malformed. */
export class FaultState {
  faults: Faults;
  private readonly rng: Rng;
  private windowStart = 0;
  private windowCount = 0;

  constructor(seed: number, initial: Partial<Faults> = {}) {
    this.faults = { ...NO_FAULTS, ...initial };
    this.rng = new Rng(seed);
  }

  set(patch: Partial<Faults>): void {
    this.faults = { ...this.faults, ...patch };
  }

  /** True when this record should be served malformed. */
  malformed(): boolean {
    return this.faults.malformedRate > 0 && this.rng.next() < this.faults.malformedRate;
  }

  /** A number in [0, 1) from the fault stream, for choosing how to break a record. */
  draw(): number {
    return this.rng.next();
  }

  /** Seconds the client must wait, or 0 when this request is within the rate limit. */
  rateLimited(now = Date.now()): number {
    const limit = this.faults.rateLimitPerSecond;
    if (limit === null) return 0;
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    this.windowCount++;
    return this.windowCount > limit ? Math.max(1, Math.ceil((this.windowStart + 1000 - now) / 1000)) : 0;
  }
}

/** Breaks one JSON record in one of the ways real exports do. */
export function breakJson(line: string, u: number): string {
  if (u < 0.4) return line.slice(0, Math.max(1, Math.floor(line.length / 2))); // truncated mid-record
  if (u < 0.7) return line.replace(/"([^"]+)":"[^"]*"/, '"$1":12345'); // a text field as a number
  return `{"garbage":true,${line.slice(1, 20)}`; // fields run together
}
