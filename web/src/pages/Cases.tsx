import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link, useLocation } from 'wouter';
import { graphql } from '../gql';
import type { CaseStatus, CaseUrgency, IntakeChannel } from '../gql/graphql';
import { useI18n } from '../lib/i18n';
import { capabilities, useSession } from '../lib/session';
import { ErrorNote } from '../lib/errors';
import { Countdown } from '../components/Countdown';

const CasesQuery = graphql(`
  query ConsoleCases($filter: CaseFilter) {
    cases(filter: $filter, first: 50) {
      totalCount
      edges {
        node {
          id number title status urgency level category reportedAt
          grid { name }
          sla { dueAt overdue }
          dispatches { id role status department { name displayName } }
        }
      }
    }
  }
`);

const ReportFormQuery = graphql(`
  query ConsoleReportForm {
    caseCategories { code title }
    viewer { grids { id boundary { coordinates } } }
  }
`);

const ReportCase = graphql(`
  mutation ConsoleReportCase($input: ReportCaseInput!) {
    reportCase(input: $input) { case { id number } events { id } }
  }
`);

const ReportPatrol = graphql(`
  mutation ConsoleReportPatrol($input: ReportPatrolInput!) {
    reportPatrol(input: $input) { case { id number } events { id } }
  }
`);

const CHANNELS: Record<string, IntakeChannel[]> = {
  'district-admin': ['HOTLINE_12345', 'COMMAND_CENTER', 'POLICE_110'],
  'street-operator': ['HOTLINE_12345', 'COMMAND_CENTER'],
  police: ['POLICE_110'],
};
const URGENCIES: CaseUrgency[] = ['LOW', 'NORMAL', 'HIGH', 'CRITICAL'];
const OPEN: CaseStatus[] = ['REPORTED', 'DISPATCHED', 'IN_PROGRESS'];
/** The department whose dispatches a department role works. */
export function ownDepartment(role: string | undefined, department: string | undefined): string | null {
  if (department) return department;
  return ({ police: 'police', court: 'court', fire: 'fire', 'social-worker': 'social' } as Record<string, string>)[role ?? ''] ?? null;
}

function ReportForm() {
  const { t, e } = useI18n();
  const { claims } = useSession();
  const [, navigate] = useLocation();
  const [form] = useQuery({ query: ReportFormQuery });
  const [reportCase, doReport] = useMutation(ReportCase);
  const [reportPatrol, doPatrol] = useMutation(ReportPatrol);
  const patrol = claims?.role === 'grid-worker';
  const channels = CHANNELS[claims?.role ?? ''] ?? [];
  const [channel, setChannel] = useState<IntakeChannel>(channels[0] ?? 'HOTLINE_12345');
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [category, setCategory] = useState('neighbour.noise');
  const [urgency, setUrgency] = useState<CaseUrgency>('NORMAL');
  const [address, setAddress] = useState('');
  const [photo, setPhoto] = useState('');

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    if (patrol) {
      // A patrol report is placed where the worker stands; the console has no GPS, so the middle of their grid.
      const ring = form.data?.viewer.grids[0]?.boundary.coordinates[0] ?? [];
      const lng = ring.reduce((s, p) => s + (p[0] ?? 0), 0) / Math.max(1, ring.length);
      const lat = ring.reduce((s, p) => s + (p[1] ?? 0), 0) / Math.max(1, ring.length);
      const r = await doPatrol({ input: { title, description: description || null, category, urgency, photo, location: { lat, lng } } });
      const c = r.data?.reportPatrol.case;
      if (c) navigate(`/case/${encodeURIComponent(c.id)}`);
      return;
    }
    const r = await doReport({ input: { channel, title, description: description || null, category, urgency, ...(address ? { address } : {}) } });
    const c = r.data?.reportCase.case;
    if (c) navigate(`/case/${encodeURIComponent(c.id)}`);
  };
  return (
    <form className="panel stack" onSubmit={(ev) => void submit(ev)} aria-label={t('reportCase')} data-testid="report-form">
      <h2>{t('reportCase')}</h2>
      {!patrol && (
        <label>{t('channel')}
          <select name="channel" value={channel} onChange={(ev) => setChannel(ev.target.value as IntakeChannel)}>
            {channels.map((c) => <option key={c} value={c}>{e(c)}</option>)}
          </select>
        </label>
      )}
      <label>{t('title')}<input name="title" required value={title} onChange={(ev) => setTitle(ev.target.value)} /></label>
      <label>{t('description')}<textarea name="description" rows={2} value={description} onChange={(ev) => setDescription(ev.target.value)} /></label>
      <div className="row">
        <label>{t('category')}
          <select name="category" value={category} onChange={(ev) => setCategory(ev.target.value)}>
            {form.data?.caseCategories.map((c) => <option key={c.code} value={c.code}>{c.title}</option>)}
          </select>
        </label>
        <label>{t('urgency')}
          <select name="urgency" value={urgency} onChange={(ev) => setUrgency(ev.target.value as CaseUrgency)}>
            {URGENCIES.map((u) => <option key={u} value={u}>{e(u)}</option>)}
          </select>
        </label>
      </div>
      {patrol
        ? <label>{t('photo')}<input name="photo" required value={photo} onChange={(ev) => setPhoto(ev.target.value)} placeholder={t('photoHint')} /></label>
        : <label>{t('address')}<input name="address" value={address} onChange={(ev) => setAddress(ev.target.value)} placeholder="良渚街道金家渡社区…" /></label>}
      <ErrorNote error={reportCase.error ?? reportPatrol.error ?? form.error} />
      <button type="submit" disabled={reportCase.fetching || reportPatrol.fetching || !title || (patrol && !photo.trim())}>{t('submit')}</button>
    </form>
  );
}

export default function CasesPage() {
  const { t, e, time } = useI18n();
  const { claims } = useSession();
  const can = capabilities(claims?.role);
  const mine = can.queue ? ownDepartment(claims?.role, claims?.department) : null;
  const [status, setStatus] = useState<CaseStatus[] | null>(OPEN);
  const [{ data, error, fetching }] = useQuery({ query: CasesQuery, variables: { filter: { ...(status ? { status } : {}), ...(mine ? { department: mine } : {}) } } });
  return (
    <div className="page">
      <div className="page-head"><h1>{mine ? t('queueTitle') : t('casesTitle')}</h1></div>
      <div className={can.report ? 'grid2 wide-left' : ''}>
        <section className="panel">
          <div className="chips">
            <button type="button" className={status === OPEN ? 'chip on' : 'chip'} onClick={() => setStatus(OPEN)}>{t('open')}</button>
            <button type="button" className={status?.[0] === 'CLOSED' ? 'chip on' : 'chip'} onClick={() => setStatus(['CLOSED'])}>{e('CLOSED')}</button>
            <button type="button" className={status === null ? 'chip on' : 'chip'} onClick={() => setStatus(null)}>{t('all')}</button>
            <span className="muted small">{data?.cases.totalCount ?? ''} {fetching ? '…' : ''}</span>
          </div>
          <ErrorNote error={error} />
          <table className="cases" data-testid="case-list">
            <thead><tr><th>{t('number')}</th><th>{t('title')}</th><th>{t('status')}</th><th>{t('urgency')}</th><th>{mine ? t('dispatch') : t('grid')}</th><th>{t('sla')}</th></tr></thead>
            <tbody>
              {data?.cases.edges.map(({ node: c }) => {
                const own = mine ? c.dispatches.find((d) => d.department.name === mine) : null;
                return (
                  <tr key={c.id}>
                    <td><Link href={`/case/${encodeURIComponent(c.id)}`}>{c.number}</Link></td>
                    <td>{c.title}<div className="muted small">{time(c.reportedAt)}</div></td>
                    <td>{e(c.status)}</td>
                    <td>{e(c.urgency)}</td>
                    <td>{own ? `${e(own.role)} · ${e(own.status)}` : c.grid?.name ?? '—'}</td>
                    <td><Countdown dueAt={c.sla.dueAt} /></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
        {can.report && <ReportForm />}
      </div>
    </div>
  );
}
