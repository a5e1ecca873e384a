import { useQuery } from 'urql';
import { Link } from 'wouter';
import { graphql } from '../gql';
import type { ConsoleBuildingQuery } from '../gql/graphql';
import { useI18n } from '../lib/i18n';
import { ErrorNote } from '../lib/errors';
import { NeedsPurpose } from '../components/Purpose';
import { RecordTimeline } from '../components/Records';

const BuildingQuery = graphql(`
  query ConsoleBuilding($id: ID!) {
    building(id: $id) {
      id name floors builtYear use
      address { text }
      grid { id name }
      dwellings { id unit room occupancy floorArea residents { id name } }
      enterprises { id name creditCode legalRepresentative industry status }
      records { ...RecordFields }
      disagreements { field }
    }
    cases(filter: { buildingId: $id }, first: 20) {
      totalCount
      edges { node { id number title status reportedAt } }
    }
  }
`);

type Dwelling = NonNullable<ConsoleBuildingQuery['building']>['dwellings'][number];

/** Floor from the room number as Chinese buildings number them (501 is on the 5th floor). */
function floorOf(room: string | null | undefined): number {
  const n = Number.parseInt((room ?? '').replace(/\D/g, ''), 10);
  return Number.isFinite(n) && n >= 100 ? Math.floor(n / 100) : 1;
}

/** 楼盘表: units across, floors down (top floor first), each room with occupancy and residents. */
function DwellingTable({ dwellings }: { dwellings: Dwelling[] }) {
  const { t, e } = useI18n();
  const units = [...new Set(dwellings.map((d) => d.unit ?? '—'))].sort((a, b) => a.localeCompare(b, 'zh-CN', { numeric: true }));
  const floors = [...new Set(dwellings.map((d) => floorOf(d.room)))].sort((a, b) => b - a);
  return (
    <table className="dwelling-table" data-testid="dwelling-table">
      <thead><tr><th>{t('floor')}</th>{units.map((u) => <th key={u}>{u} {t('unit')}</th>)}</tr></thead>
      <tbody>
        {floors.map((f) => (
          <tr key={f}>
            <th>{f}</th>
            {units.map((u) => (
              <td key={u}>
                {dwellings.filter((d) => (d.unit ?? '—') === u && floorOf(d.room) === f).map((d) => (
                  <div key={d.id} className={`room ${d.occupancy.toLowerCase()}`}>
                    <div className="room-no">{d.room ?? '—'} <span className="small">{e(d.occupancy)}</span></div>
                    {d.residents.map((r) => <Link key={r.id} href={`/person/${encodeURIComponent(r.id)}`} className="resident">{r.name}</Link>)}
                  </div>
                ))}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Building({ id }: { id: string }) {
  const { t, e, time } = useI18n();
  const [{ data, fetching, error }] = useQuery({ query: BuildingQuery, variables: { id } });
  if (error) return <ErrorNote error={error} />;
  if (fetching && !data) return <p className="muted">{t('loading')}</p>;
  const b = data?.building;
  if (!b) return <div className="error" role="alert"><strong>{t('notFound')}</strong></div>;
  const fire = b.records.filter((r) => r.department.name === 'fire');
  const disputed = new Set(b.disagreements.map((d) => d.field));
  return (
    <div className="page">
      <div className="page-head">
        <h1>{b.name}</h1>
        <span className="muted">{b.address.text}</span>
      </div>
      <section className="panel">
        <dl className="kv inline">
          <dt>{t('use')}</dt><dd>{e(b.use)}</dd>
          <dt>{t('floors')}</dt><dd>{b.floors ?? '—'}</dd>
          <dt>{t('builtYear')}</dt><dd>{b.builtYear ?? '—'}</dd>
          <dt>{t('grid')}</dt><dd>{b.grid ? <Link href={`/grid/${encodeURIComponent(b.grid.id)}`}>{b.grid.name}</Link> : '—'}</dd>
        </dl>
      </section>
      <section className="panel">
        <h2>{t('dwellingTable')}</h2>
        {b.dwellings.length ? <DwellingTable dwellings={b.dwellings} /> : <p className="muted">{t('none')}</p>}
      </section>
      <div className="grid2">
        <section className="panel">
          <h2>{t('enterprises')}</h2>
          {b.enterprises.length === 0 ? <p className="muted">{t('none')}</p> : (
            <table>
              <thead><tr><th>{t('name')}</th><th>{t('legalRep')}</th><th>{t('industry')}</th><th>{t('status')}</th></tr></thead>
              <tbody>{b.enterprises.map((en) => <tr key={en.id}><td>{en.name}<div className="muted small">{en.creditCode}</div></td><td>{en.legalRepresentative ?? '—'}</td><td>{en.industry ?? '—'}</td><td>{e(en.status)}</td></tr>)}</tbody>
            </table>
          )}
        </section>
        <section className="panel">
          <h2>{t('cases')} <span className="muted small">{data?.cases.totalCount ?? 0}</span></h2>
          {data?.cases.edges.length ? (
            <ul>{data.cases.edges.map(({ node: c }) => <li key={c.id}><Link href={`/case/${encodeURIComponent(c.id)}`}>{c.number} {c.title}</Link> <span className="muted">{e(c.status)} · {time(c.reportedAt)}</span></li>)}</ul>
          ) : <p className="muted">{t('none')}</p>}
        </section>
      </div>
      <section className="panel">
        <h2>{t('fireRecords')}</h2>
        <RecordTimeline records={fire} disputed={disputed} showLinks={false} />
      </section>
    </div>
  );
}

export default function BuildingPage({ id }: { id: string }) {
  return <NeedsPurpose><Building id={id} /></NeedsPurpose>;
}
