/**
 * Alarm list, newest first: filters (open only, severity, device), acknowledgement of
 * unacknowledged alarms, shelving (suppress for a while; dispatcher and up) and unshelving. Updates live.
 */
import { api, ApiError } from '../api.js';
import { h, toast } from '../dom.js';
import { fmtTime, fmtValue } from '../format.js';
import { t, tn } from '../i18n.js';
import { errorText, resync } from '../live.js';
import { isUnackedAlarm, store } from '../store.js';
import type { Alarm } from '../types.js';
import { faultText, message, type View } from './common.js';

let onlyOpen = false;
let severity = '';
let device = '';
const SHELVE = ['30m', '1h', '8h', '24h'] as const;
const isShelved = (a: Alarm) => !!a.shelvedUntil && a.shelvedUntil > Date.now();

export function mountAlarms(root: HTMLElement): View {
  const rows = new Map<string, HTMLTableRowElement>();
  const tbody = h('tbody');
  const empty = h('div');
  const filter = h('input', {
    type: 'checkbox',
    'data-testid': 'alarms-only-open',
    onchange: () => {
      onlyOpen = filter.checked;
      renderAll();
    },
  });
  filter.checked = onlyOpen;
  const sevSelect = h('select', { 'data-testid': 'alarms-severity', 'aria-label': t('alarms.severity') }, h('option', { value: '' }, t('alarms.allSeverities')), ...['critical', 'major', 'minor', 'warning'].map((v) => h('option', { value: v }, tn('severity', v))));
  sevSelect.value = severity;
  const devSelect = h('select', { 'data-testid': 'alarms-device', 'aria-label': t('alarms.device') });
  const fillDevices = () => {
    devSelect.replaceChildren(h('option', { value: '' }, t('alarms.allDevices')), ...[...store.devices.values()].map((d) => h('option', { value: d.id }, d.name)));
    devSelect.value = device;
  };
  fillDevices();
  sevSelect.addEventListener('change', () => ((severity = sevSelect.value), renderAll()));
  devSelect.addEventListener('change', () => ((device = devSelect.value), renderAll()));

  root.append(
    h('div', { class: 'page-head' }, h('h1', null, t('alarms.title')), h('div', { class: 'filters' }, sevSelect, devSelect, h('label', { class: 'filter' }, filter, ' ', t('alarms.onlyOpen')))),
    h(
      'div',
      { class: 'table-wrap card' },
      h(
        'table',
        { class: 'data alarms-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, t('alarms.severity')),
            h('th', null, t('alarms.device')),
            h('th', null, t('alarms.message')),
            h('th', null, t('alarms.state')),
            h('th', null, t('alarms.time')),
            h('th', null, t('alarms.action')),
          ),
        ),
        tbody,
      ),
      empty,
    ),
  );

  function visible(a: Alarm): boolean {
    return (!onlyOpen || a.state !== 'normal') && (!severity || a.severity === severity) && (!device || a.device === device);
  }

  function sorted(): Alarm[] {
    return [...store.alarms.values()].filter(visible).sort((a, b) => b.raisedAt - a.raisedAt);
  }

  function renderAll(): void {
    rows.clear();
    tbody.replaceChildren(...sorted().map((a) => renderRow(a)));
    updateEmpty();
  }

  function updateEmpty(): void {
    empty.replaceChildren();
    if (!store.loaded.alarms) empty.append(message(t('common.loading')));
    else if (rows.size === 0) empty.append(message(t('alarms.empty')));
  }

  function renderRow(a: Alarm): HTMLTableRowElement {
    const canAck = isUnackedAlarm(a);
    let action: HTMLElement;
    if (canAck) {
      const comment = h('input', { type: 'text', class: 'comment', placeholder: t('alarms.comment'), 'aria-label': t('alarms.comment'), 'data-testid': 'alarm-comment', maxlength: 500 });
      const button = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'alarm-ack' }, t('alarms.ack'));
      button.addEventListener('click', () => void ack(a.id, comment.value.trim(), button));
      comment.addEventListener('keydown', (e) => {
        if ((e as KeyboardEvent).key === 'Enter') button.click();
      });
      action = h('div', { class: 'ack' }, comment, button);
    } else {
      action = h('span', { class: 'muted' }, a.ackedBy ? t('alarms.ackedBy', { who: a.ackedBy }) : a.ackedAt ? t('alarms.acked') : '');
    }
    action = h('div', null, action, shelveControl(a));
    const title = faultText(a.device, a.fault, a.message);
    const row = h(
      'tr',
      { 'data-testid': `alarm-row-${a.id}`, 'data-state': a.state, 'data-severity': a.severity, 'data-shelved': String(isShelved(a)), class: `alarm alarm-${a.state}` },
      h('td', null, h('span', { class: `sev sev-${a.severity}` }, tn('severity', a.severity))),
      h('td', null, h('a', { href: `#/device/${encodeURIComponent(a.device)}` }, store.deviceName(a.device))),
      h(
        'td',
        null,
        h('div', null, title),
        h('div', { class: 'sub muted' }, title !== a.message ? a.message : null, a.value !== null ? ` · ${t('alarms.value', { v: fmtValue(a.value) })}` : null),
      ),
      h('td', null, h('span', { class: `state state-${a.state}` }, tn('alarmState', a.state))),
      h('td', { class: 'nowrap' }, h('div', null, fmtTime(a.raisedAt)), a.clearedAt ? h('div', { class: 'sub muted' }, t('alarms.cleared', { t: fmtTime(a.clearedAt) })) : null),
      h('td', null, action),
    );
    rows.set(a.id, row);
    return row;
  }

  function shelveControl(a: Alarm): HTMLElement | null {
    if (a.state === 'normal' && !isShelved(a)) return null;
    const done = (p: Promise<Alarm>) => p.then((x) => store.upsertAlarm(x), (err: unknown) => toast(t('error.action', { msg: errorText(err) }), 'error'));
    if (isShelved(a)) {
      const un = h('button', { type: 'button', class: 'btn btn-quiet', 'data-testid': 'alarm-unshelve' }, t('alarms.unshelve'));
      un.addEventListener('click', () => void done(api.unshelveAlarm(a.id)));
      return h('div', { class: 'shelve sub' }, h('span', { class: 'muted' }, t('alarms.shelvedUntil', { t: fmtTime(a.shelvedUntil!) })), ' ', un);
    }
    const dur = h('select', { 'data-testid': 'alarm-shelve-duration', 'aria-label': t('alarms.shelveFor') }, ...SHELVE.map((d) => h('option', { value: d }, t(`alarms.shelve.${d}`))));
    const btn = h('button', { type: 'button', class: 'btn btn-quiet', 'data-testid': 'alarm-shelve' }, t('alarms.shelve'));
    btn.addEventListener('click', () => void done(api.shelveAlarm(a.id, dur.value)));
    return h('div', { class: 'shelve sub' }, dur, ' ', btn);
  }

  async function ack(id: string, comment: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      store.upsertAlarm(await api.ackAlarm(id, comment));
    } catch (err) {
      button.disabled = false;
      const conflict = err instanceof ApiError && err.status === 409;
      toast(t(conflict ? 'error.conflict' : 'error.action', { msg: errorText(err) }), 'error');
      // A conflict means our copy is stale: fetch the lists again.
      if (conflict) void resync();
    }
  }

  function upsert(a: Alarm): void {
    const old = rows.get(a.id);
    if (!visible(a)) {
      old?.remove();
      rows.delete(a.id);
      updateEmpty();
      return;
    }
    // Keep a comment being typed.
    const typed = old?.querySelector<HTMLInputElement>('input.comment');
    const hadFocus = !!typed && document.activeElement === typed;
    const row = renderRow(a);
    const input = row.querySelector<HTMLInputElement>('input.comment');
    if (typed && input) input.value = typed.value;
    if (old) old.replaceWith(row);
    else {
      // Newest first: in front of the first older alarm.
      const next = sorted().find((x) => x.id !== a.id && rows.has(x.id) && x.raisedAt < a.raisedAt);
      const before = next ? rows.get(next.id) : undefined;
      if (before) tbody.insertBefore(row, before);
      else tbody.append(row);
    }
    if (hadFocus) input?.focus();
    updateEmpty();
  }

  renderAll();
  const offs = [store.on('alarms', renderAll), store.on('alarm', upsert), store.on('devices', ({ structural }) => structural && (fillDevices(), renderAll()))];
  return { unmount: () => offs.forEach((off) => off()) };
}
