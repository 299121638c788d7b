/** The control API over real HTTP: listing, inject/clear, and bad input answered with { code, message }. */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type SimulatorStack } from './index.js';
import { post } from './testkit.js';

let sims: SimulatorStack;
let base: string;

beforeAll(async () => {
  sims = await startSimulators({ protocols: [], controlPort: 0, log: pino({ level: 'warn' }) });
  base = sims.controlUrl;
});
afterAll(() => sims?.stop());

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });

describe('control API', () => {
  it('lists the devices with their fault catalogue', async () => {
    const res = await fetch(`${base}/devices`);
    expect(res.status).toBe(200);
    const devices = (await res.json()) as { id: string; type: string; protocol: string; faults: string[]; active: string[] }[];
    expect(devices.map((d) => d.id)).toEqual(['elev-1', 'elev-2', 'pump-1', 'pump-2', 'power-1', 'fire-1', 'gen-1', 'tank-1', 'sump-1', 'chiller-1']);
    expect(devices[0]).toEqual({
      id: 'elev-1', type: 'elevator', protocol: 'opcua',
      faults: ['trapped_passenger', 'slow_door', 'stop_outside_door_zone', 'silent'], active: [],
    });
    expect((await json(await fetch(`${base}/health`))).body).toMatchObject({ status: 'ok', devices: 10 });
  });

  it('injects and clears faults', async () => {
    const injected = await json(await post(`${base}/devices/power-1/faults`, { fault: 'undervoltage' }));
    expect(injected).toMatchObject({ status: 201, body: { id: 'power-1', active: ['undervoltage'] } });
    await post(`${base}/devices/power-1/faults`, { fault: 'high_thd' });
    const one = await json(await fetch(`${base}/devices/power-1/faults/undervoltage`, { method: 'DELETE' }));
    expect(one).toMatchObject({ status: 200, body: { active: ['high_thd'] } });
    const all = await json(await fetch(`${base}/devices/power-1/faults`, { method: 'DELETE', headers: { 'content-type': 'application/json' } }));
    expect(all).toMatchObject({ status: 200, body: { active: [] } });
    const detail = await json(await fetch(`${base}/devices/power-1`));
    expect(detail.body.values).toHaveProperty('voltage_l1');
  });

  it('answers 404 for an unknown device', async () => {
    const res = await json(await post(`${base}/devices/pump-9/faults`, { fault: 'low_pressure' }));
    expect(res).toMatchObject({ status: 404, body: { code: 'SIM_ERR_NOT_FOUND' } });
    expect(res.body.message).toContain('pump-9');
    expect((await json(await fetch(`${base}/nowhere`))).status).toBe(404);
  });

  it('answers 400 for an unknown fault, listing the valid names', async () => {
    const res = await json(await post(`${base}/devices/pump-1/faults`, { fault: 'slow_door' }));
    expect(res).toMatchObject({ status: 400, body: { code: 'SIM_ERR_UNKNOWN_FAULT' } });
    expect(res.body.message).toContain('low_pressure, dry_run, overcurrent, bearing_overtemp, short_cycling, silent');
    const del = await json(await fetch(`${base}/devices/pump-1/faults/nope`, { method: 'DELETE' }));
    expect(del).toMatchObject({ status: 400, body: { code: 'SIM_ERR_UNKNOWN_FAULT' } });
  });

  it('answers 400 for malformed or invalid bodies, and keeps running', async () => {
    const send = (body: string, type = 'application/json') =>
      fetch(`${base}/devices/pump-1/faults`, { method: 'POST', headers: { 'content-type': type }, body }).then(json);
    for (const bad of ['{"fault": ', '', 'null', '[]', '{}', '{"fault": 42}', '{"fault": ""}']) {
      const res = await send(bad);
      expect(res.status, bad).toBe(400);
      expect(res.body, bad).toEqual({ code: 'SIM_ERR_BAD_REQUEST', message: expect.any(String) });
    }
    expect((await send('fault=low_pressure', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await send(JSON.stringify({ fault: 'x'.repeat(20_000) }))).status).toBe(413);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const pump = (await (await fetch(`${base}/devices/pump-1`)).json()) as { active: string[] };
    expect(pump.active).toEqual([]);
  });
});
