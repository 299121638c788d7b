/** Pieces shared by the head-office views: hash queries, percentages, ages, fault names, command tracking. */
import { REQUEST_CATEGORIES, WORK_ORDER_STATUSES } from '../../../gateway/core/model.js';
import { h, setAttr, setText } from '../dom.js';
import { fmtDuration, fmtNumber } from '../format.js';
import { faultLabel } from '../shared/equipment.js';
import { api, errorText, type Command } from './api.js';
import { t, tn } from './i18n.js';

export interface View {
  unmount(): void;
  /** Same page, new query (filters kept in the hash): update in place instead of remounting. */
  update?(params: URLSearchParams): void;
}

/**
 * An order's or alarm's fault as its device's own type names it (two types may give one fault name
 * different meanings); without a known type, as the first type that declares it; else the raw name.
 */
export function faultNameOf(item: { equipment: string | null; fault: string }): string {
  return faultLabel(item.equipment, item.fault) ?? item.fault;
}

export function parseHash(hash: string): { path: string; params: URLSearchParams } {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  return q < 0 ? { path: raw, params: new URLSearchParams() } : { path: raw.slice(0, q) || '/', params: new URLSearchParams(raw.slice(q + 1)) };
}

/** `#/orders?site=a&overdue=true` from the non-empty entries. */
export function hashOf(path: string, params: Record<string, string | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    q.set(k, v === true ? 'true' : v);
  }
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function message(text: string, cls = 'muted'): HTMLElement {
  return h('p', { class: `msg ${cls}` }, text);
}

/**
 * A share as a percentage. Head office sends ratios (0..1); a value above 1 is taken as already
 * being a percentage, so either convention reads right.
 */
export function percentOf(v: number | null | undefined): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  return v > 1 ? v : v * 100;
}

export function fmtPct(v: number | null | undefined): string {
  const p = percentOf(v);
  if (p === null) return t('common.none');
  const r = Math.round(p * 10) / 10;
  return `${Number.isInteger(r) ? r : r.toFixed(1)}%`;
}

/** SLA colour: at least 95 % good, at least 85 % warning, below that bad. */
export type Level = 'good' | 'warn' | 'bad' | 'none';
export const SLA_GOOD = 95;
export const SLA_WARN = 85;
export function slaLevel(v: number | null | undefined): Level {
  const p = percentOf(v);
  if (p === null) return 'none';
  return p >= SLA_GOOD ? 'good' : p >= SLA_WARN ? 'warn' : 'bad';
}

/** "3m 05s ago" from an epoch-ms time. */
export function fmtAgo(ts: number | null | undefined, now = Date.now()): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts) || ts <= 0) return t('common.none');
  return t('time.ago', { d: fmtDuration(now - ts) });
}

export function currentMonth(now = new Date()): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`;
}

export function validMonth(m: string | null): m is string {
  return !!m && /^\d{4}-(0[1-9]|1[0-2])$/.test(m);
}

/** `month` of a hash query, or the current month when missing or malformed. */
export function monthParam(p: URLSearchParams): string {
  const m = p.get('month');
  return validMonth(m) ? m : currentMonth();
}

/**
 * Fills a page body from one request at a time: `show` builds it from the newest answer, a failure
 * shows the load error; answers overtaken by a newer load, or arriving after `dispose`, are dropped.
 */
export function latestLoader<T>(body: HTMLElement, fetch: () => Promise<T>, show: (r: T) => Node): { load(): Promise<void>; dispose(): void } {
  let disposed = false;
  let seq = 0;
  return {
    async load() {
      const mine = ++seq;
      try {
        const r = await fetch();
        if (disposed || mine !== seq) return;
        body.replaceChildren(show(r));
      } catch (err) {
        if (disposed || mine !== seq) return;
        body.replaceChildren(message(t('error.load', { msg: errorText(err) }), 'error'));
      }
    },
    dispose() {
      disposed = true;
    },
  };
}

/** Categories offered in selects; others seen on the wire are added and shown raw. */
export const CATEGORIES: readonly string[] = REQUEST_CATEGORIES;
export const STATES: readonly string[] = WORK_ORDER_STATUSES;

export function categoryName(c: string): string {
  return tn('category', c);
}

/**
 * The command list of a page: each command sent (new request, reassign) shows as pending and is
 * polled until the estate applied or refused it; a refusal stays visible with its reason.
 */
export class CommandTracker {
  readonly el = h('ul', { class: 'commands plain-list', 'data-testid': 'commands', 'aria-live': 'polite' });
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private disposed = false;

  constructor(private readonly onApplied: (c: Command) => void) {
    this.el.hidden = true;
  }

  track(cmd: Command, label: string): void {
    const status = h('span', { class: 'cmd-status' });
    const reason = h('span', { class: 'cmd-reason', 'data-testid': 'command-reason' });
    const item = h(
      'li',
      { class: 'cmd', 'data-testid': 'command-status', 'data-command-id': cmd.id },
      h('span', { class: 'cmd-label' }, label),
      ' ',
      status,
      ' ',
      reason,
    );
    this.el.hidden = false;
    this.el.prepend(item);
    const show = (c: Command) => {
      setAttr(item, 'data-status', c.status);
      setText(status, t(`command.${c.status}`));
      setText(reason, c.status === 'refused' ? (c.reason ?? t('command.noReason')) : '');
    };
    show(cmd);
    const started = Date.now();
    const poll = () => {
      if (this.disposed) return;
      api.command(cmd.id).then(
        (c) => {
          if (this.disposed) return;
          show(c);
          if (c.status === 'pending') next();
          else if (c.status === 'applied') this.onApplied(c);
        },
        (err: unknown) => {
          if (this.disposed) return;
          setText(reason, t('command.pollError', { msg: errorText(err) }));
          next();
        },
      );
    };
    // Every second at first; an estate that is offline may take hours, so slow down after a minute.
    const next = () => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        poll();
      }, Date.now() - started < 60_000 ? 1000 : 10_000);
      this.timers.add(timer);
    };
    if (cmd.status === 'pending') next();
    else if (cmd.status === 'applied') this.onApplied(cmd);
  }

  /** A command the server did not accept at all (validation, permission, network). */
  fail(label: string, msg: string): void {
    const item = h(
      'li',
      { class: 'cmd', 'data-testid': 'command-status', 'data-status': 'error' },
      h('span', { class: 'cmd-label' }, label),
      ' ',
      h('span', { class: 'cmd-status' }, t('command.error')),
      ' ',
      h('span', { class: 'cmd-reason', 'data-testid': 'command-reason' }, msg),
    );
    this.el.hidden = false;
    this.el.prepend(item);
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** Format a KPI value with its unit. */
export function fmtKpi(kpi: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return t('common.none');
  const one = (x: number) => {
    const r = Math.round(x * 10) / 10;
    return Number.isInteger(r) ? String(r) : r.toFixed(1);
  };
  switch (kpi) {
    case 'sla':
    case 'slaCompliance':
      return fmtPct(v);
    case 'response':
    case 'meanResponseMin':
      return `${one(v)} ${t('unit.min')}`;
    case 'mttr':
    case 'mttrH':
      return `${one(v)} ${t('unit.h')}`;
    case 'satisfaction':
      return v.toFixed(2);
    default:
      return fmtNumber(v);
  }
}
