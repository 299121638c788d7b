/**
 * Equipment board: one tile per device, grouped by building, then type. Live telemetry updates
 * the value cells in place; the page is only rebuilt when devices are added or removed.
 */
import { h, setAttr, setText } from '../dom.js';
import { t, tn } from '../i18n.js';
import { store } from '../store.js';
import type { DeviceView } from '../types.js';
import { deviceStatus, message, pointLabel, tilePoints, typeOrder, updateValueCell, valueCell, type View } from './common.js';

interface Tile {
  el: HTMLAnchorElement;
  status: HTMLElement;
  comm: HTMLElement;
  alarms: HTMLElement;
  orders: HTMLElement;
}

export function mountOverview(root: HTMLElement): View {
  const tiles = new Map<string, Tile>();
  const cells = new Map<string, HTMLElement>();
  const summary = h('p', { class: 'summary', 'data-testid': 'overview-summary' });
  const board = h('div', { class: 'board' });
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('overview.title')), summary), board);

  function render(): void {
    tiles.clear();
    cells.clear();
    board.replaceChildren();
    if (!store.loaded.devices) {
      board.append(message(t('common.loading')));
    } else if (store.devices.size === 0) {
      board.append(message(t('overview.empty')));
    }
    for (const [building, devices] of groupByBuilding([...store.devices.values()])) {
      const section = h(
        'section',
        { class: 'building', 'data-building': building ?? '' },
        h('h2', null, building ? t('building.named', { b: building }) : t('building.none')),
      );
      const body = h('div', { class: 'building-body' });
      for (const type of typesOf(devices)) {
        const ofType = devices.filter((x) => x.type === type);
        const grid = h('div', { class: 'tiles' });
        for (const d of ofType) grid.append(renderTile(d));
        // Type groups sit side by side, each as wide as its tiles need.
        const group = h('div', { class: 'type-group', 'data-type': type, style: `--n:${ofType.length}` }, h('h3', null, tn('type', type)), grid);
        body.append(group);
      }
      section.append(body);
      board.append(section);
    }
    updateSummary();
  }

  function renderTile(d: DeviceView): HTMLElement {
    const status = h('span', { class: 'status-pill' });
    const comm = h('span', { class: 'comm' });
    const alarms = h('span', { class: 'badge badge-alarm', 'data-testid': `alarms-count-${d.id}` });
    const orders = h('span', { class: 'badge badge-order', 'data-testid': `orders-count-${d.id}` });
    const list = h('dl', { class: 'kv' });
    for (const p of keyPoints(d)) {
      const cell = valueCell(d, p, d.points[p]);
      cells.set(cellKey(d.id, p), cell);
      list.append(
        h('div', { class: 'kv-row' }, h('dt', null, pointLabel(d.type, p)), h('dd', null, cell, h('span', { class: 'u' }, d.points[p]?.unit ?? ''))),
      );
    }
    const el = h(
      'a',
      { class: 'tile', href: `#/device/${encodeURIComponent(d.id)}`, 'data-testid': `device-tile-${d.id}`, title: t('tile.open', { name: d.name }) },
      h('div', { class: 'tile-head' }, h('span', { class: 'tile-name' }, d.name), status),
      h('div', { class: 'tile-sub' }, h('span', { class: 'muted' }, d.id), comm),
      list,
      h('div', { class: 'tile-foot' }, alarms, orders),
    );
    const tile: Tile = { el, status, comm, alarms, orders };
    tiles.set(d.id, tile);
    updateTile(d.id);
    return el;
  }

  function updateTile(id: string): void {
    const tile = tiles.get(id);
    const d = store.devices.get(id);
    if (!tile || !d) return;
    const s = deviceStatus(d);
    setAttr(tile.el, 'data-status', s);
    setText(tile.status, t(`status.${s}`));
    setText(tile.comm, tn('comm', d.comm));
    setAttr(tile.comm, 'data-comm', d.comm);
    setAttr(tile.comm, 'title', d.commReason ?? null);
    setText(tile.alarms, t('tile.alarms', { n: d.activeAlarms }));
    setAttr(tile.alarms, 'data-count', String(d.activeAlarms));
    setText(tile.orders, t('tile.orders', { n: d.openOrders }));
    setAttr(tile.orders, 'data-count', String(d.openOrders));
    updateSummary();
  }

  function refreshAll(): void {
    for (const d of store.devices.values()) {
      updateTile(d.id);
      for (const p of keyPoints(d)) {
        const cell = cells.get(cellKey(d.id, p));
        if (cell) updateValueCell(cell, d.type, p, d.points[p]);
      }
    }
  }

  function updateSummary(): void {
    let alarm = 0;
    let offline = 0;
    for (const d of store.devices.values()) {
      const s = deviceStatus(d);
      if (s === 'alarm') alarm++;
      if (d.comm !== 'online') offline++;
    }
    setText(summary, store.loaded.devices ? t('overview.summary', { total: store.devices.size, alarm, offline }) : '');
  }

  render();
  const offs = [
    store.on('devices', ({ structural }) => (structural ? render() : refreshAll())),
    store.on('device', updateTile),
    store.on('telemetry', (batch) => {
      for (const ev of batch) {
        const cell = cells.get(cellKey(ev.device, ev.point));
        const d = store.devices.get(ev.device);
        if (cell && d) updateValueCell(cell, d.type, ev.point, d.points[ev.point]);
      }
    }),
  ];
  return { unmount: () => offs.forEach((off) => off()) };
}

function cellKey(device: string, point: string): string {
  return `${device}\u0000${point}`;
}

function keyPoints(d: DeviceView): string[] {
  const wanted = tilePoints(d.type);
  // Unknown type or renamed points: fall back to the first few points the device has.
  return wanted ? [...wanted] : Object.keys(d.points).slice(0, 3);
}

function groupByBuilding(devices: DeviceView[]): [string | undefined, DeviceView[]][] {
  const groups = new Map<string | undefined, DeviceView[]>();
  for (const d of devices) {
    const key = d.building || undefined;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(d);
  }
  return [...groups.entries()].sort(([a], [b]) => {
    if (a === undefined) return 1;
    if (b === undefined) return -1;
    return a.localeCompare(b, undefined, { numeric: true });
  });
}

function typesOf(devices: DeviceView[]): string[] {
  const present = new Set<string>(devices.map((d) => d.type));
  const known: string[] = typeOrder().filter((x) => present.has(x));
  return [...known, ...[...present].filter((x) => !known.includes(x)).sort()];
}
