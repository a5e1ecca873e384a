import { SafeError } from '../errors.js';
import type { Viewer } from '../auth/viewer.js';

/** The kinds of data the policy decides on; one per canonical entity family. */
export type DataKind =
  | 'person' | 'household' | 'place' | 'grid' | 'enterprise' | 'department' | 'source_record' | 'case';

/**
 * The one place that decides what a viewer may read. Repositories ask it before they touch the
 * store; resolvers never decide. Today: personal and operational data need an authenticated
 * viewer. Grid scope, field masking and audit (issue 6) grow here.
 */
export class Policy {
  constructor(readonly viewer: Viewer) {}

  assertCanRead(kind: DataKind): void {
    if (!this.viewer.authenticated) {
      throw new SafeError('UNAUTHENTICATED', `Reading ${kind} data needs a Bearer token: mint one with \`npx liandong token --role ROLE\`.`);
    }
  }
}
