/**
 * Schema of the site config (one YAML file). Types are derived from the schema, so this file is
 * the reference of every key. Protocol-specific parts (`device.connection`, `device.points`) are
 * owned by each connector folder and checked by `load.ts` after the outer shape is valid.
 */
import { Type, type Static } from '@sinclair/typebox';

export const EquipmentType = Type.Union([
  Type.Literal('elevator'),
  Type.Literal('pump'),
  Type.Literal('power'),
  Type.Literal('fire_panel'),
]);
export type EquipmentType = Static<typeof EquipmentType>;

export const Severity = Type.Union([
  Type.Literal('critical'),
  Type.Literal('major'),
  Type.Literal('minor'),
  Type.Literal('warning'),
]);
export type Severity = Static<typeof Severity>;

/** Work-order categories; each maps to an SLA policy (seed 2.1). */
export const Category = Type.Union([
  Type.Literal('water'),
  Type.Literal('power'),
  Type.Literal('elevator'),
  Type.Literal('fire'),
  Type.Literal('general'),
]);
export type Category = Static<typeof Category>;

/** Durations are written `90s`, `5m`, `1h`, `2d` or as a number of milliseconds. */
export const Duration = Type.Union([Type.String({ pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)$' }), Type.Integer({ minimum: 0 })]);

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', maxLength: 64 });

export const DeviceConfig = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String()),
    type: EquipmentType,
    building: Type.Optional(Type.String()),
    protocol: Type.String({ description: 'one of the registered connectors: modbus, opcua, mqtt' }),
    /** Protocol-specific connection settings; schema in gateway/connectors/<protocol>/schema.ts. */
    connection: Type.Record(Type.String(), Type.Unknown()),
    /** Protocol-specific point map; schema in gateway/connectors/<protocol>/schema.ts. */
    points: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1 }),
    /** Seconds without a reading after which the device counts as offline. */
    staleAfter: Type.Optional(Type.Number({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type DeviceConfig = Static<typeof DeviceConfig>;

/**
 * A threshold rule: scoped to an equipment type (or one device), watches one point.
 * `above`/`below` trip on a number, `equals` on a boolean or state value.
 */
export const RuleConfig = Type.Object(
  {
    id: Id,
    /** Fault name carried by the alarm and the order (dedup key with the device). */
    fault: Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
    equipment: Type.Optional(EquipmentType),
    device: Type.Optional(Id),
    point: Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
    above: Type.Optional(Type.Number()),
    below: Type.Optional(Type.Number()),
    equals: Type.Optional(Type.Union([Type.Boolean(), Type.Number(), Type.String()])),
    /** Value at which an above/below alarm clears again (hysteresis). */
    clear: Type.Optional(Type.Number()),
    /** On-delay: the condition must hold this long before the alarm is raised. */
    for: Type.Optional(Duration),
    severity: Severity,
    category: Category,
    message: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type RuleConfig = Static<typeof RuleConfig>;

/** Response deadlines per category (seed 2.1). */
export const SlaPolicy = Type.Object(
  {
    category: Category,
    /** Initial response deadline, measured from fault time. */
    respondWithin: Duration,
    /** Staff on site deadline (elevator faults: 2 h, seed 2.1). */
    onSiteWithin: Type.Optional(Duration),
    priority: Type.Union([Type.Literal('emergency'), Type.Literal('urgent'), Type.Literal('normal')]),
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

export const SiteConfig = Type.Object(
  {
    site: Type.Object(
      { id: Id, name: Type.String({ minLength: 1 }) },
      { additionalProperties: false },
    ),
    /** Folder for embedded storage (history, alarms, orders). Relative to the config file. */
    dataDir: Type.String({ minLength: 1, default: './data' }),
    http: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
      },
      { additionalProperties: false, default: {} },
    ),
    history: Type.Object(
      {
        /** When present, history goes to this InfluxDB 1.x; otherwise to the embedded store. */
        influx: Type.Optional(InfluxConfig),
        /** Days of raw history kept by the embedded store. */
        retentionDays: Type.Number({ minimum: 1, default: 30 }),
      },
      { additionalProperties: false, default: {} },
    ),
    devices: Type.Array(DeviceConfig, { minItems: 1 }),
    rules: Type.Array(RuleConfig, { default: [] }),
    sla: Type.Array(SlaPolicy, { default: [] }),
  },
  { additionalProperties: false },
);
export type SiteConfig = Static<typeof SiteConfig>;
