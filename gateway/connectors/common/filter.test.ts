/** The shared report policy: deadband (absolute, percent), on-change, heartbeat, durations. */
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../core/reading.js';
import { ReportFilter, parseDuration, toReportPolicy } from './filter.js';

const r = (value: Reading['value'], quality: Reading['quality'] = 'good', reason?: string): Reading => ({
  device: 'd',
  point: 'p',
  value,
  quality,
  ts: 0,
  ...(reason ? { reason } : {}),
});

describe('report filter', () => {
  it('passes everything for points without a policy', () => {
    const f = new ReportFilter();
    expect([f.pass(r(1)), f.pass(r(1)), f.pass(r(1))]).toEqual([true, true, true]);
  });

  it('applies an absolute deadband against the last emitted value, not the last seen one', () => {
    const f = new ReportFilter();
    f.set('d', 'p', { deadband: { type: 'absolute', value: 0.5 }, onChange: true });
    const seq = [10, 10.3, 10.5, 10.6, 10.9, 11.2, 9.5].map((v) => f.pass(r(v), 0));
    expect(seq).toEqual([true, false, false, true, false, true, true]);
  });

  it('applies a percent deadband relative to the last emitted value', () => {
    const f = new ReportFilter();
    f.set('d', 'p', { deadband: { type: 'percent', value: 10 }, onChange: true });
    expect([200, 215, 221, 221].map((v) => f.pass(r(v), 0))).toEqual([true, false, true, false]);
  });

  it('reports on change only, but always on a quality or reason change, and sends heartbeats', () => {
    const f = new ReportFilter();
    f.set('d', 'p', { onChange: true, maxInterval: 1000 });
    expect(f.pass(r('a'), 0)).toBe(true);
    expect(f.pass(r('a'), 500)).toBe(false);
    expect(f.pass(r('a'), 1000)).toBe(true); // heartbeat
    expect(f.pass(r(null, 'bad', 'timeout'), 1100)).toBe(true);
    expect(f.pass(r(null, 'bad', 'timeout'), 1200)).toBe(false);
    expect(f.pass(r(null, 'bad', 'refused'), 1300)).toBe(true);
    expect(f.pass(r('a'), 1400)).toBe(true);
    expect(f.due(2000)).toEqual([]);
    expect(f.due(2400)).toEqual([{ ...r('a'), ts: 2400 }]);
    expect(f.due(2500)).toEqual([]);
  });

  it('reads its config keys and names the bad ones', () => {
    const problems: string[] = [];
    expect(toReportPolicy({}, 'points[0]', problems)).toBeUndefined();
    expect(toReportPolicy({ report: { maxInterval: '60s' } }, 'points[0]', problems)).toEqual({ onChange: true, maxInterval: 60_000 });
    expect(toReportPolicy({ deadband: { type: 'percent', value: 2 }, report: { onChange: false } }, 'points[1]', problems)).toEqual({
      onChange: false,
      deadband: { type: 'percent', value: 2 },
    });
    toReportPolicy({ report: { maxInterval: 'soon' } }, 'points[2]', problems);
    toReportPolicy({ deadband: { type: 'relative', value: 1 } }, 'points[3]', problems);
    expect(problems).toEqual([
      'points[2].report.maxInterval: duration "soon": expected a number with ms, s, m or h',
      'points[3].deadband: needs type absolute|percent and a value >= 0',
    ]);
    expect([parseDuration('500ms'), parseDuration('1.5s'), parseDuration('5m'), parseDuration('1h'), parseDuration(250)]).toEqual([
      500, 1500, 300_000, 3_600_000, 250,
    ]);
  });
});
