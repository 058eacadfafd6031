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
 * OCR_NICE is validated by core/config.ts (0–19, default 10: keep the two defaults the same).
 */
const os = require('node:os');
const path = require('node:path');

const nice = Number(process.env.OCR_NICE ?? 10);
if (Number.isInteger(nice) && nice > 0) {
  try {
    // Only ever lowers priority: that needs no privilege. Fails harmlessly where nice is unsupported.
    if (os.getPriority(0) < nice) os.setPriority(0, nice);
  } catch {
    /* keep the inherited priority */
  }
}

require(path.join(path.dirname(require.resolve('tesseract.js')), 'worker-script', 'node', 'index.js'));
