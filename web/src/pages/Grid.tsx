import { Suspense, lazy } from 'react';
import { useQuery, useSubscription } from 'urql';
import { Link } from 'wouter';
import { graphql } from '../gql';
import { useI18n } from '../lib/i18n';
import { ErrorNote } from '../lib/errors';
import { useSession } from '../lib/session';
import { Countdown } from '../components/Countdown';

const MapView = lazy(() => import('../components/MapView'));

const GridQuery = graphql(`
  query ConsoleGrid($id: ID!) {
    grid(id: $id) {
      id name code
      street { name }
      community { name }
      boundary { coordinates }
      members { id name role phone }
    }
    buildings(filter: { area: { gridId: $id } }, first: 100) {
      totalCount
      edges { node { id name use location { lat lng } } }
    }
    cases(filter: { area: { gridId: $id }, status: [REPORTED, DISPATCHED, IN_PROGRESS] }, first: 20) {
      totalCount
      edges { node { id number title status urgency sla { dueAt overdue } } }
    }
  }
`);

/** Counting people is reading people: the hub wants a purpose for it, so this waits for one. */
const GridPeopleQuery = graphql(`
  query ConsoleGridPeople($id: ID!) {
    people(filter: { area: { gridId: $id } }, first: 0) { totalCount }
    elderly: people(filter: { area: { gridId: $id }, tags: [ELDERLY_LIVING_ALONE] }, first: 0) { totalCount }
  }
`);

export const DashboardSubscription = graphql(`
  subscription ConsoleDashboard($area: ID) {
    dashboard(area: $area) {
      at open overdue escalated supervised closedToday meanMinutesToDispatch meanMinutesToClose
      openByCategory { category count }
    }
  }
`);

export default function GridPage({ id }: { id: string }) {
  const { t, e } = useI18n();
  const [{ data, fetching, error }] = useQuery({ query: GridQuery, variables: { id } });
  const [live] = useSubscription({ query: DashboardSubscription, variables: { area: id } });
  const { purpose, claims } = useSession();
  const [people] = useQuery({ query: GridPeopleQuery, variables: { id }, pause: !purpose });
  if (error) return <ErrorNote error={error} />;
  if (fetching && !data) return <p className="muted">{t('loading')}</p>;
  const g = data?.grid;
  if (!g) return <div className="error" role="alert"><strong>{t('notFound')}</strong></div>;
  const counts = live.data?.dashboard;
  // Grids are public to every role; what lies inside one is a grid worker's only in their own.
  const rowId = atob(g.id).split(':')[1];
  const notMine = claims?.role === 'grid-worker' && !(claims.grids ?? []).includes(rowId ?? '');
  return (
    <div className="page">
      <div className="page-head">
        <h1>{g.name}</h1>
        <span className="muted">{g.street.name} · {g.community.name} · {g.code}</span>
      </div>
      {notMine && <div className="error" role="note" data-testid="grid-not-mine">{t('gridNotMine')}</div>}
      <div className="counters">
        <div className="counter"><b data-testid="count-people">{people.data?.people.totalCount ?? '—'}</b><span>{t('people')}</span></div>
        <div className="counter"><b>{people.data?.elderly.totalCount ?? '—'}</b><span>{e('ELDERLY_LIVING_ALONE')}</span></div>
        <div className="counter"><b>{data?.buildings.totalCount ?? '—'}</b><span>{t('buildings')}</span></div>
        <div className="counter"><b>{counts?.open ?? data?.cases.totalCount ?? '—'}</b><span>{t('openCases')}</span></div>
        <div className="counter warn"><b>{counts?.overdue ?? '—'}</b><span>{t('overdue')}</span></div>
        <div className="counter"><b>{counts?.closedToday ?? '—'}</b><span>{t('closedToday')}</span></div>
        <div className="counter"><b>{g.members.length}</b><span>{t('staff')}</span></div>
      </div>
      <div className="grid2 wide-left">
        <section className="panel">
          <h2>{t('map')}</h2>
          <Suspense fallback={<p className="muted">{t('loading')}</p>}>
            <MapView
              polygons={[{ id: g.id, rings: g.boundary.coordinates, fill: 'rgba(37,99,235,0.12)', label: g.name }]}
              points={(data?.buildings.edges ?? []).flatMap(({ node: b }) => (b.location ? [{ id: b.id, lat: b.location.lat, lng: b.location.lng, title: b.name, href: `/building/${encodeURIComponent(b.id)}` }] : []))}
            />
          </Suspense>
        </section>
        <section className="panel">
          <h2>{t('staff')}</h2>
          <ul>{g.members.map((m) => <li key={m.id}>{m.name} <span className="muted">{e(m.role)} {m.phone ?? ''}</span></li>)}</ul>
          <h2>{t('buildings')}</h2>
          <ul className="columns">{data?.buildings.edges.map(({ node: b }) => <li key={b.id}><Link href={`/building/${encodeURIComponent(b.id)}`}>{b.name}</Link></li>)}</ul>
        </section>
      </div>
      <section className="panel">
        <h2>{t('openCases')}</h2>
        <table>
          <tbody>
            {data?.cases.edges.map(({ node: c }) => (
              <tr key={c.id}><td><Link href={`/case/${encodeURIComponent(c.id)}`}>{c.number}</Link></td><td>{c.title}</td><td>{e(c.status)}</td><td>{e(c.urgency)}</td><td><Countdown dueAt={c.sla.dueAt} /></td></tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
