/** Modbus connector plugin (TCP, RTU on a serial port, RTU over TCP): FC1-FC4 polling with merged requests, FC5/6/15/16 writes. See README.md. */
import type { ConnectorPlugin } from '../../core/connector.js';
import { ModbusConnector } from './connector.js';
import { ModbusConnection, ModbusPoint } from './schema.js';

export const modbus: ConnectorPlugin = {
  protocol: 'modbus',
  connectionSchema: ModbusConnection,
  pointSchema: ModbusPoint,
  create: (devices, ctx) => new ModbusConnector(devices, ctx),
};

export { ModbusConnector } from './connector.js';
export default modbus;
