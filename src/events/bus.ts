/**
 * The hub's pub/sub seam. What travels on it is a *notice* that a durable log grew, never the
 * event itself: case events live in `case_event` and entity changes in `change_event`, both
 * append-only and read in (transaction, id) order (src/events/outbox.ts). A subscriber that misses
 * a notice (it was reconnecting, a NOTIFY was dropped) loses nothing: it reads the log from the
 * last position it saw. That is also how a
 * reconnecting client resumes without a gap.
 *
 * Two implementations: in-process (the embedded default, one hub) and PostgreSQL LISTEN/NOTIFY
 * (several stateless hubs on one server; every hub hears every notice).
 */
export type Topic = 'case' | 'entity';

export interface Notice {
  topic: Topic;
  /**
   * Where the committed batch's last row sits in its log (`encodePosition` of src/events/outbox.ts,
   * `tx:id`): a reader woken by the notice reads at least that far. `0` (or a bare id from an
   * older writer) names no position: read whatever is there.
   */
  position: string;
}

export type NoticeListener = (notice: Notice) => void;

export interface EventBus {
  /** Call after the transaction that appended to the log has committed. */
  publish(notice: Notice): Promise<void>;
  /** Returns the unsubscribe function. Listeners must not throw; a throw is logged and dropped. */
  subscribe(topic: Topic, listener: NoticeListener): () => void;
  /** Throws when the bus cannot carry notices now (for /readyz); absent: always reachable. */
  check?(): Promise<void>;
  close(): Promise<void>;
}

/** One process: notices go straight to this process's listeners. */
export class InProcessBus implements EventBus {
  private readonly listeners = new Map<Topic, Set<NoticeListener>>();

  async publish(notice: Notice): Promise<void> {
    for (const listener of this.listeners.get(notice.topic) ?? []) {
      try {
        listener(notice);
      } catch {
        // A listener's failure is its own; the others still hear the notice.
      }
    }
  }

  subscribe(topic: Topic, listener: NoticeListener): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
