/** `tsx broker/main.ts`: the broker as its own process (docker-compose). Port from BROKER_PORT. */
import { createLogger } from '../gateway/core/log.js';
import { startBroker } from './index.js';

const log = createLogger('broker');
const broker = await startBroker({ port: Number(process.env.BROKER_PORT ?? 1883), log });
const shutdown = () => void broker.stop().then(() => process.exit(0));
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
