import { Suspense, lazy, useEffect, useRef, useState } from 'react';
import { useClient, useQuery, useSubscription, type CombinedError } from 'urql';
import { Link } from 'wouter';
import { graphql } from '../gql';
import type { CockpitGridsQuery } from '../gql/graphql';
import { useI18n } from '../lib/i18n';
import { capabilities, useSession } from '../lib/session';
import { useConnection } from '../lib/connection';
import { ErrorNote } from '../lib/errors';
import { useCaseEvents, type CaseEventMessage } from '../lib/caseEvents';
import { Countdown } from '../components/Countdown';

const MapView = lazy(() => import('../components/MapView'));

const GridsQuery = graphql(`
  query CockpitGrids($after: String) {
    grids(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { id name street { id } boundary { coordinates } } }
    }
  }
`);

const ScopeQuery = graphql(`
  query CockpitScope { viewer { grids { id } streets { id } } }
`);

type GridShape = CockpitGridsQuery['grids']['edges'][number]['node'];

/**
 * The grids the cockpit draws: every page of them (a street alone may have 150), kept to the
 * viewer's own area: a grid worker's grids, a street operator's streets, else the district.
 */
function useScopedGrids(): { grids: GridShape[]; error: CombinedError | undefined } {
  const client = useClient();
  const [state, setState] = useState<{ grids: GridShape[]; error: CombinedError | undefined }>({ grids: [], error: undefined });
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const scope = await client.query(ScopeQuery, {}).toPromise();
      if (scope.error) return setState({ grids: [], error: scope.error });
      const ownGrids = new Set(scope.data?.viewer.grids.map((g) => g.id));
      const ownStreets = new Set(scope.data?.viewer.streets.map((a) => a.id));
      const all: GridShape[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await client.query(GridsQuery, after ? { after } : {}).toPromise();
        if (cancelled) return undefined;
        if (page.error || !page.data) return setState({ grids: [], error: page.error });
        all.push(...page.data.grids.edges.map((edge) => edge.node));
        if (!page.data.grids.pageInfo.hasNextPage || !page.data.grids.pageInfo.endCursor) break;
        after = page.data.grids.pageInfo.endCursor;
      }
      const mine = all.filter((g) => (ownGrids.size ? ownGrids.has(g.id) : ownStreets.size ? ownStreets.has(g.street.id) : true));
      if (!cancelled) setState({ grids: mine, error: undefined });
      return undefined;
    })();
    return () => { cancelled = true; };
  }, [client]);
  return state;
}

/**
 * The cockpit's counters, with the map's per grid: aggregates, so every role (the dashboard
 * role too) colours the map from them.
 */
const CockpitDashboard = graphql(`
  subscription CockpitDashboard {
    dashboard {
      at open overdue escalated supervised closedToday meanMinutesToDispatch meanMinutesToClose
      openByCategory { category count }
      byGrid { grid { id } open overdue }
    }
  }
`);

/**
 * Every overdue and every escalated case the viewer may see, by the dashboard's own rules (so
 * the lists agree with its counters), not a slice of the newest open cases. Oldest first: past
 * 100, the ones left out are those that have waited least, and the heading says how many.
 */
const CockpitListsQuery = graphql(`
  query CockpitLists {
    overdue: cases(filter: { overdue: true }, order: OLDEST_FIRST, first: 100) {
      totalCount
      edges { node { id number title sla { owedBy } } }
    }
    escalated: cases(filter: { escalated: true }, order: OLDEST_FIRST, first: 100) {
      totalCount
      edges { node { id number title level escalatedAt } }
    }
  }
`);

/** A list's count: "12", or "100 / 240" when the list shows only the oldest of them. */
const shown = (listed: number, total: number) => (total > listed ? `${listed} / ${total}` : `${total}`);

/** Open cases per grid on a white-to-orange ramp; any overdue case turns the grid red. */
function fillFor(open: number, overdue: number, max: number): string {
  if (overdue > 0) return `rgba(220, 38, 38, ${0.25 + 0.5 * Math.min(1, overdue / 3)})`;
  if (open === 0) return 'rgba(34, 197, 94, 0.15)';
  return `rgba(249, 115, 22, ${0.15 + 0.6 * (open / Math.max(1, max))})`;
}

export default function CockpitPage() {
  const { t, e, time } = useI18n();
  const { claims } = useSession();
  const { online } = useConnection();
  const can = capabilities(claims?.role);
  const grids = useScopedGrids();
  const [lists, refetchLists] = useQuery({ query: CockpitListsQuery, pause: can.aggregatesOnly });
  const [live] = useSubscription({ query: CockpitDashboard });
  const [feed, setFeed] = useState<CaseEventMessage[]>([]);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useCaseEvents((m) => {
    setFeed((f) => [m, ...f].slice(0, 50));
    // A burst of events refreshes the lists once (the map follows the dashboard's pushes).
    if (refetchTimer.current) clearTimeout(refetchTimer.current);
    refetchTimer.current = setTimeout(() => refetchLists({ requestPolicy: 'network-only' }), 400);
  }, !can.aggregatesOnly);
  useEffect(() => () => { if (refetchTimer.current) clearTimeout(refetchTimer.current); }, []);

  const d = live.data?.dashboard;
  // A case turns overdue as time passes, with no event: when the dashboard's counters move, so do the lists.
  const listedCounters = useRef<string | null>(null);
  const counters = d ? `${d.overdue}/${d.escalated}` : null;
  useEffect(() => {
    if (counters === null || can.aggregatesOnly) return;
    if (listedCounters.current !== null && listedCounters.current !== counters) refetchLists({ requestPolicy: 'network-only' });
    listedCounters.current = counters;
  }, [counters, can.aggregatesOnly, refetchLists]);
  const byGrid = new Map((d?.byGrid ?? []).map((c) => [c.grid.id, c]));
  const openOf = (id: string) => byGrid.get(id)?.open ?? 0;
  const overdueOf = (id: string) => byGrid.get(id)?.overdue ?? 0;
  const max = Math.max(0, ...[...byGrid.values()].map((c) => c.open));
  // A few grids (a grid worker's) are labelled by name as well; a district's only by their counts.
  const named = grids.grids.length <= 4;
  const polygons = grids.grids.map((g) => ({
    id: g.id,
    rings: g.boundary.coordinates,
    // Until the first counters arrive, a neutral tint rather than "no open cases" green.
    fill: d ? fillFor(openOf(g.id), overdueOf(g.id), max) : 'rgba(37,99,235,0.12)',
    label: !d ? g.name : named ? `${g.name} · ${openOf(g.id)}` : `${openOf(g.id)}`,
    title: `${g.name}: ${t('open')} ${openOf(g.id)} · ${t('overdue')} ${overdueOf(g.id)}`,
    href: `/grid/${encodeURIComponent(g.id)}`,
  }));
  const overdue = lists.data?.overdue.edges.map((edge) => edge.node) ?? [];
  const escalated = lists.data?.escalated.edges.map((edge) => edge.node) ?? [];
  const overdueTotal = lists.data?.overdue.totalCount ?? 0;
  const escalatedTotal = lists.data?.escalated.totalCount ?? 0;

  return (
    <div className="page cockpit">
      <div className="page-head">
        <h1>{t('cockpitTitle')}</h1>
        <span className={online ? 'badge live' : 'badge offline'} data-testid="live-badge">{online ? t('live') : t('reconnecting')}</span>
        {d && <span className="muted small">{time(d.at)}</span>}
      </div>
      <ErrorNote error={live.error ?? grids.error ?? lists.error} />
      <div className="counters" data-testid="counters">
        <div className="counter"><b data-testid="count-open">{d?.open ?? '—'}</b><span>{t('open')}</span></div>
        <div className="counter warn"><b>{d?.overdue ?? '—'}</b><span>{t('overdue')}</span></div>
        <div className="counter"><b>{d?.escalated ?? '—'}</b><span>{t('escalated')}</span></div>
        <div className="counter"><b>{d?.supervised ?? '—'}</b><span>{t('supervised')}</span></div>
        <div className="counter ok"><b data-testid="count-closed-today">{d?.closedToday ?? '—'}</b><span>{t('closedToday')}</span></div>
        <div className="counter"><b>{d?.meanMinutesToDispatch != null ? d.meanMinutesToDispatch.toFixed(0) : '—'}</b><span>{t('meanDispatch')}（{t('minutes')}）</span></div>
        <div className="counter"><b>{d?.meanMinutesToClose != null ? d.meanMinutesToClose.toFixed(0) : '—'}</b><span>{t('meanClose')}（{t('minutes')}）</span></div>
      </div>
      {can.aggregatesOnly && <p className="note">{t('aggregatesOnly')}</p>}
      <div className="grid2 wide-left">
        <section className="panel">
          <h2>{t('map')}</h2>
          <Suspense fallback={<p className="muted">{t('loading')}</p>}>
            {polygons.length > 0 && <MapView polygons={polygons} height={460} />}
          </Suspense>
          {d && (
            <div className="bars">
              <h3>{t('byCategory')}</h3>
              {d.openByCategory.slice(0, 8).map((c) => (
                <div key={c.category} className="bar"><span>{c.category}</span><i style={{ width: `${(100 * c.count) / Math.max(1, d.open)}%` }} /><b>{c.count}</b></div>
              ))}
            </div>
          )}
        </section>
        {!can.aggregatesOnly && (
          <section className="panel feed">
            <h2>{t('liveFeed')}</h2>
            <ol data-testid="feed">
              {feed.length === 0 && <li className="muted">—</li>}
              {feed.map((m) => (
                <li key={m.cursor} className={`feed-item ${m.event.type.toLowerCase()}`} data-type={m.event.type}>
                  <time className="muted small">{time(m.event.at, false)}</time>
                  <span className="tag">{e(m.event.type)}</span>
                  <Link href={`/case/${encodeURIComponent(m.case.id)}`}>{m.case.number}</Link> {m.case.title}
                  <span className="muted small"> {e(m.case.status)}{m.event.department ? ` · ${m.event.department.displayName}` : ''} · {m.event.actor}</span>
                </li>
              ))}
            </ol>
          </section>
        )}
      </div>
      {!can.aggregatesOnly && (
        <div className="grid2">
          <section className="panel">
            <h2>{t('overdueList')} <span className="muted small">{shown(overdue.length, overdueTotal)}</span></h2>
            <ul data-testid="overdue-list">{overdue.map((c) => <li key={c.id}><Link href={`/case/${encodeURIComponent(c.id)}`}>{c.number}</Link> {c.title} <Countdown dueAt={c.sla.owedBy} /></li>)}</ul>
          </section>
          <section className="panel">
            <h2>{t('escalatedList')} <span className="muted small">{shown(escalated.length, escalatedTotal)}</span></h2>
            <ul data-testid="escalated-list">{escalated.map((c) => <li key={c.id}><Link href={`/case/${encodeURIComponent(c.id)}`}>{c.number}</Link> {c.title} <span className="muted">{e(c.level)} · {time(c.escalatedAt)}</span></li>)}</ul>
          </section>
        </div>
      )}
    </div>
  );
}
