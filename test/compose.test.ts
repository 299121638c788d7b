/**
 * docker-compose.yml is valid and wires the stack as documented. Uses Debian's docker-compose v1
 * (`config` needs no Docker engine), installed by test/setup/ensure-deps.sh.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: Array<{ published: number | string; target: number }>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: unknown[];
}

describe('docker-compose.yml', () => {
  let services: Record<string, ComposeService>;

  beforeAll(async () => {
    // Names of the stack must not be taken from the environment of the test run.
    const env = { ...process.env };
    delete env.COMPOSE_FILE;
    delete env.COMPOSE_PROJECT_NAME;
    const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root, env });
    services = (parse(stdout) as { services: Record<string, ComposeService> }).services;
  });

  it('is valid and lists the four services', () => {
    expect(Object.keys(services).sort()).toEqual(['broker', 'gateway', 'influxdb', 'simulators']);
  });

  it('runs InfluxDB 1.8 with a volume', () => {
    expect(services.influxdb?.image).toBe('influxdb:1.8');
    expect(services.influxdb?.volumes?.length).toBeGreaterThan(0);
  });

  it('builds broker, simulators and gateway from the repo Dockerfile', () => {
    for (const name of ['broker', 'simulators', 'gateway']) {
      const build = services[name]?.build;
      expect(build, name).toBeDefined();
      expect(resolve(build!.context)).toBe(root);
      const dockerfile = join(build!.context, build!.dockerfile ?? 'Dockerfile');
      expect(existsSync(dockerfile), dockerfile).toBe(true);
    }
    const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/^FROM node:20-bookworm-slim/m);
    expect(text).toMatch(/^USER (?!root)\S+/m);
    expect(text).toMatch(/npm run build:dashboard/);
    expect(text).toMatch(/^EXPOSE 8080/m);
    expect(existsSync(join(root, '.dockerignore'))).toBe(true);
  });

  it('starts each service with its entry point and wiring', () => {
    expect(services.broker?.command).toEqual(['npx', 'tsx', 'broker/main.ts']);
    expect(services.broker?.ports?.map((p) => Number(p.target))).toContain(1883);

    expect(services.simulators?.command).toEqual(['npx', 'tsx', 'simulators/main.ts']);
    expect(services.simulators?.environment?.BROKER_URL).toBe('mqtt://fire-1:fire-1-demo@broker:1883');
    expect(services.simulators?.ports?.map((p) => Number(p.target))).toContain(8081);

    const gw = services.gateway!;
    expect(gw.command).toEqual(['npx', 'tsx', 'gateway/main.ts', '--config', 'demo/site.yaml']);
    expect(gw.environment).toMatchObject({
      SIM_HOST: 'simulators',
      BROKER_HOST: 'broker',
      GW_INFLUX_HOST: 'influxdb',
      GW_INFLUX_URL: 'http://influxdb:8086/facility',
    });
    expect(gw.ports?.map((p) => Number(p.target))).toContain(8080);
    expect(Object.keys(gw.depends_on ?? {}).sort()).toEqual(['broker', 'influxdb', 'simulators']);
    expect(existsSync(join(root, 'demo/site.yaml'))).toBe(true);
  });

  it('points every script it runs at a file of the repo', () => {
    for (const [name, svc] of Object.entries(services)) {
      const script = svc.command?.find((a) => a.endsWith('.ts'));
      if (script) expect(existsSync(join(root, script)), `${name}: ${script}`).toBe(true);
    }
  });
});
