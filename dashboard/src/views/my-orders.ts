/**
 * The technician's phone view (README.md, "On a phone"):
 *  - `#/my`: open orders assigned to the signed-in user as cards, one per order: live countdown to
 *    the response / on-site deadline (red when passed, seed 2.1), location (building, device),
 *    equipment type, the time of arrival once on site, and ONE big button for the next step of the
 *    lifecycle (new → accepted → dispatched → on_site → resolved; closing is the desk's, seed 2.3).
 *    Unassigned open orders are listed below, read-only: a technician may move only orders assigned
 *    to them (gateway/api/auth/policy.ts), so a dispatcher assigns them first.
 *  - `#/my/:id`: the same card, then the execution ledger (seed 2.2: time, personnel, tools, result,
 *    safety measures) with photos from the phone camera, shrunk before upload (phone/photo.ts).
 * Every step goes through the persistent queue (phone/queue.ts): pending steps show on the card,
 * refused ones (409: someone else moved the order) show as a problem until dismissed.
 */
import '../phone/phone.css';
import { api } from '../api.js';
import { getToken, getUser } from '../auth.js';
import { h, toast } from '../dom.js';
import { fmtTime } from '../format.js';
import { t, tn } from '../i18n.js';
import { errorText } from '../live.js';
import { PHOTO_MAX_SIDE, shrinkPhoto, type Shrunk } from '../phone/photo.js';
import { dismissProblem, enqueueLedger, enqueueTransition, kick, onQueue, pendingFor, problemsFor, type Step } from '../phone/queue.js';
import { store } from '../store.js';
import { isOpen, type LedgerEntry, type WorkOrder, type WorkOrderStatus } from '../types.js';
import type { Photo } from '../../../gateway/workorders/photos.js';
import { faultText, message, type View } from './common.js';
import { compareOrders, slaCells } from './orders.js';

/** The technician's next step from each status (the lifecycle without cancel and close). */
const NEXT: Partial<Record<WorkOrderStatus, 'accepted' | 'dispatched' | 'on_site' | 'resolved'>> = {
  new: 'accepted', accepted: 'dispatched', dispatched: 'on_site', on_site: 'resolved',
};

const list = (s: string) => s.split(/[,，、]/).map((x) => x.trim()).filter(Boolean);

function stepLabel(s: { kind: Step['kind']; to?: WorkOrderStatus }): string {
  if (s.kind === 'transition' && s.to) return tn('action', s.to);
  return t(s.kind === 'ledger' ? 'my.pendingLedger' : 'my.pendingPhoto');
}

/** One order as a phone card; returns the element and its countdown tick. */
function card(o: WorkOrder, opts: { link: boolean }): { el: HTMLElement; tick: () => void } {
  const sla = slaCells(o);
  const dev = o.device ? store.devices.get(o.device) : undefined;
  const pending = pendingFor(o.id);
  const problems = problemsFor(o.id);
  const fault = faultText(o.device, o.fault, o.title || o.fault);
  const next = NEXT[o.status];
  const pendingMove = pending.find((s) => s.kind === 'transition');
  let button: HTMLElement | null = null;
  if (pendingMove && pendingMove.kind === 'transition') {
    button = h('button', { type: 'button', class: 'big-btn', disabled: true, 'data-testid': 'card-next', 'data-to': pendingMove.to, 'data-pending': 'true' }, `${tn('action', pendingMove.to)} …`);
  } else if (next) {
    const b = h('button', { type: 'button', class: 'big-btn', 'data-testid': 'card-next', 'data-to': next, 'data-pending': 'false' }, t(`my.next.${next}`));
    b.addEventListener('click', () => {
      b.disabled = true;
      enqueueTransition(o.id, next);
    });
    button = b;
  } else if (o.status === 'resolved') {
    button = h('p', { class: 'muted', 'data-testid': 'card-done' }, t('my.doneWaiting'));
  }
  const el = h(
    'article',
    { class: `phone-card prio-edge-${o.priority}`, 'data-testid': `my-card-${o.number}`, 'data-status': o.status, 'data-order': o.id },
    h('div', { class: 'phone-card-head' },
      h('span', { class: 'mono' }, o.number),
      h('span', { class: `wo-status wo-${o.status}` }, tn('status', o.status)),
      h('span', { class: `prio prio-${o.priority}` }, tn('priority', o.priority))),
    h('div', { class: 'phone-card-title' }, fault),
    h('div', { class: 'phone-sla', 'data-testid': 'card-countdown' }, ...sla.els),
    o.onSiteAt !== null ? h('div', { class: 'phone-onsite', 'data-testid': 'card-onsite-at', 'data-ts': o.onSiteAt }, t('my.onSiteAt', { t: fmtTime(o.onSiteAt) })) : null,
    h('dl', { class: 'phone-facts' },
      h('div', null, h('dt', null, t('my.location')), h('dd', { 'data-testid': 'card-location' },
        dev?.building ? t('building.named', { b: dev.building }) : t('my.noBuilding'), ' · ', o.device ? store.deviceName(o.device) : t('orders.noDevice'))),
      h('div', null, h('dt', null, t('my.equipment')), h('dd', { 'data-testid': 'card-equipment' }, dev ? tn('type', dev.type) : t('common.none')))),
    pending.length ? h('div', { class: 'phone-pending', 'data-testid': 'card-pending', 'data-count': pending.length }, t('my.pending', { what: pending.map(stepLabel).join('、') })) : null,
    ...problems.map((p) => {
      const ok = h('button', { type: 'button', class: 'btn', 'data-testid': 'card-problem-dismiss' }, t('my.dismiss'));
      ok.addEventListener('click', () => dismissProblem(p.key));
      return h('div', { class: 'phone-problem', role: 'alert', 'data-testid': 'card-problem', 'data-status': p.status, 'data-code': p.code },
        t(p.status === 409 ? 'my.problem.conflict' : 'my.problem.other', { what: stepLabel(p), msg: p.message }), ' ', ok);
    }),
    button,
    opts.link ? h('a', { class: 'phone-open', href: `#/my/${encodeURIComponent(o.id)}`, 'data-testid': 'card-open' }, t('my.open')) : null,
  );
  return { el, tick: sla.tick };
}

const mine = (o: WorkOrder) => o.assignee === getUser()?.username && isOpen(o.status);

export function mountMyOrders(root: HTMLElement): View {
  const box = h('div', { class: 'phone-list', 'data-testid': 'my-orders' });
  const others = h('section', { class: 'phone-unassigned' });
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('my.title'))), box, others);
  let ticks: (() => void)[] = [];

  function render(): void {
    const orders = [...store.orders.values()].filter(mine).sort(compareOrders);
    const cards = orders.map((o) => card(o, { link: true }));
    ticks = cards.map((c) => c.tick);
    box.replaceChildren(...(cards.length ? cards.map((c) => c.el) : [message(store.loaded.orders ? t('my.empty') : t('common.loading'))]));
    const open = [...store.orders.values()].filter((o) => o.assignee === null && isOpen(o.status)).sort(compareOrders);
    others.replaceChildren(...(open.length ? [
      h('h2', null, t('my.unassigned', { n: open.length })),
      h('p', { class: 'muted' }, t('my.unassignedHint')),
      h('ul', { class: 'phone-mini' }, ...open.slice(0, 20).map((o) => h('li', { 'data-testid': `my-unassigned-${o.number}` },
        h('span', { class: 'mono' }, o.number), ' ', store.deviceName(o.device), ' · ', faultText(o.device, o.fault, o.title)))),
    ] : []));
  }

  render();
  kick();
  const timer = setInterval(() => ticks.forEach((f) => f()), 1000);
  const offs = [store.on('orders', render), store.on('order', render), store.on('devices', render), onQueue(render)];
  return {
    unmount() {
      clearInterval(timer);
      offs.forEach((off) => off());
    },
  };
}

/** `GET /api/work-orders/:id/photos/:photo` with the token, shown from a blob: URL. */
async function photoUrl(orderId: string, p: Photo): Promise<string> {
  const res = await fetch(`/api/work-orders/${encodeURIComponent(orderId)}/photos/${encodeURIComponent(p.id)}`, { headers: { authorization: `Bearer ${getToken() ?? ''}` } });
  if (!res.ok) throw new Error(`${res.status}`);
  return URL.createObjectURL(await res.blob());
}

async function photoList(orderId: string): Promise<Photo[]> {
  const res = await fetch(`/api/work-orders/${encodeURIComponent(orderId)}/photos`, { headers: { authorization: `Bearer ${getToken() ?? ''}`, accept: 'application/json' } });
  if (!res.ok) throw new Error(`${res.status}`);
  return (await res.json()) as Photo[];
}

/** Thumbnails of an order's photos (the order page and the phone page use it). */
export function photoThumbs(orderId: string): { el: HTMLElement; reload: () => Promise<void>; dispose: () => void } {
  const el = h('div', { class: 'thumbs', 'data-testid': 'order-photos' });
  const urls = new Map<string, string>();
  const reload = async () => {
    const photos = await photoList(orderId);
    const imgs = await Promise.all(photos.map(async (p) => {
      let url = urls.get(p.id);
      if (!url) urls.set(p.id, (url = await photoUrl(orderId, p)));
      return h('img', { src: url, alt: '', class: 'thumb', loading: 'lazy', 'data-testid': `photo-${p.id}`, 'data-entry': p.ledgerSeq ?? '', 'data-width': p.width, 'data-height': p.height, 'data-bytes': p.bytes });
    }));
    el.replaceChildren(...imgs);
    el.setAttribute('data-count', String(imgs.length));
  };
  return { el, reload, dispose: () => urls.forEach((u) => URL.revokeObjectURL(u)) };
}

export function mountMyOrder(root: HTMLElement, id: string): View {
  let disposed = false;
  let tick: (() => void) | null = null;
  const head = h('div');
  const thumbs = photoThumbs(id);
  const entries = h('div', { 'data-testid': 'ledger' });
  const shrunk: Shrunk[] = [];
  const previews = h('div', { class: 'thumbs', 'data-testid': 'photo-previews' });
  const user = getUser();
  const f = {
    personnel: h('input', { type: 'text', required: true, 'data-testid': 'ledger-personnel', value: user?.name ?? user?.username ?? '' }),
    tools: h('input', { type: 'text', 'data-testid': 'ledger-tools' }),
    result: h('textarea', { required: true, rows: 3, 'data-testid': 'ledger-result' }),
    safety: h('textarea', { required: true, rows: 2, 'data-testid': 'ledger-safety' }),
    photo: h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, 'data-testid': 'ledger-photo' }),
  };
  f.photo.addEventListener('change', () => {
    const files = [...(f.photo.files ?? [])];
    f.photo.value = '';
    void (async () => {
      for (const file of files) {
        try {
          const s = await shrinkPhoto(file, PHOTO_MAX_SIDE);
          shrunk.push(s);
          const url = URL.createObjectURL(s.blob);
          previews.append(h('figure', { class: 'preview', 'data-testid': 'photo-preview', 'data-width': s.width, 'data-height': s.height, 'data-bytes': s.blob.size, 'data-original-bytes': file.size },
            h('img', { src: url, alt: '', class: 'thumb' }), h('figcaption', { class: 'muted' }, t('my.photoShrunk', { w: s.width, h: s.height, kb: Math.round(s.blob.size / 1024) }))));
        } catch (err) {
          toast(t('my.photoFailed', { msg: errorText(err) }), 'error');
        }
      }
      previews.setAttribute('data-count', String(shrunk.length));
    })();
  });
  const form = h(
    'form',
    { class: 'ledger-form phone-form', 'data-testid': 'ledger-form' },
    h('label', null, t('ledger.personnel'), f.personnel),
    h('label', null, t('ledger.tools'), f.tools),
    h('label', null, t('ledger.result'), f.result),
    h('label', null, t('ledger.safety'), f.safety),
    h('label', { class: 'photo-pick' }, t('my.takePhoto'), f.photo),
    previews,
    h('button', { type: 'submit', class: 'big-btn', 'data-testid': 'ledger-add' }, t('my.save')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const photos = shrunk.splice(0).map((s) => s.blob);
    enqueueLedger(id, { personnel: list(f.personnel.value), tools: list(f.tools.value), result: f.result.value.trim(), safetyMeasures: f.safety.value.trim() }, photos).then(
      () => {
        f.tools.value = f.result.value = f.safety.value = '';
        previews.replaceChildren();
        previews.setAttribute('data-count', '0');
        toast(t('my.saved'));
      },
      (err: unknown) => toast(t('error.action', { msg: errorText(err) }), 'error'),
    );
  });
  root.append(
    h('a', { class: 'back', href: '#/my', 'data-testid': 'my-back' }, t('my.back')),
    head,
    h('section', { class: 'card' }, h('h2', null, t('my.entries')), entries, h('h3', null, t('my.photos')), thumbs.el),
    h('section', { class: 'card' }, h('h2', null, t('my.ledgerTitle')), form),
  );

  function render(o: WorkOrder): void {
    const c = card(o, { link: false });
    tick = c.tick;
    head.replaceChildren(c.el);
  }

  let loading: Promise<void> | null = null;
  let again = false;
  function loadLedger(): void {
    if (loading) {
      again = true;
      return;
    }
    loading = Promise.all([api.ledger(id), thumbs.reload()]).then(
      ([list]) => !disposed && entries.replaceChildren(list.length ? ledgerList(list) : message(t('my.noEntries'))),
      (err: unknown) => !disposed && entries.replaceChildren(message(t('error.load', { msg: errorText(err) }), 'error')),
    ).then(() => {
      loading = null;
      if (again && !disposed) {
        again = false;
        loadLedger();
      }
    });
  }

  const known = store.orders.get(id);
  if (known) render(known);
  else {
    head.replaceChildren(message(t('common.loading')));
    api.workOrder(id).then((o) => !disposed && render(store.orders.get(id) ?? o), (err: unknown) => !disposed && head.replaceChildren(message(t('error.load', { msg: errorText(err) }), 'error')));
  }
  loadLedger();
  kick();
  const timer = setInterval(() => tick?.(), 1000);
  let waiting = pendingFor(id).length;
  const offs = [
    store.on('order', ({ order }) => order.id === id && (render(order), loadLedger())),
    store.on('orders', () => { const o = store.orders.get(id); if (o) render(o); }),
    onQueue(() => {
      const o = store.orders.get(id);
      if (o) render(o);
      const now = pendingFor(id).length;
      if (now < waiting) loadLedger();
      waiting = now;
    }),
  ];
  return {
    unmount() {
      disposed = true;
      clearInterval(timer);
      thumbs.dispose();
      offs.forEach((off) => off());
    },
  };
}

function ledgerList(entries: LedgerEntry[]): HTMLElement {
  return h('ol', { class: 'phone-ledger' }, ...entries.map((e) => h('li', { 'data-testid': `ledger-entry-${e.seq}` },
    h('div', { class: 'muted' }, fmtTime(e.time), ' · ', e.personnel.join('、'), e.tools.length ? ` · ${e.tools.join('、')}` : ''),
    h('div', null, e.result),
    h('div', { class: 'muted' }, t('ledger.safety'), ': ', e.safetyMeasures))));
}
