/** Pieces shared by the views. */
import { h, setAttr, setText } from '../dom.js';
import { fmtValue, isAlertValue } from '../format.js';
import { t } from '../i18n.js';
import type { DeviceView, PointView } from '../types.js';

export interface View {
  unmount(): void;
}

/** Tile points and type order come from the server's equipment catalogue. */
export { tilePoints, typeOrder } from '../shared/equipment.js';

export type DeviceStatus = 'ok' | 'alarm' | 'offline';

/** Alarm wins over offline (a lost link is itself an alarm); offline wins over ok. */
export function deviceStatus(d: DeviceView): DeviceStatus {
  if (d.activeAlarms > 0) return 'alarm';
  if (d.comm !== 'online') return 'offline';
  return 'ok';
}

/** A live value: `data-testid=value-<device>-<point>`, raw value in `data-value`. */
export function valueCell(device: string, point: string, pv: PointView | undefined): HTMLSpanElement {
  const el = h('span', { class: 'v', 'data-testid': `value-${device}-${point}` });
  updateValueCell(el, point, pv);
  return el;
}

export function updateValueCell(el: HTMLElement, point: string, pv: PointView | undefined): void {
  setText(el, fmtValue(pv?.value));
  setAttr(el, 'data-value', pv && pv.value !== null ? String(pv.value) : '');
  setAttr(el, 'data-quality', pv?.quality ?? 'none');
  el.classList.toggle('v-alert', !!pv && isAlertValue(point, pv.value));
  setAttr(el, 'title', pv && pv.quality !== 'good' ? t(`quality.${pv.quality}`) : null);
}

export function message(text: string, cls = 'muted'): HTMLElement {
  return h('p', { class: `msg ${cls}` }, text);
}
