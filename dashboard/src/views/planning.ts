/**
 * Maintenance planning (`#/planning`): preventive plans with due dates (`/api/predict/plans`) and
 * PM compliance, health scores per device (`/api/predict/health`) and failure forecasts
 * (`/api/predict/forecasts`). Refreshed every minute.
 */
import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtDuration, fmtNumber, fmtTime } from '../format.js';
import { t, tn } from '../i18n.js';
import { errorText } from '../live.js';
import { store } from '../store.js';
import type { Health, Plan, PmCompliance } from '../types.js';
import { message, type View } from './common.js';
import { forecastTable, healthBadge } from './predict-common.js';

const DAY = 86_400_000;

export function mountPlanning(root: HTMLElement): View {
  const plansBox = h('div', { 'data-testid': 'plans' }, message(t('common.loading')));
  const healthBox = h('div', { 'data-testid': 'health-scores' }, message(t('common.loading')));
  const forecastBox = h('div', { 'data-testid': 'forecasts' }, message(t('common.loading')));
  root.append(
    h('div', { class: 'page-head' }, h('h1', null, t('planning.title'))),
    h('div', { class: 'planning-grid' },
      h('section', { class: 'card wide' }, h('h2', null, t('planning.plans')), plansBox),
      h('section', { class: 'card' }, h('h2', null, t('planning.health')), healthBox),
      h('section', { class: 'card' }, h('h2', null, t('planning.forecasts')), forecastBox)),
  );
  let disposed = false;

  async function load(): Promise<void> {
    const [plans, compliance, health, forecasts] = await Promise.allSettled([api.plans(), api.pmCompliance(), api.health(), api.forecasts()]);
    if (disposed) return;
    const fail = (r: PromiseRejectedResult) => message(t('error.load', { msg: errorText(r.reason) }), 'error');
    plansBox.replaceChildren(plans.status === 'fulfilled' ? plansTable(plans.value, compliance.status === 'fulfilled' ? compliance.value : null) : fail(plans));
    healthBox.replaceChildren(health.status === 'fulfilled' ? healthTable(health.value) : fail(health));
    forecastBox.replaceChildren(forecasts.status === 'fulfilled' ? forecastTable(forecasts.value, true) : fail(forecasts));
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

function plansTable(plans: Plan[], c: PmCompliance | null): HTMLElement {
  const now = Date.now();
  const sorted = [...plans].sort((a, b) => (a.dueAt ?? Infinity) - (b.dueAt ?? Infinity));
  const summary = c ? h('p', { class: 'muted', 'data-testid': 'pm-compliance' }, t('planning.compliance', { pct: c.compliance === null ? t('common.none') : `${Math.round(c.compliance * 100)}%`, due: c.due, met: c.onTime })) : null;
  if (plans.length === 0) return h('div', null, summary, message(t('planning.noPlans')));
  return h('div', null, summary, h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
    h('thead', null, h('tr', null, h('th', null, t('orders.device')), h('th', null, t('planning.plan')), h('th', null, t('planning.every')), h('th', null, t('planning.lastDone')), h('th', null, t('planning.due')), h('th', null, t('planning.open')))),
    h('tbody', null, ...sorted.map((p) => {
      const overdue = p.dueAt !== null ? p.dueAt < now : p.dueUnits !== null && p.meterNow !== null && p.meterNow > p.dueUnits;
      const soon = p.dueAt !== null && !overdue && p.dueAt - now < 3 * DAY;
      const due = p.kind === 'calendar' ? (p.dueAt ? `${fmtTime(p.dueAt)} (${p.dueAt < now ? t('orders.overdue', { d: fmtDuration(now - p.dueAt) }) : t('orders.left', { d: fmtDuration(p.dueAt - now) })})` : t('common.none'))
        : p.dueUnits !== null ? `${fmtNumber(p.dueUnits)} ${tn('meter', p.meter ?? '')} (${t('planning.now', { v: fmtNumber(p.meterNow ?? 0) })})` : t('common.none');
      return h('tr', { 'data-testid': `plan-${p.plan}-${p.device}`, class: overdue ? 'row-alert' : soon ? 'row-warn' : '', 'data-overdue': String(overdue) },
        h('td', null, h('a', { href: `#/device/${encodeURIComponent(p.device)}` }, store.deviceName(p.device))),
        h('td', null, p.title, h('span', { class: 'raw' }, p.plan)),
        h('td', { class: 'nowrap' }, p.kind === 'calendar' ? fmtDuration(p.every) : `${fmtNumber(p.every)} ${tn('meter', p.meter ?? '')}`),
        h('td', { class: 'nowrap' }, p.kind === 'calendar' ? fmtTime(p.lastDoneAt) : p.lastDoneUnits !== null ? fmtNumber(p.lastDoneUnits) : t('common.none')),
        h('td', null, due),
        h('td', null, p.open ? t('common.yes') : t('common.no')));
    })))));
}

function healthTable(list: Health[]): HTMLElement {
  if (list.length === 0) return message(t('predict.noHealth'));
  const sorted = [...list].sort((a, b) => (a.score ?? 101) - (b.score ?? 101));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
    h('thead', null, h('tr', null, h('th', null, t('orders.device')), h('th', null, t('planning.score')), h('th', null, t('planning.driver')))),
    h('tbody', null, ...sorted.map((x) => h('tr', { 'data-testid': `health-${x.device}` },
      h('td', null, h('a', { href: `#/device/${encodeURIComponent(x.device)}` }, store.deviceName(x.device))),
      h('td', null, healthBadge(x.score, x.learning)),
      h('td', { class: 'sub' }, x.drivers[0] ? `${x.drivers[0].indicator}: ${x.drivers[0].reasons.join('; ')}` : ''))))));
}
