import { useQuery } from 'urql';
import { Link } from 'wouter';
import { graphql } from '../gql';
import { useI18n } from '../lib/i18n';
import { capabilities, useSession } from '../lib/session';
import { ErrorNote } from '../lib/errors';
import { NeedsPurpose } from '../components/Purpose';
import { RecordTimeline } from '../components/Records';

const PersonQuery = graphql(`
  query ConsolePerson($id: ID!) {
    person(id: $id) {
      id name idNumber phone sex birthDate residenceType tags relationToHead
      household { id number members { id name relationToHead } }
      dwelling { id unit room occupancy }
      building { id name }
      address { text normalized }
      grid { id name members { id name role phone } }
      records { ...RecordFields }
      disagreements { field values { value departments } }
      cases(first: 10) { id number title status reportedAt }
    }
  }
`);

const AuditQuery = graphql(`
  query ConsolePersonAudit($id: ID!) {
    auditTrail(filter: { personId: $id }, first: 20) {
      totalCount
      edges { node { at subject role purpose fields operation } }
    }
  }
`);

const DuplicatesQuery = graphql(`
  query ConsolePersonDuplicates($input: ResolvePersonInput!) {
    resolvePerson(input: $input, first: 5) { score person { id name idNumber grid { name } } evidence { field agreement } }
  }
`);

function Audit({ id }: { id: string }) {
  const { t, e, time, fact, list } = useI18n();
  const [{ data, error }] = useQuery({ query: AuditQuery, variables: { id }, requestPolicy: 'network-only' });
  return (
    <section className="panel" data-testid="audit">
      <h2>{t('audit')}</h2>
      <ErrorNote error={error} />
      <table>
        <thead><tr><th>{t('auditWhen')}</th><th>{t('auditWho')}</th><th>{t('auditWhy')}</th><th>{t('auditFields')}</th></tr></thead>
        <tbody>
          {data?.auditTrail.edges.map(({ node }, i) => (
            <tr key={i}><td>{time(node.at)}</td><td>{node.subject} ({e(node.role)})</td><td className="audit-purpose">{node.purpose}</td><td className="small">{list(node.fields.map(fact))}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Duplicates({ id, name, birthDate }: { id: string; name: string; birthDate: string | null }) {
  const { t } = useI18n();
  const [{ data }] = useQuery({ query: DuplicatesQuery, variables: { input: { name, ...(birthDate ? { birthDate } : {}) } } });
  const others = (data?.resolvePerson ?? []).filter((c) => c.person.id !== id);
  return (
    <section className="panel">
      <h2>{t('duplicates')}</h2>
      {others.length === 0 ? <p className="muted">{t('none')}</p> : (
        <ul>
          {others.map((c) => (
            <li key={c.person.id}>
              <Link href={`/person/${encodeURIComponent(c.person.id)}`}>{c.person.name}</Link> {c.person.idNumber} · {t('score')} {c.score.toFixed(3)}
              <span className="muted small"> {c.evidence.map((ev) => `${ev.field}:${ev.agreement}`).join(' ')}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Person360({ id }: { id: string }) {
  const { t, e, time, fact, factValue, list } = useI18n();
  const { claims } = useSession();
  const can = capabilities(claims?.role);
  const [{ data, fetching, error }] = useQuery({ query: PersonQuery, variables: { id } });
  if (error) return <ErrorNote error={error} />;
  if (fetching && !data) return <p className="muted">{t('loading')}</p>;
  const p = data?.person;
  if (!p) {
    return (
      <div className="error" role="alert" data-code="NOT_FOUND">
        <strong>{claims?.role === 'grid-worker' ? t('outOfScope') : t('notFound')}</strong>
      </div>
    );
  }
  const disputed = new Set(p.disagreements.map((d) => d.field));
  // A disagreement names departments by machine name; the records beside it carry the names people read.
  const departmentName = new Map(p.records.map((r) => [r.department.name, r.department.displayName]));
  return (
    <div className="page">
      <div className="page-head">
        <h1>{p.name}</h1>
        <div className="chips">{p.tags.map((tag) => <span key={tag} className="tag warn">{e(tag)}</span>)}</div>
      </div>
      <div className="grid2">
        <section className="panel">
          <dl className="kv">
            <dt>{t('idNumber')}</dt><dd data-testid="id-number">{p.idNumber ?? '—'}</dd>
            <dt>{t('phone')}</dt><dd>{p.phone ?? '—'}</dd>
            <dt>{t('sex')}</dt><dd>{e(p.sex)}</dd>
            <dt>{t('birthDate')}</dt><dd>{p.birthDate ?? '—'}</dd>
            <dt>{t('residenceType')}</dt><dd>{e(p.residenceType)}</dd>
            <dt>{t('address')}</dt><dd>{p.address?.text ?? '—'}</dd>
            <dt>{t('building')}</dt><dd>{p.building ? <Link href={`/building/${encodeURIComponent(p.building.id)}`}>{p.building.name}</Link> : '—'}</dd>
            <dt>{t('dwelling')}</dt><dd>{p.dwelling ? `${p.dwelling.unit ?? ''}-${p.dwelling.room ?? ''} · ${e(p.dwelling.occupancy)}` : '—'}</dd>
            <dt>{t('grid')}</dt><dd>{p.grid ? <Link href={`/grid/${encodeURIComponent(p.grid.id)}`}>{p.grid.name}</Link> : '—'}</dd>
          </dl>
        </section>
        <section className="panel">
          <h2>{t('household')} {p.household ? `· ${t('householdNo')} ${p.household.number}` : ''}</h2>
          <ul>
            {p.household?.members.map((m) => (
              <li key={m.id}>{m.id === p.id ? <strong>{m.name}</strong> : <Link href={`/person/${encodeURIComponent(m.id)}`}>{m.name}</Link>} <span className="muted">{e(m.relationToHead)}</span></li>
            )) ?? <li className="muted">{t('none')}</li>}
          </ul>
          <h2>{t('gridStaff')}</h2>
          <ul>{p.grid?.members.map((m) => <li key={m.id}>{m.name} <span className="muted">{e(m.role)} {m.phone ?? ''}</span></li>)}</ul>
        </section>
      </div>
      {p.disagreements.length > 0 && (
        <section className="panel disputed-panel" data-testid="disagreements">
          <h2>{t('disagreements')}</h2>
          <table>
            <tbody>
              {p.disagreements.map((d) => (
                <tr key={d.field}><th title={d.field}>{fact(d.field)}</th><td>{d.values.map((v, i) => <div key={i}>{factValue(d.field, v.value)} <span className="muted small">({t('statedBy')}: {list(v.departments.map((d) => departmentName.get(d) ?? d))})</span></div>)}</td></tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <section className="panel">
        <h2>{t('records')} <span className="muted small">({new Set(p.records.map((r) => r.department.name)).size} {t('department')})</span></h2>
        <RecordTimeline records={p.records} disputed={disputed} showLinks={can.resolution} />
      </section>
      <section className="panel">
        <h2>{t('cases')}</h2>
        {p.cases.length === 0 ? <p className="muted">{t('none')}</p> : (
          <ul>{p.cases.map((c) => <li key={c.id}><Link href={`/case/${encodeURIComponent(c.id)}`}>{c.number} {c.title}</Link> <span className="muted">{e(c.status)} · {time(c.reportedAt)}</span></li>)}</ul>
        )}
      </section>
      {can.resolution && <Duplicates id={p.id} name={p.name} birthDate={p.birthDate ?? null} />}
      {can.audit && <Audit id={p.id} />}
    </div>
  );
}

export default function PersonPage({ id }: { id: string }) {
  return <NeedsPurpose><Person360 id={id} /></NeedsPurpose>;
}
