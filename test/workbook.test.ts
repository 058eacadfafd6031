/**
 * Export (pipeline step 4): build workbooks from hand-written extractions, read them back with exceljs
 * and check what a user opening the file would notice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { parseIsoDate, safeText } from '../library/export/cells.js';
import { extractionToJson } from '../library/export/json.js';
import { buildCombinedWorkbook, buildWorkbook, type WorkbookSource } from '../library/export/workbook.js';
import { applyCorrection } from '../library/review/corrections.js';
import { emptyExtraction, VALUE_CHECK_LABELS, type Evidence, type Extraction } from '../core/contract/extraction.js';

const ev = (page: number, quote: string, found = true): Evidence => ({ page, quote, found });

function labExtraction(): Extraction {
  const x = emptyExtraction();
  x.document.type = { value: 'lab_report', evidence: ev(1, 'LABORATORY REPORT'), confidence: 0.95 };
  x.document.date = { value: '2024-03-05', evidence: ev(1, 'Report date: 05/03/2024'), confidence: 0.9 };
  x.document.facility = { value: '=HYPERLINK("http://evil.example","click")', evidence: ev(1, 'St. Elsewhere'), confidence: 0.9 };
  x.document.author = { value: 'Dr. A. Smith', evidence: ev(1, 'Dr. A. Smith'), confidence: 0.5 }; // low confidence
  x.patient.name = { value: 'Jane Doe', evidence: ev(1, 'Patient: Jane Doe'), confidence: 0.99 };
  x.patient.date_of_birth = { value: '1980-07-14', evidence: ev(1, 'DOB 14/07/1980'), confidence: 0.97 };
  x.patient.sex = { value: 'F', evidence: ev(1, 'Sex: F'), confidence: 0.9 };
  // mrn stays empty (null, no evidence, confidence 0): not a flagged value
  x.diagnoses.push({
    description: '=HYPERLINK("http://evil.example","click")',
    icd10: 'E11.9',
    status: 'active',
    evidence: ev(2, 'Type 2 diabetes'),
    confidence: 0.9,
  });
  x.medications.push({
    name: '+1',
    strength: '-cmd',
    form: null,
    instructions: null,
    duration: null,
    quantity: null,
    route: 'oral',
    frequency: 'BID',
    status: null,
    evidence: ev(2, '- Metformin 500 mg BID'),
    confidence: 0.85,
  });
  x.lab_results.push(
    {
      panel: null,
      panel_loinc: null,
      loinc: '6690-2',
      specimen: null,
      test: 'WBC',
      value: 14200,
      unit: '/uL',
      reference_range: '4,000-11,000',
      flag: 'H',
      collected_at: '2024-03-01T08:30:00',
      evidence: ev(2, 'WBC 14,200 H'),
      confidence: 0.95,
    },
    {
      panel: null,
      panel_loinc: null,
      loinc: null,
      specimen: null,
      test: 'Base excess',
      value: -5,
      unit: 'mmol/L',
      reference_range: '-2 to 2',
      flag: 'L',
      collected_at: '2024-03-01',
      evidence: ev(2, 'Base excess -5'),
      confidence: 0.9,
    },
    {
      panel: null,
      panel_loinc: null,
      loinc: null,
      specimen: null,
      test: 'Hemoglobin',
      value: 13.5,
      unit: 'g/dL',
      reference_range: '12-16',
      flag: 'normal',
      collected_at: null,
      evidence: ev(2, 'Hgb 13.5'),
      confidence: 0.3,
    },
    {
      panel: null,
      panel_loinc: null,
      loinc: null,
      specimen: null,
      test: 'Potassium',
      value: 4.1,
      unit: 'mmol/L',
      reference_range: '3.5-5.1',
      flag: 'normal',
      collected_at: null,
      evidence: ev(3, 'K 4.1', false),
      confidence: 0.92,
    },
    {
      panel: null,
      panel_loinc: null,
      loinc: null,
      specimen: null,
      test: 'Culture',
      value: 'Positive',
      unit: null,
      reference_range: null,
      flag: 'abnormal',
      collected_at: 'last week',
      evidence: ev(3, 'Culture: Positive'),
      confidence: 0.8,
    },
  );
  x.vitals.push(
    { name: 'Blood pressure', value: '120/80', unit: 'mmHg', taken_at: '2024-03-01T08:00', evidence: ev(1, 'BP 120/80'), confidence: 0.9 },
    { name: 'Temperature', value: 37.2, unit: '°C', taken_at: null, evidence: ev(1, 'T 37.2'), confidence: 0.9 },
  );
  x.procedures.push({ name: 'Appendectomy', code: null, date: '2019-06-01', evidence: ev(3, 'Appendectomy 2019'), confidence: 0.8 });
  x.allergies.push({ substance: '@SUM(1+1)', reaction: 'rash', severity: null, evidence: ev(1, 'Allergy: penicillin (rash)'), confidence: 0.9 });
  return x;
}

function source(extraction: Extraction, filename = 'cbc-jane.pdf', jobId = 'job-1'): WorkbookSource {
  return {
    jobId,
    filename,
    schemaVersion: 'v2',
    pageCount: 3,
    pageSources: [
      { page: 1, source: 'text_layer' },
      { page: 2, source: 'ocr', ocrConfidence: 88 },
      { page: 3, source: 'ocr', ocrConfidence: 71 },
    ],
    provider: 'openai',
    model: 'gpt-test',
    warnings: [],
    needsReview: false,
    extractedAt: new Date('2024-03-06T10:15:30Z'),
    extraction,
  };
}

async function load(buf: Buffer): Promise<ExcelJS.Workbook> {
  assert.ok(Buffer.isBuffer(buf), 'a Buffer');
  assert.equal(buf.subarray(0, 2).toString('latin1'), 'PK', 'an xlsx (zip) file');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ExcelJS.Buffer);
  return wb;
}

function sheet(wb: ExcelJS.Workbook, name: string): ExcelJS.Worksheet {
  const ws = wb.getWorksheet(name);
  assert.ok(ws, `sheet ${name} exists`);
  return ws;
}

function headers(ws: ExcelJS.Worksheet): string[] {
  const out: string[] = [];
  ws.getRow(1).eachCell({ includeEmpty: true }, (c, col) => {
    out[col - 1] = String(c.value);
  });
  return out;
}

/** The cell under header `header` in data row `row` (1 = first row after the header). */
function cellAt(ws: ExcelJS.Worksheet, row: number, header: string): ExcelJS.Cell {
  const col = headers(ws).indexOf(header);
  assert.ok(col >= 0, `column ${header} in ${ws.name} (have ${headers(ws).join(', ')})`);
  return ws.getRow(row + 1).getCell(col + 1);
}

/** The data row (1-based, after the header) whose `header` column equals `value`. */
function rowWhere(ws: ExcelJS.Worksheet, header: string, value: unknown): number {
  for (let r = 1; r < ws.rowCount; r++) if (cellAt(ws, r, header).value === value) return r;
  assert.fail(`no row in ${ws.name} with ${header} = ${String(value)}`);
}

const fillOf = (c: ExcelJS.Cell): string | undefined => (c.fill as ExcelJS.FillPattern | undefined)?.fgColor?.argb;

const SECTION_SHEETS = ['Diagnoses', 'Medications', 'Lab Results', 'Vitals', 'Procedures', 'Allergies', 'Immunizations', 'Claim Lines'];

test('sheets are Summary, one per section, and Fields; each has a frozen bold header and an autofilter', async () => {
  const wb = await load(await buildWorkbook(source(labExtraction())));
  assert.deepEqual(
    wb.worksheets.map((w) => w.name),
    ['Summary', ...SECTION_SHEETS, 'Encounter', 'Fields', 'Pages'],
  );
  for (const ws of wb.worksheets) {
    const view = ws.views[0];
    assert.equal(view?.state, 'frozen', `${ws.name} header frozen`);
    assert.equal(view?.state === 'frozen' ? view.ySplit : undefined, 1, `${ws.name} freezes exactly the header row`);
    assert.equal(ws.getRow(1).getCell(1).font?.bold, true, `${ws.name} header bold`);
    const lastCol = ws.getRow(1).cellCount;
    const lastLetter = ws.getColumn(lastCol).letter;
    assert.equal(String(ws.autoFilter), `A1:${lastLetter}${ws.rowCount}`, `${ws.name} autofilter over the data range`);
  }
  const lab = sheet(wb, 'Lab Results');
  assert.deepEqual(headers(lab), [
    'Panel',
    'Panel LOINC (printed)',
    'Test',
    'LOINC (printed)',
    'LOINC (mapped, confidence)',
    'Value',
    'Unit',
    'UCUM',
    'Reference range',
    'Low',
    'High',
    'H/L',
    'H/L (computed)',
    'Specimen',
    'Collected at',
    'Page',
    'Quote',
    'Confidence',
    'Check',
    'Review',
  ]);
  assert.equal(lab.rowCount, 6);
  assert.equal(cellAt(lab, 1, 'Quote').alignment?.wrapText, true, 'quotes wrap');
  const quoteWidth = lab.getColumn(headers(lab).indexOf('Quote') + 1).width ?? 0;
  assert.ok(quoteWidth >= 30 && quoteWidth <= 80, `quote column has a readable width (${quoteWidth})`);
  assert.equal(wb.creator, 'MedExtract');
  assert.ok(wb.created instanceof Date && !Number.isNaN(wb.created.getTime()), 'created date set');
});

test('cells are typed: numbers, dates, pages and confidences', async () => {
  const wb = await load(await buildWorkbook(source(labExtraction())));
  const lab = sheet(wb, 'Lab Results');

  const wbc = rowWhere(lab, 'Test', 'WBC');
  const value = cellAt(lab, wbc, 'Value');
  assert.equal(value.type, ExcelJS.ValueType.Number);
  assert.equal(value.value, 14200);
  const code = cellAt(lab, wbc, 'LOINC (printed)');
  assert.equal(code.type, ExcelJS.ValueType.String, 'a printed code stays text (never a date or a number)');
  assert.equal(code.value, '6690-2');
  assert.equal(cellAt(lab, rowWhere(lab, 'Test', 'Base excess'), 'LOINC (printed)').value, null, 'no code printed: an empty cell');
  assert.ok(value.numFmt && value.numFmt !== 'General' && /0/.test(value.numFmt), `numeric format (${value.numFmt})`);
  const hgb = cellAt(lab, rowWhere(lab, 'Test', 'Hemoglobin'), 'Value');
  assert.equal(hgb.value, 13.5);
  assert.match(hgb.numFmt, /\.0$/, 'one decimal shown as written');
  assert.equal(cellAt(lab, rowWhere(lab, 'Test', 'Culture'), 'Value').value, 'Positive', 'text results stay text');
  assert.equal(cellAt(lab, rowWhere(lab, 'Test', 'Culture'), 'Collected at').value, 'last week', 'non-ISO dates stay as written');

  const collected = cellAt(lab, wbc, 'Collected at');
  assert.equal(collected.type, ExcelJS.ValueType.Date);
  assert.ok(collected.value instanceof Date);
  assert.equal(collected.value.toISOString(), '2024-03-01T08:30:00.000Z', 'wall-clock time as written');
  assert.match(collected.numFmt, /yyyy-mm-dd hh:mm/);
  const dateOnly = cellAt(lab, rowWhere(lab, 'Test', 'Base excess'), 'Collected at');
  assert.ok(dateOnly.value instanceof Date);
  assert.equal(dateOnly.value.toISOString(), '2024-03-01T00:00:00.000Z');
  assert.equal(dateOnly.numFmt, 'yyyy-mm-dd');

  const page = cellAt(lab, wbc, 'Page');
  assert.equal(page.type, ExcelJS.ValueType.Number);
  assert.equal(page.value, 2);
  const conf = cellAt(lab, wbc, 'Confidence');
  assert.equal(conf.value, 0.95);
  assert.equal(conf.numFmt, '0%');

  const proc = cellAt(sheet(wb, 'Procedures'), 1, 'Date');
  assert.ok(proc.value instanceof Date);
  assert.equal(proc.value.toISOString(), '2019-06-01T00:00:00.000Z');
  assert.equal(cellAt(sheet(wb, 'Vitals'), rowWhere(sheet(wb, 'Vitals'), 'Name', 'Temperature'), 'Value').value, 37.2);
  assert.equal(cellAt(sheet(wb, 'Vitals'), rowWhere(sheet(wb, 'Vitals'), 'Name', 'Blood pressure'), 'Value').value, '120/80');
});

test('low-confidence values and unverified quotes are flagged in words, filled, and counted', async () => {
  const wb = await load(await buildWorkbook(source(labExtraction())));
  const lab = sheet(wb, 'Lab Results');

  const ok = rowWhere(lab, 'Test', 'WBC');
  assert.equal(cellAt(lab, ok, 'Check').value, null, 'a confident, verified value is not flagged');
  assert.equal(fillOf(cellAt(lab, ok, 'Test')), undefined, 'and not filled');

  const low = rowWhere(lab, 'Test', 'Hemoglobin');
  assert.equal(cellAt(lab, low, 'Check').value, 'low confidence');
  assert.ok(fillOf(cellAt(lab, low, 'Test')), 'low-confidence row filled');
  assert.ok(fillOf(cellAt(lab, low, 'Value')), 'across the row');

  const unverified = rowWhere(lab, 'Test', 'Potassium');
  assert.equal(cellAt(lab, unverified, 'Check').value, VALUE_CHECK_LABELS.quote_not_on_page);
  assert.ok(fillOf(cellAt(lab, unverified, 'Test')), 'unverified row filled');
  assert.notEqual(fillOf(cellAt(lab, unverified, 'Test')), fillOf(cellAt(lab, low, 'Test')), 'a missing quote looks different from low confidence');

  const fields = sheet(wb, 'Fields');
  assert.equal(fields.rowCount, 16, 'fifteen single values: document, patient, insurance, claim totals');
  assert.equal(sheet(wb, 'Encounter').rowCount, 5, 'admission, discharge, attending, ward');
  const author = rowWhere(fields, 'Field', 'Author');
  assert.equal(cellAt(fields, author, 'Check').value, 'low confidence');
  const mrn = rowWhere(fields, 'Field', 'MRN');
  assert.equal(cellAt(fields, mrn, 'Value').value, null);
  assert.equal(cellAt(fields, mrn, 'Check').value, null, 'an empty field is not a flagged value');

  const summary = sheet(wb, 'Summary');
  assert.equal(summary.rowCount, 2, 'one row for one document');
  assert.equal(cellAt(summary, 1, 'Flagged values').value, 3, 'Hemoglobin, Potassium, Author');

  // The threshold is an option: at 0.2 neither Hemoglobin (0.3) nor Author (0.5) is low.
  const relaxed = await load(await buildWorkbook(source(labExtraction()), { lowConfidence: 0.2 }));
  const rlab = sheet(relaxed, 'Lab Results');
  assert.equal(cellAt(rlab, rowWhere(rlab, 'Test', 'Hemoglobin'), 'Check').value, null);
  assert.equal(cellAt(sheet(relaxed, 'Summary'), 1, 'Flagged values').value, 1);
  await assert.rejects(buildWorkbook(source(labExtraction()), { lowConfidence: 60 }), RangeError);
});

test('formula-like strings are neutralised; genuine negative numbers stay numbers', async () => {
  const x = labExtraction();
  const wb = await load(await buildWorkbook(source(x, '=cmd|calc.pdf')));

  assert.equal(cellAt(sheet(wb, 'Diagnoses'), 1, 'Description').value, `'=HYPERLINK("http://evil.example","click")`);
  const meds = sheet(wb, 'Medications');
  assert.equal(cellAt(meds, 1, 'Name').value, "'+1");
  assert.equal(cellAt(meds, 1, 'Strength').value, "'-cmd");
  assert.equal(cellAt(meds, 1, 'Quote').value, "'- Metformin 500 mg BID", 'quotes too');
  assert.equal(cellAt(sheet(wb, 'Allergies'), 1, 'Substance').value, "'@SUM(1+1)");
  const fields = sheet(wb, 'Fields');
  assert.equal(cellAt(fields, rowWhere(fields, 'Field', 'Facility'), 'Value').value, `'=HYPERLINK("http://evil.example","click")`);
  const summary = sheet(wb, 'Summary');
  assert.equal(cellAt(summary, 1, 'File name').value, "'=cmd|calc.pdf");
  assert.equal(cellAt(summary, 1, 'Facility').value, `'=HYPERLINK("http://evil.example","click")`);

  const lab = sheet(wb, 'Lab Results');
  const be = cellAt(lab, rowWhere(lab, 'Test', 'Base excess'), 'Value');
  assert.equal(be.type, ExcelJS.ValueType.Number);
  assert.equal(be.value, -5);
  assert.equal(cellAt(lab, rowWhere(lab, 'Test', 'Base excess'), 'Reference range').value, "'-2 to 2");

  // Nowhere in the workbook: a formula cell, or a string a spreadsheet would evaluate.
  for (const ws of wb.worksheets) {
    ws.eachRow((row) => {
      row.eachCell((c) => {
        assert.notEqual(c.type, ExcelJS.ValueType.Formula, `${ws.name}!${c.address} is not a formula`);
        if (typeof c.value === 'string') assert.doesNotMatch(c.value, /^[=+\-@\t\r]/, `${ws.name}!${c.address} = ${c.value}`);
      });
    });
  }

  assert.equal(safeText('\tx'), "'\tx");
  assert.equal(safeText('\r=1'), "'\r=1");
  assert.equal(safeText('  =1+1'), "'  =1+1");
  assert.equal(safeText('Jane Doe'), 'Jane Doe');
  assert.equal(safeText('a-b=c'), 'a-b=c', 'only a leading sign matters');
});

test('numeric strings in value columns become numbers; dates are validated', async () => {
  const x = emptyExtraction();
  x.lab_results.push(
    {
      panel: null,
      panel_loinc: null,
      loinc: null,
      specimen: null,
      test: 'pH delta',
      value: '-5',
      unit: null,
      reference_range: null,
      flag: null,
      collected_at: '2024-02-30',
      evidence: ev(1, 'pH'),
      confidence: 0.9,
    },
    {
      panel: null,
      panel_loinc: null,
      loinc: null,
      specimen: null,
      test: 'Creatinine',
      value: '1.50',
      unit: 'mg/dL',
      reference_range: null,
      flag: null,
      collected_at: '2024-02-29T23:59:59Z',
      evidence: ev(1, 'Cr'),
      confidence: 0.9,
    },
    {
      panel: null,
      panel_loinc: null,
      loinc: null,
      specimen: null,
      test: 'Titer',
      value: '-cmd',
      unit: null,
      reference_range: null,
      flag: null,
      collected_at: null,
      evidence: ev(1, 'Titer'),
      confidence: 0.9,
    },
  );
  const lab = sheet(await load(await buildWorkbook(source(x))), 'Lab Results');
  assert.equal(cellAt(lab, 1, 'Value').value, -5);
  assert.equal(cellAt(lab, 1, 'Collected at').value, '2024-02-30', 'an impossible date stays text');
  assert.equal(cellAt(lab, 2, 'Value').value, 1.5);
  assert.match(cellAt(lab, 2, 'Value').numFmt, /\.00$/, 'trailing zero kept by the format');
  const dt = cellAt(lab, 2, 'Collected at');
  assert.ok(dt.value instanceof Date);
  assert.equal(dt.value.toISOString(), '2024-02-29T23:59:59.000Z');
  assert.match(dt.numFmt, /hh:mm:ss/);
  assert.equal(cellAt(lab, 3, 'Value').value, "'-cmd");

  assert.equal(parseIsoDate('2023-02-29'), null);
  assert.equal(parseIsoDate('1899-12-31'), null, 'before Excel dates are reliable');
  assert.equal(parseIsoDate('03/01/2024'), null);
  assert.equal(parseIsoDate('2024-03-01T08:30+02:00')?.date.toISOString(), '2024-03-01T08:30:00.000Z');
});

test('empty extraction: every sheet is there with its header only', async () => {
  const wb = await load(await buildWorkbook({ ...source(emptyExtraction()), pageSources: undefined, model: null }));
  for (const name of SECTION_SHEETS) {
    const ws = sheet(wb, name);
    assert.equal(ws.rowCount, 1, `${name} header only`);
    assert.ok(headers(ws).includes('Check'));
    assert.match(String(ws.autoFilter), /^A1:[A-Z]+1$/);
  }
  const summary = sheet(wb, 'Summary');
  assert.equal(cellAt(summary, 1, 'Flagged values').value, 0);
  assert.equal(cellAt(summary, 1, 'Lab Results').value, 0);
  assert.equal(cellAt(summary, 1, 'Pages from OCR').value, null, 'unknown, not zero');
  assert.equal(sheet(wb, 'Fields').rowCount, 16);
});

test('summary row describes the document', async () => {
  const wb = await load(await buildWorkbook(source(labExtraction())));
  const s = sheet(wb, 'Summary');
  assert.equal(cellAt(s, 1, 'File name').value, 'cbc-jane.pdf');
  assert.equal(cellAt(s, 1, 'Document type').value, 'Lab report');
  assert.equal(cellAt(s, 1, 'Patient name').value, 'Jane Doe');
  const dob = cellAt(s, 1, 'Date of birth').value;
  assert.ok(dob instanceof Date);
  assert.equal(dob.toISOString().slice(0, 10), '1980-07-14');
  assert.equal(cellAt(s, 1, 'Pages').value, 3);
  assert.equal(cellAt(s, 1, 'Pages from text layer').value, 1);
  assert.equal(cellAt(s, 1, 'Pages from OCR').value, 2);
  assert.equal(cellAt(s, 1, 'Provider').value, 'openai');
  assert.equal(cellAt(s, 1, 'Model').value, 'gpt-test');
  const at = cellAt(s, 1, 'Extracted at (UTC)').value;
  assert.ok(at instanceof Date);
  assert.equal(at.toISOString(), '2024-03-06T10:15:30.000Z');
  const counts = ['Diagnoses', 'Medications', 'Lab Results', 'Vitals', 'Procedures', 'Allergies'].map((h) => cellAt(s, 1, h).value);
  assert.deepEqual(counts, [1, 1, 5, 2, 1, 1]);
});

test('combined workbook: one Summary row per document, section rows stacked behind a Document column', async () => {
  const b = emptyExtraction();
  b.document.type = { value: 'prescription', evidence: ev(1, 'Rx'), confidence: 0.9 };
  b.medications.push({
    name: 'Amoxicillin',
    strength: '500 mg',
    form: null,
    instructions: null,
    duration: null,
    quantity: null,
    route: 'oral',
    frequency: 'TID',
    status: 'active',
    evidence: ev(1, 'Amoxicillin 500', false),
    confidence: 0.9,
  });
  b.lab_results.push({
    panel: null,
    panel_loinc: null,
    loinc: null,
    specimen: null,
    test: 'CRP',
    value: 12,
    unit: 'mg/L',
    reference_range: '<5',
    flag: 'H',
    collected_at: null,
    evidence: ev(1, 'CRP 12'),
    confidence: 0.9,
  });
  const docs = [source(labExtraction(), 'a.pdf', 'job-a'), source(b, '@b.pdf', 'job-b')];
  const wb = await load(await buildCombinedWorkbook(docs));

  assert.deepEqual(
    wb.worksheets.map((w) => w.name),
    ['Summary', ...SECTION_SHEETS, 'Encounter', 'Fields', 'Pages'],
  );
  const s = sheet(wb, 'Summary');
  assert.equal(s.rowCount, 3, 'header + one row per document');
  assert.deepEqual([cellAt(s, 1, 'File name').value, cellAt(s, 2, 'File name').value], ['a.pdf', "'@b.pdf"]);
  assert.deepEqual([cellAt(s, 1, 'Flagged values').value, cellAt(s, 2, 'Flagged values').value], [3, 1]);
  assert.deepEqual([cellAt(s, 1, 'Lab Results').value, cellAt(s, 2, 'Lab Results').value], [5, 1]);

  const lab = sheet(wb, 'Lab Results');
  assert.equal(headers(lab)[0], 'Document');
  assert.equal(lab.rowCount, 1 + 5 + 1);
  const docCol = [...Array(lab.rowCount - 1).keys()].map((i) => cellAt(lab, i + 1, 'Document').value);
  assert.deepEqual(docCol, ['a.pdf', 'a.pdf', 'a.pdf', 'a.pdf', 'a.pdf', "'@b.pdf"]);
  const crp = rowWhere(lab, 'Test', 'CRP');
  assert.equal(cellAt(lab, crp, 'Value').value, 12);
  assert.equal(String(lab.autoFilter), `A1:${lab.getColumn(headers(lab).length).letter}7`);

  const meds = sheet(wb, 'Medications');
  assert.equal(meds.rowCount, 3);
  const amox = rowWhere(meds, 'Name', 'Amoxicillin');
  assert.equal(cellAt(meds, amox, 'Document').value, "'@b.pdf");
  assert.equal(cellAt(meds, amox, 'Check').value, VALUE_CHECK_LABELS.quote_not_on_page);

  const fields = sheet(wb, 'Fields');
  assert.equal(headers(fields)[0], 'Document');
  assert.equal(fields.rowCount, 1 + 15 + 15);
  assert.equal(sheet(wb, 'Encounter').rowCount, 1 + 4 + 4);
  assert.equal(headers(sheet(wb, 'Encounter'))[0], 'Document');

  const none = await load(await buildCombinedWorkbook([]));
  assert.equal(sheet(none, 'Summary').rowCount, 1, 'an empty batch still has its headers');
});

test('verified values: one plain-words Check column lists every reason; the Summary shows warnings; Pages shows OCR confidence', async () => {
  const x = labExtraction();
  x.lab_results[0]!.reasons = ['value_not_in_quote', 'flag_contradicts_range'];
  x.lab_results[1]!.reasons = [];
  x.patient.date_of_birth.reasons = ['implausible_date'];
  const doc = {
    ...source(x),
    needsReview: true,
    warnings: [{ code: 'low_ocr_confidence' as const, message: 'OCR was unsure of page 3 (mean word confidence 41%)', page: 3 }],
  };
  const wb = await load(await buildWorkbook(doc));
  const lab = sheet(wb, 'Lab Results');
  const wbc = rowWhere(lab, 'Test', 'WBC');
  assert.equal(cellAt(lab, wbc, 'Check').value, `${VALUE_CHECK_LABELS.value_not_in_quote}; ${VALUE_CHECK_LABELS.flag_contradicts_range}`);
  assert.ok(fillOf(cellAt(lab, wbc, 'Test')), 'a failed check fills the row');
  assert.equal(cellAt(lab, wbc, 'H/L').value, 'H', "the lab's own flag keeps its own column");
  assert.equal(cellAt(lab, rowWhere(lab, 'Test', 'Base excess'), 'Check').value, null, 'verified with no reasons: nothing to check');
  assert.ok(!headers(lab).includes('Flag') && !headers(lab).includes('Result flag'), 'no look-alike flag columns');
  const fields = sheet(wb, 'Fields');
  assert.equal(cellAt(fields, rowWhere(fields, 'Field', 'Date of birth'), 'Check').value, VALUE_CHECK_LABELS.implausible_date);

  const summary = sheet(wb, 'Summary');
  assert.equal(cellAt(summary, 1, 'Needs review').value, 'Yes');
  assert.match(String(cellAt(summary, 1, 'Warnings').value), /^page 3: OCR was unsure of page 3/);
  assert.equal(cellAt(summary, 1, 'Lowest OCR confidence').value, 71);
  assert.ok(fillOf(cellAt(summary, 1, 'Warnings')), 'warnings stand out');

  const pages = sheet(wb, 'Pages');
  assert.deepEqual(headers(pages), ['Page', 'Read from', 'OCR confidence']);
  assert.deepEqual(
    [1, 2, 3].map((r) => [cellAt(pages, r, 'Page').value, cellAt(pages, r, 'Read from').value, cellAt(pages, r, 'OCR confidence').value]),
    [
      [1, 'text layer', null],
      [2, 'OCR', 88],
      [3, 'OCR', 71],
    ],
  );
  const plain = await load(await buildWorkbook(source(labExtraction())));
  assert.equal(cellAt(sheet(plain, 'Summary'), 1, 'Needs review').value, 'No');
  assert.equal(cellAt(sheet(plain, 'Summary'), 1, 'Warnings').value, null);
});

test('extractionToJson: the same data with its evidence, detached from the input', () => {
  const doc = source(labExtraction());
  const json = extractionToJson(doc);
  assert.equal(json.schema_version, 'v2');
  assert.equal(json.made_with_schema, 'v2');
  assert.equal(json.job_id, 'job-1');
  assert.equal(json.filename, 'cbc-jane.pdf');
  assert.equal(json.page_count, 3);
  assert.equal(json.provider, 'openai');
  assert.equal(json.model, 'gpt-test');
  assert.equal(json.extracted_at, '2024-03-06T10:15:30.000Z');
  assert.deepEqual(
    json.page_sources?.map((p) => p.source),
    ['text_layer', 'ocr', 'ocr'],
  );
  assert.deepEqual(json.lab_results, doc.extraction.lab_results);
  assert.deepEqual(json.patient.date_of_birth, { value: '1980-07-14', evidence: ev(1, 'DOB 14/07/1980'), confidence: 0.97 });
  assert.equal(json.lab_results[3]?.evidence.found, false);
  for (const k of ['document', 'patient', 'diagnoses', 'medications', 'lab_results', 'vitals', 'procedures', 'allergies']) {
    assert.ok(k in json, k);
  }
  json.lab_results[0]!.value = 1;
  assert.equal(doc.extraction.lab_results[0]?.value, 14200, 'a copy, not the input');
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json, 'plain JSON');
});

test('a reviewed result says so: version, state and approver in the Summary; who corrected what in each row; rejected rows struck through', async () => {
  const at = new Date('2026-12-03T10:00:00Z');
  const ctx = { by: 'rita', at, pageCount: 2 };
  const v1 = applyCorrection(labExtraction(), [{ op: 'replace', path: '/lab_results/0/unit', value: 'cells/uL' }], ctx).next;
  const v2 = applyCorrection(
    v1,
    [
      { op: 'replace', path: '/patient/name/value', value: 'Jane A. Doe' },
      { op: 'replace', path: '/diagnoses/0/review/state', value: 'rejected' },
      { op: 'replace', path: '/patient/sex/review/state', value: 'accepted' },
    ],
    ctx,
  ).next;
  const wb = await load(await buildWorkbook({ ...source(v2), review: { version: 2, state: 'approved', approvedBy: 'rita', approvedAt: at } }));
  const summary = sheet(wb, 'Summary');
  assert.equal(cellAt(summary, 1, 'Result version').value, 2);
  assert.equal(cellAt(summary, 1, 'Review state').value, 'Approved');
  assert.equal(cellAt(summary, 1, 'Approved by').value, 'rita');
  assert.equal(cellAt(summary, 1, 'Corrected values').value, 2);
  assert.equal(cellAt(summary, 1, 'Rejected values').value, 1);

  const lab = sheet(wb, 'Lab Results');
  const wbc = rowWhere(lab, 'Test', 'WBC');
  assert.equal(cellAt(lab, wbc, 'Unit').value, 'cells/uL');
  assert.equal(cellAt(lab, wbc, 'Review').value, 'corrected by rita; machine read unit: /uL');
  const fields = sheet(wb, 'Fields');
  const name = rowWhere(fields, 'Field', 'Name');
  assert.equal(cellAt(fields, name, 'Value').value, 'Jane A. Doe');
  assert.equal(cellAt(fields, name, 'Review').value, 'corrected by rita; machine read Jane Doe');
  assert.equal(cellAt(fields, rowWhere(fields, 'Field', 'Sex'), 'Review').value, 'accepted by rita');
  const dx = sheet(wb, 'Diagnoses');
  assert.equal(cellAt(dx, 1, 'Review').value, 'rejected by rita');
  assert.equal(cellAt(dx, 1, 'ICD-10').font?.strike, true, 'a rejected row is struck through');

  const json = extractionToJson({ ...source(v2), review: { version: 2, state: 'approved', approvedBy: 'rita', approvedAt: at } });
  assert.equal(json.version, 2);
  assert.equal(json.review_state, 'approved');
  assert.equal(json.approved_by, 'rita');
  assert.equal((json.patient.name.review?.original as { value: string }).value, 'Jane Doe', "the JSON keeps the machine's value");
});

test('lab semantics in the workbook and the JSON: UCUM unit, numeric bounds, mapped LOINC with its confidence, a computed flag marked as computed', async () => {
  const x = labExtraction();
  x.lab_results.push({
    panel: null,
    panel_loinc: null,
    loinc: null,
    specimen: null,
    test: 'LDL Cholesterol',
    value: 148,
    unit: 'mg/dl',
    reference_range: '< 100',
    flag: null,
    collected_at: null,
    evidence: ev(3, 'LDL Cholesterol 148 mg/dl < 100'),
    confidence: 0.9,
  });
  const ws = sheet(await load(await buildWorkbook(source(x))), 'Lab Results');
  const loincHeader = ws.getRow(1).getCell(headers(ws).indexOf('LOINC (mapped, confidence)') + 1);
  assert.match(JSON.stringify(loincHeader.note), /Regenstrief Institute/, "LOINC's notice ships with its codes");
  const wbc = rowWhere(ws, 'Test', 'WBC');
  assert.equal(cellAt(ws, wbc, 'UCUM').value, '/uL');
  assert.equal(cellAt(ws, wbc, 'Low').value, 4000);
  assert.equal(cellAt(ws, wbc, 'High').value, 11000);
  assert.equal(cellAt(ws, wbc, 'LOINC (mapped, confidence)').value, null, 'a printed code is not also shown as mapped');
  assert.equal(cellAt(ws, wbc, 'H/L (computed)').value, null, 'a printed flag is not recomputed');

  const ldl = rowWhere(ws, 'Test', 'LDL Cholesterol');
  assert.equal(cellAt(ws, ldl, 'UCUM').value, 'mg/dL', 'the lab spelling becomes its UCUM code');
  assert.equal(cellAt(ws, ldl, 'Low').value, null);
  assert.equal(cellAt(ws, ldl, 'High').value, 100, '"< 100" is a high bound of 100');
  assert.equal(cellAt(ws, ldl, 'H/L').value, null, 'the document prints no flag');
  assert.equal(cellAt(ws, ldl, 'H/L (computed)').value, 'H', 'computed, in a column that says so');
  assert.match(String(cellAt(ws, ldl, 'LOINC (mapped, confidence)').value), /^\d+-\d \(0\.\d\d\)$/, 'a mapped code with its confidence');

  const json = extractionToJson(source(x));
  assert.equal(json.lab_semantics.length, json.lab_results.length);
  const last = json.lab_semantics.at(-1)!;
  assert.deepEqual(
    { ucum: last.ucum, high: last.range_high, flag: last.flag, computed: last.flag_computed, source: last.loinc_source },
    { ucum: 'mg/dL', high: 100, flag: 'H', computed: true, source: 'mapped' },
  );
  assert.equal(json.lab_semantics[0]!.loinc_source, 'printed');
});
