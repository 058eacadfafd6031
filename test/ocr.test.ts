/**
 * OCR (pipeline step 2): the tesseract.js pool on pages rendered from the real corpus.
 *
 *   node --import tsx --test test/ocr.test.ts
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  closeOcrPool,
  encodePgm,
  getOcrPool,
  langDataDir,
  LANG_DATA_VARIANT,
  parsePgm,
  rotateGray,
  wordsToText,
  type OcrResult,
} from '../activities/ocr/pool.js';
import { inspectPdf } from '../activities/pdf/document.js';
import { renderPageForOcr } from '../activities/pdf/render.js';
import { CORPUS, readCorpus } from './support/env.js';

const read = readCorpus;

/** Share of the reference's words (3+ letters, with multiplicity) found in `text`. */
function recall(text: string, reference: string): number {
  const norm = (s: string): string[] => s.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 3);
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
});
