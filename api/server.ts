/**
 * Starting the HTTP API: resolve the token-signing secret, make sure a first admin exists, connect
 * to Temporal, and listen. Used by `npm start` (in-process with the workers) and by standalone API
 * processes (`npm run api`), any number of them behind a load balancer — they share nothing but
 * Postgres and Temporal.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import { anyUserExists, createUserIfAbsent } from '../stores/users.js';
import { logger } from '../core/logger.js';
import { connectClient } from '../services/pipeline-client.js';
import { createApp } from './app.js';
import { checkPasswordRules, hashPassword } from './auth/passwords.js';
import type { AppDeps } from './context.js';
import { ApiError, errorBody } from './errors.js';
import { flushAudit } from './audit.js';

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
    try {
      checkPasswordRules(cfg.admin.password, cfg.admin.username);
    } catch (err) {
      // The same rule as every other password: a weak first admin would be the easiest way in.
      if (err instanceof ApiError) throw new Error(`ADMIN_PASSWORD is refused: ${err.message}`, { cause: err });
      throw err;
    }
    const created = await createUserIfAbsent({ username: cfg.admin.username, passwordHash: await hashPassword(cfg.admin.password), role: 'admin' });
    if (created) logger.info({ username: cfg.admin.username }, 'created the first admin from ADMIN_USERNAME');
    return;
  }
  if (await anyUserExists()) return;
  const password = crypto.randomBytes(15).toString('base64url');
  const created = await createUserIfAbsent({ username: 'admin', passwordHash: await hashPassword(password), role: 'admin' });
  // Another API process may have won the race; only the one that created the account prints it.
  if (created) {
    process.stdout.write(
      `\n  First start: an administrator was created.\n    username: admin\n    password: ${password}\n  It is shown only this once. Log in and change it (POST /me/password).\n\n`,
    );
  }
}

export interface RunningApi {
  url: string;
  server: http.Server | https.Server;
  deps: AppDeps;
  close(): Promise<void>;
}

export interface StartApiOptions {
  port?: number;
  host?: string;
  /** The Prometheus registry of workers running in this process, to serve at GET /metrics too. */
  workerMetrics?: Registry;
}

/**
 * Cuts off a request whose body stops arriving for `idleMs` (headers sent, then nothing, or a trickle
 * with long gaps) with 408 RequestTimeout, and closes the connection. It measures inactivity, not total
 * time: a slow upload that keeps sending is never cut. Bytes the server has not yet read (its own
 * backpressure) count as activity, since then the wait is not the client's doing.
 */
export function enforceBodyInactivity(server: http.Server | https.Server, idleMs: number): void {
  const tick = Math.max(100, Math.min(1000, Math.floor(idleMs / 5)));
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) return;
    const socket = req.socket;
    let seen = socket.bytesRead;
    let lastActivity = Date.now();
    const timer = setInterval(() => {
      if (req.complete || socket.destroyed) return clearInterval(timer);
      if (socket.bytesRead !== seen || req.readableLength > 0) {
        seen = socket.bytesRead;
        lastActivity = Date.now();
        return;
      }
      if (Date.now() - lastActivity < idleMs) return;
      clearInterval(timer);
      if (res.headersSent) return void socket.destroy();
      const body = JSON.stringify(
        errorBody('RequestTimeout', `the request body stopped arriving: nothing was received for ${Math.round(idleMs / 1000)} s, so the request was cut off`),
      );
      res.writeHead(408, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body, () => socket.destroy());
    }, tick);
    timer.unref();
    req.once('close', () => clearInterval(timer));
  });
}

export async function startApi(cfg: Config, temporalAddress: string, opts: StartApiOptions = {}): Promise<RunningApi> {
  const temporal = await connectClient(cfg, temporalAddress);
  const deps: AppDeps = { cfg, temporal, jwtKey: resolveJwtSecret(cfg), now: () => new Date(), workerMetrics: opts.workerMetrics };
  await ensureFirstAdmin(cfg);
  const app = createApp(deps);
  const server = cfg.tls
    ? https.createServer({ cert: fs.readFileSync(cfg.tls.certPath), key: fs.readFileSync(cfg.tls.keyPath) }, app.callback())
    : http.createServer(app.callback());
  // Total limits as a backstop; the inactivity limit below is what stops a stalled body early.
  // Uploads of MAX_UPLOAD_MB over slow links need minutes in total; headers never do.
  server.requestTimeout = 10 * 60_000;
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 65_000;
  enforceBodyInactivity(server, cfg.requestBodyIdleSeconds * 1000);
  const host = opts.host ?? cfg.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? cfg.port, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const shown = host === '0.0.0.0' || host === '::' ? (cfg.tls ? 'localhost' : '127.0.0.1') : host.includes(':') ? `[${host}]` : host;
  const url = `${cfg.tls ? 'https' : 'http'}://${shown}:${port}`;
  logger.info({ url, host }, 'API listening');
  return {
    url,
    server,
    deps,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await flushAudit();
      await temporal.connection.close();
    },
  };
}
