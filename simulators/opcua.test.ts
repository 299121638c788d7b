/**
 * The OPC UA face read by a node-opcua client: node ids, data types, engineering units, values
 * that follow the model, a door fault showing up, and BadNoCommunication for a silent lift.
 */
import {
  AttributeIds,
  DataType,
  makeBrowsePath,
  StatusCodes,
  type ClientSession,
} from 'node-opcua';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type SimulatorStack } from './index.js';
import { opcuaSession, post } from './testkit.js';
import { waitFor } from '../tools/wait.js';

let sims: SimulatorStack;
let opcua: Awaited<ReturnType<typeof opcuaSession>>;
let session: ClientSession;

beforeAll(async () => {
  // Time runs 4× so the 8–9.5 s slow door close is seen in about 3 s of test time.
  sims = await startSimulators({ protocols: ['opcua'], opcuaPort: 0, controlPort: 0, timeScale: 4, log: pino({ level: 'warn' }) });
  opcua = await opcuaSession(sims.opcuaEndpoint!);
  session = opcua.session;
});
afterAll(async () => {
  await opcua?.close();
  await sims?.stop();
});

const read = (nodeId: string) => session.read({ nodeId, attributeId: AttributeIds.Value });

describe('OPC UA face (node-opcua client)', () => {
  it('serves the documented endpoint path /facility', () => {
    expect(sims.opcuaEndpoint).toMatch(/^opc\.tcp:\/\/127\.0\.0\.1:\d+\/facility$/);
  });

  it('serves elevator variables with their data types', async () => {
    const floor = await read('ns=1;s=elev-1.floor');
    expect(floor.statusCode).toEqual(StatusCodes.Good);
    expect(floor.value.dataType).toBe(DataType.Int32);
    expect(floor.value.value).toSatisfy((f: number) => f >= 1 && f <= 18);
    const types = await Promise.all(['running', 'trips', 'door_close_time', 'trapped', 'fault_code'].map((p) => read(`ns=1;s=elev-2.${p}`)));
    expect(types.map((dv) => DataType[dv.value.dataType])).toEqual(['Boolean', 'UInt32', 'Double', 'Boolean', 'Int32']);
    expect(types[2]!.value.value).toSatisfy((s: number) => s > 2.5 && s < 3.6);
  });

  it('publishes EURange and EngineeringUnits on analog items', async () => {
    const [range, units] = await session.translateBrowsePath([
      makeBrowsePath('ns=1;s=elev-1.motor_current', '.EURange'),
      makeBrowsePath('ns=1;s=elev-1.motor_current', '.EngineeringUnits'),
    ]);
    const r = await read(range!.targets![0]!.targetId.toString());
    expect(r.value.value).toMatchObject({ low: 0, high: 80 });
    const u = await read(units!.targets![0]!.targetId.toString());
    expect(u.value.value.displayName.text).toBe('A');
  });

  it('shows slow_door as a door close time above 7 s', async () => {
    expect((await post(`${sims.controlUrl}/devices/elev-1/faults`, { fault: 'slow_door' })).status).toBe(201);
    await waitFor(async () => (await read('ns=1;s=elev-1.door_close_time')).value.value > 7, { what: 'door_close_time > 7 s', timeout: 10_000, interval: 100 });
    // Door-time protection code once the slow close has finished.
    await waitFor(async () => (await read('ns=1;s=elev-1.fault_code')).value.value === 11, { what: 'fault code 11', timeout: 5000, interval: 100 });
  });

  it('reports BadNoCommunication while a lift is silent', async () => {
    await post(`${sims.controlUrl}/devices/elev-2/faults`, { fault: 'silent' });
    await waitFor(async () => (await read('ns=1;s=elev-2.floor')).statusCode.equals(StatusCodes.BadNoCommunication), { what: 'bad status', timeout: 2000 });
    await fetch(`${sims.controlUrl}/devices/elev-2/faults/silent`, { method: 'DELETE' });
    await waitFor(async () => (await read('ns=1;s=elev-2.floor')).statusCode.equals(StatusCodes.Good), { what: 'good status again', timeout: 2000 });
  });
});
