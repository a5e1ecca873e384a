import { useEffect, useRef } from 'react';
import { stringifyDocument } from 'urql';
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

export type CaseEventMessage = CaseEventsFeedSubscription['caseEvents'];

/**
 * Case events as they are committed, resuming after a dropped connection without a gap: the
 * subscribe payload's `after` is a getter, and graphql-ws serialises the payload again on every
 * reconnect, so each retry asks for the events after the last one this page saw.
 */
export function useCaseEvents(onMessage: (message: CaseEventMessage) => void, enabled = true): void {
  const { ws } = useConnection();
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => {
    if (!enabled) return undefined;
    let after: string | null = null;
    const payload = {
      query: stringifyDocument(CaseEventsFeed),
      get variables() {
        return after ? { after } : {};
      },
    };
    return ws.subscribe<CaseEventsFeedSubscription>(payload, {
      next: (result) => {
        const message = result.data?.caseEvents;
        if (!message) return;
        after = message.cursor;
        handler.current(message);
      },
      error: () => undefined,
      complete: () => undefined,
    });
  }, [ws, enabled]);
}
