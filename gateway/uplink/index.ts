/**
 * The estate's uplink to head office, composed (./README.md, docs/head-office.md): the outbox the
 * repositories write their events to, the NATS link that drains it, the command applier, the
 * 1-minute rollup sink, the `site.status` heartbeat and the backlog alarm. `createUplink` is
 * called by the composition root (gateway/app.ts) only when the config has `uplink:`.
 */
import type { SiteConfig } from '../config/schema.js';
import type { UplinkConfig } from '../config/uplink.js';
import { defaultEstateCode, type Estate } from '../core/envelope.js';
import type { Logger } from '../core/log.js';
import type { DeviceStatusEvent } from '../core/model.js';
import type { PipelineSink } from '../pipeline/pipeline.js';
import { Outbox, type OutboxBacklog } from '../storage/outbox.js';
import type { Db } from '../storage/sqlite.js';
import type { WorkOrderService } from '../workorders/service.js';
import type { PermissionFacts } from '../workorders/permissions.js';
import { CommandApplier } from './commands.js';
import { UplinkLink, type UplinkStats } from './link.js';
import { RollupSink } from './rollups.js';

export { Outbox } from '../storage/outbox.js';

export function estateOf(config: SiteConfig): Estate {
  return { site: config.site.id, code: config.site.code ?? defaultEstateCode(config.site.id) };
}

/** What the uplink needs to know about the gateway, read-only. */
export interface UplinkView {
  devices: readonly { id: string; type: string }[];
  commOf(device: string): string;
  /** Raise or clear the backlog alarm (AlarmEngine.systemCondition). */
  backlogAlarm(holds: boolean, backlog: number): void;
  /** The estate's permission rules, applied to head-office commands too. */
  permissions: PermissionFacts;
}

export interface Uplink {
  outbox: Outbox;
  /** Rollups and comm changes; register on the pipeline. */
  sink: PipelineSink;
  start(view: UplinkView, orders: WorkOrderService): void;
  replay(): number;
  stats(): (UplinkStats & { backlog: OutboxBacklog }) | null;
  stop(): Promise<void>;
}

export function createUplink(config: SiteConfig, uplink: UplinkConfig, db: Db, log: Logger, now: () => number = Date.now): Uplink {
  const site = config.site.id;
  const equipment = new Map(config.devices.map((d) => [d.id, d.type]));
  const equipmentOf = (id: string) => equipment.get(id);
  const outbox = new Outbox(db, site, now, equipmentOf);
  let link: UplinkLink | null = null;
  let view: UplinkView | null = null;
  const startedAt = now();
  const timers: NodeJS.Timeout[] = [];
  let statusDue: NodeJS.Timeout | null = null;
  let alarmOn = false;

  const rollups = new RollupSink({
    site, now, equipmentOf,
    write: (b) => { outbox.appendRollups(b); link?.wake(); },
  });

  const status = () => {
    if (!view) return;
    const comm = view.devices.map((d) => view!.commOf(d.id));
    const online = comm.filter((c) => c === 'online').length;
    const offline = comm.filter((c) => c === 'offline').length;
    db.transaction(() => outbox.append('site.status', {
      name: config.site.name, code: estateOf(config).code, url: config.site.url ?? null,
      devices: view!.devices.length, online, offline, connecting: view!.devices.length - online - offline, startedAt,
    }))();
    link?.wake();
  };

  const checkBacklog = () => {
    const b = outbox.backlog();
    const over = b.events > uplink.backlogAlarm;
    if (over !== alarmOn) {
      alarmOn = over;
      view?.backlogAlarm(over, b.events);
    }
    outbox.prune(uplink.keepSentDays * 86_400_000, now());
  };

  return {
    outbox,
    sink: {
      name: 'uplink',
      onReadings: uplink.rollups ? (batch) => rollups.onReadings(batch) : undefined,
      onStatus: (_e: DeviceStatusEvent) => {
        // Comm changes come in bursts (a switch room losing power): one status event per burst.
        statusDue ??= setTimeout(() => { statusDue = null; status(); }, 5_000);
        statusDue.unref();
      },
    },
    start(v, orders) {
      view = v;
      const commands = new CommandApplier(db, site, orders, outbox, log, now, v.permissions);
      link = new UplinkLink(uplink, site, outbox, commands, log);
      outbox.onAppend = () => setImmediate(() => link?.wake());
      status();
      link.start();
      if (uplink.rollups) rollups.start();
      timers.push(setInterval(status, uplink.statusEverySeconds * 1000), setInterval(checkBacklog, 10_000));
      for (const t of timers) t.unref();
      checkBacklog();
    },
    replay: () => link?.replay() ?? 0,
    stats: () => (link ? { ...link.stats, backlog: outbox.backlog() } : null),
    async stop() {
      for (const t of timers) clearInterval(t);
      if (statusDue) clearTimeout(statusDue);
      rollups.flush(true);
      rollups.close();
      await link?.stop();
    },
  };
}
