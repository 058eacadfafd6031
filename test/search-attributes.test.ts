/** What a job's workflow shows in the Temporal UI (services/pipeline-client.ts): pure, no stack. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../core/config.js';
import { jobSearchAttributes } from '../services/pipeline-client.js';

const job = { id: '6f1c0c52-8f43-4d4e-9a55-0d3c1f1f2a10', owner: 'a5b0d1c2-0000-4000-8000-000000000001', filename: 'Jane Doe - discharge.pdf' };
const names = (cfg: { temporalFileNameAttribute: boolean }) => jobSearchAttributes(cfg, job).map((p) => p.key.name);

test('by default the file name (it may name a patient) stays out of the Temporal UI', () => {
  const cfg = loadConfig({});
  assert.equal(cfg.temporalFileNameAttribute, false);
  assert.deepEqual(names(cfg), ['JobId', 'Owner', 'JobStatus']);
  assert.ok(!JSON.stringify(jobSearchAttributes(cfg, job)).includes('Jane'));
});

test('TEMPORAL_FILENAME_ATTRIBUTE=true adds it', () => {
  const cfg = loadConfig({ TEMPORAL_FILENAME_ATTRIBUTE: 'true' });
  assert.deepEqual(names(cfg), ['JobId', 'Owner', 'JobStatus', 'FileName']);
  assert.equal(jobSearchAttributes(cfg, job).at(-1)?.value, job.filename);
  assert.throws(() => loadConfig({ TEMPORAL_FILENAME_ATTRIBUTE: 'yes' }), /TEMPORAL_FILENAME_ATTRIBUTE/);
});
