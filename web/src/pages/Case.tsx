import { useState } from 'react';
import { useMutation, useQuery, type CombinedError } from 'urql';
import { Link } from 'wouter';
import { graphql } from '../gql';
import type { DispatchRole, FeedbackSatisfaction } from '../gql/graphql';
import { useI18n } from '../lib/i18n';
import { capabilities, useSession } from '../lib/session';
import { ErrorNote } from '../lib/errors';
import { useCaseEvents } from '../lib/caseEvents';
import { NeedsPurpose } from '../components/Purpose';
import { Countdown } from '../components/Countdown';
import { ownDepartment } from './Cases';

const CaseQuery = graphql(`
  query ConsoleCase($id: ID!) {
    case(id: $id) {
      id number title description category urgency status channel level reportedAt closedAt supervised escalatedAt
      address { text }
      building { id name }
      grid { id name }
      people { id name }
      dispatches { id role status dispatchedAt acceptedAt arrivedAt completedAt result department { name displayName } }
      history { id type actor actorRole at note toStatus department { displayName } }
      sla { dispatchDueAt arriveDueAt closeDueAt dueAt overdue }
      feedback { satisfaction note recordedAt }
    }
    departments { name displayName }
    caseDepartments { name displayName }
    caseCategories { code title }
  }
`);

const DispatchCase = graphql(`mutation ConsoleDispatch($input: DispatchCaseInput!) { dispatchCase(input: $input) { case { id status } events { id } } }`);
const AcceptDispatch = graphql(`mutation ConsoleAccept($id: ID!) { acceptDispatch(dispatchId: $id) { case { id status } events { id } } }`);
const StartDispatch = graphql(`mutation ConsoleStart($id: ID!) { startDispatch(dispatchId: $id) { case { id status } events { id } } }`);
const CompleteDispatch = graphql(`mutation ConsoleComplete($id: ID!, $result: String!) { completeDispatch(dispatchId: $id, result: $result) { case { id status } events { id } } }`);
const RecordFeedback = graphql(`mutation ConsoleFeedback($id: ID!, $satisfaction: FeedbackSatisfaction!, $note: String) { recordFeedback(caseId: $id, satisfaction: $satisfaction, note: $note) { case { id status } events { id } } }`);
const CloseCase = graphql(`mutation ConsoleClose($id: ID!, $note: String) { closeCase(caseId: $id, note: $note) { case { id status } events { id } } }`);
const ReopenCase = graphql(`mutation ConsoleReopen($id: ID!, $note: String!) { reopenCase(caseId: $id, note: $note) { case { id status } events { id } } }`);
const EscalateCase = graphql(`mutation ConsoleEscalate($id: ID!, $note: String) { escalateCase(caseId: $id, note: $note) { case { id status level } events { id } } }`);
const SuperviseCase = graphql(`mutation ConsoleSupervise($id: ID!) { superviseCase(caseId: $id) { case { id status } events { id } } }`);

function CaseView({ id }: { id: string }) {
  const { t, e, time } = useI18n();
  const { claims } = useSession();
  const can = capabilities(claims?.role);
  const mine = ownDepartment(claims?.role, claims?.department);
  const [{ data, error, fetching }, refetch] = useQuery({ query: CaseQuery, variables: { id } });
  useCaseEvents((m) => {
    if (m.case.id === id) refetch({ requestPolicy: 'network-only' });
  });
  const [dispatchRes, dispatch] = useMutation(DispatchCase);
  const [acceptRes, accept] = useMutation(AcceptDispatch);
  const [startRes, start] = useMutation(StartDispatch);
  const [completeRes, complete] = useMutation(CompleteDispatch);
  const [feedbackRes, feedback] = useMutation(RecordFeedback);
  const [closeRes, close] = useMutation(CloseCase);
  const [reopenRes, reopen] = useMutation(ReopenCase);
  const [escalateRes, escalate] = useMutation(EscalateCase);
  const [superviseRes, supervise] = useMutation(SuperviseCase);
  const [targets, setTargets] = useState<Record<string, DispatchRole | ''>>({});
  const [result, setResult] = useState('');
  const [note, setNote] = useState('');
  const [satisfaction, setSatisfaction] = useState<FeedbackSatisfaction>('SATISFIED');
  const actionError: CombinedError | undefined = [dispatchRes, acceptRes, startRes, completeRes, feedbackRes, closeRes, reopenRes, escalateRes, superviseRes].find((r) => r.error)?.error;

  if (error) return <ErrorNote error={error} />;
  if (fetching && !data) return <p className="muted">{t('loading')}</p>;
  const c = data?.case;
  if (!c) return <div className="error" role="alert"><strong>{t('notFound')}</strong></div>;
  const departments = [...(data?.departments ?? []), ...(data?.caseDepartments ?? [])].filter((d, i, all) => all.findIndex((x) => x.name === d.name) === i && !['population', 'housing', 'enterprise'].includes(d.name));
  const own = c.dispatches.filter((d) => d.department.name === mine && d.status !== 'COMPLETED');
  const chosen = Object.entries(targets).filter((entry): entry is [string, DispatchRole] => entry[1] !== '');
  const refresh = () => refetch({ requestPolicy: 'network-only' });

  return (
    <div className="page">
      <div className="page-head">
        <h1><span className="muted">{c.number}</span> {c.title}</h1>
        <span className={`badge status ${c.status.toLowerCase()}`} data-testid="case-status">{e(c.status)}</span>
        {c.supervised && <span className="badge warn">{t('supervised')}</span>}
      </div>
      <div className="grid2">
        <section className="panel">
          <dl className="kv">
            <dt>{t('category')}</dt><dd>{data?.caseCategories.find((k) => k.code === c.category)?.title ?? c.category}</dd>
            <dt>{t('urgency')}</dt><dd>{e(c.urgency)}</dd>
            <dt>{t('channel')}</dt><dd>{e(c.channel)}</dd>
            <dt>{t('level')}</dt><dd>{e(c.level)}</dd>
            <dt>{t('reportedAt')}</dt><dd>{time(c.reportedAt)}</dd>
            <dt>{t('address')}</dt><dd>{c.address?.text ?? '—'}</dd>
            <dt>{t('building')}</dt><dd>{c.building ? <Link href={`/building/${encodeURIComponent(c.building.id)}`}>{c.building.name}</Link> : '—'}</dd>
            <dt>{t('grid')}</dt><dd>{c.grid ? <Link href={`/grid/${encodeURIComponent(c.grid.id)}`}>{c.grid.name}</Link> : '—'}</dd>
            <dt>{t('people')}</dt><dd>{c.people.length ? c.people.map((p) => <Link key={p.id} href={`/person/${encodeURIComponent(p.id)}`} className="resident">{p.name}</Link>) : '—'}</dd>
            <dt>{t('sla')}</dt><dd>{c.status === 'CLOSED' ? time(c.closedAt) : <Countdown dueAt={c.sla.dueAt} />}</dd>
          </dl>
          {c.description && <p>{c.description}</p>}
          {c.feedback && <p className="note">{t('feedback')}：{e(c.feedback.satisfaction)} {c.feedback.note ?? ''}</p>}
        </section>
        <section className="panel">
          <h2>{t('dispatches')}</h2>
          <table data-testid="dispatches">
            <tbody>
              {c.dispatches.map((d) => (
                <tr key={d.id} data-department={d.department.name}>
                  <td>{d.department.displayName}</td><td>{e(d.role)}</td><td className="dispatch-status">{e(d.status)}</td>
                  <td className="small muted">{d.result ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>{t('actions')}</h2>
          <ErrorNote error={actionError} />
          {can.command && c.status !== 'CLOSED' && (
            <div className="stack action" data-testid="dispatch-form">
              <div className="dispatch-targets">
                {departments.map((d) => (
                  <label key={d.name} className="target">
                    <span>{d.displayName}</span>
                    <select name={`target-${d.name}`} value={targets[d.name] ?? ''} onChange={(ev) => setTargets({ ...targets, [d.name]: ev.target.value as DispatchRole | '' })}>
                      <option value="">—</option>
                      <option value="LEAD">{t('lead')}</option>
                      <option value="COOPERATING">{t('cooperating')}</option>
                    </select>
                  </label>
                ))}
              </div>
              <button type="button" disabled={!chosen.length} onClick={() => void dispatch({ input: { caseId: c.id, departments: chosen.map(([department, role]) => ({ department, role })) } }).then(() => { setTargets({}); refresh(); })}>{t('dispatch')}</button>
            </div>
          )}
          {own.map((d) => (
            <div key={d.id} className="stack action" data-testid="own-dispatch">
              <div className="muted small">{d.department.displayName} · {e(d.role)} · {e(d.status)}</div>
              {d.status === 'PENDING' && <button type="button" onClick={() => void accept({ id: d.id }).then(refresh)}>{t('accept')}</button>}
              {d.status === 'ACCEPTED' && <button type="button" onClick={() => void start({ id: d.id }).then(refresh)}>{t('start')}</button>}
              {d.status === 'IN_PROGRESS' && (
                <div className="row">
                  <input name="result" placeholder={t('result')} value={result} onChange={(ev) => setResult(ev.target.value)} />
                  <button type="button" disabled={!result} onClick={() => void complete({ id: d.id, result }).then(() => { setResult(''); refresh(); })}>{t('complete')}</button>
                </div>
              )}
            </div>
          ))}
          {!can.command && can.escalate && c.status !== 'CLOSED' && c.level === 'GRID' && (
            <div className="stack action" data-testid="escalate-form">
              <div className="muted small">{t('escalateHint')}</div>
              <input name="note" placeholder={t('note')} value={note} onChange={(ev) => setNote(ev.target.value)} />
              <button type="button" className="secondary" onClick={() => void escalate({ id: c.id, note: note || null }).then(() => { setNote(''); refresh(); })}>{t('escalate')}</button>
            </div>
          )}
          {can.command && (
            <div className="stack action">
              <input name="note" placeholder={t('note')} value={note} onChange={(ev) => setNote(ev.target.value)} />
              <div className="row wrap">
                {c.status !== 'CLOSED' && (
                  <>
                    <select name="satisfaction" value={satisfaction} onChange={(ev) => setSatisfaction(ev.target.value as FeedbackSatisfaction)}>
                      {(['SATISFIED', 'BASICALLY_SATISFIED', 'UNSATISFIED'] as const).map((s) => <option key={s} value={s}>{e(s)}</option>)}
                    </select>
                    <button type="button" className="secondary" onClick={() => void feedback({ id: c.id, satisfaction, note: note || null }).then(refresh)}>{t('feedback')}</button>
                    <button type="button" onClick={() => void close({ id: c.id, note: note || null }).then(refresh)}>{t('close')}</button>
                    <button type="button" className="secondary" onClick={() => void escalate({ id: c.id, note: note || null }).then(refresh)}>{t('escalate')}</button>
                    {claims?.role === 'district-admin' && !c.supervised && <button type="button" className="secondary" onClick={() => void supervise({ id: c.id }).then(refresh)}>{t('supervise')}</button>}
                  </>
                )}
                {c.status === 'CLOSED' && <button type="button" disabled={!note} onClick={() => void reopen({ id: c.id, note }).then(refresh)}>{t('reopen')}</button>}
              </div>
            </div>
          )}
        </section>
      </div>
      <section className="panel">
        <h2>{t('timeline')}</h2>
        <ol className="timeline" data-testid="case-timeline">
          {c.history.map((h) => (
            <li key={h.id} className="event" data-type={h.type}>
              <time className="muted small">{time(h.at)}</time> <span className="tag">{e(h.type)}</span> {h.toStatus ? e(h.toStatus) : ''}
              <span className="muted small"> {h.actor}{h.department ? ` · ${h.department.displayName}` : ''}{h.note ? ` · ${h.note}` : ''}</span>
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}

export default function CasePage({ id }: { id: string }) {
  return <NeedsPurpose><CaseView id={id} /></NeedsPurpose>;
}
