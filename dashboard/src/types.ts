/** The gateway's outward shapes, as types only (erased from the bundle). */
export type {
  Alarm,
  AlarmState,
  DeviceStatusEvent,
  DeviceView,
  LedgerEntry,
  PointView,
  Priority,
  TelemetryEvent,
  WorkOrder,
  WorkOrderStatus,
} from '../../gateway/core/model.js';
export type { CommStatus, PointValue, Quality } from '../../gateway/core/reading.js';
export type { Forecast } from '../../gateway/predict/forecaster.js';
export type { KpiReport } from '../../gateway/workorders/kpis.js';
export type { MonthlyReport } from '../../gateway/archive/report.js';

import type { Forecast, HealthView, PlanView, ComplianceView } from '../../gateway/predict/views.js';

/** `GET /api/predict/health`: one row per device; score 0–100 (null while learning). */
export type Health = HealthView;

/** `GET /api/devices/:id/forecast`. */
export interface DeviceForecast {
  device: string;
  health: Health | undefined;
  forecasts: Forecast[];
}

/** `GET /api/predict/plans`: a preventive plan on one device. */
export type Plan = PlanView;

/** `GET /api/predict/compliance`. */
export type PmCompliance = ComplianceView;

import type { DeviceView, WorkOrderStatus } from '../../gateway/core/model.js';

export type { EquipmentTypeView } from '../../gateway/core/model.js';

/** Allowed next steps of a work order: the server's own lifecycle table (the server has the last word). */
export { TRANSITIONS as NEXT_STATUS } from '../../gateway/workorders/lifecycle.js';

/** Whether an order is open (not closed, not cancelled): the server's own definition. */
export { isOpen } from '../../gateway/core/model.js';
