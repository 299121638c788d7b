/**
 * A TCP relay between a client and a server, for cutting a link for real in a test (an estate's
 * uplink to head office): `cut()` drops every open connection and refuses new ones until
 * `restore()`. Bytes are passed through untouched.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  url(scheme?: string): string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) { client.destroy(); return; }
    const upstream = connect({ host: target.host ?? '127.0.0.1', port: target.port });
    open.add(client).add(upstream);
    const drop = () => { client.destroy(); upstream.destroy(); open.delete(client); open.delete(upstream); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('tcp proxy has no address');
  return {
    port: addr.port,
    url: (scheme = 'nats') => `${scheme}://127.0.0.1:${addr.port}`,
    cut() { down = true; for (const s of open) s.destroy(); open.clear(); },
    restore() { down = false; },
    close: () => new Promise<void>((resolve) => { down = true; for (const s of open) s.destroy(); server.close(() => resolve()); }),
  };
}
