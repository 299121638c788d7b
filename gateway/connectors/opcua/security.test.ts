/**
 * OPC UA security, login, deadband and polling against an in-process node-opcua server that only
 * offers Sign / SignAndEncrypt (Basic256Sha256) and refuses anonymous users:
 * - an unknown server certificate is refused with a reason that says what to do, and lands in
 *   `<dataDir>/pki/opcua/rejected/certs`; moved to `trusted/certs`, data flows (same instance);
 * - `trustUnknownServer: true` trusts it on first contact; a wrong password is reported;
 * - absolute deadband is applied by the server, a percent deadband the server refuses (no EURange)
 *   falls back to the gateway; `mode: poll` reads with on-change + heartbeat reporting.
 */
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../config/schema.js';
import { Recorder, tempDir } from '../../../test/helpers/connectors.js';
import { freePort } from '../../../tools/ports.js';
import { waitFor } from '../../../tools/wait.js';
import { OpcuaConnector } from './connector.js';
import { startOpcuaServer, type TestServer } from './fixtures/server.js';

const dir = tempDir('opcua-sec');
const USER = { username: 'operator', password: 'p4ss-w0rd' };

function device(id: string, connection: Record<string, unknown>, points: Record<string, unknown>[]): DeviceConfig {
  return { id, type: 'pump', protocol: 'opcua', connection: { samplingInterval: 100, publishingInterval: 100, reconnectDelay: 200, reconnectMaxDelay: 600, ...connection }, points };
}

describe('opcua connector with SignAndEncrypt and a user login', () => {
  let server: TestServer;
  const connectors: OpcuaConnector[] = [];
  const start = async (devices: DeviceConfig[], dataDir: string) => {
    const rec = new Recorder(dataDir);
    const c = new OpcuaConnector(devices, rec.ctx);
    connectors.push(c);
    await c.start();
    return { rec, c };
  };

  beforeAll(async () => {
    const port = await freePort();
    server = await startOpcuaServer(port, join(dir.path, 'server-pki'), undefined, { secure: true, users: { [USER.username]: USER.password } });
  });

  afterAll(async () => {
    await Promise.allSettled(connectors.map((c) => c.stop()));
    await server?.stop();
    dir.remove();
  });

  it('refuses an unknown server certificate with a clear reason; trusting it by moving the file lets data flow', async () => {
    const dataDir = join(dir.path, 'gw-a');
    const { rec } = await start(
      [device('sec-1', { endpoint: server.endpoint, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', ...USER }, [{ name: 'temp', nodeId: 'ns=1;s=dev-1.temp' }])],
      dataDir,
    );
    // Waits on the connector's events (Recorder.until), not on a clock: a loaded machine only makes it slower.
    const refused = await rec.until(() => rec.status('sec-1')?.status === 'offline' && rec.status('sec-1'));
    expect(refused.reason).toMatch(/server certificate not trusted \(BadCertificateUntrusted\)/);
    expect(refused.reason).toContain(join(dataDir, 'pki', 'opcua', 'rejected'));
    expect(refused.reason).toMatch(/trustUnknownServer: true/);
    expect(rec.readings).toEqual([]);

    const rejected = join(dataDir, 'pki', 'opcua', 'rejected');
    const trusted = join(dataDir, 'pki', 'opcua', 'trusted', 'certs');
    const certFiles = () => (existsSync(rejected) ? readdirSync(rejected).filter((f) => /\.(pem|der)$/.test(f)) : []);
    // The certificate is filed before the handshake fails, so it is there once the refusal is reported.
    const files = certFiles();
    expect(files.length, `a certificate file in ${rejected}`).toBeGreaterThan(0);
    for (const f of files) renameSync(join(rejected, f), join(trusted, f));
    const r = await rec.until(() => rec.latest('sec-1', 'temp'));
    expect(r).toMatchObject({ value: 21.5, quality: 'good' });
    expect(rec.status('sec-1')?.status).toBe('online');
  });

  it('trusts the server on first contact with trustUnknownServer, and reports a wrong password', async () => {
    const dataDir = join(dir.path, 'gw-b');
    const endpoint = server.endpoint;
    const { rec, c } = await start(
      [
        device('good-user', { endpoint, securityMode: 'SignAndEncrypt', trustUnknownServer: true, ...USER }, [
          { name: 'temp', nodeId: 'ns=1;s=dev-1.temp', deadband: { type: 'absolute', value: 1 } },
          // a Float variable without EURange: the server refuses a percent deadband, the gateway applies it
          { name: 'level', nodeId: 'ns=1;s=dev-1.level', deadband: { type: 'percent', value: 10 } },
          // never changes: only heartbeats after the first value
          { name: 'name', nodeId: 'ns=1;s=dev-1.name', report: { maxInterval: '400ms' } },
        ]),
        device('bad-user', { endpoint, securityMode: 'Sign', trustUnknownServer: true, username: USER.username, password: 'wrong' }, [{ name: 'temp', nodeId: 'ns=1;s=dev-1.temp' }]),
      ],
      dataDir,
    );
    expect(c.links.size).toBe(2);
    await waitFor(() => rec.latest('good-user', 'temp') && rec.latest('good-user', 'level'), { timeout: 20_000, what: 'secure data' });
    expect(readdirSync(join(dataDir, 'pki', 'opcua', 'trusted', 'certs')).length).toBeGreaterThan(0);
    const bad = await waitFor(() => rec.status('bad-user')?.status === 'offline' && rec.status('bad-user'), { timeout: 20_000 });
    expect(bad.reason).toMatch(/BadUserAccessDenied|BadIdentityTokenRejected|BadIdentityTokenInvalid/);

    // deadbands: small changes are held back (server-side for temp, gateway-side for level)
    const link = [...c.links.values()].find((l) => l.clientDeadband !== undefined && l.filter.size > 0)!;
    expect(link.limits.maxMonitoredItemsPerCall).toBeGreaterThanOrEqual(0);
    await waitFor(() => link.clientDeadband.size === 1, { what: 'percent deadband fell back to the gateway' });
    const mark = rec.mark();
    server.set('dev-1.temp', 21.9);
    server.set('dev-1.level', 240); // +4.3 %
    server.set('dev-1.temp', 23); // +1.5 from the last reported 21.5
    server.set('dev-1.level', 260); // +13 % from 230.1
    await waitFor(() => rec.latest('good-user', 'temp', mark)?.value === 23 && rec.latest('good-user', 'level', mark)?.value === 260, {
      what: () => JSON.stringify(rec.readings.slice(mark)),
    });
    const after = rec.readings.slice(mark).filter((r) => r.device === 'good-user');
    expect(after.map((r) => r.value)).not.toContain(21.9);
    expect(after.map((r) => r.value)).not.toContain(240);

    // heartbeat: the unchanged string is re-emitted, stamped now, while the subscription lives
    const hb = rec.mark();
    const beats = await waitFor(() => {
      const xs = rec.readings.slice(hb).filter((r) => r.device === 'good-user' && r.point === 'name');
      return xs.length >= 2 && xs;
    }, { what: 'two heartbeats' });
    expect(beats.every((r) => r.value === 'booster' && r.quality === 'good')).toBe(true);
    expect(beats[1]!.ts).toBeGreaterThan(beats[0]!.ts);
  });

  it('polls with the Read service in mode: poll, reporting on change plus a heartbeat', async () => {
    const { rec } = await start(
      [
        device('poller', { endpoint: server.endpoint, securityMode: 'SignAndEncrypt', trustUnknownServer: true, ...USER, mode: 'poll', pollInterval: 100 }, [
          { name: 'running', nodeId: 'ns=1;s=dev-1.running', report: { onChange: true, maxInterval: '1s' } },
          { name: 'name', nodeId: 'ns=1;s=dev-1.name' },
          { name: 'floor', nodeId: 'ns=1;s=dev-2.floor' },
        ]),
      ],
      join(dir.path, 'gw-c'),
    );
    await waitFor(() => rec.latest('poller', 'floor'), { timeout: 20_000, what: 'polled data' });
    server.set('dev-2.floor', 11);
    await waitFor(() => rec.latest('poller', 'floor')?.value === 11);
    const t0 = Date.now();
    const since = rec.mark();
    await waitFor(() => rec.readings.slice(since).filter((r) => r.point === 'name').length >= 12, { what: '12 polls' });
    const elapsed = Date.now() - t0;
    const running = rec.readings.slice(since).filter((r) => r.point === 'running');
    // every poll emits `name` (no policy); `running` only as a heartbeat at most once a second
    expect(running.length).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) + 1);
    expect(rec.readings.find((r) => r.point === 'running')?.value).toBe(true);
  });
});
