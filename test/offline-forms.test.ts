import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LayoutPage, LayoutWord } from '../library/layout/index.js';
import { readForms } from '../library/extraction/offline/forms.js';
import { extractOffline } from '../library/extraction/offline/index.js';

/** A row of words: [x, text] pairs at one y, 30 px high, 16 px a character (like a 300 dpi scan). */
type Row = { y: number; items: Array<[number, string]>; confidence?: number };

function page(rows: Row[]): { layout: LayoutPage; text: string } {
  const words: LayoutWord[] = [];
  for (const r of rows)
    for (const [x, t] of r.items)
      for (const [i, w] of t.split(' ').entries()) {
        const x0 = x + t.split(' ').slice(0, i).join(' ').length * 16 + (i > 0 ? 16 : 0);
        words.push({ text: w, x0, y0: r.y, x1: x0 + w.length * 16, y1: r.y + 30, confidence: r.confidence ?? 90 });
      }
  // The OCR text: a row's items joined by two spaces, as the recogniser's lines give them.
  const text = rows.map((r) => r.items.map(([, t]) => t).join('  ')).join('\n');
  return { layout: { page: 1, width: 2550, height: 3300, words }, text };
}

const LABELS: Row[] = [
  {
    y: 100,
    items: [
      [100, '1. MEDICARE MEDICAID TRICARE'],
      [1570, "1a. INSURED'S I.D. NUMBER"],
    ],
  },
  {
    y: 300,
    items: [
      [100, '2. PATENTS NAME (Last Name, First Name)'],
      [970, '3. PATENT S BIRTH DATE'],
      [1570, "4. INSURED'S NAME"],
    ],
  },
  {
    y: 600,
    items: [
      [100, "9. OTHER INSURED'S NAME"],
      [1570, "11. INSURED'S POLlCY GROUP OR FECA NUMBER"],
    ],
  },
  {
    y: 800,
    items: [
      [100, 'a. OTHER POLICY'],
      [1570, "a. INSURED'S DATE OF BIRTH"],
    ],
  },
  {
    y: 1000,
    items: [
      [100, '21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY'],
      [1570, '22. RESUBMISSION'],
    ],
  },
  { y: 1300, items: [[100, '24. A. DATE(S) OF SERVICE']] },
  {
    y: 2000,
    items: [
      [100, '25. FEDERAL TAX I.D. NUMBER'],
      [1570, '28. TOTAL CHARGE'],
      [1900, '29. AMOUNT PAID'],
      [2200, '30. BALANCE DUE'],
    ],
  },
  {
    y: 2200,
    items: [
      [100, '31. SIGNATURE OF PHYSICIAN'],
      [1570, '33. BILLING PROVIDER'],
    ],
  },
];

test('a CMS-1500 page is read box by box under its printed labels, OCR damage included', () => {
  const { layout, text } = page([
    ...LABELS,
    { y: 150, items: [[1600, '11-2234-10190']] },
    {
      y: 350,
      items: [
        [130, 'Doe, John'],
        [1300, 'M'],
        [1450, 'F'],
        [1600, 'Doe, Jane'],
      ],
    },
    { y: 420, items: [[1000, 'MM DD YY']] },
    { y: 650, items: [[1600, 'G4683A']] },
    {
      y: 1060,
      items: [
        [130, 'R11 0'],
        [900, '3 R19.7'],
      ],
    },
    { y: 1140, items: [[130, 'LK59 00']] },
    {
      y: 2060,
      items: [
        [1590, '$ 405.00'],
        [1920, '$'],
      ],
    },
  ]);
  const form = readForms([layout], new Map([[1, text]]));
  assert.equal(form.fields.member_id?.value, '11-2234-10190');
  assert.equal(form.fields.patient_name?.value, 'Doe, John', 'box 2, not the insured of box 4');
  assert.equal(form.fields.group_number?.value, 'G4683A');
  assert.equal(form.fields.total_charge?.value, 405);
  assert.equal(form.fields.amount_paid, undefined, 'a bare $ is no amount');
  assert.deepEqual(
    form.diagnoses.map((d) => d.icd10),
    ['R11.0', 'R19.7', 'K59.00'],
  );
  for (const f of [...Object.values(form.fields), ...form.diagnoses]) {
    const quote = f!.evidence?.quote ?? '';
    assert.ok(quote !== '' && text.includes(quote), quote);
  }
  assert.equal(form.diagnoses[0]!.evidence?.quote, 'R11 0', 'the code as printed, split at its dot');
});

test('a blank form (labels and printed captions only) yields no values', () => {
  const { layout, text } = page([
    ...LABELS,
    {
      y: 420,
      items: [
        [1000, 'MM DD YY'],
        [1400, 'M F'],
      ],
    },
    { y: 2060, items: [[1590, '$']] },
  ]);
  const form = readForms([layout], new Map([[1, text]]));
  assert.ok(form.labels >= 4);
  assert.deepEqual(form.fields, {});
  assert.deepEqual(form.diagnoses, []);
});

test('a boxed value that is not in the page text given to the extractor is dropped', () => {
  const { layout } = page([...LABELS, { y: 650, items: [[1600, 'G4683A']] }]);
  const form = readForms([layout], new Map([[1, 'some other text']]));
  assert.equal(form.fields.group_number, undefined);
});

test('the offline extractor fills empty fields from the form boxes, and only with word boxes', () => {
  const { layout, text } = page([...LABELS, { y: 350, items: [[130, 'Doe, John']] }, { y: 650, items: [[1600, 'G4683A']] }]);
  const withBoxes = extractOffline([{ page: 1, text }], { layouts: [layout] });
  assert.equal(withBoxes.patient.name.value, 'Doe, John');
  assert.equal(withBoxes.insurance.group_number.value, 'G4683A');
  const without = extractOffline([{ page: 1, text }]);
  assert.equal(without.insurance.group_number.value, null);
});
