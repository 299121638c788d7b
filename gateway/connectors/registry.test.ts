/**
 * The registry: one plugin per protocol folder, schemas that compile, and the demo site's devices
 * valid against them (so optional keys added to a schema never break real configs).
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../config/schema.js';
import { connectors } from './index.js';
import { Recorder } from '../../test/helpers/connectors.js';

describe('connector registry', () => {
  it('lists modbus, opcua and mqtt under their own protocol names', () => {
    expect(Object.keys(connectors).sort()).toEqual(['modbus', 'mqtt', 'opcua']);
    for (const [key, plugin] of Object.entries(connectors)) expect(plugin.protocol).toBe(key);
  });

  it('accepts every device of demo/site.yaml and each sample.yaml', () => {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
    const files = ['demo/site.yaml', ...Object.keys(connectors).map((p) => `gateway/connectors/${p}/sample.yaml`)];
    let checked = 0;
    for (const file of files) {
      // ${VAR:-default} → default, as the config loader does
      const text = readFileSync(file, 'utf8').replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
      const site = parse(text) as { devices: DeviceConfig[] };
      for (const d of site.devices) {
        const plugin = connectors[d.protocol];
        expect(plugin, `${file}: ${d.id}`).toBeDefined();
        const conn = ajv.compile(plugin!.connectionSchema);
        expect(conn(d.connection), `${file}: ${d.id} connection ${ajv.errorsText(conn.errors)}`).toBe(true);
        const point = ajv.compile(plugin!.pointSchema);
        for (const p of d.points) expect(point(p), `${file}: ${d.id} ${JSON.stringify(p)} ${ajv.errorsText(point.errors)}`).toBe(true);
        // the connector accepts the validated config (construction only; nothing is started)
        expect(() => plugin!.create([d], new Recorder().ctx)).not.toThrow();
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(9);
  });

  it('stops a connector that was never started at once', async () => {
    for (const plugin of Object.values(connectors)) {
      const d: DeviceConfig = {
        id: 'x',
        type: 'pump',
        protocol: plugin.protocol,
        connection: { host: '127.0.0.1', endpoint: 'opc.tcp://127.0.0.1:1/x', url: 'mqtt://127.0.0.1:1', topic: 't' },
        points: [{ name: 'p', table: 'holding', address: 0, nodeId: 'ns=1;s=p', path: 'p' }],
      };
      await expect(plugin.create([d], new Recorder().ctx).stop()).resolves.toBeUndefined();
    }
  });
});
