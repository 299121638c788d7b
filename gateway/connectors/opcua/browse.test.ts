/**
 * The browse CLI against the repo's OPC UA simulator: run as a real process with tsx, its YAML
 * holds every documented elevator node, and the map it prints is accepted by the connector.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type SimulatorStack } from '../../../simulators/index.js';
import { ELEVATOR_OPCUA_POINTS } from '../../../simulators/pointmaps.js';
import { freePort } from '../../../tools/ports.js';
import { browseEndpoint, snakeName, toYaml } from './browse.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('./browse.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));

describe('opcua browse CLI against the simulators', () => {
  let sims: SimulatorStack;

  beforeAll(async () => {
    sims = await startSimulators({
      protocols: ['opcua'],
      opcuaPort: await freePort(),
      controlPort: await freePort(),
      log: pino({ level: 'silent' }),
    });
  });

  afterAll(async () => {
    await sims?.stop();
  });

  it('prints a point map with every elevator node, units included, ready to paste', async () => {
    const { stdout } = await run(TSX, [CLI, sims.opcuaEndpoint!, '--root', 'ns=1;s=elev-1'], { timeout: 40_000 });
    for (const p of ELEVATOR_OPCUA_POINTS) expect(stdout).toContain(`- { name: ${p.name}, nodeId: "ns=1;s=elev-1.${p.name}"`);
    expect(stdout).toContain('- { name: motor_current, nodeId: "ns=1;s=elev-1.motor_current", unit: "A" }');
    expect(stdout).not.toContain('elev-2');
    const points = parse(stdout) as { name: string; nodeId: string; unit?: string }[];
    expect(points.map((p) => p.name).sort()).toEqual(ELEVATOR_OPCUA_POINTS.map((p) => p.name).sort());
  }, 45_000);

  it('browses every device from Objects with --device-prefix into one flat list', async () => {
    // in process (same code as the CLI's main) to spare a second node-opcua import; the CLI's
    // default PKI folder (made by the first test) is reused, as the simulators reuse theirs
    const stdout = toYaml(await browseEndpoint(sims.opcuaEndpoint!), { devicePrefix: true });
    const points = parse(stdout) as { name: string; nodeId: string }[];
    for (const id of ['elev-1', 'elev-2']) {
      for (const p of ELEVATOR_OPCUA_POINTS) expect(points).toContainEqual(expect.objectContaining({ name: `${id.replace('-', '_')}_${p.name}`, nodeId: `ns=1;s=${id}.${p.name}` }));
    }
    expect(stdout).not.toMatch(/ns=0;/);
  }, 45_000);

  it('makes config-safe, unique names', () => {
    expect([snakeName('Motor Current'), snakeName('doorCloseTime'), snakeName('1st-floor'), snakeName('__')]).toEqual([
      'motor_current',
      'door_close_time',
      'p_1st_floor',
      'point',
    ]);
    const yaml = toYaml([
      { name: 'a', nodeId: 'ns=1;s=x.a', parent: 'x' },
      { name: 'A', nodeId: 'ns=1;s=y.a', parent: 'y' },
    ]);
    expect(parse(yaml)).toEqual([
      { name: 'a', nodeId: 'ns=1;s=x.a' },
      { name: 'a_2', nodeId: 'ns=1;s=y.a' },
    ]);
  });
});
