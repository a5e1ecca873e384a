import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useQuery } from 'urql';
import { useLocation } from 'wouter';
import { graphql } from '../gql';
import type { SearchType } from '../gql/graphql';
import { useI18n } from '../lib/i18n';
import { ErrorNote } from '../lib/errors';
import { Highlight } from '../components/Highlight';
import { NeedsPurpose } from '../components/Purpose';

const SearchQuery = graphql(`
  query ConsoleSearch($q: String!, $types: [SearchType!], $filter: SearchFilter, $first: Int) {
    search(query: $q, types: $types, filter: $filter, first: $first) {
      totalCount
      edges {
        cursor
        reasons
        highlights { field fragment }
        node {
          __typename
          ... on Person { id name idNumber phone grid { name } }
          ... on Building { id name address { normalized } grid { name } }
          ... on Enterprise { id name creditCode building { id } }
          ... on Case { id number title status }
        }
      }
      facets {
        street { area { id name } count }
        type { type count }
      }
    }
  }
`);

const TYPE_ORDER: SearchType[] = ['PERSON', 'BUILDING', 'ENTERPRISE', 'CASE'];

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

function Results() {
  const { t, e } = useI18n();
  const [, navigate] = useLocation();
  const [text, setText] = useState(() => new URLSearchParams(location.search).get('q') ?? '');
  const [streetId, setStreetId] = useState<string | null>(null);
  const [type, setType] = useState<SearchType | null>(null);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const q = useDebounced(text.trim(), 150);
  const [{ data, fetching, error }] = useQuery({
    query: SearchQuery,
    variables: { q, first: 30, ...(type ? { types: [type] } : {}), ...(streetId ? { filter: { area: { streetId } } } : {}) },
    pause: q.length === 0,
    requestPolicy: 'cache-first',
  });
  const search = q.length ? data?.search : undefined;
  const groups = useMemo(() => {
    const edges = search?.edges ?? [];
    return TYPE_ORDER.map((ty) => ({ type: ty, edges: edges.filter((edge) => edge.node.__typename.toUpperCase() === ty) })).filter((g) => g.edges.length);
  }, [search]);
  const flat = useMemo(() => groups.flatMap((g) => g.edges), [groups]);
  useEffect(() => setActive(0), [search]);
  useEffect(() => {
    const onKey = (ev: globalThis.KeyboardEvent) => {
      if (ev.key === '/' && document.activeElement !== input.current) {
        ev.preventDefault();
        input.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const hrefOf = (node: (typeof flat)[number]['node']): string | null => {
    switch (node.__typename) {
      case 'Person': return `/person/${encodeURIComponent(node.id)}`;
      case 'Building': return `/building/${encodeURIComponent(node.id)}`;
      case 'Enterprise': return node.building ? `/building/${encodeURIComponent(node.building.id)}` : null;
      case 'Case': return `/case/${encodeURIComponent(node.id)}`;
    }
  };
  const onKeyDown = (ev: KeyboardEvent<HTMLInputElement>) => {
    if (ev.key === 'ArrowDown') { ev.preventDefault(); setActive((a) => Math.min(a + 1, flat.length - 1)); }
    else if (ev.key === 'ArrowUp') { ev.preventDefault(); setActive((a) => Math.max(a - 1, 0)); }
    else if (ev.key === 'Enter') {
      const hit = flat[active];
      const href = hit ? hrefOf(hit.node) : null;
      if (href) navigate(href);
    } else if (ev.key === 'Escape') { setText(''); setStreetId(null); setType(null); }
  };
  useEffect(() => {
    document.querySelector(`[data-index="${active}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [active]);

  let index = -1;
  return (
    <div className="search-page">
      <div className="searchbox">
        <input
          ref={input}
          type="search"
          role="combobox"
          aria-expanded={flat.length > 0}
          aria-controls="search-results"
          aria-activedescendant={flat.length ? `hit-${active}` : undefined}
          autoFocus
          name="q"
          value={text}
          placeholder={t('searchPlaceholder')}
          onChange={(ev) => setText(ev.target.value)}
          onKeyDown={onKeyDown}
        />
        <span className="muted small">{t('searchHint')}</span>
      </div>
      <ErrorNote error={error} />
      {search && (
        <div className="search-layout">
          <aside className="facets">
            <h3>{t('facetType')}</h3>
            <button type="button" className={type === null ? 'facet on' : 'facet'} onClick={() => setType(null)}>{t('all')}</button>
            {search.facets.type.map((f) => (
              <button key={f.type} type="button" className={type === f.type ? 'facet on' : 'facet'} onClick={() => setType(type === f.type ? null : f.type)}>
                {e(f.type)} <span className="count">{f.count}</span>
              </button>
            ))}
            <h3>{t('facetStreet')}</h3>
            <button type="button" className={streetId === null ? 'facet on' : 'facet'} onClick={() => setStreetId(null)}>{t('all')}</button>
            {search.facets.street.map((f) => (
              <button key={f.area.id} type="button" className={streetId === f.area.id ? 'facet on' : 'facet'} onClick={() => setStreetId(streetId === f.area.id ? null : f.area.id)}>
                {f.area.name} <span className="count">{f.count}</span>
              </button>
            ))}
          </aside>
          <section id="search-results" role="listbox" aria-label={t('navSearch')}>
            <p className="muted">{search.totalCount} {t('results')}{fetching ? ' …' : ''}</p>
            {groups.length === 0 && <p className="empty">{t('noResults')}</p>}
            {groups.map((g) => (
              <div key={g.type} className="group" data-group={g.type}>
                <h3>{e(g.type)}</h3>
                {g.edges.map((edge) => {
                  index += 1;
                  const i = index;
                  const node = edge.node;
                  const href = hrefOf(node);
                  const name = edge.highlights.find((h) => h.field === 'NAME');
                  const others = edge.highlights.filter((h) => h.field !== 'NAME');
                  return (
                    <div
                      key={edge.cursor}
                      id={`hit-${i}`}
                      data-id={node.id}
                      data-index={i}
                      role="option"
                      aria-selected={i === active}
                      className={i === active ? 'hit active' : 'hit'}
                      onMouseEnter={() => setActive(i)}
                      onClick={() => href && navigate(href)}
                    >
                      <div className="hit-title">
                        {name ? <Highlight fragment={name.fragment} /> : node.__typename === 'Case' ? `${node.number} ${node.title}` : node.name}
                        <span className="muted small">
                          {node.__typename === 'Person' && ` ${node.idNumber ?? ''} ${node.grid?.name ?? ''}`}
                          {node.__typename === 'Building' && ` ${node.grid?.name ?? ''}`}
                          {node.__typename === 'Enterprise' && ` ${node.creditCode ?? ''}`}
                          {node.__typename === 'Case' && ` ${e(node.status)}`}
                        </span>
                      </div>
                      {others.map((h, k) => <div key={k} className="small"><Highlight fragment={h.fragment} /></div>)}
                      <div className="reasons" aria-label={t('reasons')}>
                        {edge.reasons.map((r) => <span key={r} className="tag">{e(r)}</span>)}
                      </div>
                    </div>
                  );
                })}
              </div>
            ))}
          </section>
        </div>
      )}
    </div>
  );
}

export function SearchPage() {
  return <NeedsPurpose><Results /></NeedsPurpose>;
}
