/**
 * The simulated devices of the demo site: one model each, a protocol, and the fault catalogue
 * (the model's own faults plus `silent`, the communication fault every device has).
 */
import { EventEmitter } from 'node:events';
import { Chiller } from './models/chiller.js';
import { Elevator } from './models/elevator.js';
import { FirePanel } from './models/firePanel.js';
import { GeneratorSet } from './models/generator.js';
import type { EquipmentModel, EquipmentType, PointValue } from './models/model.js';
import { PowerMeter } from './models/power.js';
import { Pump } from './models/pump.js';
import { SumpPump } from './models/sumpPump.js';
import { WaterTank } from './models/waterTank.js';
import { Rng } from './random.js';
import type { ScenarioDriver, ScenarioInfo } from './scenarios/index.js';

export type Protocol = 'opcua' | 'modbus' | 'mqtt';

/** Stop answering (Modbus), report BadNoCommunication (OPC UA), drop off the broker (MQTT). */
export const COMMS_FAULT = 'silent';

/**
 * Communication faults per protocol, besides the equipment faults of the model:
 * - `silent`: every device (see COMMS_FAULT);
 * - `exception`: a Modbus device answers every request with exception 4 (slave device failure);
 * - `slow`: a Modbus device answers after `delayMs` (default 1500 ms);
 * - `malformed`: an MQTT device publishes payloads that are not JSON or have wrong-typed fields.
 */
export const COMM_FAULTS: Record<Protocol, readonly string[]> = {
  modbus: [COMMS_FAULT, 'exception', 'slow'],
  opcua: [COMMS_FAULT],
  mqtt: [COMMS_FAULT, 'malformed'],
};
export const DEFAULT_SLOW_MS = 1500;

/** Fault parameters accepted by POST /devices/:id/faults besides the name. */
export interface FaultParams {
  /** `slow`: reply delay in ms. */
  delayMs?: number;
}

export interface DeviceInfo {
  id: string;
  type: EquipmentType;
  protocol: Protocol;
  faults: string[];
  active: string[];
  /** The degradation scenario running on this device, if any. */
  scenario?: ScenarioInfo;
}

/** Emits `faults` (after any inject/clear) so faces can react at once rather than at the next tick. */
export class SimDevice extends EventEmitter {
  /** Active communication faults (`silent`, `exception`, `slow`, `malformed`). */
  readonly comm = new Set<string>();
  /** Reply delay of the `slow` fault. */
  slowMs = DEFAULT_SLOW_MS;
  /** A degradation scenario driving this device's wear (POST /devices/:id/scenario). */
  scenario: ScenarioDriver | null = null;

  constructor(
    readonly id: string,
    readonly protocol: Protocol,
    readonly model: EquipmentModel,
  ) {
    super();
  }

  get type(): EquipmentType {
    return this.model.type;
  }

  get silent(): boolean {
    return this.comm.has(COMMS_FAULT);
  }

  get faults(): string[] {
    return [...this.model.faults, ...COMM_FAULTS[this.protocol]];
  }

  get active(): string[] {
    return [...this.model.active, ...COMM_FAULTS[this.protocol].filter((f) => this.comm.has(f))];
  }

  info(): DeviceInfo {
    const info: DeviceInfo = { id: this.id, type: this.type, protocol: this.protocol, faults: this.faults, active: this.active };
    if (this.scenario) info.scenario = this.scenario.info();
    return info;
  }

  /** Advance the model by `dt` simulated seconds, applying the scenario's wear first. */
  step(dt: number, simTime: number): void {
    this.scenario?.apply(simTime, dt);
    this.model.step(dt, simTime);
  }

  /** False when the fault is not in this device's catalogue. */
  inject(fault: string, params: FaultParams = {}): boolean {
    if (!this.faults.includes(fault)) return false;
    if (COMM_FAULTS[this.protocol].includes(fault)) {
      if (fault === 'slow') this.slowMs = params.delayMs ?? DEFAULT_SLOW_MS;
      this.comm.add(fault);
    } else this.model.inject(fault);
    this.emit('faults');
    return true;
  }

  clear(fault: string): boolean {
    if (!this.faults.includes(fault)) return false;
    if (COMM_FAULTS[this.protocol].includes(fault)) this.comm.delete(fault);
    else this.model.clear(fault);
    this.emit('faults');
    return true;
  }

  /** Start a degradation scenario (replacing any running one), or stop it with null. */
  setScenario(driver: ScenarioDriver | null): void {
    this.scenario?.detach();
    this.scenario = driver;
    this.emit('faults');
  }

  clearAll(): void {
    for (const f of this.active) this.clear(f);
  }

  write(point: string, value: PointValue): boolean {
    return this.model.write?.(point, value) ?? false;
  }
}

/** The id prefix of each type, as in the demo site's ids (`gen-1`, `tank-1`, `sump-1`). */
const ID_PREFIX: Record<SimulatedType, string> = {
  elevator: 'elev',
  pump: 'pump',
  power: 'power',
  fire_panel: 'fire',
  generator: 'gen',
  water_tank: 'tank',
  chiller: 'chiller',
  sump_pump: 'sump',
};

/** Zero-padded scale-mode id: `pump-0001`, `gen-0001`. */
export function scaleId(type: SimulatedType, n: number): string {
  return `${ID_PREFIX[type]}-${String(n).padStart(4, '0')}`;
}

/**
 * The equipment types the simulator has a model for, and the protocol each speaks in the demo and
 * scale mode (why each: the comments on the point maps in pointmaps.ts).
 */
export const PROTOCOL_OF = {
  elevator: 'opcua',
  pump: 'modbus',
  power: 'modbus',
  fire_panel: 'mqtt',
  generator: 'modbus',
  chiller: 'modbus',
  water_tank: 'modbus',
  sump_pump: 'mqtt',
} as const satisfies Record<EquipmentType, Protocol>;
export type SimulatedType = keyof typeof PROTOCOL_OF;

/**
 * The order of the types in scale mode: the original four first (benchmarks and tests count on
 * their ids, unit ids and ports), then the plant types. Within a protocol the devices follow it,
 * so the Modbus units run pumps, meters, generators, tanks, chillers.
 */
export const SCALE_TYPES = ['elevator', 'pump', 'power', 'fire_panel', 'generator', 'water_tank', 'chiller', 'sump_pump'] as const satisfies readonly SimulatedType[];

/** A scale-mode model; `sizes` varies the size of each device a little (floors, peak demand, peak load, inflow). */
const SCALE_MODELS: Record<SimulatedType, (rng: Rng, sizes: Rng) => EquipmentModel> = {
  elevator: (rng, sizes) => new Elevator({ rng, floors: sizes.int(6, 30) }),
  pump: (rng, sizes) => new Pump({ rng, peakDemand: sizes.uniform(8, 18) }),
  power: (rng, sizes) => new PowerMeter({ rng, peakKw: sizes.uniform(120, 400) }),
  fire_panel: (rng) => new FirePanel({ rng }),
  generator: (rng) => new GeneratorSet({ rng }),
  water_tank: (rng, sizes) => new WaterTank({ rng, peakDemand: sizes.uniform(16, 32) }),
  chiller: (rng) => new Chiller({ rng }),
  sump_pump: (rng, sizes) => new SumpPump({ rng, baseInflow: sizes.uniform(1, 2.5) }),
};

/**
 * Scale mode: `counts[type]` devices of each type in SCALE_TYPES order, ids `elev-0001`,
 * `pump-0001`, `power-0001`, `fire-0001`, `gen-0001`, `tank-0001`, `chiller-0001`, `sump-0001`.
 */
export function createScaleDevices(seed: number, counts: Partial<Record<SimulatedType, number>>): SimDevice[] {
  const rng = new Rng(seed);
  const devices: SimDevice[] = [];
  const sizes = rng.fork('sizes');
  for (const type of SCALE_TYPES) {
    for (let n = 1; n <= (counts[type] ?? 0); n++) {
      const id = scaleId(type, n);
      devices.push(new SimDevice(id, PROTOCOL_OF[type], SCALE_MODELS[type](rng.fork(id), sizes)));
    }
  }
  return devices;
}

/** The devices of demo/site.yaml. Each gets its own random stream forked from the seed. */
export function createDemoDevices(seed: number): SimDevice[] {
  const rng = new Rng(seed);
  return [
    new SimDevice('elev-1', 'opcua', new Elevator({ rng: rng.fork('elev-1'), floors: 18 })),
    new SimDevice('elev-2', 'opcua', new Elevator({ rng: rng.fork('elev-2'), floors: 12 })),
    new SimDevice('pump-1', 'modbus', new Pump({ rng: rng.fork('pump-1'), peakDemand: 14 })),
    new SimDevice('pump-2', 'modbus', new Pump({ rng: rng.fork('pump-2'), peakDemand: 10 })),
    new SimDevice('power-1', 'modbus', new PowerMeter({ rng: rng.fork('power-1'), peakKw: 220 })),
    new SimDevice('fire-1', 'mqtt', new FirePanel({ rng: rng.fork('fire-1') })),
    new SimDevice('gen-1', 'modbus', new GeneratorSet({ rng: rng.fork('gen-1') })),
    new SimDevice('tank-1', 'modbus', new WaterTank({ rng: rng.fork('tank-1'), peakDemand: 24 })),
    new SimDevice('sump-1', 'mqtt', new SumpPump({ rng: rng.fork('sump-1'), baseInflow: 1.5 })),
    new SimDevice('chiller-1', 'modbus', new Chiller({ rng: rng.fork('chiller-1') })),
  ];
}
