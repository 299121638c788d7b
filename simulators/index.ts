/**
 * The equipment simulators of the demo site in one call: models on a shared clock, an OPC UA
 * server for the elevators, a Modbus TCP server per pump, power meter, generator, water tank and
 * chiller, an MQTT client per fire panel and sump pump, and the fault-injection control API. See
 * README.md for every point map. With `scale`, N devices of each type instead (benchmarks);
 * degradation scenarios live in scenarios/.
 */
import { pino, type Logger } from 'pino';
import { withoutCredentials } from './urls.js';
import { SimClock } from './clock.js';
import { buildControlApi } from './control.js';
import { createDemoDevices, createScaleDevices, type Protocol, type SimDevice } from './devices.js';
import { startModbusFace, startModbusServer, type ModbusFace, type ModbusUnit } from './faces/modbus.js';
import { scaleModbusSlot, type ScaleCounts } from './scale.js';
import { startMqttFace, type MqttFace } from './faces/mqtt.js';
import type { OpcuaFace } from './faces/opcua.js';
import { ELEVATOR_OPCUA_POINTS, modbusMapOf } from './pointmaps.js';

export { COMM_FAULTS, COMMS_FAULT, SimDevice, type DeviceInfo, type Protocol } from './devices.js';
export { SimClock } from './clock.js';
export { createScenario, SCENARIOS, type ScenarioName, type ScenarioRun, type ScenarioSample } from './scenarios/index.js';
export { scaleSiteDevices, type ScaleCounts } from './scale.js';

export type ModbusDeviceId = 'pump-1' | 'pump-2' | 'power-1' | 'gen-1' | 'tank-1' | 'chiller-1';

/** An MQTT device's own broker account (the broker's ACL lets a device publish only under its own topics). */
export interface MqttAccount {
  username: string;
  password: string;
}

export interface SimulatorOptions {
  /** Interface the servers listen on (default 127.0.0.1). */
  host?: string;
  /** Ports: 0 picks a free one; the stack reports the actual ports. */
  opcuaPort?: number;
  modbusPorts?: Partial<Record<ModbusDeviceId, number>>;
  controlPort?: number;
  /** Broker the fire panels and sump pumps publish to (default mqtt://127.0.0.1:1883); it may come up later. */
  brokerUrl?: string;
  /** Per-device broker accounts, replacing the credentials of `brokerUrl` for that device. */
  mqttAccounts?: Record<string, MqttAccount>;
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
  /**
   * Scale mode: this many devices of each type instead of the demo site, ids `elev-0001`,
   * `pump-0001`, `power-0001`, `fire-0001`, `gen-0001`, `tank-0001`, `chiller-0001`, `sump-0001`
   * (layout: scale.ts). Elevators share the one OPC UA server (a folder each); pumps, meters,
   * generators, tanks, then chillers sit behind Modbus TCP servers of up to 247 unit ids each, on
   * ports `modbusBasePort`, +1, ...; each fire panel and sump pump is its own MQTT client.
   */
  scale?: ScaleCounts;
  /** First Modbus server port in scale mode (default 5020; 0 = free ports). */
  modbusBasePort?: number;
  /** Real ms between clock ticks (default 100, 1000 in scale mode). */
  tickMs?: number;
  log?: Logger;
}

export interface SimulatorStack {
  host: string;
  ports: {
    opcua: number | null;
    /** Device id → port of its Modbus server. */
    modbus: Record<string, number>;
    /** Device id → port and unit id (unit 1 for the demo devices). */
    modbusUnits: Record<string, { port: number; unitId: number }>;
    control: number;
  };
  opcuaEndpoint: string | null;
  controlUrl: string;
  brokerUrl: string;
  devices: SimDevice[];
  clock: SimClock;
  /** Shut the OPC UA server down and bring it back on the same port after `delayMs` (no-op without it). */
  restartOpcua(delayMs: number): { down: Promise<void>; up: Promise<void> } | null;
  /** Throws on an unknown id. */
  device(id: string): SimDevice;
  /** Closes every server and the broker link (within ~2 s). */
  stop(): Promise<void>;
}

const DEFAULT_MODBUS_PORTS: Record<ModbusDeviceId, number> = { 'pump-1': 5020, 'pump-2': 5021, 'power-1': 5022, 'gen-1': 5023, 'tank-1': 5024, 'chiller-1': 5025 };
/** The variable each demo Modbus device's port is read from: by demo/site.yaml, `npm run sim` and `npm start`. */
export const MODBUS_PORT_VARS: Readonly<Record<ModbusDeviceId, string>> = {
  'pump-1': 'SIM_PUMP1_PORT',
  'pump-2': 'SIM_PUMP2_PORT',
  'power-1': 'SIM_POWER_PORT',
  'gen-1': 'SIM_GENERATOR_PORT',
  'tank-1': 'SIM_TANK_PORT',
  'chiller-1': 'SIM_CHILLER_PORT',
};

/** The site config's simulator port variables (demo/site.yaml) for a running stack's `ports`. */
export function sitePortVars(ports: Pick<SimulatorStack['ports'], 'opcua' | 'modbus'>): Record<string, string> {
  const vars: Record<string, string> = { SIM_OPCUA_PORT: String(ports.opcua) };
  for (const [id, name] of Object.entries(MODBUS_PORT_VARS)) vars[name] = String(ports.modbus[id]);
  return vars;
}
/** Every demo Modbus device on a free port: `modbusPorts: { ...FREE_MODBUS_PORTS, 'pump-1': 5020 }`. */
export const FREE_MODBUS_PORTS: Readonly<Record<ModbusDeviceId, number>> = Object.fromEntries(Object.keys(DEFAULT_MODBUS_PORTS).map((id) => [id, 0])) as Record<ModbusDeviceId, number>;

export async function startSimulators(opts: SimulatorOptions = {}): Promise<SimulatorStack> {
  const host = opts.host ?? '127.0.0.1';
  const brokerUrl = opts.brokerUrl ?? 'mqtt://127.0.0.1:1883';
  const protocols = new Set<Protocol>(opts.protocols ?? ['opcua', 'modbus', 'mqtt']);
  const log = opts.log ?? pino({ name: 'simulators', level: process.env.LOG_LEVEL ?? 'info' });
  const scale = opts.scale;
  const devices = scale ? createScaleDevices(opts.seed ?? 1, scale) : createDemoDevices(opts.seed ?? 1);
  // Warm up for a simulated minute ending at the start time, so the first read already sees
  // running pumps, warm bearings and lifts in service rather than a cold start.
  const WARM_UP_S = 60;
  const clock = new SimClock({
    timeScale: opts.timeScale ?? 1,
    startTime: (opts.startTime ?? Date.now()) - WARM_UP_S * 1000,
    tickMs: opts.tickMs ?? (scale ? 1000 : 100),
  });
  const faces: (OpcuaFace | ModbusFace | MqttFace)[] = [];
  const opcuaFace = () => faces.find((f): f is OpcuaFace => 'endpointUrl' in f);
  const restartOpcua = (delayMs: number) => opcuaFace()?.restart(delayMs) ?? null;
  const control = buildControlApi(devices, { log, clock, restartOpcua });
  const index = new Map(devices.map((d) => [d.id, d]));
  const byId = (id: string) => {
    const d = index.get(id);
    if (!d) throw new Error(`no simulated device '${id}'`);
    return d;
  };

  const step = (dt: number, simTime: number) => {
    for (const d of devices) d.step(dt, simTime);
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
    if (protocols.has('modbus') && scale) {
      const base = opts.modbusBasePort ?? 5020;
      const servers: ModbusUnit[][] = [];
      devices.filter((d) => d.protocol === 'modbus').forEach((device, i) => {
        const { server, unitId } = scaleModbusSlot(i);
        (servers[server] ??= []).push({ unitId, device, map: modbusMapOf(device.type) });
      });
      servers.forEach((units, i) => starting.push(startModbusServer(units, { host, port: base === 0 ? 0 : base + i, logger: log }).then((f) => faces.push(f))));
    } else if (protocols.has('modbus')) {
      for (const id of Object.keys(DEFAULT_MODBUS_PORTS) as ModbusDeviceId[]) {
        const device = byId(id);
        const port = opts.modbusPorts?.[id] ?? DEFAULT_MODBUS_PORTS[id];
        starting.push(startModbusFace(device, modbusMapOf(device.type), { host, port, logger: log }).then((f) => faces.push(f)));
      }
    }
    if (protocols.has('mqtt')) {
      const clients = devices.filter((d) => d.protocol === 'mqtt');
      // Many clients: stagger the first connects over about a second rather than all at once.
      clients.forEach((d, i) =>
        faces.push(startMqttFace(d, { brokerUrl: withAccount(brokerUrl, opts.mqttAccounts?.[d.id]), siteId: opts.siteId ?? 'demo', logger: log, ...(clients.length > 1 ? { connectDelayMs: Math.round((i * 1000) / clients.length) } : {}) })),
      );
    }
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

  const opcua = opcuaFace();
  const modbusUnits: Record<string, { port: number; unitId: number }> = {};
  for (const f of faces.filter((x): x is ModbusFace => 'units' in x)) for (const [unitId, id] of f.units) modbusUnits[id] = { port: f.port, unitId };
  const modbus = Object.fromEntries(Object.entries(modbusUnits).map(([id, u]) => [id, u.port]));
  const address = control.server.address();
  const controlPort = typeof address === 'object' && address ? address.port : (opts.controlPort ?? 8081);
  const modbusServers = [...new Set(Object.values(modbus))];
  log.info(
    { devices: devices.length, opcua: opcua?.endpointUrl, modbus: scale ? modbusServers : modbus, control: controlPort, brokerUrl: withoutCredentials(brokerUrl), timeScale: clock.timeScale },
    'simulators running',
  );

  return {
    host,
    ports: { opcua: opcua?.port ?? null, modbus, modbusUnits, control: controlPort },
    opcuaEndpoint: opcua?.endpointUrl ?? null,
    controlUrl: `http://${host}:${controlPort}`,
    brokerUrl,
    devices,
    clock,
    device: byId,
    restartOpcua,
    stop,
  };
}

/** The broker URL with a device's own account in place of the default credentials. */
function withAccount(url: string, account: MqttAccount | undefined): string {
  if (!account) return url;
  const u = new URL(url);
  u.username = encodeURIComponent(account.username);
  u.password = encodeURIComponent(account.password);
  return u.toString();
}
