/**
 * socket.io link to the gateway: live telemetry, device status, alarms and work orders.
 * socket.io-client reconnects by itself; on every (re)connect the REST lists are fetched again,
 * because events sent while we were away are lost.
 */
import { io, type Socket } from 'socket.io-client';
import { api } from './api.js';
import { endSession, getToken } from './auth.js';
import { toast } from './dom.js';
import { t } from './i18n.js';
import { store } from './store.js';
import type { Alarm, DeviceStatusEvent, TelemetryEvent, WorkOrder } from './types.js';

let socket: Socket | null = null;

export function startLive(): void {
  if (socket) return;
  // The token is read again on every (re)connect, so a new login is picked up.
  socket = io({ path: '/socket.io', reconnectionDelay: 1000, reconnectionDelayMax: 5000, auth: (cb) => cb({ token: getToken() ?? '' }) });
  const s = socket;

  s.on('connect', () => {
    store.setConn('connected');
    void resync();
  });
  s.on('disconnect', (reason) => {
    store.setConn('reconnecting');
    // After a server-side disconnect the client does not retry by itself.
    if (reason === 'io server disconnect') s.connect();
  });
  s.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    store.setConn('reconnecting');
    if (err.data?.code === 'GW_ERR_UNAUTHORIZED') {
      endSession('expired');
      return;
    }
    // Refused by the server (not a network error): socket.io gives up, we do not.
    if (!s.active) setTimeout(() => s.connect(), 5000);
  });

  s.on('telemetry', (batch: TelemetryEvent[] | TelemetryEvent) => {
    store.applyTelemetry(Array.isArray(batch) ? batch : [batch]);
  });
  s.on('device-status', (ev: DeviceStatusEvent) => store.applyStatus(ev));
  s.on('alarm', (a: Alarm) => {
    store.upsertAlarm(a);
    refreshDevicesSoon();
  });
  s.on('work-order', (o: WorkOrder) => {
    store.upsertOrder(o);
    refreshDevicesSoon();
  });
}

/** Close the live link (sign-out, expired session); startLive() opens it again. */
export function stopLive(): void {
  socket?.removeAllListeners();
  socket?.close();
  socket = null;
}

let running: Promise<void> | null = null;
let again = false;

/** Fetch devices, alarms and work orders; calls made while one runs are folded into one more run. */
export function resync(): Promise<void> {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      const [devices, alarms, orders] = await Promise.allSettled([api.devices(), api.alarms(), api.workOrders()]);
      if (devices.status === 'fulfilled') store.setDevices(devices.value);
      if (alarms.status === 'fulfilled') store.setAlarms(alarms.value);
      if (orders.status === 'fulfilled') store.setOrders(orders.value);
      const failed = [devices, alarms, orders].find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) toast(t('error.load', { msg: errorText(failed.reason) }), 'error');
    } while (again);
  })().finally(() => {
    running = null;
  });
  return running;
}

let refreshTimer: ReturnType<typeof setTimeout> | null = null;

/** Alarm and order events change device counters: take the server's numbers shortly after. */
function refreshDevicesSoon(): void {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    api.devices().then(
      (list) => store.setDevices(list),
      () => undefined,
    );
  }, 1000);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
