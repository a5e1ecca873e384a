import DataLoader from 'dataloader';
import type { StoreContext } from './context.js';
import { byId, groupInKeyOrder, rowsOf, type Row } from '../loaders.js';
import { departmentFromRow, sourceRecordFromRow, type ConnectorStatusModel, type SourceRecordModel } from '../models.js';
import type { ConnectorHealth } from '../../generated/graphql.js';

/** The entity types a source record can be about. */
export type RecordSubject = 'person' | 'building' | 'enterprise';

/** Whether the viewer may see the entity a record is about (the other repositories judge that). */
export type SubjectVisible = (subject: string, id: string) => Promise<boolean>;

/** Departments, their connectors' status and the provenance records they hold. */
export function createDepartmentsRepository({ table, policy }: StoreContext, subjectVisible: SubjectVisible) {
  const departments = byId(() => table('department'), 'id', departmentFromRow);
  const withDepartment = () =>
    table('source_record').join('department', 'department.id', 'source_record.department_id').select('source_record.*', 'department.name as department_name');
  const records = byId(withDepartment, 'source_record.id', sourceRecordFromRow);
  const recordsBySubject = new DataLoader<string, SourceRecordModel[]>(async (keys) => {
    const pairs = keys.map((k) => k.split(':') as [string, string]);
    const rows = (await withDepartment()
      .whereIn(['source_record.entity_type', 'source_record.entity_id'], pairs)
      .orderBy(['source_record.entity_type', 'source_record.entity_id', 'source_record.department_id', 'source_record.id'])) as Row[];
    return groupInKeyOrder(keys, rows, (r) => `${String(r.entity_type)}:${String(r.entity_id)}`, sourceRecordFromRow);
  });
  const connectorStatus = new DataLoader<string, ConnectorStatusModel>(async (ids) => {
    const rows = await rowsOf(table('department as d')
      .leftJoin('connector_state as cs', 'cs.department_id', 'd.id')
      .whereIn('d.id', ids as string[])
      .select(
        'd.id', 'cs.status', 'cs.last_sync_at', 'cs.cursor', 'cs.dead_letter_count',
        table('source_record').whereRaw('source_record.department_id = d.id').count('*').as('record_count'),
      ));
    const byDepartment = new Map(rows.map((r) => [String(r.id), r]));
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
  const release = (r: SourceRecordModel): SourceRecordModel => ({ ...r, sourceId: policy.sourceId(r.sourceId) });
  const visibleDepartment = (r: SourceRecordModel) => policy.recordDepartments().has(r.departmentName);

  let all: Promise<ReturnType<typeof departmentFromRow>[]> | undefined;
  const list = () =>
    (all ??= table('department').orderBy('id').then((rows: Row[]) =>
      rows.map((r) => {
        const model = departmentFromRow(r);
        departments.prime(model.id, model);
        return model;
      })));

  return {
    department(id: string) {
      policy.assertCanRead('department');
      return departments.load(id);
    },
    departments() {
      policy.assertCanRead('department');
      return list();
    },
    async departmentNamed(name: string) {
      policy.assertCanRead('department');
      return (await list()).find((d) => d.name === name) ?? null;
    },
    connectorStatus(departmentId: string) {
      policy.assertCanRead('department');
      return connectorStatus.load(departmentId);
    },
    async sourceRecord(id: string) {
      policy.assertCanRead('source_record');
      const r = await records.load(id);
      if (!r || !visibleDepartment(r)) return null;
      if (r.entityType && r.entityId && !(await subjectVisible(r.entityType, r.entityId))) return null;
      return release(r);
    },
    /** Records about an entity the caller already holds (so already judged visible). */
    async recordsAbout(subject: RecordSubject, id: string) {
      policy.assertCanRead('source_record');
      return (await recordsBySubject.load(`${subject}:${id}`)).filter(visibleDepartment).map(release);
    },
  };
}
export type DepartmentsRepository = ReturnType<typeof createDepartmentsRepository>;
