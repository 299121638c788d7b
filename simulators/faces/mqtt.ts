/**
 * MQTT face: the device is a client of the site broker, like a panel's IoT gateway card. It
 * publishes JSON telemetry every second (QoS 1) and at once when its discrete state changes,
 * keeps a retained `status` topic (`online`, LWT `offline`) and reconnects forever, so it may
 * start before the broker. `silent` drops the link without DISCONNECT, so the broker sends the LWT.
 */
import { randomBytes } from 'node:crypto';
import { withoutCredentials } from '../urls.js';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { SimDevice } from '../devices.js';
import { statusTopic, telemetryTopic } from '../pointmaps.js';

export interface MqttFace {
  readonly telemetryTopic: string;
  readonly statusTopic: string;
  /** Publish now if the discrete state changed since the last publication (called after each tick). */
  refresh(): void;
  stop(): Promise<void>;
}

export interface MqttFaceOptions {
  brokerUrl: string;
  /** Stagger the first connect by this many ms (scale mode: not 250 panels in the same instant). */
  connectDelayMs?: number;
  siteId: string;
  /** Telemetry period in ms (wall clock, whatever the time scale). */
  intervalMs?: number;
  logger: Logger;
}

/**
 * Payloads of the `malformed` fault, in turn: a firmware bug or a half-written buffer. Not JSON,
 * a JSON array, wrong-typed fields, a truncated object, an empty payload.
 */
export const MALFORMED: readonly ((v: Record<string, unknown>) => string)[] = [
  () => 'fire_alarm=0;trouble=0 <not json>',
  (v) => JSON.stringify({ ts: new Date().toISOString(), fire_alarm: String(v.fire_alarm), zones_in_alarm: 'none', power: { mains_v: '230V', battery_v: null } }),
  (v) => JSON.stringify([v.fire_alarm, v.trouble]),
  (v) => JSON.stringify({ ts: Date.now(), ...v }).slice(0, 40),
  () => '',
];

export function startMqttFace(device: SimDevice, opts: MqttFaceOptions): MqttFace {
  const log = opts.logger.child({ face: 'mqtt', device: device.id });
  const telemetry = telemetryTopic(opts.siteId, device.type, device.id);
  const status = statusTopic(opts.siteId, device.type, device.id);
  let client: MqttClient | undefined;
  let lastState = '';
  let stopped = false;

  const connect = () => {
    const c = mqtt.connect(opts.brokerUrl, {
      clientId: `sim-${device.id}-${randomBytes(3).toString('hex')}`,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    c.on('connect', () => {
      log.info({ brokerUrl: withoutCredentials(opts.brokerUrl) }, 'connected to broker');
      c.publish(status, 'online', { qos: 1, retain: true });
      publish();
    });
    // Connection refused while the broker is not up yet: mqtt.js retries every reconnectPeriod.
    c.on('error', (err) => log.debug({ err: err.message }, 'broker connection error'));
    c.on('offline', () => log.debug('broker offline, retrying'));
    return c;
  };

  const stateOf = (v: Record<string, unknown>) =>
    JSON.stringify(Object.entries(v).filter(([, x]) => typeof x === 'boolean' || Number.isInteger(x)));

  let malformedCount = 0;
  function publish(): void {
    if (!client?.connected || device.silent) return; // never queue stale telemetry for later
    const values = device.model.values() as Record<string, unknown>;
    lastState = stateOf(values);
    const payload = device.comm.has('malformed') ? MALFORMED[malformedCount++ % MALFORMED.length]!(values) : JSON.stringify({ ts: Date.now(), ...values });
    client.publish(telemetry, payload, { qos: 1 });
  }

  const refresh = () => {
    if (stateOf(device.model.values() as Record<string, unknown>) !== lastState) publish();
  };

  const onFaults = () => {
    if (device.silent && client) {
      log.info('silent: dropping the broker link');
      client.end(true);
      client = undefined;
    } else if (!device.silent && !client && !stopped) {
      client = connect();
    }
    refresh();
  };

  const delayed = opts.connectDelayMs
    ? setTimeout(() => {
        if (!stopped && !device.silent && !client) client = connect();
      }, opts.connectDelayMs)
    : undefined;
  if (!delayed) client = connect();
  device.on('faults', onFaults);
  const timer = setInterval(publish, opts.intervalMs ?? 1000);

  return {
    telemetryTopic: telemetry,
    statusTopic: status,
    refresh,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(delayed);
      device.off('faults', onFaults);
      const c = client;
      client = undefined;
      if (!c) return;
      if (!c.connected) {
        c.end(true);
        return;
      }
      // A clean DISCONNECT suppresses the LWT, so say `offline` ourselves first.
      const done = (async () => {
        await c.publishAsync(status, 'offline', { qos: 1, retain: true });
        await c.endAsync();
      })();
      const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), 1000).unref());
      if (!(await Promise.race([done.then(() => true, () => false), timeout]))) c.end(true);
    },
  };
}
