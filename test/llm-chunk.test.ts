/**
 * Chunking for the LLM keeps tables whole: a page cut into parts is cut between units (a line, or a run of
 * table-like lines), a table only when it alone is longer than the budget, then between rows with its header
 * row repeated; halving a chunk (an answer cut off at the output limit) follows the same rules; merging the
 * parts' results loses nothing and doubles nothing, in schema v2's sections too.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunkPages, halveChunk, isTableLine, mergeExtractions } from '../library/extraction/chunk.js';
import { emptyExtraction, type Extraction, type PageText } from '../core/contract/extraction.js';

const HEADER = 'Test  Result  Units  Reference Range';
const row = (i: number) => `Analyte ${String(i).padStart(3, '0')}  ${i}.0  mg/dL  ${i}-${i + 9}`;
const table = (n: number, from = 1) => [HEADER, ...Array.from({ length: n }, (_, i) => row(from + i))].join('\n');
const prose = (n: number, tag = 'p') => Array.from({ length: n }, (_, i) => `Narrative ${tag} line ${i} about the visit and the plan.`).join('\n');

/** Every table row of `text` (lines that start like a row). */
const rowsIn = (text: string) => text.split('\n').filter((l) => l.startsWith('Analyte '));

describe('table-aware chunking', () => {
  test('isTableLine: a column gap of two or more blanks or a tab between words', () => {
    assert.equal(isTableLine('Hemoglobin  13.2  g/dL'), true);
    assert.equal(isTableLine('WBC\t14,200'), true);
    assert.equal(isTableLine('A single spaced sentence.'), false);
    assert.equal(isTableLine('  indented'), false);
  });

  test('a long page is never cut inside a table that fits the budget', () => {
    const text = [prose(6, 'a'), table(8), prose(6, 'b')].join('\n');
    const t = table(8);
    const budget = t.length + 40; // the table fits, the page does not
    const parts = chunkPages([{ page: 3, text }], budget).flat();
    assert.ok(parts.length > 1);
    assert.equal(parts.map((p) => p.text).join(''), text, 'parts concatenate back to the page');
    const holding = parts.filter((p) => rowsIn(p.text).length > 0);
    assert.equal(holding.length, 1, 'the whole table is in one part');
    assert.ok(holding[0]!.text.includes(t));
    for (const p of parts) assert.ok(p.text.length <= budget && p.page === 3);
  });

  test('a table longer than the budget is cut between rows, and each later part starts with its header row', () => {
    const text = `LAB REPORT\n${table(40)}\nEnd of report`;
    const budget = 400;
    const parts = chunkPages([{ page: 1, text }], budget).flat();
    assert.ok(parts.length >= 3);
    const withRows = parts.filter((p) => rowsIn(p.text).length > 0);
    for (const p of withRows) {
      assert.ok(p.text.length <= budget);
      assert.ok(p.text.split('\n').includes(HEADER), 'the header row goes with every part of the table');
    }
    // Every row exactly once, whole, in order.
    assert.deepEqual(
      withRows.flatMap((p) => rowsIn(p.text)),
      Array.from({ length: 40 }, (_, i) => row(i + 1)),
    );
    // Every line of every part is a line of the page: quotes from a part are page text.
    const lines = new Set(text.split('\n'));
    for (const p of parts) for (const l of p.text.split('\n')) assert.ok(l === '' || lines.has(l), l);
  });

  test('a wrapped cell (one plain line between rows) stays inside its table', () => {
    const text = [prose(5), HEADER, row(1), 'continued note for the first row', row(2), row(3), prose(5, 'z')].join('\n');
    const budget = Math.ceil(text.length / 2);
    const parts = chunkPages([{ page: 1, text }], budget).flat();
    const holding = parts.filter((p) => rowsIn(p.text).length > 0);
    assert.equal(holding.length, 1);
    assert.ok(holding[0]!.text.includes(`${row(1)}\ncontinued note for the first row\n${row(2)}`));
  });

  test('halveChunk: at a page boundary when pages balance, keeping pages whole', () => {
    const pages: PageText[] = [
      { page: 1, text: prose(10, 'a') },
      { page: 2, text: prose(10, 'b') },
      { page: 3, text: prose(9, 'c') },
      { page: 4, text: prose(11, 'd') },
    ];
    const halves = halveChunk(pages)!;
    assert.deepEqual(
      halves.map((h) => h.map((p) => p.page)),
      [
        [1, 2],
        [3, 4],
      ],
    );
    assert.deepEqual(halves.flat(), pages);
  });

  test('halveChunk: a chunk that is one big table is cut between rows, the header repeated; a single line is not cut in two again and again', () => {
    const text = table(30);
    const [a, b] = halveChunk([{ page: 2, text }])!;
    const first = a.map((p) => p.text).join('');
    const second = b.map((p) => p.text).join('');
    assert.ok(first.startsWith(HEADER) && second.startsWith(HEADER));
    assert.deepEqual([...rowsIn(first), ...rowsIn(second)], rowsIn(text));
    const ratio = rowsIn(first).length / 30;
    assert.ok(ratio > 0.3 && ratio < 0.7, `balanced (${ratio})`);
    assert.ok([...a, ...b].every((p) => p.page === 2));
    // A table next to prose: the cut goes around the table, not through it.
    const mixed = halveChunk([{ page: 1, text: `${prose(12)}\n${table(6)}\n${prose(12, 'q')}` }])!;
    assert.ok(
      mixed.some((h) =>
        h
          .map((p) => p.text)
          .join('')
          .includes(table(6)),
      ),
    );
    assert.equal(halveChunk([{ page: 1, text: 'WBC  14,200' }]), null, 'too little text to be worth halving');
    const long = halveChunk([{ page: 1, text: 'word '.repeat(100) }])!;
    assert.ok(long[0][0]!.text.length > 200 && long[1][0]!.text.length > 200, 'a page without line breaks is cut at a blank');
    assert.equal(halveChunk([]), null);
  });
});

describe('mergeExtractions over schema v2 sections', () => {
  test('scalar groups and list sections the contract has are merged; duplicates across parts counted once', () => {
    const a = emptyExtraction() as Extraction & Record<string, any>;
    const b = emptyExtraction() as Extraction & Record<string, any>;
    a.patient.name = { evidence: { page: 1, quote: 'Jo Roe' }, value: 'Jo Roe', confidence: 0.6 };
    b.patient.name = { evidence: { page: 2, quote: 'Joanna Roe' }, value: 'Joanna Roe', confidence: 0.9 };
    const lab = (test: string, value: number, page: number, confidence: number) => ({
      evidence: { page, quote: `${test}  ${value}` },
      panel: null,
      panel_loinc: null,
      loinc: null,
      test,
      value,
      unit: null,
      reference_range: null,
      flag: null,
      specimen: null,
      collected_at: null,
      confidence,
    });
    a.lab_results = [lab('Sodium', 140, 1, 0.7), lab('Potassium', 4.1, 1, 0.8)];
    b.lab_results = [lab('sodium', 140, 1, 0.9), lab('Chloride', 101, 2, 0.8)];
    for (const [group, field] of [
      ['encounter', 'admission_date'],
      ['insurance', 'member_id'],
    ] as const) {
      if (!(group in a)) continue; // a contract without the group (schema v1) has nothing to merge there
      (b[group] as Record<string, unknown>)[field] = { evidence: { page: 2, quote: 'X-1' }, value: 'X-1', confidence: 0.8 };
    }
    if ('immunizations' in a) {
      const shot = { evidence: { page: 1, quote: 'Tdap 2024-01-02' }, vaccine: 'Tdap', date: '2024-01-02', lot: null, confidence: 0.8 };
      a.immunizations = [shot];
      b.immunizations = [{ ...shot, vaccine: 'TDAP', confidence: 0.9 }];
    }
    const m = mergeExtractions([a, b]) as Extraction & Record<string, any>;
    assert.equal(m.patient.name.value, 'Joanna Roe');
    assert.deepEqual(
      m.lab_results.map((l: { test: string; confidence: number }) => [l.test, l.confidence]),
      [
        ['sodium', 0.9],
        ['Potassium', 0.8],
        ['Chloride', 0.8],
      ],
    );
    if ('encounter' in m) {
      assert.equal(m.encounter.admission_date.value, 'X-1');
      assert.equal(m.insurance.member_id.value, 'X-1');
      assert.equal(m.immunizations.length, 1);
      assert.equal(m.immunizations[0]!.confidence, 0.9);
    }
  });
});
