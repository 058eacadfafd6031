/**
 * `npm test`: one Temporal dev server and one fresh Postgres database for the whole run, shared by
 * every test file through the environment (node:test runs each file in its own process).
 * The machine's PostgreSQL is used (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres);
 * the database is created for the run and dropped after it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { withClient } from '../stores/pool.js';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { startTemporalDevServer } from '../app/embedded/temporal.js';

const root = path.resolve(import.meta.dirname, '..');
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const runId = `${Date.now().toString(36)}_${process.pid}`;
const dbName = `medextract_test_${runId}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medextract-test-'));
const args = process.argv.slice(2);
const testFlags = args.filter((a) => a.startsWith('--')); // e.g. --test-name-pattern=...
const fileArgs = args.filter((a) => !a.startsWith('--'));
const files = fileArgs.length ? fileArgs : fs.readdirSync(path.join(root, 'test')).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join('test', f));

const admin = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withClient(adminUrl, fn);

let exitCode = 1;
const temporal = await startTemporalDevServer({ dbFile: path.join(tmp, 'temporal.sqlite'), logFile: path.join(tmp, 'temporal.log') });
try {
  await admin((c) => c.query(`CREATE DATABASE ${dbName}`));
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${dbName}`;
  const bundlePath = path.join(tmp, 'workflow-bundle.js');
  const bundle = await bundleWorkflowCode({ workflowsPath: path.join(root, 'workflows/index.ts'), logger: new DefaultLogger('WARN') });
  fs.writeFileSync(bundlePath, bundle.code);
  console.log(`test run ${runId}: temporal ${temporal.address}, database ${dbName}, ${files.length} test files`);

  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...testFlags, ...files],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        TEMPORAL_ADDRESS: temporal.address,
        DATABASE_URL: databaseUrl.toString(),
        WORKFLOW_BUNDLE: bundlePath,
        DATA_DIR: path.join(tmp, 'data'),
        TEST_TMP: tmp,
        CORPUS_DIR: process.env.CORPUS_DIR ?? path.resolve(root, '../shared/corpus'),
      },
    },
  );
  exitCode = await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
} finally {
  await temporal.stop();
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)).catch((err) => console.error('could not drop the test database:', err.message));
  if (exitCode === 0) fs.rmSync(tmp, { recursive: true, force: true });
  else console.error(`test artefacts kept in ${tmp}`);
}
process.exit(exitCode);
