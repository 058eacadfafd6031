/**
 * The names results are saved under (API download, CLI output, web UI), from the document's file name.
 *
 *   node --import tsx --test test/result-names.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resultBaseName } from '../core/contract/jobs.js';
import { outputNames } from '../app/cli-process.js';

test("a result is named after its document without the document's extension, whatever its kind", () => {
  assert.deepEqual(['lab.pdf', 'fax.TIFF', 'scan.tif', 'photo.jpeg', 'card.JPG', 'note.png', 'page.webp', 'notes.txt', '.pdf'].map(resultBaseName), [
    'lab',
    'fax',
    'scan',
    'photo',
    'card',
    'note',
    'page',
    'notes.txt',
    'document',
  ]);
  assert.deepEqual(outputNames(['a/scan.png', 'b/scan.pdf', 'c/scan.tiff']), ['scan', 'scan-2', 'scan-3']);
});
