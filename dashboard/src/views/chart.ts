/**
 * The trend chart (uPlot). Loaded on demand by the device page, so the overview's first load
 * does not carry the chart library.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtNumber } from '../format.js';
import { getLang } from '../i18n.js';

export interface TrendInit {
  label: string;
  /** Legend label of the time axis. */
  timeLabel: string;
  unit: string;
  windowMs: number;
  /** Epoch ms, ascending. */
  ts: number[];
  values: (number | null)[];
}

export interface TrendChart {
  push(ts: number, value: number | null): void;
  destroy(): void;
}

const HEIGHT = 280;

export function createTrend(el: HTMLElement, init: TrendInit): TrendChart {
  const windowS = init.windowMs / 1000;
  const xs = init.ts.map((t) => t / 1000);
  const ys = init.values.slice();
  const locale = getLang() === 'en' ? 'en-GB' : 'zh-CN';
  const hm = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hour12: false });
  const hms = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

  const opts: uPlot.Options = {
    width: Math.max(el.clientWidth, 280),
    height: HEIGHT,
    scales: {
      x: {
        time: true,
        range: () => {
          const now = Date.now() / 1000;
          return [now - windowS, now];
        },
      },
    },
    series: [
      { label: init.timeLabel, value: (_u, v) => (v === null ? '—' : hms.format(v * 1000)) },
      {
        label: init.unit ? `${init.label} (${init.unit})` : init.label,
        stroke: '#1d6fd8',
        fill: 'rgba(29, 111, 216, 0.08)',
        width: 1.5,
        spanGaps: false,
        points: { show: false },
        value: (_u, v) => (v === null ? '—' : fmtNumber(v)),
      },
    ],
    axes: [
      { values: (_u, splits) => splits.map((s) => hm.format(s * 1000)), stroke: '#55606e', grid: { stroke: '#e6e9ee' } },
      { stroke: '#55606e', grid: { stroke: '#e6e9ee' }, size: 60 },
    ],
    legend: { live: true },
  };

  const plot = new uPlot(opts, [xs, ys], el);
  // Test hook: how many samples the chart holds.
  el.dataset.samples = String(xs.length);

  let pending = false;
  const redraw = () => {
    pending = false;
    plot.setData([xs, ys]);
    el.dataset.samples = String(xs.length);
  };
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(redraw);
  };
  // Slide the window even when no new value arrives.
  const slide = setInterval(schedule, 5000);
  const ro = new ResizeObserver(() => {
    const w = Math.max(el.clientWidth, 280);
    if (w !== plot.width) plot.setSize({ width: w, height: HEIGHT });
  });
  ro.observe(el);

  return {
    push(ts, value) {
      const x = ts / 1000;
      const last = xs[xs.length - 1];
      if (last !== undefined && x < last) return;
      if (last === x) ys[ys.length - 1] = value;
      else {
        xs.push(x);
        ys.push(value);
      }
      const cutoff = Date.now() / 1000 - windowS * 1.1;
      let drop = 0;
      while (drop < xs.length && (xs[drop] ?? Infinity) < cutoff) drop++;
      if (drop > 0) {
        xs.splice(0, drop);
        ys.splice(0, drop);
      }
      schedule();
    },
    destroy() {
      clearInterval(slide);
      ro.disconnect();
      plot.destroy();
    },
  };
}
