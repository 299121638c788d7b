/**
 * A type the site declares in its YAML, with no code (gateway/equipment/README.md): a real gateway
 * with a grease-trap level sensor on a real MQTT broker raises a work order from the type's own
 * rule, in the type's SLA category, and the dashboard's catalogue route lists the type's labels.
 * Also: a config naming an unknown type, or a declared rule on a point the type lacks, is refused
 * with errors that name the key.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/app.js';
import { hashPassword } from '../../gateway/auth/password.js';
import { loadConfig } from '../../gateway/site/load.js';
import { createLogger } from '../../gateway/core/log.js';
import { equipmentTypes } from '../../gateway/equipment/index.js';
import type { DeviceView, EquipmentTypeView, WorkOrder } from '../../gateway/core/model.js';
import { startMosquitto, type MosquittoHandle } from '../../tools/mosquitto.js';
import { waitFor } from '../../tools/wait.js';

const TOPIC = 'site/demo/grease_trap/trap-1/telemetry';
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'gw-declared-type-'));

const TRAP_TYPE = `equipmentTypes:
  - id: grease_trap
    label: { zh-CN: 隔油池, en: Grease trap }
    category: water
    points:
      - { name: level, kind: number, unit: "%", label: { zh-CN: 液位, en: Level } }
      - { name: pump_running, kind: boolean, label: { zh-CN: 排污泵运行, en: Pump running } }
      - { name: high_alarm, kind: boolean, alertWhenTrue: true, label: { zh-CN: 高位报警, en: High-level alarm } }
    faults:
      - { name: trap_full, label: { zh-CN: 隔油池满, en: Trap full } }
    rules:
      - { id: grease_trap.full, point: level, above: 85, clear: 80, fault: trap_full, severity: major, message: Grease trap above 85 % }
    plans:
      - { id: grease-trap-monthly, title: Grease trap monthly clean-out, every: 30d }
    tile: { points: [level], order: 50 }
`;

function siteYaml(brokerUrl: string, types = TRAP_TYPE, deviceType = 'grease_trap'): string {
  return `site: { id: demo, name: Declared type }
dataDir: \${GW_DATA_DIR}
http: { host: 127.0.0.1, port: 0 }
${types}devices:
  - id: trap-1
    name: Kitchen grease trap
    type: ${deviceType}
    protocol: mqtt
    connection: { url: "${brokerUrl}", topic: ${TOPIC}, qos: 1, reconnectPeriod: 200 }
    points:
      - { name: level, path: level, unit: "%" }
      - { name: pump_running, path: pump }
users:
  - { username: admin, role: admin, passwordHash: "${ADMIN_HASH}" }
`;
}

let ADMIN_HASH = '';
let mosquitto: MosquittoHandle;
let gw: RunningGateway;
let device: MqttClient;
let token = '';

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

beforeAll(async () => {
  ADMIN_HASH = await hashPassword('admin-pass');
  mosquitto = await startMosquitto();
  const file = join(dir, 'site.yaml');
  writeFileSync(file, siteYaml(mosquitto.url));
  gw = await startGateway(loadConfig(file, { GW_DATA_DIR: join(dir, 'data') }), { log });
  const login = await fetch(`${gw.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-pass' }) });
  token = ((await login.json()) as { token: string }).token;
  device = await connectAsync(mosquitto.url, { reconnectPeriod: 200, clientId: 'declared-type-trap-1' });
});

afterAll(async () => {
  device?.end(true);
  await gw?.stop();
  await mosquitto?.stop();
});

describe('a site-declared equipment type', () => {
  it('raises a work order from its own rule, in its category, on a real MQTT device', async () => {
    await waitFor(async () => {
      await device.publishAsync(TOPIC, JSON.stringify({ level: 40, pump: false }), { qos: 1 });
      return (await get<DeviceView>('/api/devices/trap-1')).points['level']?.value === 40;
    }, { timeout: 15_000, interval: 300, what: 'trap-1 level through the broker' });
    expect(await get<WorkOrder[]>('/api/work-orders')).toHaveLength(0);

    await device.publishAsync(TOPIC, JSON.stringify({ level: 92, pump: false }), { qos: 1 });
    const order = await waitFor(async () => (await get<WorkOrder[]>('/api/work-orders')).find((o) => o.device === 'trap-1'), {
      timeout: 15_000, interval: 250, what: 'a work order for the full grease trap',
    });
    expect(order).toMatchObject({ fault: 'trap_full', category: 'water', source: 'alarm' });
    // seed 2.1: water faults are answered within 1 h of the fault.
    expect(order.respondBy - order.faultAt).toBe(3_600_000);
  });

  it('is listed with its labels and tile by GET /api/equipment-types, after the built-in types', async () => {
    const types = await get<EquipmentTypeView[]>('/api/equipment-types');
    const ids = types.map((t) => t.id);
    expect(ids.at(-1)).toBe('grease_trap');
    expect(new Set(ids.slice(0, -1))).toEqual(new Set(Object.keys(equipmentTypes)));
    const trap = types.find((t) => t.id === 'grease_trap')!;
    expect(trap.label).toEqual({ 'zh-CN': '隔油池', en: 'Grease trap' });
    expect(trap.tile.points).toEqual(['level']);
    expect(trap.points.find((p) => p.name === 'level')).toMatchObject({ unit: '%', label: { en: 'Level' } });
    // Red when true is the type's own say (alertWhenTrue), served for the dashboards; a status flag has none.
    expect(trap.points.find((p) => p.name === 'high_alarm')?.alertWhenTrue).toBe(true);
    expect(trap.points.find((p) => p.name === 'pump_running')).not.toHaveProperty('alertWhenTrue');
  });

  it('refuses an unknown type and a declared type whose rule watches a point it does not have', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, siteYaml(mosquitto.url, '', 'grease_trap'));
    expect(() => loadConfig(file, { GW_DATA_DIR: dir })).toThrow(/devices\[0\]\.type: must be one of "elevator", "pump", .*"fire_panel".* \(got "grease_trap"/);
    writeFileSync(file, siteYaml(mosquitto.url, TRAP_TYPE.replace('point: level, above', 'point: lvl, above')));
    expect(() => loadConfig(file, { GW_DATA_DIR: dir })).toThrow(/equipmentTypes\[0\]\.rules\[0\]\.point: "lvl" is not a point of type "grease_trap"/);
  });

  it('refuses a declared type that reuses an id', () => {
    const file = join(dir, 'dup.yaml');
    const twice = TRAP_TYPE + TRAP_TYPE.split('\n').slice(1).join('\n');
    writeFileSync(file, siteYaml(mosquitto.url, twice.replace('  - id: grease_trap\n    label: { zh-CN: 隔油池, en: Grease trap }\n    category: water', '  - id: pump\n    label: { zh-CN: 泵, en: Pump }\n    category: water')));
    expect(() => loadConfig(file, { GW_DATA_DIR: dir })).toThrow(/equipmentTypes\[0\]\.id: "pump" is a built-in type/);
    writeFileSync(file, siteYaml(mosquitto.url, twice));
    expect(() => loadConfig(file, { GW_DATA_DIR: dir })).toThrow(/equipmentTypes\[1\]\.id: duplicate equipment type "grease_trap"/);
  });
});
