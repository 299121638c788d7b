/**
 * Bench child: many estates in one process, each as the gateway builds it for its uplink: its own
 * SQLite file with the outbox, the alarm and work-order repositories writing their events into it
 * in the same transaction, the command applier, and an `UplinkLink` with its own NATS connection,
 * user, password and inbox prefix. Env BENCH_ARGS = {"dir", "servers", "estates": [{site, code,
 * user, pass}], "devices", "points"}.
 *
 * Requests: `events` (append n events per estate, `at` spread over a time range), `rollups`
 * (1-minute batches for the given minutes, made by the real RollupSink), `links` (start or stop
 * every uplink), `backlog` (unsent events and rollups, last seqs), `steady` (a fault cycle at a
 * fixed rate per estate for some seconds, plus one rollup batch per estate per minute).
 */
import { join } from 'node:path';
import { createLogger } from '../../gateway/core/log.js';
import type { Alarm, WorkOrder } from '../../gateway/core/model.js';
import type { UplinkConfig } from '../../gateway/config/uplink.js';
import { AlarmRepository } from '../../gateway/alarms/repository.js';
import { openDatabase, type Db } from '../../gateway/storage/sqlite.js';
import { Outbox } from '../../gateway/storage/outbox.js';
import { CommandApplier } from '../../gateway/uplink/commands.js';
import { UplinkLink } from '../../gateway/uplink/link.js';
import { RollupSink } from '../../gateway/uplink/rollups.js';
import type { Reading } from '../../gateway/core/reading.js';
import { WorkOrderRepository } from '../../gateway/workorders/repository.js';
import { WorkOrderService } from '../../gateway/workorders/service.js';
import { SlaBook } from '../../gateway/workorders/sla.js';
import { serveParent, toParent } from '../lib/proc.js';

interface Args {
  dir: string;
  servers: string[];
  estates: { site: string; code: string; user: string; pass: string }[];
  devices: number;
  points: number;
}
const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as Args;
const log = createLogger('bench-estate', 'silent');
const EQUIPMENT = ['pump', 'boiler', 'elevator', 'ahu', 'meter'];
const MINUTE = 60_000;

/** A clock the generators can set (backlogs with `at` in the past); the wall clock otherwise. */
let fakeNow: number | null = null;
const clock = () => fakeNow ?? Date.now();

class Estate {
  readonly db: Db;
  readonly outbox: Outbox;
  readonly alarms: AlarmRepository;
  readonly orders: WorkOrderService;
  readonly commands: CommandApplier;
  link: UplinkLink | null = null;
  private step = 0;
  private alarm: Alarm | null = null;
  private order: WorkOrder | null = null;
  private n = 0;

  constructor(readonly site: string, readonly code: string, private readonly cfg: UplinkConfig) {
    this.db = openDatabase(args.dir, `${site}.db`);
    this.outbox = new Outbox(this.db, site, clock);
    this.alarms = new AlarmRepository(this.db, site, this.outbox);
    this.orders = new WorkOrderService(new WorkOrderRepository(this.db, { estate: { site, code }, events: this.outbox }), new SlaBook([]), log, clock);
    this.commands = new CommandApplier(this.db, site, this.orders, this.outbox, log, clock);
    this.outbox.onAppend = () => setImmediate(() => this.link?.wake());
  }

  /**
   * One step of a fault's life at this estate; each commits one transaction with 1 or 2 events:
   * alarm raised → order from it → accepted → alarm cleared → dispatched → on site → ledger entry
   * (+ order changed) → resolved → closed. 10 events per cycle.
   */
  next(): void {
    const now = clock();
    switch (this.step) {
      case 0: {
        this.n++;
        const device = `d${String(this.n % args.devices).padStart(3, '0')}`;
        const a: Alarm = {
          id: `${this.site}-a${this.n}`, site: this.site, device, rule: 'low-pressure', fault: 'low_pressure', severity: 'major',
          category: 'water', message: `Low discharge pressure on ${device}`, state: 'active_unack', value: 1.2 + (this.n % 7) / 10,
          raisedAt: now, clearedAt: null, ackedAt: null, ackedBy: null, workOrderId: null,
        };
        this.alarms.insert(a);
        this.alarm = a;
        break;
      }
      case 1:
        this.order = this.orders.fromAlarm(this.alarm!);
        break;
      case 2:
        this.order = this.orders.transition(this.order!.id, 'accepted', 'dispatcher', { assignee: 'tech-1', note: 'taken' });
        break;
      case 3:
        this.alarms.update({ ...this.alarm!, state: 'normal', clearedAt: now, ackedAt: now, ackedBy: 'dispatcher', workOrderId: this.order!.id });
        break;
      case 4:
        this.order = this.orders.transition(this.order!.id, 'dispatched', 'dispatcher');
        break;
      case 5:
        this.order = this.orders.transition(this.order!.id, 'on_site', 'tech-1');
        break;
      case 6:
        this.orders.addLedger(this.order!.id, { personnel: ['tech-1'], tools: ['manometer'], result: 'seal replaced', safetyMeasures: 'pump isolated' }, 'tech-1');
        break;
      case 7:
        this.order = this.orders.transition(this.order!.id, 'resolved', 'tech-1', 'pressure back to normal');
        break;
      case 8:
        this.order = this.orders.transition(this.order!.id, 'closed', 'dispatcher');
        break;
    }
    this.step = (this.step + 1) % 9;
  }

  lastSeq(): number {
    return this.outbox.backlog().lastSeq;
  }

  startLink(): void {
    if (this.link) return;
    this.link = new UplinkLink(this.cfg, this.site, this.outbox, this.commands, log);
    this.link.start();
  }

  async stopLink(): Promise<void> {
    const l = this.link;
    this.link = null;
    await l?.stop();
  }
}

const estates = args.estates.map((e) => new Estate(e.site, e.code, {
  servers: args.servers, user: e.user, password: e.pass, backlogAlarm: 1e9, keepSentDays: 7, statusEverySeconds: 300, discover: false, rollups: true,
}));

/** Appends events until each estate has `perEstate` more, with `at` spread evenly over [from, to). */
function appendEvents(perEstate: number, from: number | null, to: number | null): number {
  let total = 0;
  for (const e of estates) {
    const start = e.lastSeq();
    let i = 0;
    // Each step is its own transaction as at the estate; chunks of them share one outer
    // transaction (savepoints inside) only to write the backlog faster.
    while (e.lastSeq() - start < perEstate) {
      e.db.transaction(() => {
        for (let k = 0; k < 200 && e.lastSeq() - start < perEstate; k++, i++) {
          if (from !== null && to !== null) fakeNow = Math.floor(from + ((to - from) * i) / perEstate);
          e.next();
        }
      })();
    }
    total += e.lastSeq() - start;
  }
  fakeNow = null;
  return total;
}

/** One rollup batch per estate and minute through the real RollupSink (2 readings per point and minute). */
function appendRollups(minutes: number[], write = true): { batches: number; rows: number; bytes: number } {
  let batches = 0;
  let rows = 0;
  let bytes = 0;
  for (const e of estates) {
    const sink = new RollupSink({
      site: e.site, now: () => 0, equipmentOf: (d) => EQUIPMENT[Number(d.slice(1)) % EQUIPMENT.length],
      write: (b) => {
        batches++;
        rows += b.rows.length;
        if (bytes === 0) bytes = JSON.stringify(b).length;
        if (write) e.outbox.appendRollups(b);
      },
    });
    const readings: Reading[] = [];
    for (const minute of minutes) {
      readings.length = 0;
      for (let d = 0; d < args.devices; d++) {
        for (let p = 0; p < args.points; p++) {
          const base = 20 + ((d * 7 + p * 3) % 50);
          for (const s of [5_000, 35_000]) readings.push({ device: `d${String(d).padStart(3, '0')}`, point: `p${p}`, value: base + Math.random(), quality: 'good', ts: minute + s });
        }
      }
      e.db.transaction(() => {
        sink.onReadings(readings);
        sink.flush(true);
      })();
    }
  }
  return { batches, rows, bytes };
}

function backlog() {
  let events = 0;
  let rollups = 0;
  let lastSeqs = 0;
  let published = 0;
  let rollupsPublished = 0;
  let errors = 0;
  for (const e of estates) {
    const b = e.outbox.backlog();
    events += b.events;
    rollups += b.rollups;
    lastSeqs += b.lastSeq;
    if (e.link) {
      published += e.link.stats.published;
      rollupsPublished += e.link.stats.rollupsPublished;
      errors += e.link.stats.publishErrors;
    }
  }
  return { events, rollups, lastSeqs, published, rollupsPublished, errors };
}

/**
 * Steady load: every estate commits one step of its fault cycle every 1/rate seconds (each estate
 * at its own phase), and, like RollupSink's 5 s timer with 5 s grace, writes the previous
 * minute's rollup batch 5 to 10 s after each minute.
 */
async function steady(rate: number, seconds: number): Promise<{ events: number; rollupBatches: number; from: number; to: number }> {
  const period = 1000 / rate;
  const from = Date.now();
  const end = from + seconds * 1000;
  const before = estates.reduce((s, e) => s + e.lastSeq(), 0);
  let rollupBatches = 0;
  const timers: NodeJS.Timeout[] = [];
  await new Promise<void>((resolve) => {
    estates.forEach((e, i) => {
      const offset = (period * i) / estates.length;
      const tick = () => {
        if (Date.now() >= end) return;
        e.next();
        timers.push(setTimeout(tick, period));
      };
      timers.push(setTimeout(tick, offset));
      // Rollups: the minute that ended, written at a per-estate moment 5-10 s into the next one.
      const lag = 5_000 + (5_000 * i) / estates.length;
      const roll = () => {
        const now = Date.now();
        if (now >= end) return;
        const minute = Math.floor((now - lag) / MINUTE) * MINUTE - MINUTE;
        const sinkWrite = (b: Parameters<Outbox['appendRollups']>[0]) => { e.outbox.appendRollups(b); rollupBatches++; };
        const sink = new RollupSink({ site: e.site, now: () => 0, equipmentOf: (d) => EQUIPMENT[Number(d.slice(1)) % EQUIPMENT.length], write: sinkWrite });
        const readings: Reading[] = [];
        for (let d = 0; d < args.devices; d++) {
          for (let p = 0; p < args.points; p++) readings.push({ device: `d${String(d).padStart(3, '0')}`, point: `p${p}`, value: 20 + Math.random() * 10, quality: 'good', ts: minute + 30_000 });
        }
        sink.onReadings(readings);
        sink.flush(true);
        const next = Math.floor(now / MINUTE) * MINUTE + MINUTE + lag;
        timers.push(setTimeout(roll, next - now));
      };
      const now = Date.now();
      timers.push(setTimeout(roll, Math.floor(now / MINUTE) * MINUTE + MINUTE + lag - now));
    });
    setTimeout(resolve, seconds * 1000);
  });
  for (const t of timers) clearTimeout(t);
  const after = estates.reduce((s, e) => s + e.lastSeq(), 0);
  return { events: after - before, rollupBatches, from, to: Date.now() };
}

serveParent(
  {
    events: (m) => ({ appended: appendEvents(m.perEstate as number, (m.from as number | null) ?? null, (m.to as number | null) ?? null) }),
    rollups: (m) => appendRollups(m.minutes as number[], m.write !== false),
    links: async (m) => {
      if (m.on) for (const e of estates) e.startLink();
      else await Promise.all(estates.map((e) => e.stopLink()));
      return {};
    },
    backlog: () => backlog(),
    steady: (m) => steady(m.rate as number, m.seconds as number),
  },
  async () => {
    await Promise.all(estates.map((e) => e.stopLink()));
    for (const e of estates) e.db.close();
  },
);
toParent({ type: 'ready', dbs: estates.map((e) => join(args.dir, `${e.site}.db`)).length });
