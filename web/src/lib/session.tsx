/**
 * Who is signed in (the Bearer token, kept for this browser tab only) and why they are reading
 * personal data right now (the purpose, kept for the task at hand: until changed or sign-out).
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

const TOKEN_KEY = 'liandong.token';
const PURPOSE_KEY = 'liandong.purpose';

/** The claims the console reads from its own token to lay out the page; the hub decides the rest. */
export interface Claims {
  sub: string;
  name?: string;
  role: string;
  grids?: string[];
  streets?: string[];
  department?: string;
  exp?: number;
}

export function decodeClaims(token: string): Claims | null {
  try {
    const part = token.split('.')[1];
    if (!part) return null;
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as Claims;
    return typeof claims.role === 'string' ? claims : null;
  } catch {
    return null;
  }
}

interface Session {
  token: string | null;
  claims: Claims | null;
  purpose: string | null;
  signIn: (token: string) => void;
  signOut: () => void;
  setPurpose: (purpose: string | null) => void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(() => {
    const t = sessionStorage.getItem(TOKEN_KEY);
    const c = t ? decodeClaims(t) : null;
    return c && (!c.exp || c.exp * 1000 > Date.now()) ? t : null;
  });
  const [purpose, setPurposeState] = useState<string | null>(() => sessionStorage.getItem(PURPOSE_KEY));
  const signIn = useCallback((next: string) => {
    sessionStorage.setItem(TOKEN_KEY, next);
    setToken(next);
  }, []);
  const signOut = useCallback(() => {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(PURPOSE_KEY);
    setToken(null);
    setPurposeState(null);
  }, []);
  const setPurpose = useCallback((next: string | null) => {
    if (next) sessionStorage.setItem(PURPOSE_KEY, next);
    else sessionStorage.removeItem(PURPOSE_KEY);
    setPurposeState(next);
  }, []);
  const value = useMemo(() => ({ token, claims: token ? decodeClaims(token) : null, purpose, signIn, signOut, setPurpose }), [token, purpose, signIn, signOut, setPurpose]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}

/** What a role's console offers; the hub still refuses anything the role may not do. */
export function capabilities(role: string | undefined) {
  const r = role ?? '';
  const personal = !['dashboard', 'integrator'].includes(r);
  return {
    search: personal,
    cockpit: r !== 'integrator',
    cases: personal,
    queue: ['police', 'court', 'fire', 'social-worker', 'department-staff'].includes(r),
    departments: ['district-admin', 'integrator'].includes(r),
    report: ['district-admin', 'street-operator', 'grid-worker', 'police'].includes(r),
    command: ['district-admin', 'street-operator'].includes(r),
    /** Grid workers escalate what their grid cannot resolve to the street (上报), without the rest of the commands. */
    escalate: ['district-admin', 'street-operator', 'grid-worker'].includes(r),
    audit: r === 'district-admin',
    resolution: ['district-admin', 'data-steward'].includes(r),
    aggregatesOnly: r === 'dashboard',
  };
}
