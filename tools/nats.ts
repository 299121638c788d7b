/**
 * A throwaway NATS JetStream cluster for tests: Debian's `/usr/sbin/nats-server` (2.9), one
 * process per node on free ports, each with its own store dir under one temp dir, configured by
 * `hq/nats/config.ts` (one account: head office and the estates). Resolves once every node sees a
 * JetStream meta leader and routes to all its peers. Nodes can be killed and restarted on the same ports and store.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNatsConfig, estateUser, type EstateCredentials, type HqCredentials } from '../hq/nats/config.js';
import { freePorts } from './ports.js';
import { spawnDaemon, type Daemon } from './proc.js';

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

/** User and password in the shape of nats.js connection options. */
export interface NatsUserPass {
  user: string;
  pass: string;
}

export interface NatsNode {
  /** server_name */
  name: string;
  /** nats://127.0.0.1:<clientPort> */
  url: string;
  clientPort: number;
  clusterPort: number;
  /** http://127.0.0.1:<httpPort>, the monitoring endpoint (`/jsz`, `/healthz`). */
  monitorUrl: string;
  storeDir: string;
  logFile: string;
  /** Process id of the running server, 0 while it is down. */
  readonly pid: number;
  isRunning(): boolean;
  /** Send `signal` (default SIGTERM) and resolve when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start the node again on the same ports and store dir; resolves when it sees a meta leader. */
  restart(): Promise<void>;
  logTail(bytes?: number): string;
}

export interface NatsCluster {
  /** Client URLs of all nodes. */
  urls: string[];
  nodes: NatsNode[];
  hqCredentials: NatsUserPass;
  /** Credentials of an estate given to startNatsCluster; throws for an unknown site. */
  estateCredentials(site: string): NatsUserPass;
  /** Temp dir with every node's config, store and log; removed by stop(). */
  dir: string;
  /** Stop every node and remove the temp dir. */
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  /** Number of nodes (default 3). */
  nodes?: number;
  /** Estates: site ids (a password is generated) or site and password. */
  estates: ReadonlyArray<string | EstateCredentials>;
  /** Head-office user (default `hq` with a generated password). */
  hq?: HqCredentials;
  /** Deadline for the cluster to elect a JetStream meta leader (default 30 s). */
  startTimeout?: number;
  /** JetStream file limit per node (default `1GB`; streams reserve their max_bytes against it). */
  maxFileStore?: string;
}

/** A random password with characters the config syntax must escape. */
function generatePassword(): string {
  return `p"\\$#{}'${randomBytes(12).toString('hex')}`;
}

interface JszMeta {
  meta_cluster?: { leader?: string; cluster_size?: number };
}

async function getJson<T>(url: string): Promise<{ status: number; body: T | null }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as T };
  } catch {
    return { status: res.status, body: null };
  }
}

/**
 * True when the node has routes to all its peers and its `/jsz` names a JetStream meta leader.
 * (`/healthz` is stricter: on 2.9 it can report an idle consumer replica "not current" for a
 * long time after a restart, so readiness of streams is left to the tests that need it.)
 */
async function nodeReady(monitorUrl: string, peers: number): Promise<boolean> {
  const routez = await getJson<{ num_routes?: number }>(`${monitorUrl}/routez`);
  const routes = routez.body?.num_routes ?? 0;
  if (routes < peers) throw new Error(`${routes} of ${peers} routes`);
  const jsz = await getJson<JszMeta>(`${monitorUrl}/jsz`);
  const leader = jsz.body?.meta_cluster?.leader;
  if (!leader) throw new Error('no JetStream meta leader yet');
  return true;
}

/** Start and stop handles of each node, outside the public node interface. */
const starters = new WeakMap<NatsNode, { launch(): Daemon; awaitReady(d: Daemon): Promise<void>; stop(): Promise<void> }>();

export async function startNatsCluster(opts: NatsClusterOptions): Promise<NatsCluster> {
  if (!existsSync(NATS_SERVER_BIN)) {
    throw new Error(`${NATS_SERVER_BIN} not found: install Debian package nats-server (bash test/setup/ensure-deps.sh)`);
  }
  const count = opts.nodes ?? 3;
  const startTimeout = opts.startTimeout ?? 30_000;
  const hq = opts.hq ?? { user: 'hq', password: generatePassword() };
  const estates: EstateCredentials[] = opts.estates.map((e) => (typeof e === 'string' ? { site: e, password: generatePassword() } : e));
  const host = '127.0.0.1';

  let lastFailure = '';
  // Free ports can be taken between choosing and binding them: retry a few times.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'nats-cluster-test-'));
    const ports = await freePorts(count * 3, host);
    const specs = Array.from({ length: count }, (_, i) => ({
      name: `n${i + 1}`,
      clientPort: ports[i * 3]!,
      clusterPort: ports[i * 3 + 1]!,
      httpPort: ports[i * 3 + 2]!,
    }));
    const nodes: NatsNode[] = specs.map((spec) => {
      const nodeDir = join(dir, spec.name);
      const storeDir = join(nodeDir, 'jetstream');
      mkdirSync(storeDir, { recursive: true });
      const confFile = join(nodeDir, 'nats.conf');
      const logFile = join(nodeDir, 'nats.log');
      writeFileSync(
        confFile,
        renderNatsConfig({
          name: spec.name,
          host,
          clientPort: spec.clientPort,
          clusterPort: spec.clusterPort,
          httpPort: spec.httpPort,
          routes: specs.filter((o) => o !== spec).map((o) => `nats-route://${host}:${o.clusterPort}`),
          storeDir,
          estates,
          hq,
          maxMemoryStore: '64MB',
          maxFileStore: opts.maxFileStore ?? '1GB',
        }),
      );
      const monitorUrl = `http://${host}:${spec.httpPort}`;
      let daemon: Daemon | null = null;
      const launch = () => {
        daemon = spawnDaemon(NATS_SERVER_BIN, ['-c', confFile], { logFile, name: `nats-server ${spec.name}` });
        return daemon;
      };
      const awaitReady = async (d: Daemon) => {
        await d
          .ready(() => nodeReady(monitorUrl, count - 1), {
            timeout: startTimeout,
            interval: 100,
            what: `nats-server ${spec.name} at ${monitorUrl} to see a JetStream meta leader`,
          })
          .catch((err: unknown) => {
            throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- ${spec.name} log ---\n${d.logTail()}`);
          });
      };
      const node: NatsNode = {
        name: spec.name,
        url: `nats://${host}:${spec.clientPort}`,
        clientPort: spec.clientPort,
        clusterPort: spec.clusterPort,
        monitorUrl,
        storeDir,
        logFile,
        get pid(): number {
          const d = daemon;
          return d && !d.hasExited() ? d.child.pid ?? 0 : 0;
        },
        isRunning: () => {
          const d = daemon;
          return d !== null && !d.hasExited();
        },
        kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
          const d = daemon;
          if (!d || d.hasExited()) return;
          d.child.kill(signal);
          await d.exited;
        },
        restart: async () => {
          const d = daemon;
          if (d && !d.hasExited()) throw new Error(`nats-server ${spec.name} is still running`);
          await awaitReady(launch());
        },
        logTail: (bytes?: number) => daemon?.logTail(bytes) ?? '',
      };
      starters.set(node, { launch, awaitReady, stop: async () => daemon?.stop(5000) });
      return node;
    });

    const stop = async () => {
      try {
        await Promise.all(nodes.map((n) => starters.get(n)?.stop()));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };

    try {
      const daemons = nodes.map((n) => starters.get(n)!.launch());
      await Promise.all(nodes.map((n, i) => starters.get(n)!.awaitReady(daemons[i]!)));
      const estateCreds = new Map(estates.map((e) => [e.site, { user: estateUser(e.site), pass: e.password }]));
      return {
        urls: nodes.map((n) => n.url),
        nodes,
        hqCredentials: { user: hq.user, pass: hq.password },
        estateCredentials: (site: string) => {
          const c = estateCreds.get(site);
          if (!c) throw new Error(`no estate ${JSON.stringify(site)} in this cluster`);
          return c;
        },
        dir,
        stop,
      };
    } catch (err) {
      const logs = nodes.map((n) => n.logTail(2000)).join('\n');
      await stop();
      lastFailure = err instanceof Error ? err.message : String(err);
      if (!/address already in use/i.test(logs)) break;
    }
  }
  throw new Error(`could not start a nats cluster: ${lastFailure}`);
}

