/**
 * Start `demo/start.ts` (broker, simulators, gateway with embedded storage) as a child process on
 * free ports with a temp data folder, for end-to-end tests. `startDemo()` resolves once the demo
 * prints "Press Ctrl-C to stop"; call it again with the same `DemoPorts` to restart on the same data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESTATE_PORT_NAMES, type EstatePortName } from '../../demo/portfolio/layout.js';
import { freePort } from '../../tools/ports.js';

export interface DemoSetup {
  /** Every port variable demo/start.ts reads (the same as one estate's of the company demo). */
  ports: Record<EstatePortName, number>;
  dataDir: string;
  /** Gateway base URL (API, socket.io and the dashboard). */
  api: string;
  /** Simulator control base URL. */
  control: string;
}

export interface Demo {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Free ports and a fresh temp data folder. */
export async function demoSetup(prefix = 'gw-demo-'): Promise<DemoSetup> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const ports = {} as DemoSetup['ports'];
  for (const name of ESTATE_PORT_NAMES) ports[name] = await freePort();
  return { ports, dataDir, api: `http://127.0.0.1:${ports.GW_HTTP_PORT}`, control: `http://127.0.0.1:${ports.SIM_CONTROL_PORT}` };
}

export function startDemo(setup: DemoSetup): Promise<Demo> {
  const { ports, dataDir } = setup;
  const proc = spawn(process.execPath, ['--import', 'tsx', 'demo/start.ts'], {
    env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), GW_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = () => {
      if (out.includes('Press Ctrl-C to stop')) {
        proc.stdout!.off('data', onData);
        resolve({ proc, output: () => out, exited });
      }
    };
    proc.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`demo exited with ${code} before it was ready:\n${out}`)));
  });
}

/** Ctrl-C to the demo, then SIGKILL if it has not gone within 5 s. */
export async function stopDemo(demo: Demo | undefined): Promise<void> {
  if (!demo) return;
  demo.proc.kill('SIGINT');
  await Promise.race([demo.exited, new Promise((r) => setTimeout(r, 5000))]);
  demo.proc.kill('SIGKILL');
}
