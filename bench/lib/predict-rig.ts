/**
 * The predictor as the evaluations run it in-process: `PredictService` wired to the product's
 * `WorkOrderService` (SLA book, dedup, evidence and due-date updates) on an in-memory database,
 * with each prediction or preventive order's raise time on the readings' clock (the forecast's
 * own time, not the wall clock) and its evidence updates counted. Used by bench/eval-predict*.ts.
 */
import Database from 'better-sqlite3';
import { createLogger, type Logger } from '../../gateway/core/log.js';
import type { Reading } from '../../gateway/core/reading.js';
import { orderPort } from '../../gateway/predict/orders.js';
import { PredictService, type PredictOptions } from '../../gateway/predict/service.js';
import { PredictStore } from '../../gateway/predict/store.js';
import { WorkOrderRepository } from '../../gateway/workorders/repository.js';
import { WorkOrderService } from '../../gateway/workorders/service.js';
import { SlaBook } from '../../gateway/workorders/sla.js';

export interface RaisedOrder {
  /** Reading time of the forecast that raised it. */
  at: number;
  /** Evidence updates after the raise. */
  updates: number;
  firstEvidence: Record<string, unknown> | null;
}

export interface PredictRig {
  predict: PredictService;
  orders: WorkOrderService;
  /** By order id. */
  raised: Map<string, RaisedOrder>;
}

export function predictRig(opts: Pick<PredictOptions, 'config' | 'settings' | 'persistEveryMs'> & { log?: Logger }): PredictRig {
  const log = opts.log ?? createLogger('eval', 'silent');
  const db = new Database(':memory:');
  const orders = new WorkOrderService(new WorkOrderRepository(db), new SlaBook([]), log);
  const raised = new Map<string, RaisedOrder>();
  orders.onChange((o, action) => {
    if (action === 'created') raised.set(o.id, { at: (o.evidence as { forecast?: { at: number } } | null)?.forecast?.at ?? 0, updates: 0, firstEvidence: o.evidence ?? null });
    else if (action === 'evidence') {
      const r = raised.get(o.id);
      if (r) r.updates++;
    }
  });
  const predict = new PredictService({ config: opts.config, store: new PredictStore(db), orders: orderPort(orders), log, ...(opts.settings ? { settings: opts.settings } : {}), ...(opts.persistEveryMs !== undefined ? { persistEveryMs: opts.persistEveryMs } : {}) });
  return { predict, orders, raised };
}

/** The readings of one simulated sample of `device` (its `points` that carry a value). */
export function readingsOf(device: string, points: readonly string[], sample: { ts: number; values: Record<string, number | boolean> }): Reading[] {
  const batch: Reading[] = [];
  for (const p of points) {
    const v = sample.values[p];
    if (v !== undefined) batch.push({ device, point: p, value: v, quality: 'good', ts: sample.ts });
  }
  return batch;
}
