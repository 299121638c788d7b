/**
 * Trend comparison (`#/trends?equipment=pump&point=vibration&range=7d`): the same point of the same
 * kind of equipment across estates, one line per estate/device (mean per bucket) from
 * `GET /api/trends`; choose one estate to see the min–max band of a single line.
 */
import { h, setAttr, setText } from '../../dom.js';
import { pointLabel, tilePoints, typeOrder } from '../../shared/equipment.js';
import { api, errorText, type SiteSummary, type Trends } from '../api.js';
import { hashOf, message, type View } from '../common.js';
import { t, tn } from '../i18n.js';
import type { CompareChart, CompareSeries } from './trend-chart.js';

type Range = '24h' | '7d' | '30d';
const RANGES: Range[] = ['24h', '7d', '30d'];
const HOUR = 3_600_000;
/** Window and bucket per range: enough points to read, few enough for hundreds of estates. */
const RANGE: Record<Range, { ms: number; step: '1m' | '1h' | '1d'; stepMs: number }> = {
  '24h': { ms: 24 * HOUR, step: '1h', stepMs: HOUR },
  '7d': { ms: 7 * 24 * HOUR, step: '1h', stepMs: HOUR },
  '30d': { ms: 30 * 24 * HOUR, step: '1d', stepMs: 24 * HOUR },
};
/** More lines than this are not readable on one chart: narrow by estate. */
const MAX_SERIES = 12;

interface Query {
  equipment: string;
  point: string;
  range: Range;
  site: string;
}

function queryOf(p: URLSearchParams): Query {
  const r = p.get('range');
  return {
    equipment: (p.get('equipment') ?? 'pump').trim() || 'pump',
    point: (p.get('point') ?? 'vibration').trim() || 'vibration',
    range: RANGES.find((x) => x === r) ?? '7d',
    site: p.get('site') ?? '',
  };
}

export function mountTrends(root: HTMLElement, params: URLSearchParams): View {
  let q = queryOf(params);
  let disposed = false;
  let seq = 0;
  let chart: CompareChart | null = null;
  let sites: SiteSummary[] = [];
  let last: Trends | null = null;

  const equipment = h('input', { type: 'text', list: 'trend-equipment-list', 'data-testid': 'trend-equipment', id: 'trend-equipment', autocomplete: 'off', required: true });
  const point = h('input', { type: 'text', list: 'trend-point-list', 'data-testid': 'trend-point', id: 'trend-point', autocomplete: 'off', required: true });
  const equipmentList = h('datalist', { id: 'trend-equipment-list' }, ...typeOrder().map((ty) => h('option', { value: ty }, tn('type', ty))));
  const pointList = h('datalist', { id: 'trend-point-list' });
  const site = h('select', { 'data-testid': 'trend-site', id: 'trend-site' });
  const show = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'trend-show' }, t('trends.show'));
  const ranges = h('div', { class: 'seg', role: 'group', 'aria-label': t('trends.range') });
  const rangeBtns = RANGES.map((r) => {
    const b = h('button', { type: 'button', class: 'seg-btn', 'data-testid': `trend-range-${r}` }, t(`trends.r${r}`));
    b.addEventListener('click', () => go({ range: r }));
    ranges.append(b);
    return { r, b };
  });
  const form = h(
    'form',
    { class: 'filter-bar', 'data-testid': 'trend-form' },
    h('label', { class: 'field', for: 'trend-equipment' }, h('span', null, t('trends.equipment')), equipment),
    h('label', { class: 'field', for: 'trend-point' }, h('span', null, t('trends.point')), point),
    h('label', { class: 'field', for: 'trend-site' }, h('span', null, t('orders.site')), site),
    h('div', { class: 'field' }, h('span', null, t('trends.range')), ranges),
    show,
    equipmentList,
    pointList,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go({ equipment: equipment.value.trim(), point: point.value.trim() });
  });
  site.addEventListener('change', () => go({ site: site.value }));
  equipment.addEventListener('change', () => fillPoints(equipment.value.trim()));

  const heading = h('h2', { 'data-testid': 'trend-heading' });
  const note = h('p', { class: 'muted small', 'data-testid': 'trend-note' });
  const chartEl = h('div', { class: 'chart compare-chart', 'data-testid': 'trend-chart' });
  const status = h('div', { 'data-testid': 'trend-status' });
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('trends.title'))), form, h('section', { class: 'card trend-card' }, heading, note, status, chartEl));

  function go(next: Partial<Query>): void {
    const n = { ...q, ...next };
    location.hash = hashOf('/trends', { equipment: n.equipment, point: n.point, range: n.range, site: n.site });
  }

  function fillPoints(type: string): void {
    const pts = tilePoints(type) ?? [];
    pointList.replaceChildren(...pts.map((p) => h('option', { value: p }, pointLabel(type, p))));
  }

  function fillSites(): void {
    const opts = [h('option', { value: '' }, t('trends.allSites')), ...sites.map((s) => h('option', { value: s.site }, s.name || s.site))];
    if (q.site && !sites.some((s) => s.site === q.site)) opts.push(h('option', { value: q.site }, q.site));
    site.replaceChildren(...opts);
    site.value = q.site;
  }

  const siteName = (id: string) => sites.find((s) => s.site === id)?.name || id;

  function dropChart(): void {
    chart?.destroy();
    chart = null;
    chartEl.replaceChildren();
  }

  let drawSeq = 0;
  async function draw(res: Trends, from: number, to: number): Promise<void> {
    const mine = ++drawSeq;
    dropChart();
    const all = (res.series ?? []).filter((s) => !q.site || s.site === q.site);
    const withData = all.filter((s) => s.points?.some((p) => p.mean !== null));
    if (!withData.length) {
      chartEl.hidden = true;
      status.replaceChildren(message(t('trends.noData')));
      setText(note, '');
      chartEl.dataset.series = '0';
      return;
    }
    const shown = withData.slice(0, MAX_SERIES);
    const devicesPerSite = new Map<string, number>();
    for (const s of shown) devicesPerSite.set(s.site, (devicesPerSite.get(s.site) ?? 0) + 1);
    const series: CompareSeries[] = shown.map((s) => ({
      label: (devicesPerSite.get(s.site) ?? 0) > 1 || q.site ? `${siteName(s.site)} · ${s.device}` : siteName(s.site),
      ts: s.points.map((p) => p.t),
      mean: s.points.map((p) => p.mean),
      min: s.points.map((p) => p.min),
      max: s.points.map((p) => p.max),
    }));
    setText(
      note,
      [
        withData.length > shown.length ? t('trends.capped', { shown: shown.length, total: withData.length }) : t('trends.count', { n: shown.length }),
        shown.length === 1 ? t('trends.band') : t('trends.bandHint'),
      ].join(' '),
    );
    status.replaceChildren();
    chartEl.hidden = false;
    const { createCompareChart } = await import('./trend-chart.js');
    // A newer draw (estate names arrived, another estate chosen) replaces this one.
    if (disposed || mine !== drawSeq) return;
    dropChart();
    chart = createCompareChart(chartEl, { series, stepMs: RANGE[q.range].stepMs, from, to, timeLabel: t('trends.time'), minLabel: t('trends.min'), maxLabel: t('trends.max') });
  }

  async function load(): Promise<void> {
    const mine = ++seq;
    equipment.value = q.equipment;
    point.value = q.point;
    fillPoints(q.equipment);
    fillSites();
    for (const { r, b } of rangeBtns) setAttr(b, 'aria-pressed', String(r === q.range));
    setText(heading, t('trends.heading', { equipment: tn('type', q.equipment), point: pointLabel(q.equipment, q.point), range: t(`trends.r${q.range}`) }));
    status.replaceChildren(message(t('common.loading')));
    const to = Date.now();
    const from = to - RANGE[q.range].ms;
    try {
      const res = await api.trends(q.equipment, q.point, from, to, RANGE[q.range].step);
      if (disposed || mine !== seq) return;
      last = res;
      await draw(res, from, to);
    } catch (err) {
      if (disposed || mine !== seq) return;
      drawSeq++;
      dropChart();
      chartEl.hidden = true;
      setText(note, '');
      status.replaceChildren(message(t('error.load', { msg: errorText(err) }), 'error'));
    }
  }

  void load();
  api.sites().then(
    (res) => {
      if (disposed) return;
      sites = res.sites ?? [];
      fillSites();
      // Redraw with estate names instead of ids.
      if (last) {
        const to = Date.now();
        void draw(last, to - RANGE[q.range].ms, to);
      }
    },
    () => {
      // labels stay as estate ids
    },
  );
  return {
    update(p) {
      const next = queryOf(p);
      const sameData = next.equipment === q.equipment && next.point === q.point && next.range === q.range;
      q = next;
      if (sameData && last) {
        // Only the estate changed: filter what is already here.
        fillSites();
        const to = Date.now();
        void draw(last, to - RANGE[q.range].ms, to);
      } else void load();
    },
    unmount() {
      disposed = true;
      chart?.destroy();
    },
  };
}
