/**
 * The login page: username and password → `POST /api/auth/login`; the token goes to
 * sessionStorage (auth.ts). Test hooks: `login-username`, `login-password`, `login-submit`,
 * `login-error`.
 */
import { api } from '../api.js';
import { setSession } from '../auth.js';
import { t } from '../i18n.js';
import { mountLoginForm } from '../shared/login-form.js';
import type { View } from './common.js';

export function mountLogin(root: HTMLElement, notice?: string): View {
  return mountLoginForm(root, { login: api.login, onSignedIn: setSession, t, notice });
}
