/** Coded errors of authentication and authorization (the GW_ERR_* catalogue pattern). */
import { Errors, GatewayError } from '../../core/errors.js';

export const AuthErrors = {
  UNAUTHORIZED: (why: string) => new GatewayError('GW_ERR_UNAUTHORIZED', why, 401),
  BAD_LOGIN: () => new GatewayError('GW_ERR_UNAUTHORIZED', 'wrong username or password', 401),
  FORBIDDEN: Errors.FORBIDDEN,
  RATE_LIMITED: (retryS: number) => new GatewayError('GW_ERR_RATE_LIMITED', `too many login attempts; retry in ${retryS} s`, 429),
} as const;
