/**
 * Bulk statements for ingest: a batch's rows as one JSON parameter (INSERT … SELECT FROM
 * json_to_recordset), instead of one parameter per value. A batch of 5,000 records is then a
 * handful of short statements whose cost does not grow with the number of bind parameters, on
 * the client (no 50,000-placeholder SQL to build) or on the server (nothing long to parse).
 */
import type { Knex } from 'knex';
import type { Row } from '../loaders.js';

type PgType = 'text' | 'bigint' | 'integer' | 'double precision' | 'date' | 'timestamptz' | 'json' | 'jsonb' | 'boolean';

const AREAS = { grid_id: 'bigint', street_id: 'bigint', community_id: 'bigint', district_id: 'bigint' } as const;

/** The types of the columns ingest writes, per table. */
const COLUMNS: Record<string, Record<string, PgType>> = {
  source_record: {
    department_id: 'bigint', stream: 'text', source_id: 'text', fetched_at: 'timestamptz', payload_hash: 'text', payload: 'json',
    entity_type: 'text', entity_id: 'bigint', link_type: 'text', link_key: 'text', facts: 'jsonb', source_updated_at: 'timestamptz',
    link_method: 'text', link_score: 'double precision', link_evidence: 'json',
  },
  source_link: {
    source_record_id: 'bigint', mention_index: 'integer', role: 'text', entity_type: 'text', entity_id: 'bigint', link_key: 'text', facts: 'jsonb',
    link_method: 'text', link_score: 'double precision', link_evidence: 'json',
  },
  resolution_key: { entity_type: 'text', kind: 'text', value: 'text', entity_id: 'bigint' },
  resolution_profile: { entity_type: 'text', entity_id: 'bigint', profile: 'jsonb' },
  match_candidate: {
    entity_type: 'text', source_record_id: 'bigint', mention_index: 'integer', candidate_id: 'bigint', score: 'double precision', evidence: 'json',
    status: 'text', created_at: 'timestamptz',
  },
  change_event: { entity_type: 'text', entity_id: 'bigint', change: 'text', department_id: 'bigint', at: 'timestamptz' },
  address: {
    normalized: 'text', text: 'text', estate: 'text', building_no: 'text', unit: 'text', room: 'text',
    district_id: 'bigint', street_id: 'bigint', community_id: 'bigint',
  },
  building: {
    address_id: 'bigint', name: 'text', use: 'text', floors: 'integer', built_year: 'integer', lat: 'double precision', lng: 'double precision', ...AREAS,
  },
  dwelling: { address_id: 'bigint', building_id: 'bigint', unit: 'text', room: 'text', floor_area: 'double precision', occupancy: 'text' },
  household: { number: 'text', dwelling_id: 'bigint', residence_type: 'text' },
  person: {
    id_number: 'text', name: 'text', sex: 'text', birth_date: 'date', phone: 'text', residence_type: 'text', household_id: 'bigint',
    relation_to_head: 'text', dwelling_id: 'bigint', building_id: 'bigint', ...AREAS,
  },
  person_tag: { person_id: 'bigint', tag: 'text' },
  enterprise: {
    credit_code: 'text', name: 'text', legal_representative: 'text', industry: 'text', status: 'text', registered_on: 'date',
    building_id: 'bigint', ...AREAS,
  },
};

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const isJson = (t: PgType) => t === 'json' || t === 'jsonb';

function param(value: unknown, type: PgType): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if ((type === 'json' || type === 'jsonb') && typeof value !== 'string') return JSON.stringify(value);
  return type === 'text' || type === 'json' || type === 'jsonb' || type === 'date' || type === 'timestamptz' ? String(value) : value;
}

/**
 * INSERT INTO table (the rows' columns) SELECT … FROM json_to_recordset(the rows) `tail`
 * (e.g. an ON CONFLICT clause and RETURNING). Every row must have the same keys.
 */
export async function bulkInsert(trx: Knex.Transaction, table: string, rows: Row[], tail = ''): Promise<Row[]> {
  const first = rows[0];
  if (!first) return [];
  const types = COLUMNS[table];
  if (!types) throw new Error(`bulkInsert: no column types for ${table}`);
  const names = Object.keys(first);
  const typeOf = (n: string): PgType => {
    const t = types[n];
    if (!t) throw new Error(`bulkInsert: no type for ${table}.${n}`);
    return t;
  };
  // The rows travel as one JSON document: JSON.stringify is native, where binding one array
  // per column made the driver escape every value in JavaScript.
  const json = JSON.stringify(rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const n of names) out[n] = param(r[n], typeOf(n));
    return out;
  }));
  const sql = `insert into ${ident(table)} (${names.map(ident).join(', ')}) `
    + `select ${names.map((n) => (isJson(typeOf(n)) ? `u.${ident(n)}::${typeOf(n)}` : `u.${ident(n)}`)).join(', ')} `
    + `from json_to_recordset(?::json) as u(${names.map((n) => `${ident(n)} ${isJson(typeOf(n)) ? 'text' : typeOf(n)}`).join(', ')}) ${tail}`;
  const result = (await trx.raw(sql, [json])) as { rows?: Row[] };
  return result.rows ?? [];
}

/** `column = any(values)` as one array parameter. */
export function anyOf(column: string, type: 'text' | 'bigint' = 'text'): string {
  return `${column} = any(?::${type}[])`;
}
