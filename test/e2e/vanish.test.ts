/**
 * A Modbus device that vanishes and returns (issue: fault tests with real processes): the
 * simulator's pump stops answering for real (`silent`: requests time out), the gateway marks it
 * offline and raises a comms-lost alarm and order; when it answers again, polling resumes within
 * 5 s and the alarm clears.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../gateway/app.js';
import { loadConfig } from '../../gateway/site/load.js';
import { createLogger } from '../../gateway/core/log.js';
import type { Alarm, DeviceView, WorkOrder } from '../../gateway/core/model.js';
import { FREE_MODBUS_PORTS, startSimulators, type SimulatorStack } from '../../simulators/index.js';
import { waitFor } from '../../tools/wait.js';
import { adminAuth, ADMIN_PASSWORD_HASH } from '../helpers/admin.js';

let sims: SimulatorStack;
let gw: Gateway;
let auth: Record<string, string>;

beforeAll(async () => {
  sims = await startSimulators({ protocols: ['modbus'], modbusPorts: FREE_MODBUS_PORTS, controlPort: 0, log: createLogger('sim', 'silent') });
  const dir = mkdtempSync(join(tmpdir(), 'gw-vanish-'));
  const file = join(dir, 'site.yaml');
  writeFileSync(file, `
site: { id: vanish, name: Vanishing pump }
dataDir: ./data
users:
  - { username: admin, role: admin, passwordHash: "${ADMIN_PASSWORD_HASH}" }
devices:
  - id: pump-1
    type: pump
    protocol: modbus
    connection: { host: 127.0.0.1, port: ${sims.ports.modbus['pump-1']}, unitId: 1, pollInterval: 500, timeout: 300 }
    points:
      - { name: running, table: discrete, address: 0, type: bool }
      - { name: discharge_pressure, table: input, address: 0, type: uint16, scale: 0.001, unit: MPa }
rules:
  # The shipped comms-lost rule waits 60 s; this site wants to know after 2 s.
  - { id: pump.comms-lost, equipment: pump, commLost: 2s, fault: comms_lost, severity: major, category: water }
`);
  gw = await createGateway(loadConfig(file), { log: createLogger('test', 'silent'), port: 0, host: '127.0.0.1' });
  await gw.start();
  auth = await adminAuth(gw.app);
});
afterAll(async () => {
  await gw?.stop();
  await sims?.stop();
});

const get = async <T>(url: string): Promise<T> => (await gw.app.inject({ url, headers: auth })).json<T>();
const control = (method: 'POST' | 'DELETE', body?: object) =>
  fetch(`${sims.controlUrl}/devices/pump-1/faults`, { method, headers: body ? { 'content-type': 'application/json' } : {}, ...(body ? { body: JSON.stringify(body) } : {}) });

describe('a Modbus device that vanishes and returns', () => {
  it('raises comms lost, then clears it and resumes polling within 5 s', async () => {
    await waitFor(async () => (await get<DeviceView>('/api/devices/pump-1')).comm === 'online', { timeout: 15_000, what: 'pump-1 online' });

    expect((await control('POST', { fault: 'silent' })).status).toBe(201);
    const alarm = await waitFor(async () => (await get<Alarm[]>('/api/alarms?device=pump-1')).find((a) => a.fault === 'comms_lost' && a.state === 'active_unack'),
      { timeout: 15_000, what: 'comms-lost alarm' });
    expect((await get<DeviceView>('/api/devices/pump-1')).comm).toBe('offline');
    const order = (await get<WorkOrder[]>('/api/work-orders?device=pump-1')).find((o) => o.fault === 'comms_lost');
    expect(order).toMatchObject({ category: 'water', status: 'new' });

    const back = Date.now();
    expect((await control('DELETE')).status).toBe(200);
    await waitFor(async () => {
      const d = await get<DeviceView>('/api/devices/pump-1');
      return d.comm === 'online' && d.points.discharge_pressure!.ts > back;
    }, { timeout: 5000, what: 'polling to resume within 5 s' });
    const cleared = await waitFor(async () => (await get<Alarm[]>('/api/alarms?device=pump-1')).find((a) => a.id === alarm.id && a.state !== 'active_unack'),
      { timeout: 5000, what: 'comms-lost alarm cleared' });
    expect(cleared.state).toBe('cleared_unack');
  });
});
