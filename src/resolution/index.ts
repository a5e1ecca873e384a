/**
 * Entity resolution: which canonical person, enterprise or building each department record and
 * each of its mentions is about. The ingest writer calls it for every batch inside the batch's
 * transaction; `resolve --all` and the review operations call it over what is stored.
 *
 *   keys → recovered keys → Fellegi–Sunter (blocking, comparison, EM-estimated m/u, term
 *   frequencies) → auto-link, review queue, or unlinked / new
 *
 * Human decisions (match_decision) are read first and always kept.
 */
import type { Knex } from 'knex';
import type { Row } from '../store/loaders.js';
import type { MatchModel } from './model.js';
import { PersonResolver, slotKey } from './people.js';
import { EnterpriseResolver } from './enterprises.js';
import { DEFAULT_PERSON_MODEL } from './person.js';
import { DEFAULT_RESOLUTION, type Decisions, type ResolutionOptions } from './types.js';

export { DEFAULT_RESOLUTION, type ResolutionOptions, type LinkMethod, type LinkOutcome } from './types.js';

export class Resolver {
  readonly people: PersonResolver;
  readonly enterprises: EnterpriseResolver;
  private personModel: MatchModel = DEFAULT_PERSON_MODEL;
  private modelLoaded = false;

  constructor(readonly options: ResolutionOptions = DEFAULT_RESOLUTION) {
    this.people = new PersonResolver(options, () => this.personModel);
    this.enterprises = new EnterpriseResolver(options);
  }

  /** The estimated model when `resolve --all` has stored one, else the default. Read once. */
  async load(knex: Knex | Knex.Transaction): Promise<void> {
    if (this.modelLoaded) return;
    const row = (await knex('match_model').where('entity_type', 'person').first('model')) as Row | undefined;
    if (row?.model) this.personModel = (typeof row.model === 'string' ? JSON.parse(row.model) : row.model) as MatchModel;
    this.modelLoaded = true;
  }

  useModel(model: MatchModel): void {
    this.personModel = model;
    this.modelLoaded = true;
  }

  get model(): MatchModel {
    return this.personModel;
  }

  /** Human decisions about the given stored records' subjects and mentions. */
  async decisions(trx: Knex | Knex.Transaction, recordIds: string[]): Promise<Decisions> {
    await this.load(trx);
    const out = new Map<string, { link?: string; reject: Set<string> }>();
    if (recordIds.length === 0) return out;
    const rows = (await trx('match_decision').whereRaw('source_record_id = any(?::bigint[])', [recordIds]).whereIn('decision', ['link', 'no_link'])
      .orderBy('id').select('source_record_id', 'mention_index', 'decision', 'entity_id')) as Row[];
    for (const r of rows) {
      const key = slotKey(String(r.source_record_id), r.mention_index === null ? null : Number(r.mention_index));
      let d = out.get(key);
      if (!d) out.set(key, (d = { reject: new Set() }));
      const entity = String(r.entity_id);
      if (r.decision === 'link') {
        d.link = entity;
        d.reject.delete(entity);
      } else {
        d.reject.add(entity);
        if (d.link === entity) delete d.link;
      }
    }
    return out;
  }
}
