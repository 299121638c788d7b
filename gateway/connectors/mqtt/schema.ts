/** Config schema of the MQTT connector: `device.connection` and `device.points[]`. */
import { Type, type Static } from '@sinclair/typebox';
import { BASE_POINT_FIELDS } from '../../core/connector.js';
import { reportKeys } from '../common/filter.js';

export const MqttConnection = Type.Object(
  {
    url: Type.String({ pattern: '^mqtts?://', description: 'mqtt://host:port' }),
    /** Topic carrying this device's JSON telemetry; `{device}` is replaced by the device id. */
    topic: Type.String({ minLength: 1 }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    qos: Type.Union([Type.Literal(0), Type.Literal(1)], { default: 1 }),
    /**
     * MQTT client id of the gateway on this broker (persistent session). Default: derived from the
     * host name, the data folder and the broker, so it stays the same across restarts.
     */
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** Milliseconds between reconnect attempts after the broker connection drops. */
    reconnectPeriod: Type.Optional(Type.Integer({ minimum: 100, default: 2000 })),
  },
  { additionalProperties: false },
);
export type MqttConnection = Static<typeof MqttConnection>;

export const MqttPoint = Type.Object(
  {
    // name, unit
    ...BASE_POINT_FIELDS,
    /** Dotted path of the field in the JSON payload, for example `power.battery_v`. */
    path: Type.String({ minLength: 1 }),
    /** Deadband (percent = of the last reported value) and report-on-change-or-period, see common/filter.ts. */
    ...reportKeys,
  },
  { additionalProperties: false },
);
export type MqttPoint = Static<typeof MqttPoint>;
