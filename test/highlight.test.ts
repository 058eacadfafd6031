/** Locating a quote among a page's word boxes (library/extraction/highlight.ts): pure, no stack. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_OCCURRENCES, inReadingOrder, quoteBoxes } from '../library/extraction/highlight.js';
import type { PageWord } from '../library/pdf/preview.js';

/** Words laid out on rows of a table: each row is [text, x0] pairs at the given y. */
function table(rows: Array<{ y: number; cells: Array<[string, number]> }>): PageWord[] {
  return rows.flatMap(({ y, cells }) => cells.map(([text, x0]) => ({ text, box: { x0, y0: y, x1: x0 + 0.01 * text.length, y1: y + 0.015 } })));
}

const rows = table([
  {
    y: 0.1,
    cells: [
      ['Patient', 0.1],
      ['Name:', 0.18],
      ['Jane', 0.25],
      ['Testcase', 0.3],
    ],
  },
  {
    y: 0.3,
    cells: [
      ['Hemoglobin', 0.1],
      ['17.5', 0.35],
      ['g/dL', 0.5],
    ],
  },
  {
    y: 0.33,
    cells: [
      ['Hematocrit', 0.1],
      ['43.2', 0.35],
      ['%', 0.5],
      ['36.0', 0.66],
      ['50.0', 0.76],
    ],
  },
]);
// A dash between "36.0" and "50.0" whose box is only a sliver of the line's height.
rows.push({ text: '-', box: { x0: 0.72, y0: 0.337, x1: 0.725, y1: 0.339 } });

test('words are read line by line, left to right, whatever order OCR listed them in (a dash stays on its line)', () => {
  const shuffled = [...rows].reverse();
  assert.equal(
    inReadingOrder(shuffled)
      .map((w) => w.text)
      .join(' '),
    'Patient Name: Jane Testcase Hemoglobin 17.5 g/dL Hematocrit 43.2 % 36.0 - 50.0',
  );
});

test('a quote spanning table cells gets one box over its line', () => {
  const boxes = quoteBoxes([...rows].reverse(), 'Hematocrit  43.2  %  36.0 - 50.0');
  assert.equal(boxes.length, 1);
  const [b] = boxes;
  assert.ok(Math.abs(b!.x0 - 0.1) < 1e-9 && Math.abs(b!.x1 - 0.8) < 1e-9, JSON.stringify(b));
  assert.ok(b!.y0 >= 0.33 && b!.y1 <= 0.345 + 1e-9, JSON.stringify(b));
});

test('matching ignores case, spacing and typographic forms, and falls back to ignoring spaces between words', () => {
  assert.equal(quoteBoxes(rows, 'patient name: JANE testcase').length, 1);
  assert.equal(quoteBoxes(rows, 'Hemoglobin 17.5g/dL').length, 1, 'the model glued the unit to the value');
  assert.equal(quoteBoxes(rows, 'Hematocrit 43.2 % 36.0 – 50.0').length, 1, 'an en dash for the hyphen');
});

test('a quote that is not on the page, or an empty one, marks nothing', () => {
  assert.deepEqual(quoteBoxes(rows, 'Warfarin 5 mg once daily'), []);
  assert.deepEqual(quoteBoxes(rows, '   '), []);
  assert.deepEqual(quoteBoxes([], 'Hemoglobin'), []);
});

test('a quote across two lines gets a box per line; a repeated quote is marked at most MAX_OCCURRENCES times', () => {
  const two = quoteBoxes(rows, 'g/dL Hematocrit');
  assert.equal(two.length, 2);
  assert.ok(two[0]!.y1 <= two[1]!.y0);
  const many = table(Array.from({ length: MAX_OCCURRENCES + 3 }, (_, i) => ({ y: 0.05 * (i + 1), cells: [['Glucose', 0.1] as [string, number]] })));
  assert.equal(quoteBoxes(many, 'glucose').length, MAX_OCCURRENCES);
});
