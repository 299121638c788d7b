/** Pieces shared by the views. */
import { h, setAttr, setText } from '../dom.js';
import { fmtValue, isAlertValue } from '../format.js';
import { t } from '../i18n.js';
import { faultLabel } from '../shared/equipment.js';
import { store } from '../store.js';
import type { DeviceView, PointView } from '../types.js';

export interface View {
  unmount(): void;
}

/** Tile points, type order and point labels come from the server's equipment catalogue. */
export { pointLabel, tilePoints, typeOrder } from '../shared/equipment.js';

/** An alarm's or order's fault as its device's type names it, else `otherwise` (its message or title). */
export function faultText(device: string | null, fault: string, otherwise: string): string {
  return faultLabel(device ? store.devices.get(device)?.type : undefined, fault) ?? otherwise;
}

export type DeviceStatus = 'ok' | 'alarm' | 'offline';

/** Alarm wins over offline (a lost link is itself an alarm); offline wins over ok. */
export function deviceStatus(d: DeviceView): DeviceStatus {
  if (d.activeAlarms > 0) return 'alarm';
  if (d.comm !== 'online') return 'offline';
  return 'ok';
}

/** A live value of device `d`: `data-testid=value-<device>-<point>`, raw value in `data-value`. */
export function valueCell(d: DeviceView, point: string, pv: PointView | undefined): HTMLSpanElement {
  const el = h('span', { class: 'v', 'data-testid': `value-${d.id}-${point}` });
  updateValueCell(el, d.type, point, pv);
  return el;
}

/** Text, quality and colour of a value cell; red when the device type says `true` of the point is bad news. */
export function updateValueCell(el: HTMLElement, type: string, point: string, pv: PointView | undefined): void {
  setText(el, fmtValue(pv?.value));
  setAttr(el, 'data-value', pv && pv.value !== null ? String(pv.value) : '');
  setAttr(el, 'data-quality', pv?.quality ?? 'none');
  el.classList.toggle('v-alert', !!pv && isAlertValue(type, point, pv.value));
  setAttr(el, 'title', pv && pv.quality !== 'good' ? t(`quality.${pv.quality}`) : null);
}

export function message(text: string, cls = 'muted'): HTMLElement {
  return h('p', { class: `msg ${cls}` }, text);
}
