/**
 * A login session kept in sessionStorage under one key (gone when the tab closes): the token from
 * `POST /api/auth/login`, the user and the expiry. Each app makes one store with its own key.
 */
export type SessionReason = 'login' | 'logout' | 'expired';

export interface StoredSession<U> {
  token: string;
  user: U;
  expiresAt: number;
}

export interface SessionStore<U> {
  getToken(): string | null;
  getUser(): U | null;
  setSession(s: StoredSession<U>): void;
  /** Forget the token; listeners hear it once, however many requests failed with 401 together. */
  endSession(reason: 'logout' | 'expired'): void;
  onSession(fn: (reason: SessionReason) => void): void;
}

export function createSessionStore<U>(key: string): SessionStore<U> {
  const listeners = new Set<(reason: SessionReason) => void>();

  function read(): StoredSession<U> | null {
    try {
      const raw = sessionStorage.getItem(key);
      if (!raw) return null;
      const s = JSON.parse(raw) as StoredSession<U>;
      return typeof s.token === 'string' && s.expiresAt > Date.now() ? s : null;
    } catch {
      return null;
    }
  }

  return {
    getToken: () => read()?.token ?? null,
    getUser: () => read()?.user ?? null,
    setSession(s) {
      try {
        sessionStorage.setItem(key, JSON.stringify(s));
      } catch {
        // storage blocked (private mode): the session lasts until reload
      }
      for (const fn of listeners) fn('login');
    },
    endSession(reason) {
      let had = true;
      try {
        had = sessionStorage.getItem(key) !== null;
        sessionStorage.removeItem(key);
      } catch {
        // nothing stored
      }
      if (had) for (const fn of listeners) fn(reason);
    },
    onSession(fn) {
      listeners.add(fn);
    },
  };
}
