/**
 * One work order (`#/orders/:id`): facts, SLA countdowns, the allowed actions (closing sends the
 * owner's feedback when given: seed 2.3), assignment, and the execution ledger with a form to add
 * an entry (seed 2.2: time, personnel, tools, result, safety measures). Updates live.
 */
import { api } from '../api.js';
import { h, toast } from '../dom.js';
import { fmtTime } from '../format.js';
import { t, tn } from '../i18n.js';
import { errorText } from '../live.js';
import { store } from '../store.js';
import { isOpen, type LedgerEntry, type WorkOrder } from '../types.js';
import { faultText, message, type View } from './common.js';
import { actionButtons, slaCells } from './orders.js';
import { photoThumbs } from './my-orders.js';

const list = (s: string) => s.split(/[,，、]/).map((x) => x.trim()).filter(Boolean);

export function mountOrderDetail(root: HTMLElement, id: string): View {
  let tick: (() => void) | null = null;
  let disposed = false;
  const ledgerBox = h('div', { 'data-testid': 'ledger' });
  // Feedback and form inputs live outside render() so typing survives live updates.
  const rating = h('select', { 'data-testid': 'feedback-rating' }, h('option', { value: '' }, t('common.none')), ...[5, 4, 3, 2, 1].map((n) => h('option', { value: n }, '★'.repeat(n))));
  const comment = h('input', { type: 'text', 'data-testid': 'feedback-comment', maxlength: 2000, placeholder: t('detail.feedbackComment') });
  const assignee = h('input', { type: 'text', 'data-testid': 'assign-input', maxlength: 100 });
  const f = {
    personnel: h('input', { type: 'text', required: true, 'data-testid': 'ledger-personnel' }),
    tools: h('input', { type: 'text', 'data-testid': 'ledger-tools' }),
    result: h('textarea', { required: true, rows: 2, 'data-testid': 'ledger-result' }),
    safety: h('textarea', { required: true, rows: 2, 'data-testid': 'ledger-safety' }),
  };
  const form = h(
    'form',
    { class: 'ledger-form', 'data-testid': 'ledger-form' },
    h('label', null, t('ledger.personnel'), f.personnel),
    h('label', null, t('ledger.tools'), f.tools),
    h('label', null, t('ledger.result'), f.result),
    h('label', null, t('ledger.safety'), f.safety),
    h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'ledger-add' }, t('ledger.add')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    api.addLedger(id, { personnel: list(f.personnel.value), tools: list(f.tools.value), result: f.result.value.trim(), safetyMeasures: f.safety.value.trim() }).then(
      () => {
        form.reset();
        void loadLedger();
      },
      (err: unknown) => toast(t('error.action', { msg: errorText(err) }), 'error'),
    );
  });
  const head = h('div');
  // Photos taken with the ledger entries on a phone (seed 2.2; views/my-orders.ts).
  const photos = photoThumbs(id);
  root.append(h('a', { class: 'back', href: '#/orders' }, t('detail.back')), head, h('section', { class: 'card' }, h('h2', null, t('ledger.title')), ledgerBox, photos.el, form));

  function render(o: WorkOrder): void {
    const sla = slaCells(o);
    tick = sla.tick;
    const fact = (label: string, value: string | Node) => h('div', null, h('dt', null, label), h('dd', null, value));
    const assign = h('button', { type: 'button', class: 'btn', 'data-testid': 'assign-submit' }, t('detail.assign'));
    assign.addEventListener('click', () => {
      if (!assignee.value.trim()) return;
      api.assign(o.id, assignee.value.trim()).then((u) => store.upsertOrder(u), (err: unknown) => toast(t('error.action', { msg: errorText(err) }), 'error'));
    });
    const actions = actionButtons(o, (to) => (to === 'closed' && rating.value ? { feedback: { rating: Number(rating.value), ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) } } : {}));
    head.replaceChildren(
      h('div', { class: 'page-head', 'data-testid': `order-detail-${o.number}`, 'data-status': o.status }, h('h1', { class: 'mono' }, o.number), h('span', { class: `wo-status wo-${o.status}` }, tn('status', o.status))),
      h(
        'section',
        { class: 'card' },
        h('dl', { class: 'facts' },
          fact(t('orders.device'), o.device ? h('a', { href: `#/device/${encodeURIComponent(o.device)}` }, store.deviceName(o.device)) : t('orders.noDevice')),
          fact(t('orders.fault'), faultText(o.device, o.fault, o.title)),
          fact(t('detail.category'), tn('category', o.category)),
          fact(t('orders.priority'), tn('priority', o.priority)),
          fact(t('detail.source'), tn('source', o.source)),
          fact(t('detail.faultAt'), fmtTime(o.faultAt)),
          fact(t('detail.assignee'), o.assignee ?? t('common.none')),
          fact(t('detail.occurrences'), String(o.occurrences)),
          o.feedback ? fact(t('detail.feedback'), `${'★'.repeat(o.feedback.rating)} ${o.feedback.comment ?? ''}`) : null,
        ),
        h('div', { class: 'sla-box' }, ...sla.els),
        isOpen(o.status) ? h('div', { class: 'detail-actions' },
          o.status === 'resolved' ? h('div', { class: 'feedback' }, h('label', null, t('detail.feedbackRating'), ' ', rating), comment) : null,
          actions,
          h('div', { class: 'assign' }, h('label', null, t('detail.assignee'), ' ', assignee), assign)) : null,
      ),
    );
  }

  async function loadLedger(): Promise<void> {
    try {
      const entries = await api.ledger(id);
      void photos.reload().catch(() => undefined);
      if (!disposed) ledgerBox.replaceChildren(entries.length ? ledgerTable(entries) : message(t('ledger.empty')));
    } catch (err) {
      if (!disposed) ledgerBox.replaceChildren(message(t('error.load', { msg: errorText(err) }), 'error'));
    }
  }

  const known = store.orders.get(id);
  if (known) render(known);
  else {
    head.replaceChildren(message(t('common.loading')));
    api.workOrder(id).then((o) => !disposed && render(store.orders.get(id) ?? o), (err: unknown) => !disposed && head.replaceChildren(message(t('error.load', { msg: errorText(err) }), 'error')));
  }
  void loadLedger();
  const timer = setInterval(() => tick?.(), 1000);
  const offs = [store.on('order', ({ order }) => order.id === id && render(order)), store.on('orders', () => { const o = store.orders.get(id); if (o) render(o); })];
  return {
    unmount() {
      disposed = true;
      photos.dispose();
      clearInterval(timer);
      offs.forEach((off) => off());
    },
  };
}

function ledgerTable(entries: LedgerEntry[]): HTMLElement {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
    h('thead', null, h('tr', null, h('th', null, t('device.time')), h('th', null, t('ledger.personnel')), h('th', null, t('ledger.tools')), h('th', null, t('ledger.result')), h('th', null, t('ledger.safety')), h('th', null, t('ledger.by')))),
    h('tbody', null, ...entries.map((e) => h('tr', { 'data-testid': `ledger-entry-${e.seq}` },
      h('td', { class: 'nowrap' }, fmtTime(e.time)), h('td', null, e.personnel.join('、')), h('td', null, e.tools.join('、')), h('td', null, e.result), h('td', null, e.safetyMeasures), h('td', { class: 'muted' }, e.recordedBy))))));
}
