/**
 * Config schema of the site broker (`broker:` in the site config; the broker itself is broker/). Passwords are scrypt hashes
 * (gateway/auth/password.ts; make one with `npx tsx gateway/auth/hash.ts <password>`).
 */
import { Type, type Static } from '@sinclair/typebox';
import { HASH_PATTERN } from '../auth/password.js';

export const BrokerUser = Type.Object(
  {
    username: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]*$', maxLength: 64 }),
    passwordHash: Type.String({ pattern: HASH_PATTERN }),
    /**
     * `device`: publishes only under `site/<site>/<type>/<device>/#` and subscribes only to its
     * `.../command` topic. `gateway`: subscribes to everything and publishes any topic.
     */
    role: Type.Union([Type.Literal('device'), Type.Literal('gateway')]),
    /** Device id (from `devices:`) a `device` account speaks for. */
    device: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type BrokerUser = Static<typeof BrokerUser>;

export const BrokerConfig = Type.Object(
  {
    /** Refuse clients without username/password (default). `true` gives them full access: development only. */
    allowAnonymous: Type.Boolean({ default: false }),
    users: Type.Array(BrokerUser, { default: [] }),
    /** Serve MQTT over TLS (mqtts) instead of plain TCP. Paths are relative to the config file. */
    tls: Type.Optional(
      Type.Object(
        { key: Type.String({ minLength: 1 }), cert: Type.String({ minLength: 1 }), ca: Type.Optional(Type.String({ minLength: 1 })) },
        { additionalProperties: false },
      ),
    ),
    limits: Type.Object(
      {
        /** Largest MQTT packet accepted; a bigger one closes the connection. */
        maxPacketBytes: Type.Integer({ minimum: 64, maximum: 268_435_455, default: 65_536 }),
        /** Deepest topic accepted (guards qlobber, see aedes docs). */
        maxTopicLevels: Type.Integer({ minimum: 1, maximum: 100, default: 16 }),
        /** New connections accepted per client address per second; more are closed at once. */
        connectionsPerSecond: Type.Integer({ minimum: 1, maximum: 10_000, default: 20 }),
        /** Longest client id, for MQTT 3.1 and 3.1.1 alike; longer → CONNACK 2 (identifier rejected). */
        maxClientIdLength: Type.Integer({ minimum: 1, maximum: 65_535, default: 128 }),
        /** Failed logins (per username and per address) before each further try is delayed (250 ms doubling, 8 s at most). */
        loginFailuresBeforeDelay: Type.Integer({ minimum: 1, maximum: 1000, default: 3 }),
        /** Failed logins before the username or address is banned for `loginBanSeconds`. */
        loginFailuresBeforeBan: Type.Integer({ minimum: 1, maximum: 10_000, default: 10 }),
        loginBanSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 600 }),
        /** Retained messages one account may keep, and their total payload bytes; beyond, the retain flag is dropped. */
        retainedPerAccount: Type.Integer({ minimum: 0, maximum: 100_000, default: 100 }),
        retainedBytesPerAccount: Type.Integer({ minimum: 0, maximum: 1_073_741_824, default: 1_048_576 }),
        /** QoS 1/2 messages kept for one persistent session (clean = false) that is away or not acknowledging; newer ones are dropped for it. */
        maxQueuedPerSession: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 100_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
export type BrokerConfig = Static<typeof BrokerConfig>;
