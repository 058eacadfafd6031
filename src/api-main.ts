/** Entry point of a standalone API process (`npm run api`). Needs TEMPORAL_ADDRESS and DATABASE_URL. */
import { startApi } from '../api/server.js';
import { config } from './config.js';
import { migrate } from './db/migrate.js';
import { closePool, initPool } from './db/pool.js';
import { logger } from './logger.js';

const cfg = config();
if (!cfg.temporalAddress || !cfg.databaseUrl) {
  process.stderr.write('A standalone API process needs TEMPORAL_ADDRESS and DATABASE_URL (use `npm start` for the embedded stack).\n');
  process.exit(78);
}
initPool(cfg.databaseUrl);
await migrate(cfg.databaseUrl);
const api = await startApi(cfg, cfg.temporalAddress);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'API stopping');
    void api.close().then(closePool).then(() => process.exit(0));
  });
}
