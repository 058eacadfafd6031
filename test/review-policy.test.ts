/**
 * REVIEW_POLICY=flagged end to end with real processes: a document that needs review is completed (downloads
 * work, marked unreviewed) while its workflow waits; approving it through the API releases the workflow, which
 * exports the approved version; reopening and approving again afterwards is answered and downloads follow.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { ReviewStateKey, workflowIdForJob } from '../core/contract/jobs.js';
import { readCorpus, requireRunEnv, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, startApiProcess, uploadAndComplete, type ApiProcess } from './support/api.js';
import { readWorkbook } from './support/workbook.js';

const LAB = 'medical/healthfirst_lab_report_3p.pdf';

describe('REVIEW_POLICY=flagged through the API', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('policy'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '', REVIEW_POLICY: 'flagged' };
  let worker: ChildHandle;
  let api: ApiProcess;
  let temporal: Client;
  let token = '';
  let username = '';
  let id = '';

  const get = (path: string) => call(api.url, 'GET', path, { token });
  const workflow = () => temporal.workflow.getHandle(workflowIdForJob(id));
  const reviewStateAttribute = async () => (await workflow().describe()).typedSearchAttributes.get(ReviewStateKey);

  before(async () => {
    temporal = new Client({ connection: await Connection.connect({ address: requireRunEnv().temporalAddress }) });
    worker = await startWorker(env);
    api = await startApiProcess(env);
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    username = `policy_${Date.now().toString(36)}`;
    const password = 'Quiet-harbour-policy-lantern-84';
    const r = await call(api.url, 'POST', '/users', { token: admin, json: { username, password, role: 'user' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    token = await login(api.url, username, password);
    [id] = (await uploadAndComplete(api.url, token, [{ name: 'policy-lab.pdf', content: readCorpus(LAB) }])) as [string];
  });

  after(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await temporal?.connection.close();
  });

  test('a document that needs review is completed and downloadable while its workflow waits', async () => {
    const job = (await get(`/status/${id}`)).body;
    assert.equal(job.status, 'completed');
    assert.equal(job.awaitingReview, true, 'the job says it waits for a person');
    assert.equal((await get('/jobs/next-review')).body.job.id, id, '"Review next" offers it');
    await waitUntil('the workflow to say it waits', async () => ((await reviewStateAttribute()) === 'waiting' ? true : undefined));
    assert.equal((await workflow().describe()).status.name, 'RUNNING');

    const download = await get(`/download/${id}`);
    assert.equal(download.status, 200);
    const summary = (await readWorkbook(download.body as Buffer)).get('Summary')![0]!;
    assert.equal(summary['Review state'], 'Unreviewed', 'the first export says nobody has reviewed it');
    assert.equal(summary['Result version'], 0);
  });

  test('approval through the API releases the workflow, which exports the approved version', async () => {
    const r = await call(api.url, 'POST', `/jobs/${id}/review`, { token, json: { state: 'approved' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await workflow().result(); // the workflow ends only after its final export
    assert.equal((await workflow().describe()).status.name, 'COMPLETED');
    assert.equal(await reviewStateAttribute(), 'approved');

    const job = (await get(`/status/${id}`)).body;
    assert.equal(job.awaitingReview, false);
    assert.equal((await get('/jobs/next-review')).status, 404, 'nothing of this user is left to review');
    const summary = (await readWorkbook((await get(`/download/${id}`)).body as Buffer)).get('Summary')![0]!;
    assert.equal(summary['Review state'], 'Approved');
    assert.equal(summary['Approved by'], username, 'the approved workbook names who approved it');
  });

  test('reopening after the workflow ended, then approving again, answers plainly and the download follows', async () => {
    const reopened = await call(api.url, 'POST', `/jobs/${id}/review`, { token, json: { state: 'in_review' } });
    assert.equal(reopened.status, 200, JSON.stringify(reopened.body));
    let summary = (await readWorkbook((await get(`/download/${id}`)).body as Buffer)).get('Summary')![0]!;
    assert.equal(summary['Review state'], 'In review', 'a reopened job no longer downloads as approved');
    assert.ok(!summary['Approved by']);

    const again = await call(api.url, 'POST', `/jobs/${id}/review`, { token, json: { state: 'approved' } });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    summary = (await readWorkbook((await get(`/download/${id}`)).body as Buffer)).get('Summary')![0]!;
    assert.equal(summary['Review state'], 'Approved');
    assert.equal(summary['Approved by'], username);
  });
});
