/**
 * Domestic water storage tank (60 m³, 3 m deep) in the pump room: the municipal main fills it
 * through a motorised inlet valve, and the booster pumps draw the building's demand from it. A
 * level transmitter gives the level; float switches give high level and low level, and a flow
 * switch in the overflow pipe tells that water is running to drain. The valve opens below 2.2 m
 * and closes at 2.6 m; the high-level switch is at 2.75 m and the overflow weir at 2.85 m.
 */
import { hourOfDay, lag, type Rng } from '../random.js';
import { BaseModel } from './model.js';

export const WATER_TANK_FAULTS = ['inlet_stuck_open', 'supply_failure'] as const;
export type WaterTankFault = (typeof WATER_TANK_FAULTS)[number];

export interface WaterTankValues {
  level: number; // m
  level_pct: number; // % of the 3 m depth
  inlet_valve_open: boolean;
  inlet_flow: number; // m³/h, the inlet meter
  high_level: boolean;
  low_level: boolean;
  overflow: boolean;
}

export interface WaterTankOptions {
  rng: Rng;
  /** Peak draw of the building (m³/h). */
  peakDemand?: number;
}

/** Tank geometry and switch heights (m). */
export const TANK = { depth: 3, area: 20, valveOpen: 2.2, valveClose: 2.6, highLevel: 2.75, overflow: 2.85, lowLevel: 0.6 } as const;
const INLET_FLOW = 30; // m³/h through the open valve at mains pressure
/**
 * Flow through the closed valve (m³/h) at which a worn valve seat counts as failed: at that
 * passing flow the tank climbs to its high level overnight, when the draw is smallest.
 */
export const TANK_PASSING_FAILURE = 2.5;

/** Slow degradation set by a scenario (0 = as new): `valveSeat` 1 passes TANK_PASSING_FAILURE m³/h. */
export interface WaterTankWear {
  valveSeat: number;
}

export class WaterTank extends BaseModel<WaterTankValues, WaterTankFault> {
  readonly type = 'water_tank';
  readonly faults = WATER_TANK_FAULTS;
  private readonly rng: Rng;
  private readonly peakDemand: number;
  private level: number;
  private valveOpen = false;
  private inflow = 0;
  private levelNoise = 0;
  readonly wear: WaterTankWear = { valveSeat: 0 };

  constructor(opts: WaterTankOptions) {
    super();
    this.rng = opts.rng;
    this.peakDemand = opts.peakDemand ?? 24;
    this.level = this.rng.uniform(2.25, 2.55);
  }

  step(dt: number, simTime: number): void {
    const stuckOpen = this.has('inlet_stuck_open');
    const noSupply = this.has('supply_failure');
    if (this.level <= TANK.valveOpen) this.valveOpen = true;
    else if (this.level >= TANK.valveClose) this.valveOpen = false;
    if (stuckOpen) this.valveOpen = true;

    const passing = this.wear.valveSeat * TANK_PASSING_FAILURE;
    this.inflow = noSupply ? 0 : this.valveOpen ? INLET_FLOW : passing;
    const draw = this.demand(simTime);
    this.level += ((this.inflow - draw) / 3600 / TANK.area) * dt;
    // The demo's faults show within a minute rather than the half hour a real tank takes: a stuck
    // valve heads for the overflow weir, a supply cut drains towards the pump suction.
    if (stuckOpen) this.level = lag(this.level, TANK.overflow + 0.05, dt, 20);
    if (noSupply) this.level = lag(this.level, 0.4, dt, 20);
    // Above the weir the overflow pipe carries the surplus away.
    this.level = Math.min(TANK.overflow + 0.05, Math.max(0, this.level));
    this.levelNoise = this.rng.gauss(0, 0.003);
  }

  values(): WaterTankValues {
    const level = Math.max(0, this.level + this.levelNoise);
    return this.glitched({
      level,
      level_pct: (level / TANK.depth) * 100,
      inlet_valve_open: this.valveOpen,
      inlet_flow: this.inflow,
      high_level: this.level >= TANK.highLevel,
      low_level: this.level <= TANK.lowLevel,
      overflow: this.level > TANK.overflow,
    });
  }

  /** The building's draw in m³/h, noise-free: morning and evening peaks over a small night base. */
  demand(simTime: number): number {
    const h = hourOfDay(simTime);
    const bump = (centre: number, width: number) => Math.exp(-(((h - centre) / width) ** 2));
    const shape = 0.06 + 0.9 * bump(7.5, 1.3) + 0.55 * bump(12.5, 1.5) + 1.0 * bump(19.5, 1.8);
    return this.peakDemand * Math.min(1, shape);
  }
}
