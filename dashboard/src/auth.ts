/**
 * The login session: the token from `POST /api/auth/login`, kept in sessionStorage (gone when
 * the tab closes), sent as `Authorization: Bearer` by api.ts and as `auth.token` by live.ts.
 * A 401 anywhere clears it and shows the login page.
 */
export interface SessionUser {
  username: string;
  role: 'viewer' | 'technician' | 'dispatcher' | 'admin';
  name?: string;
}

const KEY = 'fgw.session';
const listeners = new Set<(reason: 'login' | 'logout' | 'expired') => void>();

interface Session {
  token: string;
  user: SessionUser;
  expiresAt: number;
}

function read(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    return typeof s.token === 'string' && s.expiresAt > Date.now() ? s : null;
  } catch {
    return null;
  }
}

export function getToken(): string | null {
  return read()?.token ?? null;
}

export function getUser(): SessionUser | null {
  return read()?.user ?? null;
}

export function setSession(s: Session): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(s));
  } catch {
    // private mode without storage: the session lasts until reload
  }
  for (const fn of listeners) fn('login');
}

/** Forget the token; listeners hear it once, however many requests failed with 401 together. */
export function endSession(reason: 'logout' | 'expired'): void {
  let had = true;
  try {
    had = sessionStorage.getItem(KEY) !== null;
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
  if (had) for (const fn of listeners) fn(reason);
}

export function onSession(fn: (reason: 'login' | 'logout' | 'expired') => void): void {
  listeners.add(fn);
}
