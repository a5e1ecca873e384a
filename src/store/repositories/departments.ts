import DataLoader from 'dataloader';
import type { StoreContext } from './context.js';
import { byId, groupInKeyOrder } from '../loaders.js';
import { departmentFromRow, sourceRecordFromRow, type ConnectorStatusModel, type SourceRecordModel } from '../models.js';
import type { ConnectorHealth } from '../../generated/graphql.js';

/** The entity types a source record can be about. */
export type RecordSubject = 'person' | 'building' | 'enterprise';

/** Departments, their connectors' status and the provenance records they hold. */
export function createDepartmentsRepository({ knex, policy }: StoreContext) {
  const departments = byId(knex, 'department', departmentFromRow);
  const records = byId(knex, 'source_record', sourceRecordFromRow);
  const recordsBySubject = new DataLoader<string, SourceRecordModel[]>(async (keys) => {
    const pairs = keys.map((k) => k.split(':') as [string, string]);
    const rows = (await knex('source_record')
      .whereIn(['entity_type', 'entity_id'], pairs)
      .orderBy(['entity_type', 'entity_id', 'department_id', 'id'])) as Record<string, unknown>[];
    return groupInKeyOrder(keys, rows, (r) => `${String(r.entity_type)}:${String(r.entity_id)}`, sourceRecordFromRow);
  });
  const connectorStatus = new DataLoader<string, ConnectorStatusModel>(async (ids) => {
    const rows = await knex('department as d')
      .leftJoin('connector_state as cs', 'cs.department_id', 'd.id')
      .whereIn('d.id', ids as string[])
      .select(
        'd.id', 'cs.status', 'cs.last_sync_at', 'cs.cursor', 'cs.dead_letter_count',
        knex('source_record').whereRaw('source_record.department_id = d.id').count('*').as('record_count'),
      );
    const byDepartment = new Map(rows.map((r: Record<string, unknown>) => [String(r.id), r]));
    return ids.map((id) => {
      const r = byDepartment.get(id);
      return {
        status: String(r?.status ?? 'never_synced').toUpperCase() as ConnectorHealth,
        lastSyncAt: r?.last_sync_at ? new Date(r.last_sync_at as string) : null,
        cursor: r?.cursor === null || r?.cursor === undefined ? null : JSON.stringify(r.cursor),
        recordCount: Number(r?.record_count ?? 0),
        deadLetterCount: Number(r?.dead_letter_count ?? 0),
      };
    });
  });

  return {
    department(id: string) {
      policy.assertCanRead('department');
      return departments.load(id);
    },
    async departments() {
      policy.assertCanRead('department');
      const rows = await knex('department').orderBy('id');
      return rows.map((r: Record<string, unknown>) => {
        const model = departmentFromRow(r);
        departments.prime(model.id, model);
        return model;
      });
    },
    async departmentNamed(name: string) {
      return (await this.departments()).find((d) => d.name === name) ?? null;
    },
    connectorStatus(departmentId: string) {
      policy.assertCanRead('department');
      return connectorStatus.load(departmentId);
    },
    sourceRecord(id: string) {
      policy.assertCanRead('source_record');
      return records.load(id);
    },
    recordsAbout(subject: RecordSubject, id: string) {
      policy.assertCanRead('source_record');
      return recordsBySubject.load(`${subject}:${id}`);
    },
  };
}
export type DepartmentsRepository = ReturnType<typeof createDepartmentsRepository>;
