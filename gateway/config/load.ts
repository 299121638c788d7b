/**
 * Reads, expands and validates the site config. Every problem is reported with the path of the
 * bad key and what was expected, as one coded error (`GW_ERR_CONFIG_INVALID`); no stack traces.
 */
import { SITE_ID_PATTERN } from '../core/envelope.js';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import { Errors } from '../core/errors.js';
import { expandEnv } from './env.js';
import { SiteConfig } from './schema.js';
import { checkNotifications } from './notify.js';
import { explain, validator } from './explain.js';
import { checkEquipmentTypes } from './equipment.js';

export interface LoadedConfig {
  config: SiteConfig;
  /** Absolute path of the config file. */
  file: string;
  /** Absolute data directory. */
  dataDir: string;
}

const validateSite = validator<SiteConfig>(SiteConfig);

/** A cross-check of the whole config by a layer above (connectors, alarm rules): problems, each naming its key. */
export type SiteCheck = (config: SiteConfig) => string[];

/**
 * Validate a parsed config: its shape, then the equipment types it names, then `checks` of the
 * layers above (gateway/site/load.ts passes the connector and alarm-rule checks).
 */
export function validateConfig(raw: unknown, file: string, configDir: string, checks: readonly SiteCheck[] = []): LoadedConfig {
  if (!validateSite(raw)) throw Errors.CONFIG_INVALID(file, explain(validateSite.errors ?? []));
  const config = raw;
  const problems: string[] = [];
  const ids = new Set<string>();
  config.devices.forEach((d, i) => {
    if (ids.has(d.id)) problems.push(`devices[${i}].id: duplicate device id "${d.id}"`);
    ids.add(d.id);
  });
  // A machine groups devices that shake together (the predictor's neighbour gate); one alone is a typo.
  config.devices.forEach((d, i) => {
    if (d.machine !== undefined && !config.devices.some((o) => o !== d && o.machine === d.machine)) {
      problems.push(`devices[${i}].machine: "${d.machine}" has no other device; a machine groups at least two devices of the site (check the spelling)`);
    }
  });
  problems.push(...checkEquipmentTypes(config));
  for (const check of checks) problems.push(...check(config));
  problems.push(...checkNotifications(config.notifications));
  if (config.uplink && !new RegExp(SITE_ID_PATTERN).test(config.site.id)) {
    problems.push(`site.id: with an uplink it must be lowercase letters, digits, - or _, at most 32 (a NATS subject token; got "${config.site.id}")`);
  }
  if (problems.length) throw Errors.CONFIG_INVALID(file, problems);
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(configDir, config.dataDir);
  return { config, file, dataDir };
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env, checks: readonly SiteCheck[] = []): LoadedConfig {
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
  return validateConfig(raw, abs, dirname(abs), checks);
}
