/** REST client for the gateway (same origin). Errors arrive as `{ code, message }`. */
import { endSession, getToken, type SessionUser } from './auth.js';
import type { Alarm, DeviceView, LedgerEntry, WorkOrder, WorkOrderStatus } from './types.js';
import type { DeviceForecast, Forecast, Health, KpiReport, Plan, PmCompliance } from './types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

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

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  const headers: Record<string, string> = body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  // Token missing or expired: back to the login page (not for the login call itself).
  if (res.status === 401 && path !== '/api/auth/login') endSession('expired');
  if (!res.ok) {
    const e = (data ?? {}) as { code?: unknown; message?: unknown };
    throw new ApiError(
      res.status,
      typeof e.code === 'string' ? e.code : `http_${res.status}`,
      typeof e.message === 'string' ? e.message : `${res.status} ${res.statusText}`,
    );
  }
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  login: (username: string, password: string) =>
    request<{ token: string; expiresAt: number; user: SessionUser }>('POST', '/api/auth/login', { username, password }),
  devices: () => request<DeviceView[]>('GET', '/api/devices'),
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
  kpis: (from: number, to: number) => request<KpiReport>('GET', `/api/kpis?from=${from}&to=${to}`),
  history: (device: string, point: string, from: number, to: number, limit = 1000) =>
    request<HistoryResult>(
      'GET',
      `/api/history?device=${enc(device)}&point=${enc(point)}&from=${from}&to=${to}&limit=${limit}`,
    ),
};
