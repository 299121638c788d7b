/**
 * The nats-server configs of the docker-compose profile `portfolio` (demo/portfolio/nats-<n>.conf),
 * rendered by hq/nats/config.ts. Regenerate after a change with
 *   npx tsx demo/portfolio/compose-nats.ts
 * test/compose.test.ts checks the committed files are what this renders.
 *
 * DEMO PASSWORDS ONLY, also set in docker-compose.yml (HQ_NATS_PASSWORD, UPLINK_PASSWORD):
 * hq/hq-nats-demo and <site>/<site>-nats-demo. `npm run portfolio` generates its own per run.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderNatsConfig } from '../../hq/nats/config.js';
import { ESTATES, NATS_NODES } from './layout.js';

export const COMPOSE_NATS_DEMO = {
  hq: { user: 'hq', password: 'hq-nats-demo' },
  estates: ESTATES.map((e) => ({ site: e.site, password: `${e.site}-nats-demo` })),
};

/** File name (under demo/portfolio/) → config text, one per node `nats-<n>` of docker-compose.yml. */
export function composeNatsConfigs(): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; i <= NATS_NODES; i++) {
    out[`nats-${i}.conf`] = renderNatsConfig({
      name: `nats-${i}`, host: '0.0.0.0', clientPort: 4222, clusterPort: 6222, httpPort: 8222, storeDir: '/data/jetstream',
      routes: Array.from({ length: NATS_NODES }, (_, j) => j + 1).filter((j) => j !== i).map((j) => `nats-route://nats-${j}:6222`),
      estates: COMPOSE_NATS_DEMO.estates, hq: COMPOSE_NATS_DEMO.hq, maxFileStore: '2GB',
    });
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, text] of Object.entries(composeNatsConfigs())) writeFileSync(new URL(`./${name}`, import.meta.url), text);
  process.stdout.write(`wrote ${Object.keys(composeNatsConfigs()).join(', ')} in demo/portfolio/\n`);
}
