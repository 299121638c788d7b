/** The predict room's entry point for the composition root (gateway/app.ts). See README.md. */
import type { SiteConfig } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { Db } from '../storage/sqlite.js';
import type { WorkOrderService } from '../workorders/service.js';
import { orderPort } from './orders.js';
import { PredictService } from './service.js';
import { PredictStore } from './store.js';

export { PredictService } from './service.js';

export function createPredict(opts: { config: SiteConfig; db: Db; orders: WorkOrderService; log: Logger }): PredictService {
  return new PredictService({ config: opts.config, store: new PredictStore(opts.db), orders: orderPort(opts.orders), log: opts.log });
}
