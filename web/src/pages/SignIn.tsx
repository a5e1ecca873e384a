import { useEffect, useState, type FormEvent } from 'react';
import { useI18n } from '../lib/i18n';
import { useSession } from '../lib/session';
import { consoleConfig, type ConsoleConfig, type SignInChoices } from '../lib/consoleConfig';

const ROLES = ['district-admin', 'street-operator', 'grid-worker', 'police', 'court', 'fire', 'social-worker', 'department-staff', 'data-steward', 'integrator', 'dashboard'] as const;
/** Departments without a role of their own work as department staff; these are the ones cases go to. */
const STAFF_DEPARTMENTS = ['environment', 'urban_management', 'land', 'human_resources', 'justice', 'emergency', 'education', 'health', 'transport', 'community'];

export function SignIn() {
  const { t, e, lang, setLang } = useI18n();
  const session = useSession();
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [choices, setChoices] = useState<SignInChoices | null>(null);
  const [role, setRole] = useState<(typeof ROLES)[number]>('district-admin');
  const [gridId, setGridId] = useState('');
  const [streetId, setStreetId] = useState('');
  const [department, setDepartment] = useState('environment');
  const [name, setName] = useState('');
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    consoleConfig().then(setConfig, (err: Error) => setError(err.message));
  }, []);
  useEffect(() => {
    if (!config?.devSignIn) return;
    fetch('/console/dev-choices')
      .then((r) => r.json() as Promise<SignInChoices>)
      .then((c) => {
        setChoices(c);
        setGridId(c.grids[0]?.id ?? '');
        setStreetId(c.streets[0]?.id ?? '');
      }, (err: Error) => setError(err.message));
  }, [config]);

  const devSignIn = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await fetch('/console/dev-token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          role,
          ...(name ? { name } : {}),
          ...(role === 'grid-worker' && gridId ? { gridId } : {}),
          ...(role === 'street-operator' && streetId ? { streetId } : {}),
          ...(role === 'department-staff' ? { department } : {}),
        }),
      });
      const body = (await res.json()) as { token?: string; errors?: Array<{ message: string }> };
      if (!res.ok || !body.token) throw new Error(body.errors?.[0]?.message ?? `HTTP ${res.status}`);
      session.signIn(body.token);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const oidcSignIn = async () => {
    if (!config?.oidc) return;
    setBusy(true);
    try {
      const { startSignIn } = await import('../lib/oidc');
      await startSignIn(config.oidc);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <div className="signin">
      <div className="card">
        <div className="row spread">
          <h1>{t('signInTitle')}</h1>
          <button type="button" className="link" onClick={() => setLang(lang === 'en' ? 'zh-CN' : 'en')}>{t('language')}</button>
        </div>
        {config?.devSignIn && (
          <form onSubmit={(ev) => void devSignIn(ev)} className="stack" aria-label={t('devSignIn')}>
            <h2>{t('devSignIn')}</h2>
            <p className="muted">{t('devOnly')}</p>
            <label>{t('role')}
              <select name="role" value={role} onChange={(ev) => setRole(ev.target.value as typeof role)}>
                {ROLES.map((r) => <option key={r} value={r}>{e(r.toUpperCase().replace(/-/g, '_'))}</option>)}
              </select>
            </label>
            {role === 'grid-worker' && (
              <label>{t('grid')}
                <select name="grid" value={gridId} onChange={(ev) => setGridId(ev.target.value)}>
                  {choices?.grids.map((g) => <option key={g.id} value={g.id}>{g.street} · {g.name}</option>)}
                </select>
              </label>
            )}
            {role === 'street-operator' && (
              <label>{t('street')}
                <select name="street" value={streetId} onChange={(ev) => setStreetId(ev.target.value)}>
                  {choices?.streets.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
                </select>
              </label>
            )}
            {role === 'department-staff' && (
              <label>{t('department')}
                <select name="department" value={department} onChange={(ev) => setDepartment(ev.target.value)}>
                  {STAFF_DEPARTMENTS.map((d) => <option key={d} value={d}>{d}</option>)}
                </select>
              </label>
            )}
            <label>{t('name')}
              <input name="name" value={name} onChange={(ev) => setName(ev.target.value)} placeholder="张三" />
            </label>
            <button type="submit" disabled={busy}>{busy ? t('signingIn') : t('enter')}</button>
          </form>
        )}
        {config?.oidc && (
          <div className="stack">
            <button type="button" onClick={() => void oidcSignIn()} disabled={busy}>{t('oidcSignIn')}</button>
          </div>
        )}
        {config && (
          <form className="stack" onSubmit={(ev) => { ev.preventDefault(); if (pasted.trim()) session.signIn(pasted.trim().replace(/^Bearer\s+/i, '')); }}>
            <h2>{t('pasteToken')}</h2>
            <textarea name="token" rows={3} value={pasted} onChange={(ev) => setPasted(ev.target.value)} placeholder={t('pasteTokenHint')} />
            <button type="submit" className="secondary">{t('useToken')}</button>
          </form>
        )}
        {error && <div className="error" role="alert"><strong>{t('signInFailed')}</strong>：{error}</div>}
      </div>
    </div>
  );
}
