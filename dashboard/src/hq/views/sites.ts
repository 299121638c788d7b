/**
 * Estates overview (`#/`): one card per estate from `GET /api/sites`, refreshed every 5 s. Comm
 * status with the age of the last event, devices offline, active alarms, open urgent and overdue
 * orders, SLA compliance this month (coloured by threshold) and an open sequence gap. A card links
 * to the orders of its estate.
 */
import { h, setText } from '../../dom.js';
import { fmtTime } from '../../format.js';
import { api, errorText, type SiteSummary } from '../api.js';
import { fmtAgo, fmtPct, hashOf, message, slaLevel, type View } from '../common.js';
import { t } from '../i18n.js';

const REFRESH_MS = 5000;

function metric(label: string, value: string | number, testid: string, alert: boolean, extra?: Record<string, string>): HTMLElement {
  return h(
    'div',
    { class: `metric${alert ? ' metric-alert' : ''}`, 'data-testid': testid, 'data-value': String(value), ...extra },
    h('span', { class: 'metric-value' }, String(value)),
    h('span', { class: 'metric-label' }, label),
  );
}

function cardContent(s: SiteSummary, now: number): HTMLElement[] {
  const comm = h(
    'span',
    { class: 'comm-pill', 'data-comm': s.comm, 'data-testid': `site-comm-${s.site}` },
    t(`comm.${s.comm}`),
  );
  const seen = s.comm === 'never' || !s.lastEventAt ? t('site.neverSeen') : t('site.lastSeen', { ago: fmtAgo(s.lastEventAt, now) });
  const sla = slaLevel(s.slaThisMonth);
  const out: HTMLElement[] = [
    h('div', { class: 'site-head' }, h('span', { class: 'site-name' }, s.name || s.site), comm),
    h('div', { class: 'site-sub muted' }, h('span', { class: 'mono' }, s.code || s.site), h('span', { 'data-testid': `site-seen-${s.site}` }, seen)),
    h(
      'div',
      { class: 'metrics' },
      metric(t('site.devicesOffline'), s.devices ? `${s.devicesOffline}/${s.devices}` : s.devicesOffline, `site-offline-${s.site}`, s.devicesOffline > 0),
      metric(t('site.activeAlarms'), s.activeAlarms, `site-alarms-${s.site}`, s.activeAlarms > 0),
      metric(t('site.urgentOpen'), s.urgentOpen, `site-urgent-${s.site}`, s.urgentOpen > 0),
      metric(t('site.overdue'), s.overdue, `site-overdue-${s.site}`, s.overdue > 0),
    ),
    h(
      'div',
      { class: 'site-sla', 'data-testid': `site-sla-${s.site}`, 'data-level': sla, 'data-value': s.slaThisMonth === null ? '' : String(s.slaThisMonth) },
      h('span', { class: 'muted' }, t('site.slaThisMonth')),
      h('span', { class: 'sla-value' }, fmtPct(s.slaThisMonth)),
    ),
  ];
  if (s.gap) {
    out.push(
      h(
        'div',
        { class: 'site-gap', 'data-testid': `site-gap-${s.site}`, 'data-from': s.gap.from, 'data-to': s.gap.to },
        t('site.gap', { from: s.gap.from, to: s.gap.to, n: Math.max(0, s.gap.to - s.gap.from + 1) }),
      ),
    );
  }
  return out;
}

function status(s: SiteSummary): 'ok' | 'warn' | 'alarm' | 'offline' {
  if (s.comm !== 'online') return 'offline';
  if (s.activeAlarms > 0 || s.overdue > 0) return 'alarm';
  if (s.devicesOffline > 0 || s.urgentOpen > 0 || s.gap) return 'warn';
  return 'ok';
}

export function mountSites(root: HTMLElement): View {
  const summary = h('p', { class: 'summary', 'data-testid': 'sites-summary' });
  const updated = h('span', { class: 'muted small', 'data-testid': 'sites-updated' });
  const grid = h('div', { class: 'site-grid', 'data-testid': 'sites' }, message(t('common.loading')));
  const error = h('p', { class: 'msg error', role: 'alert', 'data-testid': 'sites-error', hidden: true });
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('sites.title')), summary, updated), error, grid);

  const cards = new Map<string, HTMLAnchorElement>();
  let disposed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function render(sites: SiteSummary[]): void {
    const now = Date.now();
    if (!sites.length) {
      cards.clear();
      grid.replaceChildren(message(t('sites.empty')));
      setText(summary, '');
      return;
    }
    const seen = new Set<string>();
    const ordered: HTMLAnchorElement[] = [];
    for (const s of sites) {
      seen.add(s.site);
      let card = cards.get(s.site);
      if (!card) {
        card = h('a', { class: 'site-card', 'data-testid': `site-card-${s.site}`, href: hashOf('/orders', { site: s.site }) });
        cards.set(s.site, card);
      }
      card.dataset.comm = s.comm;
      card.dataset.status = status(s);
      card.title = t('site.openOrders', { name: s.name || s.site });
      card.replaceChildren(...cardContent(s, now));
      ordered.push(card);
    }
    for (const key of [...cards.keys()]) if (!seen.has(key)) cards.delete(key);
    grid.replaceChildren(...ordered);
    const online = sites.filter((s) => s.comm === 'online').length;
    const overdue = sites.reduce((n, s) => n + s.overdue, 0);
    const alarms = sites.reduce((n, s) => n + s.activeAlarms, 0);
    setText(summary, t('sites.summary', { total: sites.length, online, offline: sites.length - online, alarms, overdue }));
  }

  async function load(): Promise<void> {
    try {
      const res = await api.sites();
      if (disposed) return;
      error.hidden = true;
      render(res.sites ?? []);
      setText(updated, t('sites.updated', { time: fmtTime(Date.now()) }));
    } catch (err) {
      if (disposed) return;
      setText(error, t('error.load', { msg: errorText(err) }));
      error.hidden = false;
      if (!cards.size) grid.replaceChildren();
    } finally {
      if (!disposed) timer = setTimeout(() => void load(), REFRESH_MS);
    }
  }
  void load();
  return {
    unmount() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}
