/** Notifications: one facade over the webhooks and the MQTT publisher of the site config. */
import type { SiteConfig } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import { MqttNotifier } from './mqtt.js';
import { WebhookNotifier, type EventKind, type WebhookOptions } from './webhooks.js';

export { signature, WebhookNotifier, type EventKind } from './webhooks.js';
export { MqttNotifier } from './mqtt.js';

export class Notifier {
  readonly webhooks: WebhookNotifier | null;
  readonly mqtt: MqttNotifier | null;

  constructor(config: Pick<SiteConfig, 'site' | 'notifications'>, log: Logger, webhookOptions?: WebhookOptions) {
    const n = config.notifications ?? { webhooks: [] };
    this.webhooks = n.webhooks?.length ? new WebhookNotifier(n.webhooks, config.site.id, log, webhookOptions) : null;
    this.mqtt = n.mqtt ? new MqttNotifier(n.mqtt, config.site.id, log) : null;
  }

  publish(kind: EventKind, id: string, data: unknown, action?: string): void {
    this.webhooks?.publish(kind, data, action);
    // An owner's message carries a phone number: routed to a receiver, never broadcast on MQTT.
    if (kind !== 'owner-message') this.mqtt?.publish(kind, id, data, action);
  }

  async close(): Promise<void> {
    this.webhooks?.close();
    await this.mqtt?.close();
  }
}
