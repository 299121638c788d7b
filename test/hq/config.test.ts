/** The head-office config: defaults, env overrides, and errors that name the bad key. */
import { describe, expect, it } from 'vitest';
import { validateHqConfig } from '../../hq/config.js';

const HASH = `scrypt$16384$8$1$${'a'.repeat(22)}$${'b'.repeat(43)}`;
const base = () => ({
  nats: { servers: ['nats://127.0.0.1:4222'], user: 'hq', password: 'secret' },
  postgres: { url: 'postgres://hq@127.0.0.1/hq' },
  estates: [{ site: 'north', name: 'North Estate', code: 'NORTH' }],
  users: [{ username: 'desk', passwordHash: HASH, role: 'hq-desk' }],
});

describe('validateHqConfig', () => {
  it('fills defaults and applies environment overrides', () => {
    const c = validateHqConfig(base(), 'hq.yaml', { HQ_HTTP_PORT: '9999', HQ_NATS_SERVERS: 'nats://a:1, nats://b:2', HQ_POSTGRES_URL: 'postgres://x@y/z' });
    expect(c.http).toEqual({ host: '0.0.0.0', port: 9999 });
    expect(c.nats.servers).toEqual(['nats://a:1', 'nats://b:2']);
    expect(c.postgres.url).toBe('postgres://x@y/z');
    expect(c).toMatchObject({ gapGraceSeconds: 30, statusPeriodSeconds: 300, auth: { tokenTtl: '12h', loginAttemptsPerMinute: 10 } });
  });

  it('names the path of every bad key', () => {
    const bad = base();
    Object.assign(bad.estates[0]!, { code: 'north', colour: 'red' });
    bad.users.push({ username: 'estate-dispatcher', passwordHash: HASH, role: 'dispatcher' });
    expect(() => validateHqConfig(bad, 'hq.yaml')).toThrow(/estates\[0\]\.colour: unknown key[\s\S]*estates\[0\]\.code/);
    const noSites = base();
    noSites.users.push({ username: 'estate-dispatcher', passwordHash: HASH, role: 'dispatcher' });
    expect(() => validateHqConfig(noSites, 'hq.yaml')).toThrow('users[1].sites: required for the estate role "dispatcher"');
    const dup = base();
    dup.estates.push({ site: 'south', name: 'South', code: 'NORTH' });
    try {
      validateHqConfig(dup, 'hq.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'HQ_ERR_CONFIG_INVALID' });
      expect((err as Error).message).toContain('estates[1].code: duplicate estate code "NORTH"');
    }
  });
});
