/**
 * The golden record: the one value the hub shows for each field of an entity, while every
 * department's own text stays in provenance. Values are chosen by the department's authority
 * first (the writer lets a master overwrite and a registry only fill in), then by recency (the
 * latest read of a master wins); names are shown folded, so 张 子帆 from one master reads 张子帆.
 */
import { personName } from './text.js';

/** The name as the hub shows it: Han names folded (no stray spaces, simplified), other scripts as written. */
export function goldenName(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const forms = personName(raw);
  if (forms && forms.given !== '' ) return forms.folded;
  const trimmed = raw.normalize('NFKC').trim().replace(/\s+/g, ' ');
  return trimmed.length > 0 ? trimmed : null;
}
