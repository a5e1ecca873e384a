/**
 * A department system speaking the scaffold template's protocol (src/cli/scaffold.ts), for the
 * conformance suite: GET /records?limit&updatedSince&cursor over the tiny world's residents,
 * `updatedSince` inclusive (at or after) as most real APIs are, many records sharing a second so
 * that the template's dedupe at the high-water mark is exercised, one record per line inside
 * "data", and the simulators' knobs (faults, change, stop).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { breakJson, FaultState } from '../../src/simulators/common/faults.js';
import { readNdjson, worldFile } from '../../src/world/read.js';
import { NOW_MS } from '../../src/world/time.js';
import type { PopulationResident } from '../../src/world/types.js';
import type { ConformanceSource } from './conformance.js';

interface TemplateRecord {
  id: string;
  updatedAt: string;
  idNumber: string | null;
  name: string;
  phone: string | null;
  address: string | null;
}

const iso = (ms: number) => `${new Date(Math.floor(ms / 1000) * 1000 + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;

export async function startTemplateSource(dataDir: string, seed = 1): Promise<ConformanceSource> {
  const records: TemplateRecord[] = [];
  let i = 0;
  for await (const r of readNdjson<PopulationResident>(worldFile(dataDir, 'departments/population/residents'))) {
    // Seven records a second, in the past: ties at every page boundary.
    records.push({ id: `XJ${r.RYBH}`, updatedAt: iso(NOW_MS - 86_400_000 + Math.floor(i++ / 7) * 1000), idNumber: r.GMSFHM, name: r.XM, phone: r.LXDH, address: r.XZZ });
  }
  const faults = new FaultState(seed);
  let clock = NOW_MS;
  const ordered = () => [...records].sort((a, b) => (a.updatedAt === b.updatedAt ? (a.id < b.id ? -1 : 1) : a.updatedAt < b.updatedAt ? -1 : 1));

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (faults.faults.down) {
      res.writeHead(503).end('down');
      return;
    }
    if (url.pathname !== '/records') {
      res.writeHead(404).end('not found');
      return;
    }
    const since = url.searchParams.get('updatedSince');
    const start = Number(url.searchParams.get('cursor') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 100);
    const matching = ordered().filter((r) => since === null || r.updatedAt >= since);
    const page = matching.slice(start, start + limit);
    const next = start + limit < matching.length ? String(start + limit) : null;
    const lines = page.map((r) => {
      const line = JSON.stringify(r);
      return faults.malformed() ? breakJson(line, faults.draw()) : line;
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"nextCursor":${JSON.stringify(next)},"data":[${lines.map((l) => `\n${l}`).join(',')}\n]}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  return {
    connectorConfig: { baseUrl: url },
    faults,
    async change(count) {
      // Changes land in one second, later than anything before.
      clock += 1000;
      const picked = records.slice(0, count);
      for (const r of picked) {
        r.updatedAt = iso(clock);
        r.phone = `139${String(clock).slice(-8)}`;
      }
      return picked.length;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
