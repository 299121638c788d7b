/** What the head-office API reads and drives; it holds no state of its own. */
import type { CommandDesk } from '../commands.js';
import type { Db } from '../db/pool.js';
import type { ConsumerLag, HqMetrics } from '../metrics.js';
import type { HqUserBook } from './users.js';

export interface HqProbe {
  nats: { connected: boolean };
  consumers: Record<string, ConsumerLag | null>;
}

export interface HqApiContext {
  pool: Db;
  users: HqUserBook;
  desk: CommandDesk;
  metrics: HqMetrics;
  now: () => number;
  startedAt: number;
  /** An estate is online while it was heard within 2 x this period (its status period). */
  statusPeriodMs: number;
  probe: () => Promise<HqProbe>;
  /** Built dashboard (vite), served with `/` → hq.html. */
  dashboardDir: string;
  loginAttemptsPerMinute: number;
  /** Alternative bearer for Prometheus scrapes of /metrics (HQ_METRICS_TOKEN). */
  metricsToken?: string;
}
