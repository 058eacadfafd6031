/** Entry point of a standalone worker process (`npm run worker`). Needs TEMPORAL_ADDRESS and DATABASE_URL. */
import { config } from './config.js';
import { migrate } from './db/migrate.js';
import { closePool, initPool } from './db/pool.js';
import { logger } from './logger.js';
import { startWorkers } from './worker.js';

const cfg = config();
if (!cfg.temporalAddress || !cfg.databaseUrl) {
  process.stderr.write('A standalone worker needs TEMPORAL_ADDRESS and DATABASE_URL (use `npm start` for the embedded stack).\n');
  process.exit(78);
}
initPool(cfg.databaseUrl);
await migrate(cfg.databaseUrl);
const workers = await startWorkers(cfg, cfg.temporalAddress);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'signal received');
    void workers.shutdown();
  });
}
await workers.done;
await closePool();
logger.info('worker stopped');
