/**
 * Records workflow histories for test/workflow-replay.test.ts (not part of the suite): runs documents through the
 * workflow code of this checkout and writes their Temporal histories as JSON (`temporal workflow show`).
 *
 *   HISTORY_OUT=test/fixtures/histories npx tsx scripts/run-tests.ts test/support/record-histories.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { ROOT, requireRunEnv, runCli, startWorker, uniquePrefix } from './env.js';
import { digitalReportPdf, scannedReportPdf, syntheticReport } from '../fixtures/generate.js';
import { workflowIdForJob } from '../../core/contract/jobs.js';

const { tmp, temporalAddress } = requireRunEnv();
const { History } = proto.temporal.api.history.v1;
const OUT = process.env.HISTORY_OUT ?? path.join(ROOT, 'test/fixtures/histories');

test('record histories', async () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('history'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '', OCR_WORKERS: '1' };
  const worker = await startWorker(env);
  try {
    const files: Record<string, Buffer> = {
      'digital-3-pages': digitalReportPdf(syntheticReport({ pages: 3, seed: 901, rowsPerPage: 6 })),
      'scanned-3-pages': scannedReportPdf(syntheticReport({ pages: 3, seed: 902, rowsPerPage: 6 })),
      'not-a-pdf': Buffer.from('%PDF-1.7\nthis is not really a PDF\n%%EOF\n'),
    };
    const connection = await Connection.connect({ address: temporalAddress });
    const client = new Client({ connection });
    for (const [name, bytes] of Object.entries(files)) {
      const file = path.join(tmp, `${name}.pdf`);
      fs.writeFileSync(file, bytes);
      const { output } = await runCli(['process', file, '--out', path.join(tmp, 'out')], env);
      const jobId = [...output.matchAll(/job ([0-9a-f-]{36})\)/g)].map((m) => m[1]!)[0];
      assert.ok(jobId, output);
      const history = await client.workflow.getHandle(workflowIdForJob(jobId)).fetchHistory();
      // protobufjs's own JSON form (read back with History.fromObject): the SDK's historyFromJSON cannot
      // be used here, npm installs two copies of protobufjs 8 and its type checks fail across them.
      const json = History.toObject(History.create(history), { longs: String, enums: String, bytes: String });
      fs.writeFileSync(path.join(OUT, `${name}.json`), JSON.stringify(json, null, 1) + '\n');
      console.log(name, jobId, output.split('\n').slice(-3).join(' | '));
    }
    await connection.close();
  } finally {
    await worker.stop();
  }
});
