/**
 * The map: the boundaries and points the hub serves, drawn as SVG in Web Mercator, with no tile
 * server needed. When the operator configured their own tile URL ({z}/{x}/{y}), its tiles are
 * laid underneath. Loaded lazily: the pages that draw a map import it on first use.
 */
import { useEffect, useState } from 'react';
import { useLocation } from 'wouter';
import { consoleConfig } from '../lib/consoleConfig';

export interface MapPolygon {
  id: string;
  /** GeoJSON Polygon rings of [lng, lat]. */
  rings: number[][][];
  fill: string;
  label?: string;
  title?: string;
  href?: string;
}

export interface MapPoint {
  id: string;
  lat: number;
  lng: number;
  title?: string;
  href?: string;
  color?: string;
}

const WIDTH = 800;
const TILE = 256;

/** Web Mercator in tile units at zoom 0 (0..1 across the world). */
function project(lng: number, lat: number): [number, number] {
  const x = (lng + 180) / 360;
  const s = Math.sin((lat * Math.PI) / 180);
  const y = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  return [x, y];
}

export default function MapView({ polygons, points = [], height = 480 }: { polygons: MapPolygon[]; points?: MapPoint[]; height?: number }) {
  const [, navigate] = useLocation();
  const [tileUrl, setTileUrl] = useState<string | null>(null);
  useEffect(() => {
    consoleConfig().then((c) => setTileUrl(c.tileUrl), () => setTileUrl(null));
  }, []);
  const all = [...polygons.flatMap((p) => p.rings.flat().map(([lng, lat]) => project(lng ?? 0, lat ?? 0))), ...points.map((p) => project(p.lng, p.lat))];
  if (!all.length) return null;
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = 0.06;
  const spanX = (maxX - minX) * (1 + 2 * pad) || 1e-4;
  const spanY = (maxY - minY) * (1 + 2 * pad) || 1e-4;
  const scale = Math.min(WIDTH / spanX, height / spanY);
  const ox = (minX + maxX) / 2 - WIDTH / 2 / scale;
  const oy = (minY + maxY) / 2 - height / 2 / scale;
  const toScreen = (lng: number, lat: number) => {
    const [x, y] = project(lng, lat);
    return [(x - ox) * scale, (y - oy) * scale] as const;
  };
  const path = (rings: number[][][]) =>
    rings.map((ring) => ring.map(([lng, lat], i) => { const [x, y] = toScreen(lng ?? 0, lat ?? 0); return `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`; }).join('') + 'Z').join('');

  const tiles: Array<{ key: string; href: string; x: number; y: number; size: number }> = [];
  if (tileUrl) {
    const z = Math.max(0, Math.min(19, Math.round(Math.log2(scale / TILE))));
    const n = 2 ** z;
    const size = scale / n;
    for (let tx = Math.floor(ox * n); tx <= Math.floor((ox + WIDTH / scale) * n); tx++) {
      for (let ty = Math.floor(oy * n); ty <= Math.floor((oy + height / scale) * n); ty++) {
        tiles.push({ key: `${z}/${tx}/${ty}`, href: tileUrl.replace('{z}', String(z)).replace('{x}', String(tx)).replace('{y}', String(ty)), x: (tx / n - ox) * scale, y: (ty / n - oy) * scale, size });
      }
    }
  }
  return (
    <svg className="map" viewBox={`0 0 ${WIDTH} ${height}`} role="img" data-testid="map">
      {tiles.map((t) => <image key={t.key} href={t.href} x={t.x} y={t.y} width={t.size} height={t.size} />)}
      {polygons.map((p) => (
        <g key={p.id} className={p.href ? 'area link' : 'area'} onClick={() => p.href && navigate(p.href)}>
          <path d={path(p.rings)} fill={p.fill} data-id={p.id}>
            {p.title && <title>{p.title}</title>}
          </path>
        </g>
      ))}
      {polygons.map((p) => {
        if (!p.label) return null;
        const outer = p.rings[0] ?? [];
        const lng = outer.reduce((sum, pt) => sum + (pt[0] ?? 0), 0) / Math.max(1, outer.length);
        const lat = outer.reduce((sum, pt) => sum + (pt[1] ?? 0), 0) / Math.max(1, outer.length);
        const [x, y] = toScreen(lng, lat);
        return <text key={`l${p.id}`} x={x} y={y} className="map-label" textAnchor="middle">{p.label}</text>;
      })}
      {points.map((p) => {
        const [x, y] = toScreen(p.lng, p.lat);
        return (
          <circle key={p.id} cx={x} cy={y} r={5} fill={p.color ?? '#1d4ed8'} className={p.href ? 'link' : ''} onClick={() => p.href && navigate(p.href)}>
            {p.title && <title>{p.title}</title>}
          </circle>
        );
      })}
    </svg>
  );
}
