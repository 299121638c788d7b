/** Notifications: one facade over the webhooks, the MQTT publisher and the chat/SMS routes of the site config. */
import type { SiteConfig } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import { ChatNotifier, type ChatNotifierDeps } from './chat.js';
import { MqttNotifier } from './mqtt.js';
import type { NotifyStats } from './outbox.js';
import { WebhookNotifier, type EventKind, type WebhookOptions } from './webhooks.js';

export { signature, WebhookNotifier, type EventKind } from './webhooks.js';
export { MqttNotifier } from './mqtt.js';
export { ChatNotifier, type SmsSender } from './chat.js';
export type { NotifyStats } from './outbox.js';

/** What the chat and SMS routes need from the gateway: its database and the orders. */
export type NotifierDeps = Pick<ChatNotifierDeps, 'db' | 'orders' | 'now' | 'outbox'>;

export class Notifier {
  readonly webhooks: WebhookNotifier | null;
  readonly mqtt: MqttNotifier | null;
  /** Chat robots, SMS and routed webhooks; null without `notifications.routes` and `notifications.sms`. */
  readonly chat: ChatNotifier | null;

  constructor(config: Pick<SiteConfig, 'site' | 'notifications'> & Partial<Pick<SiteConfig, 'devices'>>, log: Logger, webhookOptions?: WebhookOptions, deps?: NotifierDeps) {
    const n = config.notifications ?? { webhooks: [] };
    this.webhooks = n.webhooks?.length ? new WebhookNotifier(n.webhooks, config.site.id, log, webhookOptions) : null;
    this.mqtt = n.mqtt ? new MqttNotifier(n.mqtt, config.site.id, log) : null;
    const names = new Map((config.devices ?? []).map((d) => [d.id, d.name ?? d.id]));
    this.chat = deps && (n.routes?.length || n.sms)
      ? new ChatNotifier(n, { ...deps, site: config.site, deviceName: (id) => names.get(id), log })
      : null;
  }

  /** Starts the chat queue (rows a previous run left) and its level-2 escalation clock. */
  start(): void {
    this.chat?.start();
  }

  publish(kind: EventKind, id: string, data: unknown, action?: string): void {
    this.webhooks?.publish(kind, data, action);
    // An owner's message carries a phone number: routed to a receiver, never broadcast on MQTT.
    if (kind !== 'owner-message') this.mqtt?.publish(kind, id, data, action);
    this.chat?.onEvent(kind, data, action);
  }

  /** Queues an SMS through `notifications.sms`; false when none is configured. */
  sms(phone: string, text: string, key?: string): boolean {
    return this.chat?.sms(phone, text, key) ?? false;
  }

  stats(): NotifyStats | null {
    return this.chat?.stats() ?? null;
  }

  async close(): Promise<void> {
    this.webhooks?.close();
    await this.chat?.close();
    await this.mqtt?.close();
  }
}
