/**
 * The contract every protocol connector fulfils. A connector owns the I/O for the devices of
 * its protocol: it polls or subscribes, decodes, and hands `Reading`s to the pipeline. It never
 * looks downstream (data flows one way: connectors -> pipeline -> sinks).
 */
import type { TSchema } from '@sinclair/typebox';
import type { Logger } from './log.js';
import type { CommStatus, Reading } from './reading.js';
import type { DeviceConfig } from './vocabulary.js';
import type { EmbeddedBroker } from './embedded-broker.js';

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
}

/** One entry of the connector registry (`gateway/connectors/index.ts`). */
export interface ConnectorPlugin {
  protocol: string;
  /** JSON schema (TypeBox) of `device.connection` for this protocol. */
  connectionSchema: TSchema;
  /** JSON schema (TypeBox) of one entry of `device.points` for this protocol. */
  pointSchema: TSchema;
  /** Build one connector instance serving every device of this protocol. */
  create(devices: DeviceConfig[], ctx: ConnectorContext): Connector;
}
