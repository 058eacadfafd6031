/**
 * Embedded Postgres for `npm start` with no DATABASE_URL: PGlite (Postgres compiled to WASM) with its
 * data under DATA_DIR, served over the Postgres wire protocol on loopback so the same `pg` code runs
 * against it as against a real server. All connections share one PGlite session, so transactions must
 * stay short and self-contained: one that waits on a query of another connection deadlocks.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { logger } from '../../core/logger.js';
import { freePort } from './ports.js';

export interface EmbeddedPostgres {
  url: string;
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

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const dir = path.join(dataDir, 'pglite');
  await fs.mkdir(dir, { recursive: true });
  const pglite = await PGlite.create(dir);
  const port = await freePort();
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port, maxConnections: 20 });
  // Handlers take the server's queue when a connection arrives, so swapping it before start is enough.
  (server as unknown as { queryQueue: SessionQueue }).queryQueue = new SessionQueue(pglite);
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
