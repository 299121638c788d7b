/**
 * uPlot pieces both trend charts share: locale, legend formatters, the min–max band, the base
 * options (time axis, colours, legend) and resizing with the container. Types only from uPlot,
 * so importing this does not load the chart library.
 */
import type uPlot from 'uplot';
import { fmtNumber } from '../format.js';
import { localeTag } from './lang.js';

export { localeTag as chartLocale };

const axisStyle = () => ({ stroke: '#55606e', grid: { stroke: '#e6e9ee' } });
const BAND_STROKE = 'rgba(29, 111, 216, 0.35)';
const BAND_FILL = 'rgba(29, 111, 216, 0.15)';
const MIN_WIDTH = 280;

/** Legend value of a data series: the number, or a dash for a gap. */
export function numValue(_u: uPlot, v: number | null): string {
  return v === null ? '—' : fmtNumber(v);
}

/** The x series: its legend shows the cursor's time (seconds) with `fmt`. */
export function timeSeries(label: string, fmt: Intl.DateTimeFormat): uPlot.Series {
  return { label, value: (_u, v) => (v === null ? '—' : fmt.format(v * 1000)) };
}

/** The max and min series of a band (in that order: the band fills between them). */
export function bandSeries(maxLabel: string, minLabel: string): uPlot.Series[] {
  return [
    { label: maxLabel, stroke: BAND_STROKE, width: 1, points: { show: false }, value: numValue },
    { label: minLabel, stroke: BAND_STROKE, width: 1, points: { show: false }, value: numValue },
  ];
}

export interface BaseChart {
  height: number;
  series: uPlot.Series[];
  /** Series 2 and 3 are a max/min band around series 1. */
  band: boolean;
  /** Tick label of a time (seconds). */
  tick: (s: number) => string;
  /** Minimum spacing of time ticks (uPlot's default if omitted). */
  xSpace?: number;
  /** Width of the value axis. */
  ySize: number;
}

/** Options of a time chart as wide as `el` with a fixed x range (set by the caller). */
export function baseOptions(el: HTMLElement, c: BaseChart): uPlot.Options {
  return {
    width: Math.max(el.clientWidth, MIN_WIDTH),
    height: c.height,
    scales: { x: { time: true, auto: false } },
    series: c.series,
    ...(c.band ? { bands: [{ series: [2, 3], fill: BAND_FILL }] } : {}),
    axes: [
      { values: (_u, splits) => splits.map(c.tick), ...(c.xSpace === undefined ? {} : { space: c.xSpace }), ...axisStyle() },
      { ...axisStyle(), size: c.ySize },
    ],
    legend: { live: true },
  };
}

/** Keep the chart as wide as `el`; returns the function that stops it. */
export function fitWidth(el: HTMLElement, plot: uPlot, height: number): () => void {
  const ro = new ResizeObserver(() => {
    const w = Math.max(el.clientWidth, MIN_WIDTH);
    if (w !== plot.width) plot.setSize({ width: w, height });
  });
  ro.observe(el);
  return () => ro.disconnect();
}
