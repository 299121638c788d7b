/**
 * The trend chart (uPlot). Loaded on demand by the device page, so the overview's first load
 * does not carry the chart library. Drag across the chart to zoom in, double-click or "reset
 * zoom" to go back to the sliding window. Rollup tiers (1-minute / 1-hour buckets) draw the
 * bucket's min–max as a band around the mean, so short spikes stay visible.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { bandSeries, baseOptions, chartLocale, fitWidth, numValue, timeSeries } from '../shared/chart-kit.js';

export interface TrendInit {
  label: string;
  /** Legend labels of the time axis and of the min/max band. */
  timeLabel: string;
  minLabel: string;
  maxLabel: string;
  unit: string;
  windowMs: number;
  /** Epoch ms, ascending. */
  ts: number[];
  values: (number | null)[];
  /** Bucket min and max (rollups); omitted for raw data. */
  mins?: (number | null)[];
  maxs?: (number | null)[];
  /** Called when the zoom state changes (to show or hide a reset button). */
  onZoom?: (zoomed: boolean) => void;
}

export interface TrendChart {
  push(ts: number, value: number | null): void;
  resetZoom(): void;
  destroy(): void;
}

const HEIGHT = 280;

export function createTrend(el: HTMLElement, init: TrendInit): TrendChart {
  const windowS = init.windowMs / 1000;
  const band = !!init.mins && !!init.maxs;
  const xs = init.ts.map((t) => t / 1000);
  const cols: (number | null)[][] = [init.values.slice()];
  if (band) cols.push(init.maxs!.slice(), init.mins!.slice());
  const locale = chartLocale();
  const long = init.windowMs > 86_400_000;
  const tick = new Intl.DateTimeFormat(locale, long ? { month: '2-digit', day: '2-digit', hour: '2-digit', hour12: false } : { hour: '2-digit', minute: '2-digit', hour12: false });
  const full = new Intl.DateTimeFormat(locale, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

  let zoomed = false;
  let programmatic = false;
  const applyWindow = () => {
    const now = Date.now() / 1000;
    programmatic = true;
    plot.setScale('x', { min: now - windowS, max: now });
    programmatic = false;
  };
  const setZoomed = (z: boolean) => {
    if (z === zoomed) return;
    zoomed = z;
    el.dataset.zoomed = String(z);
    init.onZoom?.(z);
  };

  const series: uPlot.Series[] = [
    timeSeries(init.timeLabel, full),
    { label: init.unit ? `${init.label} (${init.unit})` : init.label, stroke: '#1d6fd8', width: 1.5, spanGaps: false, points: { show: false }, value: numValue },
  ];
  if (band) series.push(...bandSeries(init.maxLabel, init.minLabel));
  else series[1]!.fill = 'rgba(29, 111, 216, 0.08)';

  const opts: uPlot.Options = {
    ...baseOptions(el, { height: HEIGHT, series, band, tick: (s) => tick.format(s * 1000), ySize: 60 }),
    cursor: {
      drag: { x: true, y: false, setScale: true },
      bind: {
        dblclick: () => () => {
          resetZoom();
          return null;
        },
      },
    },
    hooks: {
      setScale: [
        (_u, key) => {
          if (key === 'x' && !programmatic) setZoomed(true);
        },
      ],
    },
  };

  const plot = new uPlot(opts, [xs, ...cols] as uPlot.AlignedData, el);
  applyWindow();
  // Test hook: how many samples the chart holds.
  el.dataset.samples = String(xs.length);
  el.dataset.band = String(band);
  el.dataset.zoomed = 'false';

  let pending = false;
  const redraw = () => {
    pending = false;
    plot.setData([xs, ...cols] as uPlot.AlignedData, false);
    if (!zoomed) applyWindow();
    else plot.redraw();
    el.dataset.samples = String(xs.length);
  };
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(redraw);
  };
  function resetZoom(): void {
    setZoomed(false);
    applyWindow();
  }
  // Slide the window even when no new value arrives.
  const slide = setInterval(schedule, 5000);
  const stopFit = fitWidth(el, plot, HEIGHT);

  return {
    push(ts, value) {
      const x = ts / 1000;
      const last = xs[xs.length - 1];
      if (last !== undefined && x < last) return;
      if (last === x) cols[0]![cols[0]!.length - 1] = value;
      else {
        xs.push(x);
        cols[0]!.push(value);
        // A live raw value is its own min and max.
        if (band) {
          cols[1]!.push(value);
          cols[2]!.push(value);
        }
      }
      const cutoff = Date.now() / 1000 - windowS * 1.1;
      let drop = 0;
      while (drop < xs.length && (xs[drop] ?? Infinity) < cutoff) drop++;
      if (drop > 0) {
        xs.splice(0, drop);
        for (const c of cols) c.splice(0, drop);
      }
      schedule();
    },
    resetZoom,
    destroy() {
      clearInterval(slide);
      stopFit();
      plot.destroy();
    },
  };
}
