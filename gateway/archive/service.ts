/**
 * The monthly archive of one estate (seed 6.x archives, records and statistics; docs/service-rules.md).
 * A month is `open` until it is over in the estate's time zone plus a grace (default 3 days, for
 * late ledger entries and feedback); then it is `closed`: the first request for it, or the daily
 * check, freezes its report JSON and workbook into `archive_months` (./store.ts), and from then on
 * the frozen copy is served, byte for byte, whatever happens to the month's orders later. An open
 * month is built live and marked provisional.
 */
import { createHash } from 'node:crypto';
import { Errors } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Db } from '../storage/sqlite.js';
import { checkTimezone, DEFAULT_TIMEZONE, monthAt, monthOf, nextMonth, type MonthRange } from './month.js';
import { buildReport, type ArchiveSource, type MonthlyReport } from './report.js';
import { ArchiveStore } from './store.js';
import { buildWorkbook } from './xlsx.js';

export const DEFAULT_GRACE_MS = 3 * 86_400_000;
const DAY = 86_400_000;

export interface ArchiveOptions {
  db: Db;
  source: ArchiveSource;
  estate: { site: string; code: string; name: string };
  /** IANA zone of the estate's months and spreadsheet times; default Asia/Shanghai. */
  timezone?: string;
  /** How long after the month's end it stays open, ms; default 3 days. */
  graceMs?: number;
  /** Earliest time with data (first order), for the list of months; default none. */
  firstDataAt?: () => number | null;
  log: Logger;
}

export interface ArchivedMonth {
  report: MonthlyReport;
  /** The report as served (the frozen text for a closed month). */
  json: string;
  xlsx: Buffer;
  sha256: string;
  createdAt: number | null;
}

export interface MonthEntry {
  month: string;
  status: 'open' | 'closed';
  /** When the month closes (end + grace). */
  closesAt: number;
  sha256: string | null;
  createdAt: number | null;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export class ArchiveService {
  readonly timezone: string;
  readonly graceMs: number;
  private readonly store: ArchiveStore;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: ArchiveOptions) {
    this.timezone = opts.timezone ?? DEFAULT_TIMEZONE;
    checkTimezone(this.timezone);
    this.graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
    this.store = new ArchiveStore(opts.db);
  }

  /** The month's range; a month after the current one is a coded 400 (nothing to report yet). */
  range(month: string): MonthRange {
    const r = monthOf(month, this.timezone);
    const now = this.opts.source.now();
    if (r.from > now) throw Errors.TIME_RANGE('params.month', '1970-01', `${monthAt(now, this.timezone)} (the current month)`);
    return r;
  }

  isClosed(r: MonthRange, now = this.opts.source.now()): boolean {
    return now >= r.to + this.graceMs;
  }

  /** The month's report and workbook: frozen when closed (freezing it on first use), live when open. */
  async month(month: string): Promise<ArchivedMonth> {
    const r = this.range(month);
    const frozen = this.store.get(month);
    if (frozen) return this.fromFrozen(frozen);
    if (!this.isClosed(r)) {
      const built = await this.build(r, 'open');
      return { ...built, createdAt: null };
    }
    const built = await this.build(r, 'closed');
    const kept = this.store.put({ month, createdAt: built.report.generatedAt, sha256: built.sha256, report: built.json, xlsx: built.xlsx });
    this.opts.log.info({ month, sha256: kept.sha256 }, 'month archived');
    return this.fromFrozen(kept);
  }

  /** Every month from the first data (or the current month) to now, newest first. */
  list(): MonthEntry[] {
    const now = this.opts.source.now();
    const frozen = new Map(this.store.list().map((m) => [m.month, m]));
    const current = monthAt(now, this.timezone);
    const first = this.opts.firstDataAt?.() ?? null;
    let m = [first === null ? current : monthAt(Math.min(first, now), this.timezone), ...frozen.keys()].sort()[0]!;
    const out: MonthEntry[] = [];
    for (; m <= current; m = nextMonth(m)) {
      const r = monthOf(m, this.timezone);
      const f = frozen.get(m);
      out.push({ month: m, status: f || this.isClosed(r, now) ? 'closed' : 'open', closesAt: r.to + this.graceMs, sha256: f?.sha256 ?? null, createdAt: f?.createdAt ?? null });
    }
    return out.reverse();
  }

  /** Freezes every closed month not frozen yet (the daily check); returns the months frozen. */
  async closeDue(): Promise<string[]> {
    const done: string[] = [];
    for (const e of this.list()) {
      if (e.status === 'closed' && e.sha256 === null) {
        await this.month(e.month);
        done.push(e.month);
      }
    }
    return done;
  }

  /** Runs `closeDue` now and once a day. */
  start(everyMs = DAY): void {
    const run = () => void this.closeDue().catch((err: unknown) => this.opts.log.error({ err }, 'monthly archive failed'));
    run();
    this.timer = setInterval(run, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async build(r: MonthRange, status: 'open' | 'closed'): Promise<Omit<ArchivedMonth, 'createdAt'>> {
    const src = this.opts.source;
    const report = buildReport(src, { month: r.month, timezone: this.timezone, from: r.from, to: r.to, estate: this.opts.estate, status });
    const orders = src.orders(r.from, r.to);
    const ledger = orders.flatMap((o) => src.ledger(o.id));
    const xlsx = await buildWorkbook({ report, orders, ledger });
    return { report, json: JSON.stringify(report), xlsx, sha256: sha256(xlsx) };
  }

  private fromFrozen(f: { report: string; xlsx: Buffer; sha256: string; createdAt: number }): ArchivedMonth {
    return { report: JSON.parse(f.report) as MonthlyReport, json: f.report, xlsx: f.xlsx, sha256: f.sha256, createdAt: f.createdAt };
  }
}
