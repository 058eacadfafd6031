/**
 * Workflow upgrades: histories recorded with earlier workflow code (test/fixtures/histories/) replay
 * against the current code without a non-determinism error, so documents in flight during an upgrade
 * finish on the new workers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { ROOT, requireRunEnv } from './support/env.js';

requireRunEnv();
// The replay worker's state changes are logged at INFO: only warnings belong in the test output.
Runtime.install({ logger: new DefaultLogger('WARN') });
const { History } = proto.temporal.api.history.v1;
const DIR = path.join(ROOT, 'test/fixtures/histories');
const bundle = process.env.WORKFLOW_BUNDLE;

const histories = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('there are recorded histories to replay', () => {
  assert.deepEqual(histories, ['digital-3-pages.json', 'not-a-pdf.json', 'scanned-3-pages.json']);
});

for (const file of histories) {
  test(`${file} (recorded with the workflow code of commit 3f9bd20) replays on the current code`, async () => {
    const json = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as { events: Array<{ eventType: string }> };
    assert.ok(json.events.length > 10, 'a whole run, not an empty history');
    await Worker.runReplayHistory(
      bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: path.join(ROOT, 'workflows/index.ts') },
      // Written by test/support/record-histories.ts with History.toObject; read back with its inverse.
      History.fromObject(json),
      `replay-${file}`,
    );
  });
}
