/**
 * Builds the monthly archive of a gateway from its config, database, work orders and alarms
 * (gateway/archive/README.md). The archive only reads orders and alarms; it writes `archive_months`.
 */
import type { SiteConfig } from '../config/schema.js';
import { toMs } from '../core/durations.js';
import type { Logger } from '../core/log.js';
import type { AlarmRepository } from '../alarms/repository.js';
import type { Db } from '../storage/sqlite.js';
import type { WorkOrderService } from '../workorders/service.js';
import type { ArchiveSource } from './report.js';
import { ArchiveService } from './service.js';

export { ArchiveService } from './service.js';
export type { MonthlyReport } from './report.js';

export interface ArchiveDeps {
  config: SiteConfig;
  estate: { site: string; code: string };
  db: Db;
  orders: WorkOrderService;
  alarmRepo: Pick<AlarmRepository, 'countsBetween'>;
  log: Logger;
}

export function archiveSource(orders: WorkOrderService, alarmRepo: Pick<AlarmRepository, 'countsBetween'>): ArchiveSource {
  return {
    orders: (from, to) => orders.faultedBetween(from, to),
    kpis: (from, to) => orders.kpis(from, to),
    escalations: (id) => orders.escalations(id),
    audit: (id) => orders.audit(id),
    ledger: (id) => orders.ledger(id),
    alarmCounts: (from, to) => alarmRepo.countsBetween(from, to),
    now: () => orders.now(),
  };
}

export function createArchive(d: ArchiveDeps): ArchiveService {
  const a = d.config.archive;
  return new ArchiveService({
    db: d.db,
    source: archiveSource(d.orders, d.alarmRepo),
    estate: { site: d.estate.site, code: d.estate.code, name: d.config.site.name },
    ...(a?.timezone ? { timezone: a.timezone } : {}),
    ...(a?.grace !== undefined ? { graceMs: toMs(a.grace) } : {}),
    firstDataAt: () => (d.db.prepare('SELECT MIN(fault_at) AS t FROM work_orders').get() as { t: number | null }).t,
    log: d.log,
  });
}
