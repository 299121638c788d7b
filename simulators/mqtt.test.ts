/**
 * The fire panel over MQTT against an in-test aedes broker that comes up after the simulators:
 * reconnect, retained `online` status, telemetry every second, a fire alarm published at once,
 * and the LWT `offline` when the panel goes silent; the sump pump's telemetry on its own topic.
 */
import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../tools/ports.js';
import { startSimulators, type SimulatorStack } from './index.js';
import { SUMP_PUMP_MQTT_PATHS } from './pointmaps.js';
import { post } from './testkit.js';
import { waitFor } from '../tools/wait.js';

const TELEMETRY = 'site/demo/fire_panel/fire-1/telemetry';
const STATUS = 'site/demo/fire_panel/fire-1/status';

let sims: SimulatorStack;
let broker: Aedes;
let server: net.Server;
let sub: MqttClient;
let port: number;
const telemetry: { at: number; body: Record<string, unknown> }[] = [];
const statuses: { body: string; retained: boolean }[] = [];

beforeAll(async () => {
  port = await freePort('127.0.0.1');
  // The panel starts first and must keep retrying until the broker is up.
  sims = await startSimulators({ protocols: ['mqtt'], controlPort: 0, brokerUrl: `mqtt://127.0.0.1:${port}`, log: pino({ level: 'warn' }) });
  // An absence cannot be awaited: give the panel time to fail at least one attempt (retry is 1 s).
  await new Promise((r) => setTimeout(r, 1200));
  broker = await Aedes.createBroker();
  server = net.createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  // Every MQTT device of the demo (fire panel, sump pump) connected: the retained status is there before we subscribe.
  const clients = sims.devices.filter((d) => d.protocol === 'mqtt').length;
  await waitFor(() => broker.connectedClients >= clients, { what: 'MQTT devices connected to the broker', timeout: 5000 });
  sub = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  sub.on('message', (topic, payload, packet) => {
    if (topic === TELEMETRY) telemetry.push({ at: Date.now(), body: JSON.parse(payload.toString()) as Record<string, unknown> });
    else statuses.push({ body: payload.toString(), retained: packet.retain });
  });
  await sub.subscribeAsync([TELEMETRY, STATUS], { qos: 1 });
});
afterAll(async () => {
  await sub?.endAsync();
  await sims?.stop();
  await new Promise<void>((r) => (broker ? broker.close(() => r()) : r()));
  server?.close();
});

describe('MQTT face (fire panel → aedes)', () => {
  it('reconnects once the broker is up and leaves a retained online status', async () => {
    await waitFor(() => statuses.length > 0, { what: 'retained status', timeout: 3000 });
    expect(statuses[0]).toEqual({ body: 'online', retained: true });
  });

  it('publishes telemetry every second in the site.yaml shape', async () => {
    await waitFor(() => telemetry.length >= 2, { what: 'two telemetry messages', timeout: 3000 });
    const [a, b] = telemetry.slice(-2);
    expect(b!.at - a!.at).toBeGreaterThan(500);
    expect(b!.body).toMatchObject({ fire_alarm: false, supervisory: false, trouble: false, zones_in_alarm: 0, disabled_zones: 0 });
    expect(b!.body.ts).toSatisfy((ts: number) => Math.abs(ts - Date.now()) < 5000);
    expect((b!.body.power as { battery_v: number }).battery_v).toBeCloseTo(27.2, 0);
  });

  it('publishes a fire alarm at once', async () => {
    const before = telemetry.length;
    const t0 = Date.now();
    expect((await post(`${sims.controlUrl}/devices/fire-1/faults`, { fault: 'fire_alarm' })).status).toBe(201);
    const msg = await waitFor(() => telemetry.slice(before).find((m) => m.body.fire_alarm === true), { what: 'fire_alarm payload', timeout: 2000, interval: 10 });
    expect(msg.at - t0).toBeLessThan(500); // not waiting for the 1 s period
    expect(msg.body).toMatchObject({ fire_alarm: true, zones_in_alarm: 1 });
  });

  it('publishes the sump pump on its own topic, and a call with no run when the pump fails to start', async () => {
    const got: Record<string, unknown>[] = [];
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    client.on('message', (_topic, payload) => got.push(JSON.parse(payload.toString()) as Record<string, unknown>));
    await client.subscribeAsync('site/demo/sump_pump/sump-1/telemetry', { qos: 1 });
    try {
      const first = await waitFor(() => got[0], { what: 'sump telemetry', timeout: 3000 });
      expect(Object.keys(first).sort()).toEqual(['ts', ...SUMP_PUMP_MQTT_PATHS].sort());
      expect(first).toMatchObject({ high_level: false, pump_fail: false });
      await post(`${sims.controlUrl}/devices/sump-1/faults`, { fault: 'fails_to_start' });
      // 10 s of called-but-idle at time scale 1 before the controller flags it: wait for the call first.
      await waitFor(() => got.find((m) => m.pump_call === true && m.running === false), { what: 'pump called, not running', timeout: 15_000 });
    } finally {
      await fetch(`${sims.controlUrl}/devices/sump-1/faults`, { method: 'DELETE' });
      await client.endAsync();
    }
  }, 20_000);

  it('drops off with the LWT when silent and comes back when cleared', async () => {
    const before = statuses.length;
    await post(`${sims.controlUrl}/devices/fire-1/faults`, { fault: 'silent' });
    await waitFor(() => statuses.slice(before).some((s) => s.body === 'offline'), { what: 'LWT offline', timeout: 3000 });
    const count = telemetry.length; // silence is an absence: watch for longer than the 1 s period
    await new Promise((r) => setTimeout(r, 1200));
    expect(telemetry.length).toBe(count);
    await fetch(`${sims.controlUrl}/devices/fire-1/faults`, { method: 'DELETE' });
    await waitFor(() => statuses.at(-1)?.body === 'online', { what: 'online again', timeout: 5000 });
    await waitFor(() => telemetry.at(-1)?.body.fire_alarm === false, { what: 'fire alarm cleared', timeout: 3000 });
  });
});
