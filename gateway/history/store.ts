/**
 * The history contract: every backend (embedded SQLite, InfluxDB 1.x) implements it, and one
 * contract test suite runs against each.
 */
import type { Reading } from '../core/reading.js';

export interface HistoryQuery {
  device: string;
  point: string;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, inclusive. */
  to: number;
  /** Upper bound on returned samples; the store may downsample. */
  limit?: number;
}

export interface HistorySample {
  ts: number;
  value: number | boolean | string | null;
}

/** An alarm or work-order event, written beside the readings so trends can overlay them. */
export interface HistoryEvent {
  ts: number;
  device: string | null;
  kind: 'alarm' | 'work-order';
  action: string;
  id: string;
  text: string;
}

export interface HistoryStore {
  readonly backend: 'embedded' | 'influx';
  /** Create database/tables if missing. Rejects with a coded error when the store is unusable. */
  init(): Promise<void>;
  /** Queue readings for writing (batched inside); never throws, never blocks the caller. */
  write(readings: readonly Reading[]): void;
  writeEvent(event: HistoryEvent): void;
  /** Write everything queued so far. */
  flush(): Promise<void>;
  query(q: HistoryQuery): Promise<HistorySample[]>;
  close(): Promise<void>;
}
