/**
 * The preventive-maintenance scheduler: calendar and meter plans per device, preventive orders
 * raised `lead` ahead of the due point, cycles completed when their order is no longer open
 * (OPEN_STATUSES), and PM compliance (SMRP 5.4). Time is reading time, passed in.
 */
import { isOpen, type WorkOrder } from '../core/model.js';
import { fmt } from './forecaster.js';
import type { OrderPort } from './orders.js';
import type { DeviceRt } from './series.js';
import type { PmRow, PredictStore } from './store.js';
import { planView, type ComplianceView, type PlanCompliance, type PlanView } from './views.js';


export class PmScheduler {
  private readonly open = new Map<string, PmRow>(); // key plan|device

  constructor(
    private readonly devices: ReadonlyMap<string, DeviceRt>,
    private readonly store: PredictStore,
    private readonly orders: OrderPort,
  ) {}

  /** Open cycles from the store (after a restart). */
  restore(): void {
    for (const r of this.store.pm({ open: true })) this.open.set(`${r.plan}|${r.device}`, r);
  }

  /** Checks every plan at `now` (reading time); raises preventive orders `lead` ahead of the due point. */
  tick(now: number): void {
    for (const rt of this.devices.values()) {
      for (const p of rt.plans) {
        const key = `${p.id}|${rt.cfg.id}`;
        if (this.open.has(key)) continue;
        const units = p.meter ? rt.meters.values[p.meter] : null;
        let st = this.store.planState(p.id, rt.cfg.id);
        if (!st) {
          // A plan starts when the gateway first sees the device (or its configured last PM).
          st = { lastDoneAt: now, lastDoneUnits: units };
          this.store.savePlanState(p.id, rt.cfg.id, now, units);
        }
        const dueAt = p.kind === 'calendar' ? st.lastDoneAt + p.every : null;
        const dueUnits = p.kind === 'meter' ? (st.lastDoneUnits ?? 0) + p.every : null;
        const raise = p.kind === 'calendar' ? now >= dueAt! - p.lead : units !== null && units >= dueUnits! - p.lead;
        if (!raise) continue;
        const title = p.kind === 'calendar'
          ? `${p.title}: due ${new Date(dueAt!).toISOString().slice(0, 10)}`
          : `${p.title}: due at ${fmt(dueUnits!, 1)} ${p.meter} on the gateway meter`;
        const order = this.orders.raise({ source: 'preventive', device: rt.cfg.id, fault: `pm_${p.id.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`, category: 'general', title, faultAt: now,
          evidence: { plan: { ...p }, dueAt, dueUnits, meterNow: units }, ...(dueAt !== null ? { dueAt } : {}) });
        const row: Omit<PmRow, 'id'> = { plan: p.id, device: rt.cfg.id, kind: p.kind, dueAt, dueUnits, grace: p.grace, raisedAt: now, orderId: order.id, status: 'open', doneAt: null, doneUnits: null, onTime: null };
        const id = this.store.insertPm(row);
        this.open.set(key, { ...row, id });
        this.store.saveOrder({ orderId: order.id, device: rt.cfg.id, fault: order.fault, kind: 'preventive', series: null, raisedAt: now, updatedAt: now, updates: 0, evidence: { plan: p.id, dueAt, dueUnits } });
      }
    }
  }

  /** A preventive order left the open statuses: its cycle is done, or dropped when cancelled. */
  onOrder(o: WorkOrder): void {
    const key = [...this.open.entries()].find(([, r]) => r.orderId === o.id)?.[0];
    if (!key || isOpen(o.status)) return;
    const row = this.open.get(key)!;
    if (o.status === 'cancelled') {
      this.open.delete(key);
      this.store.updatePm({ ...row, status: 'cancelled' });
    } else this.complete(row, Math.max(o.updatedAt, 0));
  }

  /** Records a PM as done (from the order lifecycle or `POST /api/predict/plans/:plan/done`). */
  recordDone(plan: string, device: string, at: number): PmRow | null {
    const row = this.open.get(`${plan}|${device}`);
    const rt = this.devices.get(device);
    const p = rt?.plans.find((x) => x.id === plan);
    if (!rt || !p) return null;
    if (row) return this.complete(row, at);
    this.store.savePlanState(plan, device, at, p.meter ? rt.meters.values[p.meter] : null);
    return null;
  }

  private complete(row: PmRow, at: number): PmRow {
    const rt = this.devices.get(row.device);
    const p = rt?.plans.find((x) => x.id === row.plan);
    const units = p?.meter && rt ? rt.meters.values[p.meter] : null;
    const onTime = row.kind === 'calendar' ? at <= row.dueAt! + row.grace : units !== null && units <= row.dueUnits! + row.grace;
    const done: PmRow = { ...row, status: 'done', doneAt: at, doneUnits: units, onTime };
    this.store.updatePm(done);
    this.store.savePlanState(row.plan, row.device, at, units);
    this.open.delete(`${row.plan}|${row.device}`);
    return done;
  }

  plans(device?: string): PlanView[] {
    const out: PlanView[] = [];
    for (const rt of this.devices.values()) {
      if (device && rt.cfg.id !== device) continue;
      for (const p of rt.plans) out.push(planView(rt, p, this.store.planState(p.id, rt.cfg.id) ?? null, this.open.get(`${p.id}|${rt.cfg.id}`) ?? null));
    }
    return out;
  }

  /** PM compliance (SMRP 5.4): PM cycles done within the grace window / PM cycles due. */
  compliance(now: number): ComplianceView {
    const rows = this.store.pm();
    const byPlan = new Map<string, PlanCompliance>();
    for (const r of rows) {
      const k = byPlan.get(r.plan) ?? { plan: r.plan, due: 0, onTime: 0, late: 0, overdue: 0 };
      byPlan.set(r.plan, k);
      if (r.status === 'done') {
        k.due++;
        if (r.onTime) k.onTime++;
        else k.late++;
      } else if (r.status === 'open') {
        const rt = this.devices.get(r.device);
        const p = rt?.plans.find((x) => x.id === r.plan);
        const past = r.kind === 'calendar' ? now > r.dueAt! + r.grace : !!(p?.meter && rt && rt.meters.values[p.meter] > r.dueUnits! + r.grace);
        if (past) {
          k.due++;
          k.overdue++;
        }
      }
    }
    const plans = [...byPlan.values()];
    const due = plans.reduce((a, p) => a + p.due, 0);
    const onTime = plans.reduce((a, p) => a + p.onTime, 0);
    return { due, onTime, compliance: due ? onTime / due : null, byPlan: plans, cycles: rows };
  }
}
