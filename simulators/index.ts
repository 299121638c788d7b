/**
 * The equipment simulators of the demo site in one call: models on a shared clock, an OPC UA
 * server for the elevators, a Modbus TCP server per pump and power meter, an MQTT client for the
 * fire panel, and the fault-injection control API. See README.md for every point map.
 */
import { pino, type Logger } from 'pino';
import { SimClock } from './clock.js';
import { buildControlApi } from './control.js';
import { createDemoDevices, type Protocol, type SimDevice } from './devices.js';
import { startModbusFace, type ModbusFace } from './faces/modbus.js';
import { startMqttFace, type MqttFace } from './faces/mqtt.js';
import type { OpcuaFace } from './faces/opcua.js';
import { ELEVATOR_OPCUA_POINTS, POWER_MODBUS_MAP, PUMP_MODBUS_MAP } from './pointmaps.js';

export { COMMS_FAULT, SimDevice, type DeviceInfo, type Protocol } from './devices.js';
export { SimClock } from './clock.js';

export type ModbusDeviceId = 'pump-1' | 'pump-2' | 'power-1';

export interface SimulatorOptions {
  /** Interface the servers listen on (default 127.0.0.1). */
  host?: string;
  /** Ports: 0 picks a free one; the stack reports the actual ports. */
  opcuaPort?: number;
  modbusPorts?: Partial<Record<ModbusDeviceId, number>>;
  controlPort?: number;
  /** Broker the fire panel publishes to (default mqtt://127.0.0.1:1883); it may come up later. */
  brokerUrl?: string;
  /** Site id in MQTT topics (default `demo`). */
  siteId?: string;
  /** Same seed, same readings (default 1). */
  seed?: number;
  /** Simulated seconds per real second (default 1). */
  timeScale?: number;
  /** Simulated epoch ms at start (default now); fixes the hour of day of the load profiles. */
  startTime?: number;
  /** OPC UA PKI folder (default a fixed folder under the OS temp dir, reused across runs). */
  pkiDir?: string;
  /** Faces to start (default all); the models and the control API always run. */
  protocols?: Protocol[];
  log?: Logger;
}

export interface SimulatorStack {
  host: string;
  ports: { opcua: number | null; modbus: Partial<Record<ModbusDeviceId, number>>; control: number };
  opcuaEndpoint: string | null;
  controlUrl: string;
  brokerUrl: string;
  devices: SimDevice[];
  clock: SimClock;
  /** Throws on an unknown id. */
  device(id: string): SimDevice;
  /** Closes every server and the broker link (within ~2 s). */
  stop(): Promise<void>;
}

const DEFAULT_MODBUS_PORTS: Record<ModbusDeviceId, number> = { 'pump-1': 5020, 'pump-2': 5021, 'power-1': 5022 };

export async function startSimulators(opts: SimulatorOptions = {}): Promise<SimulatorStack> {
  const host = opts.host ?? '127.0.0.1';
  const brokerUrl = opts.brokerUrl ?? 'mqtt://127.0.0.1:1883';
  const protocols = new Set<Protocol>(opts.protocols ?? ['opcua', 'modbus', 'mqtt']);
  const log = opts.log ?? pino({ name: 'simulators', level: process.env.LOG_LEVEL ?? 'info' });
  const devices = createDemoDevices(opts.seed ?? 1);
  // Warm up for a simulated minute ending at the start time, so the first read already sees
  // running pumps, warm bearings and lifts in service rather than a cold start.
  const WARM_UP_S = 60;
  const clock = new SimClock({ timeScale: opts.timeScale ?? 1, startTime: (opts.startTime ?? Date.now()) - WARM_UP_S * 1000 });
  const faces: (OpcuaFace | ModbusFace | MqttFace)[] = [];
  const control = buildControlApi(devices, { log, clock });
  const byId = (id: string) => {
    const d = devices.find((x) => x.id === id);
    if (!d) throw new Error(`no simulated device '${id}'`);
    return d;
  };

  const step = (dt: number, simTime: number) => {
    for (const d of devices) d.model.step(dt, simTime);
  };
  clock.advance(step, Math.max(1, Math.round((WARM_UP_S * 1000) / clock.tickMs / clock.timeScale)));

  const stop = async () => {
    clock.stop();
    await Promise.allSettled([control.close(), ...faces.map((f) => f.stop())]);
  };

  try {
    const starting: Promise<unknown>[] = [];
    if (protocols.has('opcua')) {
      const elevators = devices.filter((d) => d.protocol === 'opcua');
      // node-opcua takes ~1.5 s to import: load it only when the OPC UA face is wanted.
      const { startOpcuaFace } = await import('./faces/opcua.js');
      starting.push(startOpcuaFace(elevators, ELEVATOR_OPCUA_POINTS, { host, port: opts.opcuaPort ?? 4840, ...(opts.pkiDir ? { pkiDir: opts.pkiDir } : {}), logger: log }).then((f) => faces.push(f)));
    }
    if (protocols.has('modbus')) {
      for (const id of Object.keys(DEFAULT_MODBUS_PORTS) as ModbusDeviceId[]) {
        const map = id === 'power-1' ? POWER_MODBUS_MAP : PUMP_MODBUS_MAP;
        const port = opts.modbusPorts?.[id] ?? DEFAULT_MODBUS_PORTS[id];
        starting.push(startModbusFace(byId(id), map, { host, port, logger: log }).then((f) => faces.push(f)));
      }
    }
    if (protocols.has('mqtt')) faces.push(startMqttFace(byId('fire-1'), { brokerUrl, siteId: opts.siteId ?? 'demo', logger: log }));
    starting.push(control.listen({ host, port: opts.controlPort ?? 8081 }));
    const results = await Promise.allSettled(starting);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await stop();
    throw err;
  }

  clock.start(step);
  clock.on('tick', () => faces.forEach((f) => f.refresh()));
  // Faults show at once, not at the next tick.
  for (const d of devices) d.on('faults', () => faces.forEach((f) => f.refresh()));

  const opcua = faces.find((f): f is OpcuaFace => 'endpointUrl' in f);
  const modbus = Object.fromEntries(faces.filter((f): f is ModbusFace => 'deviceId' in f).map((f) => [f.deviceId, f.port]));
  const address = control.server.address();
  const controlPort = typeof address === 'object' && address ? address.port : (opts.controlPort ?? 8081);
  log.info({ opcua: opcua?.endpointUrl, modbus, control: controlPort, brokerUrl, timeScale: clock.timeScale }, 'simulators running');

  return {
    host,
    ports: { opcua: opcua?.port ?? null, modbus, control: controlPort },
    opcuaEndpoint: opcua?.endpointUrl ?? null,
    controlUrl: `http://${host}:${controlPort}`,
    brokerUrl,
    devices,
    clock,
    device: byId,
    stop,
  };
}
