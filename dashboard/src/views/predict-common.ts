/** Health badges and forecast tables, shared by the device page and the planning page. */
import { h } from '../dom.js';
import { fmtNumber, fmtTime } from '../format.js';
import { t } from '../i18n.js';
import { store } from '../store.js';
import type { Forecast } from '../types.js';
import { message, pointLabel } from './common.js';

/** 0–100; red below 50, amber below 80. */
export function healthBadge(score: number | null, learning: boolean): HTMLElement {
  const cls = score === null ? 'none' : score < 50 ? 'bad' : score < 80 ? 'warn' : 'good';
  return h('span', { class: `health health-${cls}`, 'data-score': score === null ? '' : String(score) }, score === null ? (learning ? t('predict.learning') : t('common.none')) : String(score));
}

export function forecastTable(list: Forecast[], withDevice: boolean): HTMLElement {
  if (list.length === 0) return message(t('predict.noForecast'));
  const rows = [...list].sort((a, b) => (a.hoursToLimit ?? Infinity) - (b.hoursToLimit ?? Infinity));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data' },
      h('thead', null, h('tr', null, withDevice ? h('th', null, t('orders.device')) : null, h('th', null, t('predict.indicator')), h('th', { class: 'num' }, t('predict.level')), h('th', { class: 'num' }, t('predict.limit')), h('th', { class: 'num' }, t('predict.slope')), h('th', null, t('predict.crossing')), h('th', null, t('predict.order')))),
      h(
        'tbody',
        null,
        ...rows.map((f) =>
          h(
            'tr',
            { class: f.alert ? 'row-alert' : '', 'data-alert': String(f.alert) },
            withDevice ? h('td', null, h('a', { href: `#/device/${encodeURIComponent(f.device)}` }, store.deviceName(f.device))) : null,
            h('td', null, pointLabel(store.devices.get(f.device)?.type, f.point), h('span', { class: 'raw' }, f.series)),
            h('td', { class: 'num' }, fmtNumber(f.level)),
            h('td', { class: 'num' }, fmtNumber(f.limit)),
            h('td', { class: 'num' }, `${fmtNumber(f.slopePerDay)}/${t('dur.d')}`),
            h('td', null, f.crossingAt ? fmtTime(f.crossingAt) : t('predict.notReached'), f.significant ? null : h('span', { class: 'sub muted' }, ` (${t('predict.notSignificant')})`)),
            h('td', { 'data-testid': 'forecast-order' }, orderState(f, (id) => store.deviceName(id))),
          ),
        ),
      ),
    ),
  );
}

/** Why a forecast has no order yet, in the planner's words (the forecast's `heldBy` gates); `name` names a device. */
export function orderState(f: Pick<Forecast, 'alert' | 'heldBy' | 'echoOf' | 'sustainedHours'>, name: (device: string) => string): string {
  if (f.alert) return t('predict.called');
  // A forecast stored before the gates were reported has none: show nothing rather than guess.
  return (f.heldBy ?? []).map((g) => {
    switch (g) {
      case 'neighbour': return t('predict.held.neighbour', { device: f.echoOf ? name(f.echoOf) : '?' });
      case 'sustain': return t('predict.held.sustain', { hours: Math.round(f.sustainedHours) });
      default: return t(`predict.held.${g}`);
    }
  }).join('; ');
}
