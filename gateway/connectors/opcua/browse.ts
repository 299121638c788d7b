/**
 * Browse an OPC UA server and print a point map to paste into the site config:
 *
 *   tsx gateway/connectors/opcua/browse.ts opc.tcp://host:port/path [--root ns=1;s=elev-1] [--device-prefix]
 *       [--user NAME --password SECRET] [--pki DIR] [--max-depth N]
 *
 * From `--root` (default: the Objects folder) it follows Organizes/HasComponent references into
 * objects and folders, skips namespace 0 (the Server object), and prints one line per variable:
 *
 *   # elev-1
 *   - { name: floor, nodeId: "ns=1;s=elev-1.floor" }
 *   - { name: motor_current, nodeId: "ns=1;s=elev-1.motor_current", unit: A }
 *
 * Names are the browse names in snake case (`^[a-z][a-z0-9_]*$`), unique within the output;
 * `--device-prefix` prefixes each with the name of the object holding it (`elev_1_floor`), for
 * one flat list across devices. `unit` comes from the EngineeringUnits property of analog items.
 * Security None; `--user`/`--password` log in with a user name. The client certificate lives in
 * `--pki` (default: a folder under the OS temp dir, reused across runs).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  AttributeIds,
  BrowseDirection,
  MessageSecurityMode,
  NodeClassMask,
  OPCUACertificateManager,
  OPCUAClient,
  ReferenceTypeIds,
  SecurityPolicy,
  UserTokenType,
  makeBrowsePath,
  type BrowseDescriptionLike,
  type BrowseResult,
  type ClientSession,
  type ReferenceDescription,
} from 'node-opcua';

/** Client PKI of the CLI unless `--pki` says otherwise; reused across runs (making a certificate takes seconds). */
export const DEFAULT_BROWSE_PKI = join(tmpdir(), 'facility-gateway-opcua-browse-pki');

export interface BrowsedPoint {
  name: string;
  nodeId: string;
  /** Browse name of the object (device, folder) the variable belongs to. */
  parent: string;
  unit?: string;
}

export interface BrowseOptions {
  root?: string;
  devicePrefix?: boolean;
  username?: string;
  password?: string;
  /** PKI folder of the client (default: DEFAULT_BROWSE_PKI, kept so the certificate is made once). */
  pki?: string;
  maxDepth?: number;
  timeout?: number;
}

/** `Motor Current` → `motor_current`, `1stFloor` → `p_1stfloor`. */
export function snakeName(text: string): string {
  let s = text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!s) s = 'point';
  if (!/^[a-z]/.test(s)) s = `p_${s}`;
  return s;
}

const HAS_PROPERTY = `ns=0;i=${ReferenceTypeIds.HasProperty}`;

async function browseAll(session: ClientSession, descs: BrowseDescriptionLike[]): Promise<ReferenceDescription[][]> {
  if (descs.length === 0) return [];
  const results = (await session.browse(descs)) as BrowseResult[];
  const out: ReferenceDescription[][] = [];
  for (const r of results) {
    const refs = [...(r.references ?? [])];
    let cp = r.continuationPoint;
    while (cp && cp.length) {
      const next = await session.browseNext(cp, false);
      refs.push(...(next.references ?? []));
      cp = next.continuationPoint;
    }
    out.push(refs);
  }
  return out;
}

/** Walks the address space below `root`; returns the variables found, in browse order. */
export async function browsePoints(session: ClientSession, opts: BrowseOptions = {}): Promise<BrowsedPoint[]> {
  const maxDepth = opts.maxDepth ?? 10;
  const rootId = opts.root ?? 'ns=0;i=85';
  const rootName = (await session.read({ nodeId: rootId, attributeId: AttributeIds.BrowseName })).value?.value?.name ?? rootId;
  const found: BrowsedPoint[] = [];
  const seen = new Set<string>([rootId]);
  let level: { nodeId: string; name: string }[] = [{ nodeId: rootId, name: String(rootName) }];
  for (let depth = 0; depth < maxDepth && level.length; depth++) {
    const refsPer = await browseAll(
      session,
      level.map((n) => ({
        nodeId: n.nodeId,
        browseDirection: BrowseDirection.Forward,
        referenceTypeId: 'HierarchicalReferences',
        includeSubtypes: true,
        nodeClassMask: NodeClassMask.Object | NodeClassMask.Variable,
        resultMask: 0x3f,
      })),
    );
    const next: { nodeId: string; name: string }[] = [];
    refsPer.forEach((refs, i) => {
      const parent = level[i]!;
      for (const ref of refs) {
        const id = ref.nodeId.toString();
        if (ref.nodeId.namespace === 0 || seen.has(id) || ref.referenceTypeId.toString() === HAS_PROPERTY) continue;
        seen.add(id);
        const name = ref.browseName.name ?? id;
        if (ref.nodeClass === 2 /* Variable */) found.push({ name, nodeId: id, parent: parent.name });
        else next.push({ nodeId: id, name });
      }
    });
    level = next;
  }
  await addUnits(session, found);
  return found;
}

/** `unit` from the EngineeringUnits property (EUInformation display name) where there is one. */
async function addUnits(session: ClientSession, points: BrowsedPoint[]): Promise<void> {
  if (points.length === 0) return;
  const paths = await session.translateBrowsePath(points.map((p) => makeBrowsePath(p.nodeId, '.EngineeringUnits')));
  const withUnits = paths.map((r, i) => ({ i, target: r.statusCode.value === 0 ? r.targets?.[0]?.targetId : undefined })).filter((x) => x.target);
  if (withUnits.length === 0) return;
  const values = await session.read(withUnits.map((x) => ({ nodeId: x.target!, attributeId: AttributeIds.Value })));
  values.forEach((dv, j) => {
    const eu = dv.value?.value as { displayName?: { text?: string | null } } | undefined;
    const text = eu?.displayName?.text;
    if (text) points[withUnits[j]!.i]!.unit = text;
  });
}

/** The point map as YAML lines, grouped under a comment per parent object. */
export function toYaml(points: BrowsedPoint[], opts: { devicePrefix?: boolean; header?: string } = {}): string {
  const lines: string[] = [];
  if (opts.header) lines.push(`# ${opts.header}`);
  const used = new Set<string>();
  let parent: string | undefined;
  for (const p of points) {
    if (p.parent !== parent) {
      parent = p.parent;
      lines.push(`# ${parent}`);
    }
    let name = opts.devicePrefix ? `${snakeName(p.parent)}_${snakeName(p.name)}` : snakeName(p.name);
    for (let n = 2; used.has(name); n++) name = `${name.replace(/_\d+$/, '')}_${n}`;
    used.add(name);
    const unit = p.unit ? `, unit: ${JSON.stringify(p.unit)}` : '';
    lines.push(`- { name: ${name}, nodeId: ${JSON.stringify(p.nodeId)}${unit} }`);
  }
  return `${lines.join('\n')}\n`;
}

/** Connects (security None), browses, disconnects. */
export async function browseEndpoint(endpoint: string, opts: BrowseOptions = {}): Promise<BrowsedPoint[]> {
  const manager = new OPCUACertificateManager({ rootFolder: opts.pki ?? DEFAULT_BROWSE_PKI, automaticallyAcceptUnknownCertificate: false });
  const client = OPCUAClient.create({
    applicationName: 'facility-gateway-browse',
    clientCertificateManager: manager,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 200, maxDelay: 1000 },
    transportTimeout: opts.timeout ?? 10_000,
  });
  try {
    await client.connect(endpoint);
    const session = await client.createSession(
      opts.username ? { type: UserTokenType.UserName, userName: opts.username, password: opts.password ?? '' } : { type: UserTokenType.Anonymous },
    );
    try {
      return await browsePoints(session, opts);
    } finally {
      await session.close().catch(() => undefined);
    }
  } finally {
    await client.disconnect().catch(() => undefined);
    await manager.dispose().catch(() => undefined);
  }
}

function parseArgs(argv: string[]): { endpoint?: string; opts: BrowseOptions } {
  const opts: BrowseOptions = {};
  let endpoint: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--root') opts.root = value();
    else if (a === '--device-prefix') opts.devicePrefix = true;
    else if (a === '--user') opts.username = value();
    else if (a === '--password') opts.password = value();
    else if (a === '--pki') opts.pki = value();
    else if (a === '--max-depth') opts.maxDepth = Number(value());
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else endpoint = a;
  }
  return endpoint ? { endpoint, opts } : { opts };
}

async function main(): Promise<void> {
  const { endpoint, opts } = parseArgs(process.argv.slice(2));
  if (!endpoint || !/^opc\.tcp:\/\//.test(endpoint)) {
    process.stderr.write('usage: tsx gateway/connectors/opcua/browse.ts opc.tcp://host:port/path [--root NODEID] [--device-prefix] [--user NAME --password SECRET] [--pki DIR] [--max-depth N]\n');
    process.exit(2);
  }
  const points = await browseEndpoint(endpoint, opts);
  process.stdout.write(toYaml(points, { devicePrefix: opts.devicePrefix === true, header: `${endpoint} from ${opts.root ?? 'Objects'}: ${points.length} variables` }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // node-opcua prints warnings to the console; keep stdout clean for the YAML.
  const { setWarningLogger, setErrorLogger } = await import('node-opcua');
  const toStderr = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(' ')}\n`);
  setWarningLogger(process.env.DEBUG_BROWSE ? toStderr : () => undefined);
  setErrorLogger(toStderr);
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`browse failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
