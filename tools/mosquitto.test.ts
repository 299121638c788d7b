import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type MosquittoHandle } from './mosquitto.js';
import { canConnect } from './ports.js';

const run = promisify(execFile);

describe('test helper: startMosquitto', () => {
  let broker: MosquittoHandle;

  beforeAll(async () => {
    broker = await startMosquitto();
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('listens on a free port, not the default 1883', () => {
    expect(broker.port).not.toBe(1883);
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
  });

  it('relays a message from mosquitto_pub to an mqtt.js subscriber', async () => {
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    try {
      await client.subscribeAsync('helper/test', { qos: 1 });
      const got = new Promise<string>((resolve) => client.once('message', (_t, payload) => resolve(payload.toString())));
      await run('mosquitto_pub', ['-h', broker.host, '-p', String(broker.port), '-t', 'helper/test', '-q', '1', '-m', 'hello']);
      expect(await got).toBe('hello');
    } finally {
      await client.endAsync();
    }
  });

  it('stops: the port closes and the temp dir is removed', async () => {
    await broker.stop();
    expect(await canConnect(broker.port, broker.host)).toBe(false);
    expect(existsSync(broker.dir)).toBe(false);
  });
});
