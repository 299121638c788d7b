/**
 * The predict room: a pipeline sink that derives meters (meters.ts), aggregates health indicators
 * per hour and operating state (series.ts), learns robust baselines, runs drift detectors, asks the
 * pure forecaster (forecaster.ts) for the time to the alert and alarm limits, and raises prediction
 * work orders. Preventive plans are the scheduler's (scheduler.ts); what it shows, views.ts.
 *
 * Time comes from the readings (the newest reading timestamp is "now"), never from the wall clock,
 * so the same code runs live and in the accelerated evaluation (bench/eval-predict.ts).
 */
import type { SiteConfig } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { WorkOrder } from '../core/model.js';
import type { Reading } from '../core/reading.js';
import type { PipelineSink } from '../pipeline/pipeline.js';
import { siteCatalogue } from '../config/equipment.js';
import { indicatorsFor, plansFor, resolveSettings, type IndicatorSpec, type MeterName, type PredictSettings } from './config.js';
import { fitForecast, fmt, type Forecast } from './forecaster.js';
import { DeviceMeters, METERS } from './meters.js';
import type { OrderPort } from './orders.js';
import { isOpen } from '../core/model.js';
import { STARTS_PER_HOUR } from '../core/vocabulary.js';
import { Machines } from './machines.js';
import { PmScheduler } from './scheduler.js';
import { freshDetectors, H, hourProfile, newSeries, peakEquivalent, seriesKeyOf, type DeviceRt, type HoldingGate, type Series, type SeriesState } from './series.js';
import { PredictStore, type PmRow, type PredictOrderRow } from './store.js';
import { cusumStep, ewmaLimit, ewmaStep, mad, MAD_TO_SIGMA, median } from './stats.js';
import { baselineViews, healthView, meterView, type BaselineView, type ComplianceView, type HealthView, type MeterView, type PlanView } from './views.js';

export type { Forecast } from './forecaster.js';
export type { SeriesState } from './series.js';
export { hourProfile, peakEquivalent } from './series.js';
export type { BaselineView, ComplianceView, HealthView, MeterView, PlanView } from './views.js';

/** An order this predictor raised, as kept in memory: the stored row without its evidence. */
type TrackedOrder = Omit<PredictOrderRow, 'updatedAt' | 'evidence'>;

export interface PredictOptions {
  config: Pick<SiteConfig, 'devices' | 'rules' | 'maintenance'> & Partial<Pick<SiteConfig, 'equipmentTypes'>>;
  store: PredictStore;
  orders: OrderPort;
  log?: Logger;
  /** Override settings (the evaluation tunes these). */
  settings?: Partial<PredictSettings>;
  /** Meters and detector state are written at most this often (reading time). Default 60 s. */
  persistEveryMs?: number;
}


export class PredictService implements PipelineSink {
  readonly name = 'predict';
  readonly settings: PredictSettings;
  private readonly devices = new Map<string, DeviceRt>();
  /** Devices per machine (`devices[].machine`), for the neighbour gate. */
  private readonly machines = new Machines();
  private readonly tracked = new Map<string, TrackedOrder>(); // key device|fault
  /** Reading time of the last alerting forecast per open prediction order (key device|fault). */
  private readonly lastAlert = new Map<string, number>();
  private readonly pm: PmScheduler;
  private now = 0;
  private lastPersist = 0;
  private lastTick = 0;
  private readonly persistEveryMs: number;

  constructor(private readonly opts: PredictOptions) {
    this.settings = { ...resolveSettings(opts.config.maintenance), ...opts.settings };
    this.persistEveryMs = opts.persistEveryMs ?? 60_000;
    this.pm = new PmScheduler(this.devices, opts.store, opts.orders);
    const types = siteCatalogue(opts.config);
    for (const d of opts.config.devices) {
      const points = new Set(d.points.map((p) => String(p['name'])));
      const type = types.get(d.type);
      const specs = indicatorsFor(d, type, opts.config.rules, opts.config.maintenance);
      this.devices.set(d.id, {
        cfg: d, category: type?.category ?? 'general', meters: new DeviceMeters(d.id, type?.meters ?? {}, points), series: new Map(), specs: new Map(specs.map((s) => [s.point, s])),
        hasRunning: points.has('running'), hour: null, startsAtHour: 0, plans: plansFor(d, type, opts.config.maintenance),
      });
      this.machines.add(this.devices.get(d.id)!);
    }
    this.restore();
    opts.orders.onChange((o) => this.onOrder(o));
  }

  // ---------------------------------------------------------------- ingest

  onReadings(batch: readonly Reading[]): void {
    // Devices fed, in order. A message's readings share one device: no Set and one lookup then.
    let first: DeviceRt | undefined;
    let others: Set<DeviceRt> | undefined;
    let lastId: string | undefined;
    let last: DeviceRt | undefined;
    // Two passes: the operating state first, so samples of the same poll fall in the right state.
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!;
        if ((r.point === 'running') !== (pass === 0)) continue;
        if (r.quality !== 'good' || r.value === null || typeof r.value === 'string') continue;
        if (r.device !== lastId) {
          lastId = r.device;
          last = this.devices.get(r.device);
        }
        const rt = last;
        if (!rt) continue;
        if (first === undefined) first = rt;
        else if (rt !== first) (others ??= new Set()).add(rt);
        this.advance(rt, r.ts);
        rt.meters.apply(r.point, r.value, r.ts);
        if (pass === 1 && typeof r.value === 'number') this.sample(rt, r.point, r.value, r.ts);
      }
    }
    if (first) first.meters.snapshot(first.meters.lastTs);
    if (others) for (const rt of others) rt.meters.snapshot(rt.meters.lastTs);
    if (this.now - this.lastPersist >= this.persistEveryMs) this.persist();
    if (this.now - this.lastTick >= 60_000) this.tick(this.now);
  }

  private advance(rt: DeviceRt, ts: number): void {
    if (ts > this.now) this.now = ts;
    const h = Math.floor(ts / H);
    if (rt.hour === null) {
      rt.hour = h;
      rt.startsAtHour = rt.meters.startCount();
    } else if (h > rt.hour) {
      this.closeHour(rt, rt.hour);
      rt.hour = h;
    }
  }

  private sample(rt: DeviceRt, point: string, v: number, ts: number): void {
    const spec = rt.specs.get(point);
    if (!spec || !Number.isFinite(v)) return;
    let state: SeriesState = 'any';
    if (spec.state === 'running' && rt.hasRunning) {
      const running = rt.meters.isRunning();
      if (running === null) return;
      state = running ? 'running' : 'idle';
    }
    const s = this.series(rt, spec, state);
    const h = Math.floor(ts / H);
    if (s.bucket !== h) {
      if (s.bucket !== null && h < s.bucket) return; // late reading of a closed hour
      s.bucket = h;
      s.samples = [];
    }
    s.samples.push(v);
  }

  private series(rt: DeviceRt, spec: IndicatorSpec, state: SeriesState): Series {
    const key = seriesKeyOf(spec.point, state);
    let s = rt.series.get(key);
    if (!s) {
      s = newSeries(key, spec, state);
      rt.series.set(key, s);
    }
    return s;
  }

  /** The hour `hour` of device `rt` is over: aggregate, then analyse every series that got a point. */
  private closeHour(rt: DeviceRt, hour: number): void {
    const t = hour * H;
    const fresh: Series[] = [];
    for (const s of rt.series.values()) {
      if (s.bucket !== hour) continue;
      if (s.samples.length >= this.settings.minSamplesPerHour) {
        const v = median(s.samples);
        s.hourly.push({ t, v, n: s.samples.length });
        this.opts.store.addHourly(rt.cfg.id, s.key, t, v, s.samples.length);
        fresh.push(s);
      }
      s.samples = [];
      s.bucket = null;
    }
    const rate = rt.specs.get(STARTS_PER_HOUR);
    if (rate) {
      const count = rt.meters.startCount();
      const s = this.series(rt, rate, 'any');
      s.hourly.push({ t, v: count - rt.startsAtHour, n: 1 });
      this.opts.store.addHourly(rt.cfg.id, s.key, t, count - rt.startsAtHour, 1);
      fresh.push(s);
      rt.startsAtHour = count;
    }
    const end = t + H;
    for (const s of fresh) this.analyse(rt, s, end);
  }

  // ---------------------------------------------------------------- analysis

  private analyse(rt: DeviceRt, s: Series, now: number): void {
    const cfg = this.settings;
    const windowMs = s.spec.peak ? cfg.peakWindowMs : cfg.windowMs;
    const keepFrom = now - Math.max(windowMs, cfg.baselineWindowMs) - H;
    while (s.hourly.length && (s.hourly[0]!.t < keepFrom || s.hourly[0]!.t < s.resetAt)) s.hourly.shift();
    let pts = s.hourly;
    if (s.spec.peak) {
      if (!s.profile) {
        const first = s.hourly[0];
        const lastRaw = s.hourly[s.hourly.length - 1];
        if (!first || !lastRaw || lastRaw.t - first.t + H < cfg.baselineWindowMs) return;
        s.profile = hourProfile(s.hourly);
      }
      pts = peakEquivalent(s.hourly, s.profile, cfg.peakHours);
    }
    const last = pts[pts.length - 1];
    if (!last) return;
    // A peak series only moves when an hour of the daily peak closes.
    if (s.spec.peak && s.lastPointT === last.t) return;
    s.lastPointT = last.t;

    if (!s.baseline) {
      const span = last.t - pts[0]!.t + H;
      // Hours of data, not calendar time: a machine stopped for days has not shown its normal yet.
      const enough = s.spec.peak
        ? span >= cfg.baselineWindowMs && pts.length >= (cfg.baselineWindowMs / H / 2) * (cfg.peakHours / 24)
        : pts.length >= cfg.baselineWindowMs / H;
      if (enough) {
        const ys = pts.map((p) => p.v);
        const med = median(ys);
        const m = mad(ys, med);
        // Noise floor relative to the level and to the distance to the limit, never an absolute
        // constant: the same machine in g or in mm/s, with any limit, gets the same σ (README).
        const floor = Math.max(s.spec.minSigma, cfg.relNoise * Math.abs(med), cfg.gapNoise * Math.abs(s.spec.limit - med));
        s.baseline = { median: med, mad: m, sigma: Math.max(MAD_TO_SIGMA * m, floor), n: ys.length, from: pts[0]!.t, to: last.t + H };
        this.opts.log?.info({ device: rt.cfg.id, series: s.key, median: fmt(med, 3), sigma: fmt(s.baseline.sigma, 3) }, 'baseline learned');
      }
      if (!s.baseline) return;
    }
    const b = s.baseline;
    const dir: 1 | -1 = s.spec.limit >= b.median ? 1 : -1;
    // Drift detectors on the hourly aggregate, in baseline σ, oriented toward the limit.
    const z = (last.v - b.median) / b.sigma;
    const zd = Math.max(-10, Math.min(10, dir * z));
    s.det.ewma = ewmaStep(s.det.ewma, zd, cfg.ewmaLambda);
    s.det.cusum = cusumStep(s.det.cusum, zd, cfg.cusumK);
    s.det.z = z;
    s.det.anomaly = Math.abs(z) > cfg.zAnomaly;
    s.det.drift = s.det.ewma.value > ewmaLimit(s.det.ewma.n, cfg.ewmaLambda, cfg.ewmaL) || s.det.cusum > cfg.cusumH;

    // Robust trend → time to the alarm limit with Sen's slope band. Wear accelerates (P–F curve),
    // so the window and its recent part are both fitted and the earlier significant crossing wins.
    const minPts = s.spec.peak ? cfg.minPeakPoints : cfg.minHours;
    let best: { f: Forecast; win: typeof pts } | null = null;
    for (const w of cfg.recentFraction > 0 && cfg.recentFraction < 1 ? [windowMs, windowMs * cfg.recentFraction] : [windowMs]) {
      const win = pts.filter((p) => p.t >= now - w);
      if (win.length < minPts * (w / windowMs)) continue;
      const f = fitForecast(cfg, rt.cfg.id, s, win, now, w, dir);
      if (!f) continue;
      const earlier = (a: Forecast, c: Forecast) => (a.hoursToAlert ?? Infinity) < (c.hoursToAlert ?? Infinity);
      if (!best || (f.significant && (!best.f.significant || earlier(f, best.f)))) best = { f, win };
    }
    if (best) {
      const fault = `predicted_${s.point}`;
      const open = this.tracked.get(`${rt.cfg.id}|${fault}`);
      // A rise a machine neighbour shows twice as strongly is its echo: no new order (an open order
      // keeps following its own forecast).
      if (best.f.alert && !open) {
        const louder = this.machines.louderNeighbour(rt, s, last.t, s.spec.peak ? cfg.peakWindowMs : cfg.windowMs, cfg.neighbourRatio);
        if (louder) holdBack(best.f, 'neighbour', louder);
      }
      // Sustained: the conditions must hold in consecutive hourly analyses (a step or a burst of a
      // few hours is not wear, ISO 13381-1 asks for a confirmed trend before a prognosis).
      // Measured in reading time since the first analysis of the run (a daily-peak series is only
      // analysed at its peak hours), the run breaks at the first analysis where they fail.
      if (!best.f.alert) s.sustainedSince = null;
      else s.sustainedSince ??= now - H;
      const held = s.sustainedSince === null ? 0 : (now - s.sustainedSince) / H;
      best.f.sustainedHours = fmt(held, 1);
      if (best.f.alert && held < cfg.sustainHours) holdBack(best.f, 'sustain');
      s.forecast = best.f;
      this.opts.store.saveForecast(rt.cfg.id, s.key, now, s.forecast);
      if (best.f.alert || (open && open.series === s.key)) this.raisePrediction(rt, s, fault, best.win, now);
    }
    this.opts.store.saveBaseline(rt.cfg.id, s.key, b, s.resetAt, { ewma: s.det.ewma.value, ewmaN: s.det.ewma.n, cusum: s.det.cusum }, s.profile);
  }

  private raisePrediction(rt: DeviceRt, s: Series, fault: string, win: Array<{ t: number; v: number }>, now: number): void {
    const f = s.forecast!;
    const key = `${rt.cfg.id}|${fault}`;
    const name = rt.cfg.name ?? rt.cfg.id;
    // The order follows the latest forecast (docs/design.md §9): its title, evidence and due date.
    if (f.alert) this.lastAlert.set(key, now);
    const healthyH = (now - (this.lastAlert.get(key) ?? now)) / H;
    const days = (h: number | null) => (h === null ? '∞' : (h / 24).toFixed(1));
    const band = f.alertHoursBand.map(days).join('–');
    const target = f.alertLimit !== f.limit ? `alert ${f.alertLimit} (plan remedial work)` : `${f.limit}`;
    const alarm = f.alertLimit !== f.limit ? `; alarm ${f.limit} in ~${days(f.hoursToLimit)} d` : '';
    let status: 'predicted' | 'unconfirmed' | 'withdrawn';
    let title: string;
    if (f.alert) {
      status = 'predicted';
      title = `Predicted: ${s.point} on ${name} reaches ${target} in ~${((f.hoursToAlert ?? 0) / 24).toFixed(1)} d (band ${band} d)${alarm}`;
    } else if (healthyH < this.settings.windowMs / H) {
      status = 'unconfirmed';
      title = `Prediction unconfirmed for ${Math.round(healthyH)} h: ${s.point} on ${name} no longer forecast to reach ${f.alertLimit} within ${Math.round(this.settings.horizonMs / 86_400_000)} d`;
    } else {
      status = 'withdrawn';
      title = `Prediction withdrawn: ${s.point} on ${name} has not been forecast to reach ${f.alertLimit} for ${Math.round(healthyH)} h (trend reversed); review and cancel`;
    }
    // Due before the early edge of the forecast ALARM crossing (zone C allows operation "for a limited
    // period until a suitable opportunity arises"; the work must be done before zone D), minus a
    // planning margin, never before now.
    const early = f.crossingBand[0] ?? f.crossingAt;
    const dueAt = status === 'predicted' && early !== null ? Math.max(now, early - this.settings.dueMarginMs) : undefined;
    const evidence = {
      status,
      equipmentCategory: rt.category,
      method: 'Theil–Sen trend on hourly medians (linear and exponential P–F), Sen slope band widening with the extrapolation distance, Mann–Kendall test; alert (zone B/C) crossing raises, alarm (C/D) crossing sets the due date; robust baseline, EWMA and CUSUM',
      forecast: f,
      baseline: s.baseline,
      detectors: { z: s.det.z === null ? null : fmt(s.det.z), ewma: fmt(s.det.ewma.value), cusum: fmt(s.det.cusum), drift: s.det.drift, anomaly: s.det.anomaly },
      series: win.map((p) => [p.t, fmt(p.v, 3)]),
    };
    // Category `predictive`: planned work with no emergency response clock (gateway/workorders/sla.ts).
    const order = this.opts.orders.raise({ source: 'prediction', device: rt.cfg.id, fault, category: 'predictive', title, faultAt: now, evidence, ...(dueAt !== undefined ? { dueAt } : {}) });
    const prev = this.tracked.get(key);
    const t: TrackedOrder = prev && prev.orderId === order.id
      ? { ...prev, updates: prev.updates + 1 }
      : { orderId: order.id, device: rt.cfg.id, fault, kind: 'prediction', series: s.key, raisedAt: now, updates: 0 };
    this.tracked.set(key, t);
    this.opts.store.saveOrder({ ...t, updatedAt: now, evidence });
    if (!prev) this.opts.log?.warn({ device: rt.cfg.id, fault, order: order.number, hoursToLimit: f.hoursToLimit }, 'prediction work order raised');
  }

  private onOrder(o: WorkOrder): void {
    if (!o.device) return;
    const key = `${o.device}|${o.fault}`;
    const t = this.tracked.get(key);
    if (t && t.orderId === o.id && !isOpen(o.status)) {
      this.tracked.delete(key);
      this.lastAlert.delete(key);
      const rt = this.devices.get(o.device);
      const at = Math.max(o.updatedAt, this.now);
      if (rt && t.series) {
        for (const s of rt.series.values()) {
          if (s.point !== rt.series.get(t.series)?.point) continue;
          if (o.status === 'cancelled') {
            // The planner rejected the prediction: do not raise it again within one horizon.
            s.suppressUntil = at + this.settings.horizonMs;
          } else {
            // Repaired: forget the degraded history and learn the new normal.
            this.resetSeries(rt, s, at);
          }
        }
      }
    }
    this.pm.onOrder(o);
  }

  private resetSeries(rt: DeviceRt, s: Series, at: number): void {
    s.resetAt = at;
    s.sustainedSince = null;
    s.hourly = [];
    s.baseline = null;
    s.profile = null;
    s.det = freshDetectors();
    s.forecast = null;
    this.opts.store.deleteBaseline(rt.cfg.id, s.key);
    this.opts.store.saveReset(rt.cfg.id, s.key, at);
  }

  // ---------------------------------------------------------------- preventive plans

  /** Checks every plan at `now` (reading time); raises preventive orders `lead` ahead of the due point. */
  tick(now: number): void {
    this.lastTick = now;
    this.pm.tick(now);
  }

  /** Records a PM as done (from the order lifecycle or `POST /api/predict/plans/:plan/done`). */
  recordPmDone(plan: string, device: string, at: number): PmRow | null {
    return this.pm.recordDone(plan, device, at);
  }

  // ---------------------------------------------------------------- views

  meters(device?: string): MeterView[] {
    return this.select(device).map(meterView);
  }

  baselines(device?: string): BaselineView[] {
    return this.select(device).flatMap(baselineViews);
  }

  forecasts(device?: string): Forecast[] {
    const out: Forecast[] = [];
    for (const rt of this.devices.values()) {
      if (device && rt.cfg.id !== device) continue;
      for (const s of rt.series.values()) if (s.forecast) out.push(s.forecast);
    }
    return out;
  }

  /** Health 0–100 per device (views.ts `healthView`). */
  health(device?: string): HealthView[] {
    return this.select(device).map((rt) => healthView(rt, this.settings.horizonMs));
  }

  plans(device?: string): PlanView[] {
    return this.pm.plans(device);
  }

  /** PM compliance (SMRP 5.4): PM cycles done within the grace window / PM cycles due. */
  compliance(now = this.now): ComplianceView {
    return this.pm.compliance(now);
  }

  /** Devices in config order, or the one asked for. */
  private select(device?: string): DeviceRt[] {
    return [...this.devices.values()].filter((rt) => !device || rt.cfg.id === device);
  }

  predictionOrders() {
    return this.opts.store.orders();
  }

  // ---------------------------------------------------------------- persistence

  /** Writes meters and raw counter bases (called on a reading-time interval and on close). */
  persist(): void {
    this.lastPersist = this.now;
    const store = this.opts.store;
    store.tx(() => {
      for (const rt of this.devices.values()) {
        if (!rt.meters.dirty) continue;
        for (const m of METERS) store.saveMeter(rt.cfg.id, m, rt.meters.values[m], rt.meters.lastTs);
        for (const [m, c] of rt.meters.counters) store.saveCounter(rt.cfg.id, m, c.base, c.ts);
        rt.meters.dirty = false;
      }
    });
  }

  close(): void {
    this.persist();
  }

  private restore(): void {
    const store = this.opts.store;
    for (const r of store.meters()) this.devices.get(r.device)?.meters.restore(r.meter as MeterName, r.value);
    for (const r of store.counters()) this.devices.get(r.device)?.meters.restoreCounter(r.point as MeterName, r.base, r.ts);
    const resets = new Map(store.resets().map((r) => [`${r.device}|${r.series}`, r.reset_at]));
    const seriesOf = (device: string, key: string): Series | undefined => {
      const rt = this.devices.get(device);
      if (!rt) return undefined;
      const [point, state] = key.split('@') as [string, SeriesState | undefined];
      const spec = rt.specs.get(point);
      if (!spec) return undefined;
      const s = this.series(rt, spec, state ?? 'any');
      s.resetAt = resets.get(`${device}|${key}`) ?? 0;
      return s;
    };
    const horizon = Math.max(this.settings.windowMs, this.settings.peakWindowMs, this.settings.baselineWindowMs) + H;
    const newest = Math.max(0, ...store.meters().map((m) => m.updated_at));
    for (const r of store.hourly(newest - horizon)) {
      const s = seriesOf(r.device, r.series);
      if (s && r.hour >= s.resetAt) s.hourly.push({ t: r.hour, v: r.value, n: r.n });
    }
    for (const r of store.baselines()) {
      const s = seriesOf(r.device, r.series);
      if (!s) continue;
      s.baseline = { median: r.median, mad: r.mad, sigma: r.sigma, n: r.n, from: r.from_ts, to: r.to_ts };
      s.profile = r.profile ? (JSON.parse(r.profile) as Array<number | null>).map((v) => v ?? NaN) : null;
      s.resetAt = r.reset_at;
      s.det.ewma = { value: r.ewma, n: r.ewma_n };
      s.det.cusum = r.cusum;
    }
    for (const r of store.forecasts()) {
      const s = seriesOf(r.device, r.series);
      if (s) s.forecast = JSON.parse(r.body) as Forecast;
    }
    this.pm.restore();
    for (const r of store.orders()) {
      if (r.kind !== 'prediction') continue;
      const o = this.opts.orders.get(r.orderId);
      if (o && isOpen(o.status)) {
        this.tracked.set(`${r.device}|${r.fault}`, { orderId: r.orderId, device: r.device, fault: r.fault, kind: 'prediction', series: r.series, raisedAt: r.raisedAt, updates: r.updates });
      }
    }
    this.now = newest;
  }
}

/** A forecast that passed the forecaster's gates, held back by one the service checks (neighbour, sustain). */
function holdBack(f: Forecast, gate: HoldingGate, echoOf?: string): void {
  f.alert = false;
  f.heldBy = [gate];
  if (echoOf !== undefined) f.echoOf = echoOf;
}
