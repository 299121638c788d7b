/**
 * A site broker running in the gateway's own process (the demo, a single box): the publishes it
 * authorized reach the MQTT connector by a function call instead of over a loopback connection.
 * The broker (broker/index.ts) implements it; the connector (gateway/connectors/mqtt/) uses it.
 */

/** Topic and payload of one authorized publish. Must not throw. */
export type EmbeddedPublishHandler = (topic: string, payload: Buffer | string) => void;

export interface EmbeddedBroker {
  /** The broker's port: device connections to a loopback address on it are served in process. */
  readonly port: number;
  /**
   * `handler` sees every publish the broker authorized (its ACLs passed), before the broker passes
   * it on and before a QoS 1 PUBACK is written: acknowledged means handled. Returns the detach.
   */
  onPublish(handler: EmbeddedPublishHandler): () => void;
  /** The broker's counters since start (refused logins, denied publishes, dropped session messages…), for /metrics. */
  stats(): Readonly<Record<string, number>>;
}
