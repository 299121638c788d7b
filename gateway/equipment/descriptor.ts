/**
 * What the gateway knows about one kind of equipment: one descriptor per type (README.md).
 * The descriptor is a TypeBox schema as well as a type, so a type a site declares in its YAML
 * (`equipmentTypes:`) is checked against the very shape the built-in types are written in.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Category, Duration, EquipmentType, Id, MeterName, RuleBody, SnakeName } from '../core/vocabulary.js';

/** A name in both display languages of the dashboard. */
export const Labels = Type.Object(
  { 'zh-CN': Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);
export type Labels = Static<typeof Labels>;

/**
 * One point of the type's vocabulary. `number` is an analogue value in `unit`; `boolean` a
 * contact or flag; `state` a small integer or string code (door state, direction, fault code).
 * A boolean fault contact (`fire_alarm`, `pump_fail`) says `alertWhenTrue`, so the dashboards show
 * its `true` in red; a status flag (`running`, `enabled`) does not.
 */
export const PointSpec = Type.Object(
  {
    name: SnakeName,
    kind: Type.Union([Type.Literal('number'), Type.Literal('boolean'), Type.Literal('state')]),
    /** Engineering unit of a `number` point (`MPa`, `°C`, `mm/s`); a device point may restate it. */
    unit: Type.Optional(Type.String({ minLength: 1 })),
    label: Labels,
    /** A `boolean` point whose `true` is bad news (a fault or alarm contact): shown in red. Default false. */
    alertWhenTrue: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type PointSpec = Static<typeof PointSpec>;

/** A fault an alarm or order of this type can carry (rule `fault`). */
export const FaultSpec = Type.Object({ name: SnakeName, label: Labels }, { additionalProperties: false });
export type FaultSpec = Static<typeof FaultSpec>;

/**
 * A default alarm rule of the type. Its scope is the type (`equipment` is filled in by the
 * catalogue); `category` defaults to the type's. A site rule with the same `id` overrides it.
 */
export const TypeRule = Type.Object(
  { ...RuleBody, category: Type.Optional(Category) },
  { additionalProperties: false },
);
export type TypeRule = Static<typeof TypeRule>;

/**
 * Meters derived from raw signals (gateway/predict/meters.ts), for devices that have the signal
 * (`running`, `door_state`). A device counter point of the meter's name always wins over the derivation.
 */
export const DerivedMeters = Type.Object(
  {
    /**
     * The meter a `running` false→true edge adds one to, and whose last-hour count is the start
     * rate (`starts_per_hour`): `trips` for an elevator, `starts` (the default) for a pump.
     */
    runningStart: Type.Optional(Type.Union([Type.Literal('starts'), Type.Literal('trips')])),
    /** Integrate the time `running` is true into `run_hours` (default true). */
    runHours: Type.Optional(Type.Boolean()),
    /** Count each change of `door_state` to closed (0) as a door cycle (default true). */
    doorCycles: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type DerivedMeters = Static<typeof DerivedMeters>;

/**
 * A preventive-maintenance plan: by calendar (`every`, `grace`, `lead` as durations) or by meter
 * (`meter`, `everyUnits`, `graceUnits`, `leadUnits`). Reference: gateway/predict/README.md.
 */
export const PlanSpec = Type.Object(
  {
    id: Id,
    title: Type.String({ minLength: 1 }),
    every: Type.Optional(Duration),
    grace: Type.Optional(Duration),
    lead: Type.Optional(Duration),
    meter: Type.Optional(MeterName),
    everyUnits: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    graceUnits: Type.Optional(Type.Number({ minimum: 0 })),
    leadUnits: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type PlanSpec = Static<typeof PlanSpec>;

/** A predictive indicator: a point whose trend is forecast against its limit (gateway/predict/README.md). */
export const IndicatorSpec = Type.Object(
  {
    /** Point name, or `starts_per_hour` (derived from the start meter). */
    point: SnakeName,
    /** Alarm (danger) limit: the alarm rule fires here (ISO 10816-3 zone C/D for vibration). */
    limit: Type.Number(),
    /**
     * Alert limit: where planned remedial work must exist (ISO 10816-3 zone B/C). A prediction order
     * forecasts this crossing. Absent: the alarm limit.
     */
    alert: Type.Optional(Type.Number()),
    /** Only samples taken while the device runs count (a running pump is not an idle pump). */
    state: Type.Union([Type.Literal('running'), Type.Literal('any')]),
    /** Floor of the baseline σ, so a flat baseline does not make every wiggle an anomaly (default 0). */
    minSigma: Type.Optional(Type.Number({ minimum: 0 })),
    /** Judge the daily peak hours, not the typical hour (a transformer fails at the evening peak). */
    peak: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type IndicatorSpec = Static<typeof IndicatorSpec>;

/** What a dashboard tile of the type shows, and where the type sorts among the others. */
export const TileSpec = Type.Object(
  {
    /** Points shown on the tile, in this order. */
    points: Type.Array(SnakeName),
    /** Sort order of the type on the dashboard (lower first). */
    order: Type.Number(),
  },
  { additionalProperties: false },
);
export type TileSpec = Static<typeof TileSpec>;

/** The sort order of a type without a tile: after the others (which then show their first three points). */
export const NO_TILE_ORDER = 1000;

export const EquipmentDescriptor = Type.Object(
  {
    /** The type id devices and rules name (`type: pump`); kept stable because stored data carries it. */
    id: EquipmentType,
    label: Labels,
    /** Where such equipment stands (`pump room`), for the place on an owner's request label; default the type label. */
    place: Type.Optional(Labels),
    /** SLA category of the type's faults (seed 2.1): its rules default to it. */
    category: Category,
    points: Type.Array(PointSpec),
    faults: Type.Array(FaultSpec),
    rules: Type.Array(TypeRule),
    meters: Type.Optional(DerivedMeters),
    /** Preventive plans applied to every device of the type unless the site configures its own. */
    plans: Type.Optional(Type.Array(PlanSpec)),
    indicators: Type.Optional(Type.Array(IndicatorSpec)),
    tile: Type.Optional(TileSpec),
  },
  { additionalProperties: false },
);
/** One equipment type, built in (gateway/equipment/<type>/) or declared by a site. */
export type EquipmentDescriptor = Static<typeof EquipmentDescriptor>;
