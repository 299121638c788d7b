/**
 * The connector registry (Telegraf style): one folder per protocol, one line here.
 * Adding a protocol = a folder with an `index.ts` exporting a `ConnectorPlugin` + one line below.
 */
import type { ConnectorPlugin } from '../core/connector.js';
import { modbus } from './modbus/index.js';
import { mqtt } from './mqtt/index.js';
import { opcua } from './opcua/index.js';

export const connectors: Record<string, ConnectorPlugin> = {
  [modbus.protocol]: modbus,
  [opcua.protocol]: opcua,
  [mqtt.protocol]: mqtt,
};

