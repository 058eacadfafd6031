/**
 * No silent empty result. First the warning rules on their own (library/extraction/warnings.ts, no
 * stack); then through the real stack: a PDF whose text layer is everyday prose completes with
 * needsReview and a nothing_extracted warning in every place a user looks (GET /status/:id, GET /jobs
 * and its needsReview filter, GET /jobs/:id/result, the workbook's Summary), and a poor scan gets
 * low_ocr_confidence with its figure. The unit part runs alone (`node --import tsx --test`); the stack
 * part needs `scripts/run-tests.ts`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyExtraction, type Extraction } from '../core/contract/extraction.js';
import {
  LOW_OCR_CONFIDENCE,
  MIN_WORDS_FOR_OCR_CONFIDENCE,
  MIN_WORDS_FOR_TEXT,
  countValues,
  jobWarnings,
  meanWordConfidence,
  type WarningPage,
} from '../library/extraction/warnings.js';
import { PROSE_PAGES, poorScanPdf, textPdf } from './support/warn-fixtures.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import { readCorpus, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { readWorkbook } from './support/workbook.js';

/** `n` words of neutral text. */
const words = (n: number, word = 'harvest') => Array.from({ length: n }, (_, i) => `${word}${i % 7}`).join(' ');
const textPage = (page: number, text: string): WarningPage => ({ page, text, source: 'text_layer', ocrConfidence: null, words: null });
const ocrPage = (page: number, confidences: number[]): WarningPage => {
  const ws = confidences.map((confidence, i) => ({ text: `lantern${i}`, confidence }));
  return { page, text: ws.map((w) => w.text).join(' '), source: 'ocr', ocrConfidence: 0, words: ws };
};

/** An extraction with a patient name cited on each of `pages` and the given document type. */
function extractionCiting(pages: number[], type: Extraction['document']['type']['value'] = 'lab_report'): Extraction {
  const x = emptyExtraction();
  x.document.type = { value: type, evidence: type ? { page: 1, quote: 'x', found: true } : null, confidence: 0.9 };
  for (const page of pages) {
    x.diagnoses.push({ description: 'd', icd10: null, status: null, evidence: { page, quote: 'q', found: true }, confidence: 0.9 });
  }
  return x;
}

const codes = (ws: Array<{ code: string; page?: number }>) => ws.map((w) => (w.page ? `${w.code}@${w.page}` : w.code));

describe('job warnings (unit)', () => {
  test('nothing extracted from pages with text: one warning naming how many pages have text, and the layout is not recognised', () => {
    const pages = [textPage(1, words(60)), textPage(2, words(40)), textPage(3, 'Page 3')];
    const x = emptyExtraction();
    x.document.type = { value: 'other', evidence: { page: 1, quote: 'harvest0', found: true }, confidence: 0.3 };
    const ws = jobWarnings(pages, x);
    assert.deepEqual(codes(ws), ['nothing_extracted', 'unrecognised_layout']);
    assert.match(ws[0]!.message, /nothing was extracted, although 2 of 3 pages have text/);
    // The document type alone is not a value; and no page is listed on its own when nothing came at all.
    assert.equal(countValues(x), 0);
  });

  test('a blank or unreadable document says so instead of claiming text', () => {
    const ws = jobWarnings([textPage(1, ''), textPage(2, ' . , | ')], emptyExtraction());
    assert.deepEqual(codes(ws), ['nothing_extracted']);
    assert.match(ws[0]!.message, /no page has enough readable text/);
  });

  test('a page with enough text that no value cites is named; a short footer page and the cited pages are not', () => {
    const pages = [textPage(1, words(80)), textPage(2, words(MIN_WORDS_FOR_TEXT + 5)), textPage(3, words(MIN_WORDS_FOR_TEXT - 1)), textPage(4, words(50))];
    const ws = jobWarnings(pages, extractionCiting([1, 4]));
    assert.deepEqual(codes(ws), ['page_without_values@2']);
    assert.equal(ws[0]!.message, `page 2 has text (${MIN_WORDS_FOR_TEXT + 5} words) but no value was extracted from it`);
  });

  test('the document type citing a page does not count as a value from it', () => {
    const ws = jobWarnings([textPage(1, words(40)), textPage(2, words(40))], extractionCiting([2]));
    assert.deepEqual(codes(ws), ['page_without_values@1']);
  });

  test('an OCR page with a low mean word confidence gets its figure; a good one, a text-layer page and speckle do not', () => {
    const low = ocrPage(
      2,
      Array.from({ length: 30 }, (_, i) => (i % 2 ? 30 : 52)),
    ); // mean 41
    const good = ocrPage(
      3,
      Array.from({ length: 30 }, () => 93),
    );
    const speckle = ocrPage(
      4,
      Array.from({ length: MIN_WORDS_FOR_OCR_CONFIDENCE - 1 }, () => 12),
    );
    const ws = jobWarnings([textPage(1, words(40)), low, good, speckle], extractionCiting([1, 2, 3]));
    assert.deepEqual(codes(ws), ['low_ocr_confidence@2']);
    assert.equal(ws[0]!.message, 'page 2 was read by OCR with a mean word confidence of 41%; values from it may be misread');
    assert.equal(meanWordConfidence(textPage(1, words(40))), null);
    assert.ok(LOW_OCR_CONFIDENCE > 41 && LOW_OCR_CONFIDENCE < 93);
  });

  test('an OCR page stored without its words falls back to the page figure', () => {
    const page: WarningPage = { page: 1, text: words(40), source: 'ocr', ocrConfidence: 55.4, words: null };
    assert.equal(meanWordConfidence(page), 55.4);
    assert.deepEqual(codes(jobWarnings([page], extractionCiting([1]))), ['low_ocr_confidence@1']);
  });

  test('an unrecognised kind of document is said even when values came out; a known kind is not', () => {
    assert.deepEqual(codes(jobWarnings([textPage(1, words(40))], extractionCiting([1], 'other'))), ['unrecognised_layout']);
    assert.deepEqual(codes(jobWarnings([textPage(1, words(40))], extractionCiting([1], null))), ['unrecognised_layout']);
    assert.deepEqual(codes(jobWarnings([textPage(1, words(40))], extractionCiting([1], 'discharge_summary'))), []);
  });

  test('pieces of one page are one page; warnings come page by page', () => {
    const pages = [
      textPage(2, words(15)),
      textPage(2, words(15)),
      ocrPage(
        1,
        Array.from({ length: 30 }, () => 40),
      ),
      textPage(3, words(40)),
    ];
    assert.deepEqual(codes(jobWarnings(pages, extractionCiting([3]))), ['low_ocr_confidence@1', 'page_without_values@1', 'page_without_values@2']);
  });

  test('no message quotes the document', () => {
    const secret = PROSE_PAGES.flat().join('\n');
    const ws = jobWarnings(
      [
        textPage(1, secret),
        {
          ...ocrPage(
            2,
            Array.from({ length: 20 }, () => 35),
          ),
          text: secret,
        },
      ],
      (() => {
        const x = emptyExtraction();
        x.document.type = { value: 'other', evidence: { page: 1, quote: 'Riverside Garden Club Newsletter', found: true }, confidence: 0.3 };
        return x;
      })(),
    );
    assert.ok(ws.length >= 3);
    const documentWords = new Set(secret.toLowerCase().match(/[a-z]{5,}/g));
    for (const w of ws) {
      const leaked = (w.message.toLowerCase().match(/[a-z]{5,}/g) ?? []).filter((word) => documentWords.has(word));
      assert.deepEqual(leaked, [], w.message);
    }
  });
});

describe('job warnings through the stack', { skip: process.env.TEMPORAL_ADDRESS ? false : 'needs the test stack (scripts/run-tests.ts)' }, () => {
  let api: ApiProcess | undefined;
  let worker: ChildHandle | undefined;
  let token = '';
  let adminToken = '';
  const username = `warn_${Date.now().toString(36)}`;
  const password = 'Sorrel-lantern-harbour-7716';
  let userId = '';
  const jobs: Record<'prose' | 'poor' | 'empty', string> = { prose: '', poor: '', empty: '' };

  const status = async (id: string) => (await call(api!.url, 'GET', `/status/${id}`, { token })).body;
  const finished = (id: string) =>
    waitUntil(`job ${id} finished`, async () => {
      const s = await status(id);
      return ['completed', 'failed', 'cancelled'].includes(s.status) ? s : undefined;
    });

  before(async () => {
    const env = { TASK_QUEUE_PREFIX: uniquePrefix('warn'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '', OCR_WORKERS: '1' };
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    adminToken = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const created = await call(api.url, 'POST', '/users', { token: adminToken, json: { username, password, role: 'user' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    userId = created.body.id;
    token = await login(api.url, username, password);
    const upload = async (name: string, content: Uint8Array) => {
      const r = await call(api!.url, 'POST', '/upload', { token, body: pdfForm([{ name, content }]) });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      return r.body.jobs[0].id as string;
    };
    jobs.prose = await upload('garden-club-newsletter.pdf', textPdf(PROSE_PAGES));
    jobs.poor = await upload('poor-copy.pdf', poorScanPdf(PROSE_PAGES[1]!));
    jobs.empty = await upload('no-pages.pdf', readCorpus('malformed/zero_pages__qpdf_empty.pdf'));
  });

  after(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
  });

  test('a PDF with a text layer from which nothing is extracted completes with needsReview and a nothing_extracted warning', async () => {
    const s = await finished(jobs.prose);
    assert.equal(s.status, 'completed');
    assert.equal(s.needsReview, true);
    assert.equal(s.ownerName, username);
    const nothing = s.warnings.find((w: { code: string }) => w.code === 'nothing_extracted');
    assert.ok(nothing, JSON.stringify(s.warnings));
    assert.equal(nothing.message, 'nothing was extracted, although all 2 pages have text; check that this is a medical document and that its text is readable');
    assert.ok(
      s.warnings.some((w: { code: string }) => w.code === 'unrecognised_layout'),
      'a newsletter is no kind of document the extractor knows',
    );

    // The list carries the same, and the filter finds it.
    const listed = (await call(api!.url, 'GET', '/jobs', { token })).body.jobs.find((j: { id: string }) => j.id === jobs.prose);
    assert.deepEqual({ needsReview: listed.needsReview, warnings: listed.warnings }, { needsReview: true, warnings: s.warnings });

    // The JSON download says it too.
    const result = await call(api!.url, 'GET', `/jobs/${jobs.prose}/result`, { token });
    assert.equal(result.status, 200);
    assert.equal(result.body.needs_review, true);
    assert.deepEqual(result.body.warnings, s.warnings);

    // And the workbook's Summary.
    const xlsx = await call(api!.url, 'GET', `/download/${jobs.prose}`, { token });
    assert.equal(xlsx.status, 200);
    const summary = (await readWorkbook(xlsx.body))!.get('Summary')![0]!;
    assert.equal(summary['Needs review'], 'Yes');
    assert.match(String(summary['Warnings']), /nothing was extracted, although all 2 pages have text/);
  });

  test('a poor scan read by OCR gets low_ocr_confidence for its page, with the figure', async () => {
    const s = await finished(jobs.poor);
    assert.equal(s.status, 'completed');
    assert.equal(s.needsReview, true);
    const low = s.warnings.find((w: { code: string }) => w.code === 'low_ocr_confidence');
    assert.ok(low, JSON.stringify(s.warnings));
    assert.equal(low.page, 1);
    const m = /^page 1 was read by OCR with a mean word confidence of (\d+)%; values from it may be misread$/.exec(low.message);
    assert.ok(m, low.message);
    assert.ok(Number(m[1]) < LOW_OCR_CONFIDENCE, low.message);
    assert.ok(Number(m[1]) > 0, 'the figure is a reading of words, not an absence of them');
  });

  test('GET /jobs?needsReview filters both ways and pages by keyset; an admin sees the owner by username', async () => {
    const ended = await finished(jobs.empty);
    assert.equal(ended.status, 'failed');
    assert.equal(ended.needsReview, false);
    await finished(jobs.prose);
    await finished(jobs.poor);

    const pageThrough = async (query: string) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const r: { status: number; body: { jobs: Array<{ id: string; needsReview: boolean }>; nextCursor: string | null } } = await call(
          api!.url,
          'GET',
          `/jobs?${query}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          { token },
        );
        assert.equal(r.status, 200);
        assert.ok(r.body.jobs.length <= 1);
        ids.push(...r.body.jobs.map((j) => j.id));
        cursor = r.body.nextCursor;
      } while (cursor);
      return ids;
    };
    // Newest first: the poor scan was uploaded after the newsletter.
    assert.deepEqual(await pageThrough('needsReview=true'), [jobs.poor, jobs.prose]);
    assert.deepEqual(await pageThrough('needsReview=false'), [jobs.empty]);
    assert.deepEqual(await pageThrough('needsReview=true&status=failed'), []);
    assert.equal((await call(api!.url, 'GET', '/jobs?needsReview=yes', { token })).status, 400);

    const asAdmin = await call(api!.url, 'GET', `/jobs?owner=${userId}&needsReview=true`, { token: adminToken });
    assert.deepEqual(
      asAdmin.body.jobs.map((j: { id: string; owner: string; ownerName: string }) => [j.id, j.owner, j.ownerName]),
      [
        [jobs.poor, userId, username],
        [jobs.prose, userId, username],
      ],
    );
  });
});
