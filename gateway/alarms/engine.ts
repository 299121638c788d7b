/**
 * The alarm engine: a pipeline sink that evaluates rules on every reading (limits, state match,
 * rate of change), on a clock tick (on-delay without new readings, stale data, comms lost, shelve
 * expiry) and on device-status events, and drives the alarm lifecycle (ISA-18.2 states:
 * active_unack → active_ack → normal, or active_unack → cleared_unack → normal; shelving is an
 * orthogonal suppression with an expiry). Listeners (work orders, realtime, history events,
 * notifications) hear every change. See ./README.md.
 */
import { randomUUID } from 'node:crypto';
import type { DeviceConfig, RuleConfig } from '../config/schema.js';
import { Errors } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Alarm, AlarmState, DeviceStatusEvent } from '../core/model.js';
import type { PointValue, Reading } from '../core/reading.js';
import type { PipelineSink } from '../pipeline/pipeline.js';
import type { AlarmRepository } from './repository.js';
import { SampleWindow } from './window.js';
import { compileRules, conditionHolds, rateHolds, seriesKey, type CompiledRule, type RuleSet } from './rules.js';

export type AlarmChange = 'raised' | 'cleared' | 'acked' | 'shelved' | 'unshelved';
export type AlarmListener = (alarm: Alarm, change: AlarmChange) => void;

interface RuleState {
  /** When the condition first held (the fault time); null while it does not hold. */
  since: number | null;
  /** When that reading arrived, by the gateway's clock: the on-delay on tick counts from here. */
  sinceArrived: number;
  /** Time of the newest reading evaluated for which the condition did not hold. */
  lastNormal: number;
  /** Whether the condition held at the last evaluation (repeat onsets, on-delay on tick). */
  holds: boolean;
  /** Whether it held for the newest reading (restored as true with an active alarm). */
  newestHolds: boolean;
  lastValue: PointValue | null;
  /** Start times of the condition within the repeat window. */
  onsets: number[];
  /** Rate rules: samples of the window; the first is the baseline at or before the window start (created on the first one). */
  samples: SampleWindow | null;
  /** The alarm currently active for this rule and device. */
  active: Alarm | null;
  /** From the fault time to the clear of the last alarm cleared by a reading (at start, `replayed` covers it). */
  cleared: { from: number; to: number } | null;
  /** Timestamp of the newest reading evaluated (restored at start from the last transition). */
  lastTs: number;
  /** The last REDELIVERY_MEMORY readings evaluated (ring): time and value, to know a redelivery. */
  seenTs: number[];
  seenValue: PointValue[];
  seenNext: number;
  /**
   * Restored at start: readings up to this time were evaluated by the previous run (it persisted a
   * raise or clear made by a reading this old or newer; devices send in order).
   */
  replayUntil: number;
  /**
   * The readings that raised or cleared this rule's alarms, within LATE_WINDOW_MS of the newest:
   * time → value (null: a clear restored from the database, which keeps no value). A reading seen
   * again with the same time and value is a redelivery however much came in between.
   */
  transitions: Map<number, PointValue | null> | null;
}

/** Fire and trapped passengers (docs/design.md §3, §9): never held back by a time guard. */
export const isLifeSafety = (rule: RuleConfig): boolean => rule.priority === 'emergency' || rule.category === 'fire';

/** How many evaluated readings per rule and device are remembered to recognise a redelivery. */
const REDELIVERY_MEMORY = 16;

/** What a rule knows of one device timeline; a device clock reset starts a new one with these. */
function newTimeline(lastTs: number): Pick<RuleState, 'lastTs' | 'replayUntil' | 'transitions' | 'seenTs' | 'seenValue' | 'seenNext' | 'samples' | 'lastNormal' | 'cleared'> {
  return { lastTs, replayUntil: -Infinity, transitions: null, seenTs: [], seenValue: [], seenNext: 0, samples: null, lastNormal: -Infinity, cleared: null };
}

function remember(s: RuleState, ts: number, value: PointValue): void {
  if (s.seenTs.length < REDELIVERY_MEMORY) {
    s.seenTs.push(ts);
    s.seenValue.push(value);
    return;
  }
  s.seenTs[s.seenNext] = ts;
  s.seenValue[s.seenNext] = value;
  s.seenNext = (s.seenNext + 1) % REDELIVERY_MEMORY;
}

/** The reading that made a raise or clear again: same time and value (a restored clear: same time, condition not holding). */
function transitionAgain(c: CompiledRule, s: RuleState, ts: number, value: PointValue): boolean {
  const was = s.transitions?.get(ts);
  if (was === undefined) return false;
  return was === null ? c.kind === 'rate' || !conditionHolds(c.rule, value, true) : was === value;
}

function recordTransition(s: RuleState, ts: number, value: PointValue): void {
  const transitions = (s.transitions ??= new Map());
  transitions.set(ts, value);
  // Oldest first (arrival order): drop what fell out of the window.
  for (const t of transitions.keys()) {
    if (t >= s.lastTs - LATE_WINDOW_MS) break;
    transitions.delete(t);
  }
}

function seenBefore(s: RuleState, ts: number, value: PointValue): boolean {
  for (let i = 0; i < s.seenTs.length; i++) if (s.seenTs[i] === ts && s.seenValue[i] === value) return true;
  return false;
}

/**
 * The redelivery guard. A reading with the same point, timestamp and value as one a rule has already
 * evaluated is a redelivery (MQTT QoS 1 after a crash or reconnect [MQTT-4.3.2]) and is ignored: it
 * must not replay a fault that was raised and cleared. Nothing else is held back: a reading older
 * than the newest one is evaluated in arrival order, except that it cannot undo a condition the
 * newest reading shows (clear the alarm, restart the on-delay) nor clear an alarm raised after its
 * time, and outside life safety it cannot raise again an alarm already raised and cleared over its
 * time (`withinCleared`). A jump back of more than LATE_WINDOW_MS is taken as a device clock reset (the rule's
 * timeline restarts there). Future-dated readings never reach the rules: the pipeline stamps them
 * with their arrival time (docs/design.md §9), so no device clock can hide a fire alarm behind an
 * earlier reading.
 */
export const LATE_WINDOW_MS = 10 * 60_000;

export interface AlarmEngineOptions {
  /** Default rules of the equipment types (EquipmentCatalogue.defaultRules, gateway/equipment/); site rules with the same id override them. */
  defaults?: readonly RuleConfig[];
  /** Clock (tests pass a fake one). */
  now?: () => number;
}

/** Rules of conditions the gateway watches in itself (uplink backlog, …), not in device data. */
export const SYSTEM_RULE_PREFIX = 'gateway.';

export interface SystemCondition {
  /** `gateway.<something>` */
  rule: string;
  /** What the alarm is shown against (the gateway itself: its site id). */
  device: string;
  fault: string;
  severity: Alarm['severity'];
  category: Alarm['category'];
  message: string;
}

export class AlarmEngine implements PipelineSink {
  readonly name = 'alarms';
  /** Active alarms of system conditions, by `rule\0device`. */
  private readonly system = new Map<string, Alarm>();
  readonly rules: RuleSet;
  private readonly states = new Map<CompiledRule, RuleState>();
  private readonly byId = new Map<string, CompiledRule>();
  private readonly listeners: AlarmListener[] = [];
  /** `rule\0device` → shelved until. */
  private readonly shelves = new Map<string, number>();
  /** Arrival time of the last good reading per device and per series (stale rules). */
  private readonly seen = new Map<string, number>();
  /** Since when each device has not been online (comms-lost rules). */
  private readonly downSince = new Map<string, number>();
  private readonly now: () => number;
  private readonly startedAt: number;
  /** Redelivered readings, and older ones that could not undo the newest, the rules ignored (see LATE_WINDOW_MS). */
  lateReadings = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    rules: readonly RuleConfig[],
    devices: readonly DeviceConfig[],
    private readonly repo: AlarmRepository,
    private readonly log: Logger,
    opts: AlarmEngineOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.rules = compileRules(rules, devices, opts.defaults ?? []);
    for (const c of this.rules.all) {
      this.states.set(c, { since: null, sinceArrived: 0, holds: false, newestHolds: false, lastValue: null, onsets: [], active: null, ...newTimeline(-Infinity) });
      this.byId.set(`${c.rule.id}\u0000${c.device}`, c);
    }
    for (const d of devices) this.downSince.set(d.id, this.startedAt);
    // Restore alarms that were active when the gateway stopped, so a restart raises nothing twice.
    for (const a of repo.active()) {
      const c = this.byId.get(`${a.rule}\u0000${a.device}`);
      if (c) {
        const s = this.states.get(c)!;
        s.active = a;
        s.newestHolds = true;
      } else if (a.rule.startsWith(SYSTEM_RULE_PREFIX)) this.system.set(`${a.rule}\u0000${a.device}`, a);
      else this.clearAlarm(a, this.startedAt); // the rule is gone from the config
    }
    // Readings redelivered after a crash must not raise again what was raised and cleared before it.
    // Only rules whose raise and clear times are reading times: stale and comms-lost rules never
    // see readings, and a repeat rule clears on the gateway's clock, not the device's.
    for (const t of repo.recentTransitions(LATE_WINDOW_MS)) {
      const c = this.byId.get(`${t.rule}\u0000${t.device}`);
      if (!c || c.kind === 'stale' || c.kind === 'commLost' || c.repeatCount > 0) continue;
      const s = this.states.get(c)!;
      const transitions = (s.transitions ??= new Map());
      transitions.set(t.raisedAt, t.value);
      if (t.clearedAt !== null) transitions.set(t.clearedAt, null);
      s.replayUntil = Math.max(s.replayUntil, t.raisedAt, t.clearedAt ?? -Infinity);
      s.lastTs = s.replayUntil;
    }
    for (const s of repo.shelves(this.startedAt)) this.shelves.set(`${s.rule}\u0000${s.device}`, s.until);
  }

  onAlarm(listener: AlarmListener): void {
    this.listeners.push(listener);
  }

  /** Run `tick()` every `ms` (on-delays without new readings, stale, comms lost, shelve expiry). */
  startTimer(ms = 1000): void {
    this.timer ??= setInterval(() => this.tick(), ms);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  onReadings(batch: readonly Reading[]): void {
    const byDevicePoint = this.rules.byDevicePoint;
    const staleByDevice = this.rules.staleByDevice;
    const watchSeen = staleByDevice.size > 0;
    let arrived = 0;
    // The readings of one message share their device: look its rules up once per run.
    let device: string | undefined;
    let points: Map<string, CompiledRule[]> | undefined;
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      if (r.quality !== 'good' || r.value === null) continue;
      const stale = watchSeen ? staleByDevice.get(r.device) : undefined;
      if (stale) {
        arrived ||= this.now();
        this.seen.set(r.device, arrived);
        this.seen.set(seriesKey(r.device, r.point), arrived);
        for (const c of stale) {
          if (c.rule.point && c.rule.point !== r.point) continue;
          const s = this.states.get(c)!;
          s.holds = false;
          s.since = null;
          if (s.active) this.clear(s, r.ts);
        }
      }
      if (r.device !== device) {
        device = r.device;
        points = byDevicePoint.get(device);
      }
      const rules = points?.get(r.point);
      if (!rules) continue;
      for (let j = 0; j < rules.length; j++) {
        const c = rules[j]!;
        if (c.kind !== 'stale') this.evaluate(c, r.value, r.ts);
      }
    }
  }

  onStatus(event: DeviceStatusEvent): void {
    if (event.comm === 'online') {
      this.downSince.delete(event.device);
      for (const c of this.rules.byDevice.get(event.device) ?? []) {
        if (c.kind !== 'commLost') continue;
        const s = this.states.get(c)!;
        s.holds = false;
        s.since = null;
        if (s.active) this.clear(s, event.ts);
      }
    } else if (!this.downSince.has(event.device)) {
      this.downSince.set(event.device, event.ts);
    }
  }

  private evaluate(c: CompiledRule, value: PointValue, ts: number): void {
    const s = this.states.get(c)!;
    let older = false;
    if (ts <= s.lastTs) {
      // A clock reset first: what the old timeline remembers says nothing about the new one (a
      // panel that boots at a fixed epoch dates its next fire at a time its last boot used).
      if (s.lastTs - ts > LATE_WINDOW_MS) {
        this.log.warn({ device: c.device, rule: c.rule.id, ts, last: s.lastTs }, 'reading far older than the previous one; taken as a device clock reset');
        // Its rate samples go too: a rate over two timelines is no rate (and would never expire).
        Object.assign(s, newTimeline(ts));
      } else if (seenBefore(s, ts, value) || transitionAgain(c, s, ts, value) || this.replayed(c, s, ts)) {
        this.lateReadings++;
        return;
      } else if (s.active && ts < s.active.raisedAt) {
        // Dated before the fault the active alarm reports began: it cannot clear it (a broker
        // that delivers out of order would otherwise clear an alarm with an older "normal").
        this.lateReadings++;
        return;
      }
      older = ts < s.lastTs;
    } else {
      s.lastTs = ts;
    }
    remember(s, ts, value);
    let holds: boolean;
    if (c.kind === 'rate') {
      if (typeof value !== 'number') return;
      const samples = (s.samples ??= new SampleWindow());
      const last = samples.length - 1;
      if (!older) {
        if (last < 0 || samples.valueAt(last) !== value) samples.push(ts, value);
      } else {
        // A late reading goes in time order; the window still ends with the newest value (an
        // unchanged value is kept only at its first time, so it is stored again at the newest).
        if (last >= 0 && samples.tsAt(last) < ts) samples.push(s.lastTs, samples.valueAt(last));
        samples.insert(ts, value);
      }
      while (samples.length > 1 && samples.tsAt(1) <= s.lastTs - c.windowMs) samples.shift();
      const change = samples.valueAt(samples.length - 1) - samples.valueAt(0);
      holds = samples.length > 1 && rateHolds(c.rule, change, s.active !== null);
    } else {
      holds = conditionHolds(c.rule, value, s.active !== null);
    }
    if (older && !holds && s.newestHolds && c.repeatCount === 0) {
      // An older "normal" cannot undo what the newest reading shows: it neither clears the alarm
      // nor restarts the on-delay (a broker that delivers its stored queue after live messages).
      // A repeat rule still needs it: it separates the onsets it counts.
      s.lastNormal = Math.max(s.lastNormal, ts);
      this.lateReadings++;
      return;
    }
    if (older && holds && !s.active && this.withinCleared(c, s, ts)) {
      this.lateReadings++;
      return;
    }
    if (!older) s.newestHolds = holds;
    s.lastValue = value;
    const before = s.active;
    this.update(c, s, holds, ts);
    if (s.active === before) return;
    recordTransition(s, ts, value);
    if (before && !s.active) s.cleared = { from: before.raisedAt, to: ts };
  }

  /**
   * Whether a reading is one the previous run evaluated before a restart, for a rule that is not
   * life-safety: it is dated at or before the last persisted transition (within LATE_WINDOW_MS).
   * A life-safety rule drops only the very readings that raised or cleared (`transitionAgain`).
   */
  private replayed(c: CompiledRule, s: RuleState, ts: number): boolean {
    return !isLifeSafety(c.rule) && ts <= s.replayUntil && s.replayUntil - ts <= LATE_WINDOW_MS;
  }

  /**
   * Whether an older reading in alarm is dated within the rule's last alarm, raised and cleared
   * since: that fault again (a controller repeating its value, the stored repeat delivered after
   * the clear). Not for a life-safety rule, which only drops the very readings (`transitionAgain`),
   * nor a repeat rule, whose onsets are not one span.
   */
  private withinCleared(c: CompiledRule, s: RuleState, ts: number): boolean {
    return !isLifeSafety(c.rule) && c.repeatCount === 0 && s.cleared !== null && ts >= s.cleared.from && ts < s.cleared.to;
  }

  /** Applies a fresh evaluation of the condition: on-delay, repeat count, raise or clear. */
  private update(c: CompiledRule, s: RuleState, holds: boolean, ts: number): void {
    const started = holds && !s.holds;
    s.holds = holds;
    if (c.repeatCount > 0) {
      if (started) s.onsets.push(ts);
      while (s.onsets.length > 0 && s.onsets[0]! < ts - c.repeatMs) s.onsets.shift();
      const enough = s.onsets.length >= c.repeatCount;
      if (enough && !s.active) this.raise(c, s, s.onsets[0]!, ts);
      else if (!enough && !holds && s.active) this.clear(s, ts);
      return;
    }
    if (holds) {
      // An older reading that holds moves the fault's start back, unless a "normal" came between
      // (a queue that arrives newest first); the on-delay then runs to the newest reading.
      if (s.since === null) s.sinceArrived = this.now();
      if (s.since === null || (ts < s.since && ts > s.lastNormal)) s.since = ts;
      const upTo = s.newestHolds ? Math.max(ts, s.lastTs) : ts;
      if (!s.active && upTo - s.since >= c.onDelayMs) this.raise(c, s, s.since, ts);
    } else {
      s.lastNormal = Math.max(s.lastNormal, ts);
      s.since = null;
      if (s.active) this.clear(s, ts);
    }
  }

  /** Time-driven checks. Called every second by the timer; tests call it with a fake clock. */
  tick(now = this.now()): void {
    for (const c of this.rules.all) {
      const s = this.states.get(c)!;
      if (c.kind === 'stale') {
        const ref = this.seen.get(c.rule.point ? seriesKey(c.device, c.rule.point) : c.device) ?? this.startedAt;
        if (now - ref >= c.windowMs && !s.active) {
          s.holds = true;
          this.raise(c, s, ref + c.windowMs, now);
        }
      } else if (c.kind === 'commLost') {
        const since = this.downSince.get(c.device);
        if (since !== undefined && now - since >= c.windowMs && !s.active) {
          s.holds = true;
          this.raise(c, s, since, now);
        }
      } else if (c.repeatCount > 0) {
        if (s.active && !s.holds) {
          while (s.onsets.length > 0 && s.onsets[0]! < now - c.repeatMs) s.onsets.shift();
          if (s.onsets.length < c.repeatCount) this.clear(s, now);
        }
      } else if (s.holds && !s.active && s.since !== null && c.onDelayMs > 0 && now - s.sinceArrived >= c.onDelayMs) {
        // The condition still holds but the point sends only on change: the on-delay ends by the
        // clock, counted from the arrival (a device clock that runs behind cannot shorten it).
        this.raise(c, s, s.since, now);
      }
    }
    for (const [key, until] of this.shelves) {
      if (until > now) continue;
      this.shelves.delete(key);
      const c = this.byId.get(key);
      const s = c && this.states.get(c);
      if (s?.active?.shelvedUntil) {
        const unshelved: Alarm = { ...s.active, shelvedUntil: null };
        this.repo.unshelve(unshelved.id);
        s.active = unshelved;
        this.emit(unshelved, 'unshelved');
      }
    }
  }

  private raise(c: CompiledRule, s: RuleState, faultAt: number, ts: number): void {
    const { rule } = c;
    const shelvedUntil = this.shelves.get(`${rule.id}\u0000${c.device}`);
    const alarm: Alarm = {
      id: randomUUID(),
      site: this.repo.site,
      device: c.device,
      rule: rule.id,
      fault: rule.fault,
      severity: rule.severity,
      category: rule.category,
      message: rule.message ?? `${rule.fault} on ${c.device}`,
      state: 'active_unack',
      value: s.lastValue,
      raisedAt: faultAt,
      clearedAt: null,
      ackedAt: null,
      ackedBy: null,
      workOrderId: null,
      shelvedUntil: shelvedUntil !== undefined && shelvedUntil > ts ? shelvedUntil : null,
    };
    this.repo.insert(alarm);
    s.active = alarm;
    this.log.warn({ alarm: alarm.id, device: alarm.device, fault: alarm.fault, value: alarm.value, shelved: Boolean(alarm.shelvedUntil) }, 'alarm raised');
    this.emit(alarm, 'raised');
  }

  private clear(s: RuleState, ts: number): void {
    const alarm = s.active!;
    s.active = null;
    s.onsets = [];
    this.clearAlarm(alarm, ts);
  }

  private clearAlarm(alarm: Alarm, ts: number): void {
    const next: AlarmState = alarm.state === 'active_ack' ? 'normal' : 'cleared_unack';
    const cleared: Alarm = { ...alarm, state: next, clearedAt: ts };
    this.repo.update(cleared);
    this.log.info({ alarm: alarm.id, device: alarm.device, fault: alarm.fault }, 'alarm cleared');
    this.emit(cleared, 'cleared');
  }

  /**
   * Raises (holds = true) or clears the alarm of a condition the gateway watches in itself, with
   * the same lifecycle, listeners and work order as a device alarm. Idempotent either way.
   */
  systemCondition(c: SystemCondition, holds: boolean, value: PointValue | null, now = this.now()): void {
    if (!c.rule.startsWith(SYSTEM_RULE_PREFIX)) throw Errors.BAD_REQUEST(`system rules start with ${SYSTEM_RULE_PREFIX}`);
    const key = `${c.rule}\u0000${c.device}`;
    const active = this.system.get(key);
    if (holds && !active) {
      const alarm: Alarm = {
        id: randomUUID(), site: this.repo.site, device: c.device, rule: c.rule, fault: c.fault, severity: c.severity,
        category: c.category, message: c.message, state: 'active_unack', value, raisedAt: now, clearedAt: null,
        ackedAt: null, ackedBy: null, workOrderId: null, shelvedUntil: null,
      };
      this.repo.insert(alarm);
      this.system.set(key, alarm);
      this.log.warn({ alarm: alarm.id, rule: c.rule, value }, 'system alarm raised');
      this.emit(alarm, 'raised');
    } else if (!holds && active) {
      this.system.delete(key);
      this.clearAlarm(this.repo.get(active.id) ?? active, now);
    }
  }

  /** Rule id the engine knows for a priority override (`rule.priority`), or undefined. */
  ruleOf(ruleId: string, device: string): RuleConfig | undefined {
    return this.byId.get(`${ruleId}\u0000${device}`)?.rule;
  }

  acknowledge(id: string, by: string, comment: string | undefined, now = this.now()): Alarm {
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
    const c = this.byId.get(`${alarm.rule}\u0000${alarm.device}`);
    const s = c && this.states.get(c);
    if (s?.active?.id === id) s.active = acked;
    this.emit(acked, 'acked');
    return acked;
  }

  /**
   * Shelve (ISA-18.2): suppress the alarm's rule on its device until `until`. While shelved, new
   * alarms of the rule are recorded but raise no order and no notification; at expiry a still
   * active alarm is annunciated again (`unshelved`).
   */
  shelve(id: string, until: number, by: string, comment: string | undefined, now = this.now()): Alarm {
    const alarm = this.repo.get(id);
    if (!alarm) throw Errors.NOT_FOUND(`alarm ${id}`);
    if (until <= now) throw Errors.BAD_REQUEST('body.until must be in the future');
    const key = `${alarm.rule}\u0000${alarm.device}`;
    this.shelves.set(key, until);
    const shelved: Alarm = { ...alarm, shelvedUntil: until };
    this.repo.shelve(id, until, by, comment ?? null);
    const c = this.byId.get(key);
    const s = c && this.states.get(c);
    if (s?.active?.id === id) s.active = { ...s.active, shelvedUntil: until };
    this.emit(shelved, 'shelved');
    return shelved;
  }

  unshelve(id: string, now = this.now()): Alarm {
    const alarm = this.repo.get(id);
    if (!alarm) throw Errors.NOT_FOUND(`alarm ${id}`);
    const key = `${alarm.rule}\u0000${alarm.device}`;
    if (this.shelves.has(key)) this.shelves.set(key, now);
    this.tick(now);
    this.repo.unshelve(id);
    return { ...this.repo.get(id)!, shelvedUntil: null };
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
