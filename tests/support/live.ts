/** A graphql-ws subscriber for the live tests: collects messages and waits for them. */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Received {
  data?: any;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export class LiveSubscriber {
  readonly messages: Received[] = [];
  completed = false;
  error: unknown = null;
  private readonly client: Client;
  private waiters: Array<() => void> = [];

  constructor(url: string, token: string, query: string, variables: Record<string, unknown> = {}, purpose: string | null = 'automated test') {
    this.client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}`, ...(purpose ? { 'x-purpose': purpose } : {}) },
      retryAttempts: 0,
    });
    this.client.subscribe({ query, variables }, {
      next: (r) => this.push(r as Received),
      error: (e) => { this.error = e; this.wake(); },
      complete: () => { this.completed = true; this.wake(); },
    });
  }

  private push(r: Received): void {
    this.messages.push(r);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves with the first `n` messages once they have arrived (or fails after `timeoutMs`). */
  async received(n: number, timeoutMs = 10_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < n) {
      if (this.error) throw new Error(`subscription failed: ${describe(this.error)}`);
      if (this.completed) throw new Error(`subscription completed after ${this.messages.length} of ${n} messages: ${JSON.stringify(this.messages)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.messages.length} of ${n} messages after ${timeoutMs} ms: ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return this.messages.slice(0, n);
  }

  /** Waits for the subscription to end with an error or complete. */
  async ended(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.error && !this.completed) {
      if (Date.now() > deadline) throw new Error('the subscription did not end');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  dispose(): Promise<void> {
    return this.client.dispose() as Promise<void>;
  }
}

/** graphql-ws reports a closed socket as its CloseEvent, whose fields JSON.stringify does not show. */
function describe(error: unknown): string {
  const e = error as { code?: number; reason?: string; message?: string };
  return e.code !== undefined ? `closed ${e.code} ${e.reason ?? ''}` : (e.message ?? JSON.stringify(error));
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
