import { StrictMode, Suspense, lazy, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'urql';
import { Link, Route, Switch, useLocation } from 'wouter';
import { I18nProvider, useI18n } from './lib/i18n';
import { SessionProvider, capabilities, useSession } from './lib/session';
import { createConsoleClient } from './lib/client';
import { ConnectionContext } from './lib/connection';
import { SignIn } from './pages/SignIn';
import { SearchPage } from './pages/Search';
import { PurposeChip } from './components/Purpose';
import { PageErrorBoundary } from './components/PageError';
import './styles.css';

// Everything but sign-in and search loads on first visit to its page.
const PersonPage = lazy(() => import('./pages/Person'));
const BuildingPage = lazy(() => import('./pages/Building'));
const GridPage = lazy(() => import('./pages/Grid'));
const CockpitPage = lazy(() => import('./pages/Cockpit'));
const CasesPage = lazy(() => import('./pages/Cases'));
const CasePage = lazy(() => import('./pages/Case'));
const DepartmentsPage = lazy(() => import('./pages/Departments'));
const OidcCallback = lazy(() => import('./pages/OidcCallback'));

function Shell() {
  const { t, e, lang, setLang } = useI18n();
  const session = useSession();
  const [location] = useLocation();
  const [online, setOnline] = useState(true);
  const purposeRef = useRef(session.purpose);
  purposeRef.current = session.purpose;
  const client = useMemo(() => createConsoleClient(session.token, () => purposeRef.current, setOnline), [session.token]);
  useEffect(() => () => void client.ws.dispose(), [client]);

  if (location.startsWith('/auth/callback')) {
    return <Suspense fallback={<p className="muted">{t('signingIn')}</p>}><OidcCallback /></Suspense>;
  }
  if (!session.token || !session.claims) return <SignIn />;
  const can = capabilities(session.claims.role);
  const roleEnum = session.claims.role.toUpperCase().replace(/-/g, '_');
  return (
    <Provider value={client.urql}>
      <ConnectionContext.Provider value={{ ws: client.ws, online }}>
        <header className="top">
          <Link href="/" className="brand">{t('appName')}</Link>
          <nav>
            {can.search && <Link href="/" className={(active) => (active ? 'active' : '')}>{t('navSearch')}</Link>}
            {can.cockpit && <Link href="/cockpit" className={(active) => (active ? 'active' : '')}>{t('navCockpit')}</Link>}
            {can.cases && <Link href="/cases" className={(active) => (active ? 'active' : '')}>{can.queue ? t('navQueue') : t('navCases')}</Link>}
            {can.departments && <Link href="/departments" className={(active) => (active ? 'active' : '')}>{t('navDepartments')}</Link>}
            <a href="/graphiql">{t('navGraphiql')}</a>
          </nav>
          <div className="who">
            <PurposeChip />
            <span className="role" data-testid="role">{e(roleEnum)}{session.claims.name ? ` · ${session.claims.name}` : ''}</span>
            <button type="button" className="link" onClick={() => setLang(lang === 'en' ? 'zh-CN' : 'en')}>{t('language')}</button>
            <button type="button" className="link" onClick={session.signOut}>{t('signOut')}</button>
          </div>
        </header>
        <main>
          <PageErrorBoundary key={location} heading={t('errPage')} reload={t('reload')}>
            <Suspense fallback={<p className="muted">{t('loading')}</p>}>
              <Switch>
                <Route path="/person/:id">{(p) => <PersonPage id={decodeURIComponent(p.id)} />}</Route>
                <Route path="/building/:id">{(p) => <BuildingPage id={decodeURIComponent(p.id)} />}</Route>
                <Route path="/grid/:id">{(p) => <GridPage id={decodeURIComponent(p.id)} />}</Route>
                <Route path="/cockpit"><CockpitPage /></Route>
                <Route path="/cases"><CasesPage /></Route>
                <Route path="/case/:id">{(p) => <CasePage id={decodeURIComponent(p.id)} />}</Route>
                <Route path="/departments"><DepartmentsPage /></Route>
                {/* Each role lands where its work is: people search, else the cockpit, else (integrators) the connectors. */}
                <Route>{can.search ? <SearchPage /> : can.cockpit ? <CockpitPage /> : <DepartmentsPage />}</Route>
              </Switch>
            </Suspense>
          </PageErrorBoundary>
        </main>
      </ConnectionContext.Provider>
    </Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <SessionProvider>
        <Shell />
      </SessionProvider>
    </I18nProvider>
  </StrictMode>,
);
