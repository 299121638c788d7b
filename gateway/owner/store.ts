/**
 * The owner tables beside the work orders (same SQLite file): who asked (phone, label, photo),
 * the feedback links sent and used (one-time nonces, seed 2.3) and the notes the staff address to
 * the owner (the only free text the follow page shows).
 */
import type { Db } from '../storage/sqlite.js';
import { migrate } from '../storage/migrations.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS owner_requests (
  order_id TEXT PRIMARY KEY,
  code TEXT NOT NULL,
  phone TEXT NOT NULL,
  photo TEXT,
  created_at INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS owner_feedback_links (
  nonce TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE TABLE IF NOT EXISTS owner_notes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  author TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS owner_notes_order ON owner_notes(order_id, seq);
CREATE TABLE IF NOT EXISTS owner_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export interface OwnerRequestRow {
  orderId: string;
  code: string;
  phone: string;
  photo: string | null;
  createdAt: number;
}

export interface OwnerNote {
  ts: number;
  author: string;
  text: string;
}

export class OwnerStore {
  constructor(private readonly db: Db) {
    migrate(db, 'owner', [SCHEMA]);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  addRequest(r: OwnerRequestRow): void {
    this.db.prepare('INSERT INTO owner_requests (order_id, code, phone, photo, created_at) VALUES (?, ?, ?, ?, ?)').run(r.orderId, r.code, r.phone, r.photo, r.createdAt);
  }

  request(orderId: string): OwnerRequestRow | undefined {
    const row = this.db.prepare('SELECT order_id, code, phone, photo, created_at FROM owner_requests WHERE order_id = ?').get(orderId) as
      | { order_id: string; code: string; phone: string; photo: string | null; created_at: number }
      | undefined;
    return row && { orderId: row.order_id, code: row.code, phone: row.phone, photo: row.photo, createdAt: row.created_at };
  }

  /** Orders of owners' requests not yet closed or cancelled (the feedback clock watches them). */
  pending(): string[] {
    return (this.db.prepare('SELECT order_id FROM owner_requests WHERE done = 0').all() as { order_id: string }[]).map((r) => r.order_id);
  }

  markDone(orderId: string): void {
    this.db.prepare('UPDATE owner_requests SET done = 1 WHERE order_id = ?').run(orderId);
  }

  addFeedbackLink(nonce: string, orderId: string, expiresAt: number, sentAt: number): void {
    this.db.prepare('INSERT INTO owner_feedback_links (nonce, order_id, expires_at, sent_at) VALUES (?, ?, ?, ?)').run(nonce, orderId, expiresAt, sentAt);
  }

  feedbackLink(nonce: string): { orderId: string; expiresAt: number; usedAt: number | null } | undefined {
    const row = this.db.prepare('SELECT order_id, expires_at, used_at FROM owner_feedback_links WHERE nonce = ?').get(nonce) as
      | { order_id: string; expires_at: number; used_at: number | null }
      | undefined;
    return row && { orderId: row.order_id, expiresAt: row.expires_at, usedAt: row.used_at };
  }

  /** The latest feedback link of an order that is not used yet. */
  openFeedbackLink(orderId: string): { nonce: string; expiresAt: number } | undefined {
    const row = this.db.prepare('SELECT nonce, expires_at FROM owner_feedback_links WHERE order_id = ? AND used_at IS NULL ORDER BY sent_at DESC LIMIT 1').get(orderId) as
      | { nonce: string; expires_at: number }
      | undefined;
    return row && { nonce: row.nonce, expiresAt: row.expires_at };
  }

  /** Marks the nonce used; false when it was used already (the one-time rule, atomic). */
  useFeedbackLink(nonce: string, at: number): boolean {
    return this.db.prepare('UPDATE owner_feedback_links SET used_at = ? WHERE nonce = ? AND used_at IS NULL').run(at, nonce).changes === 1;
  }

  addNote(orderId: string, note: OwnerNote): void {
    this.db.prepare('INSERT INTO owner_notes (order_id, ts, author, text) VALUES (?, ?, ?, ?)').run(orderId, note.ts, note.author, note.text);
  }

  notes(orderId: string): OwnerNote[] {
    return this.db.prepare('SELECT ts, author, text FROM owner_notes WHERE order_id = ? ORDER BY seq').all(orderId) as OwnerNote[];
  }

  meta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM owner_meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO owner_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }
}
