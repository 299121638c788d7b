/**
 * Reads, expands and validates the site config. Every problem is reported with the path of the
 * bad key and what was expected, as one coded error (`GW_ERR_CONFIG_INVALID`); no stack traces.
 */
import { SITE_ID_PATTERN } from '../core/envelope.js';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse, YAMLParseError } from 'yaml';
import type { TSchema } from '@sinclair/typebox';
import { Errors } from '../core/errors.js';
import { connectors } from '../connectors/index.js';
import { expandEnv } from './env.js';
import { SiteConfig } from './schema.js';
import { DEFAULT_RULES } from '../alarms/defaults.js';
import { validateRules } from '../alarms/rules.js';
import { checkNotifications } from '../notify/schema.js';

export interface LoadedConfig {
  config: SiteConfig;
  /** Absolute path of the config file. */
  file: string;
  /** Absolute data directory. */
  dataDir: string;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: false });
const validateSite = ajv.compile<SiteConfig>(SiteConfig);
const compiled = new Map<TSchema, ValidateFunction>();

function validator(schema: TSchema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = ajv.compile(schema)));
  return v;
}

/** `/devices/0/points/3/type` → `devices[0].points[3].type` */
function dotted(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function describe(e: ErrorObject, prefix = ''): string {
  const at = [prefix, dotted(e.instancePath)].filter(Boolean).join('.') || '(top level)';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${at}.${String(p.additionalProperty)}: unknown key`.replace(/^\(top level\)\./, '');
    case 'required':
      return `${at}: missing required key "${String(p.missingProperty)}"`;
    case 'enum':
      return `${at}: must be one of ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'const':
      return `${at}: must be ${JSON.stringify(p.allowedValue)}`;
    default:
      return `${at}: ${e.message ?? 'invalid'}`;
  }
}

/** Ajv reports every branch of a union of literals; fold them into one "must be one of" line. */
function explain(errors: ErrorObject[], prefix = ''): string[] {
  const out = new Map<string, string>();
  const unions = new Map<string, unknown[]>();
  for (const e of errors) {
    if (e.keyword === 'const') {
      const key = e.instancePath;
      unions.set(key, [...(unions.get(key) ?? []), (e.params as { allowedValue: unknown }).allowedValue]);
      continue;
    }
    if (e.keyword === 'anyOf' && unions.has(e.instancePath)) continue;
    out.set(`${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`, describe(e, prefix));
  }
  for (const [path, allowed] of unions) {
    const at = [prefix, dotted(path)].filter(Boolean).join('.');
    out.set(`${path}|union`, `${at}: must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  // Drop anyOf summaries that only repeat their branches.
  return [...out.values()].filter((line) => !line.endsWith('must match a schema in anyOf'));
}

export function validateConfig(raw: unknown, file: string, configDir: string): LoadedConfig {
  if (!validateSite(raw)) throw Errors.CONFIG_INVALID(file, explain(validateSite.errors ?? []));
  const config = raw;
  const problems: string[] = [];
  const ids = new Set<string>();
  config.devices.forEach((d, i) => {
    const at = `devices[${i}]`;
    if (ids.has(d.id)) problems.push(`${at}.id: duplicate device id "${d.id}"`);
    ids.add(d.id);
    const plugin = connectors[d.protocol];
    if (!plugin) {
      problems.push(`${at}.protocol: must be one of ${Object.keys(connectors).join(', ')} (got "${d.protocol}")`);
      return;
    }
    const conn = validator(plugin.connectionSchema);
    if (!conn(d.connection)) problems.push(...explain(conn.errors ?? [], `${at}.connection`));
    const point = validator(plugin.pointSchema);
    const names = new Set<string>();
    d.points.forEach((p, j) => {
      if (!point(p)) problems.push(...explain(point.errors ?? [], `${at}.points[${j}]`));
      const name = (p as { name?: unknown }).name;
      if (typeof name === 'string') {
        if (names.has(name)) problems.push(`${at}.points[${j}].name: duplicate point "${name}"`);
        names.add(name);
      }
    });
  });
  problems.push(...validateRules(config.rules, ids, 'rules', config.defaultRules === false ? [] : DEFAULT_RULES));
  problems.push(...checkNotifications(config.notifications));
  if (config.uplink && !new RegExp(SITE_ID_PATTERN).test(config.site.id)) {
    problems.push(`site.id: with an uplink it must be lowercase letters, digits, - or _, at most 32 (a NATS subject token; got "${config.site.id}")`);
  }
  if (problems.length) throw Errors.CONFIG_INVALID(file, problems);
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(configDir, config.dataDir);
  return { config, file, dataDir };
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw Errors.CONFIG_READ(abs, (err as NodeJS.ErrnoException).code ?? String(err));
  }
  const missing: string[] = [];
  const expanded = expandEnv(text, env, missing);
  if (missing.length) {
    throw Errors.CONFIG_INVALID(abs, missing.map((m) => `\${${m}}: environment variable is not set and has no default`));
  }
  let raw: unknown;
  try {
    raw = parse(expanded, { prettyErrors: true });
  } catch (err) {
    throw Errors.CONFIG_PARSE(abs, err instanceof YAMLParseError ? err.message : String(err));
  }
  return validateConfig(raw, abs, dirname(abs));
}
