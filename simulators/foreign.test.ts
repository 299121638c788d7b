/**
 * Foreign clients, as documented: Debian's mosquitto_sub sees the fire panel through a Mosquitto
 * broker (status, telemetry, malformed payloads on demand), and a node-opcua client browses
 * Objects → device folders → variables. Also the OPC UA restart and live scenarios of the control API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { AttributeIds, BrowseDirection, NodeClass, StatusCodes, type ClientSession } from 'node-opcua';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type MosquittoHandle } from '../tools/mosquitto.js';
import { ELEVATOR_OPCUA_POINTS } from './pointmaps.js';
import { startSimulators, type SimulatorStack } from './index.js';
import { opcuaSession, post } from './testkit.js';
import { waitFor } from '../tools/wait.js';

let mosquitto: MosquittoHandle;
let sims: SimulatorStack;
let sub: ChildProcess;
const lines: string[] = [];

beforeAll(async () => {
  mosquitto = await startMosquitto();
  sims = await startSimulators({ protocols: ['mqtt', 'opcua'], opcuaPort: 0, controlPort: 0, brokerUrl: mosquitto.url, log: pino({ level: 'warn' }) });
  sub = spawn('/usr/bin/mosquitto_sub', ['-h', mosquitto.host, '-p', String(mosquitto.port), '-t', 'site/demo/fire_panel/fire-1/#', '-v', '-q', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  sub.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
});
afterAll(async () => {
  sub?.kill();
  await sims?.stop();
  await mosquitto?.stop();
});

const topicLines = (suffix: string) => lines.filter((l) => l.startsWith(`site/demo/fire_panel/fire-1/${suffix} `)).map((l) => l.slice(l.indexOf(' ') + 1));

describe('mosquitto_sub sees the fire panel', () => {
  it('gets the retained online status and JSON telemetry every second', async () => {
    await waitFor(() => topicLines('status').includes('online'), { what: 'status online', timeout: 5000 });
    await waitFor(() => topicLines('telemetry').length >= 2, { what: 'two telemetry lines', timeout: 5000 });
    const body = JSON.parse(topicLines('telemetry').at(-1)!) as Record<string, unknown>;
    expect(body).toMatchObject({ fire_alarm: false, trouble: false, zones_in_alarm: 0, power: { mains_v: expect.any(Number), battery_v: expect.any(Number) } });
  });

  it('sees malformed payloads while `malformed` is active', async () => {
    expect((await post(`${sims.controlUrl}/devices/fire-1/faults`, { fault: 'malformed' })).status).toBe(201);
    const before = topicLines('telemetry').length;
    const bad = (s: string) => {
      try {
        const v = JSON.parse(s) as unknown;
        return typeof v !== 'object' || v === null || Array.isArray(v) || typeof (v as Record<string, unknown>).fire_alarm !== 'boolean';
      } catch {
        return true;
      }
    };
    await waitFor(() => topicLines('telemetry').slice(before).filter(bad).length >= 2, { what: 'two malformed payloads', timeout: 5000 });
    await fetch(`${sims.controlUrl}/devices/fire-1/faults`, { method: 'DELETE' });
    const after = topicLines('telemetry').length;
    await waitFor(() => topicLines('telemetry').slice(after).some((s) => !bad(s)), { what: 'well-formed telemetry again', timeout: 5000 });
  });
});

describe('an OPC UA client browses the documented nodes', () => {
  let opcua: Awaited<ReturnType<typeof opcuaSession>>;
  let session: ClientSession;
  beforeAll(async () => {
    opcua = await opcuaSession(sims.opcuaEndpoint!);
    session = opcua.session;
  });
  afterAll(async () => {
    await opcua?.close();
  });

  it('finds a folder per lift under Objects, each with one variable per point', async () => {
    const objects = await session.browse({ nodeId: 'i=85', browseDirection: BrowseDirection.Forward, resultMask: 63 });
    const folders = objects.references!.filter((r) => r.nodeId.namespace === 1).map((r) => [r.browseName.name, r.nodeId.toString(), NodeClass[r.nodeClass]]);
    expect(folders).toEqual([
      ['elev-1', 'ns=1;s=elev-1', 'Object'],
      ['elev-2', 'ns=1;s=elev-2', 'Object'],
    ]);
    const vars = await session.browse({ nodeId: 'ns=1;s=elev-2', browseDirection: BrowseDirection.Forward, resultMask: 63 });
    const found = vars.references!.filter((r) => r.nodeClass === NodeClass.Variable).map((r) => [r.browseName.name, r.nodeId.toString()]);
    expect(found).toEqual(ELEVATOR_OPCUA_POINTS.map((p) => [p.name, `ns=1;s=elev-2.${p.name}`]));
  });

  it('restarts on POST /opcua/restart and comes back on the same port', async () => {
    const port = sims.ports.opcua!;
    const res = await post(`${sims.controlUrl}/opcua/restart`, { delayMs: 800 });
    expect(res.status).toBe(202);
    const accepts = () => new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    expect(await accepts()).toBe(false); // down at once
    expect((await post(`${sims.controlUrl}/opcua/restart`, { delayMs: 100 })).status).toBe(409);
    await waitFor(accepts, { what: 'OPC UA port accepting again', timeout: 15_000, interval: 100 });
    const fresh = await opcuaSession(sims.opcuaEndpoint!, 3);
    const floor = await fresh.session.read({ nodeId: 'ns=1;s=elev-1.floor', attributeId: AttributeIds.Value });
    expect(floor.statusCode).toEqual(StatusCodes.Good);
    await fresh.close();
  });
});

describe('live scenarios on the control API', () => {
  it('starts door-roller wear on a lift, shows it in GET /devices, stops it', async () => {
    const res = await post(`${sims.controlUrl}/devices/elev-1/scenario`, { scenario: 'door_roller_wear', seed: 1, failAfterDays: 3 });
    expect(res.status).toBe(201);
    const health = (await (await fetch(`${sims.controlUrl}/health`)).json()) as { simTime: number };
    const list = (await (await fetch(`${sims.controlUrl}/devices`)).json()) as { id: string; scenario?: { scenario: string; failureAt: number; wear: number; indicator: { point: string } } }[];
    const elev = list.find((d) => d.id === 'elev-1')!;
    expect(elev.scenario).toMatchObject({ scenario: 'door_roller_wear', seed: 1, indicator: { point: 'door_close_time', failureLevel: 6 } });
    expect(Math.abs(elev.scenario!.failureAt - (health.simTime + 3 * 86_400_000))).toBeLessThan(60_000);
    expect(elev.scenario!.wear).toBeLessThan(0.01);
    const wrong = await post(`${sims.controlUrl}/devices/elev-2/scenario`, { scenario: 'bearing_wear' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ code: 'SIM_ERR_UNKNOWN_SCENARIO', scenarios: ['healthy', 'door_roller_wear'] });
    const stopped = (await (await fetch(`${sims.controlUrl}/devices/elev-1/scenario`, { method: 'DELETE' })).json()) as { scenario?: unknown };
    expect(stopped.scenario).toBeUndefined();
  });
});
