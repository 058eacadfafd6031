/**
 * Page renders shared fairly between users: a small pool of renders at once, one queue per user served
 * round robin (a user's flood of page images waits behind itself, never in front of anyone else), a bound
 * on what one user may have waiting, a request whose client went away leaves its queue, and an LRU cache
 * of finished images bounded in bytes.
 *
 * The cache is keyed by what was rendered (job id, page, render parameters), not by who asked: callers
 * must check that the user may see the job BEFORE asking the queue, so a hit never skips the access check.
 * Pure (no HTTP): the runner is whatever function the caller passes.
 */

export interface RenderQueueOptions {
  /** Renders running at once. */
  concurrency: number;
  /** Requests one user may have waiting or running; more are refused with QueueFullError. */
  maxPerUser: number;
  /** Total bytes of cached results (0: no cache). */
  cacheBytes: number;
}

/** The user already has maxPerUser requests waiting or running. */
export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`too many page images requested at once (at most ${limit} per user); retry shortly`);
    this.name = 'QueueFullError';
  }
}

/** The request's client went away before its render started. */
export class RenderCancelledError extends Error {
  constructor() {
    super('the request was cancelled before its render started');
    this.name = 'RenderCancelledError';
  }
}

interface Waiting {
  user: string;
  start: () => void;
}

export interface RenderRequest<T> {
  user: string;
  /** Cache key (omit to neither read nor fill the cache); only byte results (images) are cached. */
  key?: string;
  run: () => Promise<T>;
  /** Aborting removes the request from its queue if it has not started yet. */
  signal?: AbortSignal;
}

export class PageRenderQueue {
  private running = 0;
  /** Per-user FIFO queues; Map order is the round-robin order (a served user moves to the back). */
  private readonly queues = new Map<string, Waiting[]>();
  /** Waiting + running per user. */
  private readonly perUser = new Map<string, number>();
  private readonly cache = new Map<string, Uint8Array>();
  private cachedBytes = 0;

  constructor(private readonly opts: RenderQueueOptions) {
    if (!(opts.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  }

  /** Requests waiting (not yet started), all users. */
  get waiting(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  async render<T>(req: RenderRequest<T>): Promise<T> {
    if (req.key !== undefined) {
      const hit = this.cache.get(req.key);
      if (hit) {
        // refresh its place in the LRU order
        this.cache.delete(req.key);
        this.cache.set(req.key, hit);
        return hit as T;
      }
    }
    if (req.signal?.aborted) throw new RenderCancelledError();
    const count = this.perUser.get(req.user) ?? 0;
    if (count >= this.opts.maxPerUser) throw new QueueFullError(this.opts.maxPerUser);
    this.perUser.set(req.user, count + 1);
    try {
      await this.slot(req.user, req.signal);
      try {
        const value = await req.run();
        if (req.key !== undefined && value instanceof Uint8Array) this.remember(req.key, value);
        return value;
      } finally {
        this.running--;
        this.next();
      }
    } finally {
      const left = (this.perUser.get(req.user) ?? 1) - 1;
      if (left > 0) this.perUser.set(req.user, left);
      else this.perUser.delete(req.user);
    }
  }

  /** Resolves when this request may run (this.running already counts it). */
  private slot(user: string, signal?: AbortSignal): Promise<void> {
    if (this.running < this.opts.concurrency && this.waiting === 0) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry: Waiting = {
        user,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const q = this.queues.get(user);
        const i = q?.indexOf(entry) ?? -1;
        if (q && i >= 0) {
          q.splice(i, 1);
          if (q.length === 0) this.queues.delete(user);
          reject(new RenderCancelledError());
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const q = this.queues.get(user);
      if (q) q.push(entry);
      else this.queues.set(user, [entry]);
    });
  }

  /** Start waiting requests while slots are free, taking one from each user's queue in turn. */
  private next(): void {
    while (this.running < this.opts.concurrency) {
      const first = this.queues.entries().next();
      if (first.done) return;
      const [user, q] = first.value;
      const entry = q.shift()!;
      this.queues.delete(user);
      if (q.length > 0) this.queues.set(user, q); // to the back of the round
      this.running++;
      entry.start();
    }
  }

  private remember(key: string, value: Uint8Array): void {
    const size = value.byteLength;
    if (size > this.opts.cacheBytes) return;
    const old = this.cache.get(key);
    if (old) {
      this.cache.delete(key);
      this.cachedBytes -= old.byteLength;
    }
    this.cache.set(key, value);
    this.cachedBytes += size;
    for (const [k, v] of this.cache) {
      if (this.cachedBytes <= this.opts.cacheBytes) break;
      this.cache.delete(k);
      this.cachedBytes -= v.byteLength;
    }
  }
}
