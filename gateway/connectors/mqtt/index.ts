/** MQTT connector plugin: JSON telemetry over a persistent session. See README.md. */
import type { ConnectorPlugin } from '../../core/connector.js';
import { MqttConnector } from './connector.js';
import { MqttConnection, MqttPoint } from './schema.js';

export const mqtt: ConnectorPlugin = {
  protocol: 'mqtt',
  connectionSchema: MqttConnection,
  pointSchema: MqttPoint,
  create: (devices, ctx) => new MqttConnector(devices, ctx),
};

export { MqttConnector, defaultClientId } from './connector.js';
export default mqtt;
