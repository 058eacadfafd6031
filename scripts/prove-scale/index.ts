/**
 * `npm run prove:scale`: the production topology on loopback, with real processes (topology.ts), and
 * proof that it behaves:
 *
 *   batch 1  3 fresh workers, the 30-document batch      step 1 (everything completes, every worker and
 *                                                        both APIs did work) and the 3-worker throughput
 *   -        logout through API 1, token tried on API 2  step 3
 *   batch 2  1 fresh worker, the same 30 documents       single-worker throughput: the ratio
 *   batch 3  3 workers, the same 30 documents            steps 4-6: SIGKILL a worker running OCR, restart
 *                                                        Temporal, SIGTERM a worker running OCR
 *   batch 4  3 fresh workers with LLM_RPM=40,            step 2: the global LLM rate limit as the LLM
 *            50 documents (46 generated + 4 scans)       server sees it
 *
 * The 30-document batch is 26 digital and 4 scanned one-page corpus files, each upload made unique by a
 * PDF comment line after its %%EOF; batch 4's digital documents are generated fixtures (test/fixtures/generate.ts).
 *
 * Prints a table and exits 0 only if every step passes. Every child process, the database and (on success)
 * the temporary directory are removed on exit, Ctrl-C included; on failure the logs are kept.
 */
import os from 'node:os';
import type { LocalStack } from '../../harness/stack.js';
import { batchThreeDurability } from './durability.js';
import { stepThreeLogout } from './logout.js';
import { LLM_RPM, RATE_BATCH_GENERATED, stepTwoRateLimit } from './rate-limit.js';
import { BATCH, login, printTable, results, SCANNED, seconds } from './system.js';
import { stepOneScale, throughput } from './throughput.js';
import { replaceWorkers, startTopology, startWorker, stopTopology } from './topology.js';

/** Batches 1-3: high enough that the LLM never limits throughput. */
const FAST_RPM = 3000;

let stack: LocalStack | undefined;
let cleaning: Promise<void> | undefined;
const cleanup = (keepFiles: boolean) => (cleaning ??= stack ? stopTopology(stack, keepFiles) : Promise.resolve());

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping every process and dropping the database`);
    void cleanup(true).then(() => process.exit(130));
  });
}

const started = Date.now();
const loadAtStart = os.loadavg()[0]!;
let ratio: string | undefined;
let ok = false;
try {
  const t = await startTopology((s) => (stack = s), LLM_RPM);
  await replaceWorkers(t, 3, FAST_RPM);
  console.log(
    `topology up in ${seconds(Date.now() - started)}: temporal ${t.stack.temporal.address}, nginx ${t.nginx.url} -> ${t.apis.map((a) => a.url).join(', ')}`,
  );
  const token = await login(t.nginx.url);

  console.log(`batch 1: ${BATCH.length} documents (${SCANNED.length} scanned), 3 fresh workers`);
  const threeWorkers = await stepOneScale(t, token);
  await stepThreeLogout(t);

  console.log('batch 2: the same documents (new bytes), 1 fresh worker');
  await replaceWorkers(t, 1, FAST_RPM);
  const oneWorker = await throughput(t, token, 'b2');
  ratio =
    `throughput, ${BATCH.length} documents (${SCANNED.length} scanned), fresh workers, OCR_WORKERS=1 each, ` +
    `${os.availableParallelism()} cores (load average ${loadAtStart.toFixed(1)} at start): ` +
    `3 workers ${seconds(threeWorkers)} (${((BATCH.length / threeWorkers) * 60_000).toFixed(1)} docs/min), ` +
    `1 worker ${seconds(oneWorker)} (${((BATCH.length / oneWorker) * 60_000).toFixed(1)} docs/min): ratio ${(oneWorker / threeWorkers).toFixed(2)}`;
  console.log(ratio);

  console.log('batch 3: the same documents (new bytes), 3 workers; SIGKILL, Temporal restart, SIGTERM');
  for (let i = 0; i < 2; i++) t.workers.push(await startWorker(t, FAST_RPM));
  await batchThreeDurability(t, token);

  console.log(`batch 4: ${SCANNED.length + RATE_BATCH_GENERATED} documents, 3 fresh workers with LLM_RPM=${LLM_RPM}`);
  await replaceWorkers(t, 3, LLM_RPM);
  await stepTwoRateLimit(t, token);
  ok = results.length === 6 && results.every((r) => r.pass);
} catch (err) {
  if (!interrupted) {
    console.error(`prove:scale stopped: ${(err as Error).stack ?? String(err)}`);
    for (const c of stack?.processes.live() ?? []) console.error(`--- ${c.name} (last lines) ---\n${c.tail(1500)}`);
  }
}
if (!interrupted) {
  printTable(ratio);
  console.log(`\ntotal ${seconds(Date.now() - started)}: ${ok ? 'every step passes' : 'NOT every step passes'}`);
  await cleanup(!ok);
  process.exit(ok ? 0 : 1);
}
