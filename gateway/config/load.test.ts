import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { loadConfig } from '../site/load.js';

const demo = readFileSync(new URL('../../demo/site.yaml', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));

function write(text: string): string {
  const file = join(dir, `site-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

function problems(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadConfig(write(text), env);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('GW_ERR_CONFIG_INVALID');
    return (err as GatewayError).message;
  }
  throw new Error('config was accepted');
}

/** A site's own equipment type (gateway/equipment/README.md), placed before the demo's devices. */
function withDeclaredType(points: string): string {
  const type = `equipmentTypes:
  - id: grease_trap
    label: { zh-CN: 隔油池, en: Grease trap }
    category: water
    points:
${points}    faults: []
    rules: []
`;
  return demo.replace('\ndevices:\n', `\n${type}devices:\n`);
}

describe('site config', () => {
  it('accepts the demo site and applies env defaults', () => {
    const { config, dataDir } = loadConfig(write(demo), {});
    expect(config.devices.map((d) => d.id)).toEqual(['elev-1', 'elev-2', 'pump-1', 'pump-2', 'power-1', 'fire-1', 'gen-1', 'tank-1', 'chiller-1', 'sump-1']);
    expect(config.devices[2]!.connection).toMatchObject({ host: '127.0.0.1', port: 5020 });
    expect(config.http.port).toBe(8080);
    expect(dataDir).toBe(join(dir, '..', 'data'));
  });

  it('reads ports from the environment', () => {
    const { config } = loadConfig(write(demo), { GW_HTTP_PORT: '9999', SIM_PUMP1_PORT: '6000' });
    expect(config.http.port).toBe(9999);
    expect(config.devices[2]!.connection).toMatchObject({ port: 6000 });
  });

  it('names the path of an unknown key', () => {
    const msg = problems(demo.replace('  retentionDays: 30', '  retentionDayz: 30'));
    expect(msg).toContain('history.retentionDayz: unknown key');
  });

  it('names the path and the allowed values of a wrong enum', () => {
    const msg = problems(demo.replace('type: pump', 'type: pumpp'));
    expect(msg).toMatch(/devices\[2\]\.type: must be one of "elevator", "pump", "water_tank", "sump_pump", "power", "fire_panel", "generator", "chiller"/);
  });

  it('accepts devices grouped into a machine, and names a machine with one device or a bad machine name', () => {
    const two = demo.replace('  - id: pump-1\n', '  - id: pump-1\n    machine: booster-set\n').replace('  - id: pump-2\n', '  - id: pump-2\n    machine: booster-set\n');
    expect(two).not.toBe(demo);
    const { config } = loadConfig(write(two), {});
    expect(config.devices.filter((d) => d.machine === 'booster-set').map((d) => d.id)).toEqual(['pump-1', 'pump-2']);
    expect(problems(demo.replace('  - id: pump-1\n', '  - id: pump-1\n    machine: booster-set\n'))).toContain('devices[2].machine: "booster-set" has no other device');
    expect(problems(two.replace('  - id: pump-2\n    machine: booster-set\n', '  - id: pump-2\n    machine: booster set\n'))).toMatch(/devices\[3\]\.machine: must match/);
  });

  it('checks protocol-specific point maps', () => {
    const msg = problems(demo.replace('{ name: motor_current, table: input, address: 4, type: uint16', '{ name: motor_current, table: inputs, address: 4, type: uint16'));
    expect(msg).toContain('devices[2].points[7].table: must be one of');
  });

  it('rejects an unknown protocol and lists the registered ones', () => {
    const msg = problems(demo.replace('protocol: mqtt', 'protocol: bacnet'));
    expect(msg).toMatch(/devices\[5\]\.protocol: must be one of .*modbus.*\(got "bacnet"\)/);
  });

  it('rejects a rule with no condition', () => {
    const msg = problems(demo.replace('point: fire_alarm, equals: true,', 'point: fire_alarm,'));
    expect(msg).toContain('rules[3]: needs exactly one of "above", "below" or "equals"');
  });

  it('accepts alertWhenTrue on a boolean point of a declared type', () => {
    const { config } = loadConfig(write(withDeclaredType(`      - { name: level, kind: number, unit: "%", label: { zh-CN: 液位, en: Level } }
      - { name: trap_full, kind: boolean, alertWhenTrue: true, label: { zh-CN: 隔油池满, en: Trap full } }
`)), {});
    expect(config.equipmentTypes[0]!.points.map((p) => [p.name, p.alertWhenTrue])).toEqual([['level', undefined], ['trap_full', true]]);
  });

  it('refuses an alertWhenTrue that is not a boolean, or on a point that is not boolean', () => {
    const asText = problems(withDeclaredType(`      - { name: trap_full, kind: boolean, alertWhenTrue: "yes", label: { zh-CN: 隔油池满, en: Trap full } }
`));
    expect(asText).toContain('equipmentTypes[0].points[0].alertWhenTrue: must be boolean');
    const onNumber = problems(withDeclaredType(`      - { name: level, kind: number, alertWhenTrue: true, label: { zh-CN: 液位, en: Level } }
`));
    expect(onNumber).toContain('equipmentTypes[0].points[0].alertWhenTrue: only a boolean point can be red when true ("level" is number)');
  });

  it('reports an unset variable without a default', () => {
    const msg = problems(demo.replace('${GW_HTTP_PORT:-8080}', '${GW_PORT_NOT_SET}'));
    expect(msg).toContain('${GW_PORT_NOT_SET}: environment variable is not set');
  });

  it('stops the gateway with the path of the bad key and no stack trace', () => {
    const text = demo.replace('pollInterval: 1000, timeout: 800 }\n    points: &pump-points', 'pollInterval: fast, timeout: 800 }\n    points: &pump-points');
    expect(text).not.toBe(demo);
    const file = write(text);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'gateway/main.ts', '--config', file], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('GW_ERR_CONFIG_INVALID');
    expect(run.stderr).toContain('devices[2].connection.pollInterval: must be integer');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
