/**
 * Head-office sign-in: username and password → `POST /api/auth/login`. Test hooks:
 * `login-username`, `login-password`, `login-submit`, `login-error`.
 */
import { h, setText } from '../../dom.js';
import { ApiError, api } from '../api.js';
import { setSession } from '../auth.js';
import type { View } from '../common.js';
import { t } from '../i18n.js';

export function mountLogin(root: HTMLElement, notice?: string): View {
  const username = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, 'data-testid': 'login-username', id: 'login-username' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password', id: 'login-password' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'login-submit' }, t('login.submit'));
  const error = h('p', { class: 'msg error', role: 'alert', 'data-testid': 'login-error', hidden: !notice }, notice ?? '');
  const form = h(
    'form',
    { class: 'login-form', 'data-testid': 'login-form' },
    h('h1', null, t('login.title')),
    h('p', { class: 'muted login-sub' }, t('login.subtitle')),
    h('label', { for: 'login-username' }, t('login.username')),
    username,
    h('label', { for: 'login-password' }, t('login.password')),
    password,
    error,
    submit,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    api.login(username.value.trim(), password.value).then(
      (res) => {
        password.value = '';
        setSession(res);
      },
      (err: unknown) => {
        submit.disabled = false;
        const status = err instanceof ApiError ? err.status : 0;
        setText(error, status === 429 ? t('login.rateLimited') : status === 401 || status === 400 ? t('login.failed') : err instanceof Error ? err.message : String(err));
        error.hidden = false;
        password.select();
      },
    );
  });
  root.append(h('section', { class: 'login' }, form));
  username.focus();
  return { unmount: () => form.remove() };
}
