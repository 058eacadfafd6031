/**
 * Values that prove themselves, end to end on the real stack with the test LLM server as the model: a
 * discharge summary where the model reads `daily` for "two times daily", keeps an H its range contradicts
 * and a date of birth after the document date. Each value is flagged with its reason in GET /jobs/:id/result,
 * in the workbook's Check column and in the result view (a real browser); the same values in another
 * printed form (14200 for "14,200", "Ana Rivera" for "Rivera, Ana") are not.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.js';
import { readWorkbook } from './support/workbook.js';
import { GROUNDING_LINES, groundingAnswer, linesPdf } from './support/ground-fixtures.js';
import { VALUE_CHECK_LABELS } from '../core/contract/extraction.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST_INDEX = path.join(ROOT, 'web/dist/index.html');
const FILE = 'discharge-grounding.pdf';

describe('values that prove themselves, end to end', () => {
  const env: Record<string, string> = {
    TASK_QUEUE_PREFIX: uniquePrefix('ground'),
    EXTRACTION_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-ground-test',
    OPENAI_MODEL: 'gpt-test',
  };
  let llm: OpenAIServer | undefined;
  let worker: ChildHandle | undefined;
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  let token: string;
  let jobId: string;
  let result: any;

  before(async () => {
    if (!fs.existsSync(DIST_INDEX)) execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    llm = await startOpenAIServer({ respond: () => groundingAnswer(1), apiKey: env.OPENAI_API_KEY });
    env.OPENAI_BASE_URL = llm.url;
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    token = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const up = await call(api.url, 'POST', '/upload', { token, body: pdfForm([{ name: FILE, content: linesPdf(GROUNDING_LINES) }]) });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    jobId = up.body.jobs[0].id;
    const done = await waitUntil('the grounding job to finish', async () => {
      const r = await call(api!.url, 'GET', `/status/${jobId}`, { token });
      return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
    });
    assert.equal(done.status, 'completed', JSON.stringify(done));
    result = (await call(api.url, 'GET', `/jobs/${jobId}/result`, { token })).body;
  });

  after(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
    await llm?.close();
  });

  test('GET /jobs/:id/result: each misread value carries its reason and a lowered confidence; values in another printed form do not', () => {
    const med = result.medications.find((m: any) => m.name === 'Apixaban');
    assert.deepEqual(med.reasons, ['value_not_in_quote'], JSON.stringify(med));
    assert.ok(med.confidence < 0.6, `lowered from 0.85: ${med.confidence}`);
    const potassium = result.lab_results.find((l: any) => l.test === 'Potassium');
    assert.deepEqual(potassium.reasons, ['flag_contradicts_range']);
    assert.deepEqual(result.patient.date_of_birth.reasons, ['implausible_date']);
    const wbc = result.lab_results.find((l: any) => l.test === 'WBC');
    assert.deepEqual(wbc.reasons, [], 'WBC 14200 for "14,200" is not flagged');
    assert.equal(wbc.confidence, 0.9);
    assert.deepEqual(result.patient.name.reasons, []);
    assert.equal(typeof result.needs_review, 'boolean');
    assert.equal(result.deidentification, null, 'a loopback endpoint gets the text as it is (DEID=auto)');
    assert.ok(Array.isArray(result.warnings));
  });

  test("the workbook's Check column says each reason in plain words", async () => {
    const r = await call<Buffer>(api!.url, 'GET', `/download/${jobId}`, { token });
    assert.equal(r.status, 200);
    const wb = await readWorkbook(r.body);
    const meds = wb.get('Medications')!;
    assert.equal(meds.find((m) => m.Name === 'Apixaban')?.Check, VALUE_CHECK_LABELS.value_not_in_quote);
    const labs = wb.get('Lab Results')!;
    assert.equal(labs.find((l) => l.Test === 'Potassium')?.Check, VALUE_CHECK_LABELS.flag_contradicts_range);
    assert.equal(labs.find((l) => l.Test === 'WBC')?.Check, undefined, 'nothing to check');
    const fields = wb.get('Fields')!;
    assert.equal(fields.find((f) => f.Field === 'Date of birth')?.Check, VALUE_CHECK_LABELS.implausible_date);
    assert.deepEqual(
      wb.get('Pages')!.map((p) => [p.Page, p['Read from']]),
      [[1, 'text layer']],
    );
  });

  test('the result view shows the reason beside the flagged value', async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const page: Page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${api!.url}/`);
    await page.getByLabel('Username').fill(TEST_ADMIN.username);
    await page.getByLabel('Password').fill(TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('button', { name: `view the result of ${FILE}` })
      .first()
      .click();
    const view = page.locator('mx-result');
    const med = view.locator('table[data-section="medications"] tbody tr', { hasText: 'Apixaban' });
    await med.locator('td[data-col="check"] .flag', { hasText: VALUE_CHECK_LABELS.value_not_in_quote }).waitFor({ timeout: 30_000 });
    assert.match((await med.getAttribute('class')) ?? '', /flagged/);
    const potassium = view.locator('table[data-section="lab_results"] tbody tr', { hasText: 'Potassium' });
    await potassium.locator('.flag', { hasText: VALUE_CHECK_LABELS.flag_contradicts_range }).waitFor();
    await view.locator('table[data-section="patient"] tr[data-field="Date of birth"] .flag', { hasText: VALUE_CHECK_LABELS.implausible_date }).waitFor();
    const wbc = view.locator('table[data-section="lab_results"] tbody tr', { hasText: 'WBC' });
    assert.equal(await wbc.locator('.flag').count(), 0, 'WBC is not flagged');
    assert.equal((await wbc.locator('td[data-col="check"] .confidence').innerText()).trim(), '90%');
    await view.locator('[data-testid="not-deidentified"]').waitFor();
    assert.deepEqual(errors, []);
  });
});
