/** The whole stack: starts on free ports, reports them, refuses a taken port cleanly, stops fast. */
import net from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { freePort } from '../tools/ports.js';
import { FREE_MODBUS_PORTS, startSimulators } from './index.js';

const log = pino({ level: 'silent' });
const free = { opcuaPort: 0, modbusPorts: FREE_MODBUS_PORTS, controlPort: 0 } as const;

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('simulator stack', () => {
  it('starts every face on free ports and stops within 2 s', async () => {
    const sims = await startSimulators({ ...free, brokerUrl: `mqtt://127.0.0.1:${await freePort('127.0.0.1')}`, log });
    const ports = [sims.ports.opcua!, sims.ports.control, ...Object.values(sims.ports.modbus)];
    expect(ports).toHaveLength(8); // OPC UA, control and six Modbus devices
    expect(new Set(ports).size).toBe(8);
    for (const p of ports) expect(await accepts(p)).toBe(true);

    const t1 = Date.now();
    await sims.stop();
    expect(Date.now() - t1).toBeLessThan(2000);
    for (const p of ports) expect(await accepts(p)).toBe(false);
  });

  it('fails with a clear error on a taken port and leaves nothing listening', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    const controlPort = await freePort('127.0.0.1');
    await expect(startSimulators({ ...free, protocols: ['modbus'], modbusPorts: { ...FREE_MODBUS_PORTS, 'pump-2': port }, controlPort, log }))
      .rejects.toThrow(new RegExp(`pump-2 cannot listen on 127.0.0.1:${port}`));
    expect(await accepts(controlPort)).toBe(false);
    taken.close();
  });
});
