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
  /** Push changed values of every device into the address space. */
  refresh(): void;
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
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: path.join(opts.pkiDir ?? DEFAULT_PKI_DIR, 'server'),
    automaticallyAcceptUnknownCertificate: true,
  });
  const server = new OPCUAServer({
    host: opts.host,
    port: opts.port,
    resourcePath: OPCUA_RESOURCE_PATH,
    // Also advertise the endpoint under the address clients dial (127.0.0.1), not only the FQDN.
    ...(opts.host !== '0.0.0.0' && opts.host !== '::' ? { alternateHostname: [opts.host] } : {}),
    serverCertificateManager,
    securityModes: [MessageSecurityMode.None],
    securityPolicies: [SecurityPolicy.None],
    allowAnonymous: true,
    buildInfo: { productName: 'Facility simulators', manufacturerName: 'facility-gateway' },
    serverInfo: {
      applicationUri: 'urn:facility-gateway:simulators',
      productUri: 'facility-gateway-simulators',
      applicationName: { text: 'Facility simulators' },
    },
  });
  await server.initialize();

  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('OPC UA address space not created');
  const ns = addressSpace.getOwnNamespace();
  // The point maps say ns=1; fail loudly if node-opcua ever puts another namespace first.
  if (ns.index !== 1) throw new Error(`OPC UA own namespace has index ${ns.index}, the point maps expect 1`);

  const bindings: Binding[] = [];
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
      bindings.push({ device, point, variable, last: undefined, lastSilent: false });
    }
  }

  const refresh = () => {
    const now = new Date();
    const snapshot = new Map<SimDevice, Record<string, unknown>>();
    for (const b of bindings) {
      let values = snapshot.get(b.device);
      if (!values) snapshot.set(b.device, (values = b.device.model.values() as Record<string, unknown>));
      const silent = b.device.silent;
      const value = values[b.point.name];
      if (silent === b.lastSilent && value === b.last) continue;
      const variant = { dataType: DataType[b.point.dataType], value: silent ? b.last ?? value : value };
      b.variable.setValueFromSource(variant, silent ? StatusCodes.BadNoCommunication : StatusCodes.Good, now);
      if (!silent) b.last = value;
      b.lastSilent = silent;
    }
  };
  refresh();

  await server.start();
  const port = server.endpoints[0]?.port ?? opts.port;
  const endpointUrl = `opc.tcp://${opts.host}:${port}${OPCUA_RESOURCE_PATH}`;
  log.info({ endpointUrl, variables: bindings.length }, 'OPC UA server listening');

  return {
    port,
    endpointUrl,
    refresh,
    stop: () => server.shutdown(0),
  };
}
