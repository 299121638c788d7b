/**
 * The desk's label sheet (`#/owner-codes`, dispatcher): one printable label per place with the QR
 * code of its public request URL (`GET /api/owner-codes`, SVG made by the gateway with `qrcode`),
 * the place in Chinese and English and short instructions (seed 2.1: requests on site).
 */
import '../owner/labels.css';
import { endSession, getToken } from '../auth.js';
import { h } from '../dom.js';
import { createSender, parseLenient } from '../shared/http.js';
import type { View } from '../views/common.js';
import { ot, otName } from './i18n.js';

interface Label { id: string; device: string | null; category: string; location: { zh: string; en: string }; url: string; svg: string }

const send = createSender({ getToken, onUnauthorized: () => endSession('expired') });

export function mountLabels(root: HTMLElement): View {
  const sheet = h('div', { class: 'label-sheet', 'data-testid': 'owner-labels' }, h('p', { class: 'msg' }, ot('labels.loading')));
  const print = h('button', { type: 'button', class: 'no-print', 'data-testid': 'owner-labels-print' }, ot('labels.print'));
  print.addEventListener('click', () => window.print());
  root.append(h('div', { class: 'page-head no-print' }, h('h1', null, ot('labels.title')), print), h('p', { class: 'muted no-print' }, ot('labels.intro')), sheet);
  let disposed = false;
  void (async () => {
    try {
      const res = await send('GET', '/api/owner-codes');
      const { codes } = parseLenient(await res.text()) as { codes: Label[] };
      if (disposed) return;
      sheet.replaceChildren(...(codes.length ? codes.map(label) : [h('p', { class: 'msg' }, ot('labels.empty'))]));
    } catch (err) {
      if (!disposed) sheet.replaceChildren(h('p', { class: 'msg error' }, ot('labels.error', { msg: err instanceof Error ? err.message : String(err) })));
    }
  })();
  return { unmount: () => void (disposed = true) };
}

function label(l: Label): HTMLElement {
  // The SVG comes from our own gateway; shown as an image, never parsed into the page.
  const qr = h('img', { class: 'label-qr', alt: l.url, src: `data:image/svg+xml;base64,${btoa(l.svg)}` });
  return h('article', { class: 'label', 'data-testid': `owner-label-${l.id}`, 'data-url': l.url },
    h('div', { class: 'label-scan' }, h('strong', null, ot('labels.scan')), h('span', null, ot('labels.scanEn'))),
    qr,
    h('div', { class: 'label-place' }, h('strong', null, l.location.zh), h('span', null, l.location.en)),
    h('div', { class: 'label-cat' }, otName('cat', l.category)),
    h('div', { class: 'label-help' }, h('span', null, ot('labels.help')), h('span', null, ot('labels.helpEn'))));
}
