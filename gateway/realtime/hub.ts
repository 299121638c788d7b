/**
 * socket.io fan-out to the dashboard. Telemetry is coalesced (latest value per point) and sent as
 * one `telemetry` batch every 250 ms; `device-status`, `alarm`, `work-order` and `escalation` go
 * out at once.
 * Alarms and orders are life-safety relevant and are never coalesced.
 */
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Alarm, DeviceStatusEvent, EscalationEvent, TelemetryEvent, WorkOrder } from '../core/model.js';
import type { Reading } from '../core/reading.js';
import type { PipelineSink } from '../pipeline/pipeline.js';
import { reasonOf } from '../pipeline/live.js';

const TELEMETRY_MS = 250;

export class RealtimeHub implements PipelineSink {
  readonly name = 'realtime';
  readonly io: Server;
  private pending = new Map<string, TelemetryEvent>();
  private readonly timer: NodeJS.Timeout;

  constructor(server: HttpServer) {
    // CORS stays closed: the dashboard is served from the same origin.
    this.io = new Server(server, { serveClient: false });
    this.timer = setInterval(() => this.flushTelemetry(), TELEMETRY_MS);
    this.timer.unref();
  }

  onReadings(batch: readonly Reading[]): void {
    if (this.io.engine.clientsCount === 0) return;
    for (const r of batch) {
      // The reading itself is the event (a TelemetryEvent plus an optional `reason`): no copy per
      // good reading; a reading that is not good always says why.
      this.pending.set(`${r.device}\u0000${r.point}`, r.quality === 'good' || r.reason !== undefined ? r : { ...r, reason: reasonOf(r) });
    }
  }

  onStatus(event: DeviceStatusEvent): void {
    this.io.emit('device-status', event);
  }

  alarm(alarm: Alarm): void {
    this.io.emit('alarm', alarm);
  }

  workOrder(order: WorkOrder): void {
    this.io.emit('work-order', order);
  }

  /** A deadline that passed unmet (seed 2.1). */
  escalation(event: EscalationEvent): void {
    this.io.emit('escalation', event);
  }

  private flushTelemetry(): void {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.io.emit('telemetry', batch);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.io.disconnectSockets(true);
    // io.close() would also close the HTTP server, which fastify owns.
    this.io.engine.close();
  }
}
