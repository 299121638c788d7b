import { TANK_PASSING_FAILURE, WaterTank } from '../models/waterTank.js';
import { declareScenario } from './declaration.js';

export const valveSeatWear = declareScenario({
  name: 'valve_seat_wear',
  types: ['water_tank'],
  description: `water-tank inlet valve seat wearing: water passes the closed valve, up to ${TANK_PASSING_FAILURE} m³/h, when the tank climbs to its high level overnight`,
  indicator: {
    point: 'inlet_flow',
    failureLevel: TANK_PASSING_FAILURE,
    note: 'the inlet meter while the valve is closed (inlet_valve_open false) reads the passing flow, which reaches the level at failureAt',
  },
  applyWear: (tank: WaterTank, w) => {
    tank.wear.valveSeat = w;
  },
});
