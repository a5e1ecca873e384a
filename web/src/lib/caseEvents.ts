import { useEffect, useRef } from 'react';
import { stringifyDocument, useClient } from 'urql';
import { graphql } from '../gql';
import type { CaseEventsFeedSubscription } from '../gql/graphql';
import { useConnection } from './connection';

const CaseEventsFeed = graphql(`
  subscription CaseEventsFeed($after: String) {
    caseEvents(after: $after) {
      cursor
      event { id type actor actorRole at note toStatus department { name displayName } }
      case { id number title status urgency grid { id name } }
    }
  }
`);

const CaseEventsCursor = graphql(`
  query CaseEventsCursor { caseEventsCursor }
`);

export type CaseEventMessage = CaseEventsFeedSubscription['caseEvents'];

/**
 * Case events as they are committed, resuming after a dropped connection without a gap: the
 * subscribe payload's `after` is a getter, and graphql-ws serialises the payload again on every
 * reconnect, so each retry asks for the events after the last one this page saw. Before the
 * first event, that is where the log stood when the page subscribed (caseEventsCursor).
 */
export function useCaseEvents(onMessage: (message: CaseEventMessage) => void, enabled = true): void {
  const { ws } = useConnection();
  const client = useClient();
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => {
    if (!enabled) return undefined;
    let after: string | null = null;
    let unsubscribe: (() => void) | null = null;
    let cancelled = false;
    const payload = {
      query: stringifyDocument(CaseEventsFeed),
      get variables() {
        return after ? { after } : {};
      },
    };
    void client.query(CaseEventsCursor, {}, { requestPolicy: 'network-only' }).toPromise().then((r) => {
      if (cancelled) return;
      after = r.data?.caseEventsCursor ?? null;
      unsubscribe = ws.subscribe<CaseEventsFeedSubscription>(payload, {
        next: (result) => {
          const message = result.data?.caseEvents;
          if (!message) return;
          after = message.cursor;
          handler.current(message);
        },
        error: () => undefined,
        complete: () => undefined,
      });
    });
    return () => {
      cancelled = true;
      unsubscribe?.();
    };
  }, [ws, client, enabled]);
}
