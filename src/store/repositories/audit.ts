import type { StoreContext } from './context.js';
import { keysetPage, type Connection, type PageArgs } from '../pagination.js';
import type { Row } from '../loaders.js';
import type { AuditEntry } from '../audit.js';

/** An audit row (one request's reads) as read back: what AuditWriter wrote, with its id. */
export type AuditEntryModel = AuditEntry & { id: string };
export type AuditEntryConnectionModel = Connection<AuditEntryModel>;

const auditFromRow = (r: Row): AuditEntryModel => ({
  id: String(r.id), at: new Date(r.at as string), subject: String(r.subject), role: String(r.role),
  personIds: Array.isArray(r.person_ids) ? (r.person_ids as unknown[]).map(String) : [],
  fields: Array.isArray(r.fields) ? (r.fields as unknown[]).map(String) : [], purpose: String(r.purpose),
  operation: r.operation === null ? null : String(r.operation),
});

export interface AuditFilter {
  personId?: string | null;
  subject?: string | null;
  since?: Date | null;
  until?: Date | null;
}

/** Reading the audit trail (an administrator's job); writing it is AuditWriter's. */
export function createAuditRepository({ table, policy }: StoreContext) {
  return {
    trail(filter: AuditFilter, page: PageArgs) {
      policy.assertCanRead('audit');
      const base = () => {
        const q = table('audit_log');
        // `@>` is what the GIN index on person_ids answers.
        if (filter.personId) q.whereRaw('audit_log.person_ids @> array[?::bigint]', [filter.personId]);
        if (filter.subject) q.where('audit_log.subject', filter.subject);
        if (filter.since) q.where('audit_log.at', '>=', filter.since);
        if (filter.until) q.where('audit_log.at', '<', filter.until);
        return q;
      };
      return keysetPage({ base, table: 'audit_log', page, fromRow: auditFromRow, access: 'rows', order: 'desc' });
    },
  };
}
