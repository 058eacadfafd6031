'use strict';
/**
 * Entry point of each tesseract.js worker thread (pool.ts passes it as `workerPath`): lowers this
 * thread's CPU priority, then runs tesseract.js's own worker script.
 *
 * OCR is the one job here that can use every core for minutes. At a lower priority it still gets
 * every cycle nobody else wants, but an API request, a database query or the worker's own Temporal
 * bookkeeping on the same cores runs first, so they stay responsive while OCR saturates the CPU.
 * On Linux a nice value is per thread, so this affects the OCR threads only.
 *
 * The nice value comes from the pool (its `nice` option, OCR_NICE in a worker process) as worker-thread
 * environment data: tesseract.js creates the thread itself and gives it no workerData.
 */
const os = require('node:os');
const path = require('node:path');
const { getEnvironmentData } = require('node:worker_threads');

/** Must equal OCR_NICE_ENVIRONMENT_KEY in pool.ts. */
const nice = getEnvironmentData('medextract:ocr-nice');
if (Number.isInteger(nice) && nice > 0) {
  try {
    // Only ever lowers priority: that needs no privilege. Fails harmlessly where nice is unsupported.
    if (os.getPriority(0) < nice) os.setPriority(0, nice);
  } catch {
    /* keep the inherited priority */
  }
}

require(path.join(path.dirname(require.resolve('tesseract.js')), 'worker-script', 'node', 'index.js'));
