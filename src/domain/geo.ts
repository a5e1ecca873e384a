/**
 * Which grid a point lies in. Grids tile a district without overlapping, so the first polygon
 * that contains the point is the answer. A uniform bucket index over the grids' bounding box
 * keeps each lookup to the few polygons whose boxes cover the point's bucket.
 */

/** GeoJSON Polygon: an exterior ring, then holes; positions are [lng, lat]. */
export interface GeoPolygon { type: 'Polygon'; coordinates: Array<Array<[number, number]>> }

export interface GridShape { id: string; boundary: GeoPolygon }

/** Ray casting over one ring given as flat [x0, y0, x1, y1, …]. */
function inRing(x: number, y: number, ring: Float64Array): boolean {
  let inside = false;
  const n = ring.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const yi = ring[i + 1] as number;
    const yj = ring[j + 1] as number;
    if (yi > y !== yj > y) {
      const xi = ring[i] as number;
      const xj = ring[j] as number;
      if (x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

function flatten(ring: ReadonlyArray<readonly [number, number]>): Float64Array {
  const out = new Float64Array(ring.length * 2);
  ring.forEach((p, k) => {
    out[2 * k] = p[0];
    out[2 * k + 1] = p[1];
  });
  return out;
}

/** Is [lng, lat] inside the polygon (inside the exterior ring, outside every hole)? */
export function pointInPolygon(lng: number, lat: number, polygon: GeoPolygon | GeoPolygon['coordinates']): boolean {
  const rings = Array.isArray(polygon) ? polygon : polygon.coordinates;
  const outer = rings[0];
  if (!outer || outer.length < 3) return false;
  if (!inRing(lng, lat, flatten(outer))) return false;
  for (let k = 1; k < rings.length; k++) if (inRing(lng, lat, flatten(rings[k] as Array<[number, number]>))) return false;
  return true;
}

interface Prepared {
  id: string;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  rings: Float64Array[];
}

export class GridLocator {
  private readonly grids: Prepared[] = [];
  private readonly minX: number = Infinity;
  private readonly minY: number = Infinity;
  private readonly cols: number = 1;
  private readonly rows: number = 1;
  private readonly cellW: number = 1;
  private readonly cellH: number = 1;
  /** Per bucket, indices into `grids`. */
  private readonly buckets: Int32Array[] = [];

  /** `cellsPerGrid`: buckets per polygon (about); 4 keeps candidate lists to one or two polygons. */
  constructor(grids: Iterable<GridShape>, cellsPerGrid = 4) {
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const g of grids) {
      const rings = g.boundary.coordinates.filter((r) => r.length >= 3).map(flatten);
      const outer = rings[0];
      if (!outer) continue;
      const p: Prepared = { id: g.id, minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity, rings };
      for (let i = 0; i < outer.length; i += 2) {
        const x = outer[i] as number;
        const y = outer[i + 1] as number;
        if (x < p.minX) p.minX = x;
        if (x > p.maxX) p.maxX = x;
        if (y < p.minY) p.minY = y;
        if (y > p.maxY) p.maxY = y;
      }
      this.grids.push(p);
      if (p.minX < this.minX) this.minX = p.minX;
      if (p.minY < this.minY) this.minY = p.minY;
      if (p.maxX > maxX) maxX = p.maxX;
      if (p.maxY > maxY) maxY = p.maxY;
    }
    if (this.grids.length === 0) return;
    const w = Math.max(maxX - this.minX, 1e-9);
    const h = Math.max(maxY - this.minY, 1e-9);
    // Square-ish buckets, about cellsPerGrid of them per polygon.
    const cells = Math.max(1, Math.min(1 << 20, Math.round(this.grids.length * cellsPerGrid)));
    this.cols = Math.max(1, Math.round(Math.sqrt((cells * w) / h)));
    this.rows = Math.max(1, Math.ceil(cells / this.cols));
    this.cellW = w / this.cols;
    this.cellH = h / this.rows;
    const lists: number[][] = Array.from({ length: this.cols * this.rows }, () => []);
    this.grids.forEach((p, k) => {
      const c0 = this.col(p.minX);
      const c1 = this.col(p.maxX);
      const r0 = this.row(p.minY);
      const r1 = this.row(p.maxY);
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) (lists[r * this.cols + c] as number[]).push(k);
    });
    this.buckets = lists.map((l) => Int32Array.from(l));
  }

  get size(): number {
    return this.grids.length;
  }

  private col(x: number): number {
    const c = Math.floor((x - this.minX) / this.cellW);
    return c < 0 ? 0 : c >= this.cols ? this.cols - 1 : c;
  }

  private row(y: number): number {
    const r = Math.floor((y - this.minY) / this.cellH);
    return r < 0 ? 0 : r >= this.rows ? this.rows - 1 : r;
  }

  /** The id of the grid containing [lng, lat], or null outside every grid. */
  locate(lng: number, lat: number): string | null {
    if (this.grids.length === 0 || !Number.isFinite(lng) || !Number.isFinite(lat)) return null;
    const bucket = this.buckets[this.row(lat) * this.cols + this.col(lng)];
    if (!bucket) return null;
    for (let i = 0; i < bucket.length; i++) {
      const p = this.grids[bucket[i] as number] as Prepared;
      if (lng < p.minX || lng > p.maxX || lat < p.minY || lat > p.maxY) continue;
      if (!inRing(lng, lat, p.rings[0] as Float64Array)) continue;
      let hole = false;
      for (let k = 1; k < p.rings.length && !hole; k++) hole = inRing(lng, lat, p.rings[k] as Float64Array);
      if (!hole) return p.id;
    }
    return null;
  }
}
