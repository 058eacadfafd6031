/** Entry point of a standalone API process (`npm run api`). Needs TEMPORAL_ADDRESS and DATABASE_URL. */
import { startApi } from '../api/server.js';
import { config } from '../core/config.js';
import { connectStandalone } from '../stores/migrate.js';
import { closePool } from '../stores/pool.js';
import { resolveDocumentKeys, setDocumentKeys } from '../stores/document-cipher.js';
import { logger } from '../core/logger.js';

const cfg = config('api');
// Before anything stores or reads a document: a missing or malformed key stops the start, not a job.
setDocumentKeys(resolveDocumentKeys(cfg));
const { temporalAddress } = await connectStandalone(cfg, 'API process');
const api = await startApi(cfg, temporalAddress);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'API stopping');
    void api
      .close()
      .then(closePool)
      .then(() => process.exit(0));
  });
}
