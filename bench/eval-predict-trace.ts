/**
 * Why was a channel warned, or not? (`npm run eval:predict -- --real --trace bearing3_a`)
 *
 * Replays a real run to failure with the same site config and limits as the evaluation
 * (eval-predict-real.ts `prepareRun`) straight into the predictor and the product's work-order
 * service, without the broker (the evaluation proves that path), and prints one line per hourly
 * analysis of the channel: its level over the healthy baseline, the trend, the forecast alert crossing
 * with its band, and the gates holding an order back (`heldBy`, gateway/predict/series.ts). Readings
 * are fed in time order exactly as the gateway's pipeline hands them over.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../gateway/site/load.js';
import type { Reading } from '../gateway/core/reading.js';
import { prepareRun } from './eval-predict-real.js';
import { predictRig } from './lib/predict-rig.js';

const H = 3_600_000;

export async function traceReal(file: string, failed: readonly string[], channel: string, print: (line: string) => void): Promise<void> {
  const run = prepareRun(file, failed);
  const i = run.columns.indexOf(channel);
  if (i < 0) throw new Error(`--trace ${channel}: no such channel (channels: ${run.columns.join(', ')})`);
  const { device, point } = run.channels[i]!;
  const dir = mkdtempSync(join(tmpdir(), 'trace-real-'));
  try {
    writeFileSync(join(dir, 'site.yaml'), run.siteYaml('mqtt://127.0.0.1:1883', join(dir, 'data')));
    const { config } = loadConfig(join(dir, 'site.yaml'));
    const { predict, orders, raised } = predictRig({ config });
    const end = run.rows[run.rows.length - 1]!.ts;
    const base = run.baselines[i]!;
    print(`${channel}: ${run.failed(channel) ? 'failed' : 'healthy'}; baseline ${base.toPrecision(4)}, alert ${run.alerts[i]!.toPrecision(4)}, alarm ${run.limits[i]!.toPrecision(4)}`);
    print('h before end | level/baseline | p (trend) | model | h to alert [band] | shift σ | progress | held by');
    orders.onChange((o, action) => {
      if (o.device === device && o.fault === `predicted_${point}` && action === 'created') print(`  ORDER ${o.number} raised ${((end - raised.get(o.id)!.at) / H).toFixed(1)} h before the end: ${o.title}`);
    });
    let lastAt = 0;
    for (const row of run.rows) {
      // One message per element, as the gateway's pipeline hands it over.
      for (const e of run.elements) {
        const batch: Reading[] = e.channels.map((k) => ({ device: e.device, point: run.channels[k]!.point, value: row.values[k]!, quality: 'good', ts: row.ts }));
        predict.onReadings(batch);
      }
      const f = predict.forecasts(device).find((x) => x.point === point);
      if (!f || f.at === lastAt) continue;
      lastAt = f.at;
      const band = f.alertHoursBand.map((h) => (h === null ? '∞' : h.toFixed(0))).join('–');
      print([
        ((end - f.at) / H).toFixed(0).padStart(5),
        (f.level / base).toFixed(3),
        f.pValue.toPrecision(2),
        f.model,
        `${f.hoursToAlert === null ? '∞' : f.hoursToAlert.toFixed(0)} [${band}]`,
        f.shiftSigma === null ? '-' : f.shiftSigma.toFixed(1),
        f.progress.toFixed(3),
        f.alert ? 'ORDER' : `${f.heldBy.join(',')}${f.echoOf ? ` (echo of ${f.echoOf})` : ''}`,
      ].join(' | '));
    }
    predict.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
