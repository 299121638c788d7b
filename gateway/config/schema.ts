/**
 * Schema of the site config (one YAML file). Types are derived from the schema, so this file is
 * the reference of every key. Protocol-specific parts (`device.connection`, `device.points`) are
 * owned by each connector folder and checked by `load.ts` after the outer shape is valid.
 */
import { Type, type Static } from '@sinclair/typebox';
import { BrokerConfig } from './broker.js';
import { AuthConfig, UserConfig } from '../auth/schema.js';
import { UplinkConfig } from './uplink.js';
import { ChatNotifyKeys } from './notify.js';
import { OwnerConfig } from './owner.js';
import { Category, DeviceConfig, Duration, EquipmentType, Id, MeterName, Priority, RuleConfig, SnakeName } from '../core/vocabulary.js';
import { EquipmentDescriptor } from '../equipment/descriptor.js';

/**
 * The shared vocabulary (equipment type id, severity, category, priority, durations, the device
 * and rule shapes) lives in gateway/core/vocabulary.ts; it is re-exported here because this file
 * is the reference of every config key.
 */
export { Category, DeviceConfig, Duration, EquipmentType, Id, Priority, RuleConfig, Severity } from '../core/vocabulary.js';

/** Response deadlines per category (seed 2.1). */
export const SlaPolicy = Type.Object(
  {
    /** A work-order category, or `emergency`: the deadlines of rules with `priority: emergency`. */
    category: Type.Union([Category, Type.Literal('emergency')]),
    /** Initial response deadline, measured from fault time. */
    respondWithin: Duration,
    /** Staff on site deadline (elevator faults: 2 h, seed 2.1). */
    onSiteWithin: Type.Optional(Duration),
    priority: Priority,
  },
  { additionalProperties: false },
);
export type SlaPolicy = Static<typeof SlaPolicy>;

export const InfluxConfig = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 8086 }),
    database: Type.String({ minLength: 1, default: 'facility' }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type InfluxConfig = Static<typeof InfluxConfig>;

/**
 * Preventive plans and prediction (gateway/predict/README.md). Every key is optional; defaults live
 * in each type's descriptor, gateway/equipment/ (elevators every 15 days, TSG T5002-2017 / 特种设备安全监察条例 Art. 31).
 */
export const MaintenancePlan = Type.Object(
  {
    id: Id,
    equipment: Type.Optional(EquipmentType),
    device: Type.Optional(Id),
    title: Type.Optional(Type.String()),
    /** Calendar plan: due `every` after the last PM. */
    every: Type.Optional(Duration),
    /** Meter plan: due every `everyUnits` of the meter since the last PM. */
    meter: Type.Optional(MeterName),
    everyUnits: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Done within the grace window after the due point still counts as on time. */
    grace: Type.Optional(Duration),
    graceUnits: Type.Optional(Type.Number({ minimum: 0 })),
    /** Raise the preventive order this long (or this many meter units) before the due point. */
    lead: Type.Optional(Duration),
    leadUnits: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type MaintenancePlan = Static<typeof MaintenancePlan>;

export const MaintenanceConfig = Type.Object(
  {
    /** Add the built-in plans (elevator 15 d, fire panel 30 d, pump 2,000 run hours) for types without a plan. */
    defaultPlans: Type.Optional(Type.Boolean()),
    plans: Type.Optional(Type.Array(MaintenancePlan)),
    /** Default lead time of calendar plans. */
    leadTime: Type.Optional(Duration),
    prediction: Type.Optional(Type.Object(
      {
        enabled: Type.Optional(Type.Boolean()),
        /** Raise a prediction order when the limit is forecast to be crossed within this horizon. */
        horizon: Type.Optional(Duration),
        /** Trend window of hourly aggregates. */
        window: Type.Optional(Duration),
        /** Window over which baselines are learned. */
        baselineWindow: Type.Optional(Duration),
        /** Mann–Kendall significance level for a trend to count. */
        alpha: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.5 })),
        indicators: Type.Optional(Type.Array(Type.Object(
          {
            point: SnakeName,
            equipment: Type.Optional(EquipmentType),
            device: Type.Optional(Id),
            limit: Type.Optional(Type.Number()),
            /** Alert limit a prediction order plans against (ISO 10816-3 zone B/C); default: the type's, scaled with the limit. */
            alert: Type.Optional(Type.Number()),
            state: Type.Optional(Type.Union([Type.Literal('running'), Type.Literal('any')])),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ))),
      },
      { additionalProperties: false },
    )),
  },
  { additionalProperties: false },
);
export type MaintenanceConfig = Static<typeof MaintenanceConfig>;

export const SiteConfig = Type.Object(
  {
    site: Type.Object(
      {
        id: Id,
        name: Type.String({ minLength: 1 }),
        /** Estate code in order numbers (`WO-<code>-YYYYMMDD-NNNN`), unique in the company; default the id in capitals. */
        code: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{2,12}$' })),
        /** Address of this gateway's dashboard as head office reaches it (links from head office to an order). */
        url: Type.Optional(Type.String({ pattern: '^https?://' })),
      },
      { additionalProperties: false },
    ),
    /** Folder for embedded storage (history, alarms, orders). Relative to the config file. */
    dataDir: Type.String({ minLength: 1, default: './data' }),
    http: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        /** Serve the API and dashboard over HTTPS (paths relative to the config file); adds HSTS. */
        tls: Type.Optional(Type.Object({ key: Type.String({ minLength: 1 }), cert: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
      },
      { additionalProperties: false, default: {} },
    ),
    history: Type.Object(
      {
        /** When present, history goes to this InfluxDB 1.x; otherwise to the embedded store. */
        influx: Type.Optional(InfluxConfig),
        /** Days of raw history kept (embedded store; InfluxDB retention policy `raw`). */
        retentionDays: Type.Number({ minimum: 1, default: 30 }),
        /** Days of 1-minute rollups kept (InfluxDB policy `rollup_1m`). */
        rollup1mDays: Type.Number({ minimum: 1, default: 90 }),
        /** Days of 1-hour rollups kept (InfluxDB policy `rollup_1h`). */
        rollup1hDays: Type.Number({ minimum: 1, default: 1095 }),
        /** Bound of the InfluxDB store-and-forward queue under `<dataDir>/spool`, MiB (oldest points dropped beyond). */
        spoolMaxMB: Type.Number({ minimum: 1, default: 512 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Equipment types of the site's own, beside the built-in ones (gateway/equipment/README.md). */
    equipmentTypes: Type.Array(EquipmentDescriptor, { default: [] }),
    devices: Type.Array(DeviceConfig, { minItems: 1 }),
    rules: Type.Array(RuleConfig, { default: [] }),
    sla: Type.Array(SlaPolicy, { default: [] }),
    /** Apply the default rules of every equipment type (gateway/equipment/; site rules with the same id override them). */
    defaultRules: Type.Boolean({ default: true }),
    /** Webhooks, MQTT publications, chat robots and SMS of alarm and work-order events (gateway/notify/). */
    notifications: Type.Object(
      {
        webhooks: Type.Array(
          Type.Object(
            {
              url: Type.String({ pattern: '^https?://' }),
              /** HMAC-SHA256 key of the `X-Signature-256` header. */
              secret: Type.String({ minLength: 1 }),
              /** Event kinds: `alarm`, `work-order`, `escalation`, `owner-message`; all when absent. */
              events: Type.Optional(Type.Array(Type.Union([Type.Literal('alarm'), Type.Literal('work-order'), Type.Literal('escalation'), Type.Literal('owner-message')]))),
            },
            { additionalProperties: false },
          ),
          { default: [] },
        ),
        mqtt: Type.Optional(Type.Object(
          {
            url: Type.String({ pattern: '^mqtts?://' }),
            username: Type.Optional(Type.String()),
            password: Type.Optional(Type.String()),
            /** Topic root; default the site id: `<site>/events/work-order/<id>`. */
            topicPrefix: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        )),
        /** Chat robots (WeCom, DingTalk, Feishu), SMS and routed webhooks (gateway/config/notify.ts). */
        ...ChatNotifyKeys,
      },
      { additionalProperties: false, default: {} },
    ),
    maintenance: Type.Optional(MaintenanceConfig),
    /**
     * Device time (docs/design.md §9): a reading dated more than `futureTolerance` after the gateway's
     * clock is stamped with its arrival time and counted (gateway/pipeline/pipeline.ts); default 5 s.
     */
    deviceClock: Type.Optional(Type.Object(
      { futureTolerance: Type.Optional(Duration) },
      { additionalProperties: false },
    )),
    /** Monthly archive (gateway/archive/): the estate's time zone (IANA, default Asia/Shanghai) and how long a month stays open after its end (default 3d). */
    archive: Type.Optional(Type.Object(
      { timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), grace: Type.Optional(Duration) },
      { additionalProperties: false },
    )),
    /** API and dashboard users (gateway/auth/schema.ts); passwords as scrypt hashes. */
    users: Type.Array(UserConfig, { default: [] }),
    /** Token lifetime, login rate limit, /metrics access, CORS (gateway/auth/schema.ts). */
    auth: AuthConfig,
    /** The site MQTT broker: accounts, ACLs, TLS, limits (gateway/config/broker.ts, broker/README.md). */
    broker: Type.Optional(BrokerConfig),
    /** Events, rollups and commands to and from head office over NATS JetStream (gateway/uplink/README.md). */
    uplink: Type.Optional(UplinkConfig),
    /** Owners' requests from QR codes, follow and feedback links (gateway/config/owner.ts). */
    owner: OwnerConfig,
  },
  { additionalProperties: false },
);
export type SiteConfig = Static<typeof SiteConfig>;
