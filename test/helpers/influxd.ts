/** Moved to tools/influxd.ts; kept for bench/run.ts until it imports tools/ directly (then delete). */
export * from '../../tools/influxd.js';
