/**
 * Values that prove themselves (library/extraction/grounding), without a stack: each normaliser on
 * generated printed forms, each cross-field check, and verifyEvidence putting reasons on the values.
 * The end-to-end checks (a job through the test LLM server) are in api-results.test.ts and web-result.test.ts.
 *   node --import tsx --test test/grounding.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countFlagged, verifyEvidence } from '../library/extraction/evidence.js';
import { dateInText } from '../library/extraction/grounding/dates.js';
import { frequencyInQuote, routeInQuote } from '../library/extraction/grounding/dosing.js';
import { numberInText } from '../library/extraction/grounding/numbers.js';
import { quoteOcrConfidence } from '../library/extraction/grounding/ocr.js';
import { flagContradictsRange, parseReferenceRange } from '../library/extraction/grounding/ranges.js';
import { identifierInQuote, textInQuote } from '../library/extraction/grounding/text.js';
import { unitInQuote, unitMismatch } from '../library/extraction/grounding/units.js';
import { emptyExtraction, parseExtraction, parseModelExtraction, SCHEMA_VERSION, type EvidencePage, type Extraction } from '../core/contract/extraction.js';
import { GROUNDING_LINES, groundingAnswer } from './support/ground-fixtures.js';

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('numbers are equal as numbers', () => {
  const rand = rng(7);
  /** Printed forms of one number with `decimals` decimals. */
  const forms = (n: number, decimals: number): string[] => {
    const fixed = n.toFixed(decimals);
    const [int, frac] = fixed.split('.') as [string, string | undefined];
    const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    const out = [fixed, `${grouped}${frac ? `.${frac}` : ''}`, `${fixed}0`.includes('.') ? `${fixed}0` : `${fixed}.0`];
    if (frac && frac.length !== 3 && int.length <= 3) out.push(`${int},${frac}`); // decimal comma, unambiguous
    if (int.length > 3) out.push(`${int.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')}${frac ? `.${frac}` : ''}`);
    if (int.length > 3 && frac) out.push(`${int.replace(/\B(?=(\d{3})+(?!\d))/g, '.')},${frac}`);
    return out;
  };
  for (let i = 0; i < 60; i++) {
    const decimals = Math.floor(rand() * 3);
    const n = Number((rand() * 10 ** (1 + Math.floor(rand() * 6))).toFixed(decimals));
    test(`${n} in its printed forms`, () => {
      for (const f of forms(n, decimals)) {
        assert.ok(numberInText(n, `Result: ${f} units`), `${n} in "${f}"`);
        assert.ok(!numberInText(n + 1, `Result: ${f} units`), `${n + 1} not in "${f}"`);
      }
    });
  }
  test('the brief cases, signs and ranges', () => {
    assert.ok(numberInText(14200, 'WBC 14,200 /uL'));
    assert.ok(numberInText(14200, 'WBC 14200 /uL'));
    assert.ok(numberInText(5, 'Dose 5.0 mg'));
    assert.ok(numberInText(3.5, 'Kalium 3,5 mmol/l'));
    assert.ok(!numberInText(14.2, 'WBC 14,200'), 'a comma before three digits groups thousands');
    assert.ok(numberInText(-5, 'Base excess -5'));
    assert.ok(!numberInText(-5, 'range 3.5-5.0'), 'the dash of a range is no minus sign');
    assert.ok(numberInText(5, 'range 3.5-5.0'));
    assert.ok(numberInText(140, 'Sodium 140 135-145') && !numberInText(140.135, 'Sodium 140 135-145'), 'table columns are separate numbers');
    assert.ok(numberInText(12345.6, 'Count 12 345.6'), 'grouped by a space');
  });
});

describe('dates in any printed form support the ISO value', () => {
  const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const rand = rng(11);
  const pad = (n: number) => String(n).padStart(2, '0');
  for (let i = 0; i < 40; i++) {
    const y = 1900 + Math.floor(rand() * 125);
    const m = 1 + Math.floor(rand() * 12);
    const d = 1 + Math.floor(rand() * 28);
    const iso = `${y}-${pad(m)}-${pad(d)}`;
    const name = MONTHS[m - 1]!;
    const printed = [
      iso,
      `${pad(m)}/${pad(d)}/${y}`,
      `${d}/${m}/${y}`,
      `${pad(d)}.${pad(m)}.${String(y).slice(2)}`,
      `${d} ${name.slice(0, 3)} ${y}`,
      `${d}-${name.slice(0, 3).toUpperCase()}-${y}`,
      `${name} ${d}, ${y}`,
      `${name.slice(0, 3)}. ${d} ${y}`,
      `${d}${d === 1 ? 'st' : d === 2 ? 'nd' : d === 3 ? 'rd' : 'th'} of ${name} ${y}`,
      `${y}${pad(m)}${pad(d)}`,
    ];
    test(`${iso} in ${printed.length} forms`, () => {
      for (const p of printed) assert.ok(dateInText(iso, `Date: ${p} (signed)`), `${iso} in "${p}"`);
      const other = `${y}-${pad(m)}-${pad(d === 28 ? 27 : d + 1)}`;
      for (const p of printed) assert.ok(!dateInText(other, `Date: ${p}`), `${other} not in "${p}"`);
      assert.ok(!dateInText(`${y + 1}-${pad(m)}-${pad(d)}`, `Date: ${printed[1]}`), 'another year');
    });
  }
  test('the brief cases, and a date-time value', () => {
    for (const p of ['07/22/1949', '22 Jul 1949', 'July 22, 1949', '1949-07-22']) assert.ok(dateInText('1949-07-22', `DOB: ${p}`), p);
    assert.ok(dateInText('2024-11-11T07:30', 'Collected 11/11/2024 07:30'));
  });
});

describe('frequencies, routes and units through the normalisation tables', () => {
  const GROUPS: string[][] = [
    ['BID', 'b.i.d.', 'twice daily', 'two times daily', '2x/day', '2 times a day', 'twice a day', 'every 12 hours', 'q12h', 'Q12H'],
    ['QD', 'daily', 'once daily', 'once a day', 'every day', '1x/day', 'q24h', 'every 24 hours'],
    ['TID', 't.i.d.', 'three times daily', '3 times a day', 'every 8 hours', 'q8h'],
    ['QID', 'q.i.d.', 'four times daily', '4 times a day', 'every 6 hours', 'q6h'],
    ['q4h', 'every 4 hours', 'Q4H'],
    ['PRN', 'as needed', 'p.r.n.', 'when required'],
    ['weekly', 'once weekly', 'once a week', 'every week'],
  ];
  test('every spelling supports every other in its group, and none in another group', () => {
    for (const [gi, group] of GROUPS.entries()) {
      for (const value of group) {
        for (const printed of group) assert.equal(frequencyInQuote(value, `1 tablet by mouth ${printed}`)?.supported, true, `${value} ~ ${printed}`);
        for (const [oi, other] of GROUPS.entries()) {
          if (oi === gi) continue;
          for (const printed of other) assert.equal(frequencyInQuote(value, `1 tablet by mouth ${printed}`)?.supported, false, `${value} ≁ ${printed}`);
        }
      }
    }
  });
  test('the longest phrase wins: "two times daily" is not also "daily"', () => {
    assert.equal(frequencyInQuote('daily', 'Apixaban 5 mg tablet: 1 tablet by mouth two times daily')?.supported, false);
    assert.equal(frequencyInQuote('BID', 'Apixaban 5 mg tablet: 1 tablet by mouth two times daily')?.supported, true);
    assert.equal(frequencyInQuote('QHS', 'atorvastatin 40 mg at bedtime')?.supported, true);
    assert.equal(frequencyInQuote('daily', 'atorvastatin 40 mg at bedtime')?.supported, true, 'at bedtime is once a day');
    assert.equal(frequencyInQuote('every 4-6 hours as needed', 'q4-6h PRN')?.supported, true);
    assert.equal(frequencyInQuote('as directed', 'take as directed'), null, 'unknown to the table: compared as text');
  });
  test('routes', () => {
    assert.equal(routeInQuote('oral', '1 tablet by mouth daily'), true);
    assert.equal(routeInQuote('PO', 'taken orally'), true);
    assert.equal(routeInQuote('IV', '1 tablet by mouth daily'), false);
    assert.equal(routeInQuote('subcutaneous', 'inject 10 units SC nightly'), true);
    assert.equal(routeInQuote('via PEG', 'via PEG'), null);
  });
  test('units', () => {
    const same: Array<[string, string]> = [
      ['mcg', '50 µg'],
      ['µg', '50 ug'],
      ['mg/dL', '98 mg/dl'],
      ['mmol/L', '3.5-5.0mmol/L'],
      ['x10^9/L', 'WBC 7.2 K/uL'],
      ['10*9/L', '7.2 x 10^9/L'],
      ['mmHg', 'BP 120/80 mm Hg'],
      ['%', 'Hct 41 percent'],
      ['bpm', 'HR 72 beats/min'],
      ['°C', 'Temp 37.2 C'],
      ['IU/L', 'ALT 32 U/L'],
    ];
    for (const [unit, quote] of same) assert.ok(unitInQuote(unit, quote), `${unit} in "${quote}"`);
    for (const [unit, quote] of [
      ['mg', '5 g'],
      ['mmol/L', '98 mg/dL'],
      ['mcg', '5 mg'],
    ] as const)
      assert.ok(!unitInQuote(unit, quote), `${unit} not in "${quote}"`);
  });
  test('unit_mismatch only where the small table knows the test', () => {
    assert.ok(unitMismatch('Hemoglobin', 'x10^9/L'));
    assert.ok(unitMismatch('Haemoglobin', '%'));
    assert.ok(!unitMismatch('Hemoglobin', 'g/dL'));
    assert.ok(!unitMismatch('Hgb', 'g/L'));
    assert.ok(unitMismatch('Sodium', 'mg/dL'));
    assert.ok(!unitMismatch('Sodium', 'mEq/L'));
    assert.ok(unitMismatch('Platelets', 'g/dL'));
    assert.ok(!unitMismatch('WBC', 'K/uL'));
    assert.ok(!unitMismatch('Neutrophils %', '%'), 'a share of the analyte, not the analyte');
    assert.ok(!unitMismatch('Vitamin Q', 'furlongs'), 'unknown test or unit: never judged');
  });
  test('text and identifiers: case, punctuation, spacing, order; OCR confusions only on OCR pages', () => {
    assert.ok(textInQuote('Ana Rivera', 'Patient: RIVERA,  Ana'));
    assert.ok(textInQuote('St. Mary’s Hospital', 'ST MARYS HOSPITAL'));
    assert.ok(!textInQuote('Ana Rivers', 'Patient: Rivera, Ana'));
    assert.ok(identifierInQuote('MRN 55-1234', 'MRN: 551234'));
    assert.ok(!identifierInQuote('551234', 'MRN: 55I234'), 'a text layer means what it prints');
    assert.ok(identifierInQuote('551234', 'MRN: 55I234', { ocr: true }));
    assert.ok(textInQuote('Metoprolol', 'Meroprolol 25 mg', { ocr: false }) === false);
    assert.ok(textInQuote('Clopidogrel', 'CIopidogreI 75 mg', { ocr: true }));
  });
});

describe('reference ranges and flags', () => {
  test('ranges as printed', () => {
    assert.deepEqual(parseReferenceRange('3.5-5.0'), { low: 3.5, high: 5 });
    assert.deepEqual(parseReferenceRange('3.5 – 5.0 mmol/L'), { low: 3.5, high: 5 });
    assert.deepEqual(parseReferenceRange('10 - 20 mg/dL'), { low: 10, high: 20 });
    assert.deepEqual(parseReferenceRange('<200'), { low: null, high: 200 });
    assert.deepEqual(parseReferenceRange('>= 60'), { low: 60, high: null });
    assert.deepEqual(parseReferenceRange('4,500-11,000'), { low: 4500, high: 11000 });
    assert.equal(parseReferenceRange('M: 13-17, F: 12-15'), null, 'several intervals: not read');
    assert.equal(parseReferenceRange('see note'), null);
  });
  test('a flag contradicts its range only clearly', () => {
    assert.ok(flagContradictsRange('H', 4.2, '3.5-5.0'));
    assert.ok(flagContradictsRange('H', 3.1, '3.5-5.0'));
    assert.ok(flagContradictsRange('L', 250, '<200'));
    assert.ok(flagContradictsRange('normal', 189000, '150,000-400,000') === false);
    assert.ok(flagContradictsRange('normal', 6.1, '3.5-5.0'));
    assert.ok(!flagContradictsRange('H', 5.6, '3.5-5.0'));
    assert.ok(!flagContradictsRange('H', 5.0, '3.5-5.0'), 'on the bound: never');
    assert.ok(!flagContradictsRange('L', 45, '>= 60'));
    assert.ok(!flagContradictsRange('H', 'Positive', 'Negative'));
    assert.ok(!flagContradictsRange(null, 4.2, '3.5-5.0'));
  });
});

describe('verifyEvidence puts reasons on every value', () => {
  const pages: EvidencePage[] = [{ page: 1, text: GROUNDING_LINES.join('\n') }];
  const verified = (): Extraction => {
    const x = parseModelExtraction(groundingAnswer());
    return verifyEvidence(parseExtraction({ schema_version: SCHEMA_VERSION, ...x }), pages, { now: new Date('2025-01-01T00:00:00Z') });
  };

  test('the discharge summary: `daily` for "two times daily", an H inside its range, a DOB after the document date', () => {
    const x = verified();
    const [apixaban] = x.medications;
    assert.deepEqual(apixaban?.reasons, ['value_not_in_quote']);
    assert.ok(apixaban!.confidence < 0.6, `confidence lowered: ${apixaban?.confidence}`);
    const [potassium, wbc] = x.lab_results;
    assert.deepEqual(potassium?.reasons, ['flag_contradicts_range']);
    assert.deepEqual(x.patient.date_of_birth.reasons, ['implausible_date']);
    // The same values in another printed form are not flagged.
    assert.deepEqual(wbc?.reasons, [], 'WBC 14200 for "14,200"');
    assert.equal(wbc?.confidence, 0.9, 'and keeps its confidence');
    assert.deepEqual(x.patient.name.reasons, [], 'Ana Rivera for "Rivera, Ana"');
    assert.deepEqual(x.document.date.reasons, [], '2024-03-14 for 03/14/2024');
    assert.deepEqual(x.patient.mrn.reasons, [], 'an empty field has nothing to doubt');
    assert.equal(countFlagged(x), 3);
    assert.ok(parseExtraction(x), 'still a stored v1 extraction');
  });

  test('the model cannot set reasons; an extraction stored before reasons existed stays valid and is still judged', () => {
    const raw = groundingAnswer() as { medications: Array<Record<string, unknown>> };
    raw.medications[0]!.reasons = [];
    assert.equal('reasons' in parseModelExtraction(raw).medications[0]!, false);
    const legacy = emptyExtraction();
    legacy.allergies.push({
      substance: 'Penicillin',
      reaction: null,
      severity: null,
      evidence: { page: 1, quote: 'Penicillin', found: false },
      confidence: 0.9,
    });
    legacy.vitals.push({ name: 'Pulse', value: 72, unit: 'bpm', taken_at: null, evidence: { page: 1, quote: 'Pulse 72', found: true }, confidence: 0.4 });
    assert.ok(parseExtraction(legacy));
    assert.equal(countFlagged(legacy), 2);
  });

  test("future dates, dates before birth, a unit that cannot be the test's, a value printed next to another test", () => {
    const text = ['Report date: 2031-01-05', 'Hemoglobin 13.2 x10^9/L', 'Hgb 12.9 g/dL Hct 38.5 %', 'Collected 1931-02-01'].join('\n');
    const x = emptyExtraction();
    const ev = (quote: string) => ({ page: 1, quote });
    x.document.date = { value: '2031-01-05', evidence: ev('Report date: 2031-01-05'), confidence: 0.9 };
    x.patient.date_of_birth = { value: '1950-03-03', evidence: null, confidence: 0.9 };
    x.lab_results.push(
      {
        panel: null,
        panel_loinc: null,
        loinc: null,
        specimen: null,
        test: 'Hemoglobin',
        value: 13.2,
        unit: 'x10^9/L',
        reference_range: null,
        flag: null,
        collected_at: null,
        evidence: ev('Hemoglobin 13.2 x10^9/L'),
        confidence: 0.9,
      },
      {
        panel: null,
        panel_loinc: null,
        loinc: null,
        specimen: null,
        test: 'Hgb',
        value: 38.5,
        unit: 'g/dL',
        reference_range: null,
        flag: null,
        collected_at: null,
        evidence: ev('Hgb 12.9 g/dL Hct 38.5 %'),
        confidence: 0.9,
      },
      {
        panel: null,
        panel_loinc: null,
        loinc: null,
        specimen: null,
        test: 'Hct',
        value: 38.5,
        unit: '%',
        reference_range: null,
        flag: null,
        collected_at: null,
        evidence: ev('Hgb 12.9 g/dL Hct 38.5 %'),
        confidence: 0.9,
      },
      {
        panel: null,
        panel_loinc: null,
        loinc: null,
        specimen: null,
        test: 'Glucose',
        value: 5,
        unit: 'mmol/L',
        reference_range: null,
        flag: null,
        collected_at: '1931-02-01',
        evidence: ev('Collected 1931-02-01'),
        confidence: 0.9,
      },
    );
    const y = verifyEvidence(x, [{ page: 1, text }], { now: new Date('2025-06-01T00:00:00Z') });
    assert.deepEqual(y.document.date.reasons, ['implausible_date'], 'in the future');
    assert.deepEqual(y.patient.date_of_birth.reasons, ['no_evidence']);
    const [hb, hgb, hct, glucose] = y.lab_results;
    assert.deepEqual(hb?.reasons, ['unit_mismatch']);
    assert.deepEqual(hgb?.reasons, ['value_fits_other_row'], '38.5 is printed after Hct, not after Hgb');
    assert.deepEqual(hct?.reasons, [], 'the row the value belongs to is not doubted');
    assert.ok(glucose?.reasons?.includes('implausible_date'), 'collected before the patient was born');
  });

  test('a printed LOINC code must be in its quote: a code the row does not show was not read from it', () => {
    const line = 'Haemoglobin (LOINC: 718-7):  11.8 g/dL';
    const row = (loinc: string | null) => {
      const x = emptyExtraction();
      x.lab_results.push({
        panel: null,
        panel_loinc: null,
        loinc,
        specimen: null,
        test: 'Haemoglobin',
        value: 11.8,
        unit: 'g/dL',
        reference_range: null,
        flag: null,
        collected_at: null,
        evidence: { page: 1, quote: line },
        confidence: 0.9,
      });
      return verifyEvidence(x, [{ page: 1, text: line }]).lab_results[0]!;
    };
    assert.deepEqual(row('718-7').reasons, []);
    assert.deepEqual(row(null).reasons, [], 'no code read: nothing to doubt');
    assert.deepEqual(row('4544-3').reasons, ['value_not_in_quote'], 'a real code, but not the one printed');
  });

  test('a printed code that is no code: an ICD-10 code not in the ICD-10-CM list, a LOINC code whose check digit fails; kept, and flagged', () => {
    const page = 'Type 2 diabetes E11.9  Odd thing E11.999  Glucose [2345-8] 90 mg/dL';
    const x = emptyExtraction();
    x.diagnoses.push(
      { description: 'Type 2 diabetes', icd10: 'E11.9', status: null, evidence: { page: 1, quote: 'Type 2 diabetes E11.9' }, confidence: 0.9 },
      { description: 'Odd thing', icd10: 'E11.999', status: null, evidence: { page: 1, quote: 'Odd thing E11.999' }, confidence: 0.9 },
    );
    x.lab_results.push({
      panel: null,
      panel_loinc: null,
      loinc: '2345-8',
      specimen: null,
      test: 'Glucose',
      value: 90,
      unit: 'mg/dL',
      reference_range: null,
      flag: null,
      collected_at: null,
      evidence: { page: 1, quote: 'Glucose [2345-8] 90 mg/dL' },
      confidence: 0.9,
    });
    const v = verifyEvidence(x, [{ page: 1, text: page }]);
    assert.deepEqual(v.diagnoses[0]!.reasons, []);
    assert.deepEqual(v.diagnoses[1]!.reasons, ['icd10_not_in_list']);
    assert.equal(v.diagnoses[1]!.icd10, 'E11.999', 'never dropped');
    assert.ok(v.diagnoses[1]!.confidence <= 0.5);
    assert.deepEqual(v.lab_results[0]!.reasons, ['loinc_not_valid']);
  });

  test('the OCR confidence of the quoted words feeds in', () => {
    const line = 'Potassium 4.2 mmol/L';
    const words = (conf: number[]) => line.split(' ').map((t, i) => ({ text: t, confidence: conf[i] ?? 95 }));
    assert.equal(quoteOcrConfidence('4.2 mmol/L', words([96, 40, 50])), 45);
    assert.equal(quoteOcrConfidence('Sodium', words([96, 96, 96])), null);
    const x = emptyExtraction();
    x.lab_results.push({
      panel: null,
      panel_loinc: null,
      loinc: null,
      specimen: null,
      test: 'Potassium',
      value: 4.2,
      unit: 'mmol/L',
      reference_range: null,
      flag: null,
      collected_at: null,
      evidence: { page: 1, quote: line },
      confidence: 0.9,
    });
    const sure = verifyEvidence(x, [{ page: 1, text: line, ocrConfidence: 95, words: words([95, 96, 94]) }]);
    assert.deepEqual(sure.lab_results[0]?.reasons, []);
    const unsure = verifyEvidence(x, [{ page: 1, text: line, ocrConfidence: 48, words: words([60, 35, 50]) }]);
    assert.deepEqual(unsure.lab_results[0]?.reasons, ['low_ocr_confidence']);
    assert.ok(unsure.lab_results[0]!.confidence <= 0.45, `scaled by the OCR: ${unsure.lab_results[0]?.confidence}`);
  });

  test('verifying twice gives the same reasons', () => {
    const once = verified();
    const twice = verifyEvidence(once, pages, { now: new Date('2025-01-01T00:00:00Z') });
    assert.deepEqual(twice, once);
  });
});
