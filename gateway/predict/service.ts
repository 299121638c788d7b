/**
 * The predict room: a pipeline sink that derives meters, aggregates health indicators per hour
 * and operating state, learns robust baselines, runs drift detectors, fits trends and forecasts the
 * time to the alarm limit, scores device health, and raises prediction and preventive work orders.
 *
 * Time comes from the readings (the newest reading timestamp is "now"), never from the wall clock,
 * so the same code runs live and in the accelerated evaluation (bench/eval-predict.ts).
 */
import type { Category, DeviceConfig, SiteConfig } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { WorkOrder } from '../core/model.js';
import type { Reading } from '../core/reading.js';
import type { PipelineSink } from '../pipeline/pipeline.js';
import { siteCatalogue } from '../config/equipment.js';
import { OPEN_STATUSES } from '../workorders/lifecycle.js';
import { indicatorsFor, plansFor, resolveSettings, type IndicatorSpec, type MeterName, type PredictSettings, type ResolvedPlan } from './config.js';
import { DeviceMeters, METERS } from './meters.js';
import type { OrderPort } from './orders.js';
import { PredictStore, type BaselineRow, type PmRow, type PredictOrderRow } from './store.js';
import { alertLevel, crossingTimes, cusumStep, ewmaLimit, ewmaStep, mad, MAD_TO_SIGMA, median, quantile, theilSen, type CrossingTimes, type EwmaState } from './stats.js';

const H = 3_600_000;

export type SeriesState = 'running' | 'idle' | 'any';

/** `point@state` keys made once per point: `series()` runs for every sample. */
const stateKeys = new Map<string, Record<SeriesState, string>>();
function seriesKeyOf(point: string, state: SeriesState): string {
  if (state === 'any') return point;
  let k = stateKeys.get(point);
  if (!k) stateKeys.set(point, (k = { any: point, running: `${point}@running`, idle: `${point}@idle` }));
  return k[state];
}

export interface Forecast {
  device: string;
  series: string;
  point: string;
  state: SeriesState;
  /** Alarm limit (ISO 10816-3 zone C/D for vibration): the order is due before its forecast crossing. */
  limit: number;
  /**
   * Alert limit the order plans against (zone B/C entry; the alarm limit when the indicator has none):
   * a prediction order is raised when the early edge of its crossing band is within the horizon.
   */
  alertLimit: number;
  /** +1: the indicator fails upward (rises to the limit); −1: downward. */
  direction: 1 | -1;
  at: number;
  points: number;
  /** Trend window the forecast comes from (the full window or its recent part). */
  windowHours: number;
  /** Fitted level now and the slope per day with its confidence band. */
  level: number;
  slopePerDay: number;
  slopeBandPerDay: [number, number];
  pValue: number;
  significant: boolean;
  /** Extrapolation: the Theil–Sen line, or the Theil–Sen line of ln(excess over baseline) (P–F curve). */
  model: 'linear' | 'exponential';
  /** Hours to the alarm limit: estimate and band (early, late); null = not reached on this trend. */
  hoursToLimit: number | null;
  hoursBand: [number | null, number | null];
  crossingAt: number | null;
  crossingBand: [number | null, number | null];
  /** The same for the alert limit: the crossing a prediction order forecasts. */
  hoursToAlert: number | null;
  alertHoursBand: [number | null, number | null];
  alertCrossingAt: number | null;
  alertCrossingBand: [number | null, number | null];
  /** Level shift from the baseline in baseline σ. */
  shiftSigma: number | null;
  /** Share of the way from the baseline median to the limit the fitted level has gone. */
  progress: number;
  /** The forecast calls for a prediction order (conditions held for `sustainHours` analyses in a row; not the alert limit). */
  alert: boolean;
  /** Hours of reading time the order conditions have held in every analysis. */
  sustainedHours: number;
}

interface Detectors {
  ewma: EwmaState;
  cusum: number;
  z: number | null;
  anomaly: boolean;
  drift: boolean;
}

interface Series {
  key: string;
  point: string;
  state: SeriesState;
  spec: IndicatorSpec;
  bucket: number | null;
  samples: number[];
  hourly: Array<{ t: number; v: number; n: number }>;
  resetAt: number;
  baseline: BaselineRow | null;
  det: Detectors;
  forecast: Forecast | null;
  suppressUntil: number;
  lastPointT: number;
  /** Peak indicators: median per hour of day (UTC) over the baseline window. */
  profile: number[] | null;
  /** Reading time from which the order conditions have held in every analysis (null: they do not hold). */
  sustainedSince: number | null;
}

interface DeviceRt {
  cfg: DeviceConfig;
  /** SLA category of the device's type: the equipment category of its prediction orders. */
  category: Category;
  meters: DeviceMeters;
  series: Map<string, Series>;
  specs: Map<string, IndicatorSpec>;
  hasRunning: boolean;
  hour: number | null;
  startsAtHour: number;
  plans: ResolvedPlan[];
}

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

const fmt = (n: number, d = 2) => Number(n.toFixed(d));
/** The one definition of an open order (gateway/workorders/lifecycle.ts): resolved is still open until closed. */
const isOpen = (status: WorkOrder['status']): boolean => OPEN_STATUSES.includes(status);

export class PredictService implements PipelineSink {
  readonly name = 'predict';
  readonly settings: PredictSettings;
  private readonly devices = new Map<string, DeviceRt>();
  private readonly tracked = new Map<string, TrackedOrder>(); // key device|fault
  /** Reading time of the last alerting forecast per open prediction order (key device|fault). */
  private readonly lastAlert = new Map<string, number>();
  private readonly pmOpen = new Map<string, PmRow>(); // key plan|device
  private now = 0;
  private lastPersist = 0;
  private lastTick = 0;
  private readonly persistEveryMs: number;

  constructor(private readonly opts: PredictOptions) {
    this.settings = { ...resolveSettings(opts.config.maintenance), ...opts.settings };
    this.persistEveryMs = opts.persistEveryMs ?? 60_000;
    const types = siteCatalogue(opts.config);
    for (const d of opts.config.devices) {
      const points = new Set(d.points.map((p) => String(p['name'])));
      const type = types.get(d.type);
      const specs = indicatorsFor(d, type, opts.config.rules, opts.config.maintenance);
      this.devices.set(d.id, {
        cfg: d, category: type?.category ?? 'general', meters: new DeviceMeters(d.id, type?.meters ?? {}, points), series: new Map(), specs: new Map(specs.map((s) => [s.point, s])),
        hasRunning: points.has('running'), hour: null, startsAtHour: 0, plans: plansFor(d, type, opts.config.maintenance),
      });
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
      rt.startsAtHour = this.startCount(rt);
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
      s = { key, point: spec.point, state, spec, bucket: null, samples: [], hourly: [], resetAt: 0, baseline: null, det: freshDetectors(), forecast: null, suppressUntil: 0, lastPointT: 0, profile: null, sustainedSince: null };
      rt.series.set(key, s);
    }
    return s;
  }

  private startCount(rt: DeviceRt): number {
    return rt.meters.startCount();
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
    const rate = rt.specs.get('starts_per_hour');
    if (rate) {
      const count = this.startCount(rt);
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
      const f = this.fitForecast(rt, s, win, now, w, dir);
      if (!f) continue;
      const earlier = (a: Forecast, c: Forecast) => (a.hoursToAlert ?? Infinity) < (c.hoursToAlert ?? Infinity);
      if (!best || (f.significant && (!best.f.significant || earlier(f, best.f)))) best = { f, win };
    }
    if (best) {
      // Sustained: the conditions must hold in consecutive hourly analyses (a step or a burst of a
      // few hours is not wear, ISO 13381-1 asks for a confirmed trend before a prognosis).
      // Measured in reading time since the first analysis of the run (a daily-peak series is only
      // analysed at its peak hours), the run breaks at the first analysis where they fail.
      if (!best.f.alert) s.sustainedSince = null;
      else s.sustainedSince ??= now - H;
      const held = s.sustainedSince === null ? 0 : (now - s.sustainedSince) / H;
      best.f.sustainedHours = fmt(held, 1);
      best.f.alert = best.f.alert && held >= cfg.sustainHours;
      s.forecast = best.f;
      this.opts.store.saveForecast(rt.cfg.id, s.key, now, s.forecast);
      const fault = `predicted_${s.point}`;
      const open = this.tracked.get(`${rt.cfg.id}|${fault}`);
      if (best.f.alert || (open && open.series === s.key)) this.raisePrediction(rt, s, fault, best.win, now);
    }
    this.opts.store.saveBaseline(rt.cfg.id, s.key, b, s.resetAt, { ewma: s.det.ewma.value, ewmaN: s.det.ewma.n, cusum: s.det.cusum }, s.profile);
  }

  private fitForecast(rt: DeviceRt, s: Series, win: ReadonlyArray<{ t: number; v: number }>, now: number, windowMs: number, dir: 1 | -1): Forecast | null {
    const cfg = this.settings;
    const b = s.baseline!;
    const xs = win.map((p) => (p.t + H / 2 - now) / H);
    const fit = theilSen(xs, win.map((p) => p.v), cfg.confidence);
    if (!fit) return null;
    const level = fit.intercept; // x = 0 is now
    const limit = s.spec.limit;
    // The order plans against the alert (ISO 10816-3 zone B/C entry); the alarm (C/D) sets its due date.
    const alertLimit = alertLevel(s.spec.alert, b.median, limit);
    // Band: Sen's slope band and the scatter of the points about the line (the level now is only
    // known to within the residuals' `confidence` quantile); it widens with the extrapolation distance.
    const ys = win.map((p) => p.v);
    const spread = quantile(ys.map((y, i) => Math.abs(y - (fit.intercept + fit.slope * xs[i]!))), cfg.confidence);
    const linear = (target: number) => crossingTimes(level, fit.slope, fit.slopeLow, fit.slopeHigh, spread, target, dir);
    let toAlarm = linear(limit);
    let toAlert = linear(alertLimit);
    // Mann–Kendall decides significance; the Sen band (which ties can pin at 0) is the uncertainty shown.
    const significant = fit.pValue < cfg.alpha && dir * fit.slope > 0;
    const shift = (dir * (level - b.median)) / b.sigma;
    let model: Forecast['model'] = 'linear';
    if (cfg.exponential) {
      // P–F curve: wear grows faster as it advances. Fit ln(excess over baseline) where the excess
      // stands out of the noise; when that trend is significant and crosses the alert earlier, it wins.
      const ex = win.map((p, i) => ({ x: xs[i]!, e: dir * (p.v - b.median) })).filter((p) => p.e > 2 * b.sigma);
      if (ex.length >= Math.max(8, win.length / 3) && dir * (limit - b.median) > 0) {
        const fe = theilSen(ex.map((p) => p.x), ex.map((p) => Math.log(p.e)), cfg.confidence);
        if (fe && fe.slope > 0 && fe.pValue < cfg.alpha) {
          const q = quantile(ex.map((p) => Math.abs(Math.log(p.e) - (fe.intercept + fe.slope * p.x))), cfg.confidence);
          const expo = (target: number) => crossingTimes(fe.intercept, fe.slope, fe.slopeLow, fe.slopeHigh, q, Math.log(dir * (target - b.median)), 1);
          const eAlert = expo(alertLimit);
          if (eAlert.t < toAlert.t) {
            model = 'exponential';
            // The point estimate follows the accelerating model (the earlier, conservative one), but
            // the band spans both models: the window cannot tell whether the final, accelerating stage
            // has begun, and late bearing damage is not monotone (spall edges wear smooth and the
            // broadband level stalls or dips before the final rise), so the linear path stays plausible.
            const span = (e: CrossingTimes, l: CrossingTimes): CrossingTimes => ({ t: e.t, early: Math.min(e.early, l.early), late: Math.max(e.late, l.late) });
            toAlert = span(eAlert, toAlert);
            toAlarm = span(expo(limit), toAlarm);
          }
        }
      }
    }
    const fin = (x: number) => (Number.isFinite(x) ? fmt(x, 1) : null);
    const at = (x: number) => (Number.isFinite(x) ? Math.round(now + x * H) : null);
    // The level must have left the baseline by a meaningful part of the way to the alarm limit (a
    // healthy neighbour's rise far below the limit is no forecast), and the early edge of the alert
    // crossing must be within the horizon. `alert` then also needs the trend to be sustained (analyse()).
    const gapToLimit = Math.abs(limit - b.median);
    const progress = gapToLimit > 0 ? (dir * (level - b.median)) / gapToLimit : 0;
    const alert = significant && Number.isFinite(toAlert.early) && toAlert.early * H <= cfg.horizonMs && shift >= cfg.minShiftSigma && progress >= cfg.minProgress && now >= s.suppressUntil;
    return {
      device: rt.cfg.id, series: s.key, point: s.point, state: s.state, limit, alertLimit: fmt(alertLimit, 4), direction: dir, at: now, points: win.length, windowHours: windowMs / H,
      level: fmt(level, 3), slopePerDay: fmt(fit.slope * 24, 4), slopeBandPerDay: [fmt(fit.slopeLow * 24, 4), fmt(fit.slopeHigh * 24, 4)],
      pValue: Number(fit.pValue.toPrecision(3)), significant, model,
      hoursToLimit: fin(toAlarm.t), hoursBand: [fin(toAlarm.early), fin(toAlarm.late)], crossingAt: at(toAlarm.t), crossingBand: [at(toAlarm.early), at(toAlarm.late)],
      hoursToAlert: fin(toAlert.t), alertHoursBand: [fin(toAlert.early), fin(toAlert.late)], alertCrossingAt: at(toAlert.t), alertCrossingBand: [at(toAlert.early), at(toAlert.late)],
      shiftSigma: fmt(shift, 2), progress: fmt(progress, 3), alert, sustainedHours: 0,
    };
  }

  private raisePrediction(rt: DeviceRt, s: Series, fault: string, win: Array<{ t: number; v: number }>, now: number): void {
    const f = s.forecast!;
    const key = `${rt.cfg.id}|${fault}`;
    const name = rt.cfg.name ?? rt.cfg.id;
    // The order follows the latest forecast (DESIGN.md §9): its title, evidence and due date.
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
    const pmKey = [...this.pmOpen.entries()].find(([, r]) => r.orderId === o.id)?.[0];
    if (pmKey && !isOpen(o.status)) {
      const row = this.pmOpen.get(pmKey)!;
      if (o.status === 'cancelled') {
        this.pmOpen.delete(pmKey);
        this.opts.store.updatePm({ ...row, status: 'cancelled' });
      } else this.completePm(row, Math.max(o.updatedAt, 0));
    }
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
    for (const rt of this.devices.values()) {
      for (const p of rt.plans) {
        const key = `${p.id}|${rt.cfg.id}`;
        if (this.pmOpen.has(key)) continue;
        const units = p.meter ? rt.meters.values[p.meter] : null;
        let st = this.opts.store.planState(p.id, rt.cfg.id);
        if (!st) {
          // A plan starts when the gateway first sees the device (or its configured last PM).
          st = { lastDoneAt: now, lastDoneUnits: units };
          this.opts.store.savePlanState(p.id, rt.cfg.id, now, units);
        }
        const dueAt = p.kind === 'calendar' ? st.lastDoneAt + p.every : null;
        const dueUnits = p.kind === 'meter' ? (st.lastDoneUnits ?? 0) + p.every : null;
        const raise = p.kind === 'calendar' ? now >= dueAt! - p.lead : units !== null && units >= dueUnits! - p.lead;
        if (!raise) continue;
        const title = p.kind === 'calendar'
          ? `${p.title}: due ${new Date(dueAt!).toISOString().slice(0, 10)}`
          : `${p.title}: due at ${fmt(dueUnits!, 1)} ${p.meter} on the gateway meter`;
        const order = this.opts.orders.raise({ source: 'preventive', device: rt.cfg.id, fault: `pm_${p.id.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`, category: 'general', title, faultAt: now,
          evidence: { plan: { ...p }, dueAt, dueUnits, meterNow: units }, ...(dueAt !== null ? { dueAt } : {}) });
        const row: Omit<PmRow, 'id'> = { plan: p.id, device: rt.cfg.id, kind: p.kind, dueAt, dueUnits, grace: p.grace, raisedAt: now, orderId: order.id, status: 'open', doneAt: null, doneUnits: null, onTime: null };
        const id = this.opts.store.insertPm(row);
        this.pmOpen.set(key, { ...row, id });
        this.opts.store.saveOrder({ orderId: order.id, device: rt.cfg.id, fault: order.fault, kind: 'preventive', series: null, raisedAt: now, updatedAt: now, updates: 0, evidence: { plan: p.id, dueAt, dueUnits } });
      }
    }
  }

  /** Records a PM as done (from the order lifecycle or `POST /api/predict/plans/:plan/done`). */
  recordPmDone(plan: string, device: string, at: number): PmRow | null {
    const row = this.pmOpen.get(`${plan}|${device}`);
    const rt = this.devices.get(device);
    const p = rt?.plans.find((x) => x.id === plan);
    if (!rt || !p) return null;
    if (row) return this.completePm(row, at);
    this.opts.store.savePlanState(plan, device, at, p.meter ? rt.meters.values[p.meter] : null);
    return null;
  }

  private completePm(row: PmRow, at: number): PmRow {
    const rt = this.devices.get(row.device);
    const p = rt?.plans.find((x) => x.id === row.plan);
    const units = p?.meter && rt ? rt.meters.values[p.meter] : null;
    const onTime = row.kind === 'calendar' ? at <= row.dueAt! + row.grace : units !== null && units <= row.dueUnits! + row.grace;
    const done: PmRow = { ...row, status: 'done', doneAt: at, doneUnits: units, onTime };
    this.opts.store.updatePm(done);
    this.opts.store.savePlanState(row.plan, row.device, at, units);
    this.pmOpen.delete(`${row.plan}|${row.device}`);
    return done;
  }

  // ---------------------------------------------------------------- views

  meters(device?: string) {
    const out = [];
    for (const rt of this.devices.values()) {
      if (device && rt.cfg.id !== device) continue;
      const m = rt.meters.values;
      out.push({
        device: rt.cfg.id, type: rt.cfg.type, run_hours: fmt(m.run_hours, 3), starts: m.starts, starts_per_hour: rt.meters.perHour(rt.meters.lastTs),
        trips: m.trips, door_cycles: m.door_cycles, updatedAt: rt.meters.lastTs || null,
      });
    }
    return out;
  }

  baselines(device?: string) {
    const out = [];
    for (const rt of this.devices.values()) {
      if (device && rt.cfg.id !== device) continue;
      for (const s of rt.series.values()) {
        out.push({ device: rt.cfg.id, series: s.key, point: s.point, state: s.state, limit: s.spec.limit, baseline: s.baseline, learningHours: s.hourly.length,
          detectors: { z: s.det.z, ewma: s.det.ewma.value, cusum: s.det.cusum, drift: s.det.drift, anomaly: s.det.anomaly } });
      }
    }
    return out;
  }

  forecasts(device?: string): Forecast[] {
    const out: Forecast[] = [];
    for (const rt of this.devices.values()) {
      if (device && rt.cfg.id !== device) continue;
      for (const s of rt.series.values()) if (s.forecast) out.push(s.forecast);
    }
    return out;
  }

  /**
   * Health 0–100 per device: each indicator scores 100 at its baseline and 0 at its alarm limit
   * (linear in the current level), capped at 50·(time to limit / horizon) when a significant trend
   * crosses within the horizon, at 85 while a drift detector signals and at 75 on an anomaly.
   * The device scores its weakest indicator; the drivers list says which and why.
   */
  health(device?: string) {
    const out = [];
    for (const rt of this.devices.values()) {
      if (device && rt.cfg.id !== device) continue;
      const drivers = [];
      for (const s of rt.series.values()) {
        if (!s.baseline || s.state === 'idle') continue;
        const b = s.baseline;
        const level = s.forecast && s.forecast.at >= (s.hourly[s.hourly.length - 1]?.t ?? 0) ? s.forecast.level : s.hourly[s.hourly.length - 1]?.v ?? b.median;
        const span = s.spec.limit - b.median;
        const u = span === 0 ? 1 : Math.min(1, Math.max(0, (level - b.median) / span));
        let score = 100 * (1 - u);
        const reasons = [`level ${fmt(level, 2)} vs baseline ${fmt(b.median, 2)} and limit ${s.spec.limit}`];
        const f = s.forecast;
        if (f && f.significant && f.hoursToLimit !== null && f.hoursToLimit * H <= this.settings.horizonMs) {
          score = Math.min(score, (50 * f.hoursToLimit * H) / this.settings.horizonMs);
          reasons.push(`limit forecast in ${f.hoursToLimit} h`);
        }
        if (s.det.drift) {
          score = Math.min(score, 85);
          reasons.push('drift (EWMA/CUSUM)');
        }
        if (s.det.anomaly) {
          score = Math.min(score, 75);
          reasons.push(`anomaly (robust z ${fmt(s.det.z ?? 0, 1)})`);
        }
        drivers.push({ indicator: s.key, score: Math.round(score), reasons });
      }
      drivers.sort((a, b) => a.score - b.score);
      out.push({ device: rt.cfg.id, type: rt.cfg.type, score: drivers.length ? drivers[0]!.score : null, learning: drivers.length === 0, drivers });
    }
    return out;
  }

  plans(device?: string) {
    const out = [];
    for (const rt of this.devices.values()) {
      if (device && rt.cfg.id !== device) continue;
      for (const p of rt.plans) {
        const st = this.opts.store.planState(p.id, rt.cfg.id);
        const open = this.pmOpen.get(`${p.id}|${rt.cfg.id}`) ?? null;
        out.push({
          plan: p.id, device: rt.cfg.id, title: p.title, kind: p.kind, every: p.every, grace: p.grace, lead: p.lead, meter: p.meter ?? null,
          meterNow: p.meter ? fmt(rt.meters.values[p.meter], 2) : null, lastDoneAt: st?.lastDoneAt ?? null, lastDoneUnits: st?.lastDoneUnits ?? null,
          dueAt: st && p.kind === 'calendar' ? st.lastDoneAt + p.every : null,
          dueUnits: st && p.kind === 'meter' ? (st.lastDoneUnits ?? 0) + p.every : null, open,
        });
      }
    }
    return out;
  }

  /** PM compliance (SMRP 5.4): PM cycles done within the grace window / PM cycles due. */
  compliance(now = this.now) {
    const rows = this.opts.store.pm();
    const byPlan = new Map<string, { plan: string; due: number; onTime: number; late: number; overdue: number }>();
    for (const r of rows) {
      const k = byPlan.get(r.plan) ?? { plan: r.plan, due: 0, onTime: 0, late: 0, overdue: 0 };
      byPlan.set(r.plan, k);
      if (r.status === 'done') {
        k.due++;
        if (r.onTime) k.onTime++;
        else k.late++;
      } else if (r.status === 'open') {
        const rt = this.devices.get(r.device);
        const p = rt?.plans.find((x) => x.id === r.plan);
        const past = r.kind === 'calendar' ? now > r.dueAt! + r.grace : !!(p?.meter && rt && rt.meters.values[p.meter] > r.dueUnits! + r.grace);
        if (past) {
          k.due++;
          k.overdue++;
        }
      }
    }
    const plans = [...byPlan.values()];
    const due = plans.reduce((a, p) => a + p.due, 0);
    const onTime = plans.reduce((a, p) => a + p.onTime, 0);
    return { due, onTime, compliance: due ? onTime / due : null, byPlan: plans, cycles: rows };
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
    for (const r of store.pm({ open: true })) this.pmOpen.set(`${r.plan}|${r.device}`, r);
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

/** Median aggregate per hour of day (UTC); NaN for an hour never seen. */
export function hourProfile(hourly: ReadonlyArray<{ t: number; v: number }>): number[] {
  const by: number[][] = Array.from({ length: 24 }, () => []);
  for (const p of hourly) by[Math.floor((p.t % 86_400_000) / H)]!.push(p.v);
  return by.map((vs) => (vs.length ? median(vs) : NaN));
}

/**
 * Peak-equivalent series: only the `k` hours of day where the baseline profile peaks, each
 * shifted by its profile offset to the profile's maximum (v − profile[h] + max profile). The daily
 * cycle is gone, and what is left is the level of the daily peak, which is what crosses the limit.
 */
export function peakEquivalent(hourly: ReadonlyArray<{ t: number; v: number; n: number }>, profile: readonly number[], k: number): Array<{ t: number; v: number; n: number }> {
  const ranked = profile.map((v, h) => [h, v] as const).filter(([, v]) => Number.isFinite(v)).sort((a, b) => b[1] - a[1]).slice(0, k);
  const top = ranked[0]?.[1] ?? 0;
  const offset = new Map(ranked.map(([h, v]) => [h, top - v]));
  const out: Array<{ t: number; v: number; n: number }> = [];
  for (const p of hourly) {
    const o = offset.get(Math.floor((p.t % 86_400_000) / H));
    if (o !== undefined) out.push({ t: p.t, v: p.v + o, n: p.n });
  }
  return out;
}

function freshDetectors(): Detectors {
  return { ewma: { value: 0, n: 0 }, cusum: 0, z: null, anomaly: false, drift: false };
}
