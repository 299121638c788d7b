/**
 * Closed months, frozen (seed 6.x archives; seed 8.x compliance): the report JSON and the xlsx
 * bytes of a month are written once with their SHA-256 and never change. Like the audit tables
 * (gateway/workorders/repository.ts), triggers refuse every UPDATE and DELETE.
 */
import type { Db } from '../storage/sqlite.js';
import { migrate } from '../storage/migrations.js';

const ARCHIVE_SCHEMA = `
CREATE TABLE IF NOT EXISTS archive_months (
  month TEXT PRIMARY KEY, created_at INTEGER NOT NULL, sha256 TEXT NOT NULL, report TEXT NOT NULL, xlsx BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS archive_months_immutable BEFORE UPDATE ON archive_months
  BEGIN SELECT RAISE(ABORT, 'archived months are immutable'); END;
CREATE TRIGGER IF NOT EXISTS archive_months_undeletable BEFORE DELETE ON archive_months
  BEGIN SELECT RAISE(ABORT, 'archived months are immutable'); END;
`;

export interface FrozenMonth {
  month: string;
  createdAt: number;
  /** SHA-256 (hex) of the xlsx bytes: the HTTP ETag of both the workbook and the report. */
  sha256: string;
  report: string;
  xlsx: Buffer;
}

export class ArchiveStore {
  constructor(private readonly db: Db) {
    migrate(db, 'archive', [ARCHIVE_SCHEMA]);
  }

  get(month: string): FrozenMonth | undefined {
    const r = this.db.prepare('SELECT month, created_at, sha256, report, xlsx FROM archive_months WHERE month = ?').get(month) as
      { month: string; created_at: number; sha256: string; report: string; xlsx: Buffer } | undefined;
    return r && { month: r.month, createdAt: r.created_at, sha256: r.sha256, report: r.report, xlsx: r.xlsx };
  }

  /** Freezes a month; the first writer wins (a racing second freeze keeps the first copy). */
  put(m: FrozenMonth): FrozenMonth {
    this.db.prepare('INSERT OR IGNORE INTO archive_months (month, created_at, sha256, report, xlsx) VALUES (?, ?, ?, ?, ?)')
      .run(m.month, m.createdAt, m.sha256, m.report, m.xlsx);
    return this.get(m.month)!;
  }

  list(): { month: string; createdAt: number; sha256: string }[] {
    return this.db.prepare('SELECT month, created_at AS createdAt, sha256 FROM archive_months ORDER BY month').all() as
      { month: string; createdAt: number; sha256: string }[];
  }
}
