/**
 * The login session: the token from `POST /api/auth/login`, kept in sessionStorage (gone when
 * the tab closes), sent as `Authorization: Bearer` by api.ts and as `auth.token` by live.ts.
 * A 401 anywhere clears it and shows the login page.
 */
import { createSessionStore } from './shared/session.js';

export interface SessionUser {
  username: string;
  role: 'viewer' | 'technician' | 'dispatcher' | 'admin';
  name?: string;
}

export const { getToken, getUser, setSession, endSession, onSession } = createSessionStore<SessionUser>('fgw.session');
