/**
 * KPIs (`#/kpis`, seed 5.x): SLA compliance overall and per category, mean time to respond, MTTR,
 * MTBF per device, backlog by priority, PM compliance, repeat failures, over 7 / 30 / 90 days
 * (`/api/kpis`). Bars are plain CSS: no chart library on this page.
 */
import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtNumber } from '../format.js';
import { t, tn } from '../i18n.js';
import { errorText } from '../live.js';
import { store } from '../store.js';
import type { KpiReport } from '../types.js';
import { message, type View } from './common.js';

const DAY = 86_400_000;
let days = 30;

type Compliance = KpiReport['pmCompliance'];
const pct = (c: Compliance) => (c.rate === null ? t('common.none') : `${Math.round(c.rate * 100)}%`);

function bar(value: number | null, max: number, label: string, testid?: string): HTMLElement {
  const w = value === null || max <= 0 ? 0 : Math.min(100, (value / max) * 100);
  return h('div', { class: 'bar-row', 'data-testid': testid }, h('span', { class: 'bar-label' }, label), h('span', { class: 'bar' }, h('span', { class: 'bar-fill', style: `width:${w.toFixed(1)}%` })), h('span', { class: 'bar-value' }, value === null ? t('common.none') : fmtNumber(value)));
}

export function mountKpis(root: HTMLElement): View {
  const body = h('div', { class: 'kpi-body', 'data-testid': 'kpis' }, message(t('common.loading')));
  const select = h('select', { 'data-testid': 'kpis-range' }, ...[7, 30, 90].map((d) => h('option', { value: d }, t('kpis.days', { n: d }))));
  select.value = String(days);
  select.addEventListener('change', () => ((days = Number(select.value)), void load()));
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('kpis.title')), select), body);
  let disposed = false;

  async function load(): Promise<void> {
    const to = Date.now();
    try {
      const k = await api.kpis(to - days * DAY, to);
      if (!disposed) body.replaceChildren(...render(k));
    } catch (err) {
      if (!disposed) body.replaceChildren(message(t('error.load', { msg: errorText(err) }), 'error'));
    }
  }
  void load();
  const timer = setInterval(() => void load(), 60_000);
  return {
    unmount() {
      disposed = true;
      clearInterval(timer);
    },
  };
}

function render(k: KpiReport): HTMLElement[] {
  const tile = (label: string, value: string, id: string) => h('div', { class: 'kpi-tile', 'data-testid': `kpi-${id}` }, h('div', { class: 'kpi-value' }, value), h('div', { class: 'muted' }, label));
  const num = (v: number | null, unit: string) => (v === null ? t('common.none') : `${fmtNumber(v)} ${unit}`);
  const cats = Object.entries(k.sla);
  const mtbf = Object.entries(k.mtbfHours);
  const maxMtbf = Math.max(0, ...mtbf.map(([, m]) => m.mtbfHours ?? 0));
  const maxBacklog = Math.max(1, k.backlog.emergency, k.backlog.urgent, k.backlog.normal);
  return [
    h('div', { class: 'kpi-tiles' },
      tile(t('kpis.responseSla'), pct(k.slaOverall.response), 'sla-response'),
      tile(t('kpis.onSiteSla'), pct(k.slaOverall.onSite), 'sla-onsite'),
      tile(t('kpis.mttRespond'), num(k.meanTimeToRespondMinutes, t('dur.m')), 'mtt-respond'),
      tile(t('kpis.mttr'), num(k.mttrHours, t('dur.h')), 'mttr'),
      tile(t('kpis.backlog'), String(k.backlog.total), 'backlog'),
      tile(t('kpis.pm'), pct(k.pmCompliance), 'pm'),
      tile(t('kpis.orders'), String(k.orders.total), 'orders'),
      tile(t('kpis.repeat'), k.repeatFailureRate === null ? t('common.none') : `${Math.round(k.repeatFailureRate * 100)}%`, 'repeat'),
      // Owners' feedback (seed 2.3): mean rating and the share of closed requests rated.
      tile(t('kpis.rating'), k.satisfaction.meanRating === null ? t('common.none') : fmtNumber(k.satisfaction.meanRating), 'rating'),
      tile(t('kpis.rated'), k.satisfaction.ratedShare === null ? t('common.none') : `${Math.round(k.satisfaction.ratedShare * 100)}%`, 'rated')),
    h('div', { class: 'kpi-grid' },
      h('section', { class: 'card' }, h('h2', null, t('kpis.slaByCategory')),
        cats.length ? h('div', null, ...cats.map(([c, s]) => bar(s.response.rate === null ? null : Math.round(s.response.rate * 100), 100, `${tn('category', c)} (${s.response.met}/${s.response.due})`, `kpi-sla-${c}`))) : message(t('common.none'))),
      h('section', { class: 'card' }, h('h2', null, t('kpis.backlogByPriority')),
        ...(['emergency', 'urgent', 'normal'] as const).map((p) => bar(k.backlog[p], maxBacklog, tn('priority', p)))),
      h('section', { class: 'card' }, h('h2', null, t('kpis.mtbf')),
        mtbf.length ? h('div', null, ...mtbf.map(([d, m]) => bar(m.mtbfHours, maxMtbf, `${store.deviceName(d)} (${m.failures})`))) : message(t('common.none'))),
      h('section', { class: 'card' }, h('h2', null, t('kpis.ratingByCategory')),
        ...(Object.keys(k.satisfaction.byCategory).length
          ? Object.entries(k.satisfaction.byCategory).map(([c, s]) => bar(s.meanRating, 5, `${tn('category', c)} (${s.rated}/${s.closed})`, `kpi-rating-${c}`))
          : [message(t('common.none'))]))),
  ];
}
