/**
 * Image files end to end on the real stack: uploaded through POST /upload, read by OCR frame by frame
 * in a worker, shown in the page viewer, and in the workbook. Every image of the corpus is checked
 * against its truth file (the values it holds, found in the OCR text and in the workbook); generated
 * fixtures check a multi-page fax with known text and the refusals.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type pg from 'pg';
import sharp from 'sharp';
import { corpus, pool, readCorpus, readTruth, requireRunEnv, runCli, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import { readWorkbook } from './support/workbook.js';
import { bombPng, faxTiff, gifImage, pageAs, truncatedPng } from './support/image-fixtures.js';

/** Share of a corpus image's truth values that must be in its OCR text. */
const MIN_TRUTH_SHARE_IN_TEXT = 0.25;
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const CORPUS_IMAGES = [
  'medical/agentforge_fax_packet_chen.tiff',
  'medical/aws_cms1500_claim.png',
  'medical/aws_discharge_summary.png',
  'medical/aws_insurance_card.png',
  'medical/aws_provider_note_skewed.png',
];
const MIME: Record<string, string> = { '.png': 'image/png', '.tiff': 'image/tiff', '.tif': 'image/tiff', '.pdf': 'application/pdf' };

/** Truth fields that describe the file rather than its content. */
const ABOUT_THE_FILE = new Set([
  'schema',
  'file',
  'source',
  'read_by',
  'document_type',
  'text_layer',
  'pages',
  'image',
  'quirks',
  'cross_check',
  'plan',
  'note',
  'notes',
]);

/** The truth's values: every leaf string or number of the content fields (ISO dates kept as they are). */
function truthValues(truth: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key: string): void => {
    if (ABOUT_THE_FILE.has(key)) return;
    if (typeof v === 'string' || typeof v === 'number') {
      const s = String(v).trim();
      if (s.length >= 2) out.push(s);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  for (const [k, v] of Object.entries(truth)) walk(v, k);
  return out;
}

/** Letters and digits only, lower case: OCR spacing and punctuation do not decide a match. */
const squash = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
/** An ISO date also counts when printed as MM/DD/YYYY. */
const printedForms = (v: string): string[] => {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  return iso ? [v, `${iso[2]}/${iso[3]}/${iso[1]}`, `${iso[2]}${iso[3]}${iso[1]}`] : [v];
};
const foundIn = (haystack: string, value: string) => printedForms(value).some((f) => haystack.includes(squash(f)));

describe('image files through the API', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('images'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '', OCR_WORKERS: '2' };
  let worker: ChildHandle;
  let api: ApiProcess;
  let db: pg.Pool;
  let token: string;
  const jobs = new Map<string, string>();
  const statuses = new Map<string, any>();
  let fax: Awaited<ReturnType<typeof faxTiff>>;
  let wallSeconds = 0;

  async function upload(name: string, content: Uint8Array, type = MIME[path.extname(name)] ?? 'application/octet-stream') {
    return call(api.url, 'POST', '/upload', { token, body: pdfForm([{ name, content, type }]) });
  }
  async function submit(name: string, content: Uint8Array): Promise<string> {
    const r = await upload(name, content);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body.jobs[0].id as string;
  }
  const finished = (id: string) =>
    waitUntil(
      `job ${id} to finish`,
      async () => {
        const r = await call(api.url, 'GET', `/status/${id}`, { token });
        return FINISHED.has(r.body.status) ? r.body : undefined;
      },
      420_000,
    );
  const pagesOf = async (id: string) =>
    (await db.query('SELECT page_no, source, text, ocr_confidence, width, height FROM pages WHERE job_id = $1 ORDER BY page_no', [id])).rows;

  before(async () => {
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    db = pool();
    token = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    fax = await faxTiff({ pages: 3, seed: 61 });
    const started = performance.now();
    // All at once: the worker's OCR pool reads their pages side by side.
    for (const rel of CORPUS_IMAGES) jobs.set(rel, await submit(path.basename(rel), readCorpus(rel)));
    jobs.set('fax', await submit('fax-3-pages.tiff', fax.bytes));
    jobs.set('named-pdf', await submit('scan-named.pdf', (await pageAs('png', { seed: 62, dpi: 150 })).bytes));
    jobs.set('bomb', await submit('bomb.png', bombPng()));
    jobs.set('truncated', await submit('truncated.png', await truncatedPng()));
    await Promise.all([...jobs].map(async ([key, id]) => statuses.set(key, await finished(id))));
    wallSeconds = (performance.now() - started) / 1000;
    console.log(`images: ${jobs.size} jobs (${CORPUS_IMAGES.length} corpus images, 14 OCR pages) finished in ${wallSeconds.toFixed(0)} s`);
  });

  after(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await db?.end();
  });

  test('every corpus image: one OCR page per frame, and the values of its truth in the OCR text and the workbook', async () => {
    const report: string[] = [];
    const checks: Array<() => void> = [];
    for (const rel of CORPUS_IMAGES) {
      const id = jobs.get(rel)!;
      const status = statuses.get(rel);
      assert.equal(status.status, 'completed', `${rel}: ${JSON.stringify(status)}`);
      const truth = readTruth(rel);
      const pages = await pagesOf(id);
      assert.equal(pages.length, truth.pages, `${rel}: pages`);
      for (const p of pages) assert.equal(p.source, 'ocr', `${rel} page ${p.page_no}`);
      assert.equal(status.progress.pagesTotal, truth.pages);

      const ocrText = squash(pages.map((p) => p.text).join('\n'));
      const xlsx = await call<Buffer>(api.url, 'GET', `/download/${id}`, { token });
      assert.equal(xlsx.status, 200);
      const sheets = await readWorkbook(xlsx.body);
      const cells = squash(
        [...sheets.values()]
          .flat()
          .flatMap((row) => Object.values(row).map(String))
          .join('\n'),
      );
      const values = truthValues(truth);
      const inText = values.filter((v) => foundIn(ocrText, v));
      const inWorkbook = values.filter((v) => foundIn(cells, v));
      const conf = pages.map((p) => Math.round(p.ocr_confidence)).join('/');
      report.push(
        `${path.basename(rel)}: ${pages.length} OCR page(s), confidence ${conf}; truth values in OCR text ${inText.length}/${values.length}, in workbook ${inWorkbook.length}/${values.length}` +
          ` (workbook has: ${inWorkbook.slice(0, 12).join(' | ')})`,
      );
      checks.push(() => {
        // OCR reads the document: a good share of what a person reads on it is in the text (noisy faxes and photos lose some).
        assert.ok(inText.length / values.length >= MIN_TRUTH_SHARE_IN_TEXT, `${rel}: only ${inText.length}/${values.length} truth values in the OCR text`);
        assert.ok(inWorkbook.length >= 1, `${rel}: no truth value in the workbook`);
        // Every workbook row that cites a page cites one of the image's frames.
        for (const row of sheets.get('Lab Results') ?? []) {
          if (row['Page'] !== undefined && row['Page'] !== null && row['Page'] !== '')
            assert.ok(Number(row['Page']) >= 1 && Number(row['Page']) <= truth.pages);
        }
      });
    }
    console.log(report.join('\n'));
    for (const check of checks) check();
    // The fax packet's patient reaches the workbook's Summary.
    const chen = readTruth('medical/agentforge_fax_packet_chen.tiff');
    const sheets = await readWorkbook((await call<Buffer>(api.url, 'GET', `/download/${jobs.get('medical/agentforge_fax_packet_chen.tiff')}`, { token })).body);
    assert.equal(sheets.get('Summary')?.[0]?.['Patient name'], chen.patient.name);
  });

  test('a 3-page CCITT G4 fax at 204 × 196 dpi: three OCR pages with the text printed on them, page views with letter proportions', async () => {
    const id = jobs.get('fax')!;
    assert.equal(statuses.get('fax').status, 'completed', JSON.stringify(statuses.get('fax')));
    const pages = await pagesOf(id);
    assert.deepEqual(
      pages.map((p) => [p.page_no, p.source]),
      [
        [1, 'ocr'],
        [2, 'ocr'],
        [3, 'ocr'],
      ],
    );
    for (const [i, p] of pages.entries()) {
      assert.match(p.text, new RegExp(`Page ${i + 1} of 3`));
      assert.ok(squash(p.text).includes(squash(fax.report.mrn)), `page ${i + 1} has the MRN`);
      const rows = fax.report.pages[i]!;
      const read = rows.filter((r) => p.text.includes(r.value));
      assert.ok(read.length >= rows.length - 1, `page ${i + 1}: ${read.length}/${rows.length} result values read`);
    }
    const view = await call(api.url, 'GET', `/jobs/${id}/pages/2`, { token });
    assert.equal(view.status, 200, JSON.stringify(view.body));
    assert.equal(view.body.pageCount, 3);
    assert.ok(Math.abs(view.body.aspectRatio - 8.5 / 11) < 0.01, `letter proportions, not squashed: ${view.body.aspectRatio}`);
    assert.ok(view.body.wordBoxes);
    const image = await call<Buffer>(api.url, 'GET', `/jobs/${id}/pages/2/image`, { token });
    assert.equal(image.status, 200);
    const meta = await sharp(image.body).metadata();
    assert.equal(meta.format, 'png');
    assert.ok(Math.abs(meta.width! / meta.height! - 8.5 / 11) < 0.01);
    const result = (await call(api.url, 'GET', `/jobs/${id}/result`, { token })).body;
    assert.equal(result.patient?.name?.value, fax.report.patientName);
  });

  test('a PNG named .pdf is read as the PNG it is', async () => {
    const s = statuses.get('named-pdf');
    assert.equal(s.status, 'completed', JSON.stringify(s));
    const pages = await pagesOf(jobs.get('named-pdf')!);
    assert.deepEqual(
      pages.map((p) => p.source),
      ['ocr'],
    );
  });

  test('a decompression bomb ends ImageTooLarge, a truncated PNG InvalidImage, a GIF is refused at upload', async () => {
    const bomb = statuses.get('bomb');
    assert.equal(bomb.status, 'failed');
    assert.equal(bomb.error?.code, 'ImageTooLarge', JSON.stringify(bomb));
    const cut = statuses.get('truncated');
    assert.equal(cut.status, 'failed');
    assert.equal(cut.error?.code, 'InvalidImage', JSON.stringify(cut));
    const gif = await upload('photo.gif', await gifImage(), 'image/gif');
    assert.equal(gif.status, 415, JSON.stringify(gif.body));
    assert.match(JSON.stringify(gif.body), /GIF.*accepted: PDF, TIFF, PNG, JPEG, WebP/);
  });

  test('the CLI processes an image file to a workbook', async () => {
    const { tmp } = requireRunEnv();
    const out = path.join(tmp, 'out-image-cli');
    const { code, output } = await runCli(['process', corpus('medical/aws_insurance_card.png'), '--out', out], env);
    assert.equal(code, 0, output);
    const sheets = await readWorkbook(path.join(out, 'aws_insurance_card.xlsx'));
    assert.ok(sheets.get('Summary')?.length, 'a Summary sheet');
  });
});
