/**
 * OCR (pipeline step 2): the tesseract.js pool on pages rendered from the real corpus.
 *
 *   node --import tsx --test test/ocr.test.ts
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { closeOcrPool, encodePgm, getOcrPool, langDataDir, LANG_DATA_VARIANT, parsePgm, rotateGray, wordsToText, type OcrResult } from '../library/ocr/pool.js';
import { inspectPdf, type PageContent, type PlacedImage } from '../library/pdf/document.js';
import { embeddedScanImage, pageImagesForOcr, renderPageForOcr, type OcrPageInput } from '../library/pdf/render.js';
import { CORPUS, readCorpus } from './support/env.js';
import { scannedReportPdf, syntheticReport } from './fixtures/generate.js';

const read = readCorpus;

/** Share of the reference's words (3+ letters, with multiplicity) found in `text`. */
function recall(text: string, reference: string): number {
  const norm = (s: string): string[] =>
    s
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length >= 3);
  const got = new Map<string, number>();
  for (const w of norm(text)) got.set(w, (got.get(w) ?? 0) + 1);
  const ref = norm(reference);
  let hit = 0;
  for (const w of ref) {
    const c = got.get(w) ?? 0;
    if (c > 0) {
      hit++;
      got.set(w, c - 1);
    }
  }
  return hit / ref.length;
}

function assertWellFormed(r: OcrResult, width: number, height: number): void {
  assert.ok(r.confidence >= 0 && r.confidence <= 100);
  assert.ok(r.words.length > 0);
  for (const w of r.words) {
    assert.ok(w.text.length > 0 && w.text === w.text.trim());
    assert.ok(w.confidence >= 0 && w.confidence <= 100);
    const b = w.bbox;
    assert.ok(b.x0 >= 0 && b.y0 >= 0 && b.x1 <= width + 1 && b.y1 <= height + 1 && b.x0 < b.x1 && b.y0 < b.y1, JSON.stringify(w));
  }
  for (const line of r.text.split('\n')) assert.ok(line.length > 0 && line === line.trim());
}

after(async () => {
  await closeOcrPool();
});

/** Nice value of each thread of this process, by thread id (Linux: /proc/self/task/<tid>/stat). */
function threadNiceValues(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name in parentheses start at field 3; the nice value is field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[19 - 3]));
  }
  return out;
}

describe('helpers', () => {
  test('PGM parse / encode / rotate', () => {
    // 3×2 image: 1 2 3 / 4 5 6
    const g = { width: 3, height: 2, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const back = parsePgm(encodePgm(g))!;
    assert.deepEqual([back.width, back.height, [...back.data]], [3, 2, [1, 2, 3, 4, 5, 6]]);
    const r90 = rotateGray(g, 90); // clockwise: 4 1 / 5 2 / 6 3
    assert.deepEqual([r90.width, r90.height, [...r90.data]], [2, 3, [4, 1, 5, 2, 6, 3]]);
    const r270 = rotateGray(g, 270); // 3 6 / 2 5 / 1 4
    assert.deepEqual([r270.width, r270.height, [...r270.data]], [2, 3, [3, 6, 2, 5, 1, 4]]);
    assert.deepEqual([...rotateGray(g, 180).data], [6, 5, 4, 3, 2, 1]);
    assert.deepEqual([...rotateGray(rotateGray(r90, 90), 180).data], [...g.data]);
    assert.equal(parsePgm(new TextEncoder().encode('\x89PNG....')), null);
    assert.equal(parsePgm(new TextEncoder().encode('P5\n10 10\n255\nshort')), null);
  });

  test('words to text: one space between words, two across a column gap', () => {
    const w = (text: string, x0: number, y0 = 0) => ({ text, confidence: 90, bbox: { x0, y0, x1: x0 + text.length * 10, y1: y0 + 12 } });
    assert.equal(wordsToText([[w('Glucose', 0), w('158', 75), w('mg/dL', 200)], [], [w('next', 0, 20)]]), 'Glucose 158  mg/dL\nnext');
  });

  test('words to text: a table read column by column comes back row by row', () => {
    const w = (text: string, x0: number, y0: number) => ({ text, confidence: 90, bbox: { x0, y0, x1: x0 + text.length * 10, y1: y0 + 12 } });
    // Tesseract's block order: the test-name column first, then the results column.
    const lines = [[w('Creatinine', 0, 0)], [w('Calcium', 0, 20)], [w('1.00', 300, 1)], [w('10.0', 300, 21)]];
    assert.equal(wordsToText(lines), 'Creatinine  1.00\nCalcium  10.0');
  });

  test('language data comes from the npm package, never the network', () => {
    const dir = langDataDir('eng');
    assert.ok(dir.endsWith(path.join('@tesseract.js-data', 'eng', LANG_DATA_VARIANT)));
    assert.ok(fs.statSync(path.join(dir, 'eng.traineddata.gz')).size > 1_000_000);
    assert.throws(() => langDataDir('xyz'), /not installed.*@tesseract\.js-data\/xyz/);
  });
});

describe('OCR pool on corpus scans', () => {
  test('two-column scanned brochure: near-complete text, word boxes and confidences', async () => {
    const pool = await getOcrPool('eng');
    assert.ok(pool.size >= 1);
    const bytes = read('scanned/ocrmypdf_linn_two_column.pdf');
    const info = await inspectPdf(bytes, { maxPages: 10 });
    assert.equal(info.pages[0]!.needsOcr, true);
    const img = await renderPageForOcr(bytes, 1);
    const r = await pool.recognize(img.image);
    assertWellFormed(r, img.width, img.height);
    const reference = fs.readFileSync(path.join(CORPUS, 'scanned/ocrmypdf_linn.reference.txt'), 'utf8');
    const rec = recall(r.text, reference);
    assert.ok(rec > 0.9, `recall ${rec}`);
    assert.ok(r.confidence > 80, `confidence ${r.confidence}`);
    assert.equal(r.orientation, 0);
    assert.match(r.text, /The LinnSequencer\n32 Track MIDI Sequence Recorder/);
    // Reading order: the left column's "Recording a Sequence" comes before the right column's "Creating a Song".
    assert.ok(r.text.indexOf('Recording a Sequence') < r.text.indexOf('Creating a Song'));
    const word = r.words.find((w) => w.text === 'LinnSequencer');
    assert.ok(word && word.confidence > 80 && word.bbox.y0 < img.height * 0.1, JSON.stringify(word));
  });

  test('recovered damaged file (no startxref): OCR reads "pdf.js"', async () => {
    const pool = await getOcrPool('eng');
    const bytes = read('malformed/no_startxref_scanned__pdfjs_scan-bad.pdf');
    const img = await renderPageForOcr(bytes, 1);
    const r = await pool.recognize(img.image);
    assert.match(r.text, /pdf\.js/);
  });

  test('upside-down page is detected and read upright; boxes stay in the input image', async () => {
    const pool = await getOcrPool('eng');
    const img = await renderPageForOcr(read('scanned/ocrmypdf_cardinal_4rotations.pdf'), 3);
    const r = await pool.recognize(img.image);
    assert.equal(r.orientation, 180);
    const reference = fs.readFileSync(path.join(CORPUS, 'scanned/ocrmypdf_linn.reference.txt'), 'utf8');
    assert.ok(recall(r.text, reference) > 0.9);
    assertWellFormed(r, img.width, img.height);
    // The title is at the top of the upright page, so at the bottom of the upside-down input.
    const title = r.words.find((w) => w.text === 'LinnSequencer')!;
    assert.ok(title.bbox.y0 > img.height * 0.85, JSON.stringify(title));
  });

  test('small page with a 2400-dpi typewriter scan is read at a usable resolution', async () => {
    const pool = await getOcrPool('eng');
    const img = await renderPageForOcr(read('scanned/ocrmypdf_2400dpi_typewriter.pdf'), 1);
    const r = await pool.recognize(img.image);
    for (const w of ['Linzensoep', 'Waterman', 'liter', 'water', 'kerrie']) assert.ok(r.text.includes(w), `missing "${w}" in\n${r.text}`);
  });

  test('pages are recognised concurrently by the pool', async () => {
    const pool = await getOcrPool('eng');
    const a = await renderPageForOcr(read('scanned/ocrmypdf_c02-22_huckfinn.pdf'), 1);
    const b = await renderPageForOcr(read('scanned/ocrmypdf_multipage_mixed.pdf'), 5);
    const c = await renderPageForOcr(read('scanned/ocrmypdf_aspect_200x100dpi.pdf'), 1);
    const results = await Promise.all([a, b, c].map((img) => pool.recognize(img.image)));
    for (const r of results) assert.ok(r.words.length > 0);
    assert.ok(results[0]!.text.length > 200);
  });

  test('handwriting is reported with a low confidence (so values get flagged)', async () => {
    const pool = await getOcrPool('eng');
    const img = await renderPageForOcr(read('medical/aws_handwritten_discharge_note.pdf'), 1);
    const r = await pool.recognize(img.image);
    assert.ok(r.confidence < 60, `confidence ${r.confidence}`);
  });

  test('an unreadable image fails the call, not the process; the pool keeps working', async () => {
    const pool = await getOcrPool('eng');
    await assert.rejects(pool.recognize(new TextEncoder().encode('this is not an image')));
    const img = await renderPageForOcr(read('malformed/no_startxref_scanned__pdfjs_scan-bad.pdf'), 1, { dpi: 200 });
    assert.match((await pool.recognize(img.image)).text, /pdf\.js/);
  });

  test('close() ends the pool; a new one can be made', async () => {
    const pool = await getOcrPool('eng', { size: 1 });
    await pool.close();
    await assert.rejects(pool.recognize(encodePgm({ width: 1, height: 1, data: Uint8Array.from([255]) })), /closed/);
    const again = await getOcrPool('eng', { size: 1 });
    assert.notEqual(again, pool);
    assert.equal(again.size, 1);
    const r = await again.recognize(encodePgm({ width: 50, height: 50, data: new Uint8Array(2500).fill(255) }));
    assert.equal(r.text, '');
    assert.equal(r.confidence, 0);
  });

  test(
    'the OCR threads run at the nice value the pool is given; the rest of the process keeps its priority',
    { skip: process.platform !== 'linux' && 'nice values per thread are a Linux feature' },
    async () => {
      await closeOcrPool();
      const before = threadNiceValues();
      const pool = await getOcrPool('eng', { size: 1, nice: 7 });
      await pool.recognize(encodePgm({ width: 50, height: 50, data: new Uint8Array(2500).fill(255) }));
      const after = threadNiceValues();
      const started = [...after].filter(([tid]) => !before.has(tid)).map(([, nice]) => nice);
      assert.ok(started.includes(7), `the new threads' nice values: ${started.join(', ')}`);
      assert.equal(after.get(process.pid), before.get(process.pid), "the main thread's priority is not changed");
      await pool.close();
    },
  );
});

describe('OCR input: the stored scan image, or a render', () => {
  const report = syntheticReport({ pages: 2, seed: 11, rowsPerPage: 8 });
  const scan300 = new Uint8Array(scannedReportPdf(report, { blankPagesAfter: 1 }));
  const all = async (bytes: Uint8Array, pages: number[]): Promise<OcrPageInput[]> => {
    const out: OcrPageInput[] = [];
    for await (const p of pageImagesForOcr(bytes, pages)) out.push(p);
    return out;
  };

  test('a page that is one 300-dpi scan is read from its stored image: the pixels a render gives, without the render', async () => {
    const [p1, p2, p3] = await all(scan300, [1, 2, 3]);
    assert.ok(p1?.kind === 'image' && p2?.kind === 'image');
    assert.deepEqual([p1.origin, p1.dpi, p1.width, p1.height], ['embedded-image', 300, 2550, 3300]);
    assert.equal(p2.origin, 'embedded-image');
    const rendered = await renderPageForOcr(scan300, 1);
    assert.equal(rendered.origin, 'render');
    assert.ok(Buffer.from(p1.image).equals(Buffer.from(rendered.image)), 'identical grayscale pixels');
    // The blank page: nothing drawn, so no OCR, and its (empty) text layer is what the page holds.
    assert.deepEqual(p3, { kind: 'no-ocr', pageNo: 3, text: '', reason: 'blank', widthPt: 612, heightPt: 792 });
    const pool = await getOcrPool('eng', { size: 2 });
    const r = await pool.recognize(p1.image, { dpi: p1.dpi });
    assert.ok(r.text.includes(report.patientName), 'the patient name is read');
    assertWellFormed(r, p1.width, p1.height);
  });

  test('a 150-dpi scan, a /Rotate page and a 100-dpi form are rendered at 300 dpi instead', async () => {
    const low = new Uint8Array(scannedReportPdf(syntheticReport({ pages: 1, seed: 3, rowsPerPage: 4 }), { dpi: 150 }));
    const [a] = await all(low, [1]);
    assert.ok(a?.kind === 'image');
    assert.deepEqual([a.origin, a.dpi, a.width], ['render', 300, 2550]);
    const [b] = await all(read('scanned/ocrmypdf_rotated_skew.pdf'), [1]);
    assert.ok(b?.kind === 'image' && b.origin === 'render');
    const [c] = await all(read('medical/cms1500_nucc_sample_filled_scan.pdf'), [1]);
    assert.ok(c?.kind === 'image' && c.origin === 'render');
  });

  test('embeddedScanImage takes only an upright image covering the page, alone, at 250–400 dpi', () => {
    const image = (over: Partial<PlacedImage> = {}): PlacedImage => ({
      pixelWidth: 2550,
      pixelHeight: 3300,
      x0: 0,
      y0: 0,
      x1: 612,
      y1: 792,
      dpiX: 300,
      dpiY: 300,
      matrix: [612, 0, 0, 792, 0, 0],
      objId: 'img_p0_1',
      ...over,
    });
    const content = (over: Partial<PageContent> = {}): PageContent => ({
      images: [image()],
      imageCoverage: 1,
      visibleGlyphs: 0,
      invisibleGlyphs: 0,
      pathOps: 0,
      otherDrawOps: 0,
      emptyPlacements: 0,
      ...over,
    });
    const view = [0, 0, 612, 792];
    assert.equal(embeddedScanImage(content(), view, 0)?.objId, 'img_p0_1');
    assert.ok(embeddedScanImage(content({ invisibleGlyphs: 500 }), view, 0), "someone else's invisible OCR layer is not drawn");
    const refused: Array<[string, PageContent, number]> = [
      ['page rotated', content(), 90],
      ['mirrored', content({ images: [image({ matrix: [612, 0, 0, -792, 0, 792] })] }), 0],
      ['turned 90°', content({ images: [image({ matrix: [0, 792, -612, 0, 612, 0] })] }), 0],
      ['half the page', content({ images: [image({ matrix: [306, 0, 0, 792, 0, 0], x1: 306, dpiX: 600 })] }), 0],
      ['visible text too', content({ visibleGlyphs: 40 }), 0],
      ['vector drawing too', content({ pathOps: 3 }), 0],
      ['a second image', content({ images: [image(), image({ objId: 'img_p0_2' })] }), 0],
      ['an inline image', content({ images: [image({ objId: undefined })] }), 0],
      ['200 dpi', content({ images: [image({ dpiX: 200, dpiY: 200 })] }), 0],
      ['600 dpi', content({ images: [image({ dpiX: 600, dpiY: 600 })] }), 0],
      ['200 × 100 dpi', content({ images: [image({ dpiX: 300, dpiY: 150 })] }), 0],
    ];
    for (const [why, c, rotation] of refused) assert.equal(embeddedScanImage(c, view, rotation), null, why);
  });

  test("inspectPdf's textlessPages 'defer' leaves text-less pages to the OCR step and decides the rest the same", async () => {
    const analysed = await inspectPdf(scan300, { maxPages: 10 });
    assert.deepEqual(
      analysed.pages.map((p) => [p.needsOcr, p.reason, p.imageCoverage]),
      [
        [true, 'no-text', 1],
        [true, 'no-text', 1],
        [false, 'blank', 0],
      ],
    );
    const deferred = await inspectPdf(scan300, { maxPages: 10, textlessPages: 'defer' });
    assert.deepEqual(
      deferred.pages.map((p) => [p.needsOcr, p.reason, p.imageCoverage]),
      [
        [true, 'no-text', null],
        [true, 'no-text', null],
        [true, 'no-text', null],
      ],
    );
    for (const f of ['medical/healthfirst_lab_report_3p.pdf', 'medical/aws_handwritten_discharge_note.pdf', 'scanned/ocrmypdf_multipage_mixed.pdf']) {
      const a = await inspectPdf(read(f), { maxPages: 10 });
      const d = await inspectPdf(read(f), { maxPages: 10, textlessPages: 'defer' });
      assert.deepEqual(
        d.pages.map((p) => p.needsOcr),
        a.pages.map((p) => p.needsOcr),
        f,
      );
      assert.deepEqual(
        d.pages.filter((p) => p.chars >= 20).map((p) => p.reason),
        a.pages.filter((p) => p.chars >= 20).map((p) => p.reason),
        f,
      );
    }
  });
});
