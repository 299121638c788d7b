/** REST client for the gateway (same origin). Errors arrive as `{ code, message }`. */
import { endSession, getToken, type SessionUser } from './auth.js';
import { createSender, parseLenient, type Method } from './shared/http.js';
import type { Alarm, DeviceView, LedgerEntry, WorkOrder, WorkOrderStatus } from './types.js';
import type { DeviceForecast, Forecast, Health, KpiReport, Plan, PmCompliance } from './types.js';
import type { EquipmentTypeView, MonthlyReport } from './types.js';

export { ApiError } from './shared/http.js';

export interface HistoryResult {
  device: string;
  point: string;
  /** `raw`, `1m` or `1h` (the server picks the tier from the range). */
  resolution?: string;
  /** Rollup samples carry the bucket's min and max. */
  samples: { ts: number; value: number | boolean | string | null; min?: number; max?: number }[];
}

export interface LedgerInput {
  personnel: string[];
  tools: string[];
  result: string;
  safetyMeasures: string;
}

export interface TransitionExtra {
  note?: string;
  assignee?: string;
  feedback?: { rating: number; comment?: string };
}

const send = createSender({ getToken, onUnauthorized: () => endSession('expired') });

/** The answer as JSON (undefined when empty or not JSON). */
async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body);
  return parseLenient(await res.text()) as T;
}

const enc = encodeURIComponent;

export const api = {
  login: (username: string, password: string) =>
    request<{ token: string; expiresAt: number; user: SessionUser }>('POST', '/api/auth/login', { username, password }),
  devices: () => request<DeviceView[]>('GET', '/api/devices'),
  equipmentTypes: () => request<EquipmentTypeView[]>('GET', '/api/equipment-types'),
  alarms: () => request<Alarm[]>('GET', '/api/alarms'),
  ackAlarm: (id: string, comment: string) => request<Alarm>('POST', `/api/alarms/${enc(id)}/ack`, { comment }),
  workOrders: () => request<WorkOrder[]>('GET', '/api/work-orders'),
  shelveAlarm: (id: string, duration: string, comment?: string) =>
    request<Alarm>('POST', `/api/alarms/${enc(id)}/shelve`, comment ? { duration, comment } : { duration }),
  unshelveAlarm: (id: string) => request<Alarm>('POST', `/api/alarms/${enc(id)}/unshelve`),
  transition: (id: string, to: WorkOrderStatus, extra: TransitionExtra = {}) =>
    request<WorkOrder>('POST', `/api/work-orders/${enc(id)}/transition`, { to, ...extra }),
  workOrder: (id: string) => request<WorkOrder>('GET', `/api/work-orders/${enc(id)}`),
  assign: (id: string, assignee: string) => request<WorkOrder>('POST', `/api/work-orders/${enc(id)}/assign`, { assignee }),
  ledger: (id: string) => request<LedgerEntry[]>('GET', `/api/work-orders/${enc(id)}/ledger`),
  addLedger: (id: string, entry: LedgerInput) => request<LedgerEntry>('POST', `/api/work-orders/${enc(id)}/ledger`, entry),
  deviceForecast: (id: string) => request<DeviceForecast>('GET', `/api/devices/${enc(id)}/forecast`),
  health: () => request<Health[]>('GET', '/api/predict/health'),
  forecasts: () => request<Forecast[]>('GET', '/api/predict/forecasts'),
  plans: () => request<Plan[]>('GET', '/api/predict/plans'),
  pmCompliance: () => request<PmCompliance>('GET', '/api/predict/compliance'),
  /** Monthly report (gateway/archive/): JSON, and the month's workbook as a Blob. */
  monthList: () => request<{ timezone: string; months: { month: string; status: 'open' | 'closed'; sha256: string | null }[] }>('GET', '/api/archive'),
  monthReport: (month: string) => request<MonthlyReport>('GET', `/api/archive/${enc(month)}`),
  monthXlsx: async (month: string) => (await send('GET', `/api/archive/${enc(month)}.xlsx`)).blob(),
  kpis: (from: number, to: number) => request<KpiReport>('GET', `/api/kpis?from=${from}&to=${to}`),
  history: (device: string, point: string, from: number, to: number, limit = 1000) =>
    request<HistoryResult>(
      'GET',
      `/api/history?device=${enc(device)}&point=${enc(point)}&from=${from}&to=${to}&limit=${limit}`,
    ),
};
