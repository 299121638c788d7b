/**
 * REST client for the head-office API (same origin). Every call carries the bearer token; a 401
 * ends the session (back to the login page). Errors arrive as `{ statusCode, code, error, message }`
 * and become ApiError with the server's message.
 */
import type { EquipmentTypeView } from '../types.js';
import { ApiError, createSender, type Method } from '../shared/http.js';
import { endSession, getToken, type HqUser } from './auth.js';

export { ApiError };

export type Comm = 'online' | 'offline' | 'never';

export interface SiteSummary {
  site: string;
  name: string;
  code: string;
  /** The estate's own dashboard, when head office knows it. */
  url: string | null;
  comm: Comm;
  lastEventAt: number | null;
  lastSeq: number | null;
  watermark: number | null;
  /** Events head office has not received yet (sequence numbers `from`..`to`). */
  gap: { from: number; to: number } | null;
  devices: number;
  devicesOffline: number;
  activeAlarms: number;
  urgentOpen: number;
  overdue: number;
  /** Share of this month's orders that met their SLA (0..1), null when none were due. */
  slaThisMonth: number | null;
}

export interface HqOrder {
  id: string;
  site: string;
  number: string;
  device: string | null;
  /** The device's equipment type (`pump`, …), null for an order with no device or from an older gateway. */
  equipment: string | null;
  fault: string | null;
  category: string;
  priority: string;
  source: string;
  title: string;
  status: string;
  faultAt: number | null;
  respondBy: number | null;
  onSiteBy: number | null;
  respondedAt: number | null;
  onSiteAt: number | null;
  assignee: string | null;
  overdue: boolean;
  /** The order's page on the estate's own dashboard, or null. */
  url: string | null;
}

export type RankingKpi = 'sla' | 'response' | 'mttr' | 'overdue' | 'backlog' | 'satisfaction';

export interface Ranking {
  month: string;
  kpi: RankingKpi;
  better: 'higher' | 'lower';
  rows: { rank: number; site: string; name: string; value: number | null; orders: number }[];
}

/** One estate's (or the company's) figures for a month; any key may be missing. */
export interface ReportFigures {
  orders?: number | null;
  slaCompliance?: number | null;
  meanResponseMin?: number | null;
  mttrH?: number | null;
  overdue?: number | null;
  backlog?: number | null;
  satisfaction?: number | null;
  escalations?: number | null;
}

export interface Report {
  month: string;
  sites: (ReportFigures & { site: string; name?: string })[];
  company?: ReportFigures;
}

export interface TrendPoint {
  t: number;
  min: number | null;
  mean: number | null;
  max: number | null;
  count: number;
}

export interface Trends {
  equipment: string;
  point: string;
  step: string;
  series: { site: string; device: string; points: TrendPoint[] }[];
}

export type CommandStatus = 'pending' | 'applied' | 'refused';

export interface Command {
  id: string;
  site: string;
  kind: string;
  status: CommandStatus;
  reason: string | null;
  orderId: string | null;
}

export interface NewRequest {
  title: string;
  category: string;
  device?: string;
  description?: string;
}

export interface OrderQuery {
  site?: string;
  category?: string;
  state?: string;
  overdue?: boolean;
  limit?: number;
  offset?: number;
}

const send = createSender({ getToken, onUnauthorized: () => endSession('expired'), blankMessageIsStatus: true });

async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body);
  const text = await res.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, 'bad_json', `${res.status}: not JSON`);
  }
}

/** `?a=1&b=x` from the defined, non-empty entries. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

export const api = {
  login: (username: string, password: string) =>
    request<{ token: string; expiresAt: number; user: HqUser }>('POST', '/api/auth/login', { username, password }),
  sites: () => request<{ sites: SiteSummary[] }>('GET', '/api/sites'),
  orders: (q: OrderQuery) => request<{ total: number; orders: HqOrder[] }>('GET', `/api/orders${query({ ...q })}`),
  ranking: (kpi: RankingKpi, month: string) => request<Ranking>('GET', `/api/ranking${query({ kpi, month })}`),
  report: (month: string) => request<Report>('GET', `/api/report${query({ month })}`),
  equipmentTypes: () => request<EquipmentTypeView[]>('GET', '/api/equipment-types'),
  trends: (equipment: string, point: string, from: number, to: number, step: string) =>
    request<Trends>('GET', `/api/trends${query({ equipment, point, from, to, step })}`),
  newRequest: (site: string, req: NewRequest) => request<{ command: Command }>('POST', `/api/sites/${enc(site)}/requests`, req),
  assign: (orderId: string, assignee: string) => request<{ command: Command }>('POST', `/api/orders/${enc(orderId)}/assign`, { assignee }),
  command: (id: string) => request<Command>('GET', `/api/commands/${enc(id)}`),
  /** Fetch a file with the token and hand it to the browser as a download. */
  async download(path: string, filename: string): Promise<void> {
    const res = await send('GET', path);
    const blob = await res.blob();
    const href = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = href;
    a.download = filename;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  },
};

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
