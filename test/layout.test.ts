/**
 * Layout mechanisms (library/layout): words with boxes → lines and cells, running headers/footers,
 * two-column reading order, tables from column alignment, key–value pairs by geometry, sections.
 * Pure, no stack: synthetic word boxes for each mechanism, then real corpus PDFs read through the
 * text layer, asserting what a reader of the document would see.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  analyseLayout,
  buildLines,
  pageFromFractionWords,
  pageFromOcrWords,
  readLayoutPages,
  wordsFromPlacedItems,
  type LayoutDocument,
  type LayoutPage,
  type LayoutWord,
} from '../library/layout/index.js';

const CORPUS = fileURLToPath(new URL('../../shared/corpus/medical/', import.meta.url));

/**
 * Words of one printed line at baseline-ish `y`: each cell starts at its x; characters are half a font
 * size wide and words are separated by a third of one. `skew` tilts the line (y grows with x);
 * `ocr` leaves the font size out, as OCR boxes do.
 */
function printed(y: number, cells: Array<[number, string]>, opts: { size?: number; skew?: number; ocr?: boolean; bold?: boolean } = {}): LayoutWord[] {
  const size = opts.size ?? 10;
  const out: LayoutWord[] = [];
  for (const [x0, text] of cells) {
    let x = x0;
    for (const t of text.split(' ')) {
      const w = t.length * 0.5 * size;
      const dy = (opts.skew ?? 0) * x;
      const word: LayoutWord = { text: t, x0: x, x1: x + w, y0: y - 0.8 * size + dy, y1: y + 0.2 * size + dy };
      if (!opts.ocr) word.size = size;
      if (opts.bold) word.bold = true;
      out.push(word);
      x += w + 0.3 * size;
    }
  }
  return out;
}

const page = (n: number, words: LayoutWord[], width = 600, height = 800): LayoutPage => ({ page: n, width, height, words });

// ------------------------------------------------------------------------------------------------
// Lines and cells
// ------------------------------------------------------------------------------------------------

test('words become lines and cells: wide gaps split cells, word spaces do not', () => {
  const lines = buildLines(
    page(1, [
      ...printed(100, [
        [50, 'Patient Name:'],
        [200, 'Jane Q Public'],
      ]),
      ...printed(116, [
        [50, 'Hemoglobin'],
        [200, '13.2'],
        [260, 'g/dL'],
      ]),
    ]),
  );
  assert.deepEqual(
    lines.map((l) => l.cells.map((c) => c.text)),
    [
      ['Patient Name:', 'Jane Q Public'],
      ['Hemoglobin', '13.2', 'g/dL'],
    ],
  );
  assert.equal(lines[1]!.text, 'Hemoglobin  13.2  g/dL');
});

test('a skewed scan still reads line by line (the drift over the page is larger than the line spacing)', () => {
  // 2.5% slope: across 500 px the line drifts 12.5 px, more than the 14 px line pitch minus a line height.
  const rows = ['Sodium 140 mmol/L normal range 135 to 145', 'Potassium 4.1 mmol/L normal range 3.5 to 5.1', 'Chloride 101 mmol/L normal range 98 to 107'];
  // Words spread out (30 px apart) so that each line runs about 500 px.
  const skewed = rows.flatMap((r, i) => {
    let x = 40;
    return r.split(' ').map((t) => {
      const w = t.length * 5;
      const dy = 0.025 * x;
      const word: LayoutWord = { text: t, x0: x, x1: x + w, y0: 100 + 14 * i - 8 + dy, y1: 100 + 14 * i + 2 + dy };
      x += w + 30;
      return word;
    });
  });
  const lines = buildLines(page(1, skewed));
  assert.deepEqual(
    lines.map((l) => l.words.map((w) => w.text).join(' ')),
    rows,
  );
});

test('OCR prose with wide, justified word spaces stays one cell per line (no table is made of it)', () => {
  // OCR boxes: no font size, word gaps about one box height (loosely set, justified text).
  const prose = [
    'patient denies constipation or diarrhea and reports',
    'nausea with fatigue since two weeks and bloating',
    'after eating which has gotten progressively worse',
  ];
  const words = prose.flatMap((t, i) => {
    let x = 40;
    return t.split(' ').map((w) => {
      const word: LayoutWord = { text: w, x0: x, x1: x + w.length * 7, y0: 100 + 24 * i, y1: 113 + 24 * i };
      x += w.length * 7 + 13 + (w.length % 3);
      return word;
    });
  });
  // A column-aligned block below it still splits into cells.
  words.push(
    ...printed(200, header, { ocr: true, size: 13 }),
    ...printed(
      224,
      [
        [40, 'Sodium'],
        [228, '140'],
        [300, 'mmol/L'],
        [395, '135 - 145'],
      ],
      { ocr: true, size: 13 },
    ),
  );
  const doc = analyseLayout([page(1, words)]);
  assert.deepEqual(
    doc.body.slice(0, 3).map((l) => l.cells.length),
    [1, 1, 1],
  );
  assert.equal(doc.tables.length, 1);
  assert.deepEqual(
    doc.tables[0]!.rows.map((r) => r.cells.map((c) => c.text)),
    [['Sodium', '140', 'mmol/L', '135 - 145']],
  );
});

test('adapters: text-layer runs are split into words with proportional positions; OCR and fraction boxes are taken as they are', () => {
  const words = wordsFromPlacedItems([{ str: 'Total Protein', x: 100, y: 200, width: 65, size: 10, orientation: 0 }]);
  assert.deepEqual(
    words.map((w) => [w.text, w.x0, w.x1]),
    [
      ['Total', 100, 125],
      ['Protein', 130, 165],
    ],
  );
  assert.equal(words[0]!.y1 - words[0]!.y0, 10);
  const ocr = pageFromOcrWords(2, 1000, 1400, [
    { text: 'Glucose', confidence: 91, bbox: { x0: 10, y0: 20, x1: 80, y1: 40 } },
    { text: 'x', bbox: { x0: 'bad' } },
  ]);
  assert.deepEqual(ocr.words, [{ text: 'Glucose', x0: 10, y0: 20, x1: 80, y1: 40, confidence: 91 }]);
  const frac = pageFromFractionWords(1, 600, 800, [{ text: 'A', box: { x0: 0.1, y0: 0.1, x1: 0.2, y1: 0.2 } }]);
  assert.deepEqual(frac.words[0], { text: 'A', x0: 60, y0: 80, x1: 120, y1: 160 });
});

// ------------------------------------------------------------------------------------------------
// Running headers and footers
// ------------------------------------------------------------------------------------------------

test('running headers and footers repeat across pages (dates and page numbers differ) and are left out of the body', () => {
  const pages = [1, 2, 3].map((n) =>
    page(n, [
      ...printed(30, [[50, `Riverside Clinic  printed 0${n}/03/2025 10:1${n}`]]),
      ...printed(200 + n * 10, [[50, `Body text of page ${n} which is different on every page`]]),
      ...printed(770, [[50, `Page ${n} of 3`]]),
      ...printed(785, [[50, 'Confidential patient information']]),
    ]),
  );
  const doc = analyseLayout(pages);
  for (const lines of doc.lines) {
    assert.deepEqual(
      lines.filter((l) => l.furniture).map((l) => l.furniture),
      ['header', 'footer', 'footer'],
    );
  }
  assert.equal(doc.body.length, 3);
  assert.ok(doc.body.every((l) => l.text.startsWith('Body text')));
});

test('a line that appears once near the top is not a running header', () => {
  const doc = analyseLayout([
    page(1, [...printed(30, [[50, 'Discharge Summary']]), ...printed(200, [[50, 'Text']])]),
    page(2, [...printed(30, [[50, 'Medication Reconciliation']]), ...printed(200, [[50, 'More text']])]),
  ]);
  assert.equal(doc.body.length, 4);
});

// ------------------------------------------------------------------------------------------------
// Tables
// ------------------------------------------------------------------------------------------------

const header: Array<[number, string]> = [
  [40, 'Test'],
  [220, 'Result'],
  [300, 'Unit'],
  [380, 'Reference Range'],
];

/** A lab row with the result centred under its header (it starts left of the header text). */
function labRow(y: number, name: string, value: string, unit: string, range: string): LayoutWord[] {
  return printed(y, [
    [40, name],
    [235 - value.length * 2.5, value],
    [300, unit],
    [395, range],
  ]);
}

test('a table is rebuilt from column alignment: centred values stay in their column, a wrapped name joins its row', () => {
  const words = [
    ...printed(80, [[40, 'CHEMISTRY PANEL']], { size: 12 }),
    ...printed(100, header),
    ...labRow(118, 'Sodium', '140', 'mmol/L', '135 - 145'),
    ...labRow(136, 'Alanine', '31', 'U/L', '7 - 56'),
    // The name wraps: the second line has only the first column and sits closer than rows do.
    ...printed(146, [[40, 'aminotransferase']]),
    ...labRow(166, 'Creatinine', '1.02', 'mg/dL', '0.60 - 1.30'),
    // The range wraps: a line without the first column joins the row above.
    ...printed(176, [[395, '(adult)']]),
    ...labRow(194, 'Urea', '5.1', 'mmol/L', '2.5 - 7.8'),
    ...printed(240, [[40, 'Results were reviewed by the laboratory director before release.']]),
  ];
  const doc = analyseLayout([page(1, words)]);
  assert.equal(doc.tables.length, 1);
  const t = doc.tables[0]!;
  assert.equal(t.title?.text, 'CHEMISTRY PANEL');
  assert.deepEqual(
    t.columns.map((c) => c.header),
    ['Test', 'Result', 'Unit', 'Reference Range'],
  );
  assert.deepEqual(
    t.rows.map((r) => r.cells.map((c) => c.text)),
    [
      ['Sodium', '140', 'mmol/L', '135 - 145'],
      ['Alanine aminotransferase', '31', 'U/L', '7 - 56'],
      ['Creatinine', '1.02', 'mg/dL', '0.60 - 1.30 (adult)'],
      ['Urea', '5.1', 'mmol/L', '2.5 - 7.8'],
    ],
  );
  assert.equal(t.rows[1]!.lines.length, 2, 'the wrapped row cites both printed lines');
  assert.ok(t.rows.every((r) => r.cells[1]!.column === 'Result' && r.cells[1]!.box));
  // The paragraph after the table is not a row.
  assert.ok(doc.body.some((l) => l.text.startsWith('Results were reviewed')));
});

test('two columns drawn into each other stay two cells (never glued)', () => {
  const words = [...printed(100, header), ...labRow(118, 'eGFR', '78', 'mL/min/1.73m2', '>= 60'), ...labRow(136, 'Sodium', '140', 'mmol/L', '135 - 145')];
  // Make the unit run into the range column, as a long unit does on paper.
  const unit = words.find((w) => w.text === 'mL/min/1.73m2')!;
  unit.x1 = 400;
  const t = analyseLayout([page(1, words)]).tables[0]!;
  assert.deepEqual(
    t.rows[0]!.cells.map((c) => c.text),
    ['eGFR', '78', 'mL/min/1.73m2', '>= 60'],
  );
});

test('a table continues across a page break, after a repeated header or directly at the top of the next page', () => {
  const running = (n: number) => [...printed(30, [[40, 'Riverside Clinic Laboratory']]), ...printed(780, [[40, `Page ${n} of 3`]])];
  const p1 = page(1, [
    ...running(1),
    ...printed(600, header),
    ...labRow(620, 'Sodium', '140', 'mmol/L', '135 - 145'),
    ...labRow(640, 'Potassium', '4.1', 'mmol/L', '3.5 - 5.1'),
  ]);
  // Page 2 repeats the header.
  const p2 = page(2, [
    ...running(2),
    ...printed(80, header),
    ...labRow(100, 'Chloride', '101', 'mmol/L', '98 - 107'),
    ...labRow(120, 'Bicarbonate', '24', 'mmol/L', '22 - 29'),
  ]);
  // Page 3 goes on without a header, then the table ends.
  const p3 = page(3, [
    ...running(3),
    ...labRow(80, 'Urea', '5.1', 'mmol/L', '2.5 - 7.8'),
    ...printed(200, [[40, 'End of report. Results reviewed and released.']]),
  ]);
  const doc = analyseLayout([p1, p2, p3]);
  assert.equal(doc.tables.length, 1);
  const t = doc.tables[0]!;
  assert.deepEqual(t.pages, [1, 2, 3]);
  assert.deepEqual(
    t.rows.map((r) => [r.page, r.cells[0]!.text, r.cells[1]!.text]),
    [
      [1, 'Sodium', '140'],
      [1, 'Potassium', '4.1'],
      [2, 'Chloride', '101'],
      [2, 'Bicarbonate', '24'],
      [3, 'Urea', '5.1'],
    ],
  );
  assert.equal(t.headerLines.length, 2);
});

test('a table goes on after a page break under its repeated title ("continued") and header; a wrapped header names its column', () => {
  const p1 = page(1, [
    ...printed(600, [[40, 'RESULTS']], { size: 12 }),
    ...printed(620, header),
    // The header wraps: "Reference Range" is followed by "(adults)" under it.
    ...printed(628, [[380, '(adults)']]),
    ...labRow(648, 'Sodium', '140', 'mmol/L', '135 - 145'),
  ]);
  const p2 = page(2, [
    ...printed(60, [[40, 'RESULTS (continued)']], { size: 12 }),
    ...printed(80, header),
    ...labRow(100, 'Chloride', '101', 'mmol/L', '98 - 107'),
  ]);
  const doc = analyseLayout([p1, p2]);
  assert.equal(doc.tables.length, 1);
  const t = doc.tables[0]!;
  assert.equal(t.columns[3]!.header, 'Reference Range (adults)');
  assert.deepEqual(
    t.rows.map((r) => [r.page, r.cells[0]!.text]),
    [
      [1, 'Sodium'],
      [2, 'Chloride'],
    ],
  );
});

test('two columns whose lines do not share baselines are still read column by column', () => {
  const left = ['The patient is a 54 year old man', 'who presented with chest pain at', 'rest that began two hours before', 'arrival and radiated to the jaw.'];
  const right = [
    'He takes metformin 1 g twice daily',
    'and atorvastatin 40 mg at night',
    'for diabetes and high cholesterol;',
    'he is allergic to penicillin.',
  ];
  const doc = analyseLayout([
    page(1, [...left.flatMap((t, i) => printed(80 + 14 * i, [[40, t]])), ...right.flatMap((t, i) => printed(87 + 14 * i, [[320, t]]))]),
  ]);
  assert.deepEqual(
    doc.body.map((l) => l.text),
    [...left, ...right],
  );
});

test('label: value lines are not a table, and a table needs rows that line up with its header', () => {
  const doc = analyseLayout([
    page(1, [
      ...printed(100, [
        [40, 'Name:'],
        [200, 'Jane Public'],
      ]),
      ...printed(116, [
        [40, 'Date of Birth:'],
        [200, '01/02/1980'],
      ]),
      ...printed(140, [
        [40, 'Mother'],
        [300, 'Father'],
      ]),
      ...printed(156, [[40, 'Both parents are alive and well and live nearby with the family.']]),
    ]),
  ]);
  assert.equal(doc.tables.length, 0);
});

// ------------------------------------------------------------------------------------------------
// Key–value pairs
// ------------------------------------------------------------------------------------------------

test('key–value pairs by geometry: inline, to the right, below, across a blank line', () => {
  const doc = analyseLayout([
    page(1, [
      ...printed(100, [[40, 'MRN: 0048213']]),
      ...printed(116, [
        [40, 'Allergies on file:'],
        [220, 'Penicillin'],
      ]),
      ...printed(140, [
        [40, 'Bill Date:'],
        [300, 'Insured:'],
      ]),
      ...printed(156, [
        [40, '03/04/2025'],
        [300, 'Jane Public'],
      ]),
      ...printed(190, [[40, 'Date/Time:']]),
      // A blank line, then the value.
      ...printed(222, [[40, '2025-03-04 09:15']]),
      ...printed(260, [[40, 'Signature: ______________']]),
      ...printed(280, [
        [40, 'Haemoglobin (LOINC: 718-7):'],
        [220, '11.8 g/dL'],
        [300, '[Ref: 13.5–17.5]'],
        [420, 'LOW'],
      ]),
    ]),
  ]);
  const kv = Object.fromEntries(doc.keyValues.map((k) => [k.label, [k.value, k.placement]]));
  assert.deepEqual(kv, {
    MRN: ['0048213', 'inline'],
    'Allergies on file': ['Penicillin', 'right'],
    'Bill Date': ['03/04/2025', 'below'],
    Insured: ['Jane Public', 'below'],
    'Date/Time': ['2025-03-04 09:15', 'below-gap'],
    'Haemoglobin (LOINC: 718-7)': ['11.8 g/dL', 'right'],
  });
  // The cells after a value keep their own columns (range, flag).
  assert.deepEqual(doc.keyValues.find((k) => k.label.startsWith('Haemoglobin'))!.after, ['[Ref: 13.5–17.5]', 'LOW']);
  const pair = doc.keyValues.find((k) => k.label === 'Insured')!;
  assert.equal(pair.page, 1);
  assert.ok(pair.valueBox.y0 > pair.labelBox.y1 && Math.abs(pair.valueBox.x0 - 300) < 1);
});

test('a boxed form: small labels at the top left of their boxes, values inside', () => {
  const small = { size: 7 };
  const doc = analyseLayout([
    page(1, [
      ...printed(60, [[40, 'Body text of the form in the usual size so that the document has a body size.']]),
      ...printed(
        100,
        [
          [40, 'PATIENT NAME'],
          [260, 'DATE OF BIRTH'],
          [400, 'MEMBER ID'],
        ],
        small,
      ),
      ...printed(113, [
        [44, 'Public, Jane'],
        [264, '01/02/1980'],
        [404, 'XJH-55821'],
      ]),
      ...printed(
        140,
        [
          [40, 'ADDRESS'],
          [400, 'PHONE'],
        ],
        small,
      ),
      ...printed(153, [
        [44, '12 High Street, Springfield'],
        [404, '555-0100'],
      ]),
    ]),
  ]);
  const kv = Object.fromEntries(doc.keyValues.map((k) => [k.label, [k.value, k.placement]]));
  assert.deepEqual(kv, {
    'PATIENT NAME': ['Public, Jane', 'boxed'],
    'DATE OF BIRTH': ['01/02/1980', 'boxed'],
    'MEMBER ID': ['XJH-55821', 'boxed'],
    ADDRESS: ['12 High Street, Springfield', 'boxed'],
    PHONE: ['555-0100', 'boxed'],
  });
});

// ------------------------------------------------------------------------------------------------
// Sections
// ------------------------------------------------------------------------------------------------

test('sections end at the next heading, when a table starts or ends, and never take the footer', () => {
  const running = (n: number) => [...printed(780, [[40, `Riverside Clinic  Page ${n} of 2`]])];
  const doc = analyseLayout([
    page(1, [
      ...printed(60, [[40, 'PROCEDURES PERFORMED']]),
      ...printed(78, [[40, '• Colonoscopy with biopsy of the sigmoid colon and']]),
      ...printed(90, [[52, 'the transverse colon']]),
      ...printed(102, [[40, '• Upper endoscopy']]),
      ...printed(130, [[40, 'Clinical Summary']], { size: 13 }),
      ...printed(148, [[40, 'The patient tolerated the procedures well and was discharged home.']]),
      ...printed(180, [[40, 'Laboratory:']]),
      ...printed(198, header),
      ...labRow(216, 'Sodium', '140', 'mmol/L', '135 - 145'),
      ...labRow(234, 'Potassium', '4.1', 'mmol/L', '3.5 - 5.1'),
      ...printed(270, [[40, 'Values reviewed with the patient at the bedside before discharge.']]),
      ...running(1),
    ]),
    page(2, [...printed(60, [[40, 'Follow-up visit in two weeks with the surgeon.']]), ...running(2)]),
  ]);
  const summary = doc.sections.map((s) => [s.title, s.lines.length, s.end]);
  assert.deepEqual(summary, [
    ['PROCEDURES PERFORMED', 3, 'heading'],
    ['Clinical Summary', 1, 'heading'],
    ['Laboratory', 3, 'table-end'],
    ['', 2, 'end'],
  ]);
  assert.equal(doc.sections[2]!.tables.length, 1);
  assert.ok(doc.sections.every((s) => s.lines.every((l) => !l.text.includes('Page'))));
  assert.deepEqual(doc.sections[3]!.pages, [1, 2]);
});

test('a bold line of body size is a heading; a sentence in the body is not', () => {
  const doc = analyseLayout([
    page(1, [
      ...printed(60, [[40, 'Plan of care']], { bold: true }),
      ...printed(76, [[40, 'Continue the current medication and review in two weeks.']]),
      ...printed(92, [[40, 'Return sooner if symptoms worsen']]),
    ]),
  ]);
  assert.deepEqual(
    doc.sections.map((s) => [s.title, s.lines.length]),
    [['Plan of care', 2]],
  );
});

// ------------------------------------------------------------------------------------------------
// Two columns
// ------------------------------------------------------------------------------------------------

test('a two-column page is read column by column; a table on the same page is not split into columns', () => {
  const left = ['The patient is a 54 year old man', 'who presented with chest pain at', 'rest that began two hours before', 'arrival and radiated to the jaw.'];
  const right = [
    'He takes metformin 1 g twice daily',
    'and atorvastatin 40 mg at night',
    'for diabetes and high cholesterol;',
    'he is allergic to penicillin.',
  ];
  const words = [
    ...printed(40, [[40, 'History of present illness and current medication review']], { size: 12 }),
    ...left.flatMap((t, i) => printed(80 + 14 * i, [[40, t]])),
    ...right.flatMap((t, i) => printed(80 + 14 * i, [[320, t]])),
    ...printed(160, header),
    ...labRow(178, 'Sodium', '140', 'mmol/L', '135 - 145'),
    ...labRow(196, 'Potassium', '4.1', 'mmol/L', '3.5 - 5.1'),
  ];
  const doc = analyseLayout([page(1, words)]);
  const texts = doc.body.map((l) => l.text);
  assert.deepEqual(texts.slice(1, 9), [...left, ...right]);
  assert.deepEqual(
    doc.body.slice(5, 9).map((l) => l.column),
    [1, 1, 1, 1],
  );
  assert.equal(doc.tables.length, 1);
  assert.equal(doc.tables[0]!.rows.length, 2);
});

// ------------------------------------------------------------------------------------------------
// Real documents (text layer)
// ------------------------------------------------------------------------------------------------

const analysed = new Map<string, Promise<LayoutDocument>>();
function corpus(file: string): Promise<LayoutDocument> {
  let p = analysed.get(file);
  if (!p) {
    p = readLayoutPages(new Uint8Array(readFileSync(CORPUS + file))).then((pages) => analyseLayout(pages));
    analysed.set(file, p);
  }
  return p;
}

const UNIT = /^(%|[a-zµμ]*\/[a-z0-9.]+|g\/dl|fl|pg|mm\/hr|[mµμu]?[gl]|u\/l|meq\/l)$/i;

test('corpus: a three-page lab report gives its 36 results, none with a unit in the Result column, and the panel split by a page break keeps its title', async () => {
  const doc = await corpus('healthfirst_lab_report_3p.pdf');
  const truth = JSON.parse(readFileSync(CORPUS + 'healthfirst_lab_report_3p.pdf.truth.json', 'utf8')) as {
    tests: Array<{ name: string; value: string; unit: string }>;
  };
  const rows = doc.tables.flatMap((t) => t.rows);
  assert.equal(rows.length, truth.tests.length);
  const results = rows.map((r) => r.cells.find((c) => /result/i.test(c.column))!.text);
  assert.ok(
    results.every((v) => /^\d[\d.,]*$/.test(v)),
    `results: ${results.join(', ')}`,
  );
  assert.ok(results.every((v) => !UNIT.test(v)));
  // Each printed row reads back as the truth has it.
  const byName = new Map(rows.map((r) => [r.cells[0]!.text, r]));
  for (const t of truth.tests) {
    const r = byName.get(t.name);
    assert.ok(r, `row ${t.name}`);
    assert.equal(r.cells[1]!.text, t.value);
    assert.equal(r.cells[2]!.text, t.unit);
  }
  // Headings in bold type are known as bold (from the fonts' names).
  assert.equal(doc.body.find((l) => l.text === 'PATIENT INFORMATION')?.bold, true);
  const lipid = doc.tables.find((t) => t.title?.text === 'LIPID PANEL');
  assert.ok(lipid && lipid.pages.includes(2) && lipid.rows.length === 5);
  // The letterhead and "Page n/3" repeat on every page and are left out.
  assert.ok(doc.body.every((l) => !/^Page \d\/3$/.test(l.text) && l.text !== 'NABL Accredited | ISO 15189:2012 Certified'));
  // Patient fields by geometry.
  const kv = new Map(doc.keyValues.map((k) => [k.label, k.value]));
  assert.equal(kv.get('Patient Name'), 'Rahul Sharma');
  assert.equal(kv.get('Sample Collected'), '27-Feb-2026, 02:25 PM');
});

test('corpus: a lab table whose unit runs into the next column keeps unit and range apart', async () => {
  const doc = await corpus('agentforge_lab_report.pdf');
  assert.equal(doc.tables.length, 1);
  const rows = doc.tables[0]!.rows;
  assert.equal(rows.length, 8);
  const egfr = rows.find((r) => r.cells[0]!.text === 'eGFR')!;
  assert.deepEqual(
    egfr.cells.map((c) => c.text),
    ['eGFR', '78', 'mL/min/1.73m2', '>= 60', 'N'],
  );
});

test('corpus: a discharge summary splits into its sections, each ending at the next heading', async () => {
  const doc = await corpus('rcn_discharge_summary.pdf');
  const titles = doc.sections.map((s) => s.title);
  for (const t of ['Patient Information', 'Final Diagnoses', 'Procedures Performed', 'Clinical Summary', 'Discharge Medications', 'Follow-up Instructions'])
    assert.ok(titles.includes(t), t);
  const procedures = doc.sections.find((s) => s.title === 'Procedures Performed')!;
  assert.equal(procedures.lines.length, 3);
  assert.ok(procedures.lines.every((l) => l.text.startsWith('•')));
  assert.equal(doc.sections.find((s) => s.title === 'Discharge Medications')!.lines.length, 4);
});

test('corpus: forms give their fields: an intake form (label: value) and a consent form with captions under the values', async () => {
  const intake = new Map((await corpus('agentforge_intake_form.pdf')).keyValues.map((k) => [k.label, k.value]));
  assert.equal(intake.get('First Name'), 'Farrah');
  assert.equal(intake.get('Date of Birth'), '06/14/1972');
  const consent = (await corpus('azure_vaccine_consent_form_filled.pdf')).keyValues;
  const get = (label: string) => consent.find((k) => k.label === label);
  assert.equal(get('Last Name')?.value, 'Cage');
  assert.equal(get('First Name')?.value, 'Jamie');
  assert.equal(get('Date of Birth')?.value, '04/14/1995');
  assert.equal(get('City')?.value, 'Pittsburgh');
  assert.equal(get('Last Name')?.placement, 'caption');
});
