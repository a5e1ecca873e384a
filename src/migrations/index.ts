import type { Knex } from 'knex';
import * as canonicalModel from './20261125000000_canonical_model.js';
import * as auditLog from './20261125010000_audit_log.js';
import * as connectorRuntime from './20261125020000_connector_runtime.js';
import * as liveOperations from './20261125025000_live_operations.js';
import * as caseWorkflow from './20261125030000_case_workflow.js';
import * as entityResolution from './20261201000000_entity_resolution.js';
import * as faultTolerance from './20261202010000_fault_tolerance.js';
import * as retention from './20261203000000_retention.js';
import * as auditPerRequest from './20261204000000_audit_per_request.js';

/**
 * Migrations are listed here rather than discovered on disk, so the same list runs from the
 * compiled build, from the TypeScript sources under test, and from a bundled deployment.
 *
 * Append-only from now on: add a new migration at the end, and never edit, reorder or remove one
 * that is listed. The first seven below were edited once, before anything was deployed, to give the
 * case workflow's columns one owner (20261125030000_case_workflow; the live dashboard's
 * 20261125025000 used to add them too, with IF NOT EXISTS); the resulting schema is the same.
 */
const migrations: ReadonlyArray<readonly [string, Knex.Migration]> = [
  ['20261125000000_canonical_model', canonicalModel],
  ['20261125010000_audit_log', auditLog],
  ['20261125020000_connector_runtime', connectorRuntime],
  ['20261125025000_live_operations', liveOperations],
  ['20261125030000_case_workflow', caseWorkflow],
  ['20261201000000_entity_resolution', entityResolution],
  ['20261202010000_fault_tolerance', faultTolerance],
  ['20261203000000_retention', retention],
  ['20261204000000_audit_per_request', auditPerRequest],
];

/** Every migration's name, oldest first. */
export const MIGRATION_NAMES: readonly string[] = migrations.map(([name]) => name);

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => migrations.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const found = migrations.find(([n]) => n === name);
    if (!found) throw new Error(`unknown migration ${name}`);
    return found[1];
  },
};
