/**
 * Work orders as a list (open ones first, most urgent on top) or a board with one column per
 * status: SLA countdowns to the response and on-site deadlines, one button per allowed next
 * status, the number links to the detail page (order-detail.ts). New and changed orders arrive live.
 */
import { api, ApiError, type TransitionExtra } from '../api.js';
import { h, setAttr, setText, toast } from '../dom.js';
import { fmtDuration, fmtTime } from '../format.js';
import { t, tn } from '../i18n.js';
import { errorText, resync } from '../live.js';
import { store } from '../store.js';
import { isOpen, NEXT_STATUS } from '../types.js';
import type { WorkOrder, WorkOrderStatus } from '../types.js';
import { faultText, message, type View } from './common.js';

const PRIORITY_RANK: Record<string, number> = { emergency: 0, urgent: 1, normal: 2 };
const RESPONDED: WorkOrderStatus[] = ['accepted', 'dispatched', 'on_site', 'resolved', 'closed'];
const ARRIVED: WorkOrderStatus[] = ['on_site', 'resolved', 'closed'];
/** Below this much time left a countdown turns amber. */
const WARN_MS = 10 * 60 * 1000;

let onlyOpen = false;
let mode: 'list' | 'board' = 'list';
const BOARD_COLUMNS: WorkOrderStatus[] = ['new', 'accepted', 'dispatched', 'on_site', 'resolved', 'closed'];

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
  const modes = h('div', { class: 'seg', role: 'group' });
  for (const m of ['list', 'board'] as const) {
    const b = h('button', { type: 'button', class: 'seg-btn', 'data-testid': `orders-mode-${m}`, 'aria-pressed': String(m === mode) }, t(`orders.mode.${m}`));
    b.addEventListener('click', () => {
      mode = m;
      for (const x of modes.children) setAttr(x, 'aria-pressed', String(x === b));
      listBox.hidden = m !== 'list';
      board.hidden = m !== 'board';
      renderAll();
    });
    modes.append(b);
  }
  const board = h('div', { class: 'board', 'data-testid': 'orders-board', hidden: mode !== 'board' });

  let listBox: HTMLElement;
  root.append(
    h('div', { class: 'page-head' }, h('h1', null, t('orders.title')), modes, h('label', { class: 'filter' }, filter, ' ', t('orders.onlyOpen'))),
    board,
    (listBox = h(
      'div',
      { class: 'table-wrap card', hidden: mode !== 'list' },
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
    )),
  );

  const visible = (o: WorkOrder) => !onlyOpen || isOpen(o.status);

  function sorted(): WorkOrder[] {
    return [...store.orders.values()].filter(visible).sort(compareOrders);
  }

  function renderAll(): void {
    rows.clear();
    if (mode === 'board') {
      tbody.replaceChildren();
      renderBoard();
      return;
    }
    board.replaceChildren();
    tbody.replaceChildren(...sorted().map((o) => renderRow(o).el));
    updateEmpty();
  }

  function renderBoard(): void {
    const all = [...store.orders.values()].sort(compareOrders);
    board.replaceChildren(
      ...BOARD_COLUMNS.filter((st) => !onlyOpen || isOpen(st)).map((st) => {
        const list = all.filter((o) => o.status === st).slice(0, st === 'closed' ? 20 : 200);
        return h(
          'section',
          { class: 'board-col', 'data-testid': `board-col-${st}`, 'data-count': list.length },
          h('h2', null, tn('status', st), ' ', h('span', { class: 'muted' }, String(list.length))),
          ...list.map((o) => {
            const sla = slaCells(o);
            rows.set(o.id, { el: h('tr'), tick: sla.tick });
            const fault = faultText(o.device, o.fault, o.title || o.fault);
            return h(
              'article',
              { class: `board-card prio-edge-${o.priority}`, 'data-testid': `order-card-${o.number}`, 'data-status': o.status },
              h('a', { class: 'mono', href: `#/orders/${encodeURIComponent(o.id)}` }, o.number),
              h('div', null, fault),
              h('div', { class: 'sub muted' }, store.deviceName(o.device), ' · ', tn('priority', o.priority)),
              ...sla.els,
              actionButtons(o),
            );
          }),
        );
      }),
    );
  }

  function updateEmpty(): void {
    empty.replaceChildren();
    if (!store.loaded.orders) empty.append(message(t('common.loading')));
    else if (rows.size === 0) empty.append(message(t('orders.empty')));
  }

  function renderRow(o: WorkOrder): RowRef {
    const { els: sla, tick } = slaCells(o);
    const actions = actionButtons(o);

    const fault = faultText(o.device, o.fault, o.title || o.fault);
    const el = h(
      'tr',
      { 'data-testid': `order-row-${o.number}`, 'data-status': o.status, 'data-priority': o.priority, class: `order ${isOpen(o.status) ? 'open' : 'ended'}` },
      h('td', { class: 'nowrap' }, h('a', { class: 'mono', href: `#/orders/${encodeURIComponent(o.id)}`, 'data-testid': 'order-link' }, o.number), h('div', { class: 'sub muted' }, t('orders.faultAt', { t: fmtTime(o.faultAt) }))),
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
      h('td', { class: 'nowrap' }, ...sla),
      h('td', null, actions),
    );
    const ref = { el, tick };
    rows.set(o.id, ref);
    return ref;
  }

  function upsert({ order, isNew }: { order: WorkOrder; isNew: boolean }): void {
    if (mode === 'board') return renderBoard();
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

/** SLA countdowns of an order (`sla-respond`, `sla-onsite`) and a tick to update them. */
export function slaCells(o: WorkOrder): { els: HTMLElement[]; tick: () => void } {
  const respond = h('div', { class: 'sla', 'data-testid': 'sla-respond' });
  const onSite = o.onSiteBy !== null ? h('div', { class: 'sla', 'data-testid': 'sla-onsite' }) : null;
  const tick = () => {
    const now = Date.now();
    renderSla(respond, t('orders.respond'), o.respondBy, o.respondedAt, RESPONDED.includes(o.status), o, now);
    if (onSite && o.onSiteBy !== null) renderSla(onSite, t('orders.onSite'), o.onSiteBy, o.onSiteAt, ARRIVED.includes(o.status), o, now);
  };
  tick();
  return { els: onSite ? [respond, onSite] : [respond], tick };
}

/**
 * One button per allowed next status (`order-action-<to>`). `extra` adds fields to the request
 * (feedback on close, a note); the server has the last word: a 409 shows its message and resyncs.
 */
export function actionButtons(o: WorkOrder, extra?: (to: WorkOrderStatus) => TransitionExtra | null): HTMLElement {
  const actions = h('div', { class: 'actions' });
  for (const to of NEXT_STATUS[o.status] ?? []) {
    const btn = h('button', { type: 'button', class: `btn ${to === 'cancelled' ? 'btn-quiet' : 'btn-primary'}`, 'data-testid': `order-action-${to}` }, tn('action', to));
    btn.addEventListener('click', () => {
      const more = extra ? extra(to) : {};
      if (more !== null) void transition(o, to, actions, more);
    });
    actions.append(btn);
  }
  return actions;
}

async function transition(o: WorkOrder, to: WorkOrderStatus, actions: HTMLElement, extra: TransitionExtra): Promise<void> {
  const buttons = [...actions.querySelectorAll('button')];
  buttons.forEach((b) => (b.disabled = true));
  try {
    const updated = await api.transition(o.id, to, extra);
    store.upsertOrder(updated);
  } catch (err) {
    buttons.forEach((b) => (b.disabled = false));
    const conflict = err instanceof ApiError && err.status === 409;
    toast(t(conflict ? 'error.conflict' : 'error.action', { msg: errorText(err) }), 'error');
    // A conflict means our copy is stale: fetch the lists again.
    if (conflict) void resync();
  }
}

export function compareOrders(a: WorkOrder, b: WorkOrder): number {
  const ao = isOpen(a.status);
  const bo = isOpen(b.status);
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
  } else if (!isOpen(o.status)) {
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
