import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { addColumns, migrate, type Migration } from './migrations.js';
import { openDatabase, type Db } from './sqlite.js';

const fresh = (): Db => openDatabase(mkdtempSync(join(tmpdir(), 'gw-migrate-')), 'gateway.db');
const columns = (db: Db, table: string) => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
const version = (db: Db, component: string) =>
  (db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as { version: number } | undefined)?.version;

describe('schema migrations', () => {
  const v1: Migration[] = ['CREATE TABLE IF NOT EXISTS things (id TEXT PRIMARY KEY)'];
  const v2: Migration[] = [...v1, addColumns('things', [['colour', 'TEXT']])];

  it('creates the tables of a new database and records the version', () => {
    const db = fresh();
    migrate(db, 'things', v2);
    expect(columns(db, 'things')).toEqual(['id', 'colour']);
    expect(version(db, 'things')).toBe(2);
  });

  it('runs only the steps a database has not had, keeping its rows', () => {
    const db = fresh();
    migrate(db, 'things', v1);
    db.prepare("INSERT INTO things (id) VALUES ('a')").run();
    let ran = 0;
    migrate(db, 'things', [...v2, () => ran++]);
    migrate(db, 'things', [...v2, () => ran++]);
    expect(ran).toBe(1);
    expect(version(db, 'things')).toBe(3);
    expect(db.prepare('SELECT id, colour FROM things').all()).toEqual([{ id: 'a', colour: null }]);
  });

  it('upgrades a database written before versions were recorded (columns partly there)', () => {
    const db = fresh();
    db.exec('CREATE TABLE things (id TEXT PRIMARY KEY, colour TEXT)');
    migrate(db, 'things', [...v2, addColumns('things', [['colour', 'TEXT'], ['size', 'INTEGER']])]);
    expect(columns(db, 'things')).toEqual(['id', 'colour', 'size']);
  });

  it('keeps components apart in one database', () => {
    const db = fresh();
    migrate(db, 'things', v2);
    migrate(db, 'other', ['CREATE TABLE other (n INTEGER)']);
    expect([version(db, 'things'), version(db, 'other')]).toEqual([2, 1]);
  });

  it('refuses a database of a newer gateway with a coded error, and changes nothing', () => {
    const db = fresh();
    migrate(db, 'things', v2);
    const err = (() => { try { migrate(db, 'things', v1); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('GW_ERR_SCHEMA_NEWER');
    expect(version(db, 'things')).toBe(2);
  });

  it('rolls a failed step back: the version stays and the step runs again next time', () => {
    const db = fresh();
    migrate(db, 'things', v1);
    expect(() => migrate(db, 'things', [...v1, 'ALTER TABLE things ADD COLUMN weight REAL', 'NOT SQL'])).toThrow();
    expect(version(db, 'things')).toBe(1);
    expect(columns(db, 'things')).toEqual(['id']);
  });
});
