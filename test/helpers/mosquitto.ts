/** Moved to tools/mosquitto.ts; kept for bench/run.ts until it imports tools/ directly (then delete). */
export * from '../../tools/mosquitto.js';
