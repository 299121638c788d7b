/**
 * The whole loop, as a user meets it: `demo/start.ts` (broker, simulators, gateway, embedded
 * storage) on free ports, a fault injected through the simulator control API, the alarm and the
 * work order arriving over a real socket.io client, then Ctrl-C and a second start on the same
 * data folder.
 */
import { io, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alarm, DeviceView, WorkOrder } from '../../gateway/core/model.js';
import { demoSetup, startDemo as startDemoOn, type Demo } from '../helpers/demo.js';
import { waitFor } from '../../tools/wait.js';

const setup = await demoSetup();
const { ports, api, control } = setup;
const startDemo = () => startDemoOn(setup);

// The API needs a token (demo users in README.md); the secret is kept in the data folder, so the
// token stays valid across the restart below.
let token = '';
async function login(): Promise<string> {
  const res = await fetch(`${api}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-demo' }) });
  if (!res.ok) throw new Error(`login → ${res.status} ${await res.text()}`);
  return (token = ((await res.json()) as { token: string }).token);
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  if (url.startsWith(`${api}/api/`)) init = { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token || (await login())}` } };
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
const inject = (device: string, fault: string) =>
  json(`${control}/devices/${device}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault }) });
const clear = (device: string) => json(`${control}/devices/${device}/faults`, { method: 'DELETE' });

async function stopDemo(demo: Demo): Promise<number> {
  const t = Date.now();
  demo.proc.kill('SIGINT');
  const code = await demo.exited;
  expect(code, demo.output()).toBe(0);
  return Date.now() - t;
}

let demo: Demo | undefined;
let socket: Socket | undefined;
afterAll(() => {
  socket?.close();
  demo?.proc.kill('SIGKILL');
});

describe('demo in one command', () => {
  it('starts everything and prints the URLs', async () => {
    demo = await startDemo();
    expect(demo.output()).toContain(`Dashboard          http://localhost:${ports.GW_HTTP_PORT}/`);
    expect(demo.output()).toContain(`Simulator control  http://localhost:${ports.SIM_CONTROL_PORT}/devices`);
    const html = await fetch(`${api}/`);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('<div id="app"');
  });

  it('reads all three protocols into live values that change over time', async () => {
    const online = await waitFor(async () => {
      const devices = await json<DeviceView[]>(`${api}/api/devices`);
      return devices.every((d) => d.comm === 'online') && devices;
    }, { timeout: 30_000, what: 'all ten devices online' });
    expect(online.map((d) => `${d.id}:${d.protocol}`).sort()).toEqual([
      'chiller-1:modbus', 'elev-1:opcua', 'elev-2:opcua', 'fire-1:mqtt', 'gen-1:modbus', 'power-1:modbus', 'pump-1:modbus', 'pump-2:modbus',
      'sump-1:mqtt', 'tank-1:modbus',
    ]);
    const first = online.find((d) => d.id === 'power-1')!.points.voltage_l1!;
    await waitFor(async () => {
      const now = (await json<DeviceView>(`${api}/api/devices/power-1`)).points.voltage_l1!;
      return now.ts > first.ts && now.value !== first.value;
    }, { timeout: 10_000, what: 'voltage_l1 to change' });
    const to = Date.now();
    const hist = await json<{ samples: unknown[] }>(`${api}/api/history?device=power-1&point=voltage_l1&from=${to - 60_000}&to=${to}`);
    await waitFor(async () => (await json<{ samples: unknown[] }>(`${api}/api/history?device=power-1&point=voltage_l1&from=${to - 60_000}&to=${Date.now()}`)).samples.length >= 2,
      { timeout: 10_000, what: 'stored history' });
    expect(Array.isArray(hist.samples)).toBe(true);
  });

  it('closes the loop: fault → alarm → work order with the service-rule deadline, live over socket.io', async () => {
    const sims = await json<{ id: string; faults: string[] }[]>(`${control}/devices`);
    expect(sims.find((d) => d.id === 'pump-1')!.faults).toContain('low_pressure');

    socket = io(api, { transports: ['websocket'], auth: { token: token || (await login()) } });
    const orders: WorkOrder[] = [];
    const alarms: Alarm[] = [];
    socket.on('work-order', (o: WorkOrder) => orders.push(o));
    socket.on('alarm', (a: Alarm) => alarms.push(a));
    await waitFor(() => socket!.connected, { timeout: 10_000, what: 'socket.io connection' });

    await inject('pump-1', 'low_pressure'); // Modbus
    await inject('elev-1', 'slow_door'); // OPC UA
    await inject('fire-1', 'fire_alarm'); // MQTT
    const byDevice = (id: string) => orders.find((o) => o.device === id);
    await waitFor(() => byDevice('pump-1') && byDevice('elev-1') && byDevice('fire-1'), { timeout: 30_000, what: 'three work-order events' });

    const HOUR = 3_600_000;
    const pump = byDevice('pump-1')!;
    expect(pump).toMatchObject({ fault: 'low_pressure', category: 'water', status: 'new' });
    expect(pump.respondBy - pump.faultAt).toBe(1 * HOUR); // seed 2.1
    const elevator = byDevice('elev-1')!;
    expect(elevator.onSiteBy! - elevator.faultAt).toBe(2 * HOUR); // seed 2.1
    expect(byDevice('fire-1')!.priority).toBe('emergency');

    const listed = await json<WorkOrder[]>(`${api}/api/work-orders`);
    expect(listed.map((o) => o.id)).toEqual(expect.arrayContaining([pump.id, elevator.id]));

    // Clearing the fault clears the alarm; the order stays open.
    await clear('pump-1');
    await waitFor(() => alarms.find((a) => a.device === 'pump-1' && a.state === 'cleared_unack'), { timeout: 20_000, what: 'pump alarm cleared' });
    const after = await json<WorkOrder>(`${api}/api/work-orders/${pump.id}`);
    expect(after.status).toBe('new');
  });

  it('stops on Ctrl-C within 5 s and starts again on the same data without duplicate orders', async () => {
    socket?.close();
    const before = await json<WorkOrder[]>(`${api}/api/work-orders`);
    const took = await stopDemo(demo!);
    expect(took).toBeLessThan(5000);

    demo = await startDemo();
    await waitFor(async () => (await json<DeviceView[]>(`${api}/api/devices`)).every((d) => d.comm === 'online'), { timeout: 30_000, what: 'devices online after restart' });
    // The simulators restarted healthy, so the elevator fault is injected again: same open order, one more occurrence.
    await inject('elev-1', 'slow_door');
    const elevatorBefore = before.find((o) => o.device === 'elev-1')!;
    await waitFor(async () => (await json<WorkOrder>(`${api}/api/work-orders/${elevatorBefore.id}`)).occurrences > elevatorBefore.occurrences,
      { timeout: 30_000, what: 'a second occurrence on the open elevator order' });
    const afterRestart = await json<WorkOrder[]>(`${api}/api/work-orders`);
    expect(afterRestart.map((o) => o.number).sort()).toEqual(before.map((o) => o.number).sort());
    await stopDemo(demo);
    demo = undefined;
  });
});
