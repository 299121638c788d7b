/**
 * Work orders to the chat apps and phones of the people around an order: WeCom, DingTalk and
 * Feishu group robots, SMS and routed signed webhooks (reference: gateway/notify/README.md).
 *
 * - A new order (level 0) and each missed deadline (level 1: the `escalation` event of
 *   gateway/workorders/wiring.ts, seed 5.1) become a `Notice`; every matching route gets a row
 *   in the durable queue (outbox.ts) at once.
 * - Level 2: `tick()` finds open orders whose deadline is still unmet `level2After` after it
 *   passed, once per order and deadline (the queue key makes it once, across restarts too).
 * - SMS routes also reach the owner who asked for the order when it carries a phone, and
 *   `sms()` lets another module text a number (feedback to the owner, seed 2.3).
 */
import { randomUUID } from 'node:crypto';
import { toMs } from '../core/durations.js';
import type { Logger } from '../core/log.js';
import { OPEN_STATUSES, type EscalationEvent, type WorkOrder } from '../core/model.js';
import type { Db } from '../storage/sqlite.js';
import { buildNotice, DEFAULT_TZ, orderLink, ownerPhone, type Notice, type NoticeContext } from './format.js';
import { NotifyOutbox, type NotifyStats, type OutboxOptions } from './outbox.js';
import { releaseTime, routeMatches } from './routing.js';
import type { ChatNotifyConfig, NotifyRoute } from '../config/notify.js';

/** What another module needs to text someone: queued durably, retried, never blocks. */
export interface SmsSender {
  /** Queues an SMS; false when no SMS gateway is configured. `key` makes a repeat a no-op. */
  sms(phone: string, text: string, key?: string): boolean;
}

export interface OrderSource {
  get(id: string): WorkOrder | undefined;
  list(opts: { limit?: number; open?: boolean }): WorkOrder[];
}

export interface ChatNotifierDeps {
  db: Db;
  orders: OrderSource;
  site: { id: string; name: string; url?: string | undefined };
  deviceName: (id: string) => string | undefined;
  log: Logger;
  now?: () => number;
  outbox?: OutboxOptions;
}

/** Orders whose deadlines can still be missed: open (core/model.ts `OPEN_STATUSES`) and not yet resolved. */
const UNRESOLVED: ReadonlySet<string> = new Set(OPEN_STATUSES.filter((s) => s !== 'resolved'));

export class ChatNotifier implements SmsSender {
  readonly outbox: NotifyOutbox;
  private readonly routes: readonly NotifyRoute[];
  private readonly ctx: NoticeContext;
  private readonly level2AfterMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  // Not a config name (those start with a letter or digit): SMS asked for through `sms()`.
  private readonly smsRoute: NotifyRoute = { name: '_sms', channel: 'sms' };

  constructor(private readonly cfg: ChatNotifyConfig, private readonly d: ChatNotifierDeps) {
    this.routes = cfg.routes ?? [];
    this.now = d.now ?? Date.now;
    this.level2AfterMs = toMs(cfg.escalation?.level2After ?? '30m');
    this.ctx = { estate: d.site.name, deviceName: d.deviceName, tz: cfg.timezone ?? DEFAULT_TZ, dashboardUrl: cfg.dashboardUrl ?? d.site.url ?? null };
    const del = cfg.delivery ?? {};
    this.outbox = new NotifyOutbox(
      { db: d.db, site: d.site.id, routes: [...this.routes, this.smsRoute], sms: cfg.sms, log: d.log, now: this.now },
      {
        ...(del.timeout !== undefined ? { timeoutMs: toMs(del.timeout) } : {}),
        ...(del.maxAttempts !== undefined ? { maxAttempts: del.maxAttempts } : {}),
        ...(del.backoff !== undefined ? { baseDelayMs: toMs(del.backoff) } : {}),
        ...(del.backoffCap !== undefined ? { maxDelayMs: toMs(del.backoffCap) } : {}),
        ...d.outbox,
      },
    );
  }

  /** Starts sending (rows left by a previous run first) and the level-2 clock. */
  start(tickMs = 30_000): void {
    this.outbox.pump();
    this.timer ??= setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        this.d.log.error({ err }, 'level-2 escalation check failed');
      }
    }, tickMs);
    this.timer.unref();
  }

  /** Events of the Notifier facade: `work-order` (data: the order) and `escalation`. */
  onEvent(kind: string, data: unknown, action?: string): void {
    if (kind === 'work-order') {
      const order = data as WorkOrder;
      this.dispatch(order, buildNotice(order, this.ctx, { event: 'work-order', action: action ?? 'updated' }), `${order.updatedAt}`);
    } else if (kind === 'escalation') {
      const ev = data as EscalationEvent;
      const order = this.d.orders.get(ev.orderId);
      if (order) this.dispatch(order, buildNotice(order, this.ctx, { event: 'escalation', esc: ev, level: 1 }), '');
    }
  }

  /** Level 2: deadlines still unmet `level2After` after they passed. Returns the notices made. */
  tick(now = this.now()): Notice[] {
    if (!this.routes.some((r) => (r.match?.events ?? ['escalation']).includes('escalation'))) return [];
    const out: Notice[] = [];
    for (const o of this.d.orders.list({ open: true, limit: 100_000 })) {
      if (!UNRESOLVED.has(o.status)) continue;
      const missed: EscalationEvent['deadline'][] = [];
      if (o.respondedAt === null && now >= o.respondBy + this.level2AfterMs) missed.push('respond');
      if (o.onSiteBy !== null && o.onSiteAt === null && now >= o.onSiteBy + this.level2AfterMs) missed.push('on_site');
      for (const deadline of missed) {
        const n = buildNotice(o, this.ctx, { event: 'escalation', esc: { deadline, dueAt: deadline === 'respond' ? o.respondBy : o.onSiteBy! }, level: 2 });
        if (this.dispatch(o, n, '')) out.push(n);
      }
    }
    return out;
  }

  sms(phone: string, text: string, key: string = randomUUID()): boolean {
    if (!this.cfg.sms) return false;
    this.outbox.enqueue(`sms|${key}|${phone}`, this.smsRoute, { phone, text });
    return true;
  }

  stats(): NotifyStats {
    return this.outbox.stats();
  }

  link(orderId: string): string | null {
    return orderLink(this.ctx.dashboardUrl, orderId);
  }

  /** Queues `n` on every matching route. True when anything new was queued. */
  private dispatch(order: WorkOrder, n: Notice, version: string): boolean {
    const now = this.now();
    const event = n.event === 'escalation' ? `escalation|${n.action}|L${n.level}` : `work-order|${n.action}|${version}`;
    let queued = false;
    for (const route of this.routes) {
      if (!routeMatches(route, n, order)) continue;
      // Emergencies never wait for the end of quiet hours (docs/design.md §9).
      const at = n.emergency ? now : releaseTime(route.quietHours, this.ctx.tz, now);
      if (at > now) this.d.log.info({ route: route.name, order: order.number, until: new Date(at).toISOString() }, 'quiet hours: notice held');
      if (route.channel === 'sms') {
        const phones = new Set(route.to ?? []);
        const owner = route.owner ? ownerPhone(order) : null;
        if (owner) phones.add(owner);
        for (const phone of phones) queued = this.outbox.enqueue(`${route.name}|${order.id}|${event}|${phone}`, route, { phone, text: n.text }, at) || queued;
      } else {
        queued = this.outbox.enqueue(`${route.name}|${order.id}|${event}`, route, n, at) || queued;
      }
    }
    return queued;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.outbox.close();
  }
}
