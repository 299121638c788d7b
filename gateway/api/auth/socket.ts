/**
 * socket.io needs the same token as the REST API: `io(url, { auth: { token } })` (or an
 * `Authorization: Bearer` header). Without a valid one the handshake fails with a
 * `connect_error` whose `data.code` is GW_ERR_UNAUTHORIZED.
 *
 * A session lives no longer than its token: the socket is told (`session-ended`
 * `{ code: GW_ERR_UNAUTHORIZED, reason }`) and disconnected at the token's expiry, and as soon as
 * the user book changes (gateway/auth/reload.ts) when its user was removed or its role changed.
 */
import type { Server, Socket } from 'socket.io';
import { bearer, type UserBook } from '../../auth/users.js';

/** setTimeout's longest delay (about 24.8 days); a longer token is re-checked then. */
const MAX_TIMER_MS = 2_147_483_647;

export function requireSocketToken(io: Server, users: UserBook, now: () => number = Date.now): void {
  const tokenOf = (socket: Socket): string | undefined => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    return typeof auth?.token === 'string' ? auth.token : bearer(socket.handshake.headers.authorization);
  };
  const end = (socket: Socket, reason: string) => {
    socket.emit('session-ended', { code: 'GW_ERR_UNAUTHORIZED', reason });
    socket.disconnect(true);
  };

  io.use((socket: Socket, next: (err?: Error) => void) => {
    const claims = users.check(tokenOf(socket));
    if (!claims) {
      next(Object.assign(new Error('unauthorized: log in and pass auth.token'), { data: { code: 'GW_ERR_UNAUTHORIZED' } }));
      return;
    }
    socket.data.user = { username: claims.sub, role: claims.role };
    const expire = () => {
      if (users.check(tokenOf(socket))) timer = setTimeout(expire, Math.min(MAX_TIMER_MS, Math.max(0, claims.exp * 1000 - now())));
      else end(socket, 'token expired; log in again');
    };
    let timer = setTimeout(expire, Math.min(MAX_TIMER_MS, Math.max(0, claims.exp * 1000 - now())));
    socket.once('disconnect', () => clearTimeout(timer));
    next();
  });

  users.onChange(() => {
    for (const socket of io.of('/').sockets.values()) {
      if (!users.check(tokenOf(socket))) end(socket, 'user removed or role changed; log in again');
    }
  });
}
