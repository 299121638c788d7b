/**
 * `Idempotency-Key` on the steps a technician takes in the field (transition, ledger entry, photo):
 * a phone that lost its answer sends the same step again with the same key, and the gateway answers
 * with the stored answer of the first attempt instead of doing it twice (README.md, "On a phone").
 *
 * Keys are per user (`PRIMARY KEY (username, key)` in SQLite, so they survive a restart) and are kept
 * for 24 h. A key reused for a different request (other method or URL) is refused with
 * `422 GW_ERR_IDEMPOTENCY_KEY`. Only successful answers are stored: a refused step (409, 403) is
 * refused again on its own terms. A second request with a key whose first request is still running
 * waits for it, then gets its answer.
 *
 * The hook runs after authentication and the ownership check (auth/plugin.ts), so a stored answer is
 * only ever replayed to a caller who may still make the call.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../core/errors.js';
import type { Db } from '../storage/sqlite.js';
import { migrate } from '../storage/migrations.js';

const IDEMPOTENCY_SCHEMA = `
CREATE TABLE IF NOT EXISTS idempotency_keys (
  username TEXT NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL, status INTEGER NOT NULL,
  content_type TEXT, body TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (username, key));
CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys(created_at);
`;

/** Routes (method + pattern) that honour the header. */
export const IDEMPOTENT_ROUTES: ReadonlySet<string> = new Set([
  'POST /api/work-orders/:id/transition',
  'POST /api/work-orders/:id/ledger',
  'POST /api/work-orders/:id/photos',
]);

const KEEP_MS = 24 * 3600 * 1000;
const KEY_RE = /^[A-Za-z0-9_-]{8,100}$/;

interface Stored {
  request: string;
  status: number;
  content_type: string | null;
  body: string;
}

export class IdempotencyStore {
  private readonly inflight = new Map<string, Promise<void>>();
  private lastPrune = 0;

  constructor(private readonly db: Db, private readonly now: () => number = Date.now) {
    migrate(db, 'idempotency_keys', [IDEMPOTENCY_SCHEMA]);
  }

  find(username: string, key: string): Stored | undefined {
    return this.db.prepare('SELECT request, status, content_type, body FROM idempotency_keys WHERE username = ? AND key = ? AND created_at > ?')
      .get(username, key, this.now() - KEEP_MS) as Stored | undefined;
  }

  save(username: string, key: string, s: Stored): void {
    const now = this.now();
    if (now - this.lastPrune > 3600_000) {
      this.lastPrune = now;
      this.db.prepare('DELETE FROM idempotency_keys WHERE created_at <= ?').run(now - KEEP_MS);
    }
    this.db.prepare('INSERT OR REPLACE INTO idempotency_keys (username, key, request, status, content_type, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(username, key, s.request, s.status, s.content_type, s.body, now);
  }

  /** Marks `id` as running; the returned function ends it. Waits first while another holds it. */
  async hold(id: string): Promise<() => void> {
    for (let running = this.inflight.get(id); running; running = this.inflight.get(id)) await running;
    let release!: () => void;
    this.inflight.set(id, new Promise<void>((r) => (release = r)));
    return () => {
      this.inflight.delete(id);
      release();
    };
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set while an idempotent request runs: how to store its answer and free the key. */
    idempotency: { username: string; key: string; request: string; release: () => void } | null;
  }
}

const requestOf = (req: FastifyRequest) => `${req.method} ${req.url}`;

/** Call on the root instance after registerAuth and before the routes. */
export function registerIdempotency(app: FastifyInstance, store: IdempotencyStore): void {
  app.decorateRequest('idempotency', null);
  app.addHook('preHandler', async (req, reply) => {
    const route = req.routeOptions.url;
    const header = req.headers['idempotency-key'];
    if (!route || header === undefined || !req.user || !IDEMPOTENT_ROUTES.has(`${req.method} ${route}`)) return;
    const key = Array.isArray(header) ? header[0] ?? '' : header;
    if (!KEY_RE.test(key)) throw Errors.IDEMPOTENCY_KEY('Idempotency-Key must be 8–100 letters, digits, "-" or "_"');
    const username = req.user.username;
    const release = await store.hold(`${username}\n${key}`);
    const stored = store.find(username, key);
    if (stored) {
      release();
      if (stored.request !== requestOf(req)) throw Errors.IDEMPOTENCY_KEY(`Idempotency-Key ${key} was used for ${stored.request}`);
      reply.header('idempotent-replayed', 'true');
      if (stored.content_type) reply.header('content-type', stored.content_type);
      return reply.status(stored.status).send(stored.body);
    }
    req.idempotency = { username, key, request: requestOf(req), release };
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const held = req.idempotency;
    if (!held) return payload;
    req.idempotency = null;
    try {
      if (reply.statusCode < 300 && typeof payload === 'string') {
        const type = reply.getHeader('content-type');
        store.save(held.username, held.key, { request: held.request, status: reply.statusCode, content_type: typeof type === 'string' ? type : null, body: payload });
      }
    } finally {
      held.release();
    }
    return payload;
  });
  // An answer that never reached onSend (connection dropped) must not keep the key held.
  app.addHook('onResponse', async (req) => {
    req.idempotency?.release();
    req.idempotency = null;
  });
}
