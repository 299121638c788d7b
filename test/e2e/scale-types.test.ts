/**
 * Scale mode with the plant types, end to end: generators, water tanks and chillers behind one
 * simulated Modbus TCP gateway (with a pump), sump pumps publishing to a real Mosquitto, and a real
 * gateway configured from scaleSiteDevices() alone reading every point with good quality, each
 * unit id answering with its own device's values.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../gateway/app.js';
import { createLogger } from '../../gateway/core/log.js';
import type { DeviceView } from '../../gateway/core/model.js';
import { validateConfig } from '../../gateway/site/load.js';
import { scaleSiteDevices, startSimulators, type ScaleCounts, type SimulatorStack } from '../../simulators/index.js';
import { startMosquitto, type MosquittoHandle } from '../../tools/mosquitto.js';
import { freePort } from '../../tools/ports.js';
import { waitFor } from '../../tools/wait.js';
import { adminAuth, ADMIN_USER } from '../helpers/admin.js';

const COUNTS: ScaleCounts = { pump: 1, generator: 2, water_tank: 2, chiller: 2, sump_pump: 2 };
const NEW_TYPES = new Set(['generator', 'water_tank', 'chiller', 'sump_pump']);

let broker: MosquittoHandle;
let sims: SimulatorStack;
let gw: Gateway;
let auth: Record<string, string>;
let basePort: number;

beforeAll(async () => {
  broker = await startMosquitto();
  basePort = await freePort();
  sims = await startSimulators({ scale: COUNTS, protocols: ['modbus', 'mqtt'], modbusBasePort: basePort, controlPort: 0, brokerUrl: broker.url, log: createLogger('sim', 'silent') });
  const dir = mkdtempSync(join(tmpdir(), 'gw-scale-types-'));
  // The gateway learns the addresses from the scale layout, not from the running stack.
  const devices = scaleSiteDevices({ counts: COUNTS, modbusBasePort: basePort, brokerUrl: broker.url, pollInterval: 500, timeout: 500 });
  const raw = {
    site: { id: 'scale-types', name: 'Scale mode, plant types' },
    dataDir: join(dir, 'data'),
    users: [ADMIN_USER],
    devices,
  };
  gw = await createGateway(validateConfig(raw, join(dir, 'site.yaml'), dir), { log: createLogger('test', 'silent'), port: 0, host: '127.0.0.1' });
  await gw.start();
  auth = await adminAuth(gw.app);
}, 20_000);
afterAll(async () => {
  await gw?.stop();
  await sims?.stop();
  await broker?.stop();
});

const devices = async () => (await gw.app.inject({ url: '/api/devices', headers: auth })).json<DeviceView[]>();
/** Points of the device that are not (yet) good, for the wait's message. */
const notGood = (d: DeviceView) => Object.entries(d.points).filter(([, p]) => p.quality !== 'good').map(([name]) => `${d.id}.${name}`);

describe('scale mode with every plant type, read by a real gateway', () => {
  it('serves generators, tanks and chillers by unit id and sump pumps over MQTT, every point good', async () => {
    // Several units of one new type behind one Modbus server, numbered on after the pump.
    expect(sims.ports.modbusUnits).toEqual({
      'pump-0001': { port: basePort, unitId: 1 },
      'gen-0001': { port: basePort, unitId: 2 },
      'gen-0002': { port: basePort, unitId: 3 },
      'tank-0001': { port: basePort, unitId: 4 },
      'tank-0002': { port: basePort, unitId: 5 },
      'chiller-0001': { port: basePort, unitId: 6 },
      'chiller-0002': { port: basePort, unitId: 7 },
    });

    let last: DeviceView[] = [];
    const all = await waitFor(async () => {
      last = await devices();
      return last.length === 9 && last.every((d) => d.comm === 'online' && notGood(d).length === 0) && last;
    }, { timeout: 15_000, what: () => `every point good; still not: ${last.flatMap(notGood).join(', ') || last.filter((d) => d.comm !== 'online').map((d) => `${d.id} ${d.comm}`).join(', ')}` });

    const byId = new Map(all.map((d) => [d.id, d]));
    expect(all.filter((d) => NEW_TYPES.has(d.type)).map((d) => d.id).sort()).toEqual(
      ['chiller-0001', 'chiller-0002', 'gen-0001', 'gen-0002', 'sump-0001', 'sump-0002', 'tank-0001', 'tank-0002'],
    );
    expect(Object.keys(byId.get('gen-0001')!.points)).toHaveLength(13);
    expect(Object.keys(byId.get('chiller-0002')!.points)).toHaveLength(12);
    expect(Object.keys(byId.get('tank-0002')!.points)).toHaveLength(7);
    expect(Object.keys(byId.get('sump-0002')!.points)).toHaveLength(8);
    expect(byId.get('sump-0001')).toMatchObject({ protocol: 'mqtt', building: 'B01', name: 'Sump pump 1' });

    // Each unit id answers with its own device: the run hours of each generator, chiller and sump
    // pump (drawn per device, 0.1 h steps on the wire) are those of its own model.
    for (const id of ['gen-0001', 'gen-0002', 'chiller-0001', 'chiller-0002', 'sump-0001', 'sump-0002']) {
      const own = (sims.device(id).model.values() as { run_hours: number }).run_hours;
      expect(byId.get(id)!.points.run_hours!.value, id).toBeCloseTo(own, 0);
    }
    expect(byId.get('gen-0001')!.points.run_hours!.value).not.toBeCloseTo(byId.get('gen-0002')!.points.run_hours!.value as number, 0);
    expect(byId.get('tank-0001')!.points.level!.value).toBeGreaterThan(0.5);
  });
});
