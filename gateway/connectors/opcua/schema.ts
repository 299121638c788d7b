/** Config schema of the OPC UA connector: `device.connection` and `device.points[]`. */
import { Type, type Static } from '@sinclair/typebox';
import { BASE_POINT_FIELDS } from '../../core/connector.js';
import { reportKeys } from '../common/filter.js';

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
    /** Message security: None, Sign or SignAndEncrypt (the latter two with `securityPolicy`). */
    securityMode: Type.Optional(Type.Union([Type.Literal('None'), Type.Literal('Sign'), Type.Literal('SignAndEncrypt')], { default: 'None' })),
    /** Security policy for Sign / SignAndEncrypt. */
    securityPolicy: Type.Optional(Type.Union([Type.Literal('Basic256Sha256'), Type.Literal('Aes128_Sha256_RsaOaep'), Type.Literal('Aes256_Sha256_RsaPss')], { default: 'Basic256Sha256' })),
    /**
     * Trust the server's certificate even though it is not in `<dataDir>/pki/opcua/trusted/certs`
     * (it is added there on first contact). Off by default: an unknown server certificate is
     * refused and left in `rejected/certs` for an operator to move.
     */
    trustUnknownServer: Type.Optional(Type.Boolean({ default: false })),
    /** User name login (anonymous without it). */
    username: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String()),
    /** subscribe (monitored items, default) or poll (Read service every `pollInterval`, for servers with broken subscriptions). */
    mode: Type.Optional(Type.Union([Type.Literal('subscribe'), Type.Literal('poll')], { default: 'subscribe' })),
    /** Milliseconds between two reads in `mode: poll`. */
    pollInterval: Type.Optional(Type.Integer({ minimum: 50, default: 1000 })),
  },
  { additionalProperties: false },
);
export type OpcuaConnection = Static<typeof OpcuaConnection>;

export const OpcuaPoint = Type.Object(
  {
    // name, unit
    ...BASE_POINT_FIELDS,
    /** Node id, for example `ns=1;s=elev-1.floor`. */
    nodeId: Type.String({ minLength: 3 }),
    /**
     * `deadband` is applied by the server (DataChangeFilter; percent = of the node's EURange) in
     * subscribe mode, by the gateway (percent = of the last reported value) in poll mode or when the
     * server refuses the filter. `report: { onChange, maxInterval }` as for every connector.
     */
    ...reportKeys,
  },
  { additionalProperties: false },
);
export type OpcuaPoint = Static<typeof OpcuaPoint>;
