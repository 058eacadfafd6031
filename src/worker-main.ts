/** Entry point of a standalone worker process (`npm run worker`). Needs TEMPORAL_ADDRESS and DATABASE_URL. */
import { config } from './config.js';
import { connectStandalone } from './db/migrate.js';
import { closePool } from './db/pool.js';
import { logger } from './logger.js';
import { startWorkers } from './worker.js';

const cfg = config();
const { temporalAddress } = await connectStandalone(cfg, 'worker');
const workers = await startWorkers(cfg, temporalAddress);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'signal received');
    void workers.shutdown();
  });
}
await workers.done;
await closePool();
logger.info('worker stopped');
