/**
 * Config of the chat and SMS notifications (`notifications.routes`, `notifications.sms`, ...):
 * reference in gateway/notify/README.md. The outer shape is checked by typebox with the rest of
 * the site config; `checkNotifications()` adds the rules a flat schema cannot say (which keys each
 * channel needs), with problems that name the path of the bad key.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Category, Duration, Id, Priority } from '../core/vocabulary.js';

const Clock = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM, 24-hour clock' });

export const NotifyChannel = Type.Union([
  Type.Literal('wecom'),
  Type.Literal('dingtalk'),
  Type.Literal('feishu'),
  Type.Literal('sms'),
  Type.Literal('webhook'),
]);
export type NotifyChannel = Static<typeof NotifyChannel>;

export const RouteMatch = Type.Object(
  {
    categories: Type.Optional(Type.Array(Category)),
    priorities: Type.Optional(Type.Array(Priority)),
    /** `work-order` (an order changed; see `actions`) and `escalation` (a deadline passed unmet); both when absent. */
    events: Type.Optional(Type.Array(Type.Union([Type.Literal('work-order'), Type.Literal('escalation')]))),
    /** Work-order actions that notify (`created`, `resolved`, `closed`, ...); default `created`. */
    actions: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** 0 = new order, 1 = a deadline passed (the escalation event), 2 = still unmet `escalation.level2After` later. */
    minEscalationLevel: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
  },
  { additionalProperties: false },
);
export type RouteMatch = Static<typeof RouteMatch>;

export const QuietHours = Type.Object(
  {
    from: Clock,
    to: Clock,
    /** IANA time zone of the clock; default `notifications.timezone`. */
    tz: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export type QuietHours = Static<typeof QuietHours>;

export const NotifyRoute = Type.Object(
  {
    /** Stable name: the queue keeps deliveries by route name across restarts. */
    name: Id,
    channel: NotifyChannel,
    /** wecom: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`; dingtalk: `https://oapi.dingtalk.com/robot/send?access_token=…`; feishu: `https://open.feishu.cn/open-apis/bot/v2/hook/…`; webhook: any. */
    url: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** dingtalk and feishu: the robot's signing secret (optional); webhook: the HMAC key (required). */
    secret: Type.Optional(Type.String({ minLength: 1 })),
    /** sms: fixed recipients. */
    to: Type.Optional(Type.Array(Type.String({ pattern: '^\\+?[0-9][0-9 -]{4,19}$' }))),
    /** sms: also the owner who asked for the order, when the order carries a phone (`evidence.request.phone`). */
    owner: Type.Optional(Type.Boolean()),
    match: Type.Optional(RouteMatch),
    /** Normal notices wait until `to`; emergencies (fire, trapped passenger, priority emergency) never wait. */
    quietHours: Type.Optional(QuietHours),
  },
  { additionalProperties: false },
);
export type NotifyRoute = Static<typeof NotifyRoute>;

/** An HTTP SMS gateway: `{phone}` and `{text}` in `url` and `body` are replaced, escaped for where they stand. */
export const SmsGateway = Type.Object(
  {
    url: Type.String({ pattern: '^https?://' }),
    method: Type.Optional(Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('GET')])),
    /** Request headers (for example an API key); never logged. */
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    /** How `body` is escaped: `json` (JSON string content), `form` (URL-encoded), `text` (as is). Default json. */
    contentType: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('form'), Type.Literal('text')])),
    body: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type SmsGateway = Static<typeof SmsGateway>;

export const NotifyDelivery = Type.Object(
  {
    /** Per-request timeout; default 10 s. */
    timeout: Type.Optional(Duration),
    /** Attempts before a delivery counts as failed (it stays in the queue, reported); default 50. */
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1 })),
    /** First retry delay (doubles per attempt); default 5 s. */
    backoff: Type.Optional(Duration),
    /** Longest delay between attempts; default 10 min. */
    backoffCap: Type.Optional(Duration),
  },
  { additionalProperties: false },
);
export type NotifyDelivery = Static<typeof NotifyDelivery>;

/** The keys this folder adds to `notifications` (spread into the section in config/schema.ts). */
export const ChatNotifyKeys = {
  /** Chat robots, SMS and signed webhooks by category, priority and escalation level. */
  routes: Type.Optional(Type.Array(NotifyRoute)),
  sms: Type.Optional(SmsGateway),
  /** The estate's time zone for deadlines and quiet hours; default Asia/Shanghai. */
  timezone: Type.Optional(Type.String({ minLength: 1 })),
  /** Dashboard address in links to an order; default `site.url`. */
  dashboardUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  escalation: Type.Optional(Type.Object(
    { /** Level 2: the deadline is still unmet this long after it passed; default 30 min. */ level2After: Type.Optional(Duration) },
    { additionalProperties: false },
  )),
  delivery: Type.Optional(NotifyDelivery),
};

export interface ChatNotifyConfig {
  routes?: NotifyRoute[];
  sms?: SmsGateway;
  timezone?: string;
  dashboardUrl?: string;
  escalation?: { level2After?: string | number };
  delivery?: NotifyDelivery;
}

const validZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** What typebox cannot say: the keys each channel needs, unique names, real time zones. */
export function checkNotifications(n: ChatNotifyConfig | undefined, at = 'notifications'): string[] {
  const problems: string[] = [];
  if (!n) return problems;
  if (n.timezone !== undefined && !validZone(n.timezone)) problems.push(`${at}.timezone: unknown time zone "${n.timezone}"`);
  const names = new Set<string>();
  (n.routes ?? []).forEach((r, i) => {
    const p = `${at}.routes[${i}]`;
    if (names.has(r.name)) problems.push(`${p}.name: duplicate route name "${r.name}"`);
    names.add(r.name);
    if (r.channel === 'sms') {
      if (r.url !== undefined) problems.push(`${p}.url: an sms route uses notifications.sms, not a url`);
      if (!r.to?.length && !r.owner) problems.push(`${p}.to: an sms route needs recipients (to) or owner: true`);
      if (!n.sms) problems.push(`${p}.channel: sms needs the notifications.sms gateway`);
    } else {
      if (!r.url) problems.push(`${p}: missing required key "url" for channel ${r.channel}`);
      if (r.to !== undefined || r.owner !== undefined) problems.push(`${p}.${r.to !== undefined ? 'to' : 'owner'}: only for channel sms`);
    }
    if (r.channel === 'webhook' && !r.secret) problems.push(`${p}: missing required key "secret" for channel webhook`);
    if (r.channel === 'wecom' && r.secret !== undefined) problems.push(`${p}.secret: WeCom robots are not signed (the key is in the url)`);
    if (r.quietHours?.tz !== undefined && !validZone(r.quietHours.tz)) problems.push(`${p}.quietHours.tz: unknown time zone "${r.quietHours.tz}"`);
  });
  return problems;
}
