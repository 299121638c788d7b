/**
 * The head-office login session: the token from the HQ's `POST /api/auth/login`, kept in
 * sessionStorage under its own key (gone when the tab closes). A 401 anywhere clears it.
 */
import { createSessionStore } from '../shared/session.js';

export type { SessionReason } from '../shared/session.js';

export interface HqUser {
  username: string;
  /** `hq-viewer`, `hq-desk`, `hq-admin`, … (unknown roles are shown as they are). */
  role: string;
  name?: string;
  /** Estates the user may see; absent = all. */
  sites?: string[];
}

export const { getToken, getUser, setSession, endSession, onSession } = createSessionStore<HqUser>('fgw.hq.session');

/** Service-desk roles may create requests and reassign orders (the server checks again). */
export function isDesk(user: HqUser | null = getUser()): boolean {
  return user?.role === 'hq-desk' || user?.role === 'hq-admin';
}
