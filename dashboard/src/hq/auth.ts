/**
 * The head-office login session: the token from the HQ's `POST /api/auth/login`, kept in
 * sessionStorage under its own key (gone when the tab closes). A 401 anywhere clears it.
 */
export interface HqUser {
  username: string;
  /** `hq-viewer`, `hq-desk`, `hq-admin`, … (unknown roles are shown as they are). */
  role: string;
  name?: string;
  /** Estates the user may see; absent = all. */
  sites?: string[];
}

export type SessionReason = 'login' | 'logout' | 'expired';

interface Session {
  token: string;
  user: HqUser;
  expiresAt: number;
}

const KEY = 'fgw.hq.session';
const listeners = new Set<(reason: SessionReason) => void>();

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

export function getUser(): HqUser | null {
  return read()?.user ?? null;
}

/** Service-desk roles may create requests and reassign orders (the server checks again). */
export function isDesk(user: HqUser | null = getUser()): boolean {
  return user?.role === 'hq-desk' || user?.role === 'hq-admin';
}

export function setSession(s: Session): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(s));
  } catch {
    // storage blocked: the session lasts until reload
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

export function onSession(fn: (reason: SessionReason) => void): void {
  listeners.add(fn);
}
