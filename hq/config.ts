/**
 * Head-office config: one YAML file (`HQ_CONFIG`), `${VAR}` / `${VAR:-default}` expanded like the
 * site config, validated with TypeBox; every problem names the path of the bad key. Environment
 * overrides for what differs per deployment: HQ_HTTP_HOST, HQ_HTTP_PORT, HQ_NATS_SERVERS (comma
 * separated), HQ_NATS_USER, HQ_NATS_PASSWORD, HQ_POSTGRES_URL.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { expandEnv } from '../gateway/config/env.js';
import { validator } from '../gateway/config/explain.js';
import { SITE_ID_PATTERN } from '../gateway/core/envelope.js';
import { HqErrors } from './api/errors.js';
import { HqUserConfig } from './api/roles.js';

export const EstateConfig = Type.Object(
  {
    site: Type.String({ pattern: SITE_ID_PATTERN }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    /** Estate code in its order numbers: WO-<code>-YYYYMMDD-NNNN. */
    code: Type.String({ pattern: '^[A-Z0-9]{1,12}$' }),
    /** The estate gateway's own dashboard, for links from head office. */
    url: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** The estate's NATS password (used by the NATS config renderer, never by hq itself). */
    natsPassword: Type.Optional(Type.String({ minLength: 8 })),
  },
  { additionalProperties: false },
);

export const HqConfig = Type.Object(
  {
    http: Type.Object({ host: Type.String({ default: '0.0.0.0' }), port: Type.Integer({ minimum: 0, maximum: 65535, default: 8090 }) }, { additionalProperties: false, default: {} }),
    nats: Type.Object(
      {
        servers: Type.Array(Type.String({ pattern: '^(nats|tls)://' }), { minItems: 1 }),
        user: Type.String({ minLength: 1 }),
        password: Type.String({ minLength: 1 }),
        /** Stream replicas: 3 in production, 1 for a single dev server. */
        replicas: Type.Integer({ minimum: 1, maximum: 5, default: 3 }),
        /**
         * Stream sizes, MiB (defaults 8 GiB events, 48 GiB rollups, 1 GiB commands). Their sum must fit
         * each node's JetStream `max_file_store`, or the cluster refuses the streams.
         */
        streamsMB: Type.Optional(Type.Object({
          events: Type.Optional(Type.Integer({ minimum: 1 })),
          rollups: Type.Optional(Type.Integer({ minimum: 1 })),
          commands: Type.Optional(Type.Integer({ minimum: 1 })),
        }, { additionalProperties: false })),
      },
      { additionalProperties: false },
    ),
    postgres: Type.Object({ url: Type.String({ pattern: '^postgres(ql)?://' }), poolSize: Type.Integer({ minimum: 2, maximum: 100, default: 10 }) }, { additionalProperties: false }),
    estates: Type.Array(EstateConfig, { default: [] }),
    users: Type.Array(HqUserConfig, { default: [] }),
    auth: Type.Object(
      { tokenTtl: Type.Union([Type.String({ pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)$' }), Type.Integer({ minimum: 1000 })], { default: '12h' }), loginAttemptsPerMinute: Type.Integer({ minimum: 1, maximum: 10_000, default: 10 }) },
      { additionalProperties: false, default: { tokenTtl: '12h' } },
    ),
    /** How long a hole in an estate's seqs may last before it is reported as a gap. */
    gapGraceSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 30 }),
    /** The estates' `site.status` period; an estate is online while heard within twice this. */
    statusPeriodSeconds: Type.Integer({ minimum: 10, maximum: 86_400, default: 300 }),
  },
  { additionalProperties: false },
);
export type HqConfig = Static<typeof HqConfig>;

const validate = validator<HqConfig>(HqConfig);

function at(e: ErrorObject): string {
  const path = e.instancePath.split('/').slice(1).reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return `${path ? `${path}.` : ''}${String(p.additionalProperty)}: unknown key`;
  if (e.keyword === 'required') return `${path || '(top level)'}: missing required key "${String(p.missingProperty)}"`;
  if (e.keyword === 'const' || e.keyword === 'anyOf') return `${path}: must be one of the allowed values`;
  return `${path || '(top level)'}: ${e.message ?? 'invalid'}`;
}

function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const obj = (k: string) => ((raw[k] = typeof raw[k] === 'object' && raw[k] !== null ? raw[k] : {}) as Record<string, unknown>);
  if (env.HQ_HTTP_HOST) obj('http').host = env.HQ_HTTP_HOST;
  if (env.HQ_HTTP_PORT) obj('http').port = Number(env.HQ_HTTP_PORT);
  if (env.HQ_NATS_SERVERS) obj('nats').servers = env.HQ_NATS_SERVERS.split(',').map((s) => s.trim()).filter(Boolean);
  if (env.HQ_NATS_USER) obj('nats').user = env.HQ_NATS_USER;
  if (env.HQ_NATS_PASSWORD) obj('nats').password = env.HQ_NATS_PASSWORD;
  if (env.HQ_POSTGRES_URL) obj('postgres').url = env.HQ_POSTGRES_URL;
}

/** Validates an already parsed config (tests build one in code). */
export function validateHqConfig(raw: unknown, file = '(inline)', env: NodeJS.ProcessEnv = {}): HqConfig {
  const copy = structuredClone(raw ?? {}) as Record<string, unknown>;
  if (typeof copy !== 'object' || Array.isArray(copy)) throw HqErrors.CONFIG_INVALID(file, ['(top level): must be a mapping']);
  applyEnv(copy, env);
  if (!validate(copy)) throw HqErrors.CONFIG_INVALID(file, [...new Set((validate.errors ?? []).map(at))]);
  const cfg = copy;
  const problems: string[] = [];
  const seen = new Map<string, number>();
  cfg.estates.forEach((e, i) => {
    if (seen.has(e.site)) problems.push(`estates[${i}].site: duplicate estate "${e.site}"`);
    seen.set(e.site, i);
  });
  const codes = new Set<string>();
  cfg.estates.forEach((e, i) => {
    if (codes.has(e.code)) problems.push(`estates[${i}].code: duplicate estate code "${e.code}" (order numbers must stay unique)`);
    codes.add(e.code);
  });
  const names = new Set<string>();
  cfg.users.forEach((u, i) => {
    if (names.has(u.username)) problems.push(`users[${i}].username: duplicate user "${u.username}"`);
    names.add(u.username);
    if (!u.role.startsWith('hq-') && !u.sites) problems.push(`users[${i}].sites: required for the estate role "${u.role}"`);
  });
  if (problems.length) throw HqErrors.CONFIG_INVALID(file, problems);
  return cfg;
}

export function loadHqConfig(file: string, env: NodeJS.ProcessEnv = process.env): HqConfig {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw HqErrors.CONFIG_READ(abs, (err as NodeJS.ErrnoException).code ?? String(err));
  }
  const missing: string[] = [];
  const expanded = expandEnv(text, env, missing);
  if (missing.length) throw HqErrors.CONFIG_INVALID(abs, missing.map((m) => `\${${m}}: environment variable is not set and has no default`));
  let raw: unknown;
  try {
    raw = parse(expanded);
  } catch (err) {
    throw HqErrors.CONFIG_INVALID(abs, [`not valid YAML: ${err instanceof Error ? err.message : String(err)}`]);
  }
  return validateHqConfig(raw, abs, env);
}
