/**
 * The review screen in a real browser (chromium), keyboard only, on the real stack with the 3-page corpus
 * lab report: J moves through the values flagged first with the page following, E fixes a value in place,
 * X rejects one, Ctrl+Z undoes, A adds a missed row by clicking its words on the page shown, Shift+Enter accepts the remaining
 * unflagged values, Approve signs off; the downloaded workbook then carries the corrected value. The time
 * the keyboard review took is printed (it never fails the test). Screenshots (desktop and 390 px) go to
 * $REVIEW_SCREENSHOTS when set.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, readCorpus, readTruth, startWorker, uniquePrefix, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, startApiProcess, uploadAndComplete, type ApiProcess } from './support/api.js';
import { readWorkbook } from './support/workbook.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST_INDEX = path.join(ROOT, 'web/dist/index.html');
const FILE = 'healthfirst-review.pdf';
const SHOTS = process.env.REVIEW_SCREENSHOTS;
const LAB = 'medical/healthfirst_lab_report_3p.pdf';
const REVIEWER = { username: `reviewing_${Date.now().toString(36)}`, password: 'Quiet-harbour-review-lantern-84' };
const NEXT_FILE = 'agentforge-next.pdf';
const NEXT_LAB = 'medical/agentforge_lab_report.pdf';

interface ShownWord {
  text: string;
  x: number;
  centre: number;
  height: number;
}

/**
 * A lab row of the truth printed on one line of the shown page, as the indexes of its words there: the test's
 * name word by word, then its value, then its unit.
 */
function rowOnPage(words: readonly ShownWord[], tests: ReadonlyArray<{ name: string; value: string; unit: string }>) {
  const sameLine = (a: ShownWord, b: ShownWord) => Math.abs(a.centre - b.centre) < Math.max(a.height, b.height) / 2;
  for (const t of tests) {
    const name = t.name.split(/\s+/);
    for (let i = 0; i + name.length <= words.length; i++) {
      const run = words.slice(i, i + name.length);
      if (!run.every((w, k) => w.text === name[k] && sameLine(w, run[0]!))) continue;
      const rightOf = (after: ShownWord, text: string) => words.findIndex((w) => w.text === text && sameLine(w, after) && w.x > after.x);
      const value = rightOf(run.at(-1)!, t.value);
      const unit = value < 0 ? -1 : rightOf(words[value]!, t.unit);
      if (unit >= 0) return { test: t, name: name.map((_, k) => i + k), value, unit };
    }
  }
  return undefined;
}

describe('the review screen, by keyboard', () => {
  // Every document waits for a person here, so that after one approval there is a next one to review.
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('webreview'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '', REVIEW_POLICY: 'all' };
  let worker: ChildHandle | undefined;
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  let token: string;
  let jobId: string;

  before(async () => {
    if (!fs.existsSync(DIST_INDEX)) execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    // A user of its own: "next document to review" then offers only this test's documents, and its uploads
    // are no duplicates of other files' uploads of the same corpus documents.
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const created = await call(api.url, 'POST', '/users', { token: admin, json: { ...REVIEWER, role: 'user' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    token = await login(api.url, REVIEWER.username, REVIEWER.password);
    [jobId] = (await uploadAndComplete(api.url, token, [
      { name: FILE, content: readCorpus(LAB) },
      { name: NEXT_FILE, content: readCorpus(NEXT_LAB) },
    ])) as [string];
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  });

  after(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
  });

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${api!.url}/`);
    await page.getByLabel('Username').fill(REVIEWER.username);
    await page.getByLabel('Password').fill(REVIEWER.password);
    await page.getByLabel('Password').press('Enter');
    const open = page.getByRole('button', { name: `view the result of ${FILE}` }).first();
    await open.waitFor();
    await open.focus();
    await page.keyboard.press('Enter');
  }

  test('J, E, X, Ctrl+Z, A, Shift+Enter and Approve, then the workbook has the correction', async () => {
    const page = await (await browser!.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signIn(page);
    const view = page.locator('mx-result');
    const said = view.locator('p.said');
    const current = view.locator('tr.current');
    await view.locator('[data-progress]').waitFor({ timeout: 30_000 });
    const started = performance.now();

    // J: the first value is a flagged one if any is flagged, and its page opens beside the tables
    await page.keyboard.press('j');
    await current.waitFor();
    const flaggedRows = await view.locator('tr.flagged').count();
    if (flaggedRows > 0) assert.match((await current.getAttribute('class')) ?? '', /flagged/, 'flagged values come first');
    await view.locator('mx-page-view').waitFor();

    // to the first lab row, then E: fix its value in place
    for (let i = 0; i < 80 && !((await current.getAttribute('data-path')) ?? '').startsWith('/lab_results/'); i++) await page.keyboard.press('j');
    const labPath = (await current.getAttribute('data-path'))!;
    assert.match(labPath, /^\/lab_results\/\d+$/, 'J reaches the lab rows');
    await page.keyboard.press('e');
    const input = view.locator(`tr[data-path="${labPath}"] input[name="value"]`);
    await input.waitFor();
    await page.keyboard.type('123.4');
    await page.keyboard.press('Enter');
    await said.filter({ hasText: 'Saved as version 1' }).waitFor();
    const fixed = view.locator(`tr[data-path="${labPath}"]`);
    assert.equal((await fixed.locator('td[data-col="value"]').innerText()).trim(), '123.4');
    const correctedSays = (await fixed.locator('td[data-col="review"]').innerText()).trim();
    assert.match(correctedSays, new RegExp(`^corrected by ${REVIEWER.username}; machine read `));

    // X rejects the row J moves to next; Ctrl+Z takes it back; X again
    await page.keyboard.press('j');
    const nextPath = (await current.getAttribute('data-path'))!;
    await page.keyboard.press('x');
    await said.filter({ hasText: 'Saved as version 2' }).waitFor();
    const rejected = view.locator(`tr[data-path="${nextPath}"]`);
    assert.match((await rejected.getAttribute('class')) ?? '', /rejected/);
    await page.keyboard.press('Control+z');
    await said.filter({ hasText: 'Undone. Saved as version 3' }).waitFor();
    assert.doesNotMatch((await rejected.getAttribute('class')) ?? '', /rejected/);
    await rejected.focus();
    await page.keyboard.press('x');
    await said.filter({ hasText: 'Saved as version 4' }).waitFor();

    // A: a missed lab row on the page shown, its words clicked on the page image (not typed)
    const viewer = view.locator('mx-page-view');
    assert.equal(await viewer.locator('button.word').count(), 0, 'words are not clickable unless a value is being edited');
    await page.keyboard.press('a');
    const adding = view.locator('tr.adding');
    await adding.waitFor();
    const wordButtons = viewer.locator('button.word');
    await wordButtons.first().waitFor();
    const shownPage = Number(/^Page (\d+)/.exec(await viewer.locator('#page-title').innerText())?.[1]);
    const shown = await wordButtons.evaluateAll((els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return { text: el.getAttribute('aria-label') ?? '', x: r.x, centre: r.y + r.height / 2, height: r.height };
      }),
    );
    const row = rowOnPage(shown, readTruth(LAB).tests);
    assert.ok(row, `a lab row of the truth is printed on page ${shownPage}`);
    const click = async (indexes: number[]) => {
      for (const i of indexes) await wordButtons.nth(i).click();
    };
    await page.keyboard.press('Tab'); // panel → test
    await click(row.name);
    assert.equal(await adding.locator('input[name="test"]').inputValue(), row.test.name, 'word by word, with spaces between');
    await page.keyboard.press('Tab');
    await click([row.value]);
    await page.keyboard.press('Tab');
    await click([row.unit]);
    await adding.locator('input[name="quote"]').focus();
    await click([...row.name, row.value, row.unit]);
    const quote = `${row.test.name} ${row.test.value} ${row.test.unit}`;
    if (SHOTS) {
      fs.mkdirSync(SHOTS, { recursive: true });
      await wordButtons.nth(row.unit).hover();
      await page.screenshot({ path: path.join(SHOTS, 'review-desktop-picking-words.png'), fullPage: false });
    }
    await page.keyboard.press('Enter');
    await said.filter({ hasText: 'Saved as version 5' }).waitFor();
    assert.equal(await viewer.locator('button.word').count(), 0, 'no longer clickable once saved');
    const added = view.locator('table[data-section="lab_results"] tbody tr', { hasText: `added by ${REVIEWER.username}` });
    assert.equal((await added.locator('td[data-col="test"]').innerText()).trim(), row.test.name);
    const json = (await call(api!.url, 'GET', `/jobs/${jobId}/result`, { token })).body;
    const stored = json.lab_results.filter((l: any) => l.review?.state === 'added');
    assert.equal(stored.length, 1, JSON.stringify(stored));
    assert.deepEqual(
      { test: stored[0].test, value: stored[0].value, unit: stored[0].unit, page: stored[0].evidence.page, quote: stored[0].evidence.quote },
      { test: row.test.name, value: Number(row.test.value), unit: row.test.unit, page: shownPage, quote },
    );

    // Shift+Enter accepts what is left unflagged; Approve by keyboard
    await page.keyboard.press('Shift+Enter');
    await said.filter({ hasText: /Accepted \d+ unflagged values?\. Saved as version 6/ }).waitFor();
    const { reviewed, total } = await view.locator('[data-progress]').evaluate((el) => {
      const m = /(\d+) of (\d+)/.exec(el.textContent ?? '');
      return { reviewed: Number(m?.[1]), total: Number(m?.[2]) };
    });
    assert.equal(await view.locator('table[data-section="lab_results"] tbody tr:not(.flagged) .state.unreviewed').count(), 0, 'no unflagged row is left');
    assert.ok(reviewed > 0 && reviewed <= total, `${reviewed} of ${total}`);
    const approve = view.getByRole('button', { name: 'Approve' });
    await approve.focus();
    await page.keyboard.press('Enter');
    await said.filter({ hasText: 'Approved version 6' }).waitFor();
    const seconds = (performance.now() - started) / 1000;
    console.log(`keyboard review of the 3-page corpus lab report: ${seconds.toFixed(1)} s from the first J to approval (${total} values)`);
    await page.keyboard.press('x');
    await said.filter({ hasText: 'approved: reopen it' }).waitFor();
    if (SHOTS) {
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, 'review-desktop.png'), fullPage: false });
    }
    assert.deepEqual(errors, []);

    const wb = await readWorkbook((await call<Buffer>(api!.url, 'GET', `/download/${jobId}`, { token })).body);
    const labs = wb.get('Lab Results')!;
    assert.ok(
      labs.some((r) => r.Value === 123.4 && r.Review === correctedSays),
      `the corrected value is in the workbook, its Review cell in the words of the screen: "${correctedSays}"`,
    );
    assert.ok(labs.some((r) => r.Test === row.test.name && String(r.Review).startsWith('added')));
    assert.equal(wb.get('Summary')![0]!['Review state'], 'Approved');

    // After approval the next document waiting for review is one key away (N), without going back to the list.
    const next = (await call(api!.url, 'GET', '/jobs/next-review', { token })).body.job;
    assert.ok(next && next.id !== jobId, 'another document waits for review');
    await view.getByRole('button', { name: /Next document to review/ }).waitFor();
    await page.keyboard.press('n');
    await view.getByRole('heading', { name: `Result: ${next.filename}` }).waitFor();
    await view
      .locator('[data-progress]')
      .filter({ hasText: /^0 of \d+ reviewed$/ })
      .waitFor();
    assert.deepEqual(errors, []);
  });

  test('at 390 px the fields sit above the page and the keys still work', async () => {
    const page = await (await browser!.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await signIn(page);
    const view = page.locator('mx-result');
    await view.locator('[data-progress]').waitFor({ timeout: 30_000 });
    // What MedExtract read into an empty cell is shown as such: a flag computed from value and range, a mapped LOINC code.
    const result = (await call(api!.url, 'GET', `/jobs/${jobId}/result`, { token })).body;
    const computed = result.lab_semantics.findIndex((s: any, i: number) => s.flag_computed && result.lab_results[i].review?.state !== 'rejected');
    assert.ok(computed >= 0, 'the report prints no flags, so some are computed');
    const row = view.locator(`tr[data-path="/lab_results/${computed}"]`);
    assert.equal((await row.locator('td[data-col="flag"]').innerText()).trim(), `${result.lab_semantics[computed].flag} (computed)`);
    assert.match((await row.locator('td[data-col="loinc"]').innerText()).trim(), /^\d+-\d \(mapped\)$/);
    await page.keyboard.press('?');
    await view.locator('section.keys').waitFor();
    await page.keyboard.press('j');
    const current = view.locator('tr.current');
    await current.waitFor();
    const viewer = view.locator('mx-page-view');
    await viewer.getByRole('img', { name: /^page \d+ of the document$/ }).waitFor();
    // the fields come first, the page below them (pinned to the bottom of the screen)
    const [fieldsBox, viewerBox] = [await view.locator('.tables').boundingBox(), await viewer.boundingBox()];
    assert.ok(fieldsBox && viewerBox && fieldsBox.y < viewerBox.y, `the fields (top ${fieldsBox?.y}) are above the page (top ${viewerBox?.y})`);
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(width <= 390, `no sideways scrolling of the page: ${width}px`);
    // J walks on, and each current value stays in sight above the pinned page
    for (let i = 0; i < 6; i++) await page.keyboard.press('j');
    const [rowBox, pinnedBox] = [await current.boundingBox(), await viewer.boundingBox()];
    assert.ok(
      rowBox && pinnedBox && rowBox.y >= 0 && rowBox.y + rowBox.height <= pinnedBox.y + 1,
      `the current row is not hidden: ${JSON.stringify({ rowBox, pinnedBox })}`,
    );
    // the result was approved by the test above: the keys answer, and say so
    await page.keyboard.press('Enter');
    await view.locator('p.said', { hasText: 'approved: reopen it' }).waitFor();
    if (SHOTS) {
      // the picture of the page once it has loaded (J moved the viewer on)
      await viewer.locator('img').evaluate((el) => {
        const img = el as unknown as { complete: boolean; addEventListener: (type: 'load', done: () => void) => void };
        return img.complete ? undefined : new Promise<void>((done) => img.addEventListener('load', done));
      });
      await page.screenshot({ path: path.join(SHOTS, 'review-390.png'), fullPage: false });
    }
  });
});
