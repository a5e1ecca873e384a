import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type GeoPolygon, GridLocator, type GridShape, pointInPolygon } from '../../src/domain/geo.js';
import { type BuildingRow, type GridRow, generateWorld } from '../../src/world/index.js';
import { Rng } from '../../src/world/rng.js';
import { pointInRing, readRows, tempDir } from '../world/helpers.js';

const say = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

/** A deterministic stream of numbers in [0, 1), from the world's one seeded PRNG. */
function stream(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

const square = (x0: number, y0: number, x1: number, y1: number): Array<[number, number]> => [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];

describe('pointInPolygon', () => {
  const donut: GeoPolygon = { type: 'Polygon', coordinates: [square(0, 0, 10, 10), square(4, 4, 6, 6)] };

  test('inside, outside, and in a hole', () => {
    expect(pointInPolygon(1, 1, donut)).toBe(true);
    expect(pointInPolygon(5, 5, donut)).toBe(false);
    expect(pointInPolygon(11, 5, donut)).toBe(false);
    expect(pointInPolygon(-0.1, 5, donut.coordinates)).toBe(false);
    expect(pointInPolygon(9.9, 9.9, donut.coordinates)).toBe(true);
  });

  test('a concave ring', () => {
    // An L shape: the notch at the top right is outside.
    const l: GeoPolygon = { type: 'Polygon', coordinates: [[[0, 0], [4, 0], [4, 2], [2, 2], [2, 4], [0, 4], [0, 0]]] };
    expect(pointInPolygon(1, 3, l)).toBe(true);
    expect(pointInPolygon(3, 1, l)).toBe(true);
    expect(pointInPolygon(3, 3, l)).toBe(false);
  });

  test('degenerate polygons contain nothing', () => {
    expect(pointInPolygon(0, 0, { type: 'Polygon', coordinates: [] })).toBe(false);
    expect(pointInPolygon(0, 0, { type: 'Polygon', coordinates: [[[0, 0], [1, 1]]] })).toBe(false);
  });
});

describe('GridLocator on a synthetic tiling', () => {
  // 50 × 40 = 2,000 cells over Yuhang's box, each inset 4 %, every tenth with a hole.
  const W = 119.74;
  const S = 30.23;
  const E = 120.13;
  const N = 30.52;
  const cols = 50;
  const rows = 40;
  const cw = (E - W) / cols;
  const ch = (N - S) / rows;
  const grids: Array<GridShape & { box: [number, number, number, number] }> = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x0 = W + c * cw + cw * 0.04;
      const y0 = S + r * ch + ch * 0.04;
      const x1 = W + (c + 1) * cw - cw * 0.04;
      const y1 = S + (r + 1) * ch - ch * 0.04;
      const rings = [square(x0, y0, x1, y1)];
      if ((r * cols + c) % 10 === 0) rings.push(square(x0 + cw * 0.4, y0 + ch * 0.4, x0 + cw * 0.5, y0 + ch * 0.5));
      grids.push({ id: `g${r}-${c}`, boundary: { type: 'Polygon', coordinates: rings }, box: [x0, y0, x1, y1] });
    }
  }
  const locator = new GridLocator(grids);

  test('agrees with a scan over every polygon', () => {
    expect(locator.size).toBe(2000);
    const rnd = stream(1);
    for (let k = 0; k < 20_000; k++) {
      const x = W - 0.01 + rnd() * (E - W + 0.02);
      const y = S - 0.01 + rnd() * (N - S + 0.02);
      const want = grids.find((g) => x >= g.box[0] && x <= g.box[2] && y >= g.box[1] && y <= g.box[3] && pointInPolygon(x, y, g.boundary))?.id ?? null;
      expect(locator.locate(x, y)).toBe(want);
    }
  });

  test('cell centres, gaps, holes and the world outside', () => {
    expect(locator.locate(W + cw * 1.5, S + ch * 1.5)).toBe('g1-1');
    expect(locator.locate(W + cw * 0.2, S + ch * 1.2)).toBe('g1-0');
    expect(locator.locate(W + cw * 49.5, S + ch * 39.5)).toBe('g39-49');
    expect(locator.locate(W + cw, S + ch * 0.5)).toBeNull(); // between two cells
    expect(locator.locate(W + cw * 0.45, S + ch * 0.45)).toBeNull(); // in g0-0's hole
    expect(locator.locate(0, 0)).toBeNull();
    expect(locator.locate(121, 31)).toBeNull();
    expect(locator.locate(Number.NaN, 30.3)).toBeNull();
    expect(new GridLocator([]).locate(120, 30.3)).toBeNull();
  });

  test('throughput', () => {
    const rnd = stream(2);
    const n = 1_000_000;
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      xs[k] = W + rnd() * (E - W);
      ys[k] = S + rnd() * (N - S);
    }
    let hits = 0;
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < n; k++) if (locator.locate(xs[k] as number, ys[k] as number) !== null) hits++;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    say(`[geo] 2,000 grids: ${Math.round(n / s).toLocaleString('en')} lookups/s (${hits} of ${n} inside a grid)`);
    expect(n / s).toBeGreaterThan(200_000);
  });
});

describe('GridLocator on the generated world', () => {
  let dir = '';
  let grids: GridRow[] = [];
  let buildings: BuildingRow[] = [];

  beforeAll(async () => {
    dir = tempDir('geo');
    await generateWorld({ scale: 'tiny', seed: 20261125, outDir: dir });
    grids = readRows<GridRow>(join(dir, 'world', 'grids.ndjson'));
    buildings = readRows<BuildingRow>(join(dir, 'world', 'buildings.ndjson'));
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("every building lies in its own grid; points outside every grid give null", () => {
    const locator = new GridLocator(grids.map((g) => ({ id: g.code, boundary: g.boundary })));
    expect(buildings.length).toBeGreaterThan(0);
    for (const b of buildings) expect([b.index, locator.locate(b.lng, b.lat)]).toEqual([b.index, (grids[b.gridIndex] as GridRow).code]);
    // Random points: the locator agrees with the helpers' ray casting over every grid.
    const rnd = stream(3);
    let outside = 0;
    for (let k = 0; k < 5_000; k++) {
      const x = 119.73 + rnd() * 0.41;
      const y = 30.22 + rnd() * 0.31;
      const want = grids.find((g) => pointInRing(x, y, g.boundary.coordinates[0] as Array<[number, number]>))?.code ?? null;
      if (want === null) outside++;
      expect(locator.locate(x, y)).toBe(want);
    }
    expect(outside).toBeGreaterThan(0);
    expect(locator.locate(119.5, 30.3)).toBeNull();
    expect(locator.locate(120.2, 30.6)).toBeNull();
  });
});
