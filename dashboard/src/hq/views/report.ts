/**
 * Monthly report (`#/report?month=`): every KPI per estate and the company totals from
 * `GET /api/report`, laid out for printing; CSV from `/api/report.csv` (fetched with the token).
 */
import { h, setText } from '../../dom.js';
import { localeTag } from '../../shared/lang.js';
import { api, errorText, type Report, type ReportFigures } from '../api.js';
import { currentMonth, fmtKpi, hashOf, latestLoader, message, monthParam, slaLevel, validMonth, type View } from '../common.js';
import { t, type HqKey } from '../i18n.js';

const COLUMNS: { key: keyof ReportFigures; label: HqKey }[] = [
  { key: 'orders', label: 'report.orders' },
  { key: 'slaCompliance', label: 'kpi.sla' },
  { key: 'meanResponseMin', label: 'kpi.response' },
  { key: 'mttrH', label: 'kpi.mttr' },
  { key: 'overdue', label: 'kpi.overdue' },
  { key: 'backlog', label: 'kpi.backlog' },
  { key: 'satisfaction', label: 'kpi.satisfaction' },
  { key: 'escalations', label: 'report.escalations' },
];

function figureCells(f: ReportFigures | undefined, prefix: string): HTMLTableCellElement[] {
  return COLUMNS.map((c) => {
    const v = f?.[c.key];
    const value = typeof v === 'number' ? v : null;
    return h(
      'td',
      { class: 'num', 'data-label': t(c.label), 'data-testid': `${prefix}-${c.key}`, ...(c.key === 'slaCompliance' ? { 'data-level': slaLevel(value) } : {}) },
      h('span', { class: 'kpi-cell' }, fmtKpi(c.key, value)),
    );
  });
}

export function mountReport(root: HTMLElement, params: URLSearchParams): View {
  let month = monthParam(params);

  const title = h('h1', { 'data-testid': 'report-title' });
  const monthInput = h('input', { type: 'month', 'data-testid': 'report-month', id: 'report-month', max: currentMonth() });
  monthInput.addEventListener('change', () => {
    if (validMonth(monthInput.value)) location.hash = hashOf('/report', { month: monthInput.value });
  });
  const back = h('a', { class: 'back no-print', 'data-testid': 'report-back' }, t('report.back'));
  const print = h('button', { type: 'button', class: 'btn', 'data-testid': 'report-print' }, t('report.print'));
  print.addEventListener('click', () => window.print());
  const csv = h('a', { class: 'btn btn-primary', 'data-testid': 'report-csv' }, t('report.csv'));
  const csvError = h('p', { class: 'msg error no-print', role: 'alert', 'data-testid': 'report-csv-error', hidden: true });
  csv.addEventListener('click', (ev) => {
    ev.preventDefault();
    csvError.hidden = true;
    api.download(`/api/report.csv?month=${encodeURIComponent(month)}`, `report-${month}.csv`).catch((err: unknown) => {
      setText(csvError, t('error.action', { msg: errorText(err) }));
      csvError.hidden = false;
    });
  });
  const generated = h('p', { class: 'muted small print-only' });
  const body = h('div', { 'data-testid': 'report' }, message(t('common.loading')));

  root.append(
    back,
    h('div', { class: 'page-head' }, title, h('div', { class: 'head-actions no-print' }, h('label', { class: 'field inline', for: 'report-month' }, h('span', null, t('ranking.month')), monthInput), print, csv)),
    csvError,
    generated,
    body,
  );

  function render(r: Report): HTMLElement {
    const sites = r.sites ?? [];
    if (!sites.length && !r.company) return message(t('report.empty'));
    const head = h('tr', null, h('th', null, t('orders.site')), ...COLUMNS.map((c) => h('th', { class: 'num' }, t(c.label))));
    return h(
      'div',
      { class: 'table-wrap card report-table' },
      h(
        'table',
        { class: 'data resp' },
        h('thead', null, head),
        h('tbody', null, ...sites.map((s) => h('tr', { 'data-testid': `report-row-${s.site}` }, h('td', { 'data-label': t('orders.site') }, s.name || s.site), ...figureCells(s, `report-${s.site}`)))),
        r.company ? h('tfoot', null, h('tr', { 'data-testid': 'report-company', class: 'total' }, h('td', { 'data-label': '' }, t('report.company')), ...figureCells(r.company, 'report-company'))) : null,
      ),
    );
  }

  const loader = latestLoader(body, () => api.report(month), (r) => {
    setText(generated, t('report.generated', { time: new Date().toLocaleString(localeTag(), { hour12: false }) }));
    return render(r);
  });
  function load(): void {
    monthInput.value = month;
    back.href = hashOf('/ranking', { month });
    csv.href = `/api/report.csv?month=${encodeURIComponent(month)}`;
    setText(title, t('report.title', { month }));
    document.title = `${t('report.title', { month })} · ${t('app.title')}`;
    void loader.load();
  }
  load();
  return {
    update(p) {
      month = monthParam(p);
      load();
    },
    unmount() {
      loader.dispose();
      document.title = t('app.title');
    },
  };
}
