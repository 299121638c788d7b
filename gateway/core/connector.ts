/**
 * The contract every protocol connector fulfils. A connector owns the I/O for the devices of
 * its protocol: it polls or subscribes, decodes, and hands `Reading`s to the pipeline. It never
 * looks downstream (data flows one way: connectors -> pipeline -> sinks).
 */
import { Type, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import type { Logger } from './log.js';
import type { CommStatus, PointValue, Reading } from './reading.js';
import { SnakeName, type DeviceConfig } from './vocabulary.js';
import type { EmbeddedBroker } from './embedded-broker.js';

/**
 * The fields every point has, whatever its protocol: its name (the reading's `point`, the key of
 * rules and history) and its engineering unit. Each protocol's point schema spreads these.
 */
export const BASE_POINT_FIELDS = {
  name: SnakeName,
  unit: Type.Optional(Type.String()),
};

/** What a connector counts per device: messages (answers, notifications) received, and those it could not decode. */
export interface DeviceCounters {
  messages: number;
  malformed: number;
}

/** A connector's counters for `/metrics` and `/api/health`. */
export interface ConnectorStats {
  messages: number;
  malformed: number;
  devices: Record<string, DeviceCounters>;
}

/** What a write sent to a device. */
export interface WriteResult {
  device: string;
  point: string;
  /** The engineering value written. */
  value: PointValue;
  /** Protocol details of what went out, e.g. `{ fc: 16, address: 20, registers: [0x4148, 0] }`. */
  detail: Record<string, unknown>;
}

export interface ConnectorContext {
  /** Hand a batch of readings to the pipeline. Cheap; never throws. */
  emit(readings: Reading[]): void;
  /** Report a device's communication state (online/offline/connecting) with a reason. */
  status(device: string, status: CommStatus, reason?: string): void;
  log: Logger;
  /** Data directory of the gateway (PKI folders, session state...). */
  dataDir: string;
  /** The site broker when it runs in this process (./embedded-broker.ts); MQTT devices on it skip the network. */
  embeddedBroker?: EmbeddedBroker;
}

export interface Connector {
  start(): Promise<void>;
  /** Stop polling/subscriptions and close every connection. Must resolve within a few seconds. */
  stop(): Promise<void>;
  /** Counters per device (cheap: read at every `/metrics` scrape). */
  stats(): ConnectorStats;
  /** Whether this connector serves `device` (so callers holding several connectors can route). */
  serves(device: string): boolean;
  /**
   * The write capability, on protocols that have one: write `value` to `point` of `device`;
   * resolves once the device confirmed it. Absent on read-only protocols.
   */
  readonly write?: (device: string, point: string, value: PointValue) => Promise<WriteResult>;
}

/** One entry of the connector registry (`gateway/connectors/index.ts`). */
export interface ConnectorPlugin {
  protocol: string;
  /** JSON schema (TypeBox) of `device.connection` for this protocol. */
  connectionSchema: TSchema;
  /** JSON schema (TypeBox) of one entry of `device.points` for this protocol: `BASE_POINT_FIELDS` and its own. */
  pointSchema: TObject<typeof BASE_POINT_FIELDS & TProperties>;
  /** Build one connector instance serving every device of this protocol. */
  create(devices: DeviceConfig[], ctx: ConnectorContext): Connector;
}
