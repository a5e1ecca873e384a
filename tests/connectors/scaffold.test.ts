/**
 * A freshly scaffolded connector passes the conformance suite unchanged: `liandong connector new`
 * writes it into a scratch checkout (its own src/connectors, the SDK and domain linked in), and
 * the suite runs it against a source speaking the template's protocol.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll } from '@jest/globals';
import { scaffoldConnector } from '../../src/cli/scaffold.js';
import type { Connector } from '../../src/connectors/sdk/index.js';
import { removeTestWorlds } from '../support/world.js';
import { connectorConformance } from './conformance.js';
import { startTemplateSource } from './templateSource.js';

const ROOT = process.cwd();
const scratch = mkdtempSync(join(tmpdir(), 'liandong-scaffold-'));
mkdirSync(join(scratch, 'src', 'connectors'), { recursive: true });
symlinkSync(join(ROOT, 'src', 'connectors', 'sdk'), join(scratch, 'src', 'connectors', 'sdk'), 'dir');
symlinkSync(join(ROOT, 'src', 'domain'), join(scratch, 'src', 'domain'), 'dir');
symlinkSync(join(ROOT, 'node_modules'), join(scratch, 'node_modules'), 'dir');
scaffoldConnector({ name: 'education', displayName: '教育局 (学籍)', root: scratch, register: false });
const { default: scaffolded } = (await import(pathToFileURL(join(scratch, 'src', 'connectors', 'education', 'index.ts')).href)) as { default: Connector<unknown> };

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  removeTestWorlds();
});

connectorConformance({
  connector: scaffolded,
  start: (dataDir) => startTemplateSource(dataDir),
  badDate: (_stream, r) => ({ ...r, updatedAt: '2026-13-45T25:61:00+08:00' }),
});
