/**
 * How a document's OCR pages are split into activities (workflows/ocr-batches.ts): one page each
 * for ordinary documents, equal runs of pages for very long ones, never a page lost or repeated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_OCR_ACTIVITIES_PER_DOCUMENT, ocrBatches } from '../workflows/ocr-batches.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

test('up to the limit every page is its own activity', () => {
  assert.deepEqual(ocrBatches([2, 5, 9]), [[2], [5], [9]]);
  assert.equal(ocrBatches(range(MAX_OCR_ACTIVITIES_PER_DOCUMENT)).length, MAX_OCR_ACTIVITIES_PER_DOCUMENT);
  assert.deepEqual(ocrBatches([]), []);
});

test('a 300-page scan becomes at most the limit of activities, each a run of consecutive pages, every page once', () => {
  const batches = ocrBatches(range(300));
  assert.ok(batches.length <= MAX_OCR_ACTIVITIES_PER_DOCUMENT, `${batches.length} activities`);
  assert.deepEqual(batches.flat(), range(300));
  assert.ok(batches.every((b) => b.length === 6));
  assert.ok(ocrBatches(range(MAX_OCR_ACTIVITIES_PER_DOCUMENT + 1)).every((b) => b.length <= 2));
});

test('a size the workflow is given wins', () => {
  assert.deepEqual(ocrBatches(range(5), 2), [[1, 2], [3, 4], [5]]);
});
