/**
 * `uplink:` in the site config: how this estate reaches head office (gateway/uplink/README.md).
 * The site id must be usable as a NATS subject token (`SITE_ID_PATTERN`); load.ts checks it.
 */
import { Type, type Static } from '@sinclair/typebox';

export const UplinkConfig = Type.Object(
  {
    /** NATS servers of the head-office cluster, for example `nats://hq-1:4222`. Give all of them. */
    servers: Type.Array(Type.String({ pattern: '^(nats|tls)://' }), { minItems: 1 }),
    /** This estate's own NATS user (it may publish only to `estate.<site>.…`). */
    user: Type.String({ minLength: 1 }),
    /** Its password; prefer `${UPLINK_PASSWORD}` from the environment. Never logged. */
    password: Type.String({ minLength: 1 }),
    /** Unsent events above which an alarm is raised (head office unreachable for long). */
    backlogAlarm: Type.Integer({ minimum: 1, default: 10_000 }),
    /** Days acknowledged events stay in the outbox (for a replay). */
    keepSentDays: Type.Number({ minimum: 0, default: 7 }),
    /** Seconds between `site.status` heartbeats. */
    statusEverySeconds: Type.Number({ minimum: 1, default: 300 }),
    /**
     * Also use the cluster's other nodes that the servers announce (default). Off when head office
     * is reached through fixed addresses only (NAT, proxies): then give every node in `servers`.
     */
    discover: Type.Boolean({ default: true }),
    /** Send 1-minute telemetry rollups. */
    rollups: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);
export type UplinkConfig = Static<typeof UplinkConfig>;
