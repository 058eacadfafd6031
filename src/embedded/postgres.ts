/**
 * Embedded Postgres for `npm start` with no DATABASE_URL: PGlite (Postgres compiled to WASM) with its
 * data under DATA_DIR, served over the Postgres wire protocol on loopback so the same `pg` code runs
 * against it as against a real server. All connections share one PGlite session, so transactions must
 * stay short and self-contained (see DESIGN.md).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { logger } from '../logger.js';
import { freePort } from './ports.js';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const dir = path.join(dataDir, 'pglite');
  await fs.mkdir(dir, { recursive: true });
  const pglite = await PGlite.create(dir);
  const port = await freePort();
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port, maxConnections: 20 });
  await server.start();
  logger.info({ dir, port }, 'embedded postgres (PGlite) listening on loopback');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await pglite.close();
    },
  };
}
