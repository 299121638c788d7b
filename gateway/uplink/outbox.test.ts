/**
 * The estate side of head office, on a real SQLite file: events are written in the same
 * transaction as the change (a failed change leaves neither, and no hole in the sequence), every
 * alarm, order and ledger entry carries its estate, an old database is upgraded (numbers get the
 * estate code, old numbers still find their order), and head-office commands are applied exactly
 * once, refusals coming back as events.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AlarmEngine } from '../alarms/engine.js';
import { AlarmRepository } from '../alarms/repository.js';
import type { CommandEnvelope } from '../core/envelope.js';
import { createLogger } from '../core/log.js';
import { Outbox } from '../storage/outbox.js';
import { openDatabase } from '../storage/sqlite.js';
import { WorkOrderRepository } from '../workorders/repository.js';
import { WorkOrderService } from '../workorders/service.js';
import { SlaBook } from '../workorders/sla.js';
import { wireMaintenance } from '../workorders/wiring.js';
import { CommandApplier } from './commands.js';
import { RollupSink } from './rollups.js';

const log = createLogger('test', 'silent');
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const estate = { site: 'harbour', code: 'HBR' };

/** The site's devices and their equipment types (config `devices[].type`). */
const DEVICE_TYPES = new Map([['pump-1', 'pump']]);

function rig(dir = mkdtempSync(join(tmpdir(), 'gw-uplink-')), clock = { now: T0 }) {
  const db = openDatabase(dir, 'gateway.db');
  const outbox = new Outbox(db, estate.site, () => clock.now, (id) => DEVICE_TYPES.get(id));
  const orders = new WorkOrderService(new WorkOrderRepository(db, { estate, events: outbox }), new SlaBook([]), log, () => clock.now);
  const alarmRepo = new AlarmRepository(db, estate.site, outbox);
  const alarms = new AlarmEngine(
    [{ id: 'dry', fault: 'dry_run', device: 'pump-1', point: 'pressure', below: 1, severity: 'critical', category: 'water' }],
    [{ id: 'pump-1', type: 'pump', protocol: 'mqtt', connection: {}, points: [{ name: 'pressure' }] }],
    alarmRepo, log, { now: () => clock.now },
  );
  wireMaintenance({ alarms, alarmRepo, orders, history: { writeEvent: () => undefined }, realtime: null, notifier: null, log });
  const roles: Record<string, 'technician' | 'viewer'> = { 'li.wei': 'technician', guest: 'viewer' };
  const commands = new CommandApplier(db, estate.site, orders, outbox, log, () => clock.now, {
    activeAlarms: () => [], roleOf: (u) => roles[u],
  });
  return { db, outbox, orders, alarms, commands, clock, dir };
}

const cmd = (id: string, command: CommandEnvelope['command'], site = estate.site): CommandEnvelope =>
  ({ id, site, schema: 1, at: T0, actor: 'hq-desk', command });

describe('estate outbox', () => {
  it('records an event for every alarm and order change, numbered 1, 2, 3 … and stamped with the estate', () => {
    const { outbox, alarms, orders } = rig();
    alarms.onReadings([{ device: 'pump-1', point: 'pressure', value: 0.2, quality: 'good', ts: T0 }]);
    const order = orders.list()[0]!;
    expect(order.number).toMatch(/^WO-HBR-20261102-0001$/);
    expect(order.site).toBe('harbour');
    orders.transition(order.id, 'accepted', 'li.wei');
    orders.addLedger(order.id, { personnel: ['li.wei'], tools: ['gauge'], result: 'checked', safetyMeasures: 'isolated' }, 'li.wei');
    const events = outbox.next(0, 100);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.type)).toEqual(['alarm.raised', 'order.created', 'order.changed', 'order.ledger', 'order.changed']);
    for (const e of events) {
      expect(e).toMatchObject({ id: `harbour:${e.seq}`, site: 'harbour', schema: 1 });
      expect((e.data as { site: string }).site).toBe('harbour');
    }
    expect(events[2]!.data).toMatchObject({ action: 'accepted', status: 'accepted', number: order.number });
  });

  it("names the device's equipment type on its alarm and order events, and none on an order without a device", () => {
    const { outbox, alarms, orders } = rig();
    alarms.onReadings([{ device: 'pump-1', point: 'pressure', value: 0.2, quality: 'good', ts: T0 }]);
    const request = orders.create({ device: null, fault: 'water_in_lobby', category: 'water', title: 'Owner call: water in lobby' }, 'desk');
    orders.transition(request.id, 'accepted', 'desk');
    const events = outbox.next(0, 100).map((e) => ({ type: e.type, data: e.data as { device: string | null; equipment?: string } }));
    const ofDevice = events.filter((e) => e.data.device === 'pump-1');
    expect(ofDevice.map((e) => e.type)).toEqual(['alarm.raised', 'order.created']);
    for (const e of ofDevice) expect(e.data.equipment).toBe('pump');
    const deviceless = events.filter((e) => e.data.device === null);
    expect(deviceless.map((e) => e.type)).toEqual(['order.created', 'order.changed']);
    for (const e of deviceless) expect(e.data).not.toHaveProperty('equipment');
  });

  it('names no equipment type on a system alarm, shown against the gateway itself', () => {
    const { outbox, alarms } = rig();
    alarms.systemCondition({
      rule: 'gateway.uplink-backlog', device: estate.site, fault: 'uplink_backlog', severity: 'major', category: 'general', message: 'backlog',
    }, true, 12_000);
    const raised = outbox.next(0, 100).filter((e) => e.type === 'alarm.raised');
    expect(raised.map((e) => (e.data as { device: string }).device)).toEqual([estate.site]);
    expect(raised[0]!.data).not.toHaveProperty('equipment');
  });

  it('a change that fails leaves no event and no hole in the sequence', () => {
    const { outbox, orders } = rig();
    const a = orders.create({ device: 'pump-1', fault: 'noise', category: 'water', title: 'noisy' }, 'desk');
    expect(() => orders.transition(a.id, 'closed', 'desk')).toThrow(/cannot go from new to closed/);
    expect(() => orders.create({ device: 'pump-1', fault: 'noise', category: 'water', title: 'again' }, 'desk')).toThrow(/already exists/);
    orders.transition(a.id, 'accepted', 'desk');
    expect(outbox.next(0, 100).map((e) => [e.seq, e.type])).toEqual([[1, 'order.created'], [2, 'order.changed']]);
  });

  it('keeps unsent events until head office acknowledges them, then only for the keep time', () => {
    const { outbox, orders, clock } = rig();
    for (let i = 0; i < 5; i++) orders.create({ device: null, fault: `call_${i}`, category: 'general', title: `call ${i}` }, 'desk');
    expect(outbox.backlog()).toMatchObject({ events: 5, lastSeq: 5, oldestAt: T0 });
    outbox.markSent(3);
    expect(outbox.next(0, 100).map((e) => e.seq)).toEqual([4, 5]);
    expect(outbox.next(0, 100, true).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    clock.now += 2 * 86_400_000;
    expect(outbox.prune(3 * 86_400_000)).toBe(0); // acknowledged 2 days ago: kept for 3
    expect(outbox.prune(86_400_000)).toBe(3); // kept for 1: the 3 acknowledged ones go, the unsent stay
    expect(outbox.backlog().events).toBe(2);
    expect(outbox.next(0, 100, true).map((e) => e.seq)).toEqual([4, 5]);
  });
});

describe('upgrade of a database from before estates', () => {
  it('gives old rows the estate, old numbers the estate code, and still finds orders by their old number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-upgrade-'));
    const old = new Database(join(dir, 'gateway.db'));
    old.exec(`CREATE TABLE work_orders (
      id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, device TEXT, fault TEXT NOT NULL, category TEXT NOT NULL,
      priority TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL,
      fault_at INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      respond_by INTEGER NOT NULL, on_site_by INTEGER, responded_at INTEGER, on_site_at INTEGER,
      occurrences INTEGER NOT NULL DEFAULT 1, assignee TEXT);
      CREATE TABLE alarms (
      id TEXT PRIMARY KEY, device TEXT NOT NULL, rule TEXT NOT NULL, fault TEXT NOT NULL,
      severity TEXT NOT NULL, category TEXT NOT NULL, message TEXT NOT NULL, state TEXT NOT NULL,
      value TEXT, raised_at INTEGER NOT NULL, cleared_at INTEGER, acked_at INTEGER, acked_by TEXT, ack_comment TEXT);
      INSERT INTO work_orders VALUES ('o-1', 'WO-20261001-0007', 'pump-1', 'dry_run', 'water', 'urgent', 'alarm', 'Dry run',
        'new', ${T0}, ${T0}, ${T0}, ${T0 + 3_600_000}, NULL, NULL, NULL, 1, NULL);
      INSERT INTO alarms VALUES ('a-1', 'pump-1', 'dry', 'dry_run', 'critical', 'water', 'Dry run', 'active_unack', '0.2', ${T0}, NULL, NULL, NULL, NULL);`);
    old.close();
    const { orders, db } = rig(dir);
    const o = orders.get('WO-20261001-0007');
    expect(o).toMatchObject({ id: 'o-1', site: 'harbour', number: 'WO-HBR-20261001-0007' });
    expect(orders.get('WO-HBR-20261001-0007')?.id).toBe('o-1');
    expect(new AlarmRepository(db, 'harbour').get('a-1')?.site).toBe('harbour');
    // A second start changes nothing more.
    expect(rig(dir).orders.get('o-1')?.number).toBe('WO-HBR-20261001-0007');
  });
});

describe('commands from head office', () => {
  it('applies a command once however often it arrives, and answers with an event', () => {
    const { commands, orders, outbox } = rig();
    const c = cmd('c-1', { kind: 'create-request', title: 'Water leaking in lobby', category: 'water', description: 'owner call' });
    expect(commands.apply(c)).toBe('applied');
    expect(commands.apply(c)).toBe('duplicate');
    expect(orders.list()).toHaveLength(1);
    const created = orders.list()[0]!;
    expect(created).toMatchObject({ source: 'manual', category: 'water', priority: 'urgent' });
    expect(orders.audit(created.id)[0]).toMatchObject({ actor: 'hq:hq-desk', action: 'created' });
    const answer = outbox.next(0, 100).find((e) => e.type === 'command.applied');
    expect(answer?.data).toMatchObject({ command: 'c-1', kind: 'create-request', orderId: created.id, number: created.number });
  });

  it('refuses an illegal transition, an unknown order or a command for another estate, visibly', () => {
    const { commands, orders, outbox } = rig();
    const o = orders.create({ device: null, fault: 'call', category: 'general', title: 'call' }, 'desk');
    expect(commands.apply(cmd('c-2', { kind: 'transition', order: o.id, to: 'closed' }))).toBe('refused');
    expect(commands.apply(cmd('c-3', { kind: 'assign', order: 'no-such-order', assignee: 'li.wei' }))).toBe('refused');
    expect(commands.apply(cmd('c-4', { kind: 'assign', order: o.id, assignee: 'li.wei' }, 'riverside'))).toBe('refused');
    expect(commands.apply(cmd('c-2', { kind: 'transition', order: o.id, to: 'closed' }))).toBe('duplicate');
    expect(orders.get(o.id)).toMatchObject({ status: 'new', assignee: null });
    const refusals = outbox.next(0, 100).filter((e) => e.type === 'command.refused').map((e) => e.data as { command: string; code: string; reason: string });
    expect(refusals.map((r) => [r.command, r.code])).toEqual([['c-2', 'GW_ERR_TRANSITION'], ['c-3', 'GW_ERR_NOT_FOUND'], ['c-4', 'GW_ERR_COMMAND_SITE']]);
    expect(refusals[0]!.reason).toMatch(/new to closed/);
  });

  it("holds head office to the estate's own rules: assignees must be its technicians", () => {
    const { commands, orders, outbox } = rig();
    const o = orders.create({ device: null, fault: 'call', category: 'general', title: 'call' }, 'desk');
    expect(commands.apply(cmd('c-5', { kind: 'assign', order: o.id, assignee: 'ghost-user-does-not-exist' }))).toBe('refused');
    expect(commands.apply(cmd('c-6', { kind: 'assign', order: o.id, assignee: 'guest' }))).toBe('refused');
    expect(commands.apply(cmd('c-7', { kind: 'assign', order: o.id, assignee: 'li.wei' }))).toBe('applied');
    expect(orders.get(o.id)?.assignee).toBe('li.wei');
    const codes = outbox.next(0, 100).filter((e) => e.type === 'command.refused').map((e) => (e.data as { code: string }).code);
    expect(codes).toEqual(['GW_ERR_UNKNOWN_USER', 'GW_ERR_UNKNOWN_USER']);
  });
});

describe('1-minute rollups', () => {
  it('folds numeric readings into min/mean/max/count per point and minute, once per minute', () => {
    const clock = { now: T0 };
    const out: { minute: number; rows: { point: string; min: number; mean: number; max: number; count: number }[] }[] = [];
    const sink = new RollupSink({ site: 'harbour', equipmentOf: () => 'pump', write: (b) => out.push(b), now: () => clock.now });
    sink.onReadings([1, 2, 3, 6].map((v, i) => ({ device: 'pump-1', point: 'vibration', value: v, quality: 'good' as const, ts: T0 + i * 1000 })));
    sink.onReadings([{ device: 'pump-1', point: 'running', value: true, quality: 'good', ts: T0 }]);
    sink.onReadings([{ device: 'pump-1', point: 'vibration', value: 99, quality: 'bad', ts: T0 }]);
    expect(sink.flush()).toBe(0); // the minute is not over yet
    clock.now = T0 + 66_000;
    expect(sink.flush()).toBe(1);
    expect(out[0]).toMatchObject({ minute: T0, rows: [{ point: 'vibration', min: 1, mean: 3, max: 6, count: 4, equipment: 'pump' }] });
    sink.onReadings([{ device: 'pump-1', point: 'vibration', value: 5, quality: 'good', ts: T0 + 2000 }]);
    expect(sink.late).toBe(1);
  });
});
