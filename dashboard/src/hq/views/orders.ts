/**
 * Orders across all estates (`#/orders?site=&category=&state=&overdue=`): filters kept in the hash,
 * a table that turns into cards on a phone, a link to each order on its estate's own dashboard.
 * Service-desk users (hq-desk, hq-admin) also get "New request" (for one estate) and "Reassign";
 * both are commands the estate applies later: shown as pending and polled until applied or refused.
 */
import { isOpen } from '../../../../gateway/core/model.js';
import { h, setAttr, setText } from '../../dom.js';
import { fmtDuration, fmtTime } from '../../format.js';
import { api, errorText, type HqOrder, type SiteSummary } from '../api.js';
import { isDesk } from '../auth.js';
import { CATEGORIES, categoryName, CommandTracker, faultNameOf, hashOf, message, STATES, type View } from '../common.js';
import { t, tn } from '../i18n.js';

const PAGE = 100;

interface Filters {
  site: string;
  category: string;
  state: string;
  overdue: boolean;
}

function filtersOf(p: URLSearchParams): Filters {
  return { site: p.get('site') ?? '', category: p.get('category') ?? '', state: p.get('state') ?? '', overdue: p.get('overdue') === 'true' };
}

/** Only http(s) links from the wire become hrefs. */
function safeUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** The deadline that matters now: respond-by until responded, then on-site-by until on site. */
function deadlineOf(o: HqOrder): { kind: 'respond' | 'onsite'; at: number } | null {
  if (!isOpen(o.status)) return null;
  if (!o.respondedAt && o.respondBy) return { kind: 'respond', at: o.respondBy };
  if (!o.onSiteAt && o.onSiteBy) return { kind: 'onsite', at: o.onSiteBy };
  return null;
}

function option(value: string, label: string): HTMLOptionElement {
  return h('option', { value }, label);
}

export function mountOrders(root: HTMLElement, params: URLSearchParams): View {
  let filters = filtersOf(params);
  let offset = 0;
  let sites: SiteSummary[] = [];
  let disposed = false;
  let loadSeq = 0;
  const desk = isDesk();
  const ticks: (() => void)[] = [];
  const extraCategories = new Set<string>();

  const siteName = (id: string) => sites.find((s) => s.site === id)?.name || id;

  // Filters
  const fSite = h('select', { 'data-testid': 'filter-site', id: 'filter-site' });
  const fCategory = h('select', { 'data-testid': 'filter-category', id: 'filter-category' });
  const fState = h('select', { 'data-testid': 'filter-state', id: 'filter-state' });
  const fOverdue = h('input', { type: 'checkbox', 'data-testid': 'filter-overdue', id: 'filter-overdue' });
  const clear = h('a', { href: '#/orders', class: 'btn btn-quiet', 'data-testid': 'filter-clear' }, t('orders.clearFilters'));
  const pushFilters = (next: Partial<Filters>) => {
    const f = { ...filters, ...next };
    location.hash = hashOf('/orders', { site: f.site, category: f.category, state: f.state, overdue: f.overdue });
  };
  fSite.addEventListener('change', () => pushFilters({ site: fSite.value }));
  fCategory.addEventListener('change', () => pushFilters({ category: fCategory.value }));
  fState.addEventListener('change', () => pushFilters({ state: fState.value }));
  fOverdue.addEventListener('change', () => pushFilters({ overdue: fOverdue.checked }));

  function fillSelects(): void {
    const siteOpts = [option('', t('orders.allSites')), ...sites.map((s) => option(s.site, s.name || s.site))];
    if (filters.site && !sites.some((s) => s.site === filters.site)) siteOpts.push(option(filters.site, filters.site));
    fSite.replaceChildren(...siteOpts);
    fSite.value = filters.site;
    const cats = [...CATEGORIES, ...[...extraCategories].filter((c) => !CATEGORIES.includes(c))];
    if (filters.category && !cats.includes(filters.category)) cats.push(filters.category);
    fCategory.replaceChildren(option('', t('orders.allCategories')), ...cats.map((c) => option(c, categoryName(c))));
    fCategory.value = filters.category;
    const states = filters.state && !STATES.includes(filters.state) ? [...STATES, filters.state] : STATES;
    fState.replaceChildren(option('', t('orders.allStates')), ...states.map((s) => option(s, tn('status', s))));
    fState.value = filters.state;
    fOverdue.checked = filters.overdue;
    if (desk) fillRequestSites();
  }

  const filterBar = h(
    'div',
    { class: 'filter-bar', 'data-testid': 'orders-filters' },
    h('label', { class: 'field' }, h('span', null, t('orders.site')), fSite),
    h('label', { class: 'field' }, h('span', null, t('orders.category')), fCategory),
    h('label', { class: 'field' }, h('span', null, t('orders.state')), fState),
    h('label', { class: 'check' }, fOverdue, ' ', t('orders.overdueOnly')),
    clear,
  );

  // Commands (new requests, reassignments) and their outcome
  const tracker = new CommandTracker(() => void load());

  // New request (service desk)
  const reqSite = h('select', { 'data-testid': 'new-request-site', id: 'new-request-site', required: true });
  const reqTitle = h('input', { type: 'text', 'data-testid': 'new-request-title', id: 'new-request-title', required: true, maxlength: 200 });
  const reqCategory = h('select', { 'data-testid': 'new-request-category', id: 'new-request-category' }, ...CATEGORIES.map((c) => option(c, categoryName(c))));
  const reqDevice = h('input', { type: 'text', 'data-testid': 'new-request-device', id: 'new-request-device', placeholder: t('request.devicePlaceholder') });
  const reqDesc = h('textarea', { 'data-testid': 'new-request-description', id: 'new-request-description', rows: 3, maxlength: 2000 });
  const reqError = h('p', { class: 'msg error', role: 'alert', 'data-testid': 'new-request-error', hidden: true });
  const reqSubmit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'new-request-submit' }, t('request.submit'));
  const reqCancel = h('button', { type: 'button', class: 'btn', 'data-testid': 'new-request-cancel' }, t('common.cancel'));
  const reqForm = h(
    'form',
    { class: 'card request-form', 'data-testid': 'new-request-form', hidden: true },
    h('h2', null, t('request.title')),
    h('div', { class: 'form-grid' },
      h('label', { class: 'field', for: 'new-request-site' }, h('span', null, t('request.site')), reqSite),
      h('label', { class: 'field', for: 'new-request-category' }, h('span', null, t('request.category')), reqCategory),
      h('label', { class: 'field wide', for: 'new-request-title' }, h('span', null, t('request.titleField')), reqTitle),
      h('label', { class: 'field', for: 'new-request-device' }, h('span', null, t('request.device')), reqDevice),
      h('label', { class: 'field wide', for: 'new-request-description' }, h('span', null, t('request.description')), reqDesc)),
    reqError,
    h('div', { class: 'actions' }, reqSubmit, reqCancel),
  );
  const reqOpen = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'new-request-open', hidden: !desk }, t('request.open'));
  reqOpen.addEventListener('click', () => {
    reqForm.hidden = false;
    reqOpen.hidden = true;
    if (filters.site) reqSite.value = filters.site;
    reqTitle.focus();
  });
  reqCancel.addEventListener('click', () => {
    reqForm.hidden = true;
    reqOpen.hidden = false;
    reqError.hidden = true;
  });
  function fillRequestSites(): void {
    const keep = reqSite.value || filters.site;
    reqSite.replaceChildren(option('', t('request.chooseSite')), ...sites.map((s) => option(s.site, s.name || s.site)));
    reqSite.value = sites.some((s) => s.site === keep) ? keep : '';
  }
  reqForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const site = reqSite.value;
    const title = reqTitle.value.trim();
    if (!site || !title) {
      setText(reqError, t('request.missing'));
      reqError.hidden = false;
      return;
    }
    reqSubmit.disabled = true;
    reqError.hidden = true;
    const device = reqDevice.value.trim();
    const description = reqDesc.value.trim();
    api
      .newRequest(site, { title, category: reqCategory.value, ...(device ? { device } : {}), ...(description ? { description } : {}) })
      .then(
        (res) => {
          if (disposed) return;
          tracker.track(res.command, t('command.request', { site: siteName(site), title }));
          reqTitle.value = '';
          reqDevice.value = '';
          reqDesc.value = '';
          reqForm.hidden = true;
          reqOpen.hidden = false;
        },
        (err: unknown) => {
          if (disposed) return;
          setText(reqError, t('error.action', { msg: errorText(err) }));
          reqError.hidden = false;
        },
      )
      .finally(() => (reqSubmit.disabled = false));
  });

  // Table
  const head = (key: Parameters<typeof t>[0]) => h('th', null, t(key));
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'data resp orders-table', 'data-testid': 'orders-table' },
    h('thead', null, h('tr', null, head('orders.site'), head('orders.number'), head('orders.titleCol'), head('orders.category'), head('orders.priority'), head('orders.state'), head('orders.deadline'), head('orders.assignee'), h('th', null, h('span', { class: 'sr-only' }, t('orders.actions'))))),
    tbody,
  );
  const listBox = h('div', { class: 'table-wrap card' }, table);
  const empty = h('div', { 'data-testid': 'orders-empty' });
  const totalEl = h('p', { class: 'summary', 'data-testid': 'orders-total' });
  const prev = h('button', { type: 'button', class: 'btn', 'data-testid': 'orders-prev' }, t('orders.prev'));
  const next = h('button', { type: 'button', class: 'btn', 'data-testid': 'orders-next' }, t('orders.next'));
  const pageInfo = h('span', { class: 'muted', 'data-testid': 'orders-page' });
  const pager = h('div', { class: 'pager', hidden: true }, prev, pageInfo, next);
  prev.addEventListener('click', () => ((offset = Math.max(0, offset - PAGE)), void load()));
  next.addEventListener('click', () => ((offset += PAGE), void load()));
  const refresh = h('button', { type: 'button', class: 'btn', 'data-testid': 'orders-refresh' }, t('common.refresh'));
  refresh.addEventListener('click', () => void load());
  const error = h('p', { class: 'msg error', role: 'alert', 'data-testid': 'orders-error', hidden: true });

  root.append(
    h('div', { class: 'page-head' }, h('h1', null, t('orders.title')), totalEl, h('div', { class: 'head-actions' }, refresh, reqOpen)),
    reqForm,
    tracker.el,
    filterBar,
    error,
    empty,
    listBox,
    pager,
  );

  function cell(label: string, child: Node | string, cls?: string): HTMLTableCellElement {
    return h('td', { 'data-label': label, class: cls }, child);
  }

  function row(o: HqOrder): HTMLTableRowElement {
    const dl = deadlineOf(o);
    const dlText = h('span', { class: 'sla', 'data-testid': 'order-deadline' });
    const tick = () => {
      if (!dl) {
        setText(dlText, t('common.none'));
        setAttr(dlText, 'data-sla', 'none');
        return;
      }
      const left = dl.at - Date.now();
      setAttr(dlText, 'data-sla', left < 0 ? 'overdue' : left < 10 * 60_000 ? 'warn' : 'running');
      setText(dlText, `${t(dl.kind === 'respond' ? 'orders.respondBy' : 'orders.onSiteBy')} ${fmtTime(dl.at)} · ${left < 0 ? t('orders.late', { d: fmtDuration(left) }) : t('orders.left', { d: fmtDuration(left) })}`);
    };
    tick();
    ticks.push(tick);
    const overdue = o.overdue ? h('span', { class: 'overdue-badge', 'data-testid': 'order-overdue' }, t('orders.overdue')) : null;

    const actions = h('div', { class: 'actions' });
    const href = safeUrl(o.url);
    if (href) actions.append(h('a', { class: 'btn', href, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'order-open-estate' }, t('orders.openInEstate')));
    if (desk && isOpen(o.status)) {
      const input = h('input', { type: 'text', class: 'assign-input', 'data-testid': 'reassign-input', placeholder: t('orders.assigneePlaceholder'), value: o.assignee ?? '', 'aria-label': t('orders.assignee') });
      const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'reassign-submit' }, t('orders.reassignSend'));
      const cancel = h('button', { type: 'button', class: 'btn', 'data-testid': 'reassign-cancel' }, t('common.cancel'));
      const form = h('form', { class: 'reassign', 'data-testid': 'reassign-form', hidden: true }, input, submit, cancel);
      const open = h('button', { type: 'button', class: 'btn', 'data-testid': 'order-reassign' }, t('orders.reassign'));
      open.addEventListener('click', () => {
        form.hidden = false;
        open.hidden = true;
        input.focus();
        input.select();
      });
      cancel.addEventListener('click', () => {
        form.hidden = true;
        open.hidden = false;
      });
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const assignee = input.value.trim();
        if (!assignee) return input.focus();
        submit.disabled = true;
        api.assign(o.id, assignee).then(
          (res) => {
            if (disposed) return;
            tracker.track(res.command, t('command.assign', { number: o.number, assignee }));
            form.hidden = true;
            open.hidden = false;
            submit.disabled = false;
          },
          (err: unknown) => {
            submit.disabled = false;
            tracker.fail(t('command.assign', { number: o.number, assignee }), errorText(err));
          },
        );
      });
      actions.append(open, form);
    }

    const ended = !isOpen(o.status);
    return h(
      'tr',
      { class: `order${ended ? ' ended' : ''}${o.overdue ? ' row-overdue' : ''}`, 'data-testid': `orders-row-${o.number}`, 'data-status': o.status, 'data-site': o.site, 'data-overdue': String(o.overdue), 'data-priority': o.priority },
      cell(t('orders.site'), siteName(o.site)),
      cell(t('orders.number'), h('span', { class: 'mono nowrap' }, o.number)),
      cell(t('orders.titleCol'), h('div', null, h('div', null, o.title), o.device || o.fault ? h('div', { class: 'sub muted' }, [o.device, o.fault ? faultNameOf({ equipment: o.equipment, fault: o.fault }) : null].filter(Boolean).join(' · ')) : null), 'title-cell'),
      cell(t('orders.category'), categoryName(o.category), 'nowrap'),
      cell(t('orders.priority'), h('span', { class: `prio prio-${o.priority}` }, tn('priority', o.priority))),
      cell(t('orders.state'), h('span', { class: `wo-status wo-${o.status}` }, tn('status', o.status))),
      cell(t('orders.deadline'), h('div', { class: 'deadline' }, overdue, dlText)),
      cell(t('orders.assignee'), o.assignee || t('common.none')),
      h('td', { class: 'actions-cell' }, actions),
    );
  }

  async function load(): Promise<void> {
    const seq = ++loadSeq;
    refresh.disabled = true;
    try {
      const res = await api.orders({ site: filters.site || undefined, category: filters.category || undefined, state: filters.state || undefined, overdue: filters.overdue || undefined, limit: PAGE, offset });
      if (disposed || seq !== loadSeq) return;
      error.hidden = true;
      const orders = res.orders ?? [];
      let added = false;
      for (const o of orders) {
        if (!CATEGORIES.includes(o.category) && !extraCategories.has(o.category)) {
          extraCategories.add(o.category);
          added = true;
        }
      }
      if (added) fillSelects();
      ticks.length = 0;
      tbody.replaceChildren(...orders.map(row));
      listBox.hidden = orders.length === 0;
      empty.replaceChildren(orders.length ? '' : message(t('orders.empty')));
      const total = typeof res.total === 'number' ? res.total : orders.length;
      setText(totalEl, t('orders.total', { n: total }));
      totalEl.dataset.total = String(total);
      pager.hidden = total <= PAGE && offset === 0;
      prev.disabled = offset === 0;
      next.disabled = offset + orders.length >= total;
      setText(pageInfo, orders.length ? t('orders.range', { from: offset + 1, to: offset + orders.length, total }) : '');
    } catch (err) {
      if (disposed || seq !== loadSeq) return;
      setText(error, t('error.load', { msg: errorText(err) }));
      error.hidden = false;
    } finally {
      if (seq === loadSeq) refresh.disabled = false;
    }
  }

  fillSelects();
  void load();
  api.sites().then(
    (res) => {
      if (disposed) return;
      sites = res.sites ?? [];
      fillSelects();
      // Estate names arrive after the first page of orders: redraw the rows with them.
      void load();
    },
    () => {
      // names stay as ids; the orders themselves still load
    },
  );
  const ticker = setInterval(() => {
    for (const fn of ticks) fn();
  }, 15_000);

  return {
    update(p) {
      filters = filtersOf(p);
      offset = 0;
      fillSelects();
      void load();
    },
    unmount() {
      disposed = true;
      clearInterval(ticker);
      tracker.dispose();
    },
  };
}
