/**
 * Evaluation of gateway/predict on the simulators' degradation scenarios (npm run eval:predict).
 *
 * Each run drives one equipment model through simulators/scenarios (seeded wear with a known
 * failure time, or a healthy control with load cycles, noise and sensor glitches), samples every
 * 60 s of simulated time and feeds the readings through PredictService in-process: no servers, no
 * sleeping, the predictor's clock is the readings' timestamps (time acceleration ≈ 10⁵–10⁶×).
 *
 * Seeds: tuning used 9001–9030 (`--tune`); the reported figures use the evaluation seeds 1–N, never
 * looked at while tuning. Writes bench/results/predict.json.
 *
 *   tsx bench/eval-predict.ts [--tune] [--runs 6] [--healthy-days 30]
 *   tsx bench/eval-predict.ts --real [--data path.csv --failed bearing1,...]   the real run to failure (bench/eval-predict-real.ts)
 *   tsx bench/eval-predict.ts --real [--data … --failed …] --trace bearing3_a   hour by hour: the forecast and the gates holding an order back
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceConfig } from '../gateway/config/schema.js';
import { median } from '../gateway/predict/stats.js';
import { DEFAULT_FAILED, defaultRealData, evalReal } from './eval-predict-real.js';
import { traceReal } from './eval-predict-trace.js';
import { evalEcho } from './eval-predict-machine.js';
import { predictRig, readingsOf } from './lib/predict-rig.js';
import { createScenario, type ScenarioName } from '../simulators/scenarios/index.js';

const args = process.argv.slice(2);

if (args.includes('--real')) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] && !args[i + 1]!.startsWith('--') ? args[i + 1]! : undefined;
  };
  const data = value('--data');
  const file = data ? resolve(data) : defaultRealData(root);
  const failedArg = value('--failed');
  const trace = value('--trace');
  try {
    if (data && !failedArg) throw new Error('--failed <element,...> is required with --data: the elements that failed at the end of the run (from the data set\'s documentation), e.g. --failed bearing1');
    const failed = failedArg ? failedArg.split(',').map((f) => f.trim()).filter(Boolean) : [...DEFAULT_FAILED];
    if (trace) {
      await traceReal(file, failed, trace, (line) => console.log(line));
      process.exit(0);
    }
    const result = await evalReal(file, failed);
    console.log(JSON.stringify({ ...result, channels: undefined }, null, 2));
    for (const c of result.channels) console.log(JSON.stringify(c));
    const out = join(root, 'bench', 'results', data ? `predict-real-${basename(file).replace(/\.[^.]*$/, '')}.json` : 'predict-real.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${out}`);
    process.exit(0);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const TUNE = args.includes('--tune');
const PER_SCENARIO = opt('runs', 6);
const HEALTHY_PER_TYPE = opt('healthy', 4);
const HEALTHY_DAYS = opt('healthy-days', 30);
const EVERY_S = 60;
/** Settings under test (tuning only); the reported run uses the predictor's defaults. */
const OVERRIDE: Record<string, number | boolean> = { ...(args.includes('--window-h') ? { windowMs: opt('window-h', 48) * 3_600_000 } : {}), ...(args.includes('--alpha') ? { alpha: opt('alpha', 0.01) } : {}), ...(args.includes('--shift') ? { minShiftSigma: opt('shift', 3) } : {}), ...(args.includes('--exp') ? { exponential: true } : {}), ...(args.includes('--recent') ? { recentFraction: opt('recent', 0.5) } : {}), ...(args.includes('--peak-hours') ? { peakHours: opt('peak-hours', 6) } : {}), ...(args.includes('--min-hours') ? { minHours: opt('min-hours', 24) } : {}), ...(args.includes('--peak-window-h') ? { peakWindowMs: opt('peak-window-h', 72) * 3_600_000 } : {}) };
/** Healthy controls with real-plant disturbances (load change, season, re-mount step, failing neighbour); `--kind-controls` turns them off. */
const DISTURBED = !args.includes('--kind-controls');
/** `--naive`: the predictor as it was before the physics gates (absolute σ floors, no progress or sustain gate), for comparison. */
const NAIVE = args.includes('--naive');
if (NAIVE) Object.assign(OVERRIDE, { minProgress: 0, sustainHours: 0, relNoise: 0.005, gapNoise: 0 });
const SEED_BASE = TUNE ? 9001 : 1;
const DAY = 86_400_000;

type Kind = 'pump' | 'elevator' | 'power';
const DEGRADATIONS: Array<{ scenario: Exclude<ScenarioName, 'healthy'>; type: Kind }> = [
  { scenario: 'bearing_wear', type: 'pump' },
  { scenario: 'door_roller_wear', type: 'elevator' },
  { scenario: 'seal_leak', type: 'pump' },
  { scenario: 'transformer_cooling_loss', type: 'power' },
];

interface RunResult {
  scenario: ScenarioName;
  type: Kind;
  seed: number;
  days: number;
  failAfterDays: number | null;
  indicator: string | null;
  detected: boolean | null;
  leadH: number | null;
  /** Prediction orders on another indicator than the degrading one (or any, for healthy runs). */
  falseOrders: number;
  orders: Array<{ fault: string; raisedAtH: number; updates: number; hoursToLimit: number | null }>;
  /** At the first raise: forecast hours to the limit, its band, and whether the true failure fell in the band. */
  firstForecast: { hoursToLimit: number | null; band: [number | null, number | null]; model: string; inBand: boolean | null } | null;
  wallMs: number;
}

function runOne(scenario: ScenarioName, type: Kind, seed: number, durationDays: number): RunResult {
  const t0 = performance.now();
  const run = createScenario({ scenario, type, seed, durationDays, disturbances: DISTURBED });
  const device = `${type}-${seed}`;
  const iter = run.samples(EVERY_S)[Symbol.iterator]();
  const first = iter.next();
  if (first.done) throw new Error('empty scenario');
  const points = Object.keys(first.value.values).filter((k) => k !== 'starts_per_hour');
  const cfg: DeviceConfig = { id: device, type, protocol: 'sim', connection: {}, points: points.map((name) => ({ name })) };
  const { predict, orders: service, raised } = predictRig({ config: { devices: [cfg], rules: [], maintenance: { defaultPlans: false } }, persistEveryMs: 3_600_000, settings: OVERRIDE });
  const feed = (sample: { ts: number; values: Record<string, number | boolean> }) => predict.onReadings(readingsOf(device, points, sample));
  feed(first.value);
  for (let r = iter.next(); !r.done; r = iter.next()) feed(r.value);

  const target = run.indicator ? `predicted_${run.indicator.point}` : null;
  // Raise time on the readings' clock (the forecast's own time), as the predictor sees it.
  const list = service.list({ limit: 10_000 }).filter((o) => o.source === 'prediction')
    .map((o) => ({ ...o, createdAt: raised.get(o.id)!.at, updates: raised.get(o.id)!.updates, firstEvidence: raised.get(o.id)!.firstEvidence }));
  const hit = target ? list.filter((o) => o.fault === target && run.failureAt !== null && o.createdAt < run.failureAt).sort((a, b) => a.createdAt - b.createdAt)[0] : undefined;
  return {
    scenario, type, seed, days: durationDays, failAfterDays: run.failureAt ? (run.failureAt - run.start) / DAY : null, indicator: run.indicator?.point ?? null,
    detected: target ? !!hit : null,
    leadH: hit && run.failureAt ? (run.failureAt - hit.createdAt) / 3_600_000 : null,
    falseOrders: list.filter((o) => o.fault !== target).length,
    orders: list.map((o) => ({
      fault: o.fault, raisedAtH: Math.round((o.createdAt - run.start) / 360_000) / 10, updates: o.updates,
      hoursToLimit: ((o.evidence as { forecast?: { hoursToLimit: number | null } } | null)?.forecast?.hoursToLimit) ?? null,
    })),
    firstForecast: hit ? firstForecastOf(hit.firstEvidence, run.failureAt, hit.createdAt) : null,
    wallMs: performance.now() - t0,
  };
}

/** The scenarios' failure level is the indicator's alarm limit, so the forecast's alarm crossing (not its alert crossing) is compared. */
function firstForecastOf(ev: Record<string, unknown> | null, failureAt: number | null, at: number): RunResult['firstForecast'] {
  const f = (ev as { forecast?: { hoursToLimit: number | null; hoursBand: [number | null, number | null]; model: string } } | null)?.forecast;
  if (!f || failureAt === null) return null;
  const actual = (failureAt - at) / 3_600_000;
  const [lo, hi] = f.hoursBand;
  return { hoursToLimit: f.hoursToLimit, band: f.hoursBand, model: f.model, inBand: actual >= (lo ?? 0) && actual <= (hi ?? Infinity) };
}

const results: RunResult[] = [];
const started = performance.now();
for (const d of DEGRADATIONS) {
  for (let i = 0; i < PER_SCENARIO; i++) {
    const seed = SEED_BASE + i + 100 * DEGRADATIONS.indexOf(d);
    // Run past the failure: the drawn failure day is 4–12 d; 14 d covers it with margin.
    const r = runOne(d.scenario, d.type, seed, 14);
    results.push(r);
    console.log(`${d.scenario.padEnd(25)} seed ${String(seed).padStart(4)} fail ${r.failAfterDays?.toFixed(1)} d  ${r.detected ? `detected, lead ${r.leadH?.toFixed(1)} h` : 'MISSED'}  other ${r.orders.filter((o) => o.fault !== `predicted_${r.indicator}`).map((o) => `${o.fault}@${o.raisedAtH}h`).join(' ')}  (${Math.round(r.wallMs)} ms)`);
  }
}
for (const type of ['pump', 'elevator', 'power'] as const) {
  for (let i = 0; i < HEALTHY_PER_TYPE; i++) {
    const seed = SEED_BASE + 500 + i + 100 * ['pump', 'elevator', 'power'].indexOf(type);
    const r = runOne('healthy', type, seed, HEALTHY_DAYS);
    results.push(r);
    console.log(`healthy ${type.padEnd(17)} seed ${String(seed).padStart(4)} ${HEALTHY_DAYS} d  false orders ${r.falseOrders} ${r.orders.map((o) => `${o.fault}@${o.raisedAtH}h`).join(' ')}  (${Math.round(r.wallMs)} ms)`);
  }
}

// Echo controls: a healthy pump beside a failing one, as separate devices and as one machine.
const echo = evalEcho(Array.from({ length: PER_SCENARIO }, (_, i) => SEED_BASE + 800 + i), 14, EVERY_S, DISTURBED, (line) => console.log(line));

const degr = results.filter((r) => r.detected !== null);
const healthy = results.filter((r) => r.detected === null);
const leads = degr.filter((r) => r.leadH !== null).map((r) => r.leadH!);
const healthyMonths = healthy.reduce((a, r) => a + r.days / 30, 0);
const degrMonths = degr.reduce((a, r) => a + r.days / 30, 0);
const byScenario = Object.fromEntries(DEGRADATIONS.map((d) => {
  const rs = degr.filter((r) => r.scenario === d.scenario);
  const l = rs.filter((r) => r.leadH !== null).map((r) => r.leadH!);
  return [d.scenario, { runs: rs.length, detection_rate: rs.filter((r) => r.detected).length / rs.length, median_lead_h: l.length ? Number(median(l).toFixed(1)) : null, min_lead_h: l.length ? Number(Math.min(...l).toFixed(1)) : null }];
}));
const simulatedDays = results.reduce((a, r) => a + r.days, 0);
const wallS = (performance.now() - started) / 1000;
const summary = {
  runs: results.length,
  degradation_runs: degr.length,
  healthy_runs: healthy.length,
  seeds: TUNE ? 'tuning seeds (9001+)' : 'evaluation seeds (1+), not used for tuning',
  detection_rate: Number((degr.filter((r) => r.detected).length / degr.length).toFixed(3)),
  median_lead_h: leads.length ? Number(median(leads).toFixed(1)) : null,
  /** Slow degradations: failure 7 days or more after the start of wear. */
  median_lead_h_slow: (() => {
    const l = degr.filter((r) => (r.failAfterDays ?? 0) >= 7 && r.leadH !== null).map((r) => r.leadH!);
    return l.length ? Number(median(l).toFixed(1)) : null;
  })(),
  slow_runs: degr.filter((r) => (r.failAfterDays ?? 0) >= 7).length,
  false_orders_per_device_month: Number((healthy.reduce((a, r) => a + r.falseOrders, 0) / healthyMonths).toFixed(3)),
  /** At the first raise: |forecast − actual| hours to failure (median), and how often the true failure fell in the band. */
  median_abs_forecast_error_h: (() => {
    const e = degr.filter((r) => r.firstForecast?.hoursToLimit != null && r.leadH !== null).map((r) => Math.abs(r.firstForecast!.hoursToLimit! - r.leadH!));
    return e.length ? Number(median(e).toFixed(1)) : null;
  })(),
  failure_within_band_rate: Number((degr.filter((r) => r.firstForecast?.inBand).length / Math.max(1, degr.filter((r) => r.firstForecast).length)).toFixed(3)),
  settings: NAIVE ? 'naive: no progress or sustain gate, absolute σ floors (comparison only)' : 'predictor defaults (gateway/predict/config.ts)',
  healthy_controls: DISTURBED ? 'real-plant disturbances: load change, seasonal warming, sensor re-mount step, failing neighbour (simulators/scenarios)' : 'kind: load cycles, noise, glitches only',
  /** Prediction orders on other indicators during degradation runs (e.g. bearing temperature during bearing wear: a real second symptom). */
  false_orders_per_device_month_in_degradation_runs: Number((degr.reduce((a, r) => a + r.falseOrders, 0) / degrMonths).toFixed(3)),
  by_scenario: byScenario,
  /** Healthy pumps carrying a failing neighbour's vibration (bench/eval-predict-machine.ts): orders on them with and without `machine`. */
  machine_echo: { ...echo, details: undefined },
  sample_every_s: EVERY_S,
  simulated_days: simulatedDays,
  wall_s: Number(wallS.toFixed(1)),
  time_acceleration: Math.round((simulatedDays * 86_400) / wallS),
  details: results,
  machine_echo_details: echo.details,
};
console.log(JSON.stringify({ ...summary, details: undefined, machine_echo_details: undefined }, null, 2));
if (!TUNE) {
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', `predict${NAIVE ? '-naive' : ''}${DISTURBED ? '' : '-kind'}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`wrote ${out}`);
}
