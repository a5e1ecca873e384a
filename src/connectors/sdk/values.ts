/**
 * Small conversions every connector needs, so that each department's dialect is turned into
 * canonical values the same way everywhere.
 */
import { MappingError } from './errors.js';

/** Beijing time (UTC+8) written without an offset, e.g. '2026-02-19 17:50:51' or '20251123123741', as ISO 8601 with +08:00. */
export function beijingTime(text: string): string {
  const digits = text.replace(/\D/g, '');
  if (!/^\d{8}(\d{6})?$/.test(digits)) throw new MappingError(`not a Beijing date-time: ${JSON.stringify(text)}`);
  const t = digits.length === 14 ? digits.slice(8) : '000000';
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}+08:00`;
}

/** YYYYMMDD or YYYY-MM-DD as YYYY-MM-DD. */
export function isoDate(text: string): string {
  const digits = text.replace(/\D/g, '');
  if (!/^\d{8}$/.test(digits)) throw new MappingError(`not a date: ${JSON.stringify(text)}`);
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
}

/** A required string field, trimmed; MappingError naming the field when it is missing or empty. */
export function requiredText(record: Record<string, unknown>, field: string): string {
  const v = record[field];
  if (typeof v !== 'string' || v.trim() === '') throw new MappingError(`${field} is missing`);
  return v.trim();
}

/** An optional string field, trimmed; null when absent or empty. */
export function optionalText(record: Record<string, unknown>, field: string): string | null {
  const v = record[field];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new MappingError(`${field} must be text, got ${typeof v}`);
  const t = v.trim();
  return t === '' ? null : t;
}

/** The record as an object, or MappingError. */
export function asObject(record: unknown): Record<string, unknown> {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new MappingError('record is not an object');
  return record as Record<string, unknown>;
}

/** 男/女, 1/2 (GB/T 2261.1) as canonical sex. */
export function sexOf(text: unknown): 'male' | 'female' | undefined {
  if (text === '男' || text === '1' || text === 1) return 'male';
  if (text === '女' || text === '2' || text === 2) return 'female';
  return undefined;
}

/**
 * A text field, trimmed: MappingError when it is not text, or when it is required and absent
 * ("is missing") or blank ("is empty"); null when optional and absent or blank.
 */
export function textField(record: Record<string, unknown>, field: string, required: true): string;
export function textField(record: Record<string, unknown>, field: string, required: false): string | null;
export function textField(record: Record<string, unknown>, field: string, required: boolean): string | null {
  const v = record[field];
  if (v === null || v === undefined) {
    if (required) throw new MappingError(`${field} is missing`);
    return null;
  }
  if (typeof v !== 'string') throw new MappingError(`${field} must be text, got ${typeof v} ${JSON.stringify(v)}`);
  const t = v.trim();
  if (t === '' && required) throw new MappingError(`${field} is empty`);
  return t === '' ? null : t;
}

/** A required date field (YYYYMMDD or YYYY-MM-DD) that is a real calendar date, as YYYY-MM-DD. */
export function dateField(record: Record<string, unknown>, field: string): string {
  const v = textField(record, field, true);
  let iso: string;
  try {
    iso = isoDate(v);
  } catch (error) {
    throw new MappingError(`${field}: ${(error as Error).message}`);
  }
  const month = Number(iso.slice(5, 7));
  const day = Number(iso.slice(8, 10));
  const check = new Date(Date.UTC(Number(iso.slice(0, 4)), month - 1, day));
  if (month < 1 || month > 12 || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new MappingError(`${field}: not a calendar date: ${JSON.stringify(v)}`);
  }
  return iso;
}

/** A required Beijing date-time field without offset, as ISO 8601 with +08:00. */
export function beijingTimeField(record: Record<string, unknown>, field: string): string {
  const v = textField(record, field, true);
  try {
    return beijingTime(v);
  } catch (error) {
    throw new MappingError(`${field}: ${(error as Error).message}`);
  }
}

/**
 * A connector's `sourceIdOf` from the field that holds each stream's source id: the id as the
 * record states it, when it is short text or a number, else null.
 */
export function sourceIdFields(fields: Readonly<Record<string, string>>): (stream: string, record: unknown) => string | null {
  return (stream, record) => {
    const field = fields[stream];
    if (field === undefined || typeof record !== 'object' || record === null) return null;
    const v = (record as Record<string, unknown>)[field];
    const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v.trim() : '';
    return text !== '' && text.length <= 200 ? text : null;
  };
}
