/** What the API reads and drives. The API holds no state of its own. */
import type { SiteConfig } from '../config/schema.js';
import type { AlarmEngine } from '../alarms/engine.js';
import type { AlarmRepository } from '../alarms/repository.js';
import type { HistoryStore } from '../history/store.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { WorkOrderService } from '../workorders/service.js';

export interface ApiContext {
  config: SiteConfig;
  pipeline: Pipeline;
  history: HistoryStore;
  alarms: AlarmEngine;
  alarmRepo: AlarmRepository;
  orders: WorkOrderService;
  startedAt: number;
}
