/**
 * Chat robots, SMS, routing, quiet hours and the durable queue against real receivers: local
 * HTTP servers (node:http, free ports) that check every body and signature byte for byte,
 * recomputing the signature from the secret and the timestamp they received, and a real SQLite
 * file reopened to stand for a gateway restart.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createLogger } from '../core/log.js';
import type { WorkOrder } from '../core/model.js';
import { validateConfig } from '../site/load.js';
import { expandEnv } from '../config/env.js';
import { openDatabase, type Db } from '../storage/sqlite.js';
import { ChatNotifier, type ChatNotifierDeps } from './chat.js';
import type { OutboxRow } from './outbox.js';
import type { ChatNotifyConfig } from '../config/notify.js';

const log = createLogger('test', 'silent');
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Got { method: string; url: string; headers: IncomingMessage['headers']; body: string }
type Answer = (got: Got, n: number) => { status: number; body: string };
const OK_ERRCODE: Answer = () => ({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' });

/** A receiver on a free port; `answer` decides each response; `next(n)` waits for the n-th request. */
async function receiver(answer: Answer = OK_ERRCODE, port = 0) {
  const got: Got[] = [];
  const waiters: (() => void)[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const g = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      got.push(g);
      const a = answer(g, got.length);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  cleanups.push(close);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const next = (n: number) => new Promise<void>((resolve) => {
    const check = () => (got.length >= n ? resolve() : waiters.push(check));
    check();
  });
  return { base, port: (server.address() as AddressInfo).port, got, next, close };
}

function tempDb(): { dir: string; open: () => Db } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-notify-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, open: () => openDatabase(dir, 'gateway.db') };
}

// 2026-11-28 14:00 UTC = 22:00 Asia/Shanghai.
const T0 = Date.UTC(2026, 10, 28, 14, 0);
function order(over: Partial<WorkOrder> = {}): WorkOrder {
  return {
    id: 'o-1', site: 'demo', number: 'WO-DEMO-20261128-0001', device: 'pump-1', fault: 'low_pressure', category: 'water', priority: 'urgent',
    source: 'alarm', title: 'Low discharge pressure', status: 'new', faultAt: T0, createdAt: T0, updatedAt: T0,
    respondBy: T0 + 3_600_000, onSiteBy: null, respondedAt: null, onSiteAt: null, occurrences: 1, assignee: null, ...over,
  } as WorkOrder;
}

function notifier(cfg: ChatNotifyConfig, db: Db, opts: { now?: () => number; orders?: WorkOrder[]; log?: ChatNotifierDeps['log'] } = {}) {
  const orders = new Map((opts.orders ?? []).map((o) => [o.id, o]));
  const n = new ChatNotifier(cfg, {
    db, log: opts.log ?? log, ...(opts.now ? { now: opts.now } : {}),
    orders: { get: (id) => orders.get(id), list: () => [...orders.values()] },
    site: { id: 'demo', name: 'Riverside Estate', url: 'http://gw.example:8080/' },
    deviceName: (id) => ({ 'pump-1': 'Booster pump 1', 'fire-1': 'Fire panel' } as Record<string, string>)[id],
    outbox: { baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 2000 },
  });
  cleanups.push(() => n.close());
  return { n, orders };
}

const delivered = (n: ChatNotifier, count = 1) => new Promise<OutboxRow[]>((resolve) => {
  const rows: OutboxRow[] = [];
  const on = (r: OutboxRow) => { rows.push(r); if (rows.length >= count) { n.outbox.off('delivered', on); resolve(rows); } };
  n.outbox.on('delivered', on);
});
const settled = (n: ChatNotifier, event: 'failed' | 'attempt-failed') => new Promise<[OutboxRow, string]>((resolve) => n.outbox.once(event, (r: OutboxRow, why: string) => resolve([r, why])));

const LINES = [
  '**新工单** WO-DEMO-20261128-0001',
  '标题：Low discharge pressure',
  '小区：Riverside Estate',
  '设备：Booster pump 1 (pump-1)',
  '类别：供水　优先级：加急　状态：新建',
  '响应时限：2026-11-28 23:00',
];
const LINK = 'http://gw.example:8080/#/orders/o-1';

describe('chat formats and signatures, byte for byte', () => {
  it('WeCom: markdown to the webhook URL with its key; deadline in Asia/Shanghai; link to the order', async () => {
    const rx = await receiver();
    const { n } = notifier({ routes: [{ name: 'duty', channel: 'wecom', url: `${rx.base}/cgi-bin/webhook/send?key=k-123` }] }, tempDb().open());
    const done = delivered(n);
    n.onEvent('work-order', order(), 'created');
    await done;
    expect(rx.got).toHaveLength(1);
    expect(rx.got[0]!.url).toBe('/cgi-bin/webhook/send?key=k-123');
    expect(rx.got[0]!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(rx.got[0]!.body).toBe(JSON.stringify({ msgtype: 'markdown', markdown: { content: [...LINES, `[打开工单](${LINK})`].join('\n') } }));
  });

  it('DingTalk: actionCard; timestamp (ms) and sign = urlencode(base64(HmacSHA256(secret, ts\\nsecret))) in the query', async () => {
    const secret = 'SECa1b2c3d4e5f6+/=';
    const rx = await receiver();
    const { n } = notifier({ routes: [{ name: 'ding', channel: 'dingtalk', url: `${rx.base}/robot/send?access_token=tok`, secret }] }, tempDb().open());
    const done = delivered(n);
    const before = Date.now();
    n.onEvent('work-order', order(), 'created');
    await done;
    const [path, query] = rx.got[0]!.url.split('?') as [string, string];
    expect(path).toBe('/robot/send');
    const ts = /(?:^|&)timestamp=(\d+)(?:&|$)/.exec(query)![1]!;
    expect(Number(ts)).toBeGreaterThanOrEqual(before);
    expect(Number(ts)).toBeLessThanOrEqual(Date.now());
    const sign = encodeURIComponent(createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64'));
    expect(query).toBe(`access_token=tok&timestamp=${ts}&sign=${sign}`);
    expect(rx.got[0]!.body).toBe(JSON.stringify({
      msgtype: 'actionCard',
      actionCard: { title: '新工单 WO-DEMO-20261128-0001', text: LINES.join('\n\n'), singleTitle: '打开工单', singleURL: LINK },
    }));
  });

  it('Feishu: interactive card; timestamp (s) and sign = base64(HmacSHA256(key=ts\\nsecret, "")) in the body', async () => {
    const secret = 'feishu-secret';
    const rx = await receiver(() => ({ status: 200, body: '{"code":0,"msg":"success","data":{}}' }));
    const { n } = notifier({ routes: [{ name: 'lark', channel: 'feishu', url: `${rx.base}/open-apis/bot/v2/hook/abc`, secret }] }, tempDb().open());
    const done = delivered(n);
    n.onEvent('work-order', order({ id: 'o-2', priority: 'emergency', category: 'fire', device: 'fire-1', onSiteBy: T0 + 1_800_000, number: 'WO-DEMO-20261128-0002', title: 'Fire alarm zone 3' }), 'created');
    await done;
    const body = rx.got[0]!.body;
    const ts = (JSON.parse(body) as { timestamp: string }).timestamp;
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
    const sign = createHmac('sha256', `${ts}\n${secret}`).update('').digest('base64');
    expect(body).toBe(JSON.stringify({
      timestamp: ts, sign, msg_type: 'interactive',
      card: {
        header: { template: 'red', title: { tag: 'plain_text', content: '【紧急】新工单 WO-DEMO-20261128-0002' } },
        elements: [
          { tag: 'div', text: { tag: 'lark_md', content: ['标题：Fire alarm zone 3', '小区：Riverside Estate', '设备：Fire panel (fire-1)', '类别：消防　优先级：紧急　状态：新建', '响应时限：2026-11-28 23:00', '到场时限：2026-11-28 22:30'].join('\n') } },
          { tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: '打开工单' }, type: 'primary', url: 'http://gw.example:8080/#/orders/o-2' }] },
        ],
      },
    }));
  });

  it('a 200 with errcode ≠ 0 is a failure: retried, then delivered once; a vendor that keeps refusing ends failed and reported', async () => {
    const rx = await receiver((_g, i) => (i === 1 ? { status: 200, body: '{"errcode":45009,"errmsg":"api freq out of limit"}' } : { status: 200, body: '{"errcode":0,"errmsg":"ok"}' }));
    const lines: string[] = [];
    const spy = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
    const bad = await receiver(() => ({ status: 200, body: '{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}' }));
    const db = tempDb().open();
    const { n } = notifier({
      routes: [
        { name: 'wecom', channel: 'wecom', url: `${rx.base}/send?key=wecom-key-SECRET` },
        { name: 'lark', channel: 'feishu', url: `${bad.base}/hook/lark-SECRET`, secret: 'feishu-SECRET' },
      ],
      delivery: { maxAttempts: 2 },
    }, db, { log: spy });
    const ok = delivered(n);
    const failed = settled(n, 'failed');
    n.onEvent('work-order', order(), 'created');
    const [row] = await ok;
    expect(row!.attempts).toBe(2);
    expect(rx.got).toHaveLength(2);
    const [frow, why] = await failed;
    expect(frow.attempts).toBe(2);
    expect(why).toContain('code 19021');
    expect(n.stats()).toMatchObject({ sent: 1, failed: 1, pending: 0, failedAttempts: 3 });
    // Neither the URL key, the webhook token nor the signing secret reaches the log.
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toMatch(/SECRET/);
  });
});

describe('routing and quiet hours', () => {
  it('quiet hours (22:00–07:00 Asia/Shanghai) hold a normal order at 23:00 until 07:00, never an emergency', async () => {
    const rx = await receiver();
    let now = Date.UTC(2026, 10, 28, 15, 0); // 23:00 in Shanghai
    const { n } = notifier({ routes: [{ name: 'duty', channel: 'wecom', url: `${rx.base}/send?key=k`, quietHours: { from: '22:00', to: '07:00' } }] }, tempDb().open(), { now: () => now });
    const first = delivered(n);
    n.onEvent('work-order', order({ id: 'normal', priority: 'normal', category: 'general' }), 'created');
    n.onEvent('work-order', order({ id: 'fire', priority: 'emergency', category: 'fire' }), 'created');
    n.onEvent('work-order', order({ id: 'trapped', priority: 'urgent', category: 'elevator', fault: 'trapped_passenger' }), 'created');
    await delivered(n, 2);
    await first;
    const urls = rx.got.map((g) => /orders\/([a-z]+)/.exec(g.body)![1]);
    expect(urls.sort()).toEqual(['fire', 'trapped']);
    const held = n.outbox.rows().find((r) => r.status === 'pending')!;
    expect(JSON.parse(held.payload)).toMatchObject({ orderId: 'normal' });
    expect(held.next_at).toBe(Date.UTC(2026, 10, 28, 23, 0)); // 07:00 the next morning in Shanghai
    expect(held.attempts).toBe(0);
    now = Date.UTC(2026, 10, 28, 23, 0);
    const morning = delivered(n);
    n.outbox.pump();
    await morning;
    expect(rx.got).toHaveLength(3);
  });

  it('routes by category, priority and escalation level (1 = deadline passed, 2 = still unmet 30 min later)', async () => {
    const rx = await receiver();
    let now = T0;
    const water = order({ id: 'w1', category: 'water', priority: 'urgent' });
    const lift = order({ id: 'e1', number: 'WO-DEMO-20261128-0003', category: 'elevator', priority: 'emergency', device: null, onSiteBy: T0 + 7_200_000, respondBy: T0 + 600_000 });
    const { n } = notifier({
      escalation: { level2After: '30m' },
      routes: [
        { name: 'water-team', channel: 'wecom', url: `${rx.base}/water?key=1`, match: { categories: ['water'] } },
        { name: 'emergencies', channel: 'wecom', url: `${rx.base}/emergency?key=2`, match: { priorities: ['emergency'], events: ['work-order'] } },
        { name: 'managers', channel: 'wecom', url: `${rx.base}/managers?key=3`, match: { minEscalationLevel: 2 } },
        { name: 'lvl1', channel: 'wecom', url: `${rx.base}/lvl1?key=4`, match: { events: ['escalation'], minEscalationLevel: 1, categories: ['elevator'] } },
      ],
    }, tempDb().open(), { now: () => now, orders: [water, lift] });
    const seen = () => rx.got.map((g) => `${g.url.split('?')[0]} ${/orders\/(\w+)/.exec(g.body)?.[1]} ${/(二级升级|升级|新工单|工单已接单)/.exec(g.body)?.[1]}`).sort();

    let wait = delivered(n, 2);
    n.onEvent('work-order', water, 'created');
    n.onEvent('work-order', lift, 'created');
    n.onEvent('work-order', { ...water, status: 'accepted', updatedAt: T0 + 1 }, 'accepted'); // not a `created`: no route asks for it
    await wait;
    expect(seen()).toEqual(['/emergency e1 新工单', '/water w1 新工单']);

    wait = delivered(n, 2);
    now = lift.respondBy + 1;
    n.onEvent('escalation', { site: 'demo', orderId: 'e1', number: lift.number, device: null, category: 'elevator', priority: 'emergency', deadline: 'respond', dueAt: lift.respondBy, ts: now });
    now = water.respondBy + 1;
    n.onEvent('escalation', { site: 'demo', orderId: 'w1', number: water.number, device: 'pump-1', category: 'water', priority: 'urgent', deadline: 'respond', dueAt: water.respondBy, ts: now });
    await wait;
    expect(seen()).toEqual(['/emergency e1 新工单', '/lvl1 e1 升级', '/water w1 升级', '/water w1 新工单']);

    // 30 min after the lift's response deadline: level 2 for it only (the water order is not yet 30 min late).
    now = lift.respondBy + 30 * 60_000;
    wait = delivered(n, 2);
    expect(n.tick().map((x) => `${x.orderId} ${x.level}`)).toEqual(['e1 2']);
    await wait;
    expect(seen().filter((s) => s.includes('二级升级'))).toEqual(['/lvl1 e1 二级升级', '/managers e1 二级升级']);
    expect(n.tick()).toEqual([]); // once per order and deadline
  });
});

describe('SMS through an HTTP gateway template', () => {
  it('fills {phone} and {text} escaped for JSON, reaches the route numbers and the owner of the request; sms() for other modules (form-encoded)', async () => {
    const rx = await receiver(() => ({ status: 200, body: '{"result":"queued"}' }));
    const db = tempDb().open();
    const sms = { url: `${rx.base}/sms/send?to={phone}`, headers: { authorization: 'Bearer sms-token' }, body: '{"mobile":"{phone}","content":"{text}","sign":"物业"}' };
    const { n } = notifier({ sms, routes: [{ name: 'owner-sms', channel: 'sms', to: ['13800000001'], owner: true, match: { actions: ['resolved'] } }] }, db);
    const o = order({ title: 'Leak "B2" \\ pump room', status: 'resolved', evidence: { request: { phone: '+86 139-0000-0002', name: 'Ms Li' } } });
    const both = delivered(n, 2);
    n.onEvent('work-order', o, 'resolved');
    await both;
    const text = 'Riverside Estate 工单已处理 WO-DEMO-20261128-0001 Leak "B2" \\ pump room，响应时限 2026-11-28 23:00 http://gw.example:8080/#/orders/o-1';
    const byPhone = new Map(rx.got.map((g) => [decodeURIComponent(g.url.split('to=')[1]!), g]));
    expect([...byPhone.keys()].sort()).toEqual(['+86 139-0000-0002', '13800000001']);
    const g = byPhone.get('+86 139-0000-0002')!;
    expect(g.url).toBe('/sms/send?to=%2B86%20139-0000-0002');
    expect(g.headers.authorization).toBe('Bearer sms-token');
    expect(g.body).toBe(`{"mobile":"+86 139-0000-0002","content":${JSON.stringify(text)},"sign":"物业"}`);

    // Another module asks for a text to a number; a form-encoded gateway escapes with encodeURIComponent.
    const form = await receiver(() => ({ status: 204, body: '' }));
    const { n: n2 } = notifier({ sms: { url: `${form.base}/api`, contentType: 'form', body: 'to={phone}&msg={text}' } }, tempDb().open());
    const one = delivered(n2);
    expect(n2.sms('13800000003', 'Rate us: 5 = great & fast', 'feedback-o-1')).toBe(true);
    expect(n2.sms('13800000003', 'Rate us: 5 = great & fast', 'feedback-o-1')).toBe(true); // same key: queued once
    await one;
    expect(form.got).toHaveLength(1);
    expect(form.got[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form.got[0]!.body).toBe('to=13800000003&msg=Rate%20us%3A%205%20%3D%20great%20%26%20fast');
  });
});

describe('the durable queue', () => {
  it('a receiver that is down (refused, then 500, then back) gets the notice exactly once, across a gateway restart', async () => {
    const probe = await receiver();
    const port = probe.port;
    await probe.close(); // nothing listens there now: connection refused
    const { open } = tempDb();
    const route = { name: 'duty', channel: 'wecom' as const, url: `http://127.0.0.1:${port}/send?key=k` };

    // First run: the attempt is refused; the gateway stops with the notice pending.
    let db = open();
    const first = notifier({ routes: [route] }, db).n;
    const refused = settled(first, 'attempt-failed');
    first.onEvent('work-order', order(), 'created');
    const [, why] = await refused;
    expect(why).toBe('ECONNREFUSED');
    await first.close();
    db.close();

    // The receiver comes back answering 500 once, then accepts.
    const rx = await receiver((_g, i) => (i === 1 ? { status: 500, body: 'busy' } : { status: 200, body: '{"errcode":0,"errmsg":"ok"}' }), port);
    db = open();
    const second = notifier({ routes: [route] }, db).n;
    expect(second.stats()).toMatchObject({ pending: 1, sent: 0 });
    const done = delivered(second);
    const http500 = settled(second, 'attempt-failed');
    second.start(60_000);
    expect((await http500)[1]).toBe('HTTP 500');
    const [row] = await done;
    expect(row!.attempts).toBe(3);
    expect(rx.got.map((g) => g.url)).toEqual(['/send?key=k', '/send?key=k']);
    // The same event again (a redelivered publish) is not queued twice.
    second.onEvent('work-order', order(), 'created');
    await second.close();
    db.close();

    // Third run: nothing left to send.
    db = open();
    const third = notifier({ routes: [route] }, db).n;
    expect(third.stats()).toMatchObject({ pending: 0, sent: 1, failed: 0 });
    await third.close();
    db.close();
    expect(rx.got).toHaveLength(2);
  });
});

describe('config', () => {
  it('names the bad key: channel-specific keys, unknown channel, duplicate names, bad quiet-hours clock', () => {
    const file = join(import.meta.dirname, '../../demo/site.yaml');
    const raw = parse(expandEnv(readFileSync(file, 'utf8'), {}, [])) as Record<string, unknown>;
    const withRoutes = (routes: unknown[]) => ({ ...raw, notifications: { routes } });
    const problems = (routes: unknown[]) => {
      try {
        validateConfig(withRoutes(routes), 'site.yaml', '/tmp');
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(problems([{ name: 'a', channel: 'wechat', url: 'https://x' }])).toContain('notifications.routes[0].channel: must be one of');
    expect(problems([{ name: 'a', channel: 'dingtalk' }])).toContain('notifications.routes[0]: missing required key "url" for channel dingtalk');
    expect(problems([{ name: 'a', channel: 'webhook', url: 'https://x' }])).toContain('notifications.routes[0]: missing required key "secret" for channel webhook');
    expect(problems([{ name: 'a', channel: 'sms', to: ['13800000001'] }])).toContain('notifications.routes[0].channel: sms needs the notifications.sms gateway');
    expect(problems([{ name: 'a', channel: 'wecom', url: 'https://x' }, { name: 'a', channel: 'wecom', url: 'https://y' }])).toContain('notifications.routes[1].name: duplicate route name "a"');
    expect(problems([{ name: 'a', channel: 'wecom', url: 'https://x', quietHours: { from: '22:00', to: '7:00' } }])).toContain('notifications.routes[0].quietHours.to');
    expect(problems([{ name: 'a', channel: 'feishu', url: 'https://x', secret: 's', quietHours: { from: '22:00', to: '07:00', tz: 'Asia/Shanghai' } }])).toBe('');
  });

  it('the commented sample in demo/site.yaml is valid once uncommented (and points at nothing reachable)', () => {
    const file = join(import.meta.dirname, '../../demo/site.yaml');
    const text = expandEnv(readFileSync(file, 'utf8'), {}, []);
    const start = text.indexOf('#notifications:');
    expect(start).toBeGreaterThan(0);
    const block = text.slice(start).split('\n').filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith('#'))).map((l) => l.slice(1)).join('\n');
    const raw = parse(text) as Record<string, unknown>;
    expect(raw.notifications).toBeUndefined(); // the demo starts without it
    const loaded = validateConfig({ ...raw, ...(parse(block) as Record<string, unknown>) }, 'site.yaml', '/tmp');
    const routes = loaded.config.notifications.routes ?? [];
    expect(routes.map((r) => r.channel)).toEqual(['wecom', 'dingtalk', 'feishu', 'sms', 'sms']);
    expect(loaded.config.notifications.dashboardUrl).toContain('.invalid');
  });
});
