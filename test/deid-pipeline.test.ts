/**
 * De-identification on the real stack: planted documents (test/support/deid-plant.ts) as digital and
 * scanned PDFs go through the CLI, Temporal, a worker process with DEID=on and the recording
 * OpenAI-compatible server on loopback (standing in for a non-local endpoint). No planted identifier
 * reaches the server; each job records that it was sent de-identified (JSON, job row, audit log: counts
 * only); and no planted identifier is in the worker's or the CLI's logs, the workflow histories or the
 * worker's metrics.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { workflowIdForJob } from '../core/contract/jobs.js';
import { chromium, type Browser } from 'playwright-core';
import { ROOT, pool, requireRunEnv, runCli, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import { plantedDocuments, renderPlantedPdf, type PlantedDocument } from './support/deid-plant.js';
import { reached } from './support/deid-leaks.js';
import { offlineResponder } from './support/llm-responder.js';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.js';

const { tmp, temporalAddress } = requireRunEnv();
const { History } = proto.temporal.api.history.v1;
const jobIdsIn = (output: string): string[] => [...output.matchAll(/job ([0-9a-f-]{36})\)/g)].map((m) => m[1]!);

/** Identifiers long enough that finding one in a log or a history means it is that identifier. */
const telling = (docs: readonly PlantedDocument[]): string[] => [
  ...new Set(docs.flatMap((d) => d.planted.map((p) => p.value)).filter((v) => v.replace(/[^\p{L}\p{N}]/gu, '').length >= 5)),
];

describe('de-identification through the pipeline (DEID=on)', () => {
  const prefix = uniquePrefix('deid');
  let server: OpenAIServer;
  let worker: ChildHandle;
  let api: ApiProcess;
  let browser: Browser | undefined;
  let db: pg.Pool;
  let env: Record<string, string>;
  before(async () => {
    server = await startOpenAIServer({ respond: offlineResponder, apiKey: 'sk-test-local' });
    env = {
      TASK_QUEUE_PREFIX: prefix,
      EXTRACTION_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-test-local',
      OPENAI_BASE_URL: server.url,
      OPENAI_MODEL: 'gpt-test',
      DEID: 'on',
      // Tokenised dates: the documents run side by side, and a date of one document shifted by its offset may
      // print as a date of another, which a check over all requests would count as a leak (the shifted
      // path is proven per document in test/deid-leak.test.ts and test/deid-activity.test.ts).
      DEID_DATES: 'token',
    };
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    db = pool();
  });
  after(async () => {
    await browser?.close();
    await api?.stop();
    await worker?.stop();
    await server?.close();
    await db?.end();
  });

  test('digital and scanned documents: nothing planted reaches the server, logs, histories or metrics; each job says it was sent de-identified', async () => {
    const docs = plantedDocuments(3303, 8);
    // One of each kind digital, and a scanned one-page document (OCR'd by the worker).
    const digital = ['lab_report', 'discharge_summary', 'referral', 'claim_form'].map((type) => docs.find((d) => d.type === type)!);
    const scanned = docs.find((d) => d.pages.length === 1 && !digital.includes(d)) ?? docs.find((d) => d.pages.length === 1)!;
    const dir = path.join(tmp, 'deid-in');
    fs.mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    for (const d of digital) {
      files.push(path.join(dir, `${d.id}.pdf`));
      fs.writeFileSync(files.at(-1)!, await renderPlantedPdf(d, { scanned: false }));
    }
    files.push(path.join(dir, `${scanned.id}-scan.pdf`));
    fs.writeFileSync(files.at(-1)!, await renderPlantedPdf(scanned, { scanned: true }));

    // One more digital document uploaded by a person, to see it in the result view.
    if (!fs.existsSync(path.join(ROOT, 'web/dist/index.html'))) throw new Error('web/dist is not built (node web/build.mjs)');
    const viewed = docs.find((d) => !digital.includes(d) && d !== scanned)!;
    const token = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const up = await call(api.url, 'POST', '/upload', {
      token,
      body: pdfForm([{ name: `${viewed.id}.pdf`, content: Buffer.from(await renderPlantedPdf(viewed, { scanned: false })) }]),
    });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const viewedJob: string = up.body.jobs[0].id;

    const out = path.join(tmp, 'deid-out');
    const { code, output } = await runCli(['process', ...files, '--out', out], env);
    assert.equal(code, 0, output);
    const cliJobs = jobIdsIn(output);
    assert.equal(cliJobs.length, files.length, output);
    const uploaded = await waitUntil('the uploaded job to finish', async () => {
      const r = await call(api.url, 'GET', `/status/${viewedJob}`, { token });
      return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
    });
    assert.equal(uploaded.status, 'completed', JSON.stringify(uploaded));
    const jobIds = [...cliJobs, viewedJob];
    const processed = [...digital, scanned, viewed];

    // What reached the server.
    const sent = server.requests
      .flatMap((r) => (r.body?.messages ?? []).filter((m: { role: string }) => m.role !== 'system').map((m: { content: string }) => m.content))
      .join('\n');
    assert.ok(server.requests.length >= files.length, 'every document was sent');
    const leaked = processed.flatMap((d) => d.planted.filter((p) => reached(p.value, sent)).map((p) => `${d.id} ${p.category}: ${p.value}`));
    assert.deepEqual(leaked, []);
    assert.match(sent, /\[\[PERSON_\d+\]\]/);

    // The result says so, with counts and no values; so do the job row and the audit log.
    for (const d of digital) {
      const json = JSON.parse(fs.readFileSync(path.join(out, `${d.id}.json`), 'utf8'));
      assert.equal(json.provider, 'openai');
      assert.equal(json.deidentification?.dates, 'token', `${d.id}: ${JSON.stringify(json.deidentification)}`);
      assert.ok((json.deidentification.counts.PERSON ?? 0) >= 1);
      if (d.type === 'lab_report') assert.ok(json.patient.name.value, `${d.id}: the patient's name is read locally`);
      assert.ok(!/\[\[/.test(JSON.stringify({ patient: json.patient, labs: json.lab_results })), `${d.id}: no stand-in left in the result`);
    }
    const rows = await db.query<{ id: string; status: string; deid: unknown }>('SELECT id, status, deid FROM jobs WHERE id = ANY($1::uuid[])', [jobIds]);
    for (const r of rows.rows) {
      assert.equal(r.status, 'completed');
      assert.ok(r.deid, `job ${r.id} records its de-identification`);
    }
    const audit = await db.query<{ target_id: string; detail: unknown }>(
      "SELECT target_id, detail FROM audit_log WHERE action = 'job.deidentified' AND target_id = ANY($1::text[])",
      [jobIds],
    );
    assert.equal(audit.rows.length, jobIds.length, 'one audit entry per document');
    const vaults = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM deid_vaults WHERE job_id = ANY($1::uuid[])', [jobIds]);
    assert.equal(vaults.rows[0]!.n, jobIds.length, 'each job keeps its sealed vault');

    // Nothing planted anywhere else: logs, audit details, histories, metrics.
    const identifiers = telling(processed);
    assert.ok(identifiers.length > 50, `${identifiers.length} identifiers to look for`);
    const inText = (text: string) => identifiers.filter((v) => reached(v, text));
    assert.deepEqual(inText(worker.output()), [], 'the worker log');
    assert.deepEqual(inText(api.output()), [], 'the API log');
    assert.deepEqual(inText(output), [], 'the CLI log');
    assert.deepEqual(inText(JSON.stringify(audit.rows)), [], 'the audit log');
    const sealed = await db.query<{ sealed: Buffer }>('SELECT sealed FROM deid_vaults WHERE job_id = ANY($1::uuid[])', [jobIds]);
    for (const v of sealed.rows) assert.deepEqual(inText(v.sealed.toString('latin1')), [], 'the vault is sealed at rest');

    const connection = await Connection.connect({ address: temporalAddress });
    try {
      const client = new Client({ connection });
      for (const id of jobIds) {
        const history = await client.workflow.getHandle(workflowIdForJob(id)).fetchHistory();
        const encoded = Buffer.from(History.encode(History.create(history)).finish()).toString('latin1');
        const json = JSON.stringify(History.toObject(History.create(history), { longs: String, enums: String, bytes: String }));
        assert.ok(json.includes(id), 'the history was read');
        assert.deepEqual([...inText(encoded), ...inText(json)], [], `the history of job ${id}`);
      }
    } finally {
      await connection.close();
    }
    const healthLine = worker
      .output()
      .split('\n')
      .find((l) => l.includes('worker health endpoint listening'));
    const healthUrl = healthLine ? (JSON.parse(healthLine) as { url?: string }).url : undefined;
    assert.ok(healthUrl, 'the worker printed its health endpoint');
    const metrics = await (await fetch(`${healthUrl}/metrics`)).text();
    assert.match(metrics, /medextract_deid_identifiers_total\{category="PERSON"\} \d+/);
    assert.deepEqual(inText(metrics), [], 'the metrics');

    // The API and the result view say it, in plain words and counts.
    const view = await call(api.url, 'GET', `/status/${viewedJob}`, { token });
    assert.ok(view.body.deidentification?.counts?.PERSON >= 1, JSON.stringify(view.body.deidentification));
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${api.url}/`);
    await page.getByLabel('Username').fill(TEST_ADMIN.username);
    await page.getByLabel('Password').fill(TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('button', { name: `view the result of ${viewed.id}.pdf` })
      .first()
      .click();
    const note = page.locator('mx-result [data-testid="deidentified"]');
    await note.waitFor({ timeout: 30_000 });
    const said = (await note.innerText()).replace(/\s+/g, ' ');
    assert.match(said, /Sent to the LLM de-identified: \d+ names?, .*replaced by stand-ins \(dates replaced\)/);
    assert.deepEqual(inText(said), []);

    // The vault goes with the job.
    const deleted = await call(api.url, 'DELETE', `/jobs/${viewedJob}`, { token });
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    const left = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM deid_vaults WHERE job_id = $1', [viewedJob]);
    assert.equal(left.rows[0]!.n, 0, 'deleting the job deletes its vault');
  });
});
