/** Durations are part of the shared vocabulary (gateway/core/durations.ts). */
export { toMs } from '../core/durations.js';
