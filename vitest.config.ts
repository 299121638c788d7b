import { defineConfig } from 'vitest/config';

// Tests talk to real processes (influxd, mosquitto, OPC UA and Modbus servers), so they get
// generous timeouts and run at most two files at a time on a 2-core machine.
export default defineConfig({
  test: {
    include: ['{gateway,broker,simulators,dashboard,test,tools}/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dashboard/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
