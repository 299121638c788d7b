/**
 * The shared vocabulary of the gateway: words every layer speaks (severity, work-order category,
 * priority, equipment type id, duration, the alarm-rule shape). It lives in core so that core,
 * equipment descriptors, the config schema and the sinks agree without importing each other.
 * Schemas are TypeBox, so a word is both a run-time check and a static type.
 */
import { Type, type Static } from '@sinclair/typebox';

/** Identifiers of sites, devices, rules and plans. */
export const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', maxLength: 64 });

/** A snake_case name: points, faults, equipment type ids (stored data keeps them, so they never change). */
export const SnakeName = Type.String({ pattern: '^[a-z][a-z0-9_]*$' });

/**
 * An equipment type id (`elevator`, `fire_panel`, or a type the site declares). Open by design:
 * the catalogue of known types (gateway/equipment/) is checked when the config is loaded.
 */
export const EquipmentType = SnakeName;
export type EquipmentType = string;

export const Severity = Type.Union([
  Type.Literal('critical'),
  Type.Literal('major'),
  Type.Literal('minor'),
  Type.Literal('warning'),
]);
export type Severity = Static<typeof Severity>;

/** Work-order categories; each maps to an SLA policy (seed 2.1, docs/service-rules.md). */
export const Category = Type.Union([
  Type.Literal('water'),
  Type.Literal('power'),
  Type.Literal('elevator'),
  Type.Literal('fire'),
  Type.Literal('general'),
  /** Forecast failures: planned work, due before the forecast crossing (docs/design.md §9). */
  Type.Literal('predictive'),
]);
export type Category = Static<typeof Category>;

export const Priority = Type.Union([Type.Literal('emergency'), Type.Literal('urgent'), Type.Literal('normal')]);
export type Priority = Static<typeof Priority>;

/** Durations are written `90s`, `5m`, `1h`, `2d` or as a number of milliseconds. */
export const Duration = Type.Union([Type.String({ pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)$' }), Type.Integer({ minimum: 0 })]);

/** Usage meters the gateway keeps per device (gateway/predict/meters.ts). */
export const MeterName = Type.Union([Type.Literal('run_hours'), Type.Literal('starts'), Type.Literal('trips'), Type.Literal('door_cycles')]);
export type MeterName = Static<typeof MeterName>;
/** The indicator derived from a start meter (starts or trips per running hour), not a device point. */
export const STARTS_PER_HOUR = 'starts_per_hour';

/**
 * The condition and outcome of an alarm rule, without its scope (reference: gateway/alarms/README.md).
 * The kind is exactly one of `above`/`below` (limit, with `clear` hysteresis), `equals` (boolean or
 * state match), `rate` (change per period), `stale` (no update) or `commLost` (device offline).
 * `for` is an on-delay; `repeat` raises only when the condition starts N times within a window.
 */
export const RuleBody = {
  id: Id,
  /** Fault name carried by the alarm and the order (dedup key with the device). */
  fault: SnakeName,
  /** Watched point; optional for `stale` (any point of the device) and `commLost`. */
  point: Type.Optional(SnakeName),
  above: Type.Optional(Type.Number()),
  below: Type.Optional(Type.Number()),
  equals: Type.Optional(Type.Union([Type.Boolean(), Type.Number(), Type.String()])),
  /** Rate of change: trips when the value rose more than `above` (or fell below `below`, negative) within `per`. */
  rate: Type.Optional(Type.Object(
    { above: Type.Optional(Type.Number()), below: Type.Optional(Type.Number()), per: Duration },
    { additionalProperties: false },
  )),
  /** Stale data: no new reading of the point (or of any point of the device) for this long. */
  stale: Type.Optional(Duration),
  /** Comms lost: the device's communication status is offline for this long. */
  commLost: Type.Optional(Duration),
  /** Value at which an above/below (or rate) alarm clears again (hysteresis). */
  clear: Type.Optional(Type.Number()),
  /** On-delay: the condition must hold this long before the alarm is raised. */
  for: Type.Optional(Duration),
  /** Repeat count: raise only when the condition has started `count` times within `within`. */
  repeat: Type.Optional(Type.Object(
    { count: Type.Integer({ minimum: 2 }), within: Duration },
    { additionalProperties: false },
  )),
  severity: Severity,
  /** Overrides the category's priority; `emergency` also applies the emergency deadlines (seed 2.1, DESIGN §1). */
  priority: Type.Optional(Priority),
  message: Type.Optional(Type.String()),
} as const;

/**
 * An alarm rule. Scoped to an equipment type, a tag or one device. Rules with the same `id`
 * override each other per device: device > tag > equipment scope, and a site rule beats a
 * built-in default rule.
 */
export const RuleConfig = Type.Object(
  {
    ...RuleBody,
    equipment: Type.Optional(EquipmentType),
    device: Type.Optional(Id),
    /** Applies to devices carrying this tag (`devices[].tags`). */
    tag: Type.Optional(Type.String()),
    category: Category,
    /** Switches an inherited rule (same id) off for this scope. */
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type RuleConfig = Static<typeof RuleConfig>;

/**
 * One device of the site. `connection` and `points` are protocol-specific: their schemas are owned
 * by each connector folder (gateway/connectors/<protocol>/schema.ts) and checked after this shape.
 */
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
    /**
     * The machine this device is part of (the bearings of one shaft, a pump and its motor, the
     * sensors of one fan): devices of one machine shake together, so the predictor takes a rise
     * that a machine neighbour shows at least twice as strongly as that neighbour's, not this
     * device's wear (gateway/predict/README.md, "Machines").
     */
    machine: Type.Optional(Id),
    /** Free labels that rules can be scoped to (`rule.tag`), for example `booster` or `tower-a`. */
    tags: Type.Optional(Type.Array(Id)),
  },
  { additionalProperties: false },
);
export type DeviceConfig = Static<typeof DeviceConfig>;
