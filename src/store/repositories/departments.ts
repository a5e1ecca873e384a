import DataLoader from 'dataloader';
import type { StoreContext } from './context.js';
import { byForeignKey, byId, rowsOf, type Row } from '../loaders.js';
import {
  departmentFromRow, sourceRecordFromRow, syncRunFromRow, type ConnectorStatusModel, type DisagreementModel, type SourceRecordModel,
} from '../models.js';
import type { ConnectorHealth } from '../../generated/graphql.js';

/** The entity types a source record can be about. */
export type RecordSubject = 'person' | 'building' | 'enterprise';

/** Whether the viewer may see the entity a record is about (the other repositories judge that). */
export type SubjectVisible = (subject: string, id: string) => Promise<boolean>;

/** Departments, their connectors' status and the provenance records they hold. */
export function createDepartmentsRepository({ table, read, policy }: StoreContext, subjectVisible: SubjectVisible) {
  const departments = byId(read, 'select * from department where id = any(?::bigint[])', departmentFromRow);
  const withDepartment = () =>
    table('source_record').join('department', 'department.id', 'source_record.department_id').select('source_record.*', 'department.name as department_name');
  const records = byId(read, `select ${RECORD_COLUMNS}, r.entity_type, r.entity_id, ${NO_MENTION} from source_record r join department d on d.id = r.department_id where r.id = any(?::bigint[])`, sourceRecordFromRow);
  // Records about an entity: those whose subject it is, then those naming it (owner, tenant,
  // party...), as that mention. One statement; the key is 'person:42'.
  const recordsBySubject = byForeignKey(read, `
    with k as (select split_part(key, ':', 1) as entity_type, split_part(key, ':', 2)::bigint as entity_id from unnest(?::text[]) as key)
    select ${RECORD_COLUMNS}, r.entity_type, r.entity_id, r.entity_type || ':' || r.entity_id as subject_key, ${NO_MENTION}, 0 as part
      from k join source_record r on r.entity_type = k.entity_type and r.entity_id = k.entity_id join department d on d.id = r.department_id
    union all
    select ${RECORD_COLUMNS}, l.entity_type, l.entity_id, l.entity_type || ':' || l.entity_id, l.role, l.facts, l.mention_index, l.link_method, l.link_score, l.link_evidence, 1
      from k join source_link l on l.entity_type = k.entity_type and l.entity_id = k.entity_id
      join source_record r on r.id = l.source_record_id join department d on d.id = r.department_id
    order by part, department_id, id`, 'subject_key', sourceRecordFromRow);
  // A record slot (subject or mention) as the review queue shows it: the mention's role, facts and link.
  const slots = new DataLoader<string, SourceRecordModel | null>(async (keys) => {
    const pairs = keys.map((k) => k.split(':') as [string, string]);
    const records = await rowsOf(withDepartment().whereIn('source_record.id', [...new Set(pairs.map(([id]) => id))]));
    const mentions = pairs.filter(([, m]) => m !== 's');
    const links = mentions.length === 0 ? [] : await rowsOf(table('source_link')
      .whereIn(['source_record_id', 'mention_index'], mentions.map(([id, m]) => [id, Number(m)]))
      .select('source_record_id', 'mention_index', 'role', 'facts', 'entity_type', 'entity_id', 'link_method', 'link_score', 'link_evidence'));
    const recordOf = new Map(records.map((r) => [String(r.id), r]));
    const linkOf = new Map(links.map((l) => [`${String(l.source_record_id)}:${String(l.mention_index)}`, l]));
    return pairs.map(([id, m]) => {
      const r = recordOf.get(id);
      if (!r) return null;
      if (m === 's') return sourceRecordFromRow(r);
      const l = linkOf.get(`${id}:${m}`);
      if (!l) return null;
      return sourceRecordFromRow({
        ...r, entity_type: l.entity_type, entity_id: l.entity_id, link_role: l.role, link_facts: l.facts, mention_index: l.mention_index,
        mention_link_method: l.link_method, mention_link_score: l.link_score, mention_link_evidence: l.link_evidence,
      });
    });
  });
  const connectorStatus = new DataLoader<string, ConnectorStatusModel>(async (ids) => {
    const rows = await rowsOf(table('department as d')
      .leftJoin('connector_state as cs', 'cs.department_id', 'd.id')
      .whereIn('d.id', ids as string[])
      .select('d.id', 'cs.*'));
    const streams = await rowsOf(table('stream_state as s').whereIn('s.department_id', ids as string[])
      .select('s.department_id', 's.stream', 's.cursor', 's.updated_at').orderBy(['s.department_id', 's.stream']));
    const runs = await rowsOf(table('sync_run as r').whereIn('r.department_id', ids as string[])
      .whereIn('r.id', table('sync_run').whereIn('department_id', ids as string[]).groupBy('department_id', 'stream').max('id'))
      .select('r.*'));
    const runOf = new Map(runs.map((r) => [`${String(r.department_id)}:${String(r.stream)}`, syncRunFromRow(r)]));
    const byDepartment = new Map(rows.map((r) => [String(r.id), r]));
    return ids.map((id) => {
      const r = byDepartment.get(id);
      const own = streams.filter((st) => String(st.department_id) === id);
      const names = [...new Set([...own.map((st) => String(st.stream)), ...runs.filter((x) => String(x.department_id) === id).map((x) => String(x.stream))])].sort();
      return {
        status: String(r?.status ?? 'never_synced').toUpperCase() as ConnectorHealth,
        lastSyncAt: r?.last_sync_at ? new Date(r.last_sync_at as string) : null,
        lastAttemptAt: r?.last_attempt_at ? new Date(r.last_attempt_at as string) : null,
        lastError: r?.last_error ? String(r.last_error) : null,
        version: r?.connector_version ? String(r.connector_version) : null,
        cursor: own.length === 0 ? null : JSON.stringify(Object.fromEntries(own.map((st) => [String(st.stream), st.cursor]))),
        recordCount: Number(r?.record_count ?? 0),
        unlinkedCount: Number(r?.unlinked_count ?? 0),
        deadLetterCount: Number(r?.dead_letter_count ?? 0),
        streams: names.map((name) => {
          const st = own.find((x) => String(x.stream) === name);
          return {
            name, cursor: st?.cursor === null || st?.cursor === undefined ? null : JSON.stringify(st.cursor),
            updatedAt: st?.updated_at ? new Date(st.updated_at as string) : null, lastRun: runOf.get(`${id}:${name}`) ?? null,
          };
        }),
      };
    });
  });
  const maskFact = (field: string, value: unknown): string | null => {
    if (value === null || value === undefined) return null;
    const text = Array.isArray(value) ? value.join(',') : String(value);
    if (field === 'idNumber') return policy.idNumber(text);
    if (field === 'phone') return policy.phone(text);
    return text;
  };
  const release = (r: SourceRecordModel): SourceRecordModel => ({
    ...r, sourceId: policy.sourceId(r.sourceId),
    facts: Object.fromEntries(Object.entries(r.facts).filter(([k]) => !HIDDEN_FACTS.has(k)).map(([k, v]) => [k, maskFact(k, v)])),
  });
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
    /** One record slot: the record's subject (mentionIndex null) or one of its mentions, as that mention. */
    async recordSlot(recordId: string, mentionIndex: number | null) {
      policy.assertCanRead('source_record');
      const r = await slots.load(`${recordId}:${mentionIndex ?? 's'}`);
      return r && visibleDepartment(r) ? release(r) : null;
    },
    /** Forgets what this request loaded about records (after a correction moved them). */
    forget() {
      records.clearAll();
      recordsBySubject.clearAll();
      slots.clearAll();
    },
    /** Records about an entity the caller already holds (so already judged visible). */
    async recordsAbout(subject: RecordSubject, id: string) {
      policy.assertCanRead('source_record');
      return (await recordsBySubject.load(`${subject}:${id}`)).filter(visibleDepartment).map(release);
    },
    /** Fields on which the visible records about an entity state different values. */
    async disagreements(subject: RecordSubject, id: string): Promise<DisagreementModel[]> {
      policy.assertCanRead('source_record');
      const records = (await recordsBySubject.load(`${subject}:${id}`)).filter(visibleDepartment);
      return disagreementsOf(records).map((d) => ({
        field: d.field,
        values: d.values.map((v) => ({ value: maskFact(d.field, v.value), departments: v.departments, records: v.records.map(release) })),
      }));
    },
  };
}
/** What a record model needs (never the raw payload, which can be large and is not shown). */
const RECORD_COLUMNS = `r.id, r.department_id, d.name as department_name, r.stream, r.source_id, r.fetched_at, r.payload_hash,
  r.source_updated_at, r.facts, r.link_method, r.link_score, r.link_evidence`;
/** The mention columns of a record read as its subject. */
const NO_MENTION = `null::text as link_role, null::jsonb as link_facts, null::int as mention_index,
  null::text as mention_link_method, null::double precision as mention_link_score, null::json as mention_link_evidence`;

/** Bookkeeping the connectors add to facts for linking, not statements of the department. */
const HIDDEN_FACTS = new Set(['addressKey', 'roadAddress']);
/** Fields not compared across departments: lists and values that differ by design. */
const NOT_COMPARED = new Set([...HIDDEN_FACTS, 'tags', 'householdNumber', 'relationToHead', 'lat', 'lng', 'status', 'residenceType']);

/** Groups the records' facts by field and keeps the fields stated with more than one value. */
export function disagreementsOf(records: SourceRecordModel[]): Array<{ field: string; values: Array<{ value: string | null; departments: string[]; records: SourceRecordModel[] }> }> {
  const fields = new Map<string, Map<string, { value: string | null; departments: Set<string>; records: SourceRecordModel[] }>>();
  for (const r of records) {
    for (const [field, raw] of Object.entries(r.facts)) {
      if (NOT_COMPARED.has(field) || raw === null || raw === undefined || raw === '') continue;
      const value = String(raw);
      // The same place written two ways is one value: addresses compare by their normalised key.
      const key = field === 'address' && typeof r.facts.addressKey === 'string' ? r.facts.addressKey : value.replace(/\s+/g, '');
      let values = fields.get(field);
      if (!values) fields.set(field, (values = new Map<string, { value: string | null; departments: Set<string>; records: SourceRecordModel[] }>()));
      let v = values.get(key);
      if (!v) values.set(key, (v = { value, departments: new Set(), records: [] }));
      v.departments.add(r.departmentName);
      v.records.push(r);
    }
  }
  return [...fields.entries()].filter(([, values]) => values.size > 1).map(([field, values]) => ({
    field, values: [...values.values()].map((v) => ({ value: v.value, departments: [...v.departments].sort(), records: v.records })),
  }));
}

export type DepartmentsRepository = ReturnType<typeof createDepartmentsRepository>;
