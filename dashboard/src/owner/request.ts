/**
 * The owners' public page (dashboard/request.html, served by the gateway at `/r/…`; no login):
 *  - `/r/<label token>`: the request form (category, description, photo, phone; seed 2.1);
 *  - `/r/follow/<token>`: status, times and messages of that one request;
 *  - `/r/feedback/<token>`: the one-time rating after completion (seed 2.3).
 * Phones first (390 px wide); Chinese by default with an English switch. No innerHTML.
 */
import './owner.css';
import { h } from '../dom.js';
import { getLang, localeTag, onLangChange, toggleLang } from '../shared/lang.js';
import { ot, otName } from './i18n.js';

interface CodeInfo { location: { zh: string; en: string }; category: string; categories: string[] }
interface FollowInfo {
  status: string; category: string; location: { zh: string; en: string } | null;
  createdAt: number; respondedAt: number | null; onSiteAt: number | null; resolvedAt: number | null; closedAt: number | null;
  notes: { ts: number; text: string }[]; feedback: { rating: number; comment: string | null } | null; expiresAt: number;
}
interface FeedbackInfo { status: string; category: string; location: { zh: string; en: string } | null; resolvedAt: number | null }

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly retryAfter: number) {
    super(message);
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json ?? {}) as { code?: string; message?: string };
    throw new HttpError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText, Number(res.headers.get('retry-after') ?? 0));
  }
  return json as T;
}

const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
const place = (l: { zh: string; en: string } | null) => (l ? (getLang() === 'en' ? l.en : l.zh) : '');
const when = (t: number | null) => (t === null ? '—' : new Date(t).toLocaleString(localeTag(), { dateStyle: 'short', timeStyle: 'short' }));

function linkError(err: unknown): string {
  if (err instanceof HttpError) {
    if (err.status === 404) return ot('link.notFound');
    if (err.status === 410) return ot('link.expired');
    if (err.code === 'GW_ERR_LINK_USED') return ot('link.used');
    if (err.status === 429) return ot('req.tooMany', { min: Math.max(1, Math.ceil(err.retryAfter / 60)) });
    return ot('req.error', { msg: err.message });
  }
  return ot('req.error', { msg: String(err) });
}

function frame(title: string, ...body: HTMLElement[]): void {
  document.documentElement.lang = getLang();
  document.title = ot('page.title');
  const lang = h('button', { type: 'button', class: 'o-lang', 'data-testid': 'lang-switch', 'data-lang': getLang(), title: ot('lang.switchTitle') }, ot('lang.switch'));
  lang.addEventListener('click', toggleLang);
  app.replaceChildren(h('header', { class: 'o-top' }, h('h1', null, title), lang), h('main', { class: 'o-main' }, ...body));
}

const errorBox = (text: string, code = '') => h('p', { class: 'o-error', role: 'alert', 'data-testid': 'owner-error', 'data-code': code }, text);

/** Photos are re-drawn at most 1600 px wide and sent as JPEG under ~800 KB (the server caps at 1 MiB). */
async function shrink(file: File): Promise<string> {
  const bmp = await createImageBitmap(file);
  const scale = Math.min(1, 1600 / Math.max(bmp.width, bmp.height));
  const canvas = h('canvas', { width: Math.round(bmp.width * scale), height: Math.round(bmp.height * scale) });
  canvas.getContext('2d')!.drawImage(bmp, 0, 0, canvas.width, canvas.height);
  bmp.close();
  for (const q of [0.85, 0.7, 0.55, 0.4]) {
    const url = canvas.toDataURL('image/jpeg', q);
    if (url.length < 1_050_000) return url;
  }
  throw new Error(ot('req.photoTooBig'));
}

const PHONE = /^(?:\+?86)?1[3-9]\d{9}$|^\+[1-9]\d{7,14}$/;

// ---- /r/<token>: the request form ----
async function requestPage(token: string): Promise<void> {
  let info: CodeInfo;
  try {
    info = await call<CodeInfo>('GET', `/api/owner/codes/${encodeURIComponent(token)}`);
  } catch (err) {
    frame(ot('req.heading'), errorBox(err instanceof HttpError && err.status === 404 ? ot('req.badCode') : linkError(err)));
    return;
  }
  let photo: string | undefined;
  const render = () => {
    const category = h('select', { name: 'category', 'data-testid': 'owner-category' }, ...info.categories.map((c) => h('option', { value: c }, otName('cat', c))));
    category.value = info.category;
    const description = h('textarea', { name: 'description', rows: 4, maxlength: 1000, required: true, placeholder: ot('req.descriptionHint'), 'data-testid': 'owner-description' });
    const file = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp,image/*', 'data-testid': 'owner-photo' });
    const preview = h('img', { class: 'o-preview', alt: '', hidden: true, 'data-testid': 'owner-photo-preview' });
    const phone = h('input', { type: 'tel', name: 'phone', inputmode: 'tel', autocomplete: 'tel', maxlength: 32, required: true, 'data-testid': 'owner-phone' });
    // Honeypot: off screen and out of the tab order; people never fill it in.
    const trap = h('input', { type: 'text', name: 'website', tabindex: -1, autocomplete: 'off', 'aria-hidden': 'true', class: 'o-trap' });
    const submit = h('button', { type: 'submit', class: 'o-primary', 'data-testid': 'owner-submit' }, ot('req.submit'));
    const status = h('div', { 'aria-live': 'polite' });
    file.addEventListener('change', () => {
      const f = file.files?.[0];
      photo = undefined;
      preview.hidden = true;
      status.replaceChildren();
      if (!f) return;
      if (!/^image\//.test(f.type) || f.size > 30 * 1024 * 1024) {
        status.replaceChildren(errorBox(ot('req.photoType')));
        file.value = '';
        return;
      }
      shrink(f).then((url) => {
        photo = url;
        preview.src = url;
        preview.hidden = false;
        preview.dataset.ready = 'true';
      }, (err: unknown) => status.replaceChildren(errorBox(err instanceof Error ? err.message : String(err))));
    });
    const form = h('form', { class: 'o-form', 'data-testid': 'owner-form', novalidate: true },
      h('p', { class: 'o-where', 'data-testid': 'owner-location' }, h('span', { class: 'o-label' }, ot('req.where')), place(info.location)),
      h('label', null, h('span', { class: 'o-label' }, ot('req.category')), category),
      h('label', null, h('span', { class: 'o-label' }, ot('req.description')), description),
      h('label', null, h('span', { class: 'o-label' }, ot('req.photo')), file, h('small', null, ot('req.photoHint'))),
      preview,
      h('label', null, h('span', { class: 'o-label' }, ot('req.phone')), phone, h('small', null, ot('req.phoneHint'))),
      trap, status, submit,
      h('p', { class: 'o-fire' }, ot('req.fire')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const tel = phone.value.replace(/[\s()-]/g, '');
      if (!description.value.trim()) return void description.focus();
      if (!PHONE.test(tel)) return void status.replaceChildren(errorBox(ot('req.phoneInvalid')));
      submit.disabled = true;
      submit.textContent = ot('req.sending');
      call<{ follow: string }>('POST', '/api/owner/requests', {
        code: token, category: category.value, description: description.value.trim(), phone: tel,
        ...(photo ? { photo } : {}), ...(trap.value ? { website: trap.value } : {}),
      }).then((r) => {
        history.replaceState(null, '', r.follow);
        void followPage(r.follow.split('/').pop()!, true);
      }, (err: unknown) => {
        submit.disabled = false;
        submit.textContent = ot('req.submit');
        const msg = err instanceof HttpError && err.status === 413 ? ot('req.photoTooBig') : err instanceof HttpError && err.status === 415 ? ot('req.photoType') : linkError(err);
        status.replaceChildren(errorBox(msg, err instanceof HttpError ? err.code : ''));
      });
    });
    frame(ot('req.heading'), form);
  };
  render();
  offLang = onLangChange(render);
}

// ---- /r/follow/<token> ----
async function followPage(token: string, justSent = false): Promise<void> {
  offLang();
  let info: FollowInfo | undefined;
  let error: string | undefined;
  const load = async () => {
    try {
      info = await call<FollowInfo>('GET', `/api/owner/follow/${encodeURIComponent(token)}`);
      error = undefined;
    } catch (err) {
      error = linkError(err);
    }
    render();
  };
  const render = () => {
    if (!info) return frame(ot('follow.heading'), errorBox(error ?? ''));
    const row = (label: string, t: number | null, id: string) => h('div', { class: 'o-row', 'data-testid': `follow-${id}`, 'data-set': t !== null }, h('dt', null, label), h('dd', null, when(t)));
    const refresh = h('button', { type: 'button', class: 'o-secondary', 'data-testid': 'follow-refresh' }, ot('follow.refresh'));
    refresh.addEventListener('click', () => void load());
    frame(ot('follow.heading'),
      ...(justSent ? [h('p', { class: 'o-ok', 'data-testid': 'owner-done' }, ot('req.done'))] : []),
      h('section', { class: 'o-card' },
        h('p', { class: 'o-where' }, place(info.location), ' · ', otName('cat', info.category)),
        h('p', { class: 'o-status', 'data-testid': 'follow-status', 'data-status': info.status }, h('span', { class: 'o-label' }, ot('follow.status')), otName('status', info.status)),
        h('dl', { class: 'o-times' },
          row(ot('follow.created'), info.createdAt, 'created'), row(ot('follow.responded'), info.respondedAt, 'responded'),
          row(ot('follow.onSite'), info.onSiteAt, 'onsite'), row(ot('follow.resolved'), info.resolvedAt, 'resolved'), row(ot('follow.closed'), info.closedAt, 'closed')),
        info.feedback ? h('p', { 'data-testid': 'follow-feedback', 'data-rating': info.feedback.rating }, ot('follow.feedback', { stars: '★'.repeat(info.feedback.rating) + '☆'.repeat(5 - info.feedback.rating) })) : null),
      h('section', { class: 'o-card', 'data-testid': 'follow-notes' }, h('h2', null, ot('follow.notes')),
        info.notes.length ? h('ul', { class: 'o-notes' }, ...info.notes.map((n) => h('li', null, h('time', null, when(n.ts)), n.text))) : h('p', { class: 'o-muted' }, ot('follow.noNotes'))),
      ...(error ? [errorBox(error)] : []),
      refresh,
      h('p', { class: 'o-muted' }, ot('follow.keep', { date: when(info.expiresAt) })));
  };
  await load();
  offLang = onLangChange(render);
}

// ---- /r/feedback/<token> ----
async function feedbackPage(token: string): Promise<void> {
  let info: FeedbackInfo | undefined;
  let error: { text: string; code: string } | undefined;
  let done = false;
  let rating = 0;
  let comment = '';
  try {
    info = await call<FeedbackInfo>('GET', `/api/owner/feedback/${encodeURIComponent(token)}`);
  } catch (err) {
    error = { text: linkError(err), code: err instanceof HttpError ? err.code : '' };
  }
  const render = () => {
    if (done) return frame(ot('fb.heading'), h('p', { class: 'o-ok', 'data-testid': 'feedback-done' }, ot('fb.thanks')));
    if (!info) return frame(ot('fb.heading'), h('p', { class: 'o-error', role: 'alert', 'data-testid': 'feedback-error', 'data-code': error?.code ?? '' }, error?.text ?? ''));
    const stars = h('div', { class: 'o-stars', role: 'radiogroup', 'aria-label': ot('fb.rating') },
      ...[1, 2, 3, 4, 5].map((n) => {
        const b = h('button', { type: 'button', role: 'radio', 'aria-checked': String(n === rating), 'aria-label': ot('fb.star', { n }), 'data-testid': `feedback-star-${n}`, class: n <= rating ? 'on' : '' }, '★');
        b.addEventListener('click', () => ((rating = n), (comment = text.value), render()));
        return b;
      }));
    const text = h('textarea', { rows: 3, maxlength: 1000, 'data-testid': 'feedback-comment' });
    text.value = comment;
    const status = h('div', { 'aria-live': 'polite' }, ...(error ? [h('p', { class: 'o-error', role: 'alert', 'data-testid': 'feedback-error', 'data-code': error.code }, error.text)] : []));
    const submit = h('button', { type: 'button', class: 'o-primary', 'data-testid': 'feedback-submit' }, ot('fb.submit'));
    submit.addEventListener('click', () => {
      comment = text.value;
      if (!rating) return void status.replaceChildren(errorBox(ot('fb.pick')));
      submit.disabled = true;
      call('POST', `/api/owner/feedback/${encodeURIComponent(token)}`, { rating, ...(comment.trim() ? { comment: comment.trim() } : {}) }).then(() => {
        done = true;
        render();
      }, (err: unknown) => {
        error = { text: linkError(err), code: err instanceof HttpError ? err.code : '' };
        if (err instanceof HttpError && err.status !== 429) info = undefined;
        render();
      });
    });
    frame(ot('fb.heading'),
      h('section', { class: 'o-card' },
        h('p', { class: 'o-where' }, place(info.location), ' · ', otName('cat', info.category)),
        h('p', null, ot('fb.intro')), stars,
        h('label', null, h('span', { class: 'o-label' }, ot('fb.comment')), text), status, submit));
  };
  render();
  offLang = onLangChange(render);
}

let offLang: () => void = () => undefined;
const path = location.pathname.split('/').filter(Boolean);
if (path[0] === 'r' && path[1] === 'follow' && path[2]) void followPage(path[2]);
else if (path[0] === 'r' && path[1] === 'feedback' && path[2]) void feedbackPage(path[2]);
else if (path[0] === 'r' && path[1]) void requestPage(path[1]);
else frame(ot('req.heading'), errorBox(ot('req.badCode')));
