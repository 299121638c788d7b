import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresHandle } from '../../tools/postgres.js';

describe('test helper: startPostgres', () => {
  let server: PostgresHandle;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());

  const query = async (sql: string) => {
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    try {
      return (await c.query(sql)).rows as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  };

  it('answers on a free port and keeps data across restart and a crash', async () => {
    expect(server.port).not.toBe(5432);
    expect((await query('SELECT version() AS v'))[0]!.v).toMatch(/PostgreSQL 15/);
    await query('CREATE TABLE probe (n int); INSERT INTO probe VALUES (1)');
    await server.restart();
    expect(await query('SELECT n FROM probe')).toEqual([{ n: 1 }]);
    await server.kill();
    await expect(query('SELECT 1')).rejects.toThrow();
    await server.restart();
    expect(await query('SELECT n FROM probe')).toEqual([{ n: 1 }]);
  });
});
