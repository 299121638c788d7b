import { DOOR_CLOSE_FAILURE_S, Elevator } from '../models/elevator.js';
import { declareScenario } from './declaration.js';

export const doorRollerWear = declareScenario({
  name: 'door_roller_wear',
  types: ['elevator'],
  description: `elevator door-roller wear: door close time drifts up from about 3 s to ${DOOR_CLOSE_FAILURE_S} s`,
  indicator: {
    point: 'door_close_time',
    failureLevel: DOOR_CLOSE_FAILURE_S,
    note: 'mean door close time reaches the level at failureAt; single closes scatter around it',
  },
  applyWear: (lift: Elevator, w) => {
    lift.wear.doorRoller = w;
  },
});
