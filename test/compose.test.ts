/**
 * docker-compose.yml is valid and wires the stack as documented, the default stack and the
 * profile `portfolio` (the company demo). Uses Debian's docker-compose v1 (`config` needs no
 * Docker engine, so only the file is checked, nothing is started), installed by
 * test/setup/ensure-deps.sh.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { composeNatsConfigs, COMPOSE_NATS_DEMO } from '../demo/portfolio/compose-nats.js';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface ComposeService {
  image?: string;
  profiles?: string[];
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: Array<{ published: number | string; target: number }>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: unknown[];
}

/** A volume in the short (`src:dst:mode`, what docker-compose v1 prints) or the long form. */
function volume(v: unknown): { source?: string; target?: string } {
  if (typeof v === 'string') {
    const [source, target] = v.split(':');
    return { source, target };
  }
  return v as { source?: string; target?: string };
}

async function composeConfig(args: string[]): Promise<Record<string, ComposeService>> {
  // Names of the stack must not be taken from the environment of the test run.
  const env = { ...process.env };
  delete env.COMPOSE_FILE;
  delete env.COMPOSE_PROJECT_NAME;
  delete env.COMPOSE_PROFILES;
  const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', ...args, 'config'], { cwd: root, env });
  return (parse(stdout) as { services: Record<string, ComposeService> }).services;
}

describe('docker-compose.yml', () => {
  let services: Record<string, ComposeService>;

  beforeAll(async () => {
    // docker-compose v1 lists the services of every profile; the default stack is those without one.
    services = Object.fromEntries(Object.entries(await composeConfig([])).filter(([, svc]) => !svc.profiles?.length));
  });

  it('is valid and lists the four services of the default stack', () => {
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

describe('docker-compose.yml --profile portfolio', () => {
  const ESTATES = { riverside: ['RVS', 8080, 8081], harbour: ['HBR', 8082, 8083], hillside: ['HLS', 8084, 8085] } as const;
  const NATS = 'nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222';
  let services: Record<string, ComposeService>;

  beforeAll(async () => {
    services = Object.fromEntries(Object.entries(await composeConfig(['--profile', 'portfolio'])).filter(([, svc]) => svc.profiles?.includes('portfolio')));
  });

  it('is valid and lists NATS x3, PostgreSQL, head office and three estates', () => {
    expect(Object.keys(services).sort()).toEqual(['harbour', 'hillside', 'hq', 'nats-1', 'nats-2', 'nats-3', 'postgres', 'riverside']);
  });

  it('runs nats:2.9 on the committed configs, which are what hq/nats/config.ts renders', () => {
    const rendered = composeNatsConfigs();
    for (const n of [1, 2, 3]) {
      const svc = services[`nats-${n}`]!;
      expect(svc.image).toBe('nats:2.9');
      expect(svc.command).toEqual(['-c', '/etc/nats/nats.conf']);
      const mounts = (svc.volumes ?? []).map(volume);
      const conf = mounts.find((v) => v.target === '/etc/nats/nats.conf');
      expect(conf?.source).toBe(join(root, `demo/portfolio/nats-${n}.conf`));
      expect(readFileSync(conf!.source!, 'utf8'), `demo/portfolio/nats-${n}.conf is stale: npx tsx demo/portfolio/compose-nats.ts`).toBe(rendered[`nats-${n}.conf`]);
      expect(mounts.some((v) => v.target === '/data')).toBe(true);
    }
  });

  it('runs postgres:15 and head office on demo/portfolio/hq.yaml with the NATS credentials of the configs', () => {
    expect(services.postgres?.image).toBe('postgres:15');
    const hq = services.hq!;
    expect(hq.command).toEqual(['npx', 'tsx', 'hq/main.ts']);
    expect(hq.environment).toMatchObject({
      HQ_CONFIG: 'demo/portfolio/hq.yaml', HQ_NATS_SERVERS: NATS, HQ_NATS_PASSWORD: COMPOSE_NATS_DEMO.hq.password,
      HQ_POSTGRES_URL: 'postgres://hq:hq-demo@postgres:5432/hq',
    });
    expect(hq.ports?.map((p) => [Number(p.published), Number(p.target)])).toEqual([[8090, 8090]]);
    expect(hq.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(existsSync(join(root, 'demo/portfolio/hq.yaml'))).toBe(true);
  });

  it('runs each estate as demo/start.ts with its identity, ports and own NATS user', () => {
    for (const [site, [code, gw, control]] of Object.entries(ESTATES)) {
      const svc = services[site]!;
      expect(svc.command).toEqual(['npx', 'tsx', 'demo/start.ts']);
      expect(svc.environment).toMatchObject({
        GW_CONFIG: 'demo/estates/estate.yaml', ESTATE_ID: site, ESTATE_CODE: code, UPLINK_SERVERS: NATS,
        UPLINK_PASSWORD: COMPOSE_NATS_DEMO.estates.find((e) => e.site === site)!.password,
      });
      expect(svc.ports?.map((p) => [Number(p.published), Number(p.target)])).toEqual([[gw, 8080], [control, 8081]]);
      expect(Object.keys(svc.depends_on ?? {})).toContain('hq');
    }
    expect(existsSync(join(root, 'demo/estates/estate.yaml'))).toBe(true);
  });

  it('points every script it runs at a file of the repo', () => {
    for (const [name, svc] of Object.entries(services)) {
      const script = svc.command?.find((a) => a.endsWith('.ts'));
      if (script) expect(existsSync(join(root, script)), `${name}: ${script}`).toBe(true);
    }
  });
});
