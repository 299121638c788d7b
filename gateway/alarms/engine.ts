/**
 * The alarm engine: a pipeline sink that evaluates rules on every reading and drives the alarm
 * lifecycle (ISA-18.2 states: active_unack → active_ack → normal, or active_unack →
 * cleared_unack → normal). Listeners (work orders, realtime, history events) hear every change.
 */
import { randomUUID } from 'node:crypto';
import type { DeviceConfig, RuleConfig } from '../config/schema.js';
import { Errors } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Alarm, AlarmState } from '../core/model.js';
import type { Reading } from '../core/reading.js';
import type { PipelineSink } from '../pipeline/pipeline.js';
import type { AlarmRepository } from './repository.js';
import { compileRules, conditionHolds, seriesKey, type CompiledRule, type RuleIndex } from './rules.js';

export type AlarmChange = 'raised' | 'cleared' | 'acked';
export type AlarmListener = (alarm: Alarm, change: AlarmChange) => void;

interface RuleState {
  /** When the condition first held (the fault time); null while it does not hold. */
  since: number | null;
  /** The alarm currently active for this rule and device. */
  active: Alarm | null;
}

export class AlarmEngine implements PipelineSink {
  readonly name = 'alarms';
  private readonly index: RuleIndex;
  private readonly states = new Map<string, RuleState>();
  private readonly listeners: AlarmListener[] = [];

  constructor(
    rules: readonly RuleConfig[],
    devices: readonly DeviceConfig[],
    private readonly repo: AlarmRepository,
    private readonly log: Logger,
  ) {
    this.index = compileRules(rules, devices);
    // Restore alarms that were active when the gateway stopped, so a restart raises nothing twice.
    for (const a of repo.active()) this.state(a.rule, a.device).active = a;
  }

  onAlarm(listener: AlarmListener): void {
    this.listeners.push(listener);
  }

  private state(rule: string, device: string): RuleState {
    const key = `${rule}\u0000${device}`;
    let s = this.states.get(key);
    if (!s) this.states.set(key, (s = { since: null, active: null }));
    return s;
  }

  onReadings(batch: readonly Reading[]): void {
    for (const r of batch) {
      const rules = this.index.get(seriesKey(r.device, r.point));
      if (!rules || r.quality !== 'good' || r.value === null) continue;
      for (const c of rules) this.evaluate(c, r);
    }
  }

  private evaluate(c: CompiledRule, r: Reading): void {
    const s = this.state(c.rule.id, c.device);
    const holds = conditionHolds(c.rule, r.value!, s.active !== null);
    if (holds) {
      s.since ??= r.ts;
      if (!s.active && r.ts - s.since >= c.onDelayMs) this.raise(c, s, r);
    } else {
      s.since = null;
      if (s.active) this.clear(s, r.ts);
    }
  }

  private raise(c: CompiledRule, s: RuleState, r: Reading): void {
    const { rule } = c;
    const alarm: Alarm = {
      id: randomUUID(),
      device: c.device,
      rule: rule.id,
      fault: rule.fault,
      severity: rule.severity,
      category: rule.category,
      message: rule.message ?? `${rule.fault} on ${c.device}`,
      state: 'active_unack',
      value: r.value,
      raisedAt: s.since ?? r.ts,
      clearedAt: null,
      ackedAt: null,
      ackedBy: null,
      workOrderId: null,
    };
    this.repo.insert(alarm);
    s.active = alarm;
    this.log.warn({ alarm: alarm.id, device: alarm.device, fault: alarm.fault, value: r.value }, 'alarm raised');
    this.emit(alarm, 'raised');
  }

  private clear(s: RuleState, ts: number): void {
    const alarm = s.active!;
    s.active = null;
    const next: AlarmState = alarm.state === 'active_ack' ? 'normal' : 'cleared_unack';
    const cleared: Alarm = { ...alarm, state: next, clearedAt: ts };
    this.repo.update(cleared);
    this.log.info({ alarm: alarm.id, device: alarm.device, fault: alarm.fault }, 'alarm cleared');
    this.emit(cleared, 'cleared');
  }

  acknowledge(id: string, by: string, comment: string | undefined, now = Date.now()): Alarm {
    const alarm = this.repo.get(id);
    if (!alarm) throw Errors.NOT_FOUND(`alarm ${id}`);
    if (alarm.state === 'active_ack' || alarm.state === 'normal') return alarm;
    const acked: Alarm = {
      ...alarm,
      state: alarm.state === 'active_unack' ? 'active_ack' : 'normal',
      ackedAt: now,
      ackedBy: by,
    };
    this.repo.update(acked, comment);
    for (const s of this.states.values()) if (s.active?.id === id) s.active = acked;
    this.emit(acked, 'acked');
    return acked;
  }

  /** Number of active alarms per device (for the device list). */
  activeCount(device: string): number {
    let n = 0;
    for (const s of this.states.values()) if (s.active?.device === device) n++;
    return n;
  }

  private emit(alarm: Alarm, change: AlarmChange): void {
    for (const l of this.listeners) {
      try {
        l(alarm, change);
      } catch (err) {
        this.log.error({ err, alarm: alarm.id }, 'alarm listener failed');
      }
    }
  }
}
