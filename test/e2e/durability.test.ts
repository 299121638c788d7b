/**
 * Durability of alarms and work orders: the gateway runs as its own process
 * (`gateway/main.ts --config <tmp>`) on the site broker (broker/index.ts, aedes) and on Mosquitto
 * (a broker nobody here wrote), twenty fire panels of
 * protocol mqtt are driven by a small MQTT publisher in a burst of faults (fire_alarm true/false
 * cycles), the gateway is SIGKILLed mid-burst, the rest of the burst goes on while it is dead,
 * and it is restarted on the same data folder, after which the whole burst is sent again.
 *
 * "No lost, no duplicate" means, checked on the SQLite file after a clean stop:
 *  - every device whose fault was published before the kill (all of them) has its alarm and its
 *    work order, and every alarm ever recorded is linked to an order (none left behind by the kill);
 *  - at most one open order per device + fault, and no second order at all (nothing was closed);
 *  - each order's occurrences equal the alarms linked to it (no occurrence counted twice);
 *  - never two alarms active at once for the same rule and device;
 *  - no more alarms per device than fault starts published: QoS 1 messages whose PUBACK died with
 *    the process are redelivered after the restart [MQTT-4.4.0-1], and the rules ignore them
 *    because the database remembers the raises and clears they made (same time and value).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../broker/index.js';
import { createLogger } from '../../gateway/core/log.js';
import { startMosquitto } from '../../tools/mosquitto.js';
import { waitFor } from '../../tools/wait.js';

const DEVICES = Array.from({ length: 20 }, (_, i) => `fp-${String(i + 1).padStart(2, '0')}`);
const CYCLES = 8;
const procs: ChildProcess[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const c of cleanups.reverse()) await c();
});

function writeConfig(dir: string, brokerUrl: string): string {
  const devices = DEVICES.map((id) => `  - id: ${id}
    type: fire_panel
    protocol: mqtt
    connection: { url: "${brokerUrl}", topic: durable/${id}/telemetry, qos: 1 }
    points: [{ name: fire_alarm, path: fire_alarm }]`).join('\n');
  const file = join(dir, 'site.yaml');
  writeFileSync(file, `site: { id: durable, name: Durability test }\ndataDir: ${join(dir, 'data')}\nhttp: { host: 127.0.0.1, port: 0 }\ndevices:\n${devices}\n`);
  return file;
}

function startGateway(config: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts', '--config', config], {
    env: { ...process.env, LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('gateway listening on')) resolve(child);
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${out}`)));
  });
}

const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

let lastTs = 0;

/** The burst: per device CYCLES × (true, false), then a final true; `onProgress` after each publish. */
async function burst(client: mqtt.MqttClient, gapMs: number, onProgress?: (sent: number, total: number) => Promise<void> | void): Promise<void> {
  const msgs: [string, boolean][] = [];
  for (let c = 0; c < CYCLES; c++) for (const d of DEVICES) msgs.push([d, true], [d, false]);
  for (const d of DEVICES) msgs.push([d, true]);
  let sent = 0;
  const acks: Promise<unknown>[] = [];
  for (const [d, v] of msgs) {
    // Not awaited one by one: QoS 1 keeps the order, and a round trip per message would be slow.
    // Device time in the payload, as panels send it: how the rules tell a redelivery (same time and
    // value) from news. A panel never dates two events with the same millisecond; neither do we.
    lastTs = Math.max(Date.now(), lastTs + 1);
    acks.push(client.publishAsync(`durable/${d}/telemetry`, JSON.stringify({ ts: lastTs, fire_alarm: v }), { qos: 1 }));
    sent++;
    await onProgress?.(sent, msgs.length);
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
  }
  await Promise.all(acks);
}

const BROKERS: [string, () => Promise<string>][] = [
  ['the site broker', async () => {
    const b = await startBroker({ port: 0, host: '127.0.0.1', log: createLogger('broker', 'silent'), config: { allowAnonymous: true } });
    cleanups.push(() => b.stop());
    return b.url;
  }],
  ['Mosquitto', async () => {
    const m = await startMosquitto();
    cleanups.push(() => m.stop());
    return m.url;
  }],
];

describe.each(BROKERS)('durability under SIGKILL, on %s', (_name, startBrokerAt) => {
  it('loses and duplicates no alarm or order across a kill during a burst of faults', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-durable-'));
    const openDb = () => new Database(join(dir, 'data', 'gateway.db'), { readonly: true, fileMustExist: true });
    const count = (sql: string): number => {
      const db = openDb();
      try {
        return (db.prepare(sql).get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const url = await startBrokerAt();
    const config = writeConfig(dir, url);
    let gw = await startGateway(config);
    const pub = await mqtt.connectAsync(url, { clientId: 'durable-publisher' });
    cleanups.push(() => pub.endAsync());

    let killedAt = -1;
    let total = 0;
    await burst(pub, 8, async (sent, n) => {
      total = n;
      if (killedAt >= 0 || sent % 20) return;
      // Kill once the gateway is visibly working through the burst.
      if (count('SELECT COUNT(*) AS n FROM work_orders') >= 5) {
        gw.kill('SIGKILL');
        killedAt = sent;
      }
    });
    expect(killedAt, 'the gateway was killed during the burst').toBeGreaterThan(0);
    expect(killedAt, 'killed before the burst ended').toBeLessThan(total);
    await exited(gw);
    const ordersAtKill = count('SELECT COUNT(*) AS n FROM work_orders');
    expect(ordersAtKill).toBeGreaterThan(0);

    // Restart on the same data folder, then the whole burst again.
    gw = await startGateway(config);
    await burst(pub, 0);
    await waitFor(() => count(`SELECT COUNT(*) AS n FROM alarms WHERE state IN ('active_unack','active_ack')`) === DEVICES.length
      && count('SELECT COUNT(*) AS n FROM work_orders') === DEVICES.length
      && count('SELECT COUNT(*) AS n FROM alarms a WHERE NOT EXISTS (SELECT 1 FROM work_order_alarms w WHERE w.alarm_id = a.id)') === 0,
    { timeout: 30_000, interval: 200, what: 'every device with one active alarm and one order' });
    gw.kill('SIGTERM');
    await exited(gw);
    const db = openDb();
    try {
      const orders = db.prepare(`SELECT device, fault, status, occurrences, id FROM work_orders`).all() as { device: string; fault: string; status: string; occurrences: number; id: string }[];
      expect(orders.map((o) => o.device).sort()).toEqual(DEVICES);
      expect(new Set(orders.map((o) => `${o.device}/${o.fault}`)).size).toBe(orders.length);
      expect(orders.every((o) => o.fault === 'fire_alarm' && o.status === 'new')).toBe(true);
      const linked = db.prepare('SELECT order_id AS id, COUNT(*) AS n FROM work_order_alarms GROUP BY order_id').all() as { id: string; n: number }[];
      for (const o of orders) expect(linked.find((l) => l.id === o.id)?.n, `occurrences of ${o.device}`).toBe(o.occurrences);
      expect(db.prepare(`SELECT COUNT(*) AS n FROM alarms a WHERE NOT EXISTS (SELECT 1 FROM work_order_alarms w WHERE w.alarm_id = a.id)`).get()).toEqual({ n: 0 });
      // Never two alarms active at once for one rule and device: their [raised, cleared] intervals do not overlap.
      const alarms = db.prepare('SELECT device, rule, raised_at AS r, cleared_at AS c FROM alarms ORDER BY device, rule, raised_at, rowid').all() as { device: string; rule: string; r: number; c: number | null }[];
      const active = alarms.filter((a) => a.c === null);
      expect(active.map((a) => a.device).sort()).toEqual(DEVICES);
      for (let i = 1; i < alarms.length; i++) {
        const [a, b] = [alarms[i - 1]!, alarms[i]!];
        if (a.device === b.device && a.rule === b.rule) expect(a.c, `${a.device} alarm cleared before the next was raised`).not.toBeNull();
      }
      const perDevice = new Map<string, number>();
      for (const a of alarms) perDevice.set(a.device, (perDevice.get(a.device) ?? 0) + 1);
      for (const d of DEVICES) expect(perDevice.get(d)!).toBeLessThanOrEqual(2 * (CYCLES + 1));
    } finally {
      db.close();
    }
  });
});
