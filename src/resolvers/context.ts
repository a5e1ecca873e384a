import type { Logger } from 'pino';
import type { DataLayer } from '../store/dataLayer.js';
import type { Viewer } from '../auth/viewer.js';

/** What every resolver receives: the viewer and that request's data layer. */
export interface RequestContext {
  viewer: Viewer;
  /** Why the client reads personal data (`x-purpose`), recorded in the audit trail. */
  purpose: string | null;
  data: DataLayer;
  log: Logger;
}
