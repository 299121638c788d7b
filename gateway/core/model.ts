/**
 * Shapes the gateway shows to the outside (REST API, socket.io events, dashboard).
 * The dashboard imports these, and the work-order statuses with `isOpen`.
 */
import type { Category, EquipmentType, Priority, Severity } from './vocabulary.js';
import type { CommStatus, PointValue, Quality } from './reading.js';

export interface PointView {
  value: PointValue | null;
  quality: Quality;
  ts: number;
  unit?: string;
  /** Why the quality is not good; present whenever it is not. */
  reason?: string | undefined;
}

/** Device-clock diagnostic (docs/design.md §9): readings dated after the gateway clock, stamped on arrival. */
export interface DeviceClockView {
  futureReadings: number;
  /** How far ahead the last such reading was dated, ms. */
  lastAheadMs: number;
  /** Gateway time of the last such reading. */
  lastAt: number;
}

export interface DeviceView {
  id: string;
  name: string;
  type: EquipmentType;
  building?: string;
  protocol: string;
  comm: CommStatus;
  commReason?: string;
  /** Gateway time the last good reading arrived, epoch ms; null before the first one. */
  lastSeen: number | null;
  /** Present once a reading was dated after the gateway clock. */
  clock?: DeviceClockView;
  points: Record<string, PointView>;
  activeAlarms: number;
  openOrders: number;
}

/** One socket.io `telemetry` event carries a batch of changed values. */
export interface TelemetryEvent {
  device: string;
  point: string;
  value: PointValue | null;
  quality: Quality;
  ts: number;
  /** Why the quality is not good; present whenever it is not. */
  reason?: string;
}

export interface DeviceStatusEvent {
  device: string;
  comm: CommStatus;
  reason?: string;
  ts: number;
}

/** ISA-18.2 style states: active/cleared x unacknowledged/acknowledged. */
export type AlarmState = 'active_unack' | 'active_ack' | 'cleared_unack' | 'normal';

export interface Alarm {
  id: string;
  /** The estate (config `site.id`) the alarm belongs to. */
  site: string;
  device: string;
  rule: string;
  fault: string;
  severity: Severity;
  category: Category;
  message: string;
  state: AlarmState;
  /** Value that tripped the rule. */
  value: PointValue | null;
  raisedAt: number;
  clearedAt: number | null;
  ackedAt: number | null;
  ackedBy: string | null;
  workOrderId: string | null;
  /** Shelved (suppressed, no new orders or notifications) until this time; null when not shelved. */
  shelvedUntil?: number | null;
}

/** Categories a person can raise a request in (owners, the service desk, head office); `predictive` is the system's own. */
export const REQUEST_CATEGORIES = ['water', 'power', 'elevator', 'fire', 'general'] as const satisfies readonly Category[];

/** A work order's lifecycle, in order (`workorders/lifecycle.ts` holds the transitions). */
export const WORK_ORDER_STATUSES = ['new', 'accepted', 'dispatched', 'on_site', 'resolved', 'closed', 'cancelled'] as const;
export type WorkOrderStatus = (typeof WORK_ORDER_STATUSES)[number];
/**
 * Statuses of an open order: the one definition (`isOpen`). A resolved order stays open until it
 * is closed (owner feedback or the desk); closed and cancelled orders have ended.
 */
export const OPEN_STATUSES: readonly WorkOrderStatus[] = ['new', 'accepted', 'dispatched', 'on_site', 'resolved'];
/** Statuses of an order that has ended: every one but `OPEN_STATUSES`. */
export const ENDED_STATUSES: readonly WorkOrderStatus[] = WORK_ORDER_STATUSES.filter((s) => !OPEN_STATUSES.includes(s));

/** Whether an order in `status` is open (not closed, not cancelled). */
export function isOpen(status: string): boolean {
  return (OPEN_STATUSES as readonly string[]).includes(status);
}

export type { Priority };
export type WorkOrderSource = 'alarm' | 'manual' | 'prediction' | 'preventive';

export interface WorkOrder {
  id: string;
  /** The estate (config `site.id`) the order belongs to. */
  site: string;
  /** Human-readable number, unique in the company: WO-<estate code>-YYYYMMDD-NNNN. */
  number: string;
  device: string | null;
  fault: string;
  category: Category;
  priority: Priority;
  source: WorkOrderSource;
  title: string;
  status: WorkOrderStatus;
  /** Fault time: the SLA clock starts here, not at creation (seed 2.1). */
  faultAt: number;
  createdAt: number;
  updatedAt: number;
  /** Deadline of the initial response (seed 2.1: 24 h; water/power 1 h). */
  respondBy: number;
  /** Deadline for staff on site (seed 2.1: elevator 2 h); null when the policy has none. */
  onSiteBy: number | null;
  respondedAt: number | null;
  onSiteAt: number | null;
  /** How many times the fault occurred while this order was open. */
  occurrences: number;
  assignee: string | null;
  /** When the order reached `resolved` (MTTR); null before. */
  resolvedAt?: number | null;
  /** When the order was closed or cancelled; null while open. */
  closedAt?: number | null;
  /** Due date of a preventive order (PM compliance); null for corrective orders. */
  dueAt?: number | null;
  /** Owner feedback given on close (seed 2.3). */
  feedback?: WorkOrderFeedback | null;
  /** What a prediction or plan saw (free JSON, updated while the order is open). */
  evidence?: Record<string, unknown> | null;
}

export interface WorkOrderFeedback {
  /** 1 (poor) to 5 (excellent). */
  rating: number;
  comment: string | null;
  at: number;
}

/** Execution ledger entry (seed 2.2: time, personnel, tools, result, safety measures). */
export interface LedgerEntry {
  seq: number;
  site: string;
  orderId: string;
  /** When the work was done (epoch ms). */
  time: number;
  personnel: string[];
  tools: string[];
  result: string;
  safetyMeasures: string;
  recordedAt: number;
  recordedBy: string;
}

/** socket.io `escalation`: a deadline of an open order passed unmet (once per deadline). */
export interface EscalationEvent {
  site: string;
  orderId: string;
  number: string;
  device: string | null;
  category: Category;
  priority: Priority;
  deadline: 'respond' | 'on_site';
  dueAt: number;
  ts: number;
}

/** A name in both display languages. */
export interface LabelsView {
  'zh-CN': string;
  en: string;
}

/**
 * One equipment type as the dashboard needs it (`GET /api/equipment-types`): labels of the type,
 * its points and faults, and what its tile shows. Built-in and site-declared types alike.
 */
export interface EquipmentTypeView {
  id: EquipmentType;
  label: LabelsView;
  category: Category;
  /** `alertWhenTrue`: a boolean point whose `true` is bad news, shown in red (present only when set). */
  points: Array<{ name: string; kind: 'number' | 'boolean' | 'state'; unit?: string; label: LabelsView; alertWhenTrue?: boolean }>;
  faults: Array<{ name: string; label: LabelsView }>;
  /** Points a tile shows, in order, and the type's sort order on the dashboard. */
  tile: { points: string[]; order: number };
}
