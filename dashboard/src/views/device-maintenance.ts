/**
 * The maintenance half of a device page: the device's alarms and work orders (live from the store),
 * its health score and failure forecasts (`GET /api/devices/:id/forecast`, refreshed every minute).
 */
import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtTime } from '../format.js';
import { t, tn } from '../i18n.js';
import { errorText } from '../live.js';
import { store } from '../store.js';
import { isOpen } from '../types.js';
import { faultText, message, type View } from './common.js';
import { forecastTable, healthBadge } from './predict-common.js';

export function mountDeviceMaintenance(root: HTMLElement, id: string): View {
  const alarmsBox = h('div', { 'data-testid': 'device-alarms' });
  const ordersBox = h('div', { 'data-testid': 'device-orders' });
  const healthBox = h('div', { 'data-testid': 'device-health' }, message(t('common.loading')));
  const forecastBox = h('div', { 'data-testid': 'device-forecast' });
  root.append(
    h('section', { class: 'card' }, h('h2', null, t('device.alarms')), alarmsBox),
    h('section', { class: 'card' }, h('h2', null, t('device.orders')), ordersBox),
    h('section', { class: 'card' }, h('h2', null, t('device.health')), healthBox, h('h3', null, t('device.forecast')), forecastBox),
  );

  function renderAlarms(): void {
    const list = [...store.alarms.values()].filter((a) => a.device === id).sort((a, b) => b.raisedAt - a.raisedAt).slice(0, 20);
    alarmsBox.replaceChildren(
      list.length === 0
        ? message(t('alarms.empty'))
        : h('ul', { class: 'plain-list' }, ...list.map((a) =>
            h('li', { 'data-state': a.state },
              h('span', { class: `sev sev-${a.severity}` }, tn('severity', a.severity)), ' ',
              faultText(a.device, a.fault, a.message), ' ',
              h('span', { class: `state state-${a.state}` }, tn('alarmState', a.state)), ' ',
              h('span', { class: 'muted' }, fmtTime(a.raisedAt))))),
    );
  }

  function renderOrders(): void {
    const list = [...store.orders.values()].filter((o) => o.device === id).sort((a, b) => Number(isOpen(b.status)) - Number(isOpen(a.status)) || b.createdAt - a.createdAt).slice(0, 20);
    ordersBox.replaceChildren(
      list.length === 0
        ? message(t('orders.empty'))
        : h('ul', { class: 'plain-list' }, ...list.map((o) =>
            h('li', null,
              h('a', { href: `#/orders/${encodeURIComponent(o.id)}`, class: 'mono' }, o.number), ' ',
              faultText(o.device, o.fault, o.title), ' ',
              h('span', { class: `wo-status wo-${o.status}` }, tn('status', o.status)), ' ',
              h('span', { class: 'muted' }, fmtTime(o.faultAt))))),
    );
  }

  let disposed = false;
  async function loadForecast(): Promise<void> {
    try {
      const f = await api.deviceForecast(id);
      if (disposed) return;
      const hl = f.health;
      healthBox.replaceChildren(
        hl ? h('div', null, healthBadge(hl.score, hl.learning), ...hl.drivers.slice(0, 3).map((d) => h('div', { class: 'sub muted' }, `${d.indicator}: ${d.score} · ${d.reasons.join('; ')}`))) : message(t('predict.noHealth')),
      );
      forecastBox.replaceChildren(forecastTable(f.forecasts, false));
    } catch (err) {
      if (!disposed) healthBox.replaceChildren(message(t('error.load', { msg: errorText(err) }), 'error'));
    }
  }

  renderAlarms();
  renderOrders();
  void loadForecast();
  const timer = setInterval(() => void loadForecast(), 60_000);
  const offs = [store.on('alarms', renderAlarms), store.on('alarm', (a) => a.device === id && renderAlarms()), store.on('orders', renderOrders), store.on('order', ({ order }) => order.device === id && renderOrders())];
  return {
    unmount() {
      disposed = true;
      clearInterval(timer);
      offs.forEach((off) => off());
    },
  };
}
