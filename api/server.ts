/**
 * Starting the HTTP API: resolve the token-signing secret, make sure a first admin exists, connect
 * to Temporal, and listen. Used by `npm start` (in-process with the workers) and by standalone API
 * processes (`npm run api`), any number of them behind a load balancer — they share nothing but
 * Postgres and Temporal.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Config } from '../core/config.js';
import { db } from '../stores/pool.js';
import { logger } from '../core/logger.js';
import { connectClient } from '../services/pipeline-client.js';
import { createApp } from './app.js';
import { hashPassword } from './auth/passwords.js';
import type { AppDeps } from './context.js';

/** JWT_SECRET, or outside production a secret generated once and kept (mode 600) in DATA_DIR. */
export function resolveJwtSecret(cfg: Config): Uint8Array {
  if (cfg.jwtSecret) return new TextEncoder().encode(cfg.jwtSecret);
  if (cfg.nodeEnv === 'production') throw new Error('JWT_SECRET is required in production');
  const file = path.join(cfg.dataDir, 'jwt-secret');
  fs.mkdirSync(cfg.dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, crypto.randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
    logger.info({ file }, 'generated a token-signing secret for embedded mode');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return new TextEncoder().encode(fs.readFileSync(file, 'utf8').trim());
}

/**
 * The first admin: from ADMIN_USERNAME / ADMIN_PASSWORD when set (created if missing), else — only
 * when there is no user at all — `admin` with a random password printed once to the terminal.
 */
export async function ensureFirstAdmin(cfg: Config): Promise<void> {
  if (cfg.admin) {
    const r = await db().query(
      `INSERT INTO users (id, username, password_hash, role) VALUES ($1, $2, $3, 'admin')
       ON CONFLICT ((lower(username))) DO NOTHING`,
      [crypto.randomUUID(), cfg.admin.username, await hashPassword(cfg.admin.password)],
    );
    if (r.rowCount) logger.info({ username: cfg.admin.username }, 'created the first admin from ADMIN_USERNAME');
    return;
  }
  const any = await db().query('SELECT 1 FROM users LIMIT 1');
  if (any.rowCount) return;
  const password = crypto.randomBytes(15).toString('base64url');
  const r = await db().query(
    `INSERT INTO users (id, username, password_hash, role) VALUES ($1, 'admin', $2, 'admin') ON CONFLICT ((lower(username))) DO NOTHING`,
    [crypto.randomUUID(), await hashPassword(password)],
  );
  // Another API process may have won the race; only the one that created the account prints it.
  if (r.rowCount) {
    process.stdout.write(
      `\n  First start: an administrator was created.\n    username: admin\n    password: ${password}\n  It is shown only this once. Log in and change it (POST /me/password).\n\n`,
    );
  }
}

export interface RunningApi {
  url: string;
  server: http.Server;
  deps: AppDeps;
  close(): Promise<void>;
}

export async function startApi(cfg: Config, temporalAddress: string, opts: { port?: number; host?: string } = {}): Promise<RunningApi> {
  const temporal = await connectClient(cfg, temporalAddress);
  const deps: AppDeps = { cfg, temporal, jwtKey: resolveJwtSecret(cfg), now: () => new Date() };
  await ensureFirstAdmin(cfg);
  const app = createApp(deps);
  const server = http.createServer(app.callback());
  // Uploads of MAX_UPLOAD_MB over slow links need time; idle keep-alive sockets do not.
  server.requestTimeout = 10 * 60_000;
  server.keepAliveTimeout = 65_000;
  const host = opts.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? cfg.port, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info({ url }, 'API listening');
  return {
    url,
    server,
    deps,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await temporal.connection.close();
    },
  };
}
