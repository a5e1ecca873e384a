import type { Evidence } from './model.js';

/**
 * How a record came to name its entity:
 * - key: a valid ID number, credit code or normalised address;
 * - recovered_key: a broken ID number or credit code one slip from a known one, the name agreeing;
 * - probabilistic: the Fellegi–Sunter score passed the auto-link threshold;
 * - human: a data steward or district administrator said so;
 * - created: the record's authority created the entity (no key, nothing matched).
 */
export type LinkMethod = 'key' | 'recovered_key' | 'probabilistic' | 'human' | 'created';

export interface ReviewCandidate {
  entityId: string;
  score: number;
  evidence: Evidence[];
}

export interface LinkOutcome {
  entityId: string | null;
  method: LinkMethod | null;
  /** Match probability (1 for keys and people). */
  score: number | null;
  evidence: Evidence[] | null;
  /** When not linked: the candidates a person should look at. */
  review: ReviewCandidate[];
}

export interface ResolutionOptions {
  /** 'keys': link on valid keys only (what the hub did before resolution; the bench's baseline). */
  mode: 'full' | 'keys';
  /** Match probability at or above which a record links without a person looking. */
  autoLink: number;
  /** Match probability at or above which the pair goes to the review queue. */
  review: number;
  /** Bits by which the best candidate must beat the next to link on its own (twins, namesakes). */
  margin: number;
}

export const DEFAULT_RESOLUTION: ResolutionOptions = { mode: 'full', autoLink: 0.99, review: 0.5, margin: 4 };

/** Human decisions about one record slot (subject or mention), keyed by slotKey(). */
export type Decisions = ReadonlyMap<string, { link?: string; reject: ReadonlySet<string> }>;
