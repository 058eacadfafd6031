/**
 * Embedded Postgres for `npm start` with no DATABASE_URL: PGlite (Postgres compiled to WASM) with its
 * data under DATA_DIR, served over the Postgres wire protocol so the same `pg` code runs against it as
 * against a real server. It listens on a Unix socket inside DATA_DIR (owner-only directory, socket mode
 * 600), never on a TCP port: PGlite has no authentication, so whoever can connect owns the data. All connections share one PGlite session, so transactions must
 * stay short and self-contained: one that waits on a query of another connection deadlocks.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { logger } from '../../core/logger.js';
import { repairModes } from './data-dir.js';

export interface EmbeddedPostgres {
  /** A `pg` connection string naming the socket's directory (`host=<dir>`). */
  url: string;
  socketPath: string;
  stop(): Promise<void>;
}

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: unknown) => void;
}

// Frontend message types of the extended query protocol that leave the session mid-exchange
// (Parse, Bind, Describe, Execute, Close, Flush); Sync ('S') or a simple Query ('Q') completes it.
const EXTENDED_PROTOCOL = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));

/**
 * Replaces pglite-socket's query queue. Every connection shares PGlite's one session, and the stock
 * queue interleaves messages of different connections between Parse and Sync, so one request's
 * statement ran with another's parameters under concurrent load (seen: wrong rows, "bind message
 * supplies 2 parameters"). This queue keeps serving one connection from its first extended-protocol
 * message to its Sync, and through open transactions, before it takes anyone else's.
 */
class SessionQueue {
  private queue: QueuedMessage[] = [];
  private processing = false;
  private owner: number | null = null;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  private async process(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length) {
        const index = this.owner === null ? 0 : this.queue.findIndex((q) => q.handlerId === this.owner);
        if (index === -1) return; // the session's owner has more to send: wait for it
        const item = this.queue.splice(index, 1)[0]!;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
          item.resolve(bytes);
        } catch (err) {
          item.reject(err);
        }
        const midExchange = EXTENDED_PROTOCOL.has(item.message[0]!);
        this.owner = midExchange || this.db.isInTransaction() ? item.handlerId : null;
      }
    } finally {
      this.processing = false;
    }
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((q) => {
      if (q.handlerId !== handlerId) return true;
      q.reject(new Error('connection closed'));
      return false;
    });
  }

  /** A connection that goes away mid-exchange or mid-transaction must not hold the session. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    await this.process();
  }
}

/** Linux's sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH = 107;
/** The name libpq and `pg` look for in a socket directory (`host=<dir>`, default port). */
const SOCKET_NAME = '.s.PGSQL.5432';

/**
 * The directory of the socket: DATA_DIR/pg, or — when DATA_DIR is so deep that the socket path would
 * not fit in sun_path — a fresh owner-only directory under the system temp dir.
 */
async function socketDir(dataDir: string): Promise<{ dir: string; temporary: boolean }> {
  const dir = path.resolve(dataDir, 'pg');
  if (path.join(dir, SOCKET_NAME).length <= MAX_SOCKET_PATH) {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.chmod(dir, 0o700);
    return { dir, temporary: false };
  }
  return { dir: await fs.mkdtemp(path.join(os.tmpdir(), 'medextract-pg-')), temporary: true }; // mkdtemp: mode 700
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const dir = path.join(dataDir, 'pglite');
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const pglite = await PGlite.create(dir);
  // PGlite's file system layer may set modes of its own; whatever it created is made owner-only.
  await repairModes(dir);
  const sock = await socketDir(dataDir);
  const socketPath = path.join(sock.dir, SOCKET_NAME);
  // A socket file left by a process that was killed would make listen fail with EADDRINUSE; the
  // caller has made sure no live process serves this DATA_DIR.
  await fs.rm(socketPath, { force: true });
  const server = new PGLiteSocketServer({ db: pglite, path: socketPath, maxConnections: 20 });
  // Handlers take the server's queue when a connection arrives, so swapping it before start is enough.
  (server as unknown as { queryQueue: SessionQueue }).queryQueue = new SessionQueue(pglite);
  await server.start();
  await fs.chmod(socketPath, 0o600);
  logger.info({ dir, socket: socketPath }, 'embedded postgres (PGlite) listening on a private Unix socket');
  return {
    // No authority at all (not `postgres@/…`): libpq, `pg` and WHATWG URL parsers all accept this form.
    url: `postgres:///postgres?host=${encodeURIComponent(sock.dir)}&user=postgres`,
    socketPath,
    async stop() {
      await server.stop();
      await pglite.close();
      await fs.rm(sock.temporary ? sock.dir : socketPath, { recursive: true, force: true });
    },
  };
}
