/**
 * Simulated echo controls for the predictor's neighbour gate (gateway/predict/README.md, "Machines"),
 * part of `npm run eval:predict`.
 *
 * Each run is a pump set: pump A runs the `bearing_wear` scenario to failure; pump B beside it is a
 * healthy control (with the real-plant disturbances of the healthy runs) whose vibration also carries
 * a share k of A's rise over A's own first-day level: structure-borne vibration through the common
 * base frame, k drawn in [0.25, 0.45] (−12 to −7 dB [guess]). The same two streams are fed twice, to a
 * predictor where A and B are two unrelated devices and to one where they are one `machine`, with the
 * product's work-order service. Counted: prediction orders on B's vibration (false: B is healthy), and
 * whether A's failure was warned, in each variant.
 */
import type { DeviceConfig } from '../gateway/config/schema.js';
import { median } from '../gateway/predict/stats.js';
import { predictRig, readingsOf } from './lib/predict-rig.js';
import { createScenario } from '../simulators/scenarios/index.js';
import { Rng } from '../simulators/random.js';

const DAY = 86_400_000;

export interface EchoRun {
  seed: number;
  /** Share of A's vibration rise that B carries. */
  k: number;
  failAfterDays: number;
  /** Per variant: prediction orders on B's vibration, and A's lead (h) or null when missed. */
  separate: { echoOrders: number; sourceLeadH: number | null };
  machine: { echoOrders: number; sourceLeadH: number | null };
}

export interface EchoSummary {
  runs: number;
  description: string;
  echo_orders_separate: number;
  echo_orders_machine: number;
  source_warned_separate: number;
  source_warned_machine: number;
  median_source_lead_h_separate: number | null;
  median_source_lead_h_machine: number | null;
  details: EchoRun[];
}

type Sample = { ts: number; values: Record<string, number | boolean> };

/** The two pumps' samples, B's vibration with A's echo added. */
function pumpSet(seed: number, days: number, everyS: number, disturbed: boolean): { a: Sample[]; b: Sample[]; k: number; failureAt: number; start: number } {
  const src = createScenario({ scenario: 'bearing_wear', type: 'pump', seed, durationDays: days });
  const ctl = createScenario({ scenario: 'healthy', type: 'pump', seed: seed + 50, durationDays: days, disturbances: disturbed });
  const k = new Rng(seed + 7).uniform(0.25, 0.45);
  const a = [...src.samples(everyS)];
  const b = [...ctl.samples(everyS)];
  const firstDay = a.filter((s) => s.ts < a[0]!.ts + DAY && typeof s.values['vibration'] === 'number').map((s) => s.values['vibration'] as number);
  const level = median(firstDay);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const va = a[i]!.values['vibration'];
    const vb = b[i]!.values['vibration'];
    if (typeof va === 'number' && typeof vb === 'number' && b[i]!.values['running'] !== false) b[i]!.values['vibration'] = vb + k * Math.max(0, va - level);
  }
  return { a, b, k, failureAt: src.failureAt!, start: src.start };
}

function feedBoth(set: ReturnType<typeof pumpSet>, machine: string | undefined): { echoOrders: number; sourceLeadH: number | null } {
  const points = Object.keys(set.a[0]!.values).filter((p) => p !== 'starts_per_hour');
  const device = (id: string): DeviceConfig => ({ id, type: 'pump', protocol: 'sim', connection: {}, points: points.map((name) => ({ name })), ...(machine ? { machine } : {}) });
  const { predict, orders: service, raised } = predictRig({ config: { devices: [device('pump-a'), device('pump-b')], rules: [], maintenance: { defaultPlans: false } }, persistEveryMs: 3_600_000 });
  for (let i = 0; i < Math.min(set.a.length, set.b.length); i++) {
    predict.onReadings(readingsOf('pump-a', points, set.a[i]!));
    predict.onReadings(readingsOf('pump-b', points, set.b[i]!));
  }
  const orders = service.list({ limit: 10_000 }).filter((o) => o.source === 'prediction' && o.fault === 'predicted_vibration');
  const hit = orders.filter((o) => o.device === 'pump-a' && raised.get(o.id)!.at < set.failureAt).map((o) => raised.get(o.id)!.at).sort((x, y) => x - y)[0];
  return { echoOrders: orders.filter((o) => o.device === 'pump-b').length, sourceLeadH: hit === undefined ? null : Number(((set.failureAt - hit) / 3_600_000).toFixed(1)) };
}

export function evalEcho(seeds: readonly number[], days: number, everyS: number, disturbed: boolean, log: (line: string) => void): EchoSummary {
  const details: EchoRun[] = [];
  for (const seed of seeds) {
    const set = pumpSet(seed, days, everyS, disturbed);
    const run: EchoRun = { seed, k: Number(set.k.toFixed(2)), failAfterDays: Number(((set.failureAt - set.start) / DAY).toFixed(1)), separate: feedBoth(set, undefined), machine: feedBoth(set, 'pump-set') };
    details.push(run);
    log(`echo control     seed ${String(seed).padStart(4)} k ${run.k}  fail ${run.failAfterDays} d  echo orders: separate ${run.separate.echoOrders}, one machine ${run.machine.echoOrders}  source lead ${run.separate.sourceLeadH ?? 'MISSED'} / ${run.machine.sourceLeadH ?? 'MISSED'} h`);
  }
  const leads = (v: 'separate' | 'machine') => details.map((d) => d[v].sourceLeadH).filter((l): l is number => l !== null);
  const med = (l: number[]) => (l.length ? Number(median(l).toFixed(1)) : null);
  return {
    runs: details.length,
    description: 'pump A wears its bearing to failure; healthy pump B carries k ∈ [0.25, 0.45] of its vibration rise; fed as separate devices and as one machine',
    echo_orders_separate: details.reduce((a, d) => a + d.separate.echoOrders, 0),
    echo_orders_machine: details.reduce((a, d) => a + d.machine.echoOrders, 0),
    source_warned_separate: leads('separate').length,
    source_warned_machine: leads('machine').length,
    median_source_lead_h_separate: med(leads('separate')),
    median_source_lead_h_machine: med(leads('machine')),
    details,
  };
}
