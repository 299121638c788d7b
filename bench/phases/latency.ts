/**
 * Latency (issue 10): a fault injected at a simulator (demo equipment on its real protocols) → the
 * work order or alarm event on a socket.io client of the gateway, per source protocol, against the
 * source's own delay chain (poll, sampling and publishing intervals).
 */
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { dropDatabase } from '../lib/influx.js';
import { writeDemoSite, type BenchAuth } from '../lib/site.js';
import { round, sleep, summarize } from '../lib/stats.js';
import { ROOT, type BenchContext, type BrokerPath, type GatewayChild } from './context.js';

export interface LatencySettings {
  faults: { mqtt: number; opcua: number; modbus: number };
  auth: BenchAuth;
}

/** The bench polls the meter faster than the demo (1 s) so that the Modbus figure is about the gateway. */
const MODBUS_POLL_MS = 250;
/** The simulated meter's RMS window: 10 cycles at 50 Hz (IEC 61000-4-30), part of the Modbus source's delay. */
const METER_WINDOW_MS = 200;
/** The demo site's OPC UA monitored items: a change waits up to one sampling and one publishing interval. */
const OPCUA_SAMPLING_MS = 250;
const OPCUA_PUBLISHING_MS = 250;

interface Arrival { t: number; kind: 'work-order' | 'alarm'; device: string; fault: string; state?: string }

async function connectSocket(url: string, auth: BenchAuth): Promise<Socket> {
  const attempt = (token?: string) =>
    new Promise<Socket>((resolveSock, reject) => {
      const s = io(url, { transports: ['websocket'], reconnection: false, timeout: 10_000, ...(token ? { auth: { token } } : {}) });
      s.once('connect', () => resolveSock(s));
      s.once('connect_error', (err) => {
        s.close();
        reject(err);
      });
    });
  const login = async (): Promise<string | undefined> => {
    const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: auth.username, password: auth.password }) });
    if (!res.ok) return undefined;
    return ((await res.json()) as { token?: string }).token;
  };
  const token = auth.users ? await login().catch(() => undefined) : undefined;
  try {
    return await attempt(token);
  } catch (err) {
    if (token) throw err;
    const t = await login().catch(() => undefined);
    if (!t) throw err;
    return attempt(t);
  }
}

export async function latencyPhase(ctx: BenchContext, broker: BrokerPath, settings: LatencySettings): Promise<Record<string, unknown>> {
  const sim = ctx.child('simulators.ts', 'simulators', { env: { BENCH_ARGS: JSON.stringify({ brokerUrl: broker.url }) } });
  let gw: GatewayChild | undefined;
  let sock: Socket | undefined;
  try {
    const ready = await sim.next('ready', 90_000);
    const controlUrl = String(ready.controlUrl);
    const config = join(ctx.tmp, 'gw-latency.yaml');
    writeDemoSite(config, join(ROOT, 'demo', 'site.yaml'), {
      SIM_HOST: '127.0.0.1', ...(ready.sitePortVars as Record<string, string>),
      BROKER_HOST: '127.0.0.1', BROKER_PORT: new URL(broker.url).port, GW_DATA_DIR: join(ctx.tmp, 'gw-latency-data'), GW_HTTP_HOST: '127.0.0.1', GW_HTTP_PORT: '0',
    }, (site) => {
      const devices = site.devices as Array<{ id: string; connection: Record<string, unknown> }>;
      for (const d of devices) if (d.id === 'power-1') d.connection.pollInterval = MODBUS_POLL_MS;
      // Faults that show in one point at once; no on-delay, so the latency is the gateway's.
      // Same ids as the equipment types' default rules (gateway/equipment/), so these replace them.
      const rules = ((site.rules as Array<{ id: string }> | undefined) ?? []).filter((r) => !/undervoltage|trapped/.test(r.id));
      rules.push(
        { id: 'elevator.trapped-passenger', equipment: 'elevator', point: 'trapped', equals: true, for: 0, fault: 'trapped_passenger', severity: 'critical', category: 'elevator', message: 'Passenger trapped' } as never,
        // `for: 0` explicitly: an override of a built-in rule inherits the keys it leaves out.
        { id: 'power.undervoltage-l1', equipment: 'power', point: 'voltage_l1', below: 198, clear: 202, for: 0, fault: 'undervoltage', severity: 'major', category: 'power', message: 'L1 voltage below 198 V' } as never,
      );
      site.rules = rules;
      if (settings.auth.users) site.users = settings.auth.users;
    });
    gw = await ctx.gateway('gw-latency', config, 'gw_latency');
    // All sources online before the first fault (a source that never comes online is skipped).
    const online = new Set<string>();
    const deadline = Date.now() + 45_000;
    for (const id of ['fire-1', 'elev-1', 'elev-2', 'power-1']) {
      while (Date.now() < deadline) {
        const s = await gw.child.request('device', { id });
        if (s.comm === 'online') {
          online.add(id);
          break;
        }
        await sleep(200);
      }
      if (!online.has(id)) ctx.notes.push(`latency: ${id} not online at the gateway within 45 s (see the gateway log); skipped`);
    }
    sock = await connectSocket(gw.url, settings.auth);
    const arrivals: Arrival[] = [];
    const waiters = new Set<() => void>();
    const push = (a: Arrival) => {
      arrivals.push(a);
      for (const w of waiters) w();
    };
    sock.on('work-order', (o: { device: string | null; fault: string }) => push({ t: performance.now(), kind: 'work-order', device: o.device ?? '', fault: o.fault }));
    sock.on('alarm', (a: { device: string; fault: string; state: string }) => push({ t: performance.now(), kind: 'alarm', device: a.device, fault: a.fault, state: a.state }));
    const waitFor = (pred: (a: Arrival) => boolean, since: number, ms: number) =>
      new Promise<Arrival | undefined>((resolveWait) => {
        const check = () => {
          const hit = arrivals.find((a) => a.t >= since && pred(a));
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolveWait(hit);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          resolveWait(undefined);
        }, ms);
        waiters.add(check);
        check();
      });
    const control = async (method: 'POST' | 'DELETE', device: string, fault?: string) => {
      const res = await fetch(`${controlUrl}/devices/${device}/faults`, {
        method,
        ...(fault ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault }) } : {}),
      });
      await res.arrayBuffer();
      if (res.status >= 300) throw new Error(`${method} ${device} faults: HTTP ${res.status}`);
    };

    interface Source { device: string; fault: string; n: number; gapMs: number }
    const run = async (s: Source) => {
      const wo: number[] = [];
      const al: number[] = [];
      let missed = 0;
      let missedInRow = 0;
      if (!online.has(s.device)) return { wo, al, missed: s.n };
      await control('DELETE', s.device);
      await sleep(500);
      for (let i = 0; i < s.n; i++) {
        if (missedInRow >= 3) {
          ctx.notes.push(`latency: ${s.device}: 3 faults in a row raised no event within 5 s; stopped after ${i} faults`);
          missed += s.n - i;
          break;
        }
        const t0 = performance.now();
        await control('POST', s.device, s.fault);
        const [w, a] = await Promise.all([
          waitFor((x) => x.kind === 'work-order' && x.device === s.device && x.fault === s.fault, t0, 5000),
          waitFor((x) => x.kind === 'alarm' && x.device === s.device && x.fault === s.fault && x.state === 'active_unack', t0, 5000),
        ]);
        if (w) wo.push(w.t - t0);
        if (a) al.push(a.t - t0);
        if (!w && !a) {
          missed++;
          missedInRow++;
        } else {
          missedInRow = 0;
        }
        const t1 = performance.now();
        await control('DELETE', s.device);
        await waitFor((x) => x.kind === 'alarm' && x.device === s.device && x.fault === s.fault && x.state !== 'active_unack' && x.state !== 'active_ack', t1, 5000);
        // Random phase against the source's sampling/poll cycle.
        await sleep(20 + Math.random() * s.gapMs);
      }
      return { wo, al, missed };
    };
    const opcuaHalf = Math.ceil(settings.faults.opcua / 2);
    ctx.say(`latency: ${settings.faults.mqtt} fire alarms (MQTT), ${opcuaHalf * 2} trapped passengers (OPC UA, 2 lifts), ${settings.faults.modbus} undervoltages (Modbus, poll ${MODBUS_POLL_MS} ms)`);
    const [mqttR, e1, e2, modbusR] = await Promise.all([
      run({ device: 'fire-1', fault: 'fire_alarm', n: settings.faults.mqtt, gapMs: 100 }),
      run({ device: 'elev-1', fault: 'trapped_passenger', n: opcuaHalf, gapMs: 250 }),
      run({ device: 'elev-2', fault: 'trapped_passenger', n: opcuaHalf, gapMs: 250 }),
      run({ device: 'power-1', fault: 'undervoltage', n: settings.faults.modbus, gapMs: MODBUS_POLL_MS }),
    ]);
    const opcuaR = { wo: [...e1.wo, ...e2.wo], al: [...e1.al, ...e2.al], missed: e1.missed + e2.missed };
    const pick = (r: { wo: number[]; al: number[]; missed: number }, n: number, intervalMs: number, how: string) => {
      const event = r.wo.length >= r.al.length ? 'work-order' : 'alarm';
      const s = summarize(event === 'work-order' ? r.wo : r.al);
      return {
        p50: s.p50, p95: s.p95, p99: s.p99, interval_ms: intervalMs,
        event, faults: n, measured: s.n, missed: r.missed, max: s.max, mean: s.mean,
        alarm: summarize(r.al), work_order: summarize(r.wo), source: how,
      };
    };
    return {
      mqtt: pick(mqttR, settings.faults.mqtt, 0, 'fire-1 fire_alarm; the panel publishes on change (periodic telemetry every 1000 ms), so the interval is 0'),
      opcua: pick(opcuaR, opcuaHalf * 2, OPCUA_SAMPLING_MS + OPCUA_PUBLISHING_MS, `elev-1/elev-2 trapped_passenger; OPC UA samplingInterval ${OPCUA_SAMPLING_MS} ms + publishingInterval ${OPCUA_PUBLISHING_MS} ms (demo site): a change waits for both`),
      modbus: pick(modbusR, settings.faults.modbus, MODBUS_POLL_MS + METER_WINDOW_MS, `power-1 undervoltage; Modbus poll ${MODBUS_POLL_MS} ms (demo: 1000 ms) + the meter's ${METER_WINDOW_MS} ms RMS window (10 cycles, IEC 61000-4-30)`),
    };
  } finally {
    sock?.close();
    if (gw) await gw.child.stop();
    await sim.stop();
    await dropDatabase(ctx.influx.url, 'gw_latency');
  }
}

