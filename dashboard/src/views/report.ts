/**
 * Monthly service report (`#/report?month=YYYY-MM`, seed 6.x archives and statistics; served by
 * `GET /api/archive/:month`, gateway/archive/): SLA compliance by category, alarms and orders,
 * response and repair times, PM compliance, owner satisfaction and the missed deadlines with their
 * reason. Printable on A4 (./report.css): the frame is hidden, the header carries the estate and
 * month, the footer the generation time. A closed month is the frozen archive copy; the current
 * month is provisional. The Excel workbook of the month downloads with the token (a Blob link).
 */
import './report.css';
import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtNumber } from '../format.js';
import { getLang, t, tn } from '../i18n.js';
import { errorText } from '../live.js';
import type { MonthlyReport } from '../types.js';
import { message, type View } from './common.js';

type Compliance = MonthlyReport['pmCompliance'];
interface MonthEntry { month: string; status: 'open' | 'closed'; sha256: string | null }

const pct = (r: number | null) => (r === null ? t('common.none') : `${(r * 100).toFixed(1)}%`);
const rateCell = (c: Compliance) => (c.due === 0 ? t('common.none') : `${pct(c.rate)} (${c.met}/${c.due})`);
const minutes = (m: number | null) => (m === null ? t('common.none') : `${fmtNumber(m)} ${t('dur.m')}`);
const hours = (v: number | null) => (v === null ? t('common.none') : `${fmtNumber(v)} ${t('dur.h')}`);
/** Minutes as `1时05分` / `1h 05m`. */
function late(mins: number): string {
  const d = Math.floor(mins / 1440);
  const hh = Math.floor((mins % 1440) / 60);
  const mm = mins % 60;
  const sep = getLang() === 'en' ? ' ' : '';
  if (d > 0) return `${d}${t('dur.d')}${sep}${hh}${t('dur.h')}`;
  return hh > 0 ? `${hh}${t('dur.h')}${sep}${String(mm).padStart(2, '0')}${t('dur.m')}` : `${mm}${t('dur.m')}`;
}

/** Times in the estate's zone, `2026-11-03 14:05`. */
function zoneTime(ts: number | null, zone: string): string {
  if (ts === null) return t('common.none');
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    .formatToParts(ts).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

const table = (head: string[], rows: (string | number)[][], testid?: string) =>
  h('table', { class: 'report-table', 'data-testid': testid },
    h('thead', null, h('tr', null, ...head.map((c) => h('th', null, c)))),
    h('tbody', null, ...rows.map((r) => h('tr', null, ...r.map((c) => h('td', null, String(c)))))));

export function mountReport(root: HTMLElement, month: string | null): View {
  const body = h('div', { class: 'report-body' }, message(t('common.loading')));
  root.append(body);
  let disposed = false;

  async function load(): Promise<void> {
    try {
      const list = await api.monthList();
      const months: MonthEntry[] = list.months;
      const chosen = month && /^\d{4}-\d{2}$/.test(month) ? month : (months[0]?.month ?? '');
      const report = await api.monthReport(chosen);
      if (!disposed) body.replaceChildren(...render(report, months));
    } catch (err) {
      if (!disposed) body.replaceChildren(message(t('error.load', { msg: errorText(err) }), 'error'));
    }
  }
  void load();
  return { unmount() { disposed = true; } };
}

async function download(month: string, code: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const blob = await api.monthXlsx(month);
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: `archive-${code}-${month}.xlsx`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } finally {
    button.disabled = false;
  }
}

function render(r: MonthlyReport, months: MonthEntry[]): HTMLElement[] {
  const zone = r.timezone;
  const select = h('select', { 'data-testid': 'report-month', 'aria-label': t('report.month') },
    ...(months.some((m) => m.month === r.month) ? months : [{ month: r.month, status: r.status, sha256: null }, ...months])
      .map((m) => h('option', { value: m.month }, `${m.month}${m.status === 'open' ? ' *' : ''}`)));
  select.value = r.month;
  select.addEventListener('change', () => { location.hash = `#/report?month=${select.value}`; });
  const print = h('button', { type: 'button', class: 'btn', 'data-testid': 'report-print' }, t('report.print'));
  print.addEventListener('click', () => window.print());
  const xlsx = h('button', { type: 'button', class: 'btn', 'data-testid': 'report-xlsx' }, t('report.xlsx'));
  xlsx.addEventListener('click', () => void download(r.month, r.estate.code, xlsx));

  const cats = r.sla.map((s) => [tn('category', s.category), rateCell(s.response), rateCell(s.onSite)]);
  cats.push([t('report.all'), rateCell(r.slaOverall.response), rateCell(r.slaOverall.onSite)]);
  const orderCats = Object.entries(r.incidents.orders.byCategory)
    .map(([c, p]) => [tn('category', c), p.emergency, p.urgent, p.normal, p.total]);
  orderCats.push([t('report.total'), r.incidents.orders.byPriority.emergency, r.incidents.orders.byPriority.urgent, r.incidents.orders.byPriority.normal, r.incidents.orders.total]);
  const alarmRows = [
    ...Object.entries(r.incidents.alarms.byCategory).map(([c, n]) => [tn('category', c), n]),
    ...Object.entries(r.incidents.alarms.bySeverity).map(([s, n]) => [`${t('report.severity')}：${tn('severity', s)}`, n]),
  ];
  const s = r.satisfaction;
  const reason = (m: MonthlyReport['missed'][number]) => [m.cancellation ? t('report.cancelled', { note: m.cancellation }) : null, m.note].filter(Boolean).join(' · ') || t('common.none');

  return [
    h('div', { class: 'page-head no-print' }, h('h1', null, t('report.title')), h('div', { class: 'report-actions' }, select, print, xlsx)),
    h('article', { class: 'report', 'data-testid': 'report', 'data-month': r.month, 'data-status': r.status },
      h('header', { class: 'report-header', 'data-testid': 'report-header' },
        h('div', null, h('div', { class: 'report-estate' }, `${r.estate.name}（${r.estate.code}）`), h('h2', null, `${t('report.title')} · ${r.month}`)),
        h('div', { class: `report-status report-${r.status}`, 'data-testid': 'report-status' },
          r.provisional ? t('report.provisional') : t('report.closed', { sha: (months.find((m) => m.month === r.month)?.sha256 ?? '').slice(0, 12) }))),
      h('section', { class: 'report-section', 'data-testid': 'report-sla' }, h('h3', null, t('report.sla')),
        table([t('report.category'), t('report.response'), t('report.onSite')], cats)),
      h('section', { class: 'report-section', 'data-testid': 'report-incidents' }, h('h3', null, t('report.incidents')),
        h('div', { class: 'report-cols' },
          h('div', null, h('h4', null, t('report.orders', { n: r.incidents.orders.total, c: r.incidents.orders.cancelled })),
            table([t('report.category'), tn('priority', 'emergency'), tn('priority', 'urgent'), tn('priority', 'normal'), t('report.total')], orderCats)),
          h('div', null, h('h4', null, t('report.alarms', { n: r.incidents.alarms.total })),
            alarmRows.length ? table([t('report.category'), t('report.count')], alarmRows) : message(t('common.none'))))),
      h('section', { class: 'report-section report-figures', 'data-testid': 'report-times' }, h('h3', null, t('report.times')),
        h('dl', null,
          h('dt', null, t('report.meanResponse')), h('dd', null, minutes(r.times.meanResponseMinutes)),
          h('dt', null, t('report.medianResponse')), h('dd', null, minutes(r.times.medianResponseMinutes)),
          h('dt', null, t('report.p90Response')), h('dd', null, minutes(r.times.p90ResponseMinutes)),
          h('dt', null, t('report.mttr')), h('dd', null, hours(r.times.mttrHours)))),
      h('section', { class: 'report-section report-figures', 'data-testid': 'report-pm' }, h('h3', null, t('report.pm')),
        h('dl', null, h('dt', null, pct(r.pmCompliance.rate)), h('dd', null, t('report.pmDetail', { met: r.pmCompliance.met, due: r.pmCompliance.due })))),
      h('section', { class: 'report-section report-figures', 'data-testid': 'report-satisfaction' }, h('h3', null, t('report.satisfaction')),
        s.rated === 0 ? message(t('report.noRatings')) : h('dl', null,
          h('dt', null, t('report.meanRating')), h('dd', null, `${fmtNumber(s.meanRating ?? 0)} / 5`),
          h('dt', null, t('report.shareRated')), h('dd', null, `${pct(s.shareRated)} · ${t('report.ratedOf', { rated: s.rated, closed: s.closed })}`))),
      h('section', { class: 'report-section page-break', 'data-testid': 'report-missed' }, h('h3', null, t('report.missed')),
        r.missed.length ? table(
          [t('report.order'), t('report.category'), t('report.deadline'), t('report.due'), t('report.late'), t('report.escalated'), t('report.reason')],
          r.missed.map((m) => [`${m.number} ${m.title}`, tn('category', m.category), t(`report.deadline.${m.deadline}`), zoneTime(m.dueAt, zone), late(m.lateMinutes),
            m.escalatedAt === null ? t('report.notEscalated') : zoneTime(m.escalatedAt, zone), reason(m)]),
          'report-missed-table') : message(t('report.noMissed'))),
      h('footer', { class: 'report-footer', 'data-testid': 'report-footer' },
        `${r.estate.name}（${r.estate.code}）· ${r.month} · ${t('report.generatedAt', { t: zoneTime(r.generatedAt, zone), tz: zone })}`)),
  ];
}
