/**
 * What a notice says and how each channel wants it on the wire.
 *
 * A `Notice` is built once from the order when the event happens and kept in the queue (no
 * secrets in it). The request is built at each attempt, because DingTalk and Feishu sign a fresh
 * timestamp and refuse old ones. Formats (each vendor's custom-robot documentation):
 * - WeCom group robot: POST `{"msgtype":"markdown","markdown":{"content":…}}` to the webhook URL
 *   with its `key`; answers `{"errcode":0,"errmsg":"ok"}`.
 * - DingTalk custom robot: POST `{"msgtype":"actionCard","actionCard":{title,text,singleTitle,singleURL}}`
 *   (`markdown` without a link); with a signing secret, `timestamp` (ms) and
 *   `sign = urlencode(base64(HmacSHA256(key=secret, msg=timestamp+"\n"+secret)))` as query
 *   parameters; answers `{"errcode":0,"errmsg":"ok"}`.
 * - Feishu/Lark custom bot: POST `{"timestamp","sign","msg_type":"interactive","card":{…}}` with
 *   `timestamp` in seconds and `sign = base64(HmacSHA256(key=timestamp+"\n"+secret, msg=""))`;
 *   answers `{"code":0,"msg":"success"}`.
 * A 200 with a non-zero `errcode`/`code` is a failed delivery (retried), never a success.
 */
import { createHmac } from 'node:crypto';
import type { EscalationEvent, WorkOrder } from '../core/model.js';
import type { NotifyRoute, SmsGateway } from '../config/notify.js';
import { signature } from './webhooks.js';

export const DEFAULT_TZ = 'Asia/Shanghai';

/** One notice, channel-neutral. Stored in the queue as JSON. */
export interface Notice {
  event: 'work-order' | 'escalation';
  action: string;
  /** 0 new order, 1 deadline passed, 2 still unmet later. */
  level: number;
  emergency: boolean;
  orderId: string;
  title: string;
  /** Markdown lines (bold and links only: the subset all three chat apps render). */
  lines: string[];
  /** Link to the order in the dashboard, or null when no address is configured. */
  url: string | null;
  /** One-line plain text (SMS). */
  text: string;
}

/** An SMS in the queue. */
export interface SmsMessage {
  phone: string;
  text: string;
}

export interface NoticeContext {
  estate: string;
  deviceName: (id: string) => string | undefined;
  tz: string;
  dashboardUrl: string | null;
}

const CATEGORY: Record<string, string> = { water: '供水', power: '供电', elevator: '电梯', fire: '消防', general: '一般', predictive: '预测性维护' };
const PRIORITY: Record<string, string> = { emergency: '紧急', urgent: '加急', normal: '普通' };
const STATUS: Record<string, string> = { new: '新建', accepted: '已接单', dispatched: '已派工', on_site: '已到场', resolved: '已处理', closed: '已关闭', cancelled: '已取消' };

/** Fire, a trapped passenger or priority emergency (docs/design.md §1, §9): never held back. */
export const isEmergency = (o: Pick<WorkOrder, 'priority' | 'category' | 'fault'>): boolean =>
  o.priority === 'emergency' || o.category === 'fire' || o.fault === 'trapped_passenger';

/** `2026-11-28 23:05` in the given zone. */
export function localTime(ms: number, tz: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/** The owner's phone when the order came from an owner's request (`evidence.request.phone`). */
export function ownerPhone(o: Pick<WorkOrder, 'evidence'>): string | null {
  const req = o.evidence?.request;
  if (req && typeof req === 'object' && 'phone' in req) {
    const p = (req as { phone?: unknown }).phone;
    if (typeof p === 'string' && /^\+?[0-9][0-9 -]{4,19}$/.test(p)) return p;
  }
  return null;
}

export function orderLink(base: string | null, id: string): string | null {
  return base ? `${base.replace(/\/+$/, '')}/#/orders/${encodeURIComponent(id)}` : null;
}

export function buildNotice(order: WorkOrder, ctx: NoticeContext, ev: { event: 'work-order'; action: string } | { event: 'escalation'; esc: Pick<EscalationEvent, 'deadline' | 'dueAt'>; level: 1 | 2 }): Notice {
  const emergency = isEmergency(order);
  const tag = emergency ? '【紧急】' : '';
  let head: string;
  let level = 0;
  let action: string;
  if (ev.event === 'escalation') {
    level = ev.level;
    action = ev.esc.deadline;
    const which = ev.esc.deadline === 'respond' ? '响应' : '到场';
    head = ev.level === 2 ? `${which}时限已过仍未完成（二级升级）` : `${which}时限已过（升级）`;
  } else {
    action = ev.action;
    head = ev.action === 'created' ? '新工单' : `工单${STATUS[order.status] ?? order.status}`;
  }
  const device = order.device ? `${ctx.deviceName(order.device) ?? order.device} (${order.device})` : '—';
  const url = orderLink(ctx.dashboardUrl, order.id);
  const lines = [
    `**${tag}${head}** ${order.number}`,
    `标题：${order.title}`,
    `小区：${ctx.estate}`,
    `设备：${device}`,
    `类别：${CATEGORY[order.category] ?? order.category}　优先级：${PRIORITY[order.priority] ?? order.priority}　状态：${STATUS[order.status] ?? order.status}`,
    `响应时限：${localTime(order.respondBy, ctx.tz)}`,
    ...(order.onSiteBy !== null ? [`到场时限：${localTime(order.onSiteBy, ctx.tz)}`] : []),
    ...(url ? [`[打开工单](${url})`] : []),
  ];
  const deadline = order.onSiteBy !== null && (ev.event !== 'escalation' || ev.esc.deadline === 'on_site')
    ? `到场时限 ${localTime(order.onSiteBy, ctx.tz)}` : `响应时限 ${localTime(order.respondBy, ctx.tz)}`;
  const text = `${tag}${ctx.estate} ${head} ${order.number} ${order.title}，${deadline}${url ? ` ${url}` : ''}`;
  return { event: ev.event, action, level, emergency, orderId: order.id, title: `${tag}${head} ${order.number}`, lines, url, text };
}

export interface WireRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export const dingtalkSign = (secret: string, timestampMs: string): string =>
  createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');

export const feishuSign = (secret: string, timestampSec: string): string =>
  createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'facility-gateway-notify' };

/** The request of one attempt of a chat notice on `route` at time `now` (ms). */
export function chatRequest(route: NotifyRoute, n: Notice, now: number, site: string): WireRequest {
  const url = route.url ?? '';
  switch (route.channel) {
    case 'wecom':
      return { url, method: 'POST', headers: { ...JSON_HEADERS }, body: JSON.stringify({ msgtype: 'markdown', markdown: { content: n.lines.join('\n') } }) };
    case 'dingtalk': {
      // DingTalk markdown needs a blank line (or two trailing spaces) for a line break.
      const text = n.lines.filter((l) => !l.startsWith('[打开工单]')).join('\n\n');
      const body = n.url
        ? { msgtype: 'actionCard', actionCard: { title: n.title, text, singleTitle: '打开工单', singleURL: n.url } }
        : { msgtype: 'markdown', markdown: { title: n.title, text } };
      let signed = url;
      if (route.secret) {
        const ts = String(now);
        const u = new URL(url);
        u.searchParams.set('timestamp', ts);
        u.searchParams.set('sign', dingtalkSign(route.secret, ts));
        signed = u.toString();
      }
      return { url: signed, method: 'POST', headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
    }
    case 'feishu': {
      const card = {
        header: { template: n.emergency || n.level > 0 ? 'red' : 'blue', title: { tag: 'plain_text', content: n.title } },
        elements: [
          { tag: 'div', text: { tag: 'lark_md', content: n.lines.slice(1).filter((l) => !l.startsWith('[打开工单]')).join('\n') } },
          ...(n.url ? [{ tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: '打开工单' }, type: 'primary', url: n.url }] }] : []),
        ],
      };
      const ts = String(Math.floor(now / 1000));
      const body = route.secret
        ? { timestamp: ts, sign: feishuSign(route.secret, ts), msg_type: 'interactive', card }
        : { msg_type: 'interactive', card };
      return { url, method: 'POST', headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
    }
    case 'webhook': {
      const body = JSON.stringify({ site, event: n.event, action: n.action, level: n.level, ts: now, data: n });
      return { url, method: 'POST', headers: { ...JSON_HEADERS, 'x-signature-256': signature(route.secret ?? '', body), 'x-event': n.event }, body };
    }
    case 'sms':
      throw new Error('an sms route is sent through smsRequest()');
  }
}

/** Replaces `{phone}` and `{text}`; `escape` makes a value safe where it stands. */
const fill = (template: string, m: SmsMessage, escape: (v: string) => string): string =>
  template.replace(/\{(phone|text)\}/g, (_all, k: 'phone' | 'text') => escape(m[k]));

/** JSON string content without the quotes: the template writes `"text":"{text}"`. */
const jsonInner = (v: string): string => JSON.stringify(v).slice(1, -1);

export function smsRequest(gw: SmsGateway, m: SmsMessage): WireRequest {
  const type = gw.contentType ?? 'json';
  const method = gw.method ?? 'POST';
  const url = fill(gw.url, m, encodeURIComponent);
  const contentType = type === 'json' ? 'application/json; charset=utf-8' : type === 'form' ? 'application/x-www-form-urlencoded' : 'text/plain; charset=utf-8';
  const body = method === 'GET' || gw.body === undefined ? undefined
    : fill(gw.body, m, type === 'json' ? jsonInner : type === 'form' ? encodeURIComponent : (v) => v);
  return { url, method, headers: { 'user-agent': 'facility-gateway-notify', ...(body !== undefined ? { 'content-type': contentType } : {}), ...gw.headers }, body };
}

/**
 * Whether the answer is a delivery. Chat vendors answer 200 with an error code in the body
 * (invalid key, bad signature, rate limit): only `errcode: 0` (WeCom, DingTalk) or `code: 0`
 * (Feishu) counts.
 */
export function answerOk(channel: NotifyRoute['channel'], status: number, text: string): { ok: boolean; why: string } {
  if (status < 200 || status >= 300) return { ok: false, why: status >= 300 && status < 400 ? `HTTP ${status} redirect not followed (configure the final URL)` : `HTTP ${status}` };
  if (channel === 'sms' || channel === 'webhook') return { ok: true, why: '' };
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { ok: false, why: 'answer is not JSON' };
  }
  const code = channel === 'feishu' ? (body.code ?? body.StatusCode) : body.errcode;
  if (code === 0) return { ok: true, why: '' };
  const msg = channel === 'feishu' ? (body.msg ?? body.StatusMessage) : body.errmsg;
  return { ok: false, why: `${channel} answered ${channel === 'feishu' ? 'code' : 'errcode'} ${String(code)}: ${String(msg ?? '')}` };
}
