/**
 * Node-RED 4 as the comparison users would pick: installed with npm into a temporary folder (not
 * a project dependency), flows generated, started headless on a free port with its userDir in
 * that folder. Two flows per QoS, each on its own topic and measurement:
 * - best:  mqtt in (json) → join 5,000 → function (map to points) → influxdb batch
 * - usual: mqtt in (json) → function per message → join 5,000 → influxdb batch
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCmd, spawnCmd, type Child } from './proc.js';
import { sleep } from './stats.js';

export const NODE_RED_PACKAGES = ['node-red@4', 'node-red-contrib-influxdb'];

export type NrFlow = 'best' | 'usual';

export interface NrRoute {
  flow: NrFlow;
  qos: 0 | 1;
  topic: string;
  measurement: string;
}

export function nrRoutes(prefix: string): NrRoute[] {
  const out: NrRoute[] = [];
  for (const flow of ['best', 'usual'] as const) {
    for (const qos of [0, 1] as const) out.push({ flow, qos, topic: `${prefix}/nr-${flow}/q${qos}`, measurement: `nr_${flow}_q${qos}` });
  }
  return out;
}

/** Install Node-RED and the InfluxDB nodes into `dir` unless already there. */
export async function installNodeRed(dir: string, logFile: string): Promise<{ installed: boolean; version: string }> {
  mkdirSync(dir, { recursive: true });
  const redJs = join(dir, 'node_modules', 'node-red', 'red.js');
  const influxNode = join(dir, 'node_modules', 'node-red-contrib-influxdb', 'influxdb.js');
  let installed = false;
  if (!existsSync(redJs) || !existsSync(influxNode)) {
    if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-node-red', private: true }));
    await runCmd('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', ...NODE_RED_PACKAGES], {
      name: 'npm-install-node-red',
      logFile,
      cwd: dir,
      timeoutMs: 240_000,
    });
    installed = true;
  }
  const { createRequire } = await import('node:module');
  const req = createRequire(join(dir, 'package.json'));
  const version = (req('node-red/package.json') as { version: string }).version;
  return { installed, version };
}

/** flows.json for every route; the function nodes turn `{ts, a, b, c}` into influx points. */
export function buildFlows(o: { brokerPort: number; influxPort: number; db: string; routes: NrRoute[]; fields: string[] }): unknown[] {
  const nodes: Record<string, unknown>[] = [
    { id: 'tab', type: 'tab', label: 'bench', disabled: false, info: '' },
    {
      id: 'broker', type: 'mqtt-broker', name: 'bench', broker: '127.0.0.1', port: String(o.brokerPort), clientid: '',
      autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true, autoUnsubscribe: true,
      birthTopic: '', birthQos: '0', birthPayload: '', closeTopic: '', closeQos: '0', closePayload: '', willTopic: '', willQos: '0', willPayload: '',
    },
    { id: 'influx', type: 'influxdb', hostname: '127.0.0.1', port: String(o.influxPort), protocol: 'http', database: o.db, name: 'bench', usetls: false, tls: '', influxdbVersion: '1.x' },
  ];
  const fieldsJs = o.fields.map((f) => `${JSON.stringify(f)}: p[${JSON.stringify(f)}]`).join(', ');
  for (const r of o.routes) {
    const id = `${r.flow}-q${r.qos}`;
    const point = (v: string) => `({ measurement: ${JSON.stringify(r.measurement)}, tags: { device: "bench-1" }, fields: { ${fieldsJs.replaceAll('p[', `${v}[`)} }, timestamp: ${v}.ts })`;
    const mqttIn = { id: `in-${id}`, type: 'mqtt in', z: 'tab', name: '', topic: r.topic, qos: String(r.qos), datatype: 'json', broker: 'broker', nl: false, rap: true, rh: 0, inputs: 0 };
    const joinNode = (next: string) => ({
      id: `join-${id}`, type: 'join', z: 'tab', name: '', mode: 'custom', build: 'array', property: 'payload', propertyType: 'msg',
      key: 'topic', joiner: '\\n', joinerType: 'str', accumulate: false, timeout: '1', count: '5000', reduceRight: false,
      reduceExp: '', reduceInit: '', reduceInitType: '', reduceFixup: '', wires: [[next]],
    });
    const fn = (func: string, next: string) => ({ id: `fn-${id}`, type: 'function', z: 'tab', name: '', func, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [[next]] });
    const out = { id: `out-${id}`, type: 'influxdb batch', z: 'tab', influxdb: 'influx', precision: 'ms', retentionPolicy: '', name: '', wires: [] };
    if (r.flow === 'best') {
      nodes.push({ ...mqttIn, wires: [[`join-${id}`]] }, joinNode(`fn-${id}`), fn(`msg.payload = msg.payload.map((p) => ${point('p')});\nreturn msg;`, `out-${id}`), out);
    } else {
      nodes.push({ ...mqttIn, wires: [[`fn-${id}`]] }, fn(`const p = msg.payload;\nmsg.payload = ${point('p')};\nreturn msg;`, `join-${id}`), joinNode(`out-${id}`), out);
    }
  }
  return nodes;
}

export interface RunningNodeRed {
  child: Child;
  port: number;
  stop(): Promise<void>;
}

/** Write settings.js and flows.json into `dir` and start Node-RED; resolves once it is connected to the broker. */
export async function startNodeRed(o: { dir: string; port: number; flows: unknown[]; logFile: string; timeoutMs?: number }): Promise<RunningNodeRed> {
  // userDir = the install folder: Node-RED finds the InfluxDB nodes in <userDir>/node_modules.
  const userDir = o.dir;
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(o.flows, null, 1));
  const settings = join(userDir, 'settings.js');
  writeFileSync(
    settings,
    `module.exports = {
  uiPort: ${o.port},
  uiHost: '127.0.0.1',
  flowFile: 'flows.json',
  credentialSecret: false,
  disableEditor: true,
  httpAdminRoot: false,
  httpNodeRoot: false,
  diagnostics: { enabled: false },
  runtimeState: { enabled: false },
  telemetry: { enabled: false },
  externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`,
  );
  const child = spawnCmd(process.execPath, [join(o.dir, 'node_modules', 'node-red', 'red.js'), '--settings', settings, '--userDir', userDir, '--port', String(o.port)], {
    name: 'node-red',
    logFile: o.logFile,
    cwd: o.dir,
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
  });
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  for (;;) {
    const log = child.logTail(20_000);
    if (/Connected to broker/.test(log) && /Started flows/.test(log)) break;
    if (await Promise.race([child.exited.then(() => true), sleep(200).then(() => false)])) {
      throw new Error(`Node-RED exited during start\n${child.logTail()}`);
    }
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error(`Node-RED did not connect to the broker within ${o.timeoutMs ?? 60_000} ms\n${child.logTail()}`);
    }
  }
  await sleep(1000); // subscriptions are sent right after the connection
  return { child, port: o.port, stop: () => child.stop(5000) };
}
