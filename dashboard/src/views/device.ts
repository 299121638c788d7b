/**
 * One device: facts, a live values table, a trend of a selectable point over 1 h / 24 h / 7 d /
 * 30 d (history from /api/history, then live values appended; drag to zoom), and the device's
 * alarms, orders, health and forecast (device-maintenance.ts).
 */
import { api } from '../api.js';
import { h, setAttr, setText } from '../dom.js';
import { fmtTime } from '../format.js';
import { t, tn } from '../i18n.js';
import { errorText } from '../live.js';
import { store } from '../store.js';
import type { DeviceView, PointValue, PointView } from '../types.js';
import type { TrendChart } from './chart.js';
import { deviceStatus, message, pointLabel, tilePoints, updateValueCell, valueCell, type View } from './common.js';
import { mountDeviceMaintenance } from './device-maintenance.js';

const HOUR = 60 * 60 * 1000;
/** Trend ranges; the server picks raw / 1-minute / 1-hour data from the span. */
const RANGES = { '1h': HOUR, '24h': 24 * HOUR, '7d': 7 * 24 * HOUR, '30d': 30 * 24 * HOUR } as const;
type Range = keyof typeof RANGES;
let range: Range = '1h';

interface Row {
  value: HTMLElement;
  unit: HTMLElement;
  quality: HTMLElement;
  time: HTMLElement;
}

export function mountDevice(root: HTMLElement, id: string): View {
  let built = false;
  const rows = new Map<string, Row>();
  const info = new Map<string, HTMLElement>();
  let tbody: HTMLTableSectionElement | null = null;
  let statusPill: HTMLElement | null = null;
  let select: HTMLSelectElement | null = null;
  let chartBox: HTMLElement | null = null;
  let chartMsg: HTMLElement | null = null;

  let chart: TrendChart | null = null;
  let trendPoint: string | null = null;
  let trendToken = 0;
  /** Live values of the trend point that arrived while its history was loading. */
  let buffered: { ts: number; v: number | null }[] | null = null;
  let disposed = false;
  let extra: View | null = null;
  const rangeButtons = new Map<Range, HTMLButtonElement>();
  const resetZoom = h('button', { type: 'button', class: 'btn btn-quiet', 'data-testid': 'trend-reset-zoom', hidden: true }, t('trend.resetZoom'));
  resetZoom.addEventListener('click', () => chart?.resetZoom());

  function build(): void {
    chart?.destroy();
    chart = null;
    trendPoint = null;
    trendToken++;
    rows.clear();
    info.clear();
    extra?.unmount();
    extra = null;
    const d = store.devices.get(id);
    root.replaceChildren(h('a', { class: 'back', href: '#/' }, t('device.back')));
    if (!d) {
      root.append(message(store.loaded.devices ? t('device.notFound', { id }) : t('common.loading')));
      return;
    }
    built = true;
    statusPill = h('span', { class: 'status-pill' });
    const head = h('div', { class: 'page-head device-head', 'data-testid': `device-page-${d.id}` }, h('h1', null, d.name), statusPill);

    const facts = h('dl', { class: 'facts' });
    const fact = (key: string, label: string) => {
      const dd = h('dd');
      info.set(key, dd);
      facts.append(h('div', null, h('dt', null, label), dd));
    };
    fact('id', t('device.id'));
    fact('type', t('device.type'));
    fact('building', t('device.building'));
    fact('protocol', t('device.protocol'));
    fact('comm', t('device.comm'));
    fact('lastSeen', t('device.lastSeen'));
    fact('alarms', t('device.activeAlarms'));
    fact('orders', t('device.openOrders'));

    tbody = h('tbody');
    const table = h(
      'table',
      { class: 'data values-table' },
      h(
        'thead',
        null,
        h('tr', null, h('th', null, t('device.point')), h('th', { class: 'num' }, t('device.value')), h('th', null, t('device.unit')), h('th', null, t('device.quality')), h('th', null, t('device.time'))),
      ),
      tbody,
    );

    select = h('select', { id: 'trend-point', 'data-testid': 'trend-point', onchange: () => select && loadTrend(select.value) });
    chartBox = h('div', { class: 'chart', 'data-testid': 'trend-chart' });
    chartMsg = h('p', { class: 'msg muted' });
    const ranges = h('div', { class: 'seg', role: 'group', 'aria-label': t('trend.range') });
    rangeButtons.clear();
    for (const r of Object.keys(RANGES) as Range[]) {
      const b = h('button', { type: 'button', class: 'seg-btn', 'data-testid': `trend-range-${r}`, 'aria-pressed': String(r === range) }, t(`trend.r${r}`));
      b.addEventListener('click', () => {
        range = r;
        for (const [k, el] of rangeButtons) setAttr(el, 'aria-pressed', String(k === r));
        if (select?.value) void loadTrend(select.value);
      });
      rangeButtons.set(r, b);
      ranges.append(b);
    }
    const extraBox = h('div', { class: 'device-maintenance' });

    root.append(
      head,
      h(
        'div',
        { class: 'device-grid' },
        h('section', { class: 'card' }, h('h2', null, t('device.info')), facts),
        h(
          'section',
          { class: 'card trend' },
          h('div', { class: 'card-head' }, h('h2', null, t('trend.title')), h('label', null, t('trend.point'), ' ', select), ranges, resetZoom),
          chartMsg,
          chartBox,
        ),
        h('section', { class: 'card values' }, h('h2', null, t('device.values')), h('div', { class: 'table-wrap' }, table)),
      ),
      extraBox,
    );
    extra = mountDeviceMaintenance(extraBox, d.id);
    setText(chartMsg, t('trend.noPoint'));
    refresh();
    fillSelect();
  }

  function refresh(): void {
    const d = store.devices.get(id);
    if (!d || !tbody || !statusPill) return;
    const s = deviceStatus(d);
    setText(statusPill, t(`status.${s}`));
    setAttr(statusPill, 'data-status', s);
    setText(info.get('id')!, d.id);
    setText(info.get('type')!, tn('type', d.type));
    setText(info.get('building')!, d.building ?? t('common.none'));
    setText(info.get('protocol')!, d.protocol);
    const comm = info.get('comm')!;
    setText(comm, d.commReason ? `${tn('comm', d.comm)} (${d.commReason})` : tn('comm', d.comm));
    setAttr(comm, 'data-comm', d.comm);
    setText(info.get('lastSeen')!, fmtTime(d.lastSeen));
    setText(info.get('alarms')!, String(d.activeAlarms));
    setText(info.get('orders')!, String(d.openOrders));
    const names = Object.keys(d.points);
    if (names.length === 0 && rows.size === 0) tbody.replaceChildren(h('tr', null, h('td', { colspan: 5, class: 'muted' }, t('device.noPoints'))));
    for (const name of names) updateRow(d, name);
  }

  function updateRow(d: DeviceView, name: string): void {
    const pv = d.points[name];
    let row = rows.get(name);
    if (!row && tbody) {
      if (rows.size === 0) tbody.replaceChildren();
      row = { value: valueCell(d, name, pv), unit: h('td'), quality: h('td'), time: h('td', { class: 'muted' }) };
      rows.set(name, row);
      tbody.append(
        h('tr', { 'data-point': name }, h('td', null, pointLabel(d.type, name), h('span', { class: 'raw' }, name)), h('td', { class: 'num' }, row.value), row.unit, row.quality, row.time),
      );
    }
    if (!row) return;
    updateValueCell(row.value, d.type, name, pv);
    setText(row.unit, pv?.unit ?? '');
    setText(row.quality, pv ? t(`quality.${pv.quality}`) : t('common.none'));
    setAttr(row.quality, 'class', pv && pv.quality !== 'good' ? 'q-warn' : 'muted');
    setText(row.time, fmtTime(pv?.ts));
  }

  function plottable(d: DeviceView): string[] {
    const keys = (tilePoints(d.type) ?? []).filter((p) => p in d.points || Object.keys(d.points).length === 0);
    const rest = Object.entries(d.points)
      .filter(([name, pv]) => !keys.includes(name) && (typeof pv.value === 'number' || typeof pv.value === 'boolean'))
      .map(([name]) => name);
    return [...keys, ...rest];
  }

  function fillSelect(): void {
    const d = store.devices.get(id);
    if (!d || !select) return;
    const current = select.value;
    const names = plottable(d);
    if (names.join('\n') === [...select.options].map((o) => o.value).join('\n')) return;
    select.replaceChildren(...names.map((n) => h('option', { value: n }, pointLabel(d.type, n))));
    if (names.includes(current)) select.value = current;
    else if (trendPoint === null && select.value) void loadTrend(select.value);
  }

  async function loadTrend(point: string): Promise<void> {
    const token = ++trendToken;
    trendPoint = point;
    buffered = [];
    chart?.destroy();
    chart = null;
    if (!chartBox || !chartMsg) return;
    chartBox.replaceChildren();
    setText(chartMsg, t('common.loading'));
    resetZoom.hidden = true;
    const windowMs = RANGES[range];
    const to = Date.now();
    try {
      const [mod, hist] = await Promise.all([import('./chart.js'), api.history(id, point, to - windowMs, to, 2000)]);
      if (token !== trendToken || disposed) return;
      const samples = [...hist.samples].sort((a, b) => a.ts - b.ts);
      const ts = samples.map((s) => s.ts);
      const values = samples.map((s) => toNumber(s.value));
      const band = samples.some((s) => typeof s.min === 'number');
      const mins = band ? samples.map((s) => s.min ?? toNumber(s.value)) : undefined;
      const maxs = band ? samples.map((s) => s.max ?? toNumber(s.value)) : undefined;
      for (const b of buffered) {
        if (ts.length === 0 || b.ts > ts[ts.length - 1]!) {
          ts.push(b.ts);
          values.push(b.v);
          mins?.push(b.v);
          maxs?.push(b.v);
        }
      }
      buffered = null;
      setText(chartMsg, ts.length ? '' : t('trend.noData'));
      const pv: PointView | undefined = store.devices.get(id)?.points[point];
      chartBox.dataset.resolution = hist.resolution ?? '';
      chart = mod.createTrend(chartBox, {
        label: pointLabel(store.devices.get(id)?.type, point), timeLabel: t('device.time'), minLabel: t('trend.min'), maxLabel: t('trend.max'), unit: pv?.unit ?? '',
        windowMs, ts, values, ...(mins && maxs ? { mins, maxs } : {}), onZoom: (z) => (resetZoom.hidden = !z),
      });
    } catch (err) {
      if (token !== trendToken || disposed) return;
      buffered = null;
      setText(chartMsg, t('trend.error', { msg: errorText(err) }));
    }
  }

  build();
  const offs = [
    store.on('devices', () => {
      if (!built) build();
      else if (!store.devices.has(id)) {
        built = false;
        build();
      } else {
        refresh();
        fillSelect();
      }
    }),
    store.on('device', (devId) => devId === id && refresh()),
    store.on('telemetry', (batch) => {
      const d = store.devices.get(id);
      if (!d || !built) return;
      let fresh = false;
      for (const ev of batch) {
        if (ev.device !== id) continue;
        if (!rows.has(ev.point)) fresh = true;
        updateRow(d, ev.point);
        if (ev.point === trendPoint) {
          const v = ev.quality === 'bad' ? null : toNumber(ev.value);
          if (chart) chart.push(ev.ts, v);
          else buffered?.push({ ts: ev.ts, v });
        }
      }
      if (info.get('lastSeen')) setText(info.get('lastSeen')!, fmtTime(d.lastSeen));
      if (fresh) fillSelect();
    }),
  ];

  return {
    unmount() {
      disposed = true;
      offs.forEach((off) => off());
      extra?.unmount();
      chart?.destroy();
      chart = null;
    },
  };
}

function toNumber(v: PointValue | null): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}
