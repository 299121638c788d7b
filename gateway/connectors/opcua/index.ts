/** OPC UA connector plugin: one subscription per endpoint, rebuilt from scratch when it starves. See README.md. */
import type { ConnectorPlugin } from '../../core/connector.js';
import { deferred } from '../common/deferred.js';
import { OpcuaConnection, OpcuaPoint } from './schema.js';

export const opcua: ConnectorPlugin = {
  protocol: 'opcua',
  connectionSchema: OpcuaConnection,
  pointSchema: OpcuaPoint,
  // node-opcua is imported when the connector starts, not when the registry is loaded.
  create: (devices, ctx) =>
    deferred(devices.map((d) => d.id), async () => {
      const { OpcuaConnector } = await import('./connector.js');
      return new OpcuaConnector(devices, ctx);
    }),
};

export type { OpcuaConnector } from './connector.js';
export default opcua;
