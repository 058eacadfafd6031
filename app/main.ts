/**
 * `npm start`: the whole system in one process — embedded Temporal and Postgres unless configured
 * otherwise, migrations, the workers and the HTTP API on PORT.
 * Ctrl-C stops everything cleanly: workers first (running activities finish within the grace time),
 * then Temporal, then Postgres. A second Ctrl-C exits at once.
 */
import { config } from '../core/config.js';
import { closePool, initPool } from '../stores/pool.js';
import { logger } from '../core/logger.js';
import { startStack, withStackUi } from './stack.js';
import { resolveDocumentKeys, setDocumentKeys } from '../stores/document-cipher.js';
import { startWorkers } from '../workers/worker.js';
import { startApi } from '../api/server.js';
import { workerRegistry } from '../activities/metrics.js';

const cfg = config();
// Before anything stores or reads a document: a missing or malformed key stops the start, not a job.
setDocumentKeys(resolveDocumentKeys(cfg));
const stack = await startStack(cfg, { ui: true });
initPool(stack.databaseUrl);
const workers = await startWorkers(cfg, stack.temporalAddress);
// The workers run in this process: GET /metrics serves their metrics beside the API's.
const api = await startApi(withStackUi(cfg, stack), stack.temporalAddress, { workerMetrics: workerRegistry });

process.stdout.write(
  [
    '',
    'MedExtract is running.',
    `  API:         ${api.url}  (OpenAPI: ${api.url}/openapi.json)`,
    `  Temporal:    ${stack.temporalAddress}${stack.temporalUiUrl ? `  (Web UI ${stack.temporalUiUrl})` : ''}`,
    `  Postgres:    ${cfg.databaseUrl ? 'DATABASE_URL' : `embedded (PGlite) in ${cfg.dataDir}`}`,
    `  Extraction:  ${cfg.extraction.provider}${cfg.extraction.provider === 'openai' ? ` (${cfg.extraction.model})` : ''}`,
    '  Process documents from another terminal:  npx medextract process file.pdf scan.tiff --out results/',
    '  Stop with Ctrl-C.',
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(130);
  }
  stopping = true;
  logger.info({ signal }, 'stopping');
  await api.close();
  await workers.shutdown();
  await closePool();
  await stack.stop();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
await workers.done;
