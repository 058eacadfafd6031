/**
 * `npm test`: one Temporal dev server and one fresh Postgres database for the whole run (harness/stack.ts),
 * shared by every test file through the environment (node:test runs each file in its own process).
 * The machine's PostgreSQL is used (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres);
 * the database is created for the run and dropped after it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../harness/process.js';
import { LocalStack } from '../harness/stack.js';
import { setLogLevel } from '../core/logger.js';

setLogLevel('warn'); // the runner's own lines are its summary; the stack's progress logs stay quiet

const args = process.argv.slice(2);
const testFlags = args.filter((a) => a.startsWith('--')); // e.g. --test-name-pattern=...
const fileArgs = args.filter((a) => !a.startsWith('--'));
const files = fileArgs.length
  ? fileArgs
  : fs
      .readdirSync(path.join(ROOT, 'test'))
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => path.join('test', f));

let exitCode = 1;
const stack = new LocalStack({ name: 'test' });
try {
  await stack.start();
  const { tmp } = stack;
  console.log(`test run: temporal ${stack.temporal.address}, database ${stack.database.name}, ${files.length} test files`);
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...testFlags, ...files], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // Jobs complete without waiting for a person unless a test asks for a review policy.
      REVIEW_POLICY: process.env.REVIEW_POLICY ?? 'none',
      TEMPORAL_ADDRESS: stack.temporal.address,
      DATABASE_URL: stack.database.url,
      WORKFLOW_BUNDLE: stack.bundlePath,
      DATA_DIR: path.join(tmp, 'data'),
      TEST_TMP: tmp,
      CORPUS_DIR: process.env.CORPUS_DIR ?? path.resolve(ROOT, '../shared/corpus'),
    },
  });
  exitCode = await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
} catch (err) {
  console.error('could not start the test stack:', (err as Error).message);
} finally {
  await stack.stop({ keepFiles: exitCode !== 0 });
}
process.exit(exitCode);
