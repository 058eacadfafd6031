/** Applies the versioned SQL migrations in migrations/ (node-pg-migrate), idempotently, at start-up. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { logger } from '../core/logger.js';
import { initPool } from './pool.js';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

export async function migrate(databaseUrl: string): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    singleTransaction: true,
    // Several processes start at once (API replicas, workers): the later ones wait for the first.
    advisoryLockMode: 'wait',
    log: () => {},
  });
  const names = applied.map((m) => m.name);
  if (names.length) logger.info({ migrations: names }, 'database migrated');
  return names;
}

/**
 * Start-up of a standalone process (worker, API replica): it needs external Temporal and Postgres;
 * exits with a clear line if they are not configured, otherwise opens the pool and migrates.
 */
export async function connectStandalone(
  cfg: { temporalAddress?: string; databaseUrl?: string },
  what: string,
): Promise<{ temporalAddress: string; databaseUrl: string }> {
  const { temporalAddress, databaseUrl } = cfg;
  if (!temporalAddress || !databaseUrl) {
    process.stderr.write(`A standalone ${what} needs TEMPORAL_ADDRESS and DATABASE_URL (use \`npm start\` for the embedded stack).\n`);
    process.exit(78);
  }
  initPool(databaseUrl);
  await migrate(databaseUrl);
  return { temporalAddress, databaseUrl };
}
