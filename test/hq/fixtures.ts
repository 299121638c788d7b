/** Event builders for the head-office tests: estates with orders, alarms and status. */
import type { RollupBatch, SiteEvent, SiteEventType } from '../../gateway/core/envelope.js';
import type { Alarm, WorkOrder } from '../../gateway/core/model.js';

export const T0 = Date.UTC(2026, 10, 3, 8, 0, 0);
const H = 3_600_000;

export function envelope<T>(site: string, seq: number, type: SiteEventType, data: T, at = T0 + seq * 1000): SiteEvent<T & { site: string }> {
  return { id: `${site}:${seq}`, site, seq, type, schema: 1, at, data: { ...data, site } };
}

let n = 0;
export function order(over: Partial<WorkOrder> & { id: string }): WorkOrder {
  n++;
  return {
    site: 'x',
    number: `WO-X-20261103-${String(n).padStart(4, '0')}`,
    device: 'pump-1', fault: 'low_pressure', category: 'water', priority: 'urgent', source: 'alarm', title: 'Low discharge pressure',
    status: 'new', faultAt: T0, createdAt: T0, updatedAt: T0, respondBy: T0 + H, onSiteBy: null, respondedAt: null, onSiteAt: null,
    occurrences: 1, assignee: null, resolvedAt: null, closedAt: null, dueAt: null, feedback: null, evidence: null,
    ...over,
  };
}

export function alarm(over: Partial<Alarm> & { id: string }): Alarm {
  return {
    site: 'x', device: 'pump-1', rule: 'low-pressure', fault: 'low_pressure', severity: 'major', category: 'water', message: 'low pressure',
    state: 'active_unack', value: 1.2, raisedAt: T0, clearedAt: null, ackedAt: null, ackedBy: null, workOrderId: null,
    ...over,
  } as Alarm;
}

export function status(site: string, seq: number, over: Record<string, unknown> = {}, at?: number): SiteEvent {
  return envelope(site, seq, 'site.status', { name: `Estate ${site}`, code: site.toUpperCase(), url: `http://${site}.example`, devices: 10, online: 9, offline: 1, startedAt: T0, ...over }, at);
}

export function rollup(site: string, minute: number, rows: { device: string; equipment: string; point: string; min: number; mean: number; max: number; count: number }[], part = 0): RollupBatch {
  return { id: `${site}:r:${minute}:${part}`, site, schema: 1, minute, rows: rows.map((r) => ({ ...r, minute })) };
}
