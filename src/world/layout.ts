/**
 * The plan: how many people, dwellings and enterprises each grid gets, and where everything
 * lies. Small (a few thousand grids at most) and computed up front; everything larger is
 * produced grid by grid from it.
 *
 * Boundaries are a treemap: the district's box is cut into street rectangles by land share,
 * each street's into community rectangles, each community's into grid cells. A grid's polygon
 * is its cell inset a little with some corners cut off, so grids never overlap and always lie
 * inside their community (and communities inside their street).
 */
import { Rng, Stream } from './rng.js';
import {
  DISTRICT, NameBook, STREETS, type StreetSpec, makeCommunityName, makeRoadName, makeVillageName,
} from './places.js';

export type ScaleName = 'tiny' | 'small' | 'district';

export interface ScaleSpec {
  name: string;
  /** Target head count; the generated total lands within a fraction of a percent of it. */
  people: number;
  /** Exact. */
  dwellings: number;
  /** Exact. */
  enterprises: number;
  /** How many of the streets/towns, in the order of `STREETS`. */
  streets: number;
  peoplePerCommunity: number;
  peoplePerGrid: number;
  /** Cases per resident per year of history. */
  casesPerPerson: number;
}

export const SCALES: Record<ScaleName, ScaleSpec> = {
  tiny: { name: 'tiny', people: 1_000, dwellings: 400, enterprises: 80, streets: 3, peoplePerCommunity: 170, peoplePerGrid: 90, casesPerPerson: 0.05 },
  small: { name: 'small', people: 10_000, dwellings: 4_000, enterprises: 830, streets: 12, peoplePerCommunity: 420, peoplePerGrid: 160, casesPerPerson: 0.05 },
  district: {
    name: 'district', people: 3_000_000, dwellings: 1_200_000, enterprises: 250_000, streets: 12, peoplePerCommunity: 5_000,
    peoplePerGrid: 1_650, casesPerPerson: 0.05,
  },
};

/** [west, south, east, north] in degrees (WGS 84). */
export type Rect = readonly [number, number, number, number];
/** GeoJSON Polygon coordinates: one closed, counter-clockwise exterior ring. */
export type Ring = Array<[number, number]>;

/** Yuhang's extent, roughly. */
const DISTRICT_RECT: Rect = [119.74, 30.23, 120.13, 30.52];

export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export interface StreetPlan {
  areaIndex: number;
  spec: StreetSpec;
  code: string;
  rect: Rect;
  people: number;
}

export interface CommunityPlan {
  areaIndex: number;
  street: StreetPlan;
  code: string;
  name: string;
  kind: 'community' | 'village';
  rect: Rect;
  people: number;
  roads: string[];
}

export interface GridPlan {
  index: number;
  code: string;
  name: string;
  community: CommunityPlan;
  street: StreetPlan;
  people: number;
  dwellings: number;
  enterprises: number;
  /** The grid's boundary ring. */
  ring: Ring;
  /** A rectangle inside the polygon, for placing buildings. */
  inner: Rect;
}

export interface Plan {
  scale: ScaleSpec;
  districtRect: Rect;
  streets: StreetPlan[];
  communities: CommunityPlan[];
  grids: GridPlan[];
}

/** Integers proportional to the weights that sum to exactly `total` (largest remainder). */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (sum <= 0) throw new Error('apportion: weights must have a positive sum');
  const exact = weights.map((w) => (w / sum) * total);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) {
    const i = (order[k] as readonly [number, number])[1];
    out[i] = (out[i] as number) + 1;
  }
  return out;
}

/** Cuts a rectangle into one piece per weight, by recursive bisection along the longer side. */
export function treemap(rect: Rect, weights: readonly number[]): Rect[] {
  const out: Rect[] = new Array<Rect>(weights.length);
  const go = (r: Rect, lo: number, hi: number): void => {
    if (hi - lo === 1) {
      out[lo] = r;
      return;
    }
    let total = 0;
    for (let i = lo; i < hi; i++) total += weights[i] as number;
    let acc = 0;
    let mid = lo + 1;
    let best = Infinity;
    for (let i = lo + 1; i < hi; i++) {
      acc += weights[i - 1] as number;
      const diff = Math.abs(acc - total / 2);
      if (diff < best) {
        best = diff;
        mid = i;
      }
    }
    let left = 0;
    for (let i = lo; i < mid; i++) left += weights[i] as number;
    const f = total > 0 ? left / total : (mid - lo) / (hi - lo);
    const [w, s, e, n] = r;
    // Compare in kilometres: a degree of longitude is ~0.86 of a degree of latitude here.
    if ((e - w) * 0.86 >= n - s) {
      const x = round6(w + (e - w) * f);
      go([w, s, x, n], lo, mid);
      go([x, s, e, n], mid, hi);
    } else {
      const y = round6(s + (n - s) * f);
      go([w, s, e, y], lo, mid);
      go([w, y, e, n], mid, hi);
    }
  };
  if (weights.length > 0) go(rect, 0, weights.length);
  return out;
}

export function rectRing(r: Rect): Ring {
  const [w, s, e, n] = r;
  return [[w, s], [e, s], [e, n], [w, n], [w, s]];
}

/** A grid's polygon: its cell inset by 4%, with some corners cut; and a safe inner rectangle. */
function gridShape(cell: Rect, rng: Rng): { ring: Ring; inner: Rect } {
  const [w0, s0, e0, n0] = cell;
  const dx = e0 - w0;
  const dy = n0 - s0;
  const w = w0 + dx * 0.04;
  const e = e0 - dx * 0.04;
  const s = s0 + dy * 0.04;
  const n = n0 - dy * 0.04;
  const cut = (): [number, number] | null => (rng.chance(0.6) ? [dx * rng.float(0.05, 0.2), dy * rng.float(0.05, 0.2)] : null);
  const corners: Array<{ x: number; y: number; sx: number; sy: number }> = [
    { x: w, y: s, sx: 1, sy: 1 }, { x: e, y: s, sx: -1, sy: 1 }, { x: e, y: n, sx: -1, sy: -1 }, { x: w, y: n, sx: 1, sy: -1 },
  ];
  const ring: Ring = [];
  corners.forEach((c, i) => {
    const k = cut();
    if (!k) {
      ring.push([round6(c.x), round6(c.y)]);
      return;
    }
    // Counter-clockwise: SW (cut along y then x), SE, NE, NW; each corner is replaced by two points.
    const alongX: [number, number] = [round6(c.x + c.sx * k[0]), round6(c.y)];
    const alongY: [number, number] = [round6(c.x), round6(c.y + c.sy * k[1])];
    if (i % 2 === 0) ring.push(alongY, alongX);
    else ring.push(alongX, alongY);
  });
  ring.push([...(ring[0] as [number, number])]);
  return { ring, inner: [w + dx * 0.22, s + dy * 0.22, e - dx * 0.22, n - dy * 0.22] };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export function makePlan(scale: ScaleSpec, seed: number): Plan {
  if (scale.streets < 1 || scale.streets > STREETS.length) throw new Error(`scale.streets must be 1..${STREETS.length}`);
  if (scale.people < 10 || scale.dwellings < 1 || scale.enterprises < 0) throw new Error('scale: people ≥ 10, dwellings ≥ 1, enterprises ≥ 0');
  const rng = Rng.of(seed, Stream.plan);
  const specs = STREETS.slice(0, scale.streets);
  const streetRects = treemap(DISTRICT_RECT, specs.map((s) => s.land));
  const streetPeople = apportion(scale.people, specs.map((s) => s.people));
  let areaIndex = 1; // 0 is the district
  const streets: StreetPlan[] = specs.map((spec, i) => ({
    areaIndex: areaIndex++, spec, code: `${DISTRICT.code}${pad(i + 1, 3)}`, rect: streetRects[i] as Rect, people: streetPeople[i] as number,
  }));

  const reserved = STREETS.flatMap((s) => [...s.communities, ...s.villages, ...s.roads]);
  const names = new NameBook(reserved);
  const communities: CommunityPlan[] = [];
  const perStreet: CommunityPlan[][] = [];
  for (const st of streets) {
    const n = Math.max(1, Math.round(st.people / scale.peoplePerCommunity));
    const villageShare = st.spec.kind === 'town' ? 0.75 : st.spec.villages.length / (st.spec.villages.length + st.spec.communities.length);
    let villages = Math.round(n * villageShare);
    if (n >= 2 && villages === 0 && st.spec.villages.length > 0) villages = 1;
    if (villages === n && st.spec.kind === 'street') villages = n - 1;
    const kinds: Array<'community' | 'village'> = [];
    for (let k = 0; k < n; k++) kinds.push(k < n - villages ? 'community' : 'village');
    // Interleave so real names of both kinds come first: community, village, community, ...
    kinds.sort((a, b) => (a === b ? 0 : a === 'community' ? -1 : 1));
    let realC = 0;
    let realV = 0;
    const weights = kinds.map((k) => (k === 'village' ? 0.6 : 1) * rng.float(0.6, 1.5));
    const people = apportion(st.people, weights);
    const rects = treemap(st.rect, kinds.map((k, i) => (people[i] as number) * (k === 'village' ? 3 : 1) + 1));
    const list: CommunityPlan[] = kinds.map((kind, k) => {
      let name: string;
      if (kind === 'community') name = st.spec.communities[realC++] ?? names.fresh(rng, makeCommunityName);
      else name = st.spec.villages[realV++] ?? names.fresh(rng, makeVillageName);
      const roads: string[] = [];
      // Real road names go to the first communities of the street; the rest get new ones.
      const realRoad = st.spec.roads[k];
      roads.push(realRoad ?? names.fresh(rng, makeRoadName));
      roads.push(names.fresh(rng, makeRoadName));
      return {
        areaIndex: 0, street: st, code: `${st.code}${pad(k + 1, 3)}`, name, kind, rect: rects[k] as Rect, people: people[k] as number, roads,
      };
    });
    perStreet.push(list);
  }
  // Area indices: district, streets, then communities in street order.
  for (const list of perStreet) for (const c of list) {
    c.areaIndex = areaIndex++;
    communities.push(c);
  }

  const grids: GridPlan[] = [];
  for (const c of communities) {
    const n = Math.max(1, Math.round(c.people / scale.peoplePerGrid));
    const people = apportion(c.people, Array.from({ length: n }, () => rng.float(0.7, 1.3)));
    const cells = treemap(c.rect, people.map((p) => p + 1));
    for (let k = 0; k < n; k++) {
      const shape = gridShape(cells[k] as Rect, rng);
      grids.push({
        index: grids.length, code: `${c.code}${pad(k + 1, 2)}`, name: `${c.name}第${k + 1}网格`, community: c, street: c.street,
        people: people[k] as number, dwellings: 0, enterprises: 0, ring: shape.ring, inner: shape.inner,
      });
    }
  }
  // Village rooms hold smaller households than estate flats, so villages get more dwellings per head.
  const dwellings = apportion(scale.dwellings, grids.map((g) => g.people * (g.community.kind === 'village' ? 1.06 : 0.97) + 0.01));
  const enterprises = apportion(scale.enterprises, grids.map((g) =>
    g.people * (g.community.kind === 'village' ? 0.45 : 1.15) * (g.street.spec.kind === 'town' ? 0.6 : 1) + 0.01));
  grids.forEach((g, i) => {
    g.dwellings = dwellings[i] as number;
    g.enterprises = enterprises[i] as number;
  });
  return { scale, districtRect: DISTRICT_RECT, streets, communities, grids };
}
