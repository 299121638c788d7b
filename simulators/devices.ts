/**
 * The simulated devices of the demo site: one model each, a protocol, and the fault catalogue
 * (the model's own faults plus `silent`, the communication fault every device has).
 */
import { EventEmitter } from 'node:events';
import { Elevator } from './models/elevator.js';
import { FirePanel } from './models/firePanel.js';
import type { EquipmentModel, EquipmentType, PointValue } from './models/model.js';
import { PowerMeter } from './models/power.js';
import { Pump } from './models/pump.js';
import { Rng } from './random.js';

export type Protocol = 'opcua' | 'modbus' | 'mqtt';

/** Stop answering (Modbus), report BadNoCommunication (OPC UA), drop off the broker (MQTT). */
export const COMMS_FAULT = 'silent';

export interface DeviceInfo {
  id: string;
  type: EquipmentType;
  protocol: Protocol;
  faults: string[];
  active: string[];
}

/** Emits `faults` (after any inject/clear) so faces can react at once rather than at the next tick. */
export class SimDevice extends EventEmitter {
  silent = false;

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

  get faults(): string[] {
    return [...this.model.faults, COMMS_FAULT];
  }

  get active(): string[] {
    return [...this.model.active, ...(this.silent ? [COMMS_FAULT] : [])];
  }

  info(): DeviceInfo {
    return { id: this.id, type: this.type, protocol: this.protocol, faults: this.faults, active: this.active };
  }

  /** False when the fault is not in this device's catalogue. */
  inject(fault: string): boolean {
    if (!this.faults.includes(fault)) return false;
    if (fault === COMMS_FAULT) this.silent = true;
    else this.model.inject(fault);
    this.emit('faults');
    return true;
  }

  clear(fault: string): boolean {
    if (!this.faults.includes(fault)) return false;
    if (fault === COMMS_FAULT) this.silent = false;
    else this.model.clear(fault);
    this.emit('faults');
    return true;
  }

  clearAll(): void {
    for (const f of this.active) this.clear(f);
  }

  write(point: string, value: PointValue): boolean {
    return this.model.write?.(point, value) ?? false;
  }
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
  ];
}
