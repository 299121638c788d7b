/**
 * The per-protocol part of the site config: each device's `protocol` names a registered connector,
 * and its `connection` and `points` match that connector's schemas. Point names are unique per device.
 */
import type { SiteConfig } from '../config/schema.js';
import { explain, validator } from '../config/explain.js';
import { connectors } from './index.js';

export function checkDeviceProtocols(config: Pick<SiteConfig, 'devices'>): string[] {
  const problems: string[] = [];
  config.devices.forEach((d, i) => {
    const at = `devices[${i}]`;
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
  return problems;
}
