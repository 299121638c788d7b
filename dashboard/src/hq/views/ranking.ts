/**
 * Ranking (`#/ranking?kpi=&month=`): the estates ordered by one KPI for a month
 * (`GET /api/ranking`), a link to the monthly report. Each estate links to its orders.
 */
import { h, setText } from '../../dom.js';
import { api, type Ranking, type RankingKpi } from '../api.js';
import { currentMonth, fmtKpi, hashOf, latestLoader, message, monthParam, slaLevel, validMonth, type View } from '../common.js';
import { t } from '../i18n.js';

export const KPIS: RankingKpi[] = ['sla', 'response', 'mttr', 'overdue', 'backlog', 'satisfaction'];

function kpiOf(p: URLSearchParams): RankingKpi {
  const k = p.get('kpi');
  return KPIS.find((x) => x === k) ?? 'sla';
}

export function mountRanking(root: HTMLElement, params: URLSearchParams): View {
  let kpi = kpiOf(params);
  let month = monthParam(params);

  const kpiSelect = h('select', { 'data-testid': 'ranking-kpi', id: 'ranking-kpi' }, ...KPIS.map((k) => h('option', { value: k }, t(`kpi.${k}`))));
  const monthInput = h('input', { type: 'month', 'data-testid': 'ranking-month', id: 'ranking-month', max: currentMonth(), required: true });
  const report = h('a', { class: 'btn', 'data-testid': 'ranking-report' }, t('ranking.report'));
  const better = h('p', { class: 'muted small', 'data-testid': 'ranking-better' });
  const body = h('div', { 'data-testid': 'ranking' }, message(t('common.loading')));
  const push = () => (location.hash = hashOf('/ranking', { kpi: kpiSelect.value, month: validMonth(monthInput.value) ? monthInput.value : month }));
  kpiSelect.addEventListener('change', push);
  monthInput.addEventListener('change', () => validMonth(monthInput.value) && push());

  root.append(
    h('div', { class: 'page-head' }, h('h1', null, t('ranking.title')), h('div', { class: 'head-actions' }, report)),
    h('div', { class: 'filter-bar' },
      h('label', { class: 'field', for: 'ranking-kpi' }, h('span', null, t('ranking.kpi')), kpiSelect),
      h('label', { class: 'field', for: 'ranking-month' }, h('span', null, t('ranking.month')), monthInput)),
    better,
    body,
  );

  function render(r: Ranking): HTMLElement {
    if (!r.rows?.length) return message(t('ranking.empty'));
    const rowKpi = r.kpi ?? kpi;
    return h(
      'div',
      { class: 'table-wrap card ranking-wrap' },
      h(
        'table',
        { class: 'data resp ranking-table' },
        h('thead', null, h('tr', null, h('th', { class: 'rank' }, t('ranking.rank')), h('th', null, t('orders.site')), h('th', { class: 'num' }, t(`kpi.${rowKpi}`)), h('th', { class: 'num' }, t('ranking.orders')))),
        h(
          'tbody',
          null,
          ...r.rows.map((row) =>
            h(
              'tr',
              { 'data-testid': `ranking-row-${row.site}`, 'data-rank': row.rank, 'data-value': row.value === null ? '' : String(row.value) },
              h('td', { class: 'rank', 'data-label': t('ranking.rank') }, h('span', { class: `rank-badge${row.rank <= 3 ? ` rank-${row.rank}` : ''}` }, String(row.rank))),
              h('td', { 'data-label': t('orders.site') }, h('a', { href: hashOf('/orders', { site: row.site }) }, row.name || row.site)),
              h('td', { class: 'num', 'data-label': t(`kpi.${rowKpi}`), ...(rowKpi === 'sla' ? { 'data-level': slaLevel(row.value) } : {}) }, h('span', { class: 'kpi-cell' }, fmtKpi(rowKpi, row.value))),
              h('td', { class: 'num', 'data-label': t('ranking.orders') }, String(row.orders ?? 0)),
            ),
          ),
        ),
      ),
    );
  }

  const loader = latestLoader(body, () => api.ranking(kpi, month), (r) => {
    setText(better, r.better === 'lower' ? t('ranking.lowerBetter') : t('ranking.higherBetter'));
    return render(r);
  });
  function load(): void {
    kpiSelect.value = kpi;
    monthInput.value = month;
    report.href = hashOf('/report', { month });
    setText(better, '');
    void loader.load();
  }
  load();
  return {
    update(p) {
      kpi = kpiOf(p);
      month = monthParam(p);
      load();
    },
    unmount() {
      loader.dispose();
    },
  };
}
