/**
 * Helpers for the simulator tests: run Debian's mbpoll, post to the control API, step the demo
 * site's models in simulated time, and read scenario samples (waiting: tools/wait.ts).
 */
import { execFile } from 'node:child_process';
import { SimClock } from './clock.js';
import { createDemoDevices, type SimDevice } from './devices.js';
import type { ScenarioSample } from './scenarios/index.js';

export interface MbpollResult {
  ok: boolean;
  /** 1-based reference → value, as mbpoll prints it. */
  values: Map<number, number>;
  stderr: string;
}

/**
 * One mbpoll read. `type` is mbpoll's -t (0 coil, 1 discrete, 3 input, 4 holding, `3:float`...);
 * `ref` is 1-based (-r 1 is address 0). mbpoll's default 32-bit word order is low word first.
 * With `write` values it writes instead (FC5/FC6 for one value).
 */
export function mbpoll(port: number, type: string, ref: number, count = 1, extra: string[] = [], write: number[] = []): Promise<MbpollResult> {
  const args = ['-m', 'tcp', '-a', '1', '-p', String(port), '-t', type, '-r', String(ref), '-o', '1', '-1', ...extra, '127.0.0.1', ...write.map(String)];
  if (!write.length) args.splice(args.indexOf('-o'), 0, '-c', String(count));
  return new Promise((resolve) => {
    execFile('/usr/bin/mbpoll', args, { timeout: 5000 }, (err, stdout, stderr) => {
      const values = new Map<number, number>();
      for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(-?[\d.e+-]+)/gm)) values.set(Number(m[1]), Number(m[2]));
      resolve({ ok: !err, values, stderr });
    });
  });
}

export async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/**
 * An anonymous, security-None OPC UA client session on `endpoint` (node-opcua is imported only
 * by the tests that ask for it). `close()` never throws.
 */
export async function opcuaSession(endpoint: string, maxRetry = 1) {
  const { MessageSecurityMode, OPCUACertificateManager, OPCUAClient, SecurityPolicy } = await import('node-opcua');
  const { DEFAULT_PKI_DIR } = await import('./faces/opcua.js');
  const { join } = await import('node:path');
  const client = OPCUAClient.create({
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    connectionStrategy: { maxRetry, initialDelay: maxRetry > 1 ? 200 : 100 },
    clientCertificateManager: new OPCUACertificateManager({ rootFolder: join(DEFAULT_PKI_DIR, 'client'), automaticallyAcceptUnknownCertificate: true }),
  });
  await client.connect(endpoint);
  const session = await client.createSession();
  return {
    session,
    async close(): Promise<void> {
      await session.close().catch(() => undefined);
      await client.disconnect().catch(() => undefined);
    },
  };
}

/** Noon on a weekday: pumps run continuously, lifts are busy. */
export const NOON = new Date('2026-03-02T12:00:00').getTime();

/** The demo devices on a simulated clock, no sockets: `run(seconds)` steps them 0.1 s at a time. */
export function demoSite(seed = 1, startTime = NOON) {
  const devices = createDemoDevices(seed);
  const clock = new SimClock({ startTime });
  const run = (seconds: number) => clock.advance((dt, t) => devices.forEach((d) => d.model.step(dt, t)), Math.round(seconds * 10));
  const dev = (id: string) => devices.find((d) => d.id === id)!;
  return { devices, run, dev, clock };
}

export const valuesOf = <T>(d: SimDevice): T => d.model.values() as T;

/** Step 0.1 s at a time until `pred` holds; returns the simulated seconds it took. */
export function secondsUntil(run: (s: number) => void, pred: () => boolean, limit: number): number {
  for (let t = 0; t <= limit; t += 0.1) {
    if (pred()) return t;
    run(0.1);
  }
  throw new Error(`condition not met within ${limit} simulated seconds`);
}

export const DAY_MS = 86_400_000;

/** A scenario's samples without those a sensor glitch replaced. */
export const cleanSamples = (samples: Iterable<ScenarioSample>) => [...samples].filter((s) => !s.glitch);

/** A numeric point of a sample. */
export const num = (s: ScenarioSample, point: string) => s.values[point] as number;

/** The middle value, the upper one of an even count (a value that was sampled). */
export const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
