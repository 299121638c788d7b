/**
 * Embedded SQLite (better-sqlite3 12) with write-ahead logging, used for alarms, work orders and
 * the embedded history. `synchronous = NORMAL` in WAL mode loses at most the last transactions on
 * power loss, never corrupts; commits survive a process kill.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Errors } from '../core/errors.js';

export type Db = Database.Database;

/** Creates the data folder if needed and fails with a clear coded error when it is not writable. */
export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw Errors.DATA_DIR(dir, (err as NodeJS.ErrnoException).code ?? String(err));
  }
}

/** Opens (creating) `<dataDir>/<name>`; each store then brings its tables up to date with `migrate()` (./migrations.ts). */
export function openDatabase(dataDir: string, name: string): Db {
  const db = new Database(join(dataDir, name));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 2000');
  return db;
}
