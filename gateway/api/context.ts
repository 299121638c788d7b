/** What the API reads and drives. The API holds no state of its own. */
import type { SiteConfig } from '../config/schema.js';
import type { UserBook } from '../auth/users.js';
import type { Connector } from '../core/connector.js';
import type { EmbeddedBroker } from '../core/embedded-broker.js';
import type { AlarmEngine } from '../alarms/engine.js';
import type { AlarmRepository } from '../alarms/repository.js';
import type { HistoryStore } from '../history/store.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { PredictService } from '../predict/service.js';
import type { WorkOrderService } from '../workorders/service.js';
import type { Uplink } from '../uplink/index.js';
import type { ArchiveService } from '../archive/service.js';
import type { PhotoStore } from '../workorders/photos.js';
import type { IdempotencyStore } from './idempotency.js';
import type { Notifier } from '../notify/index.js';
import type { OwnerDesk } from '../owner/service.js';

export interface ApiContext {
  config: SiteConfig;
  pipeline: Pipeline;
  history: HistoryStore;
  alarms: AlarmEngine;
  alarmRepo: AlarmRepository;
  orders: WorkOrderService;
  startedAt: number;
  /** Users, login and tokens (gateway/auth/). */
  users: UserBook;
  /** Running connectors by protocol, filled when they are created (for /metrics and /api/health). */
  connectors?: ReadonlyMap<string, Connector>;
  /** Predictive maintenance (gateway/predict/): meters, health, forecasts, plans. */
  predict?: PredictService;
  /** The link to head office, when configured (gateway/uplink/). */
  uplink?: Pick<Uplink, 'stats' | 'replay'>;
  /** Monthly archive: reports and workbooks, frozen once a month is closed (gateway/archive/). */
  archive?: ArchiveService;
  /** Photos on work orders and replayed answers for `Idempotency-Key` (README.md, "On a phone"). */
  photos?: PhotoStore;
  idempotency?: IdempotencyStore;
  /** Chat and SMS notification queue (gateway/notify/): backlog and failures. */
  notify?: Pick<Notifier, 'stats'>;
  /** The site broker, when it runs in the gateway's process: its counters for /metrics. */
  broker?: Pick<EmbeddedBroker, 'stats'>;
  /** Owners' requests, follow and feedback links (gateway/owner/); absent when `owner.enabled` is false. */
  owner?: OwnerDesk;
}
