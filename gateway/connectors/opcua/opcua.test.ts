/**
 * The OPC UA connector against an in-process node-opcua server: conversions, timestamps, bad
 * status, one subscription for two devices, and recovery through the same connector instance
 * after the server is replaced by a new one on the same port (short and long outages).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StatusCodes } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../config/schema.js';
import { Recorder, silentServer, tempDir, timed } from '../../../test/helpers/connectors.js';
import { freePort } from '../../../tools/ports.js';
import { waitFor } from '../../../tools/wait.js';
import { startOpcuaServer, type TestServer } from './fixtures/server.js';
import { OpcuaConnector } from './connector.js';
import { opcua } from './index.js';
import { shortReason } from './link.js';
import { int64ToNumber } from './convert.js';

const dir = tempDir('opcua-test');
const serverPki = join(dir.path, 'server-pki');
const dataDir = join(dir.path, 'data');

describe('opcua connector against a node-opcua server', () => {
  let port: number;
  let server: TestServer | undefined;
  let connector: OpcuaConnector;
  const rec = new Recorder(dataDir);

  const link = () => [...connector.links.values()][0]!;

  beforeAll(async () => {
    port = await freePort();
    server = await startOpcuaServer(port, serverPki);
    const connection = {
      endpoint: server.endpoint,
      samplingInterval: 100,
      publishingInterval: 100,
      watchdog: 2000,
      reconnectDelay: 200,
      reconnectMaxDelay: 1000,
    };
    const devices: DeviceConfig[] = [
      {
        id: 'dev-1',
        type: 'pump',
        protocol: 'opcua',
        connection,
        points: ['temp', 'running', 'level', 'count64', 'delta64', 'name', 'vector']
          .map((n) => ({ name: n, nodeId: `ns=1;s=dev-1.${n}` }))
          .concat([{ name: 'missing', nodeId: 'ns=1;s=dev-1.nothing_here' }]),
      },
      { id: 'dev-2', type: 'elevator', protocol: 'opcua', connection, points: [{ name: 'floor', nodeId: 'ns=1;s=dev-2.floor' }] },
    ];
    expect(opcua.protocol).toBe('opcua');
    connector = new OpcuaConnector(devices, rec.ctx);
    await connector.start();
  });

  afterAll(async () => {
    await connector?.stop();
    await server?.stop();
    dir.remove();
  });

  it('monitors every point of both devices through one subscription and converts values', async () => {
    await waitFor(() => rec.latest('dev-2', 'floor') && rec.latest('dev-1', 'vector'), { timeout: 20_000, what: 'first values' });
    expect(connector.links.size).toBe(1);
    const value = (p: string) => rec.latest('dev-1', p)?.value;
    expect(value('temp')).toBe(21.5);
    expect(value('running')).toBe(true);
    expect(value('level')).toBe(230.1);
    expect(value('count64')).toBe(5_000_000_000);
    expect(value('delta64')).toBe(-2);
    expect(value('name')).toBe('booster');
    expect(value('vector')).toBe('[1,2.5,3]');
    expect(rec.latest('dev-2', 'floor')).toMatchObject({ value: 3, quality: 'good' });
    expect(rec.latest('dev-1', 'missing')).toMatchObject({ quality: 'bad', value: null });
    expect(rec.latest('dev-1', 'missing')?.reason).toMatch(/BadNodeIdUnknown/);
    expect(rec.status('dev-1')?.status).toBe('online');
    expect(rec.status('dev-2')?.status).toBe('online');
    // the initial values of one publish arrive as one batch
    expect(Math.max(...rec.batches.map((b) => b.length))).toBeGreaterThanOrEqual(5);
    // the client PKI lives under the data directory
    expect(existsSync(join(dataDir, 'pki', 'opcua', 'own', 'certs', 'client_certificate.pem'))).toBe(true);
  });

  it('uses the source timestamp and reports bad status as bad quality', async () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    server!.set('dev-1.temp', 25.25, { sourceTimestamp: at });
    const r = await waitFor(() => rec.latest('dev-1', 'temp')?.value === 25.25 && rec.latest('dev-1', 'temp'));
    expect(r.ts).toBe(at.getTime());

    server!.set('dev-1.temp', 26, { status: StatusCodes.BadSensorFailure });
    const bad = await waitFor(() => rec.latest('dev-1', 'temp')?.quality === 'bad' && rec.latest('dev-1', 'temp'));
    expect(bad.value).toBeNull();
    expect(bad.reason).toMatch(/^BadSensorFailure/);

    server!.set('dev-1.temp', 27, { status: StatusCodes.UncertainLastUsableValue });
    const unsure = await waitFor(() => rec.latest('dev-1', 'temp')?.quality === 'uncertain' && rec.latest('dev-1', 'temp'));
    expect(unsure.value).toBe(27);
  });

  it('comes back through the same instance after the server restarts on the same port', async () => {
    await server!.stop();
    server = undefined;
    await waitFor(() => rec.status('dev-1')?.status === 'offline', { what: 'dev-1 offline' });
    server = await startOpcuaServer(port, serverPki);
    const mark = rec.mark();
    await waitFor(() => rec.latest('dev-1', 'temp', mark), { timeout: 30_000, what: 'data after restart' });
    server.set('dev-2.floor', 7);
    await waitFor(() => rec.latest('dev-2', 'floor', mark)?.value === 7, { what: 'new value from the new server' });
    expect(rec.status('dev-1')?.status).toBe('online');
  });

  it('rebuilds client, session and subscription from scratch when an outage outlasts the watchdog', async () => {
    const buildsBefore = link().builds;
    await server!.stop();
    server = undefined;
    // node-opcua keeps retrying on its own; the watchdog (2 s here) gives up on it and rebuilds.
    await waitFor(() => /no data or keepalive|cannot connect/.test(rec.status('dev-1')?.reason ?? ''), {
      timeout: 15_000,
      what: () => `watchdog, last status ${JSON.stringify(rec.status('dev-1'))}`,
    });
    server = await startOpcuaServer(port, serverPki);
    const mark = rec.mark();
    await waitFor(() => rec.latest('dev-1', 'running', mark), { timeout: 30_000, what: 'data after rebuild' });
    expect(link().builds).toBeGreaterThan(buildsBefore);
    server.set('dev-1.temp', 42);
    await waitFor(() => rec.latest('dev-1', 'temp')?.value === 42);
    expect(rec.status('dev-2')?.status).toBe('online');
  });

  it('stops within 2 s while the server is gone', async () => {
    await server!.stop();
    server = undefined;
    await waitFor(() => rec.status('dev-1')?.status === 'offline');
    expect(await timed(() => connector.stop())).toBeLessThan(2000);
  });
});

describe('opcua helpers', () => {
  it('turns 64-bit [high, low] pairs into numbers', () => {
    expect(int64ToNumber([0, 5], false)).toBe(5);
    expect(int64ToNumber([1, 0], false)).toBe(2 ** 32);
    expect(int64ToNumber([0xffffffff, 0xffffffff], true)).toBe(-1);
    expect(int64ToNumber([0xffffffff, 0xffffffff], false)).toBe(2 ** 64 - 1);
    expect(int64ToNumber([0x80000000, 0], true)).toBe(-(2 ** 63));
  });

  it('keeps the useful part of node-opcua connect errors', () => {
    const err = new Error('The connection cannot be established with server opc.tcp://x:1/a .\nPlease check.\nErr = (connect ECONNREFUSED 127.0.0.1:1)');
    expect(shortReason(err)).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(shortReason(new Error('plain'))).toBe('plain');
  });
});

describe('opcua connector against a peer that never answers', () => {
  it('reports connecting and still stops within 2 s', async () => {
    const port = await freePort();
    const peer = await silentServer(port);
    const data = tempDir('opcua-silent');
    const rec = new Recorder(data.path);
    const c = new OpcuaConnector(
      [{ id: 'mute', type: 'elevator', protocol: 'opcua', connection: { endpoint: `opc.tcp://127.0.0.1:${port}/x` }, points: [{ name: 'a', nodeId: 'ns=1;s=a' }] }],
      rec.ctx,
    );
    try {
      await c.start();
      await waitFor(() => rec.status('mute')?.status === 'connecting');
      await waitFor(() => peer.accepted() > 0, { what: 'client connected to the mute peer' });
      await new Promise((r) => setTimeout(r, 300)); // the client now waits for an ACK that never comes
      expect(rec.status('mute')?.status).toBe('connecting');
      expect(await timed(() => c.stop())).toBeLessThan(2000);
    } finally {
      await peer.close();
      data.remove();
    }
  });
});
