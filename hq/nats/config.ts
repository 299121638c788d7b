/**
 * nats-server configuration for one node of the head-office cluster (docs/design.md §7): JetStream on,
 * clustered with its peers, and one account holding head office and every estate.
 *
 * Each estate's user may publish only its own events and rollups, use only the JetStream API calls
 * needed to publish with acks and to read its own commands from its durable consumer, and receive
 * only on its own inbox prefix. It cannot create, change or delete streams, nor see another
 * estate's subjects. Pure: renders text, touches nothing.
 */
import { SITE_ID_PATTERN, Streams, Subjects } from '../../gateway/core/envelope.js';

export interface EstateCredentials {
  /** Site id, also the estate's NATS user name. */
  site: string;
  password: string;
}

export interface HqCredentials {
  user: string;
  password: string;
}

export interface NatsNodeConfig {
  /** server_name, unique in the cluster (JetStream needs it). */
  name: string;
  /** Interface the client, cluster and monitoring listeners bind to. */
  host: string;
  clientPort: number;
  clusterPort: number;
  /** Cluster URLs of the other nodes: `nats-route://host:clusterPort`. */
  routes: string[];
  /** JetStream store directory; must survive a restart of the node. */
  storeDir: string;
  /** Monitoring HTTP port (`/varz`, `/jsz`, `/healthz`); off when absent. */
  httpPort?: number;
  estates: EstateCredentials[];
  hq: HqCredentials;
  /** Cluster name, the same on every node (default `hq`). */
  clusterName?: string;
  /** Account holding head office and the estates (default `COMPANY`). */
  account?: string;
  /** JetStream memory limit in nats units (default `256MB`). */
  maxMemoryStore?: string;
  /**
   * JetStream file limit in nats units (default `64GB`). Streams with `max_bytes` reserve that
   * much on each node holding a replica, so it must cover the sum of the streams' `max_bytes`
   * (see `hq/nats/streams.ts`).
   */
  maxFileStore?: string;
}

/** The NATS user name of an estate: its site id. */
export function estateUser(site: string): string {
  return site;
}

/**
 * Quote a value as a nats config string. The lexer understands `\\`, `\"`, `\t`, `\n`, `\r` and
 * `\xHH` inside double quotes and does not expand `$variables` there. Note: nats-server reads a
 * password that starts with `$2` as a bcrypt hash, so a hash may be given instead of plain text.
 */
export function quoteConf(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const SITE_RE = new RegExp(SITE_ID_PATTERN);

/** Unit-like values (`256MB`) go in unquoted; refuse anything else so nothing can be injected. */
function sizeValue(v: string, what: string): string {
  if (!/^[0-9]+(?:[KMGT]B?)?$/i.test(v)) throw new Error(`renderNatsConfig: ${what} must look like 256MB, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * What an estate may publish: its own events and rollups, and the JetStream API subjects for its
 * own command consumer. Subscribing is limited to its inbox prefix, where every reply (publish
 * acks, API answers, fetched commands) arrives because its client sets `inboxPrefix`.
 */
export function estatePermissions(site: string): { publish: string[]; subscribe: string[] } {
  if (!SITE_RE.test(site)) throw new Error(`estate site id ${JSON.stringify(site)} does not match ${SITE_ID_PATTERN}`);
  const stream = Streams.commands;
  const consumer = Subjects.commandConsumer(site);
  return {
    publish: [
      Subjects.eventsOf(site),
      Subjects.rollup(site),
      // Account limits and usage; the client asks for it when it opens a JetStream manager.
      '$JS.API.INFO',
      `$JS.API.CONSUMER.INFO.${stream}.${consumer}`,
      // nats-server 2.9 names the filter subject in the create subject, so only this filter is allowed.
      `$JS.API.CONSUMER.CREATE.${stream}.${consumer}.${Subjects.command(site)}`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
      `$JS.ACK.${stream}.${consumer}.>`,
    ],
    subscribe: [`${Subjects.inbox(site)}.>`],
  };
}

function list(items: readonly string[], indent: string): string {
  return `[\n${items.map((s) => `${indent}  ${quoteConf(s)}`).join(',\n')}\n${indent}]`;
}

/** Render the nats-server configuration text for one node. */
export function renderNatsConfig(cfg: NatsNodeConfig): string {
  const account = cfg.account ?? 'COMPANY';
  if (!/^[A-Za-z0-9_-]+$/.test(account)) throw new Error(`renderNatsConfig: bad account name ${JSON.stringify(account)}`);
  const seen = new Set<string>([cfg.hq.user]);
  for (const e of cfg.estates) {
    const user = estateUser(e.site);
    if (seen.has(user)) throw new Error(`renderNatsConfig: user ${JSON.stringify(user)} appears twice (estate sites and the head-office user must differ)`);
    seen.add(user);
  }
  if (cfg.hq.password === '' || cfg.estates.some((e) => e.password === '')) throw new Error('renderNatsConfig: empty password');

  const users: string[] = [
    `      { user: ${quoteConf(cfg.hq.user)}, password: ${quoteConf(cfg.hq.password)} }`,
    ...cfg.estates.map((e) => {
      const p = estatePermissions(e.site);
      const ind = '          ';
      return [
        `      {`,
        `        user: ${quoteConf(estateUser(e.site))}, password: ${quoteConf(e.password)}`,
        `        permissions: {`,
        `          publish: { allow: ${list(p.publish, ind)} }`,
        `          subscribe: { allow: ${list(p.subscribe, ind)} }`,
        `        }`,
        `      }`,
      ].join('\n');
    }),
  ];

  const lines = [
    '# nats-server configuration rendered by hq/nats/config.ts',
    `server_name: ${quoteConf(cfg.name)}`,
    `listen: ${quoteConf(`${cfg.host}:${cfg.clientPort}`)}`,
    ...(cfg.httpPort !== undefined ? [`http: ${quoteConf(`${cfg.host}:${cfg.httpPort}`)}`] : []),
    '',
    'jetstream {',
    `  store_dir: ${quoteConf(cfg.storeDir)}`,
    `  max_memory_store: ${sizeValue(cfg.maxMemoryStore ?? '256MB', 'maxMemoryStore')}`,
    `  max_file_store: ${sizeValue(cfg.maxFileStore ?? '64GB', 'maxFileStore')}`,
    '}',
    '',
    'cluster {',
    `  name: ${quoteConf(cfg.clusterName ?? 'hq')}`,
    `  listen: ${quoteConf(`${cfg.host}:${cfg.clusterPort}`)}`,
    `  routes: ${cfg.routes.length ? list(cfg.routes, '  ') : '[]'}`,
    '}',
    '',
    'accounts {',
    `  ${account} {`,
    '    jetstream: enabled',
    '    users: [',
    users.join(',\n'),
    '    ]',
    '  }',
    '}',
    '',
  ];
  return lines.join('\n');
}
