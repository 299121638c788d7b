/**
 * Publishes alarm, work-order and escalation events to an MQTT broker so an SMS gateway or a CMMS
 * can subscribe: `<prefix>/events/work-order/<id>`, `<prefix>/events/alarm/<id>`,
 * `<prefix>/events/escalation/<orderId>` (QoS 1, JSON, not retained). mqtt.js keeps QoS 1 messages
 * while the broker is away and sends them on reconnect; `publish()` never blocks the caller.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../core/log.js';
import type { EventKind } from './webhooks.js';

export interface MqttNotifyConfig {
  url: string;
  username?: string;
  password?: string;
  topicPrefix?: string;
}

export class MqttNotifier {
  private readonly client: MqttClient;
  private readonly prefix: string;

  constructor(cfg: MqttNotifyConfig, site: string, private readonly log: Logger) {
    this.prefix = cfg.topicPrefix ?? site;
    this.client = mqtt.connect(cfg.url, {
      clientId: `gw-notify-${site}-${process.pid}`,
      reconnectPeriod: 2000,
      connectTimeout: 5000,
      ...(cfg.username !== undefined ? { username: cfg.username } : {}),
      ...(cfg.password !== undefined ? { password: cfg.password } : {}),
    });
    this.client.on('error', (err) => this.log.debug({ err: err.message }, 'notify broker error'));
  }

  topic(kind: EventKind, id: string): string {
    return `${this.prefix}/events/${kind}/${id}`;
  }

  publish(kind: EventKind, id: string, data: unknown, action?: string): void {
    const payload = JSON.stringify({ event: kind, action: action ?? null, ts: Date.now(), data });
    this.client.publish(this.topic(kind, id), payload, { qos: 1 }, (err) => {
      if (err) this.log.warn({ err: err.message, kind, id }, 'MQTT event publication failed');
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.client.end(false, {}, () => resolve()));
  }
}
