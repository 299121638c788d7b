/**
 * The comparison chart of the trend page (uPlot, loaded on demand like the estate app's device
 * chart): one line per estate/device (the bucket mean); with a single line, its min–max band.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { bandSeries, baseOptions, chartLocale, fitWidth, numValue, timeSeries } from '../../shared/chart-kit.js';

export interface CompareSeries {
  label: string;
  /** Epoch ms, bucket start. */
  ts: number[];
  mean: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
}

export interface CompareInit {
  series: CompareSeries[];
  stepMs: number;
  from: number;
  to: number;
  timeLabel: string;
  minLabel: string;
  maxLabel: string;
}

export interface CompareChart {
  destroy(): void;
}

const HEIGHT = 320;
export const PALETTE = ['#1d6fd8', '#d23a2f', '#1f9d55', '#c77700', '#7b3fbf', '#0f8f9a', '#b8458b', '#5b6b00', '#444f5e', '#e0661a', '#2b4ea2', '#8a5a2b'];

export function createCompareChart(el: HTMLElement, init: CompareInit): CompareChart {
  // Buckets of different estates share one time axis: align each to its step boundary.
  const bucket = (t: number) => Math.floor(t / init.stepMs) * init.stepMs;
  const times = new Set<number>();
  for (const s of init.series) for (const t of s.ts) times.add(bucket(t));
  const xsMs = [...times].sort((a, b) => a - b);
  const index = new Map(xsMs.map((t, i) => [t, i]));
  const column = (s: CompareSeries, vals: (number | null)[]) => {
    const out: (number | null)[] = new Array<number | null>(xsMs.length).fill(null);
    s.ts.forEach((t, i) => {
      const at = index.get(bucket(t));
      if (at !== undefined) out[at] = vals[i] ?? null;
    });
    return out;
  };
  const band = init.series.length === 1;
  const locale = chartLocale();
  const dateFmt = new Intl.DateTimeFormat(locale, { month: '2-digit', day: '2-digit' });
  const timeFmt = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hour12: false });
  // Midnight ticks carry the date, the others the time of day.
  const tick = (s: number) => {
    const d = new Date(s * 1000);
    return d.getHours() === 0 && d.getMinutes() === 0 ? dateFmt.format(d) : timeFmt.format(d);
  };
  const full = new Intl.DateTimeFormat(locale, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });

  const series: uPlot.Series[] = [timeSeries(init.timeLabel, full)];
  const data: (number | null)[][] = [xsMs.map((t) => t / 1000)];
  init.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length] ?? '#1d6fd8';
    series.push({ label: s.label, stroke: color, width: 1.5, spanGaps: false, points: { show: xsMs.length < 60, size: 4 }, value: numValue });
    data.push(column(s, s.mean));
  });
  if (band) {
    const s = init.series[0]!;
    series.push(...bandSeries(init.maxLabel, init.minLabel));
    data.push(column(s, s.max), column(s, s.min));
  }

  const opts: uPlot.Options = {
    ...baseOptions(el, { height: HEIGHT, series, band, tick, xSpace: 56, ySize: 56 }),
    cursor: { drag: { x: true, y: false, setScale: true } },
  };
  const plot = new uPlot(opts, data as uPlot.AlignedData, el);
  // The whole requested range, even where an estate sent nothing yet.
  plot.setScale('x', { min: init.from / 1000, max: init.to / 1000 });
  el.dataset.series = String(init.series.length);
  el.dataset.samples = String(xsMs.length);
  el.dataset.band = String(band);
  const stopFit = fitWidth(el, plot, HEIGHT);
  return {
    destroy() {
      stopFit();
      plot.destroy();
    },
  };
}
