/** Config schema of the MQTT connector: `device.connection` and `device.points[]`. */
import { Type, type Static } from '@sinclair/typebox';

export const MqttConnection = Type.Object(
  {
    url: Type.String({ pattern: '^mqtts?://', description: 'mqtt://host:port' }),
    /** Topic carrying this device's JSON telemetry. */
    topic: Type.String({ minLength: 1 }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    qos: Type.Union([Type.Literal(0), Type.Literal(1)], { default: 1 }),
  },
  { additionalProperties: false },
);
export type MqttConnection = Static<typeof MqttConnection>;

export const MqttPoint = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
    /** Dotted path of the field in the JSON payload, for example `power.battery_v`. */
    path: Type.String({ minLength: 1 }),
    unit: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type MqttPoint = Static<typeof MqttPoint>;
