/**
 * socket.io needs the same token as the REST API: `io(url, { auth: { token } })` (or an
 * `Authorization: Bearer` header). Without a valid one the handshake fails with a
 * `connect_error` whose `data.code` is GW_ERR_UNAUTHORIZED.
 */
import type { Server, Socket } from 'socket.io';
import { bearer, type UserBook } from '../../auth/users.js';

export function requireSocketToken(io: Server, users: UserBook): void {
  io.use((socket: Socket, next: (err?: Error) => void) => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    const token = typeof auth?.token === 'string' ? auth.token : bearer(socket.handshake.headers.authorization);
    const claims = users.check(token);
    if (!claims) {
      next(Object.assign(new Error('unauthorized: log in and pass auth.token'), { data: { code: 'GW_ERR_UNAUTHORIZED' } }));
      return;
    }
    socket.data.user = { username: claims.sub, role: claims.role };
    next();
  });
}
