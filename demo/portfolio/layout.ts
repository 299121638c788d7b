/**
 * The company demo's estates and ports (`npm run portfolio`). Every port has a default and an
 * environment variable that overrides it, so the end-to-end test runs the same program on free
 * ports: `PORTFOLIO_<SITE>_<NAME>` for an estate (for example `PORTFOLIO_HARBOUR_SIM_CONTROL_PORT`),
 * `PORTFOLIO_HQ_PORT`, `PORTFOLIO_PG_PORT`, `PORTFOLIO_NATS<n>_{CLIENT,CLUSTER,HTTP}_PORT`.
 */

/** Port variables of one estate, as demo/start.ts reads them. */
export const ESTATE_PORT_NAMES = ['GW_HTTP_PORT', 'SIM_CONTROL_PORT', 'BROKER_PORT', 'SIM_OPCUA_PORT', 'SIM_PUMP1_PORT', 'SIM_PUMP2_PORT', 'SIM_POWER_PORT',
  'SIM_GENERATOR_PORT', 'SIM_TANK_PORT', 'SIM_CHILLER_PORT'] as const;
export type EstatePortName = (typeof ESTATE_PORT_NAMES)[number];

export interface EstateSpec {
  site: string;
  name: string;
  /** Estate code in order numbers (WO-<code>-...). */
  code: string;
  ports: Record<EstatePortName, number>;
}

const estate = (site: string, name: string, code: string, p: number[]): EstateSpec => ({
  site, name, code, ports: Object.fromEntries(ESTATE_PORT_NAMES.map((n, i) => [n, p[i]!])) as Record<EstatePortName, number>,
});

/** Default ports; the first estate uses those of `npm start`, so the two demos cannot run at once. */
export const ESTATES: readonly EstateSpec[] = [
  estate('riverside', 'Riverside Estate', 'RVS', [8080, 8081, 1883, 4840, 5020, 5021, 5022, 5023, 5024, 5025]),
  estate('harbour', 'Harbour Estate', 'HBR', [8082, 8083, 1884, 4841, 5030, 5031, 5032, 5033, 5034, 5035]),
  estate('hillside', 'Hillside Estate', 'HLS', [8084, 8085, 1885, 4842, 5040, 5041, 5042, 5043, 5044, 5045]),
];

export const NATS_NODES = 3;

export interface NatsNodePorts {
  client: number;
  cluster: number;
  http: number;
}

export interface PortfolioPorts {
  estates: EstateSpec[];
  hq: number;
  postgres: number;
  nats: NatsNodePorts[];
}

export const estatePortVar = (site: string, name: EstatePortName): string => `PORTFOLIO_${site.toUpperCase()}_${name}`;
const natsVar = (i: number, kind: keyof NatsNodePorts): string => `PORTFOLIO_NATS${i + 1}_${kind.toUpperCase()}_PORT`;

/** Every port variable with its default, in a stable order (the test gives each a free port). */
export function portDefaults(): Record<string, number> {
  const out: Record<string, number> = { PORTFOLIO_HQ_PORT: 8090, PORTFOLIO_PG_PORT: 5433 };
  for (const e of ESTATES) for (const n of ESTATE_PORT_NAMES) out[estatePortVar(e.site, n)] = e.ports[n];
  for (let i = 0; i < NATS_NODES; i++) {
    out[natsVar(i, 'client')] = 4222 + i;
    out[natsVar(i, 'cluster')] = 6222 + i;
    out[natsVar(i, 'http')] = 8222 + i;
  }
  return out;
}

/** The ports to use: defaults overridden by the environment; a bad value is an error naming the variable. */
export function portfolioPorts(env: NodeJS.ProcessEnv): PortfolioPorts {
  const defaults = portDefaults();
  const get = (name: string): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return defaults[name]!;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name}=${JSON.stringify(raw)} is not a TCP port (1-65535)`);
    return n;
  };
  const ports: PortfolioPorts = {
    estates: ESTATES.map((e) => ({ ...e, ports: Object.fromEntries(ESTATE_PORT_NAMES.map((n) => [n, get(estatePortVar(e.site, n))])) as Record<EstatePortName, number> })),
    hq: get('PORTFOLIO_HQ_PORT'),
    postgres: get('PORTFOLIO_PG_PORT'),
    nats: Array.from({ length: NATS_NODES }, (_, i) => ({ client: get(natsVar(i, 'client')), cluster: get(natsVar(i, 'cluster')), http: get(natsVar(i, 'http')) })),
  };
  const seen = new Map<number, string>();
  for (const name of Object.keys(defaults)) {
    const p = get(name);
    const other = seen.get(p);
    if (other) throw new Error(`${name} and ${other} are both ${p}: every port must differ`);
    seen.set(p, name);
  }
  return ports;
}
