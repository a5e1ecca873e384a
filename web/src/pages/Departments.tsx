import { useQuery } from 'urql';
import { graphql } from '../gql';
import { useI18n } from '../lib/i18n';
import { ErrorNote } from '../lib/errors';

const DepartmentsQuery = graphql(`
  query ConsoleDepartments {
    departments {
      id name displayName
      connector {
        status lastSyncAt lastAttemptAt lastError version recordCount unlinkedCount deadLetterCount
        streams { name cursor updatedAt lastRun { trigger status startedAt finishedAt read stored changed deadLettered error } }
      }
    }
  }
`);

export default function DepartmentsPage() {
  const { t, e, time } = useI18n();
  const [{ data, error }, refetch] = useQuery({ query: DepartmentsQuery });
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('departmentsTitle')}</h1>
        <button type="button" className="secondary" onClick={() => refetch({ requestPolicy: 'network-only' })}>{t('refresh')}</button>
      </div>
      <ErrorNote error={error} />
      <div className="cards">
        {data?.departments.map((d) => (
          <section key={d.id} className={`panel connector ${d.connector.status.toLowerCase()}`} data-department={d.name}>
            <div className="row spread">
              <h2>{d.displayName}</h2>
              <span className={`badge ${d.connector.status.toLowerCase()}`}>{e(d.connector.status)}</span>
            </div>
            <dl className="kv inline">
              <dt>{t('lastSync')}</dt><dd>{time(d.connector.lastSyncAt)}</dd>
              <dt>{t('recordCount')}</dt><dd>{d.connector.recordCount}</dd>
              <dt>{t('unlinked')}</dt><dd>{d.connector.unlinkedCount}</dd>
              <dt>{t('deadLetters')}</dt><dd className={d.connector.deadLetterCount ? 'warn' : ''}>{d.connector.deadLetterCount}</dd>
            </dl>
            {d.connector.lastError && <div className="error">{d.connector.lastError}</div>}
            <table className="small">
              <thead><tr><th>{t('stream')}</th><th>{t('lastRun')}</th><th>{t('read')}</th><th>{t('stored')}</th><th>{t('changed')}</th><th>{t('deadLetters')}</th><th>{t('cursor')}</th></tr></thead>
              <tbody>
                {d.connector.streams.map((s) => (
                  <tr key={s.name}>
                    <td>{s.name}</td>
                    <td>{s.lastRun ? `${s.lastRun.status} · ${time(s.lastRun.finishedAt ?? s.lastRun.startedAt)}` : '—'}</td>
                    <td>{s.lastRun?.read ?? '—'}</td><td>{s.lastRun?.stored ?? '—'}</td><td>{s.lastRun?.changed ?? '—'}</td><td>{s.lastRun?.deadLettered ?? '—'}</td>
                    <td><code className="cursor">{s.cursor ?? '—'}</code></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
      </div>
    </div>
  );
}
