/**
 * Head-office sign-in: username and password → `POST /api/auth/login`. Test hooks:
 * `login-username`, `login-password`, `login-submit`, `login-error`.
 */
import { mountLoginForm } from '../../shared/login-form.js';
import { api } from '../api.js';
import { setSession } from '../auth.js';
import type { View } from '../common.js';
import { t } from '../i18n.js';

export function mountLogin(root: HTMLElement, notice?: string): View {
  return mountLoginForm(root, { login: api.login, onSignedIn: setSession, t, subtitle: t('login.subtitle'), notice });
}
