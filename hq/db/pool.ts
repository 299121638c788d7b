/**
 * The PostgreSQL pool of a head-office process. bigint columns (epoch ms, seq) come back as
 * numbers: every value stored in them is below 2^53.
 */
import pg from 'pg';

pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

export type Db = pg.Pool;
export type DbClient = pg.PoolClient | pg.Client;

/**
 * An idle client loses its connection when PostgreSQL restarts; the pool reports that as an
 * 'error' event, which must be handled (the next query opens a new connection).
 */
export function createPool(url: string, opts: { max?: number; onIdleError?: (err: Error) => void } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  pool.on('error', (err) => opts.onIdleError?.(err));
  return pool;
}

/** Runs `fn` inside BEGIN … COMMIT on one client, ROLLBACK on any error. */
export async function inTransaction<T>(client: DbClient, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const out = await fn();
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Runs `fn` with a pooled client; a client that failed is destroyed instead of reused. */
export async function withClient<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const out = await fn(client);
    client.release();
    return out;
  } catch (err) {
    // A data error leaves the connection usable; anything else may have broken it.
    const code = (err as { code?: unknown }).code;
    client.release(typeof code === 'string' && /^(22|23|42)/.test(code) ? undefined : (err as Error));
    throw err;
  }
}
