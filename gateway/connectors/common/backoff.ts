/** The gateway's one backoff lives in core (`../../core/backoff.ts`); imported here by the device links. */
export { Backoff, type BackoffOptions } from '../../core/backoff.js';
