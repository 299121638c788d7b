/**
 * Connector benchmarks (a script, not a test): `npm run bench:connectors` (tsx bench/connectors.ts).
 *
 * 1. Modbus TCP: 200 devices × 20 points at 1 s polling, each device its own modbus-serial
 *    ServerTCP (all in one child process), with request merging on and then off: poll duration
 *    per device, requests per device and per cycle, whether every device keeps its 1 s rate, CPU
 *    of the gateway process (which runs nothing but the connector).
 * 2. OPC UA: 5,000 monitored items (50 devices × 100 variables) on a node-opcua server in a child
 *    process that changes every value once a second: updates/s received and CPU.
 * 3. MQTT: the payload decode function alone (messages/s), and end to end through an aedes broker
 *    in a child process that also runs the publisher (QoS 0, 100 device topics).
 * 4. Modbus RTU: polls/s of one RS-485 bus with 3 units at 9,600 and 19,200 baud against the
 *    limit of the line (connectors-rtu.ts).
 *
 * Writes bench/results/connectors.json and prints a Markdown table. Bounded (about 1–2 min on an
 * idle 2-core machine); every child process and temp folder it makes is removed at the end, also
 * on Ctrl-C. Options: --only modbus|opcua|mqtt|rtu, --quick (shorter windows).
 *
 * The same file is the child: `--role modbus-servers|opcua-server|mqtt-broker`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { DeviceConfig } from '../gateway/config/schema.js';
import type { ConnectorContext } from '../gateway/core/connector.js';
import type { Reading } from '../gateway/core/reading.js';
import { benchRtu, type RtuFigures } from './connectors-rtu.js';
import { freePort } from '../tools/ports.js';
import { waitFor } from '../tools/wait.js';

const SELF = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const QUICK = args.includes('--quick');

// ───────────────────────────── children ─────────────────────────────

async function modbusServers(ports: number[]): Promise<void> {
  const { ServerTCP } = await import('modbus-serial');
  const words = Array.from({ length: 64 }, (_, i) => (i * 37) & 0xffff);
  let tick = 0;
  setInterval(() => {
    tick++;
    for (let i = 0; i < words.length; i++) words[i] = (words[i]! + tick) & 0xffff;
  }, 500);
  const vector = {
    getCoil: (addr: number) => (addr + tick) % 2 === 0,
    getDiscreteInput: (addr: number) => addr % 3 === 0,
    getHoldingRegister: (addr: number) => words[addr % 64]!,
    getInputRegister: (addr: number) => words[(addr + 7) % 64]!,
    getMultipleHoldingRegisters: (addr: number, len: number) => Array.from({ length: len }, (_, i) => words[(addr + i) % 64]!),
    getMultipleInputRegisters: (addr: number, len: number) => Array.from({ length: len }, (_, i) => words[(addr + i + 7) % 64]!),
  };
  await Promise.all(
    ports.map(
      (port) =>
        new Promise<void>((resolve, reject) => {
          const s = new ServerTCP(vector, { host: '127.0.0.1', port, unitID: 1 });
          s.once('initialized', () => resolve());
          s.once('serverError', reject);
          s.on('socketError', () => undefined);
        }),
    ),
  );
  process.stdout.write('READY\n');
}

async function opcuaServer(port: number, items: number, perDevice: number, pki: string): Promise<void> {
  const { OPCUAServer, OPCUACertificateManager, DataType, StatusCodes, Variant, MessageSecurityMode, SecurityPolicy } = await import('node-opcua');
  const server = new OPCUAServer({
    port,
    resourcePath: '/bench',
    serverCertificateManager: new OPCUACertificateManager({ rootFolder: join(pki, 'server'), automaticallyAcceptUnknownCertificate: true }),
    securityModes: [MessageSecurityMode.None],
    securityPolicies: [SecurityPolicy.None],
    allowAnonymous: true,
    serverCapabilities: { maxSessions: 10, operationLimits: { maxMonitoredItemsPerCall: 1000, maxNodesPerRead: 1000 } },
  });
  await server.initialize();
  const as = server.engine.addressSpace!;
  const ns = as.getOwnNamespace();
  const vars: import('node-opcua').UAVariable[] = [];
  for (let i = 0; i < items; i++) {
    const dev = Math.floor(i / perDevice);
    vars.push(ns.addVariable({ organizedBy: as.rootFolder.objects, browseName: `d${dev}.p${i % perDevice}`, nodeId: `s=d${dev}.p${i % perDevice}`, dataType: DataType.Double }));
  }
  let n = 0;
  const update = () => {
    n++;
    const now = new Date();
    for (let i = 0; i < vars.length; i++) vars[i]!.setValueFromSource(new Variant({ dataType: DataType.Double, value: n + i / 1000 }), StatusCodes.Good, now);
  };
  update();
  setInterval(update, 1000);
  await server.start();
  process.stdout.write('READY\n');
}

async function mqttBroker(port: number, devices: number): Promise<void> {
  const { Aedes } = await import('aedes');
  const { connectAsync } = await import('mqtt');
  const broker = await Aedes.createBroker();
  const srv = createServer(broker.handle);
  await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', () => resolve()));
  const pub = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  process.stdout.write('READY\n');
  // "go N" on stdin: publish N messages as fast as the socket takes them, round robin over the topics.
  process.stdin.on('data', (chunk) => {
    const m = /go (\d+)/.exec(String(chunk));
    if (!m) return;
    const total = Number(m[1]);
    let i = 0;
    const pump = () => {
      while (i < total) {
        const payload = JSON.stringify({ ts: Date.now(), fire_alarm: false, supervisory: false, trouble: i % 50 === 0, zones_in_alarm: 0, power: { mains_v: 229 + (i % 20) / 10, battery_v: 27.1 } });
        const ok = pub.publish(`bench/d${i % devices}/telemetry`, payload, { qos: 0 });
        i++;
        if (!ok || i % 500 === 0) {
          setImmediate(pump);
          return;
        }
      }
      process.stdout.write(`SENT ${total}\n`);
    };
    pump();
  });
}

// ───────────────────────────── helpers ─────────────────────────────

const children = new Set<ChildProcess>();
const temps: string[] = [];

function child(role: string, extra: string[], ready = /READY/, timeout = 120_000): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [...process.execArgv, SELF, '--role', role, ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(c);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${role} not ready within ${timeout} ms:\n${out}`)), timeout);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(c);
      }
    };
    c.stdout!.on('data', onData);
    c.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    c.on('exit', (code) => {
      children.delete(c);
      clearTimeout(timer);
      reject(new Error(`${role} exited (${code}):\n${out}`));
    });
  });
}

async function kill(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}

function cleanup(): void {
  for (const c of children) c.kill('SIGKILL');
  for (const t of temps) rmSync(t, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `${prefix}-`));
  temps.push(d);
  return d;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU of this process over a window, as % of one core. */
function cpuMeter() {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) / 1000 / (performance.now() - t0)) * 100;
  };
}

function percentile(xs: number[], p: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const round = (x: number, d = 1) => Number(x.toFixed(d));

class Counter {
  readings = 0;
  batches = 0;
  readonly ctx: ConnectorContext = {
    emit: (b: Reading[]) => {
      this.readings += b.length;
      this.batches++;
    },
    status: () => undefined,
    log: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' }),
    dataDir: tmpdir(),
  };
  constructor(dataDir?: string) {
    if (dataDir) this.ctx.dataDir = dataDir;
  }
}

// ───────────────────────────── benchmarks ─────────────────────────────

const MODBUS_POINTS = [
  ...[0, 1, 2, 3].map((a) => ({ name: `c${a}`, table: 'coil', address: a })),
  ...[0, 1].map((a) => ({ name: `d${a}`, table: 'discrete', address: a })),
  { name: 'h_u16', table: 'holding', address: 0, type: 'uint16', scale: 0.1 },
  { name: 'h_i16', table: 'holding', address: 1, type: 'int16' },
  { name: 'h_f32', table: 'holding', address: 2, type: 'float32' },
  { name: 'h_u32', table: 'holding', address: 4, type: 'uint32' },
  { name: 'h_bit0', table: 'holding', address: 8, bit: 0 },
  { name: 'h_bit1', table: 'holding', address: 8, bit: 1 },
  { name: 'h_u16b', table: 'holding', address: 10, type: 'uint16' },
  { name: 'h_f32_cdab', table: 'holding', address: 12, type: 'float32', order: 'CDAB' },
  ...[0, 1, 2, 3, 4, 5].map((a) => ({ name: `i${a}`, table: 'input', address: a, type: 'uint16', scale: 0.01 })),
];

async function benchModbus(devices: number, windowMs: number) {
  const ports: number[] = [];
  while (ports.length < devices) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const servers = await child('modbus-servers', ['--ports', ports.join(',')]);
  const { ModbusConnector } = await import('../gateway/connectors/modbus/connector.js');
  const results: Record<string, unknown>[] = [];
  try {
    for (const merge of [true, false]) {
      const counter = new Counter();
      const configs: DeviceConfig[] = ports.map((port, i) => ({
        id: `m${i}`,
        type: 'pump',
        protocol: 'modbus',
        // maxGap -1: only points that share registers (two bits of one register) go together
        connection: { host: '127.0.0.1', port, unitId: 1, pollInterval: 1000, timeout: 1000, ...(merge ? {} : { maxGap: -1 }) },
        points: MODBUS_POINTS,
      }));
      const c = new ModbusConnector(configs, counter.ctx);
      await c.start();
      await waitFor(() => [...c.pollers.values()].every((p) => p.stats.polls >= 2), { timeout: 30_000, what: 'two polls of every Modbus device', interval: 20 });
      const pollers = [...c.pollers.values()];
      const links = [...c.links.values()];
      const polls0 = pollers.reduce((s, p) => s + p.stats.polls, 0);
      const ms0 = pollers.reduce((s, p) => s + p.stats.totalMs, 0);
      const reads0 = links.reduce((s, l) => s + l.stats.reads, 0);
      const readings0 = counter.readings;
      const cpu = cpuMeter();
      const t0 = performance.now();
      await sleep(windowMs);
      const cpuPct = cpu();
      const secs = (performance.now() - t0) / 1000;
      const polls = pollers.reduce((s, p) => s + p.stats.polls, 0) - polls0;
      const pollMs = pollers.reduce((s, p) => s + p.stats.totalMs, 0) - ms0;
      const reads = links.reduce((s, l) => s + l.stats.reads, 0) - reads0;
      const recent = pollers.flatMap((p) => p.stats.recent);
      const planned = pollers.reduce((s, p) => s + p.requests.length, 0);
      await c.stop();
      results.push({
        merging: merge,
        devices,
        points: devices * MODBUS_POINTS.length,
        requestsPerDevicePoll: round(planned / devices, 2),
        requestsPerCycle: planned,
        requestsPerSecond: round(reads / secs, 0),
        pollsPerSecond: round(polls / secs, 1),
        pollMeanMs: round(pollMs / Math.max(1, polls), 2),
        pollP95Ms: percentile(recent, 95),
        pollMaxMs: Math.max(...pollers.map((p) => p.stats.maxMs)),
        readingsPerSecond: round((counter.readings - readings0) / secs, 0),
        cpuPercentOfOneCore: round(cpuPct),
      });
    }
  } finally {
    await kill(servers);
  }
  return results;
}

async function benchOpcua(items: number, windowMs: number) {
  const perDevice = 100;
  const port = await freePort();
  const pki = tempDir('bench-opcua-pki');
  const server = await child('opcua-server', ['--port', String(port), '--items', String(items), '--per-device', String(perDevice), '--pki', pki]);
  const { OpcuaConnector } = await import('../gateway/connectors/opcua/connector.js');
  const counter = new Counter(tempDir('bench-opcua-gw'));
  const endpoint = `opc.tcp://127.0.0.1:${port}/bench`;
  const devices: DeviceConfig[] = Array.from({ length: items / perDevice }, (_, d) => ({
    id: `o${d}`,
    type: 'elevator',
    protocol: 'opcua',
    connection: { endpoint, samplingInterval: 250, publishingInterval: 500, connectTimeout: 120_000 },
    points: Array.from({ length: perDevice }, (_, p) => ({ name: `p${p}`, nodeId: `ns=1;s=d${d}.p${p}` })),
  }));
  const c = new OpcuaConnector(devices, counter.ctx);
  try {
    const t0 = performance.now();
    await c.start();
    await waitFor(() => counter.readings >= items, { timeout: 120_000, what: 'the first value of every OPC UA item', interval: 20 });
    const firstAll = performance.now() - t0;
    const link = [...c.links.values()][0]!;
    const cpu = cpuMeter();
    const r0 = counter.readings;
    const b0 = counter.batches;
    const w0 = performance.now();
    await sleep(windowMs);
    const cpuPct = cpu();
    const secs = (performance.now() - w0) / 1000;
    return {
      monitoredItems: items,
      subscriptions: c.links.size,
      serverLimits: link.limits,
      msToFirstValueOfAllItems: round(firstAll, 0),
      updatesPerSecond: round((counter.readings - r0) / secs, 0),
      expectedUpdatesPerSecond: items,
      batchesPerSecond: round((counter.batches - b0) / secs, 1),
      cpuPercentOfOneCore: round(cpuPct),
    };
  } finally {
    await c.stop();
    await kill(server);
  }
}

async function benchMqtt(messages: number, windowMs: number) {
  const { parsePayload } = await import('../gateway/connectors/mqtt/payload.js');
  const points = [
    { name: 'fire_alarm', path: 'fire_alarm' },
    { name: 'supervisory', path: 'supervisory' },
    { name: 'trouble', path: 'trouble' },
    { name: 'zones_in_alarm', path: 'zones_in_alarm' },
    { name: 'mains_voltage', path: 'power.mains_v' },
    { name: 'battery_voltage', path: 'power.battery_v' },
  ];
  const payload = Buffer.from(JSON.stringify({ ts: Date.now(), fire_alarm: false, supervisory: false, trouble: false, zones_in_alarm: 0, power: { mains_v: 229.8, battery_v: 27.1 } }));
  // decode alone
  let n = 0;
  let sink = 0;
  const cpu0 = cpuMeter();
  const t0 = performance.now();
  while (performance.now() - t0 < windowMs / 2) {
    for (let i = 0; i < 1000; i++) sink += parsePayload('fire-1', points, payload).readings.length;
    n += 1000;
  }
  const decodeSecs = (performance.now() - t0) / 1000;
  cpu0();
  if (sink !== n * points.length) throw new Error('decode produced the wrong number of readings');

  // end to end through aedes
  const devices = 100;
  const port = await freePort();
  const broker = await child('mqtt-broker', ['--port', String(port), '--devices', String(devices)]);
  const { MqttConnector } = await import('../gateway/connectors/mqtt/connector.js');
  const counter = new Counter(tempDir('bench-mqtt-gw'));
  const configs: DeviceConfig[] = Array.from({ length: devices }, (_, d) => ({
    id: `f${d}`,
    type: 'fire_panel',
    protocol: 'mqtt',
    connection: { url: `mqtt://127.0.0.1:${port}`, topic: `bench/d${d}/telemetry`, qos: 0, clientId: `bench-${port}` },
    points,
  }));
  const c = new MqttConnector(configs, counter.ctx);
  try {
    await c.start();
    await waitFor(() => [...c.brokers.values()].every((b) => b.subscribed), { timeout: 15_000, what: 'MQTT subscriptions', interval: 20 });
    const cpu = cpuMeter();
    const s0 = performance.now();
    broker.stdin!.write(`go ${messages}\n`);
    let timedOut = false;
    await waitFor(() => c.stats().messages >= messages, { timeout: 60_000, what: 'every MQTT message', interval: 20 }).catch(() => (timedOut = true));
    const secs = (performance.now() - s0) / 1000;
    const cpuPct = cpu();
    const got = c.stats().messages;
    return {
      decodeOnly: { messagesPerSecond: round(n / decodeSecs, 0), readingsPerMessage: points.length, payloadBytes: payload.length },
      endToEndAedes: {
        messages,
        received: got,
        complete: !timedOut,
        malformed: c.stats().malformed,
        messagesPerSecond: round(got / secs, 0),
        readingsPerSecond: round(counter.readings / secs, 0),
        cpuPercentOfOneCore: round(cpuPct),
        note: 'broker and publisher share a child process; CPU is the gateway process only',
      },
    };
  } finally {
    await c.stop();
    await kill(broker);
  }
}

async function main(): Promise<void> {
  const only = arg('only');
  const window = QUICK ? 4000 : 8000;
  const started = Date.now();
  const env: Record<string, unknown> = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverageAtStart: loadavg().map((x) => round(x, 2)),
    date: new Date().toISOString(),
    windowMs: window,
  };
  const out: Record<string, unknown> = { env };
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  if (!only || only === 'modbus') {
    log('modbus: 200 devices × 20 points at 1 s, merging on then off');
    out.modbus = await benchModbus(200, window);
  }
  if (!only || only === 'opcua') {
    log('opcua: 5000 monitored items');
    out.opcua = await benchOpcua(5000, window);
  }
  if (!only || only === 'mqtt') {
    log('mqtt: decode, then end to end through aedes');
    out.mqtt = await benchMqtt(QUICK ? 20_000 : 50_000, window);
  }
  if (!only || only === 'rtu') {
    log('modbus rtu: one bus, 3 units, 9600 and 19200 baud over a paced socat pty line');
    out.rtu = await benchRtu(window);
  }
  env.loadAverageAtEnd = loadavg().map((x) => round(x, 2));
  (env as Record<string, unknown>).totalSeconds = round((Date.now() - started) / 1000);
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'connectors.json');
  // --only replaces its own section and keeps the others' last figures.
  const kept = only && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const merged = only ? { ...kept, ...out, env: kept.env ?? env, [`${only}Env`]: env } : out;
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  process.stdout.write(markdown(out));
}

function markdown(out: Record<string, unknown>): string {
  const env = out.env as Record<string, unknown>;
  const rows: string[] = ['| benchmark | figure | value |', '|---|---|---|'];
  const add = (b: string, f: string, v: unknown) => rows.push(`| ${b} | ${f} | ${v} |`);
  for (const m of (out.modbus as Record<string, unknown>[] | undefined) ?? []) {
    const b = `Modbus 200 dev × 20 pts, 1 s, merging ${m.merging ? 'on' : 'off'}`;
    add(b, 'requests per device poll / per cycle', `${m.requestsPerDevicePoll} / ${m.requestsPerCycle}`);
    add(b, 'requests/s on the wire', m.requestsPerSecond);
    add(b, 'device polls/s (200 = every device at 1 s)', m.pollsPerSecond);
    add(b, 'poll duration mean / p95 / max (ms)', `${m.pollMeanMs} / ${m.pollP95Ms} / ${m.pollMaxMs}`);
    add(b, 'gateway CPU (% of one core)', m.cpuPercentOfOneCore);
  }
  const o = out.opcua as Record<string, unknown> | undefined;
  if (o) {
    add('OPC UA 5,000 items, 1 subscription', 'updates/s received (server changes all each second)', `${o.updatesPerSecond} (of ${o.expectedUpdatesPerSecond})`);
    add('OPC UA 5,000 items, 1 subscription', 'time to first value of every item (ms)', o.msToFirstValueOfAllItems);
    add('OPC UA 5,000 items, 1 subscription', 'gateway CPU (% of one core)', o.cpuPercentOfOneCore);
  }
  const q = out.mqtt as { decodeOnly: Record<string, unknown>; endToEndAedes: Record<string, unknown> } | undefined;
  if (q) {
    add('MQTT decode (parsePayload, 6 paths)', 'messages/s', q.decodeOnly.messagesPerSecond);
    add('MQTT end to end (aedes, QoS 0, 100 topics)', 'messages/s', `${q.endToEndAedes.messagesPerSecond} (${q.endToEndAedes.received}/${q.endToEndAedes.messages} received)`);
    add('MQTT end to end (aedes, QoS 0, 100 topics)', 'gateway CPU (% of one core)', q.endToEndAedes.cpuPercentOfOneCore);
  }
  for (const r of (out.rtu as RtuFigures[] | undefined) ?? []) {
    const b = `Modbus RTU ${r.baudRate} ${r.format}, ${r.units} units, ${r.registersPerRead}-register read`;
    add(b, 'bus polls/s measured (per unit)', `${r.pollsPerSecond} (${r.perUnitPollsPerSecond.join(' / ')})`);
    add(b, 'line limit: frames + 2 × 3.5-char silence (polls/s)', r.lineLimitPollsPerSecond);
    add(b, `limit with the measured turnaround ${r.turnaroundMs} ms (polls/s)`, `${r.limitPollsPerSecond} (measured = ${r.ofLimit} ×, ${r.overheadMsPerPoll} ms over per poll)`);
  }
  return `\nConnector benchmarks — Node ${env.node}, ${env.cpus} × ${env.cpuModel}, load average ${JSON.stringify(env.loadAverageAtStart)} → ${JSON.stringify(env.loadAverageAtEnd)}, ${env.totalSeconds} s\n\n${rows.join('\n')}\n`;
}

const role = arg('role');
if (role === 'modbus-servers') await modbusServers(arg('ports')!.split(',').map(Number));
else if (role === 'opcua-server') await opcuaServer(Number(arg('port')), Number(arg('items')), Number(arg('per-device')), arg('pki')!);
else if (role === 'mqtt-broker') await mqttBroker(Number(arg('port')), Number(arg('devices')));
else
  await main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
