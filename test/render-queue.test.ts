/**
 * The fair page-render queue as the attack of one user flooding it: the order renders START in is
 * recorded (never durations). With one render at a time, user A's 40 requests must not keep user B's
 * single request waiting behind them; a request whose client left never runs; a cached image is
 * answered without running the renderer; one user's backlog is bounded.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PageRenderQueue, QueueFullError, RenderCancelledError } from '../api/page-render-queue.js';

/** A runner whose renders finish only when the test says so, recording the start order. */
function gatedRunner() {
  const started: string[] = [];
  const gates: Array<() => void> = [];
  const run = (label: string) => () =>
    new Promise<Buffer>((resolve) => {
      started.push(label);
      gates.push(() => resolve(Buffer.from(label)));
    });
  /** Let the oldest unfinished render finish, then let the queue start the next one. */
  const finishOne = async () => {
    await new Promise((r) => setImmediate(r));
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { started, run, finishOne };
}

describe('page render queue', () => {
  test("one user's flood of 40 does not starve another user's single render", async () => {
    const q = new PageRenderQueue({ concurrency: 1, maxPerUser: 100, cacheBytes: 0 });
    const r = gatedRunner();
    const all: Array<Promise<Buffer>> = [];
    for (let i = 0; i < 40; i++) all.push(q.render({ user: 'A', run: r.run(`A${i}`) }));
    all.push(q.render({ user: 'B', run: r.run('B0') }));
    while (r.started.length < 41) await r.finishOne();
    await r.finishOne(); // the last one started
    await Promise.all(all);
    const b = r.started.indexOf('B0');
    const aAfterB = r.started.slice(b + 1).filter((s) => s.startsWith('A')).length;
    assert.ok(aAfterB >= 38, `B started before ${aAfterB} of A's 40 renders (order: ${r.started.join(' ')})`);
    // A's own requests keep their order
    assert.deepEqual(
      r.started.filter((s) => s.startsWith('A')),
      Array.from({ length: 40 }, (_, i) => `A${i}`),
    );
  });

  test('a request whose client went away leaves the queue and never runs', async () => {
    const q = new PageRenderQueue({ concurrency: 1, maxPerUser: 10, cacheBytes: 0 });
    const r = gatedRunner();
    const first = q.render({ user: 'A', run: r.run('A0') });
    const gone = new AbortController();
    const second = q.render({ user: 'A', run: r.run('A1'), signal: gone.signal });
    const third = q.render({ user: 'B', run: r.run('B0') });
    assert.equal(q.waiting, 2);
    gone.abort();
    await assert.rejects(second, RenderCancelledError);
    assert.equal(q.waiting, 1, 'the abandoned request left the queue');
    await r.finishOne();
    await r.finishOne();
    await Promise.all([first, third]);
    assert.deepEqual(r.started, ['A0', 'B0'], 'the abandoned render never ran');
    // a signal aborted before asking is refused outright
    await assert.rejects(q.render({ user: 'A', run: r.run('A2'), signal: AbortSignal.abort() }), RenderCancelledError);
    assert.deepEqual(r.started, ['A0', 'B0']);
  });

  test('a cached image is answered without running the renderer; the cache stays within its bytes', async () => {
    const q = new PageRenderQueue({ concurrency: 1, maxPerUser: 10, cacheBytes: 10 });
    let runs = 0;
    const render = (bytes: number) => async () => {
      runs++;
      return Buffer.alloc(bytes);
    };
    await q.render({ user: 'A', key: 'job1:1:100', run: render(4) });
    assert.equal(runs, 1);
    const hit = await q.render({ user: 'B', key: 'job1:1:100', run: render(4) });
    assert.equal(runs, 1, 'the second ask was a cache hit');
    assert.equal(hit.byteLength, 4);
    // another page (and other render parameters) are other keys
    await q.render({ user: 'A', key: 'job1:2:100', run: render(4) });
    await q.render({ user: 'A', key: 'job1:1:300', run: render(4) });
    assert.equal(runs, 3);
    // 12 bytes > 10: the least recently used (job1:1:100) was evicted, the others stay
    await q.render({ user: 'A', key: 'job1:1:300', run: render(4) });
    assert.equal(runs, 3);
    await q.render({ user: 'A', key: 'job1:1:100', run: render(4) });
    assert.equal(runs, 4, 'the evicted image is rendered again');
    // results without a key are never cached
    await q.render({ user: 'A', run: render(1) });
    await q.render({ user: 'A', run: render(1) });
    assert.equal(runs, 6);
  });

  test("one user's backlog is bounded; other users are still accepted", async () => {
    const q = new PageRenderQueue({ concurrency: 1, maxPerUser: 3, cacheBytes: 0 });
    const r = gatedRunner();
    const accepted = [0, 1, 2].map((i) => q.render({ user: 'A', run: r.run(`A${i}`) }));
    await assert.rejects(q.render({ user: 'A', run: r.run('A3') }), QueueFullError);
    const b = q.render({ user: 'B', run: r.run('B0') });
    while (r.started.length < 4) await r.finishOne();
    await r.finishOne();
    await Promise.all([...accepted, b]);
    assert.ok(!r.started.includes('A3'));
    // once A's renders are done, A may ask again
    const again = q.render({ user: 'A', run: r.run('A4') });
    await r.finishOne();
    await again;
    assert.equal(r.started.at(-1), 'A4');
  });
});
