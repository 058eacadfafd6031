/**
 * The `llm` task queue's global rate limit: three worker processes together never send the LLM
 * server more requests per minute than LLM_RPM, because the Temporal server dispatches the queue's
 * activities at LLM_RPM/60 per second whichever worker polls.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../core/config.js';
import { closePool, initPool } from '../stores/pool.js';
import { getJob } from '../stores/jobs.js';
import { connectClient, submitDocument } from '../services/pipeline-client.js';
import { requireRunEnv, startWorker, uniquePrefix, type ChildHandle } from './support/env.js';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.js';
import { offlineResponder } from './support/llm-responder.js';
import { digitalReportPdf, syntheticReport } from './fixtures/generate.js';

const { databaseUrl, temporalAddress } = requireRunEnv();
const RPM = 12;
const DOCUMENTS = 16; // more than one minute's allowance, so an unlimited queue would break the bound
let server: OpenAIServer;
const workers: ChildHandle[] = [];

before(async () => {
  initPool(databaseUrl, 4);
  server = await startOpenAIServer({ respond: offlineResponder });
});
after(async () => {
  for (const w of workers) await w.stop();
  await server.close();
  await closePool();
});

test(`three workers with LLM_RPM=${RPM}: the LLM server never sees more than ${RPM} requests in any minute`, async () => {
  const env = {
    TASK_QUEUE_PREFIX: uniquePrefix('rate'),
    EXTRACTION_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-test-local',
    OPENAI_BASE_URL: server.url,
    LLM_RPM: String(RPM),
  };
  for (let i = 0; i < 3; i++) workers.push(await startWorker(env));
  const cfg = loadConfig({ ...process.env, ...env });
  const client = await connectClient(cfg, temporalAddress);
  const jobs = [];
  for (let i = 0; i < DOCUMENTS; i++) {
    const pdf = digitalReportPdf(syntheticReport({ pages: 1, seed: 100 + i, rowsPerPage: 5 }));
    jobs.push(await submitDocument(client, cfg, { owner: 'rate-test', filename: `report-${i}.pdf`, content: pdf }));
  }
  const deadline = Date.now() + 6 * 60_000;
  for (const job of jobs) {
    for (;;) {
      const j = await getJob(job.id);
      if (j && ['completed', 'failed'].includes(j.status)) {
        assert.equal(j.status, 'completed', `${j.error_code}: ${j.error_message}`);
        break;
      }
      assert.ok(Date.now() < deadline, 'jobs finish');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  assert.equal(server.requests.length, DOCUMENTS, 'one request per document');
  const peak = server.maxRequestsInAnyWindow(60_000);
  assert.ok(peak <= RPM, `at most ${RPM} requests in any 60 s window, saw ${peak}`);
  await client.connection.close();
});
