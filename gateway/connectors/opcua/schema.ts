/** Config schema of the OPC UA connector: `device.connection` and `device.points[]`. */
import { Type, type Static } from '@sinclair/typebox';

export const OpcuaConnection = Type.Object(
  {
    endpoint: Type.String({ pattern: '^opc\\.tcp://', description: 'opc.tcp://host:port/path' }),
    /** Sampling interval of monitored items in milliseconds. */
    samplingInterval: Type.Integer({ minimum: 0, default: 500 }),
    /** Publishing interval of the subscription in milliseconds. */
    publishingInterval: Type.Integer({ minimum: 50, default: 500 }),
    /**
     * Rebuild the connection from scratch (new client, session, subscription, monitored items) when
     * neither data nor a subscription keepalive arrived for this many milliseconds. Default: three
     * keepalive periods (3 x publishingInterval x 10), at least 5000.
     */
    watchdog: Type.Optional(Type.Integer({ minimum: 500 })),
    /** First delay before a rebuild after a failure, ms; doubles (with jitter) up to `reconnectMaxDelay`. */
    reconnectDelay: Type.Optional(Type.Integer({ minimum: 50, default: 1000 })),
    /** Longest delay between rebuild attempts, ms. */
    reconnectMaxDelay: Type.Optional(Type.Integer({ minimum: 100, default: 30000 })),
    /** Deadline of connect + session + subscription + monitored items, ms. */
    connectTimeout: Type.Optional(Type.Integer({ minimum: 500, default: 10000 })),
  },
  { additionalProperties: false },
);
export type OpcuaConnection = Static<typeof OpcuaConnection>;

export const OpcuaPoint = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
    /** Node id, for example `ns=1;s=elev-1.floor`. */
    nodeId: Type.String({ minLength: 3 }),
    unit: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type OpcuaPoint = Static<typeof OpcuaPoint>;
