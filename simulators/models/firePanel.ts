/**
 * Addressable fire-alarm control panel with a 24 V lead-acid standby battery. In the normal state
 * it only reports its supplies; faults set the NFPA 72 signal classes (fire alarm > supervisory >
 * trouble). The MQTT face publishes on every change of the discrete state.
 */
import { lag, type Rng } from '../random.js';
import { BaseModel } from './model.js';

export const FIRE_PANEL_FAULTS = ['fire_alarm', 'trouble', 'battery_low', 'mains_failure'] as const;
export type FirePanelFault = (typeof FIRE_PANEL_FAULTS)[number];

export interface FirePanelValues {
  fire_alarm: boolean;
  supervisory: boolean;
  trouble: boolean;
  zones_in_alarm: number;
  disabled_zones: number;
  power: { mains_v: number; battery_v: number };
}

export interface FirePanelOptions {
  rng: Rng;
}

const FLOAT_V = 27.2; // float charge of a 24 V lead-acid set
const LOW_BATTERY_V = 21.4;

export class FirePanel extends BaseModel<FirePanelValues, FirePanelFault> {
  readonly type = 'fire_panel';
  readonly faults = FIRE_PANEL_FAULTS;
  private readonly rng: Rng;
  private mains = 230;
  private battery = FLOAT_V;
  /** Seconds since the fire alarm was raised: a real fire spreads to a neighbouring zone. */
  private alarmAge = 0;
  private onBatteryS = 0;

  constructor(opts: FirePanelOptions) {
    super();
    this.rng = opts.rng;
  }

  step(dt: number): void {
    this.alarmAge = this.has('fire_alarm') ? this.alarmAge + dt : 0;
    this.mains = this.has('mains_failure') ? 0 : lag(this.mains, 230, dt, 2) + this.rng.gauss(0, 0.6);
    let batteryTarget = FLOAT_V;
    // On battery the set drops to ~25.4 V at once, then discharges slowly (24 h standby + alarm load).
    if (this.has('mains_failure')) batteryTarget = 25.4 - Math.min(3, this.onBatteryS / 7200);
    if (this.has('battery_low')) batteryTarget = LOW_BATTERY_V;
    this.onBatteryS = this.has('mains_failure') ? this.onBatteryS + dt : 0;
    this.battery = lag(this.battery, batteryTarget, dt, 1) + this.rng.gauss(0, 0.02);
  }

  values(): FirePanelValues {
    const fire = this.has('fire_alarm');
    return {
      fire_alarm: fire,
      supervisory: false,
      // Low battery and loss of mains are trouble signals on a real panel, like a loop fault.
      trouble: this.has('trouble') || this.has('battery_low') || this.has('mains_failure'),
      zones_in_alarm: fire ? (this.alarmAge >= 60 ? 2 : 1) : 0,
      disabled_zones: 0,
      power: { mains_v: round1(this.mains), battery_v: Math.round(this.battery * 100) / 100 },
    };
  }

  protected override onInject(fault: FirePanelFault): void {
    if (fault === 'mains_failure') this.mains = 0;
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
