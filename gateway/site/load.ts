/**
 * The whole check of a site config: the config layer's own (shape, equipment types, notifications)
 * plus the cross-checks of the layers above it: device protocols against the connector registry
 * and rules against the devices and the default rules of the site's equipment catalogue. It sits
 * above config so that config imports neither connectors nor alarms.
 */
import { loadConfig as loadConfigFile, validateConfig as validateConfigShape, type LoadedConfig, type SiteCheck } from '../config/load.js';
import type { SiteConfig } from '../config/schema.js';
import { siteCatalogue } from '../config/equipment.js';
import { checkDeviceProtocols } from '../connectors/validate.js';
import { validateRules } from '../alarms/rules.js';

export type { LoadedConfig };

/** The default rules a site runs: its catalogue's, unless `defaultRules: false`. */
export function siteDefaultRules(config: SiteConfig): SiteConfig['rules'] {
  return config.defaultRules === false ? [] : siteCatalogue(config).defaultRules();
}

const checkRules: SiteCheck = (config) =>
  validateRules(config.rules, new Set(config.devices.map((d) => d.id)), 'rules', siteDefaultRules(config));

const SITE_CHECKS: readonly SiteCheck[] = [checkDeviceProtocols, checkRules];

export function validateConfig(raw: unknown, file: string, configDir: string): LoadedConfig {
  return validateConfigShape(raw, file, configDir, SITE_CHECKS);
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return loadConfigFile(file, env, SITE_CHECKS);
}
