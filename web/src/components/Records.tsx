import { useI18n } from '../lib/i18n';
import type { RecordFieldsFragment } from '../gql/graphql';
import { graphql } from '../gql';

export const RecordFields = graphql(`
  fragment RecordFields on SourceRecord {
    id
    stream
    sourceId
    fetchedAt
    sourceUpdatedAt
    role
    linked
    department { name displayName }
    link { method score evidence { field agreement weight } }
    facts { field value }
  }
`);

/**
 * Every department's records as one timeline, newest first: what each states, and where it came
 * from (department, stream, source id, when the hub fetched it). Fields the departments
 * disagree on are marked in every record that states them.
 */
export function RecordTimeline({ records, disputed, showLinks }: { records: RecordFieldsFragment[]; disputed: Set<string>; showLinks: boolean }) {
  const { t, e, time, fact, factValue } = useI18n();
  const sorted = [...records].sort((a, b) => (b.sourceUpdatedAt ?? b.fetchedAt).localeCompare(a.sourceUpdatedAt ?? a.fetchedAt));
  if (!sorted.length) return <p className="muted">{t('none')}</p>;
  return (
    <ol className="timeline">
      {sorted.map((r) => (
        <li key={r.id} className="record" data-department={r.department.name}>
          <div className="record-head">
            <strong>{r.department.displayName}</strong>
            <span className="tag">{r.stream}</span>
            {r.role !== 'SUBJECT' && <span className="tag">{r.role}</span>}
            <time className="muted small">{time(r.sourceUpdatedAt ?? r.fetchedAt)}</time>
          </div>
          <dl className="facts">
            {r.facts.map((f) => (
              <div key={f.field} className={disputed.has(f.field) ? 'fact disputed' : 'fact'}>
                <dt title={f.field}>{fact(f.field)}</dt>
                <dd>{factValue(f.field, f.value)}</dd>
              </div>
            ))}
          </dl>
          <div className="provenance small muted" data-testid="provenance">
            {t('provenance')}：{r.department.name} · {t('stream')} {r.stream} · {t('sourceId')} {r.sourceId} · {t('fetchedAt')} {time(r.fetchedAt)}
          </div>
          {showLinks && r.link && (
            <details className="small">
              <summary>{t('link')}：{e(r.link.method)}{r.link.score != null ? ` · ${t('score')} ${r.link.score.toFixed(3)}` : ''}</summary>
              <ul>
                {r.link.evidence.map((ev) => <li key={ev.field}>{fact(ev.field)}: {ev.agreement} ({ev.weight >= 0 ? '+' : ''}{ev.weight.toFixed(1)})</li>)}
              </ul>
            </details>
          )}
        </li>
      ))}
    </ol>
  );
}
