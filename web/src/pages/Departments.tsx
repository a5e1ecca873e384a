import { useMutation, useQuery } from 'urql';
import { useState } from 'react';
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
      deadLetters(first: 20) { id stream sourceId stage reason attempts lastSeenAt }
    }
  }
`);

const Replay = graphql(`
  mutation ConsoleReplayDeadLetters($department: String!) {
    replayDeadLetters(department: $department) { replayed stored stillFailing }
  }
`);

export default function DepartmentsPage() {
  const { t, e, time } = useI18n();
  const [{ data, error }, refetch] = useQuery({ query: DepartmentsQuery });
  const [replay, doReplay] = useMutation(Replay);
  const [replayedFor, setReplayedFor] = useState<string | null>(null);
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('departmentsTitle')}</h1>
        <button type="button" className="secondary" onClick={() => refetch({ requestPolicy: 'network-only' })}>{t('refresh')}</button>
      </div>
      <ErrorNote error={error ?? replay.error} />
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
            {d.deadLetters.length > 0 && (
              <table className="small dead-letters" data-testid="dead-letters">
                <thead><tr><th>{t('stream')}</th><th>{t('sourceId')}</th><th>{t('stage')}</th><th>{t('reason')}</th><th>×</th><th>{t('lastSync')}</th></tr></thead>
                <tbody>{d.deadLetters.map((l) => <tr key={l.id}><td>{l.stream}</td><td>{l.sourceId ?? '—'}</td><td>{l.stage}</td><td>{l.reason}</td><td>{l.attempts}</td><td>{time(l.lastSeenAt)}</td></tr>)}</tbody>
              </table>
            )}
            <div className="row">
              <button type="button" className="secondary" disabled={replay.fetching || d.connector.deadLetterCount === 0}
                onClick={() => void doReplay({ department: d.name }).then(() => { setReplayedFor(d.name); refetch({ requestPolicy: 'network-only' }); })}>
                {t('replay')}
              </button>
              {replayedFor === d.name && replay.data && (
                <span className="muted small" data-testid="replay-result">
                  {t('replayed')} {replay.data.replayDeadLetters.replayed} · {t('stored')} {replay.data.replayDeadLetters.stored} · {replay.data.replayDeadLetters.stillFailing}
                </span>
              )}
            </div>
          </section>
        ))}
      </div>
    </div>
  );
}
