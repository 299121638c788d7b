/** Moved to tools/ports.ts; kept for bench/run.ts until it imports tools/ directly (then delete). */
export * from '../../tools/ports.js';
