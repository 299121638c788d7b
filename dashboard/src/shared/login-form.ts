/**
 * The sign-in form of both apps: username and password → the app's login call; on success the
 * app stores the session. Test hooks: `login-username`, `login-password`, `login-submit`,
 * `login-error`, `login-form`.
 */
import { h, setText } from '../dom.js';
import { ApiError } from './http.js';

export type LoginKey = 'login.title' | 'login.username' | 'login.password' | 'login.submit' | 'login.failed' | 'login.rateLimited';

export interface LoginFormOptions<S> {
  login(username: string, password: string): Promise<S>;
  /** Keep the session (the app then shows its pages). */
  onSignedIn(session: S): void;
  t(key: LoginKey): string;
  /** A line under the title. */
  subtitle?: string;
  /** Shown at once in the error line (e.g. "session expired"). */
  notice?: string;
}

export function mountLoginForm<S>(root: HTMLElement, opts: LoginFormOptions<S>): { unmount(): void } {
  const { t, notice } = opts;
  const username = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, 'data-testid': 'login-username', id: 'login-username' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password', id: 'login-password' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'login-submit' }, t('login.submit'));
  const error = h('p', { class: 'msg error', role: 'alert', 'data-testid': 'login-error', hidden: !notice }, notice ?? '');
  const form = h(
    'form',
    { class: 'login-form', 'data-testid': 'login-form' },
    h('h1', null, t('login.title')),
    opts.subtitle === undefined ? null : h('p', { class: 'muted login-sub' }, opts.subtitle),
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
    opts.login(username.value.trim(), password.value).then(
      (res) => {
        password.value = '';
        opts.onSignedIn(res);
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
