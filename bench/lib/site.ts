/**
 * Site configs the bench generates for the gateway child: small MQTT sites for ingest and scale,
 * and the demo site (demo/site.yaml) on the simulators' free ports for latency. When the gateway
 * has API users (login), a bench user is added and its password returned.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parse, stringify } from 'yaml';
import type { FieldSpec } from '../children/publisher.js';

export interface BenchAuth {
  /** Entries for `users:`; absent when the config schema has no users yet. */
  users?: Array<Record<string, unknown>>;
  username: string;
  password: string;
}

/** A bench user when the site config accepts `users:` (login added to the API). */
export async function benchAuth(): Promise<BenchAuth> {
  const username = 'bench';
  const password = randomBytes(12).toString('base64url');
  try {
    const schema = (await import('../../gateway/config/schema.js')) as { SiteConfig: { properties?: Record<string, unknown> } };
    if (!schema.SiteConfig.properties?.users) return { username, password };
    const pw = (await import('../../gateway/auth/password.js')) as { hashPassword(p: string): Promise<string> };
    return { username, password, users: [{ username, passwordHash: await pw.hashPassword(password), role: 'admin', name: 'Bench' }] };
  } catch {
    return { username, password };
  }
}

export const SLA = [
  { category: 'general', respondWithin: '24h', priority: 'normal' },
  { category: 'water', respondWithin: '1h', priority: 'urgent' },
  { category: 'power', respondWithin: '1h', priority: 'urgent' },
  { category: 'elevator', respondWithin: '24h', onSiteWithin: '2h', priority: 'urgent' },
  { category: 'fire', respondWithin: '5m', onSiteWithin: '30m', priority: 'emergency' },
];

export interface MqttSiteOptions {
  file: string;
  dataDir: string;
  brokerUrl: string;
  qos: 0 | 1;
  clientId: string;
  type: 'power' | 'pump';
  /** Device ids and their topics. */
  devices: Array<{ id: string; topic: string }>;
  fields: readonly FieldSpec[];
  rules: Array<Record<string, unknown>>;
  auth: BenchAuth;
}

/** One MQTT device per entry, every device with the same points (`path` = field name). */
export function writeMqttSite(o: MqttSiteOptions): void {
  const site: Record<string, unknown> = {
    site: { id: 'bench', name: 'Bench site' },
    dataDir: o.dataDir,
    http: { host: '127.0.0.1', port: 0 },
    devices: o.devices.map((d) => ({
      id: d.id,
      type: o.type,
      protocol: 'mqtt',
      connection: { url: o.brokerUrl, topic: d.topic, qos: o.qos, clientId: o.clientId },
      points: o.fields.map(([name]) => ({ name, path: name })),
    })),
    rules: o.rules,
    sla: SLA,
    ...(o.auth.users ? { users: o.auth.users } : {}),
  };
  writeFileSync(o.file, stringify(site));
}

const ENV_PATTERN = /\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * demo/site.yaml with its `${VAR:-default}` placeholders filled from `vars` (others keep their
 * default), then adjusted by `edit` and written to `file`.
 */
export function writeDemoSite(file: string, demoFile: string, vars: Record<string, string>, edit: (site: Record<string, unknown>) => void): void {
  const text = readFileSync(demoFile, 'utf8').replace(ENV_PATTERN, (_m, name: string, fallback: string | undefined) => vars[name] ?? fallback ?? '');
  const site = parse(text) as Record<string, unknown>;
  edit(site);
  writeFileSync(file, stringify(site, { aliasDuplicateObjects: false }));
}

/** The demo site's `broker:` section, site id and device types (for the bench broker's accounts and ACL). */
export function demoBrokerSettings(demoFile: string): { config: Record<string, unknown>; site: string; deviceTypes: Record<string, string> } {
  const text = readFileSync(demoFile, 'utf8').replace(ENV_PATTERN, (_m, _name: string, fallback: string | undefined) => fallback ?? '');
  const site = parse(text) as { site?: { id?: string }; broker?: Record<string, unknown>; devices?: Array<{ id: string; type: string }> };
  return {
    config: site.broker ?? {},
    site: site.site?.id ?? 'demo',
    deviceTypes: Object.fromEntries((site.devices ?? []).map((d) => [d.id, d.type])),
  };
}
