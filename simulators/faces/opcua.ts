/**
 * OPC UA face: one node-opcua server (endpoint `opc.tcp://host:port/facility`) with a folder per
 * device under Objects and one variable per point, node id `ns=1;s=<device>.<point>`. Values are
 * pushed from the model after each clock tick, only when they change. A `silent` device keeps its
 * last values with status BadNoCommunication, as an aggregating server does for a lost field device.
 */
import os from 'node:os';
import path from 'node:path';
import {
  DataType,
  makeEUInformation,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  standardUnits,
  StatusCodes,
  type EUInformation,
  type UAVariable,
} from 'node-opcua';
import type { Logger } from 'pino';
import type { SimDevice } from '../devices.js';
import type { OpcuaPointDef } from '../pointmaps.js';

export interface OpcuaFace {
  readonly port: number;
  readonly endpointUrl: string;
  /** False while the server is down for a restart. */
  readonly up: boolean;
  /** Push changed values of every device into the address space. */
  refresh(): void;
  /**
   * Shut the server down (clients lose their sessions) and bring it back on the same port after
   * `delayMs`. `down` resolves once it is shut down, `up` once it listens again.
   */
  restart(delayMs: number): { down: Promise<void>; up: Promise<void> };
  stop(): Promise<void>;
}

export interface OpcuaFaceOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** PKI root (own certificate, trusted/rejected peers). Reuse it: the first start runs openssl. */
  pkiDir?: string;
  logger: Logger;
}

export const OPCUA_RESOURCE_PATH = '/facility';
export const DEFAULT_PKI_DIR = path.join(os.tmpdir(), 'facility-simulators-pki');

const UNITS: Record<NonNullable<OpcuaPointDef['unit']>, EUInformation> = {
  second: standardUnits.second,
  ampere: standardUnits.ampere,
  millimetre: standardUnits.millimetre,
  // Not in node-opcua's table; M39 is the UNECE code for centimetre per second squared.
  'cm/s²': makeEUInformation('M39', 'cm/s²', 'centimetre per second squared'),
};

interface Binding {
  device: SimDevice;
  point: OpcuaPointDef;
  variable: UAVariable;
  last: unknown;
  lastSilent: boolean;
}

export async function startOpcuaFace(devices: SimDevice[], points: readonly OpcuaPointDef[], opts: OpcuaFaceOptions): Promise<OpcuaFace> {
  const log = opts.logger.child({ face: 'opcua' });
  let bindings: Binding[] = [];
  let server: OPCUAServer | null = null;
  let stopped = false;
  let restarting: Promise<void> | null = null;

  const refresh = () => {
    if (!server) return;
    const now = new Date();
    let device: SimDevice | null = null;
    let values: Record<string, unknown> = {};
    for (const b of bindings) {
      if (b.device !== device) {
        device = b.device;
        values = device.model.values() as Record<string, unknown>;
      }
      const silent = b.device.silent;
      const value = values[b.point.name];
      if (silent === b.lastSilent && value === b.last) continue;
      const variant = { dataType: DataType[b.point.dataType], value: silent ? b.last ?? value : value };
      b.variable.setValueFromSource(variant, silent ? StatusCodes.BadNoCommunication : StatusCodes.Good, now);
      if (!silent) b.last = value;
      b.lastSilent = silent;
    }
  };

  const start = async (port: number): Promise<OPCUAServer> => {
    const serverCertificateManager = new OPCUACertificateManager({
      rootFolder: path.join(opts.pkiDir ?? DEFAULT_PKI_DIR, 'server'),
      automaticallyAcceptUnknownCertificate: true,
    });
    const srv = new OPCUAServer({
      host: opts.host,
      port,
      resourcePath: OPCUA_RESOURCE_PATH,
      // Also advertise the endpoint under the address clients dial (127.0.0.1), not only the FQDN.
      ...(opts.host !== '0.0.0.0' && opts.host !== '::' ? { alternateHostname: [opts.host] } : {}),
      serverCertificateManager,
      securityModes: [MessageSecurityMode.None],
      securityPolicies: [SecurityPolicy.None],
      allowAnonymous: true,
      // Scale mode serves thousands of variables to a gateway with many monitored items.
      serverCapabilities: { maxMonitoredItems: 100_000, maxMonitoredItemsPerSubscription: 100_000 },
      buildInfo: { productName: 'Facility simulators', manufacturerName: 'facility-gateway' },
      serverInfo: {
        applicationUri: 'urn:facility-gateway:simulators',
        productUri: 'facility-gateway-simulators',
        applicationName: { text: 'Facility simulators' },
      },
    });
    await srv.initialize();

    const addressSpace = srv.engine.addressSpace;
    if (!addressSpace) throw new Error('OPC UA address space not created');
    const ns = addressSpace.getOwnNamespace();
    // The point maps say ns=1; fail loudly if node-opcua ever puts another namespace first.
    if (ns.index !== 1) throw new Error(`OPC UA own namespace has index ${ns.index}, the point maps expect 1`);

    const fresh: Binding[] = [];
    for (const device of devices) {
      const folder = ns.addFolder(addressSpace.rootFolder.objects, { browseName: device.id, nodeId: `s=${device.id}` });
      for (const point of points) {
        const common = {
          organizedBy: folder,
          browseName: point.name,
          nodeId: `s=${device.id}.${point.name}`,
          dataType: point.dataType,
          minimumSamplingInterval: 100,
        };
        const variable = point.unit
          ? ns.addAnalogDataItem({
              ...common,
              engineeringUnits: UNITS[point.unit],
              ...(point.range ? { engineeringUnitsRange: { low: point.range[0], high: point.range[1] } } : {}),
            })
          : ns.addVariable(common);
        fresh.push({ device, point, variable, last: undefined, lastSilent: false });
      }
    }
    bindings = fresh;
    server = srv;
    refresh();
    await srv.start();
    return srv;
  };

  const first = await start(opts.port);
  const port = first.endpoints[0]?.port ?? opts.port;
  const endpointUrl = `opc.tcp://${opts.host}:${port}${OPCUA_RESOURCE_PATH}`;
  log.info({ endpointUrl, variables: bindings.length }, 'OPC UA server listening');

  const shutdown = async () => {
    const srv = server;
    server = null;
    bindings = [];
    await srv?.shutdown(0);
  };

  return {
    port,
    endpointUrl,
    get up() {
      return server !== null;
    },
    refresh,
    restart(delayMs: number) {
      if (restarting) throw new Error('an OPC UA restart is already in progress');
      log.info({ delayMs }, 'OPC UA server restarting');
      const down = shutdown();
      const up = (async () => {
        await down;
        await new Promise((r) => setTimeout(r, delayMs));
        if (stopped) return;
        await start(port);
        log.info({ endpointUrl }, 'OPC UA server back up');
      })().finally(() => {
        restarting = null;
      });
      restarting = up;
      up.catch((err) => log.error({ err }, 'OPC UA server failed to come back'));
      return { down, up };
    },
    async stop() {
      stopped = true;
      await restarting?.catch(() => undefined);
      await shutdown();
    },
  };
}
