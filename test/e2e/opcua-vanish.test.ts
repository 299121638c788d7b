/**
 * OPC UA nodes that vanish (issue: the server restarted without two configured nodes): a real
 * gateway (gateway/app.ts) monitors three nodes of a node-opcua server; the server is replaced by
 * one on the same port without one of them. The vanished point turns `bad` with the reason within
 * one publishing interval plus a second of the reconnect, and the REST point view says why.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../gateway/app.js';
import { loadConfig } from '../../gateway/site/load.js';
import { createLogger } from '../../gateway/core/log.js';
import type { DeviceView } from '../../gateway/core/model.js';
import { startOpcuaServer, type TestServer, type TestVariable } from '../../gateway/connectors/opcua/fixtures/server.js';
import { freePort } from '../../tools/ports.js';
import { waitFor } from '../../tools/wait.js';
import { adminAuth, ADMIN_PASSWORD_HASH } from '../helpers/admin.js';

const PUBLISHING_MS = 200;
const ALL: Record<string, TestVariable> = {
  'pump-ua.discharge_pressure': { dataType: DataType.Double, value: 0.42 },
  'pump-ua.motor_current': { dataType: DataType.Double, value: 7.5 },
  'pump-ua.bearing_temp': { dataType: DataType.Double, value: 41 },
};
const dir = mkdtempSync(join(tmpdir(), 'gw-opcua-vanish-'));
let port: number;
let server: TestServer | undefined;
let gw: Gateway;
let auth: Record<string, string>;

beforeAll(async () => {
  port = await freePort();
  server = await startOpcuaServer(port, join(dir, 'pki'), ALL);
  const file = join(dir, 'site.yaml');
  writeFileSync(file, `
site: { id: vanish-ua, name: Vanishing nodes }
dataDir: ./data
users:
  - { username: admin, role: admin, passwordHash: "${ADMIN_PASSWORD_HASH}" }
devices:
  - id: pump-ua
    type: pump
    protocol: opcua
    connection: { endpoint: "${server.endpoint}", samplingInterval: 100, publishingInterval: ${PUBLISHING_MS}, watchdog: 3000, reconnectDelay: 200, reconnectMaxDelay: 1000 }
    points:
${Object.keys(ALL).map((n) => `      - { name: ${n.split('.')[1]}, nodeId: "ns=1;s=${n}" }`).join('\n')}
`);
  gw = await createGateway(loadConfig(file), { log: createLogger('test', process.env.TEST_LOG ?? 'silent'), port: 0, host: '127.0.0.1' });
  await gw.start();
  auth = await adminAuth(gw.app);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await server?.stop();
});

const view = async () => (await gw.app.inject({ url: '/api/devices/pump-ua', headers: auth })).json<DeviceView>();

describe('OPC UA nodes that vanish across a server restart', () => {
  it('marks the vanished point bad with the reason within a publishing interval plus 1 s of the reconnect', async () => {
    await waitFor(async () => Object.values((await view()).points).every((p) => p.quality === 'good'), { timeout: 20_000, what: 'all points good' });
    expect((await view()).points.motor_current!.reason).toBeUndefined();

    await server!.stop();
    server = undefined;
    const { 'pump-ua.motor_current': _gone, ...rest } = ALL;
    server = await startOpcuaServer(port, join(dir, 'pki'), rest);
    const restartedAt = Date.now();
    server.set('pump-ua.discharge_pressure', 0.43);
    // Reconnected: a value from the new server has arrived.
    await waitFor(async () => (await view()).points.discharge_pressure!.value === 0.43, { timeout: 30_000, interval: 20, what: 'data from the restarted server' });
    const reconnectedAt = Date.now();
    const bad = await waitFor(async () => { const p = (await view()).points.motor_current!; return p.quality === 'bad' && p; },
      { timeout: PUBLISHING_MS + 1000 + (reconnectedAt - restartedAt), interval: 20, what: 'the vanished point to turn bad' });
    expect(Date.now() - reconnectedAt).toBeLessThan(PUBLISHING_MS + 1000);
    expect(bad.value).toBeNull();
    expect(bad.reason).toMatch(/ns=1;s=pump-ua\.motor_current.*BadNodeIdUnknown/);
    const v = await view();
    expect(v.points.discharge_pressure).toMatchObject({ quality: 'good' });
    expect(v.points.discharge_pressure!.reason).toBeUndefined();
  });
});
