/**
 * Who may call what: one table, method + route pattern → minimum role. Checked for every request
 * under /api by plugin.ts before the body is even parsed.
 *
 * Roles are ordered viewer < technician < dispatcher < admin. `public` needs no token.
 * `own: 'work-order'`: below dispatcher, only the order's assignee may call it (a technician moves
 * only orders assigned to them, and cannot hand them to someone else).
 *
 * A route missing from the table falls back to: GET/HEAD → viewer, anything else → admin
 * (fail closed). Add new routes here; startup logs every /api route that uses the fallback.
 */
import type { Role } from '../../auth/schema.js';

export type Access = 'public' | Role | { role: Role; own: 'work-order' };

export const POLICY: Readonly<Record<string, Access>> = {
  'POST /api/auth/login': 'public',
  'GET /api/auth/me': 'viewer',
  // Minimal status for anyone (load balancers, docker healthcheck); components with a token.
  'GET /api/health': 'public',

  'GET /api/devices': 'viewer',
  'GET /api/devices/:id': 'viewer',
  'GET /api/equipment-types': 'viewer',
  'GET /api/history': 'viewer',
  'GET /api/history.csv': 'viewer',
  'GET /api/events': 'viewer',
  'GET /api/alarms': 'viewer',
  'GET /api/alarms/:id': 'viewer',
  'POST /api/alarms/:id/ack': 'technician',
  'POST /api/alarms/:id/shelve': 'dispatcher',
  'POST /api/alarms/:id/unshelve': 'dispatcher',
  'GET /api/work-orders': 'viewer',
  'GET /api/work-orders/:id': 'viewer',
  'POST /api/work-orders': 'dispatcher',
  'POST /api/work-orders/:id/transition': { role: 'technician', own: 'work-order' },
  'GET /api/work-orders/:id/ledger': 'viewer',
  'POST /api/work-orders/:id/ledger': { role: 'technician', own: 'work-order' },
  'POST /api/work-orders/:id/assign': 'dispatcher',
  // Photos of the work (seed 2.2), like ledger entries: technicians on their own orders.
  'GET /api/work-orders/:id/photos': 'viewer',
  'GET /api/work-orders/:id/photos/:photo': 'viewer',
  'POST /api/work-orders/:id/photos': { role: 'technician', own: 'work-order' },
  'GET /api/kpis': 'viewer',
  'GET /api/kpis.csv': 'viewer',
  'GET /api/kpis/report': 'viewer',
  'GET /api/archive': 'viewer',
  'GET /api/archive/:month': 'viewer',
  'GET /api/archive/:month.xlsx': 'viewer',
  'GET /api/predict/meters': 'viewer',
  'GET /api/predict/health': 'viewer',
  'GET /api/predict/forecasts': 'viewer',
  'GET /api/predict/baselines': 'viewer',
  'GET /api/predict/plans': 'viewer',
  'GET /api/predict/compliance': 'viewer',
  'GET /api/predict/orders': 'viewer',
  'GET /api/devices/:id/meters': 'viewer',
  'GET /api/devices/:id/forecast': 'viewer',
  'GET /api/maintenance': 'viewer',
  'POST /api/predict/plans/:plan/done': 'technician',
  'GET /api/uplink': 'viewer',
  'POST /api/uplink/replay': 'admin',
  // Owners (gateway/api/owner.ts): the public pages' API works with signed tokens, limited per address.
  'GET /api/owner/codes/:token': 'public',
  'POST /api/owner/requests': 'public',
  'GET /api/owner/follow/:token': 'public',
  'GET /api/owner/feedback/:token': 'public',
  'POST /api/owner/feedback/:token': 'public',
  'GET /api/owner-codes': 'dispatcher',
  'GET /api/work-orders/:id/owner': 'dispatcher',
  'GET /api/work-orders/:id/owner/photo': 'technician',
  'POST /api/work-orders/:id/owner-notes': { role: 'technician', own: 'work-order' },
};

export function accessFor(method: string, route: string): { access: Access; fallback: boolean } {
  const explicit = POLICY[`${method} ${route}`] ?? (method === 'HEAD' ? POLICY[`GET ${route}`] : undefined);
  if (explicit) return { access: explicit, fallback: false };
  return { access: method === 'GET' || method === 'HEAD' ? 'viewer' : 'admin', fallback: true };
}

export function minRole(access: Access): Role | 'public' {
  return typeof access === 'string' ? access : access.role;
}
