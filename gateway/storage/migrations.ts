/**
 * Versioned schema migrations for the gateway's SQLite databases, one runner for every store.
 * Each component (work orders, alarms, history, ...) keeps an ordered list of steps; `migrate()`
 * runs the steps a database has not had yet, in one transaction, and records the component's
 * version (the number of steps applied) in `schema_versions`. Steps are only ever appended, never
 * edited once released. The first steps are idempotent (`IF NOT EXISTS`, `addColumns`) because
 * databases written before versions were recorded already hold some of them.
 */
import { Errors } from '../core/errors.js';
import type { Db } from './sqlite.js';

/** One step: SQL statements, or code for what SQL alone cannot say. */
export type Migration = string | ((db: Db) => void);

const VERSIONS = `CREATE TABLE IF NOT EXISTS schema_versions (
  component TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at INTEGER NOT NULL)`;

/** Bring `component`'s tables in `db` up to date; throws `GW_ERR_SCHEMA_NEWER` for a database of a newer gateway. */
export function migrate(db: Db, component: string, steps: readonly Migration[]): void {
  db.exec(VERSIONS);
  db.transaction(() => {
    const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as { version: number } | undefined;
    const have = row?.version ?? 0;
    if (have > steps.length) throw Errors.SCHEMA_NEWER(db.name, component, have, steps.length);
    if (have === steps.length) return;
    for (const step of steps.slice(have)) {
      if (typeof step === 'string') db.exec(step);
      else step(db);
    }
    db.prepare(`INSERT INTO schema_versions (component, version, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (component) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`)
      .run(component, steps.length, Date.now());
  })();
}

/** A step that adds the columns `table` lacks (idempotent: a database may already have some). */
export function addColumns(table: string, columns: readonly (readonly [name: string, type: string])[]): Migration {
  return (db) => {
    const have = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
    for (const [name, type] of columns) if (!have.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
  };
}
