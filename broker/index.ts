/**
 * The site's MQTT broker (aedes, embedded in the demo, its own process in docker-compose).
 * Device credentials, topic ACLs and TLS come with the security work; today it accepts local
 * clients and guards against oversized packets and deep topics.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '../gateway/core/log.js';

export interface BrokerOptions {
  port?: number;
  host?: string;
  log: Logger;
}

export interface RunningBroker {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  // maxTopicLevels guards against a qlobber throw on absurdly deep topics (aedes docs).
  const aedes = await Aedes.createBroker({ maxClientsIdLength: 128, maxTopicLevels: 16, concurrency: 100, drainTimeout: 10_000 });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  aedes.on('clientError', (client, err) => opts.log.debug({ client: client.id, err: err.message }, 'client error'));
  aedes.on('connectionError', (_client, err) => opts.log.debug({ err: err.message }, 'connection error'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 1883, opts.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  opts.log.info({ port }, 'MQTT broker listening');
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => aedes.close(() => resolve()));
      }),
  };
}
