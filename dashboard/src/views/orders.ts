/**
 * Work orders: open ones first (most urgent on top), SLA countdowns to the response and on-site
 * deadlines, and one button per allowed next status. New and changed orders arrive live.
 */
import { api, ApiError } from '../api.js';
import { h, setAttr, setText, toast } from '../dom.js';
import { fmtDuration, fmtTime } from '../format.js';
import { hasName, t, tn } from '../i18n.js';
import { errorText, resync } from '../live.js';
import { store } from '../store.js';
import { isOpenOrder, NEXT_STATUS } from '../types.js';
import type { WorkOrder, WorkOrderStatus } from '../types.js';
import { message, type View } from './common.js';

const PRIORITY_RANK: Record<string, number> = { emergency: 0, urgent: 1, normal: 2 };
const RESPONDED: WorkOrderStatus[] = ['accepted', 'dispatched', 'on_site', 'resolved', 'closed'];
const ARRIVED: WorkOrderStatus[] = ['on_site', 'resolved', 'closed'];
/** Below this much time left a countdown turns amber. */
const WARN_MS = 10 * 60 * 1000;

let onlyOpen = false;

interface RowRef {
  el: HTMLTableRowElement;
  tick: () => void;
}

export function mountOrders(root: HTMLElement): View {
  const rows = new Map<string, RowRef>();
  const tbody = h('tbody');
  const empty = h('div');
  const filter = h('input', {
    type: 'checkbox',
    'data-testid': 'orders-only-open',
    onchange: () => {
      onlyOpen = filter.checked;
      renderAll();
    },
  });
  filter.checked = onlyOpen;

  root.append(
    h('div', { class: 'page-head' }, h('h1', null, t('orders.title')), h('label', { class: 'filter' }, filter, ' ', t('orders.onlyOpen'))),
    h(
      'div',
      { class: 'table-wrap card' },
      h(
        'table',
        { class: 'data orders-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, t('orders.number')),
            h('th', null, t('orders.device')),
            h('th', null, t('orders.fault')),
            h('th', null, t('orders.priority')),
            h('th', null, t('orders.status')),
            h('th', null, t('orders.sla')),
            h('th', null, t('orders.actions')),
          ),
        ),
        tbody,
      ),
      empty,
    ),
  );

  const visible = (o: WorkOrder) => !onlyOpen || isOpenOrder(o.status);

  function sorted(): WorkOrder[] {
    return [...store.orders.values()].filter(visible).sort(compareOrders);
  }

  function renderAll(): void {
    rows.clear();
    tbody.replaceChildren(...sorted().map((o) => renderRow(o).el));
    updateEmpty();
  }

  function updateEmpty(): void {
    empty.replaceChildren();
    if (!store.loaded.orders) empty.append(message(t('common.loading')));
    else if (rows.size === 0) empty.append(message(t('orders.empty')));
  }

  function renderRow(o: WorkOrder): RowRef {
    const respond = h('div', { class: 'sla', 'data-testid': 'sla-respond' });
    const onSite = o.onSiteBy !== null ? h('div', { class: 'sla', 'data-testid': 'sla-onsite' }) : null;
    const tick = () => {
      const now = Date.now();
      renderSla(respond, t('orders.respond'), o.respondBy, o.respondedAt, RESPONDED.includes(o.status), o, now);
      if (onSite && o.onSiteBy !== null) renderSla(onSite, t('orders.onSite'), o.onSiteBy, o.onSiteAt, ARRIVED.includes(o.status), o, now);
    };
    tick();

    const actions = h('div', { class: 'actions' });
    for (const to of NEXT_STATUS[o.status] ?? []) {
      const btn = h(
        'button',
        { type: 'button', class: `btn ${to === 'cancelled' ? 'btn-quiet' : 'btn-primary'}`, 'data-testid': `order-action-${to}` },
        tn('action', to),
      );
      btn.addEventListener('click', () => void transition(o, to, actions));
      actions.append(btn);
    }

    const fault = hasName('fault', o.fault) ? tn('fault', o.fault) : o.title || o.fault;
    const el = h(
      'tr',
      { 'data-testid': `order-row-${o.number}`, 'data-status': o.status, 'data-priority': o.priority, class: `order ${isOpenOrder(o.status) ? 'open' : 'ended'}` },
      h('td', { class: 'nowrap' }, h('div', { class: 'mono' }, o.number), h('div', { class: 'sub muted' }, t('orders.faultAt', { t: fmtTime(o.faultAt) }))),
      h('td', null, o.device ? h('a', { href: `#/device/${encodeURIComponent(o.device)}` }, store.deviceName(o.device)) : h('span', { class: 'muted' }, t('orders.noDevice'))),
      h(
        'td',
        null,
        h('div', null, fault),
        h(
          'div',
          { class: 'sub muted' },
          tn('category', o.category),
          fault !== o.title && o.title ? ` · ${o.title}` : null,
          o.occurrences > 1 ? ` · ${t('orders.occurrences', { n: o.occurrences })}` : null,
          o.assignee ? ` · ${t('orders.assignee', { who: o.assignee })}` : null,
        ),
      ),
      h('td', null, h('span', { class: `prio prio-${o.priority}` }, tn('priority', o.priority))),
      h('td', null, h('span', { class: `wo-status wo-${o.status}` }, tn('status', o.status))),
      h('td', { class: 'nowrap' }, respond, onSite),
      h('td', null, actions),
    );
    const ref = { el, tick };
    rows.set(o.id, ref);
    return ref;
  }

  async function transition(o: WorkOrder, to: WorkOrderStatus, actions: HTMLElement): Promise<void> {
    const buttons = [...actions.querySelectorAll('button')];
    buttons.forEach((b) => (b.disabled = true));
    try {
      const updated = await api.transition(o.id, to);
      store.upsertOrder(updated);
    } catch (err) {
      buttons.forEach((b) => (b.disabled = false));
      const conflict = err instanceof ApiError && err.status === 409;
      toast(t(conflict ? 'error.conflict' : 'error.action', { msg: errorText(err) }), 'error');
      // A conflict means our copy is stale: fetch the lists again.
      if (conflict) void resync();
    }
  }

  function upsert({ order, isNew }: { order: WorkOrder; isNew: boolean }): void {
    const old = rows.get(order.id);
    old?.el.remove();
    rows.delete(order.id);
    if (visible(order)) {
      const ref = renderRow(order);
      if (isNew) {
        ref.el.classList.add('row-new');
        setTimeout(() => ref.el.classList.remove('row-new'), 6000);
      }
      // Put every row in order again (moves nodes, does not rebuild them).
      for (const o of sorted()) {
        const r = rows.get(o.id);
        if (r) tbody.append(r.el);
      }
    }
    updateEmpty();
  }

  renderAll();
  const timer = setInterval(() => rows.forEach((r) => r.tick()), 1000);
  const offs = [store.on('orders', renderAll), store.on('order', upsert), store.on('devices', ({ structural }) => structural && renderAll())];
  return {
    unmount() {
      clearInterval(timer);
      offs.forEach((off) => off());
    },
  };
}

function compareOrders(a: WorkOrder, b: WorkOrder): number {
  const ao = isOpenOrder(a.status);
  const bo = isOpenOrder(b.status);
  if (ao !== bo) return ao ? -1 : 1;
  if (!ao) return b.updatedAt - a.updatedAt;
  const pr = (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9);
  if (pr !== 0) return pr;
  return a.respondBy - b.respondBy || b.createdAt - a.createdAt;
}

type SlaState = 'running' | 'warn' | 'overdue' | 'met' | 'late' | 'none';

function renderSla(
  el: HTMLElement,
  label: string,
  deadline: number,
  doneAt: number | null,
  stepDone: boolean,
  o: WorkOrder,
  now: number,
): void {
  let state: SlaState;
  let text: string;
  if (doneAt !== null) {
    state = doneAt <= deadline ? 'met' : 'late';
    text = state === 'met' ? t('orders.met', { t: fmtTime(doneAt) }) : t('orders.metLate', { t: fmtTime(doneAt) });
  } else if (stepDone) {
    state = 'met';
    text = t('orders.done');
  } else if (!isOpenOrder(o.status)) {
    state = 'none';
    text = t('common.none');
  } else {
    const left = deadline - now;
    state = left < 0 ? 'overdue' : left < WARN_MS ? 'warn' : 'running';
    text = left < 0 ? t('orders.overdue', { d: fmtDuration(-left) }) : t('orders.left', { d: fmtDuration(left) });
  }
  const full = `${label} ${text}`;
  setText(el, full);
  setAttr(el, 'data-sla', state);
  setAttr(el, 'data-overdue', state === 'overdue' || state === 'late' ? 'true' : 'false');
  setAttr(el, 'title', `${label}: ${fmtTime(deadline)}`);
}
