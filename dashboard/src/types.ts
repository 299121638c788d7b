/** The gateway's outward shapes, as types only (erased from the bundle). */
export type {
  Alarm,
  AlarmState,
  DeviceStatusEvent,
  DeviceView,
  PointView,
  Priority,
  TelemetryEvent,
  WorkOrder,
  WorkOrderStatus,
} from '../../gateway/core/model.js';
export type { CommStatus, PointValue, Quality } from '../../gateway/core/reading.js';

import type { DeviceView, WorkOrderStatus } from '../../gateway/core/model.js';

export type EquipmentType = DeviceView['type'];

/** Allowed next steps of a work order (mirrors the server's lifecycle; the server has the last word). */
export const NEXT_STATUS: Record<WorkOrderStatus, WorkOrderStatus[]> = {
  new: ['accepted', 'cancelled'],
  accepted: ['dispatched', 'cancelled'],
  dispatched: ['on_site', 'cancelled'],
  on_site: ['resolved'],
  resolved: ['closed'],
  closed: [],
  cancelled: [],
};

export function isOpenOrder(status: WorkOrderStatus): boolean {
  return status !== 'closed' && status !== 'cancelled';
}
