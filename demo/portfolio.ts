/**
 * `npm run portfolio`: a property-management company on one machine. Three estates (riverside,
 * harbour, hillside), each a full demo estate run by demo/start.ts as its own child process (MQTT
 * broker, equipment simulators, gateway) on demo/estates/estate.yaml with an uplink; a 3-node
 * NATS JetStream cluster; PostgreSQL 15; and head office (hq/main.ts, child process) with its
 * portfolio pages.
 *
 * Data and logs live under data/portfolio/ (PORTFOLIO_DATA_DIR), kept between runs: estates'
 * orders, the JetStream store and the PostgreSQL database. NATS passwords and the head-office
 * token secret are generated per run and never printed. Ports: demo/portfolio/layout.ts.
 * Ctrl-C stops everything (estates, head office, then NATS and PostgreSQL); a failed start stops
 * what was started and exits with 1.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portfolioPorts, portDefaults, type EstateSpec } from './portfolio/layout.js';
import { assertPortFree, spawnChild, startNatsCluster, startPostgres, waitUntil, whileRunning, type Child } from './portfolio/services.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;
const HOST = '127.0.0.1';
const LOG_LEVEL = env.LOG_LEVEL ?? 'warn';
/** Demo logins (documented in README.md; hashes in demo/portfolio/hq.yaml). */
const HQ_ADMIN = { username: 'hq-admin', password: 'hq-admin-demo' };

const say = (line: string) => process.stdout.write(`${line}\n`);
const secret = () => randomBytes(18).toString('hex');

/** Children in start order; stopped in reverse groups. */
const estates: Child[] = [];
let hq: Child | null = null;
const engines: Child[] = [];
let stopping = false;
let started = false;

async function stopAll(): Promise<void> {
  // Estates first (they flush their outbox state), then head office, then the engines.
  await Promise.all(estates.map((c) => c.stop('SIGINT', 8000)));
  await hq?.stop('SIGTERM', 8000);
  await Promise.all(engines.map((c) => c.stop(c.name === 'postgres' ? 'SIGINT' : 'SIGTERM', 8000)));
}

async function shutdown(code: number): Promise<never> {
  if (stopping) {
    // A second Ctrl-C: no more waiting.
    for (const c of [...estates, ...(hq ? [hq] : []), ...engines]) if (!c.hasExited()) c.proc.kill('SIGKILL');
    process.exit(code || 130);
  }
  stopping = true;
  if (started) say('\nstopping...');
  const force = setTimeout(() => {
    process.stderr.write('portfolio: forced exit after 20 s\n');
    process.exit(1);
  }, 20_000);
  force.unref();
  await stopAll().catch((err: unknown) => process.stderr.write(`portfolio: stop failed: ${String(err)}\n`));
  if (started) say('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

/** Environment of a child: ours without the settings of another deployment, plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(env).filter(([k]) => !/^(GW_|SIM_|BROKER_|MQTT_|HQ_|UPLINK_|ESTATE_|PORTFOLIO_)/.test(k)));
  return { ...base, LOG_LEVEL, ...extra };
}

async function hqLogin(base: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(HQ_ADMIN), signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`head-office login as ${HQ_ADMIN.username}: HTTP ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

interface HqHealth { status: string; components?: { nats?: { connected?: boolean }; consumers?: Record<string, unknown> } }
interface HqSites { sites: { site: string; comm: string }[] }

async function main(): Promise<void> {
  const ports = portfolioPorts(env);
  const dataDir = resolve(env.PORTFOLIO_DATA_DIR ?? join(ROOT, 'data', 'portfolio'));
  const logs = join(dataDir, 'logs');
  mkdirSync(logs, { recursive: true });

  const deps = spawnSync('bash', [join(ROOT, 'demo/portfolio/ensure-deps.sh')], { stdio: 'inherit' });
  if (deps.status !== 0) throw new Error('nats-server and postgresql-15 are needed (see the message above)');

  // Every port before anything starts: a clash is reported with the variable that moves it.
  const defaults = portDefaults();
  const byVar = new Map<number, string>();
  for (const name of Object.keys(defaults)) byVar.set(Number(env[name] || defaults[name]), name);
  for (const [port, name] of byVar) await assertPortFree(port, `set ${name} to move it`);

  say(`Starting the company demo (data and logs in ${dataDir})`);
  const natsUrls = ports.nats.map((n) => `nats://${HOST}:${n.client}`);
  const hqNats = { user: 'hq', password: secret() };
  const estatePasswords = new Map(ports.estates.map((e) => [e.site, secret()]));

  say('  NATS JetStream (3 nodes) and PostgreSQL 15 ...');
  // Both settle before a failure is reported, so whatever did start is stopped cleanly.
  const [natsStart, pgStart] = await Promise.allSettled([
    startNatsCluster({
      dir: join(dataDir, 'nats'), host: HOST, nodes: ports.nats, hq: hqNats, maxFileStore: '2GB',
      estates: ports.estates.map((e) => ({ site: e.site, password: estatePasswords.get(e.site)! })),
    }),
    startPostgres(join(dataDir, 'postgres'), ports.postgres),
  ]);
  if (natsStart.status === 'fulfilled') engines.push(...natsStart.value);
  if (pgStart.status === 'fulfilled') engines.push(pgStart.value.child);
  if (natsStart.status === 'rejected') throw natsStart.reason;
  if (pgStart.status === 'rejected') throw pgStart.reason;
  const pg = pgStart.value;

  say('  head office ...');
  const hqBase = `http://${HOST}:${ports.hq}`;
  const estateUrl = (e: EstateSpec) => `http://localhost:${e.ports.GW_HTTP_PORT}`;
  hq = spawnChild('head office', process.execPath, ['--import', 'tsx', 'hq/main.ts'], {
    logFile: join(logs, 'hq.log'), cwd: ROOT,
    env: childEnv({
      HQ_CONFIG: join(ROOT, 'demo/portfolio/hq.yaml'), HQ_HTTP_HOST: '0.0.0.0', HQ_HTTP_PORT: String(ports.hq),
      HQ_NATS_SERVERS: natsUrls.join(','), HQ_NATS_USER: hqNats.user, HQ_NATS_PASSWORD: hqNats.password,
      HQ_POSTGRES_URL: pg.url, HQ_TOKEN_SECRET: secret() + secret(),
      ...Object.fromEntries(ports.estates.map((e) => [`${e.site.toUpperCase()}_URL`, estateUrl(e)])),
    }),
  });
  // Ready when its consumers run: the streams and every estate's command consumer then exist.
  const hqChild = hq;
  const token = await whileRunning(hqChild, waitUntil(() => hqLogin(hqBase), `head office at ${hqBase} to answer (log ${hqChild.logFile})`, 90_000, 500));
  await whileRunning(hqChild, waitUntil(async () => {
    const res = await fetch(`${hqBase}/api/health`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(3000) });
    const h = (await res.json()) as HqHealth;
    return h.components?.nats?.connected && Object.keys(h.components.consumers ?? {}).length > 0;
  }, `head office to consume from NATS (log ${hqChild.logFile})`, 90_000, 500));

  const startEstate = async (e: EstateSpec): Promise<void> => {
    const child = spawnChild(`estate ${e.site}`, process.execPath, ['--import', 'tsx', 'demo/start.ts'], {
      logFile: join(logs, `${e.site}.log`), cwd: ROOT, capture: true,
      env: childEnv({
        GW_CONFIG: join(ROOT, 'demo/estates/estate.yaml'), GW_DATA_DIR: join(dataDir, e.site),
        ESTATE_ID: e.site, ESTATE_NAME: e.name, ESTATE_CODE: e.code, ESTATE_URL: estateUrl(e),
        UPLINK_SERVERS: natsUrls.join(','), UPLINK_PASSWORD: estatePasswords.get(e.site)!,
        ...Object.fromEntries(Object.entries(e.ports).map(([k, v]) => [k, String(v)])),
      }),
    });
    estates.push(child);
    await whileRunning(child, waitUntil(async () => child.output().includes('Press Ctrl-C to stop'), `estate ${e.site} to start (log ${child.logFile})`, 120_000));
  };
  // The first estate alone: on a fresh machine its simulators create the shared OPC UA PKI.
  const [first, ...rest] = ports.estates;
  say(`  estates: ${ports.estates.map((e) => e.site).join(', ')} ...`);
  await startEstate(first!);
  await Promise.all(rest.map(startEstate));

  let notOnline: string[] = [];
  await waitUntil(async () => {
    const res = await fetch(`${hqBase}/api/sites`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(3000) });
    const { sites } = (await res.json()) as HqSites;
    notOnline = ports.estates.filter((e) => !sites.some((s) => s.site === e.site && s.comm === 'online')).map((e) => e.site);
    return notOnline.length === 0;
  }, 'every estate to report online at head office', 60_000, 500).catch((err: unknown) => {
    const tails = estates.filter((c) => notOnline.some((site) => c.name.endsWith(site))).map((c) => `--- ${c.logFile} ---\n${c.logTail(1500)}`);
    throw new Error(`${err instanceof Error ? err.message : String(err)}; not online: ${notOnline.join(', ')}\n${tails.join('\n')}`);
  });

  // Crashes are contained: a child that stops is reported and the rest keeps running.
  for (const c of [...estates, hqChild, ...engines]) {
    void c.exited.then((how) => { if (!stopping) process.stderr.write(`portfolio: ${c.name} stopped unexpectedly (${how}); log ${c.logFile}\n`); });
  }

  const harbour = ports.estates.find((e) => e.site === 'harbour') ?? ports.estates[0]!;
  const pad = (s: string, n: number) => s.padEnd(n);
  started = true;
  say([
    '',
    'Company demo is running: 3 estates and head office',
    `  Head office        http://localhost:${ports.hq}/     hq-desk / hq-desk-demo (service desk), hq-admin / hq-admin-demo`,
    ...ports.estates.map((e) => `  ${pad(e.name, 18)} dashboard http://localhost:${e.ports.GW_HTTP_PORT}/   simulator control http://localhost:${e.ports.SIM_CONTROL_PORT}/devices`),
    '  Estate logins      admin / admin-demo, dispatcher / dispatcher-demo, tech / tech-demo, viewer / viewer-demo',
    `  NATS cluster       ${natsUrls.join(' ')}`,
    `  PostgreSQL         127.0.0.1:${ports.postgres} (database postgres)`,
    `  Data and logs      ${dataDir}`,
    '',
    `Try a fault at harbour:  curl -X POST -H 'content-type: application/json' -d '{"fault":"low_pressure"}' http://localhost:${harbour.ports.SIM_CONTROL_PORT}/devices/pump-1/faults`,
    'Press Ctrl-C to stop.',
    '',
  ].join('\n'));
}

try {
  await main();
} catch (err) {
  process.stderr.write(`\nportfolio failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  await shutdown(1);
}
