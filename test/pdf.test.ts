/**
 * PDF reading (pipeline step 1 and the render half of step 2) on the real corpus: validation and typed
 * failures for every malformed file, the text layer of digital medical PDFs, the per-page OCR decision,
 * and page rendering with its resource limits.
 *
 *   node --import tsx --test test/pdf.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError, type FailureType } from '../core/errors.js';
import {
  decideOcr,
  findOversizedImages,
  hasPdfHeader,
  inspectPdf,
  openPdf,
  planRender,
  saslPrep,
  textQuality,
  MAX_RENDER_PIXELS,
  type PageContent,
} from '../library/pdf/document.js';
import { annotationTextItems, layoutItems, readTextLayer, textContentToString, type PlacedItem } from '../library/pdf/text-layer.js';
import { renderPageForOcr, renderPagesForOcr } from '../library/pdf/render.js';
import { CORPUS, readCorpus, readTruth } from './support/env.js';

const read = readCorpus;
const truth = (rel: string): Record<string, unknown> => readTruth(rel);
const MAX_PAGES = 500;

/** Files listed in MANIFEST.tsv under a folder. */
function manifestFiles(folder: string): string[] {
  const lines = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1);
  return lines.map((l) => l.split('\t')[0] ?? '').filter((f) => f.startsWith(`${folder}/`) && f.endsWith('.pdf'));
}

async function rejectsWith(p: Promise<unknown>, type: FailureType, message?: RegExp): Promise<PipelineError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PipelineError, `expected a PipelineError, got ${String(err)}`);
    assert.equal(err.type, type, `expected ${type}, got ${err.type}: ${err.message}`);
    if (message) assert.match(err.message, message);
    assert.ok(err.message.length > 10 && !/undefined|\[object/.test(err.message), `unclear message: ${err.message}`);
    return err;
  }
  assert.fail(`expected ${type}, but it succeeded`);
}

// ------------------------------------------------------------------------------------------------
// Malformed files: every one reaches a clear end.
// ------------------------------------------------------------------------------------------------

type Expectation =
  | { opens: true; pages: number; text?: RegExp; needsOcr?: boolean; render?: 'ok' | FailureType }
  | { fails: FailureType; message?: RegExp; at?: 'open' | 'inspect' };

const MALFORMED: Record<string, Expectation> = {
  'malformed/not_a_pdf__qpdf_bad1.pdf': { fails: 'InvalidPdf', message: /not a PDF/ },
  'malformed/header_and_eof_only__ocrmypdf_invalid.pdf': { fails: 'InvalidPdf' },
  'malformed/truncated__datalogics.pdf': { fails: 'InvalidPdf' },
  'malformed/zero_pages__qpdf_empty.pdf': { fails: 'EmptyPdf', message: /no pages/ },
  'malformed/xref_keyword_missing__pdfjs.pdf': { opens: true, pages: 1, text: /Reduced test-case/, needsOcr: false },
  'malformed/fuzzed_xref_int_overflow__pdfjs_GHOSTSCRIPT-698804-1.pdf': { opens: true, pages: 1, render: 'ok' },
  'malformed/no_trailer_unrecoverable__pdfjs_REDHAT-1531897-0.pdf': { fails: 'InvalidPdf' },
  'malformed/no_startxref_scanned__pdfjs_scan-bad.pdf': { opens: true, pages: 1, needsOcr: true, render: 'ok' },
  // The tree is 2 pages, the second one a loop: refusing beats silently dropping a page.
  'malformed/page_tree_loop__pdfjs_Pages-tree-refs.pdf': { fails: 'InvalidPdf', message: /[Pp]age 2/, at: 'inspect' },
  // /Count claims 213,804,087 pages, the tree holds 1: pdfjs counts the real pages (no per-claimed-page
  // allocation) and the page itself is empty.
  'malformed/bogus_page_count_213M__pdfjs_poppler-85140-0.pdf': { opens: true, pages: 1, needsOcr: false },
  'malformed/encrypted_aes128_user_password__pypdf_r4.pdf': { fails: 'PasswordRequired', message: /password/ },
  'malformed/encrypted_aes256_password_1234__pdfjs_print_protection.pdf': { fails: 'PasswordRequired' },
  'malformed/encrypted_aes256_saslprep_password__pdfjs_saslprep-r6.pdf': { fails: 'PasswordRequired' },
  'malformed/encrypted_empty_user_password_restricted__pdfjs_secHandler.pdf': { opens: true, pages: 1, render: 'ok' },
  'malformed/decompression_bomb_35000px__ocrmypdf_hugemono.pdf': { opens: true, pages: 1, needsOcr: true, render: 'ImageTooLarge' },
  'malformed/dynamic_xfa_claim__ocrmypdf_livecycle.pdf': { opens: true, pages: 1, render: 'ok' },
  'malformed/page_without_contents__ocrmypdf_no_contents.pdf': { opens: true, pages: 1, needsOcr: false, render: 'ok' },
};

describe('malformed corpus', () => {
  test('every malformed file in the manifest has an expectation', () => {
    const files = manifestFiles('malformed');
    assert.ok(files.length >= 17, `manifest lists ${files.length} malformed PDFs`);
    for (const f of files) assert.ok(f in MALFORMED, `no expectation for ${f}`);
  });

  for (const [file, expected] of Object.entries(MALFORMED)) {
    test(path.basename(file), async () => {
      const bytes = read(file);
      const rssBefore = process.memoryUsage().rss;
      if ('fails' in expected) {
        if (expected.at !== 'inspect') await rejectsWith(openPdf(bytes, { maxPages: MAX_PAGES }), expected.fails, expected.message);
        await rejectsWith(inspectPdf(bytes, { maxPages: MAX_PAGES }), expected.fails, expected.message);
        await rejectsWith(readTextLayer(bytes), expected.fails);
      } else {
        const info = await inspectPdf(bytes, { maxPages: MAX_PAGES });
        assert.equal(info.pageCount, expected.pages);
        assert.equal(info.pages.length, expected.pages);
        const first = info.pages[0]!;
        if (expected.text) assert.match(first.text, expected.text);
        if (expected.needsOcr !== undefined) assert.equal(first.needsOcr, expected.needsOcr, `needsOcr (reason ${first.reason})`);
        const pages = await readTextLayer(bytes);
        assert.deepEqual(
          pages.map((p) => p.page),
          info.pages.map((p) => p.page),
        );
        if (expected.render === 'ok') {
          const img = await renderPageForOcr(bytes, 1);
          assert.ok(img.width > 0 && img.height > 0 && img.width * img.height <= MAX_RENDER_PIXELS);
        } else if (expected.render) {
          await rejectsWith(renderPageForOcr(bytes, 1), expected.render);
        }
      }
      // Nothing here may decode anything big: a 35000² bitmap alone is 1.2 GB (4.9 GB as RGBA).
      const grewMb = (process.memoryUsage().rss - rssBefore) / 1e6;
      assert.ok(grewMb < 700, `memory grew by ${Math.round(grewMb)} MB`);
    });
  }

  test('passwords: right password opens, none is PasswordRequired, a wrong one is PasswordIncorrect', async () => {
    const aes128 = read('malformed/encrypted_aes128_user_password__pypdf_r4.pdf');
    await rejectsWith(openPdf(aes128, { maxPages: MAX_PAGES }), 'PasswordRequired', /encrypted; enter its password/);
    await rejectsWith(openPdf(aes128, { maxPages: MAX_PAGES, password: 'nope' }), 'PasswordIncorrect', /does not open this PDF; enter the right one/);
    await rejectsWith(inspectPdf(aes128, { maxPages: MAX_PAGES, password: 'asdfzxcX' }), 'PasswordIncorrect');
    const pages = await readTextLayer(aes128, { password: 'asdfzxcv' });
    assert.match(pages[0]!.text, /pdf encryption test\s+password: asdfzxcv/);

    const aes256 = read('malformed/encrypted_aes256_password_1234__pdfjs_print_protection.pdf');
    const info = await inspectPdf(aes256, { maxPages: MAX_PAGES, password: '1234' });
    assert.equal(info.pageCount, 1);
    assert.match(info.pages[0]!.text, /Hello World/);

    // R6 passwords are SASLprep'd: 'S\u00aaSL\u00adprep' means 'SaSLprep'.
    const sasl = read('malformed/encrypted_aes256_saslprep_password__pdfjs_saslprep-r6.pdf');
    assert.equal(saslPrep('S\u00aaSL\u00adprep'), 'SaSLprep');
    const saslPages = await readTextLayer(sasl, { password: 'S\u00aaSL\u00adprep' });
    assert.match(saslPages[0]!.text, /Hello pdf\.js world/);
    const img = await renderPageForOcr(sasl, 1, { password: 'SaSLprep', dpi: 72 });
    assert.ok(img.width > 0);
  });

  test('TooManyPages is decided from the real page count, before reading pages', async () => {
    const threePages = read('medical/healthfirst_lab_report_3p.pdf');
    await rejectsWith(inspectPdf(threePages, { maxPages: 2 }), 'TooManyPages', /3 pages.*limit is 2/);
    assert.equal((await inspectPdf(threePages, { maxPages: 3 })).pageCount, 3);
    await rejectsWith(openPdf(read('scanned/ocrmypdf_multipage_mixed.pdf'), { maxPages: 5 }), 'TooManyPages');
  });

  test('header check and oversized-image scan', () => {
    assert.equal(hasPdfHeader(new TextEncoder().encode('oops\n')), false);
    assert.equal(hasPdfHeader(new TextEncoder().encode(`${' '.repeat(500)}%PDF-1.7\n`)), true);
    assert.equal(hasPdfHeader(new TextEncoder().encode(`${' '.repeat(1100)}%PDF-1.7\n`)), false);
    assert.deepEqual(findOversizedImages(read('malformed/decompression_bomb_35000px__ocrmypdf_hugemono.pdf')), [{ width: 35000, height: 35000 }]);
    assert.deepEqual(findOversizedImages(read('scanned/ocrmypdf_linn_two_column.pdf')), []);
    // A 9000×9000 (81 MP) scan is big but allowed.
    assert.deepEqual(findOversizedImages(read('scanned/ocrmypdf_multipage_mixed.pdf')), []);
  });
});

// ------------------------------------------------------------------------------------------------
// Digital medical PDFs: the text layer carries the values.
// ------------------------------------------------------------------------------------------------

describe('text layer of digital medical PDFs', () => {
  for (const file of ['medical/rcn_lab_report.pdf', 'medical/agentforge_lab_report.pdf']) {
    test(`${path.basename(file)}: values from the truth file, no OCR needed`, async () => {
      const t = truth(file) as { patient: { name: string; mrn?: string }; tests: Array<{ name: string; value: string }> };
      const bytes = read(file);
      const pages = await readTextLayer(bytes);
      assert.equal(pages.length, 1);
      const text = pages[0]!.text;
      assert.ok(text.includes(t.patient.name), 'patient name');
      if (t.patient.mrn) assert.ok(text.includes(t.patient.mrn), 'MRN');
      assert.ok(t.tests.length >= 8);
      for (const lab of t.tests) {
        // Each result sits on the same visual line as its test name.
        const name = lab.name.replace(/\s*%$/, '');
        const line = text.split('\n').find((l) => l.includes(name) && l.includes(lab.value));
        assert.ok(line, `no line with "${name}" and "${lab.value}"`);
      }
      const info = await inspectPdf(bytes, { maxPages: MAX_PAGES });
      assert.equal(info.pages[0]!.needsOcr, false);
      assert.equal(info.pages[0]!.reason, 'text-layer');
      assert.equal(info.pages[0]!.text, text);
      assert.ok(info.pages[0]!.chars > 300);
      assert.ok(info.pages[0]!.width > 500 && info.pages[0]!.height > 700);
    });
  }

  test('column gaps become two spaces, words one space (agentforge table)', async () => {
    const [page] = await readTextLayer(read('medical/agentforge_lab_report.pdf'));
    const lines = page!.text.split('\n');
    assert.ok(lines.includes('Test  Value  Unit  Reference  Flag'), lines.join('\n'));
    assert.ok(lines.includes('HDL Cholesterol  52  mg/dL  40 - 60  N'));
    assert.ok(lines.includes('Glucose, Fasting  158  mg/dL  70 - 99  H'));
    assert.ok(lines.includes('Patient Name: Farrah Rolle'));
    for (const l of lines) assert.equal(l, l.trim());
  });

  test('multi-page digital report: page numbers are 1-based and in order', async () => {
    const pages = await readTextLayer(read('medical/healthfirst_lab_report_3p.pdf'));
    assert.deepEqual(
      pages.map((p) => p.page),
      [1, 2, 3],
    );
    assert.match(pages[0]!.text, /Hemoglobin {2}10\.2 {2}g\/dL {2}12\.0 - 17\.5/);
    assert.match(pages[1]!.text, /Page 2\/3/);
    assert.match(pages[2]!.text, /Vitamin D {2}18 {2}ng\/mL/);
  });

  test('filled-in form: values typed as annotations are part of the page text', async () => {
    const file = 'medical/azure_vaccine_consent_form_filled.pdf';
    const t = truth(file) as { patient: { last_name: string; first_name: string; middle_name: string; age: string } };
    const pages = await readTextLayer(read(file));
    const lines = pages[0]!.text.split('\n');
    // The values sit on their own visual line, above their labels, in column order.
    const values = lines.find((l) => l.includes(t.patient.last_name));
    assert.ok(values, 'last name missing');
    assert.match(values, new RegExp(`${t.patient.last_name}  ${t.patient.first_name}  ${t.patient.middle_name}  04/14/1995  ${t.patient.age}`));
    assert.equal(lines[lines.indexOf(values) + 1], 'Last Name  First Name  Middle  Date of Birth  Age  Gender');
    assert.match(pages[0]!.text, /434 Main Street {2}Pittsburgh {2}PA {2}15213/);
    assert.match(pages[1]!.text, /Moderna {2}06\/01\/2021/);
  });

  test('annotation text: form fields, check boxes, FreeText; hidden and comments ignored', () => {
    const items = annotationTextItems([
      { subtype: 'Widget', fieldType: 'Tx', fieldValue: 'Jane Doe', rect: [100, 700, 200, 714] },
      { subtype: 'Widget', fieldType: 'Tx', fieldValue: 'line one\nline two', rect: [100, 600, 200, 630] },
      { subtype: 'Widget', fieldType: 'Btn', checkBox: true, exportValue: 'Yes', fieldValue: 'Yes', rect: [300, 700, 310, 710] },
      { subtype: 'Widget', fieldType: 'Btn', checkBox: true, exportValue: 'Yes', fieldValue: 'Off', rect: [320, 700, 330, 710] },
      { subtype: 'Widget', fieldType: 'Ch', fieldValue: ['Oral'], rect: [400, 700, 450, 714] },
      { subtype: 'FreeText', textContent: ['04/14/1995'], rect: [100, 500, 160, 513] },
      { subtype: 'Widget', fieldType: 'Tx', fieldValue: 'secret', hidden: true, rect: [100, 400, 200, 414] },
      { subtype: 'Text', contentsObj: { str: 'reviewer comment' }, rect: [100, 300, 120, 320] },
    ]);
    assert.deepEqual(
      items.map((i) => i.str),
      ['Jane Doe', 'line one', 'line two', '[X]', 'Oral', '04/14/1995'],
    );
    assert.equal(textContentToString(items, [1, 0, 0, -1, 0, 792]), 'Jane Doe  [X]  Oral\nline one\nline two\n04/14/1995');
  });

  test('every digital medical PDF keeps its text layer', async () => {
    const digital = [
      'medical/rcn_discharge_summary.pdf',
      'medical/rcn_prescription.pdf',
      'medical/rcn_hospital_bill.pdf',
      'medical/rcn_insurance_eob.pdf',
      'medical/rcn_xray_report.pdf',
      'medical/rcn_admission_form.pdf',
      'medical/agentforge_intake_form.pdf',
      'medical/cms1500_blank_form.pdf',
      'medical/healthfirst_lab_report_3p.pdf',
      'medical/azure_vaccine_consent_form_filled.pdf',
    ];
    for (const f of digital) {
      const info = await inspectPdf(read(f), { maxPages: MAX_PAGES });
      for (const p of info.pages) assert.equal(p.needsOcr, false, `${f} page ${p.page}: ${p.reason}`);
    }
  });
});

// ------------------------------------------------------------------------------------------------
// The OCR decision
// ------------------------------------------------------------------------------------------------

describe('per-page OCR decision', () => {
  test('every scanned/ PDF page needs OCR', async () => {
    const files = manifestFiles('scanned');
    assert.ok(files.length >= 11, `manifest lists ${files.length} scanned PDFs`);
    for (const f of files) {
      const info = await inspectPdf(read(f), { maxPages: MAX_PAGES });
      for (const p of info.pages) {
        assert.equal(p.needsOcr, true, `${f} page ${p.page}: ${p.reason}`);
        assert.ok((p.imageCoverage ?? 0) > 0.5, `${f} page ${p.page} coverage ${p.imageCoverage}`);
      }
    }
  });

  test('image-only medical scan needs OCR', async () => {
    const info = await inspectPdf(read('medical/cms1500_nucc_sample_filled_scan.pdf'), { maxPages: MAX_PAGES });
    assert.equal(info.pages[0]!.needsOcr, true);
    assert.equal(info.pages[0]!.reason, 'no-text');
  });

  test('mixed document: decided page by page', async () => {
    const info = await inspectPdf(read('scanned/ocrmypdf_multipage_mixed.pdf'), { maxPages: MAX_PAGES });
    assert.equal(info.pageCount, 6);
    const reasons = info.pages.map((p) => p.reason);
    // Page 4 is a chart with someone else's (poor) invisible OCR layer, the others have no text at all.
    assert.deepEqual(reasons, ['no-text', 'no-text', 'no-text', 'untrusted-ocr-layer', 'no-text', 'no-text']);
    assert.ok(info.pages[3]!.chars > 20);
    assert.deepEqual(
      info.pages.map((p) => [Math.round(p.width), Math.round(p.height)]),
      [
        [384, 471],
        [2160, 2160],
        [719, 300],
        [719, 300],
        [612, 792],
        [792, 612],
      ],
    );
  });

  test('junk invisible OCR layer over a handwritten note is not trusted', async () => {
    const info = await inspectPdf(read('medical/aws_handwritten_discharge_note.pdf'), { maxPages: MAX_PAGES });
    const p = info.pages[0]!;
    assert.ok(p.chars > 50, 'the junk layer is there');
    assert.equal(p.needsOcr, true);
    assert.equal(p.reason, 'untrusted-ocr-layer');
  });

  test('decideOcr rules on synthetic signals', () => {
    const content = (over: Partial<PageContent>): PageContent => ({
      images: [],
      imageCoverage: 0,
      visibleGlyphs: 0,
      invisibleGlyphs: 0,
      pathOps: 0,
      otherDrawOps: 0,
      emptyPlacements: 0,
      ...over,
    });
    const prose =
      'The patient was admitted with chest pain and was discharged on the third day with a plan for ' +
      'follow up in the cardiology clinic. Medications were reviewed with the patient and the family.';
    const base = { docHasOversizedImage: false, pageTooLarge: false };
    assert.deepEqual(decideOcr({ ...base, text: prose, content: content({ visibleGlyphs: 200 }) }), { needsOcr: false, reason: 'text-layer' });
    assert.deepEqual(decideOcr({ ...base, text: '', content: content({}) }), { needsOcr: false, reason: 'blank' });
    assert.deepEqual(decideOcr({ ...base, text: '', content: content({ imageCoverage: 1 }) }), { needsOcr: true, reason: 'no-text' });
    assert.deepEqual(decideOcr({ ...base, text: '', content: content({ pathOps: 5000 }) }), { needsOcr: true, reason: 'no-text' });
    // A good invisible OCR layer over a scan is kept.
    assert.deepEqual(decideOcr({ ...base, text: prose, content: content({ imageCoverage: 1, invisibleGlyphs: 200 }) }), {
      needsOcr: false,
      reason: 'text-layer',
    });
    // A scan with a one-line fax header as text.
    assert.deepEqual(decideOcr({ ...base, text: 'FROM: 555-0100  TO: 555-0199  PAGE 1/3', content: content({ imageCoverage: 1, visibleGlyphs: 30 }) }), {
      needsOcr: true,
      reason: 'image-with-little-text',
    });
    // Mojibake: private-use and replacement characters.
    const garbled = '\uE001\uE002\uE003 \uFFFD\uFFFD\uE004\uE005 \uE006\uE007\uE008\uE009 \uE00A\uE00B\uE00C\uE00D\uE00E\uE00F\uE010\uE011\uE012';
    assert.equal(decideOcr({ ...base, text: garbled, content: content({ visibleGlyphs: 20 }) }).reason, 'garbled-text');
    // Text from a font without a usable encoding (letters, but not words).
    const shifted = 'Wkh sdwlhqw zdv dgplwwhg zlwk fkhvw sdlq dqg glvfkdujhg rq wkh wklug gdb';
    assert.ok(textQuality(shifted).plausibleRatio < textQuality(prose).plausibleRatio);
    assert.deepEqual(decideOcr({ ...base, docHasOversizedImage: true, text: '', content: content({ emptyPlacements: 1 }) }), {
      needsOcr: true,
      reason: 'image-too-large',
    });
  });
});

// ------------------------------------------------------------------------------------------------
// Text layout contract (unit)
// ------------------------------------------------------------------------------------------------

describe('text layout contract', () => {
  const item = (str: string, x: number, y: number, size = 10, orientation: PlacedItem['orientation'] = 0): PlacedItem => ({
    str,
    x,
    y,
    width: str.length * size * 0.5,
    size,
    orientation,
  });

  test('lines by baseline, items by x, one or two spaces by gap, touching fragments glued', () => {
    const text = layoutItems([
      item('52', 200, 100.8), // slightly off baseline: same line
      item('HDL Cholesterol', 20, 100),
      item('Name:', 20, 80),
      item('John', 52, 80), // gap 2 = 0.4 char: one space
      item('Hemo', 20, 120),
      item('globin', 40, 120), // touching: glued
      item('x', 31, 140), // after 'abc' ends at 35: overlaps by 4 → distinct run, one space
      item('abc', 20, 140),
    ]);
    assert.equal(text, 'Name: John\nHDL Cholesterol  52\nHemoglobin\nabc x');
  });

  test('two columns set side by side are read one after the other; a table whose middle is free is not', () => {
    // Left: a section of coded rows; right: wrapped running text, with lines on one side only.
    const left: Array<[string, string | null]> = [
      ['PROCEDURES', null],
      ['Removal of skin tags, up to 15', '11200'],
      ['lesions', null],
      ['Office visit, established', '99214'],
      ['', null],
      ['Comprehensive metabolic panel', '80053'],
      ['', null],
    ];
    const right = [
      'PATIENT EDUCATION',
      'Keep all follow-up appointments and the',
      'tests that have been arranged for you.',
      'Drink plenty of fluids unless you have',
      'been told to limit them and take your',
      'medicines exactly as they were prescribed',
      'and bring this list to every appointment.',
    ];
    const page: PlacedItem[] = [item('Discharge Summary', 20, 60)];
    left.forEach(([name, code], n) => {
      if (name) page.push(item(name, 20, 100 + 14 * n));
      if (code) page.push(item(code, 180, 100 + 14 * n));
    });
    right.forEach((s, n) => page.push(item(s, 270, 100 + 14 * n)));
    assert.deepEqual(layoutItems(page).split('\n'), [
      'Discharge Summary',
      'PROCEDURES',
      'Removal of skin tags, up to 15  11200',
      'lesions',
      'Office visit, established  99214',
      'Comprehensive metabolic panel  80053',
      ...right,
    ]);

    // A two-column list (drug | directions), row by row: every line has both sides, so rows stay whole.
    const rows = [
      ['metformin (Glucophage) 1000 mg tab', '1 tablet twice daily with meals'],
      ['Omeprazole 20 mg Capsule', 'Take 1 capsule by mouth twice a day'],
      ['gabapentin 300 mg Capsule', 'Take 1 capsule at bedtime'],
      ['Metoprolol Tartrate 100 mg Tab', '1 tablet by mouth once a day'],
      ['levothyroxine (Synthroid) 100 mcg tablet', '1 tablet PO daily before breakfast'],
      ['insulin glargine 100 units/mL', '20 units under the skin at bedtime'],
    ];
    const table = rows.flatMap(([drug, sig], n) => [item(drug!, 20, 100 + 14 * n), item(sig!, 270, 100 + 14 * n)]);
    assert.deepEqual(
      layoutItems(table).split('\n'),
      rows.map(([drug, sig]) => `${drug}  ${sig}`),
    );
  });

  test('two flows of tables side by side, each on baselines of its own, are read one after the other; the same rows on shared baselines stay whole', () => {
    // Left: coded procedures and a vitals grid; right: lab rows set 2.5 pt lower (same visual lines, own baselines).
    const left = ['Procedures', 'Venipuncture  36415', 'Echocardiogram  93306', 'Vital Signs', 'BP  142/78', 'Pulse  72 bpm', 'Weight  66 kg'];
    const right = ['Sodium  139  mmol/L', 'Potassium  4.0  mmol/L', 'Chloride  104  mmol/L', 'Urea  22  mg/dL', 'Calcium  9.5  mg/dL'];
    const cells = (s: string, x: number, step: number, y: number): PlacedItem[] => s.split('  ').map((c, k) => item(c, x + step * k, y));
    const flows = (rightDrop: number): PlacedItem[] => [
      ...left.flatMap((s, n) => cells(s, 20, 90, 100 + 14 * n)),
      ...right.flatMap((s, n) => cells(s, 300, 75, 100 + rightDrop + 14 * n)),
    ];
    assert.deepEqual(layoutItems(flows(2.5)).split('\n'), [...left, ...right]);
    // One table whose middle happens to be free: its rows share their baselines and are read row by row.
    assert.deepEqual(layoutItems(flows(0)).split('\n').slice(0, 2), ['Procedures  Sodium  139  mmol/L', 'Venipuncture  36415  Potassium  4.0  mmol/L']);
  });

  test('whitespace inside items is normalised; empty items vanish', () => {
    const raw = (str: string, x: number, y: number) => ({
      str,
      transform: [10, 0, 0, 10, x, y],
      width: str.length * 5,
      height: 10,
      dir: 'ltr',
      fontName: 'f',
      hasEOL: false,
    });
    const upright = [1, 0, 0, -1, 0, 792];
    assert.equal(textContentToString([raw('a \t b', 0, 700), raw('   ', 100, 700), raw('c  d', 0, 680), raw('e\u0000f', 0, 660)], upright), 'a  b\nc  d\nef');
  });

  test('rotated text follows the page orientation of the viewport', () => {
    // Items as pdfjs gives them for a page with /Rotate 90: the viewport transform turns them upright.
    const items = [
      { str: 'first line', transform: [10, 0, 0, 10, 72, 700], width: 50, height: 10, dir: 'ltr', fontName: 'f', hasEOL: false },
      { str: 'second line', transform: [10, 0, 0, 10, 72, 680], width: 55, height: 10, dir: 'ltr', fontName: 'f', hasEOL: false },
    ];
    const upright = [1, 0, 0, -1, 0, 792];
    assert.equal(textContentToString(items, upright), 'first line\nsecond line');
    // Same page shown rotated 90° clockwise (viewport of a /Rotate 90 page, 612×792 mediabox).
    const rotated90 = [0, 1, 1, 0, 0, 0];
    assert.equal(textContentToString(items, rotated90), 'first line\nsecond line');
    // A vertical margin note (text running bottom to top) comes after the main text.
    const withNote = [...items, { str: 'margin', transform: [0, 10, -10, 0, 30, 300], width: 30, height: 10, dir: 'ltr', fontName: 'f', hasEOL: false }];
    assert.equal(textContentToString(withNote, upright), 'first line\nsecond line\nmargin');
  });
});

// ------------------------------------------------------------------------------------------------
// Rendering
// ------------------------------------------------------------------------------------------------

describe('render for OCR', () => {
  test('a scanned letter page renders at 300 dpi as grayscale PGM', async () => {
    const img = await renderPageForOcr(read('scanned/ocrmypdf_linn_two_column.pdf'), 1);
    assert.equal(img.format, 'pgm');
    assert.equal(Math.round(img.dpi), 300);
    assert.deepEqual([img.width, img.height], [2550, 3300]);
    const header = `P5\n${img.width} ${img.height}\n255\n`;
    assert.equal(Buffer.from(img.image.subarray(0, header.length)).toString('latin1'), header);
    assert.equal(img.image.length, header.length + img.width * img.height);
    // Mostly white paper, some black ink.
    const px = img.image.subarray(header.length);
    let dark = 0;
    for (let i = 0; i < px.length; i += 97) if (px[i]! < 128) dark++;
    const share = dark / (px.length / 97);
    assert.ok(share > 0.02 && share < 0.4, `dark share ${share}`);
  });

  test('/Rotate 90 renders upright (portrait)', async () => {
    const bytes = read('scanned/ocrmypdf_rotated_skew.pdf');
    const info = await inspectPdf(bytes, { maxPages: MAX_PAGES });
    assert.equal(info.pages[0]!.rotation, 90);
    const img = await renderPageForOcr(bytes, 1);
    assert.ok(img.height > img.width, `${img.width}×${img.height}`);
  });

  test('huge page is rendered at a lower resolution within the pixel budget', async () => {
    const img = await renderPageForOcr(read('scanned/ocrmypdf_multipage_mixed.pdf'), 2, { dpi: 300 });
    assert.ok(img.width * img.height <= MAX_RENDER_PIXELS);
    assert.ok(img.dpi < 300 && img.dpi > 150, `dpi ${img.dpi}`);
  });

  test('tiny page holding a 2400-dpi scan renders above 300 dpi', async () => {
    const img = await renderPageForOcr(read('scanned/ocrmypdf_2400dpi_typewriter.pdf'), 1);
    assert.ok(img.dpi > 300, `dpi ${img.dpi}`);
    assert.ok(img.width >= 900);
  });

  test('render plan refuses absurd pages', () => {
    assert.equal(planRender(595, 2147483647, 300), null);
    assert.equal(planRender(0, 100, 300), null);
    const a4 = planRender(595, 842, 300)!;
    assert.equal(a4.dpi, 300);
  });

  test('several pages from one open document', async () => {
    const sizes: Array<[number, number]> = [];
    for await (const img of renderPagesForOcr(read('scanned/ocrmypdf_multipage_mixed.pdf'), [5, 6], { dpi: 100, maxDpi: 100 }))
      sizes.push([img.width, img.height]);
    assert.deepEqual(sizes, [
      [850, 1100],
      [1100, 850],
    ]);
  });

  test('page numbers out of range are NotFound', async () => {
    await rejectsWith(renderPageForOcr(read('medical/rcn_lab_report.pdf'), 2), 'NotFound');
  });
});
