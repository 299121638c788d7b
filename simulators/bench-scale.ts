/**
 * Scale-mode measurement (not a test): `npx tsx simulators/bench-scale.ts [counts=250] [seconds=20]`.
 * `counts` is a number N (N elevators, pumps, power meters and fire panels: the figures in
 * README.md) or a --scale spec (`all=100`, `pump=250,generator=50,sump_pump=50`: scale.ts).
 * 1. Model step cost: the devices stepped at 1 Hz in simulated time (CPU ms per second).
 * 2. The whole stack: OPC UA (one server, a folder per lift), Modbus gateways, one MQTT client per
 *    fire panel and sump pump (to a throwaway Mosquitto), idle for `seconds`: this process's CPU share.
 */
import { pino } from 'pino';
import { startMosquitto } from '../tools/mosquitto.js';
import { SimClock } from './clock.js';
import { createScaleDevices } from './devices.js';
import { startSimulators } from './index.js';
import { parseScale, type ScaleCounts } from './scale.js';

const spec = process.argv[2] ?? '250';
const seconds = Number(process.argv[3] ?? 20);
const perType = Number(spec);
const counts: ScaleCounts = /^\d+$/.test(spec) ? { elevator: perType, pump: perType, power: perType, fire_panel: perType } : parseScale(spec);

const devices = createScaleDevices(1, counts);
const clock = new SimClock({ tickMs: 1000, startTime: Date.UTC(2026, 0, 5, 7) });
const step = (dt: number, t: number) => {
  for (const d of devices) d.step(dt, t);
};
clock.advance(step, 10);
const simSeconds = 600;
let t0 = process.cpuUsage();
clock.advance(step, simSeconds);
let used = process.cpuUsage(t0);
const stepMs = (used.user + used.system) / 1000 / simSeconds;
console.log(`models: ${devices.length} devices, ${stepMs.toFixed(2)} ms CPU per simulated second at 1 Hz (${(stepMs / 10).toFixed(2)} % of a core)`);

const mosquitto = await startMosquitto();
const startedAt = Date.now();
const sims = await startSimulators({
  scale: counts,
  opcuaPort: 0,
  modbusBasePort: 0,
  controlPort: 0,
  brokerUrl: mosquitto.url,
  log: pino({ level: 'warn' }),
});
console.log(`stack: ${sims.devices.length} devices up in ${Date.now() - startedAt} ms; OPC UA ${sims.opcuaEndpoint}, Modbus servers on ${[...new Set(Object.values(sims.ports.modbus))].join(', ')}`);
await new Promise((r) => setTimeout(r, 3000)); // let the MQTT devices connect
t0 = process.cpuUsage();
const w0 = Date.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
used = process.cpuUsage(t0);
const share = (used.user + used.system) / 1000 / (Date.now() - w0);
console.log(`stack idle (ticking at 1 Hz, MQTT devices publishing every second): ${(share * 100).toFixed(1)} % of a core`);
await sims.stop();
await mosquitto.stop();
