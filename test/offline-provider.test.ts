/**
 * Offline (rule-based) extraction against the real corpus with ground truth, plus unit tests for
 * evidence verification, chunking and merging.
 *
 *   node --import tsx --test test/offline-provider.test.ts
 *
 * Corpus: ../shared/corpus/medical/*.pdf with <file>.truth.json (CORPUS_DIR overrides the corpus folder).
 * Every digital PDF (truth `text_layer: true`) goes through readTextLayer → extractOffline →
 * verifyEvidence; recall per document is printed and asserted against floors we actually reach.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { chunkPages, mergeExtractions } from '../library/extraction/chunk.js';
import { normaliseForMatch, verifyEvidence } from '../library/extraction/evidence.js';
import { extractOffline } from '../library/extraction/offline/index.js';
import { frequencyOf } from '../library/extraction/offline/medications.js';
import { readTextLayer } from '../library/pdf/text-layer.js';
import { labSemantics } from '../library/lab/index.js';
import type { Evidence, Extraction, LabResult, PageText } from '../core/contract/extraction.js';
import { emptyExtraction, LIST_SECTIONS } from '../core/contract/extraction.js';
import { corpus } from './support/env.js';

const CORPUS = corpus('medical');

// ---------------------------------------------------------------------------------------------------
// helpers

const norm = (s: unknown): string =>
  String(s ?? '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9%]+/g, ' ')
    .trim();
const sameName = (a: unknown, b: unknown): boolean => {
  const x = norm(a);
  const y = norm(b);
  return x !== '' && y !== '' && (x === y || x.includes(y) || y.includes(x));
};
const unitKey = (u: unknown): string =>
  String(u ?? '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[µμ]/g, 'u')
    .replace(/\s+/g, '');
const numberOf = (v: unknown): number => Number(String(v).replace(/,/g, ''));
const sexOf = (s: unknown): string | null => {
  const v = String(s ?? '').toLowerCase();
  return v.startsWith('f') ? 'F' : v.startsWith('m') ? 'M' : v === '' ? null : 'other';
};
const pct = (n: number, d: number): string => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

function allEvidence(x: Extraction): Array<{ where: string; evidence: Evidence }> {
  const out: Array<{ where: string; evidence: Evidence }> = [];
  for (const [group, fields] of [
    ['document', x.document],
    ['patient', x.patient],
  ] as const) {
    for (const [name, f] of Object.entries(fields)) if (f.evidence) out.push({ where: `${group}.${name}`, evidence: f.evidence });
  }
  for (const s of LIST_SECTIONS) x[s].forEach((item, i) => out.push({ where: `${s}[${i}]`, evidence: item.evidence }));
  return out;
}

/**
 * Truth flag ("HIGH", "N", "Mildly elevated", missing) → the flag a user sees: the printed one; where the truth
 * has no flag (the document prints none), the one computed from the range, which only library/lab computes.
 */
function expectedFlag(t: { value: string; reference_range?: string; flag?: string }): { flag: string; computed: boolean } | null {
  const f = (t.flag ?? '').toLowerCase();
  const computed = t.flag === undefined;
  if (/^(h|high)$|elevated/.test(f)) return { flag: 'H', computed };
  if (/^(l|low)$/.test(f)) return { flag: 'L', computed };
  if (/^(n|normal)$/.test(f)) return { flag: 'normal', computed };
  if (t.flag === '' && t.reference_range) return null;
  const v = numberOf(t.value);
  const r = (t.reference_range ?? '').replace(/,/g, '');
  let m = /(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)/.exec(r);
  if (m) return { flag: v < Number(m[1]) ? 'L' : v > Number(m[2]) ? 'H' : 'normal', computed };
  m = /up to\s*(\d+(?:\.\d+)?)/i.exec(r);
  if (m) return { flag: v > Number(m[1]) ? 'H' : 'normal', computed };
  return null;
}

interface Truth {
  file: string;
  document_type?: string;
  text_layer?: boolean | string;
  patient?: { name?: string; dob_iso?: string; sex?: string; mrn?: string };
  tests?: Array<{ name: string; value: string; unit: string; reference_range?: string; flag?: string; loinc?: string }>;
  medications?: Array<{ name: string; strength?: string; sig?: string } | string>;
  discharge_medications?: Array<{ name: string; strength?: string; sig?: string }>;
  diagnoses?: Array<{ description: string; icd10: string } | string>;
  procedures?: Array<{ description: string; cpt?: string }>;
  allergies?: Array<{ substance: string; reaction?: string } | string>;
  document_date_iso?: string;
  date_iso?: string;
  admission_date_iso?: string;
  discharge_date_iso?: string;
  line_items?: Array<{ code?: string | null; amount?: string }>;
  total_billed?: string;
  paid_by_insurance?: string;
}

/** Documents whose filled-in values are FreeText annotations: read only when the text layer carries them, never invented. */
const VALUES_NOT_IN_TEXT_LAYER = new Set(['azure_vaccine_consent_form_filled.pdf']);
/** Lab recall floors (measured: 100 % on each with the current text layer). */
const LAB_RECALL_FLOOR: Record<string, number> = {
  'rcn_lab_report.pdf': 0.9,
  'agentforge_lab_report.pdf': 0.9,
  'healthfirst_lab_report_3p.pdf': 0.9,
};
const SCHEMA_TYPE: Record<string, string> = { lab_report: 'lab_report', discharge_summary: 'discharge_summary', prescription: 'prescription' };

function matchLab(rows: LabResult[], t: { name: string; value: string; unit: string }): LabResult | undefined {
  return rows.find((r) => sameName(r.test, t.name) && typeof r.value === 'number' && r.value === numberOf(t.value) && unitKey(r.unit) === unitKey(t.unit));
}

// ---------------------------------------------------------------------------------------------------
// corpus

const truths: Truth[] = existsSync(CORPUS)
  ? readdirSync(CORPUS)
      .filter((f) => f.endsWith('.pdf.truth.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(path.join(CORPUS, f), 'utf8')) as Truth)
      .filter((t) => t.text_layer === true && t.file.endsWith('.pdf'))
  : [];

describe('offline extraction on the digital corpus', () => {
  test('the corpus is there', () => assert.ok(truths.length > 5, `no corpus at ${CORPUS}`));
  test('the corpus holds the documents this suite is about', () => {
    const files = truths.map((t) => t.file);
    for (const f of [
      'rcn_lab_report.pdf',
      'agentforge_lab_report.pdf',
      'healthfirst_lab_report_3p.pdf',
      'rcn_prescription.pdf',
      'rcn_discharge_summary.pdf',
      'cms1500_blank_form.pdf',
    ]) {
      assert.ok(files.includes(f), `${f} missing from ${CORPUS}`);
    }
  });

  for (const truth of truths) {
    test(truth.file, async (t) => {
      const bytes = new Uint8Array(readFileSync(path.join(CORPUS, truth.file)));
      const pages = await readTextLayer(bytes);
      const x = verifyEvidence(extractOffline(pages), pages);
      const report: string[] = [];

      // Every evidence quote is found on its page, and is verbatim page text.
      for (const { where, evidence } of allEvidence(x)) {
        assert.equal(evidence.found, true, `${where}: quote not found on page ${evidence.page}: ${JSON.stringify(evidence.quote)}`);
        const page = pages.find((p) => p.page === evidence.page);
        assert.ok(page?.text.includes(evidence.quote), `${where}: quote is not a verbatim substring of page ${evidence.page}`);
      }
      for (const s of LIST_SECTIONS) for (const item of x[s]) assert.ok(item.confidence > 0 && item.confidence <= 1, `${s}: confidence ${item.confidence}`);

      // Patient fields.
      const p = truth.patient ?? {};
      if (VALUES_NOT_IN_TEXT_LAYER.has(truth.file)) {
        // Nothing may be invented from the printed labels: a value read is the one filled in.
        const pt = p as { first_name?: string; last_name?: string };
        const name = x.patient.name.value;
        assert.ok(name === null || sameName(name, `${pt.first_name ?? ''} ${pt.last_name ?? ''}`), `invented patient name ${name}`);
        assert.ok(x.patient.date_of_birth.value === null || x.patient.date_of_birth.value === p.dob_iso, 'invented date of birth');
        report.push(`patient values from annotations: name ${name === null ? 'not read' : 'read'}, none invented`);
      } else {
        const checks: Array<[string, unknown, unknown, (a: unknown, b: unknown) => boolean]> = [];
        if (p.name) checks.push(['name', p.name, x.patient.name.value, sameName]);
        if (p.dob_iso) checks.push(['dob', p.dob_iso, x.patient.date_of_birth.value, (a, b) => a === b]);
        if (p.mrn) checks.push(['mrn', p.mrn, x.patient.mrn.value, (a, b) => a === b]);
        if (p.sex) checks.push(['sex', sexOf(p.sex), x.patient.sex.value, (a, b) => a === b]);
        const ok = checks.filter(([, want, got, eq]) => eq(want, got));
        report.push(`patient fields ${ok.length}/${checks.length} (${pct(ok.length, checks.length)})`);
        for (const [field, want, got, eq] of checks) assert.ok(eq(want, got), `patient.${field}: want ${String(want)}, got ${String(got)}`);
      }

      // Document type, where the truth names one of the schema's types.
      const wantType = SCHEMA_TYPE[truth.document_type ?? ''];
      if (wantType) assert.equal(x.document.type.value, wantType);
      const wantDate = truth.document_date_iso ?? truth.date_iso;
      if (wantDate) assert.equal(x.document.date.value, wantDate);

      // Lab rows: recall (test + numeric value + unit), precision, flags; no garbage units anywhere.
      for (const r of x.lab_results) {
        if (r.unit !== null) assert.match(r.unit, /^[A-Za-z0-9%/.^*×µμ²³_-]+$/, `garbage unit ${JSON.stringify(r.unit)} for ${r.test}`);
      }
      const tests = truth.tests ?? [];
      if (tests.length > 0) {
        const found = tests.filter((tt) => matchLab(x.lab_results, tt));
        const missed = tests.filter((tt) => !matchLab(x.lab_results, tt)).map((tt) => tt.name);
        const recall = found.length / tests.length;
        const precise = x.lab_results.filter((r) => tests.some((tt) => sameName(r.test, tt.name) && numberOf(tt.value) === r.value)).length;
        // The extraction's flag is only the printed one; the computed one is library/lab's, marked as computed.
        const semantics = labSemantics(x);
        const flagged = found.filter((tt) => {
          const want = expectedFlag(tt);
          if (want === null) return true;
          const row = matchLab(x.lab_results, tt)!;
          const shown = semantics[x.lab_results.indexOf(row)]!;
          return row.flag === (want.computed ? null : want.flag) && shown.flag === want.flag && shown.flag_computed === want.computed;
        });
        report.push(
          `lab recall ${found.length}/${tests.length} (${pct(found.length, tests.length)}), precision ${precise}/${x.lab_results.length} (${pct(precise, x.lab_results.length)}), flags ${flagged.length}/${found.length}` +
            (missed.length ? `; missed: ${missed.join(', ')}` : ''),
        );
        const floor = LAB_RECALL_FLOOR[truth.file] ?? 0.8;
        assert.ok(recall >= floor, `lab recall ${pct(found.length, tests.length)} below ${pct(floor, 1)}; missed: ${missed.join(', ')}`);
        // Printed LOINC codes: each row's own code (none where the truth, which gives codes, gives none), never in a name.
        if (tests.some((tt) => tt.loinc)) {
          const codes = found.map((tt) => [tt.name, matchLab(x.lab_results, tt)?.loinc ?? null]);
          assert.deepEqual(
            codes,
            found.map((tt) => [tt.name, tt.loinc ?? null]),
          );
          report.push(`printed LOINC codes ${codes.filter(([, c]) => c !== null).length}/${tests.filter((tt) => tt.loinc).length}`);
        }
        for (const r of x.lab_results) assert.doesNotMatch(`${r.test} | ${r.panel ?? ''}`, /loinc|\d{3,}-\d\b/i, 'a printed code left in a name');
        assert.ok(precise / Math.max(1, x.lab_results.length) >= 0.9, `lab precision ${pct(precise, x.lab_results.length)}`);
        assert.ok(flagged.length / Math.max(1, found.length) >= 0.9, `flag accuracy ${pct(flagged.length, found.length)}`);
      } else {
        assert.deepEqual(
          x.lab_results.map((r) => r.evidence.quote),
          [],
          'lab rows in a document without lab results',
        );
      }

      // Medications (structured truth only).
      const meds = (truth.discharge_medications ?? truth.medications ?? []).filter(
        (m): m is { name: string; strength?: string; sig?: string } => typeof m === 'object',
      );
      if (meds.length > 0) {
        const found = meds.filter((m) =>
          x.medications.some((e) => sameName(e.name, m.name.split(' (')[0]) && (!m.strength || unitKey(e.strength) === unitKey(m.strength))),
        );
        const withFreq = meds.filter((m) => {
          const e = x.medications.find((e2) => sameName(e2.name, m.name.split(' (')[0]));
          // The frequency is normalised ("BID" → "twice daily"): it must be the normal form of the sig's.
          return !m.sig || (e?.frequency != null && e.frequency === frequencyOf(m.sig));
        });
        report.push(`medications ${found.length}/${meds.length}, frequency ${withFreq.length}/${meds.length}, extracted ${x.medications.length}`);
        assert.equal(
          found.length,
          meds.length,
          `medications missed: ${meds
            .filter((m) => !found.includes(m))
            .map((m) => m.name)
            .join(', ')}`,
        );
        assert.equal(withFreq.length, meds.length, 'frequency missing or not from the sig');
        assert.equal(x.medications.length, meds.length, `extra medications: ${x.medications.map((m) => m.name).join(', ')}`);
      }

      // ICD-10 diagnoses.
      const dx = (truth.diagnoses ?? []).filter((d): d is { description: string; icd10: string } => typeof d === 'object' && !!d.icd10);
      if (dx.length > 0) {
        const found = dx.filter((d) => x.diagnoses.some((e) => e.icd10 === d.icd10 && sameName(e.description, d.description)));
        report.push(`ICD-10 diagnoses ${found.length}/${dx.length}`);
        assert.equal(
          found.length,
          dx.length,
          `diagnoses missed: ${dx
            .filter((d) => !found.includes(d))
            .map((d) => d.icd10)
            .join(', ')}`,
        );
      } else if (!truth.diagnoses) {
        assert.deepEqual(
          x.diagnoses.filter((d) => d.icd10).map((d) => d.icd10),
          [],
          'ICD-10 codes invented',
        );
      }

      // CPT-coded procedures.
      for (const proc of (truth.procedures ?? []).filter((pr) => pr.cpt)) {
        assert.ok(
          x.procedures.some((e) => sameName(e.name, proc.description)),
          `procedure ${proc.description} (${proc.cpt}) missing`,
        );
      }

      // Allergies.
      for (const a of truth.allergies ?? []) {
        const substance = typeof a === 'string' ? a : a.substance;
        if (/^nkda$/i.test(substance)) continue;
        const e = x.allergies.find((al) => sameName(al.substance, substance));
        assert.ok(e, `allergy ${substance} missing`);
        if (typeof a === 'object' && a.reaction) assert.ok(sameName(e.reaction, a.reaction), `allergy reaction: want ${a.reaction}, got ${e.reaction}`);
      }

      // Schema v2: the encounter's dates, a bill's coded lines with their amounts, its totals (measured: all found).
      if (truth.admission_date_iso) assert.equal(x.encounter.admission_date.value, truth.admission_date_iso, 'encounter.admission_date');
      if (truth.discharge_date_iso) assert.equal(x.encounter.discharge_date.value, truth.discharge_date_iso, 'encounter.discharge_date');
      const coded = (truth.line_items ?? []).filter((l) => l.code);
      if (coded.length > 0) {
        const found = coded.filter((l) => x.claim_lines.some((c) => c.code === l.code && c.charge === Number(l.amount)));
        report.push(`claim lines ${found.length}/${coded.length}`);
        assert.equal(found.length, coded.length, 'claim lines missed');
        assert.ok(
          x.claim_lines.every((c) => coded.some((l) => l.code === c.code)),
          'no invented claim lines',
        );
      }
      if (truth.total_billed) assert.equal(x.claim_totals.total_charge.value, Number(truth.total_billed));
      if (truth.paid_by_insurance) assert.equal(x.claim_totals.amount_paid.value, Number(truth.paid_by_insurance));

      // The blank CMS-1500: printed labels must not come back as values.
      if (truth.file === 'cms1500_blank_form.pdf') {
        for (const [name, f] of Object.entries(x.patient)) assert.equal(f.value, null, `patient.${name} = ${String(f.value)} on a blank form`);
        for (const group of ['encounter', 'insurance', 'claim_totals'] as const)
          for (const [name, f] of Object.entries(x[group])) assert.equal(f.value, null, `${group}.${name} = ${String(f.value)} on a blank form`);
        for (const name of ['date', 'facility', 'author'] as const) assert.equal(x.document[name].value, null, `document.${name} on a blank form`);
        for (const s of LIST_SECTIONS) assert.equal(x[s].length, 0, `${s} on a blank form: ${JSON.stringify(x[s].map((i) => i.evidence.quote))}`);
        report.push('blank form: no values');
      }

      t.diagnostic(report.join('; '));
      console.log(`[offline] ${truth.file}: ${report.join('; ')}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// extractOffline on synthetic text

describe('extractOffline rules', () => {
  const note = [
    'CITY GENERAL HOSPITAL',
    'Progress Note',
    'Patient Name: Jane Q Public  MRN: A123456',
    'DOB: 22-Aug-1975  Sex: Female',
    'Date of Service: 03/04/2024',
    'Vitals: BP 120/80 mmHg, HR 72 bpm, Temp 98.6 F, SpO2 98%, Weight 70 kg',
    'Allergies: Penicillin (rash)',
    'Assessment',
    '1. E11.9 - Type 2 diabetes mellitus without complications',
    '2. Essential hypertension (ICD-10: I10)',
    'Medications',
    '- Metformin 500 mg PO BID',
    '- Lisinopril 10 mg PO OD',
    '- Amlodipine 5 mg twice daily',
    'Labs',
    'Test  Result  Unit  Reference Range  Flag',
    'WBC  14,200  /uL  4,500 - 11,000  *',
    'Sodium  140  mmol/L  135 - 145',
    'Glucose  250  H  mg/dL  70 - 99',
    'Potassium  3.1  /;ÄÂ&Vc  3.5 - 5.0',
    'Ferritin  15  ng/mL  12 - 300  L',
    'Hemoglobin 13.1 g/dL 12.0-16.0',
    'Platelets  250  10³/µL  150 - 400',
    'Procedures',
    '- Colonoscopy (CPT: 45378) on 01/15/2024',
    'Electronically signed by: Dr. Alan Smith, MD',
  ].join('\n');
  const pages: PageText[] = [{ page: 1, text: note }];
  const x = verifyEvidence(extractOffline(pages), pages);

  test('document and patient fields', () => {
    assert.equal(x.document.type.value, 'clinical_note');
    assert.equal(x.document.date.value, '2024-03-04'); // month-first for '/' when ambiguous
    assert.equal(x.document.facility.value, 'CITY GENERAL HOSPITAL');
    assert.equal(x.document.author.value, 'Dr. Alan Smith, MD');
    assert.equal(x.patient.name.value, 'Jane Q Public');
    assert.equal(x.patient.mrn.value, 'A123456');
    assert.equal(x.patient.date_of_birth.value, '1975-08-22');
    assert.equal(x.patient.sex.value, 'F');
    for (const { where, evidence } of allEvidence(x)) assert.equal(evidence.found, true, where);
  });

  test('lab rows: thousands separators, "*" flag, computed flags, garbage unit dropped', () => {
    const by = (name: string): LabResult | undefined => x.lab_results.find((r) => r.test === name);
    assert.deepEqual(
      x.lab_results.map((r) => r.test),
      ['WBC', 'Sodium', 'Glucose', 'Potassium', 'Ferritin', 'Hemoglobin', 'Platelets'],
    );
    assert.equal(by('WBC')?.value, 14200);
    assert.equal(by('WBC')?.unit, '/uL');
    assert.equal(by('WBC')?.flag, 'abnormal');
    assert.equal(by('Sodium')?.flag, null, 'no flag printed: none extracted');
    assert.equal(by('Glucose')?.flag, 'H'); // flag printed before the unit
    assert.equal(by('Glucose')?.unit, 'mg/dL');
    assert.equal(by('Ferritin')?.flag, 'L', 'a printed flag wins over the range');
    assert.deepEqual(
      [by('Hemoglobin')?.value, by('Hemoglobin')?.unit, by('Hemoglobin')?.reference_range, by('Hemoglobin')?.flag],
      [13.1, 'g/dL', '12.0-16.0', null],
    );
    assert.ok((by('Hemoglobin')?.confidence ?? 1) < (by('Sodium')?.confidence ?? 0), 'single-spaced rows are a weaker rule');
    assert.equal(by('Platelets')?.unit, '10³/µL');
    assert.equal(by('Potassium')?.unit, null);
    assert.equal(by('Potassium')?.flag, null);
    // The flags the exports show: a printed one as printed, the others computed from value and range, marked as computed.
    const semantics = labSemantics(x);
    const shown = (name: string) => {
      const s = semantics[x.lab_results.findIndex((r) => r.test === name)]!;
      return { flag: s.flag, flag_computed: s.flag_computed };
    };
    assert.deepEqual(shown('WBC'), { flag: 'abnormal', flag_computed: false });
    assert.deepEqual(shown('Glucose'), { flag: 'H', flag_computed: false });
    assert.deepEqual(shown('Ferritin'), { flag: 'L', flag_computed: false }, 'a printed flag wins over the range');
    assert.deepEqual(shown('Sodium'), { flag: 'normal', flag_computed: true });
    assert.deepEqual(shown('Hemoglobin'), { flag: 'normal', flag_computed: true });
    assert.deepEqual(shown('Potassium'), { flag: 'L', flag_computed: true });
    assert.ok((by('Potassium')?.confidence ?? 1) < (by('Sodium')?.confidence ?? 0), 'a row with a garbage unit is less certain');
  });

  test('medications, diagnoses, procedures, vitals, allergies', () => {
    assert.deepEqual(
      x.medications.map((m) => [m.name, m.strength, m.route, m.frequency]),
      [
        ['Metformin', '500 mg', 'PO', 'twice daily'], // frequency normalised: BID
        ['Lisinopril', '10 mg', 'PO', 'once daily'], // OD
        ['Amlodipine', '5 mg', null, 'twice daily'],
      ],
    );
    assert.deepEqual(
      x.diagnoses.map((d) => [d.icd10, d.description]),
      [
        ['E11.9', 'Type 2 diabetes mellitus without complications'],
        ['I10', 'Essential hypertension'],
      ],
    );
    assert.deepEqual(
      x.procedures.map((p) => [p.name, p.date]),
      [['Colonoscopy', '2024-01-15']],
    );
    assert.deepEqual(
      x.vitals.map((v) => [v.name, v.value, v.unit]),
      [
        ['Blood Pressure', '120/80', 'mmHg'],
        ['Heart Rate', 72, 'bpm'],
        ['Temperature', 98.6, '°F'],
        ['SpO2', 98, '%'],
        ['Weight', 70, 'kg'],
      ],
    );
    assert.deepEqual(
      x.allergies.map((a) => [a.substance, a.reaction]),
      [['Penicillin', 'rash']],
    );
  });

  test('dates of birth in common formats, US vs day-first', () => {
    const dob = (s: string): string | null => extractOffline([{ page: 1, text: `Patient: John Smith\nDOB: ${s}` }]).patient.date_of_birth.value;
    assert.equal(dob('08/22/1975'), '1975-08-22');
    assert.equal(dob('22/08/1975'), '1975-08-22'); // first number > 12: day-first
    assert.equal(dob('03/04/1975'), '1975-03-04'); // ambiguous: month-first
    assert.equal(dob('22-Aug-1975'), '1975-08-22');
    assert.equal(dob('1975-08-22'), '1975-08-22');
    assert.equal(dob('August 22, 1975'), '1975-08-22');
    assert.equal(dob('22.08.1975'), '1975-08-22');
    assert.equal(dob('02/30/1975'), null); // no such day
    assert.equal(dob('________'), null);
  });

  test("'NKDA' means no allergies; blank labels give nothing", () => {
    const y = extractOffline([{ page: 1, text: 'Name: Jo Bloggs\nAllergies: NKDA\nMRN: ________\nDate of Birth:\nSex:' }]);
    assert.deepEqual(y.allergies, []);
    assert.equal(y.patient.mrn.value, null);
    assert.equal(y.patient.date_of_birth.value, null);
    assert.equal(y.patient.sex.value, null);
    const form = extractOffline([
      {
        page: 1,
        text: "2. PATIENT'S NAME (Last Name, First Name, Middle Initial)  3. PATIENT'S BIRTH DATE\nMM  DD  YY  SEX\nM  F\nPatient Name:  Date of Birth:",
      },
    ]);
    assert.equal(form.patient.name.value, null);
    assert.equal(form.patient.sex.value, null);
    assert.equal(form.lab_results.length, 0);
  });

  test('form templates and choice lists are not values', () => {
    const text = [
      'Name: ____________  DOB: ___/___/____  Sex: M / F',
      'Allergies: □ None □ Yes, list:',
      'Known Conditions: □ Diabetes □ Hypertension',
      'Medications: (list all)',
      'Physician: ______________',
      'Date: __/__/____',
      'BP: ____/____  Temp: ____ °F',
    ].join('\n');
    const y = extractOffline([{ page: 1, text }]);
    for (const [name, f] of Object.entries({ ...y.patient, date: y.document.date, author: y.document.author })) assert.equal(f.value, null, name);
    for (const s of LIST_SECTIONS) assert.deepEqual(y[s], [], s);
    const sex = (v: string): string | null => extractOffline([{ page: 1, text: `Sex: ${v}` }]).patient.sex.value;
    assert.equal(sex('☐ Male ☒ Female'), 'F');
    assert.equal(sex('[x] M [ ] F'), 'M');
    assert.equal(sex('Male / Female'), null);
    assert.equal(sex('49 yrs / Male'), 'M');
  });

  test('several labels on one single-spaced line; qualitative results', () => {
    const y = extractOffline([
      {
        page: 1,
        text: "Patient: John Doe Provider's Pt ID: 00988277891 Patient Gender: Male\nDOB: 1/2/1980, MRN: 12345\nHIV  Non-Reactive  Non-Reactive\nHBsAg  Reactive  Non-Reactive",
      },
    ]);
    assert.deepEqual([y.patient.name.value, y.patient.sex.value, y.patient.date_of_birth.value, y.patient.mrn.value], ['John Doe', 'M', '1980-01-02', '12345']);
    assert.deepEqual(
      y.lab_results.map((r) => [r.test, r.value, r.reference_range, r.flag]),
      [
        ['HIV', 'Non-Reactive', 'Non-Reactive', 'normal'],
        ['HBsAg', 'Reactive', 'Non-Reactive', 'abnormal'],
      ],
    );
  });

  test('a reference range wrapped onto the next line', () => {
    const pages: PageText[] = [{ page: 1, text: 'Creatinine  1.0  mg/dL  0.6 - 1.2  N\neGFR  48  mL/min/1.73m2\n>= 60  L\nComments:' }];
    const y = verifyEvidence(extractOffline(pages), pages);
    const egfr = y.lab_results.find((r) => r.test === 'eGFR');
    assert.deepEqual([egfr?.value, egfr?.unit, egfr?.reference_range, egfr?.flag], [48, 'mL/min/1.73m2', '>= 60', 'L']);
    assert.deepEqual(egfr?.evidence, { page: 1, quote: 'eGFR  48  mL/min/1.73m2\n>= 60  L', found: true });
    assert.equal(y.lab_results.length, 2);
  });

  test('the clock passed in sets the century of two-digit years and rules out dates of birth in the future', () => {
    const read = (text: string, now: string): Extraction => extractOffline([{ page: 1, text }], { now: new Date(now) });
    const dob = (value: string, now: string): string | null => read(`Patient: John Smith\nDOB: ${value}`, now).patient.date_of_birth.value;
    assert.equal(dob('03/04/26', '2026-06-01T00:00:00Z'), '2026-03-04');
    assert.equal(dob('03/04/26', '2025-06-01T00:00:00Z'), '1926-03-04');
    assert.equal(dob('2026-01-15', '2026-06-01T00:00:00Z'), '2026-01-15');
    assert.equal(dob('2026-01-15', '2025-12-31T23:59:59Z'), null);
    assert.equal(read('Date of Service: 7-Jul-30', '2030-01-01T00:00:00Z').document.date.value, '2030-07-07');
    assert.equal(read('Date of Service: 7-Jul-30', '2029-12-31T00:00:00Z').document.date.value, '1930-07-07');
  });

  test('empty input gives an empty extraction', () => {
    assert.deepEqual(extractOffline([]), emptyExtraction());
    assert.deepEqual(extractOffline([{ page: 1, text: '   \n ' }]), emptyExtraction());
  });
});

// ---------------------------------------------------------------------------------------------------
// verifyEvidence

describe('verifyEvidence', () => {
  const pages: PageText[] = [
    { page: 1, text: 'Patient Name: John   Doe\nThe ﬁnal diagnosis' },
    { page: 2, text: 'Haemoglobin 11.8 g/dL\nFooter line' },
    { page: 3, text: 'Footer line' },
  ];
  const withItems = (...quotes: Array<[number, string, number?]>): Extraction => {
    const x = emptyExtraction();
    x.allergies = quotes.map(([page, quote, confidence]) => ({
      substance: 's',
      reaction: null,
      severity: null,
      evidence: { page, quote },
      confidence: confidence ?? 0.5,
    }));
    return x;
  };

  test('found on the cited page, with tolerant normalisation', () => {
    const x = withItems([1, 'patient name: john doe'], [1, 'The final DIAGNOSIS'], [2, 'Haemoglobin 11.8 g/dL']);
    const y = verifyEvidence(x, pages);
    assert.deepEqual(
      y.allergies.map((a) => [a.evidence.page, a.evidence.found]),
      [
        [1, true],
        [1, true],
        [2, true],
      ],
    );
    assert.equal(x.allergies[0]?.evidence.found, undefined, 'the input is not modified');
  });

  test('wrong page corrected when the quote is on exactly one other page', () => {
    const y = verifyEvidence(withItems([1, 'Haemoglobin 11.8 g/dL']), pages);
    assert.deepEqual(y.allergies[0]?.evidence, { page: 2, quote: 'Haemoglobin 11.8 g/dL', found: true });
  });

  test('missing quote, ambiguous quote and empty quote are flagged', () => {
    const y = verifyEvidence(withItems([1, 'Haemoglobin 12.8 g/dL'], [1, 'Footer line'], [2, ''], [9, 'John Doe']), pages);
    assert.deepEqual(
      y.allergies.map((a) => [a.evidence.page, a.evidence.found]),
      [
        [1, false],
        [1, false],
        [2, false],
        [1, true],
      ],
    );
  });

  test('fields are verified and confidences clamped into [0, 1]', () => {
    const x = withItems([2, 'Footer line', 1.7], [2, 'Footer line', -0.2], [2, 'Footer line', Number.NaN]);
    // A substance its quote supports: only the clamping is under test here.
    for (const a of x.allergies) a.substance = 'Footer';
    x.patient.name = { value: 'John Doe', evidence: { page: 2, quote: 'John Doe' }, confidence: 3 };
    x.patient.mrn = { value: null, evidence: null, confidence: 0 };
    const y = verifyEvidence(x, pages);
    assert.deepEqual(
      y.allergies.map((a) => a.confidence),
      [1, 0, 0],
    );
    assert.deepEqual(y.patient.name.evidence, { page: 1, quote: 'John Doe', found: true });
    assert.equal(y.patient.name.confidence, 1);
    assert.equal(y.patient.mrn.evidence, null);
  });

  test('normaliseForMatch folds case, whitespace, NFKC and ligatures', () => {
    assert.equal(normaliseForMatch('  Eﬃcacy\n\tＡＢＣ  ﬁle  –  x '), 'efficacy abc file - x');
  });
});

// ---------------------------------------------------------------------------------------------------
// chunkPages / mergeExtractions

describe('chunkPages', () => {
  const page = (n: number, len: number): PageText => ({ page: n, text: 'x'.repeat(len) });

  test('whole pages, in order, within maxChars', () => {
    const chunks = chunkPages([page(1, 40), page(2, 50), page(3, 30), page(4, 100)], 100);
    assert.deepEqual(
      chunks.map((c) => c.map((p) => p.page)),
      [[1, 2], [3], [4]],
    );
    for (const c of chunks) assert.ok(c.reduce((n, p) => n + p.text.length, 0) <= 100);
  });

  test('a page longer than maxChars is split into parts that keep the page number', () => {
    const text = Array.from({ length: 30 }, (_, i) => `line ${String(i).padStart(2, '0')} of page two`).join('\n');
    const chunks = chunkPages([page(1, 10), { page: 2, text }, page(3, 10)], 100);
    const parts = chunks.flat().filter((p) => p.page === 2);
    assert.ok(parts.length > 1);
    assert.equal(parts.map((p) => p.text).join(''), text, 'parts concatenate back to the page');
    for (const p of parts) {
      assert.ok(p.text.length <= 100);
      assert.ok(p.text.endsWith('\n') || p === parts[parts.length - 1], 'cut at line breaks');
    }
    assert.deepEqual(
      chunks.flat().map((p) => p.page),
      [1, ...parts.map(() => 2), 3],
    );
    assert.ok(chunks.every((c) => c.reduce((n, p) => n + p.text.length, 0) <= 100));
  });

  test('a page without line breaks is still cut, and edge cases', () => {
    const chunks = chunkPages([page(1, 250)], 100);
    assert.deepEqual(
      chunks.map((c) => c.map((p) => [p.page, p.text.length])),
      [[[1, 100]], [[1, 100]], [[1, 50]]],
    );
    assert.deepEqual(chunkPages([], 100), []);
    assert.throws(() => chunkPages([page(1, 1)], 0), RangeError);
  });
});

describe('mergeExtractions', () => {
  const field = <T>(value: T | null, confidence: number, quote = 'q') => ({ value, evidence: value === null ? null : { page: 1, quote }, confidence });

  test('scalar fields: non-null value with the highest confidence, first wins ties', () => {
    const a = emptyExtraction();
    const b = emptyExtraction();
    const c = emptyExtraction();
    a.patient.name = field('John Doe', 0.6, 'a');
    b.patient.name = field('J. Doe', 0.9, 'b');
    c.patient.name = field(null, 1);
    a.patient.mrn = field('M1', 0.7, 'a');
    b.patient.mrn = field('M2', 0.7, 'b');
    c.document.type = field('lab_report', 0.8);
    const m = mergeExtractions([a, b, c]);
    assert.equal(m.patient.name.value, 'J. Doe');
    assert.equal(m.patient.name.evidence?.quote, 'b');
    assert.equal(m.patient.mrn.value, 'M1');
    assert.equal(m.document.type.value, 'lab_report');
    assert.equal(m.patient.sex.value, null);
  });

  test('lists concatenated and de-duplicated on normalised keys', () => {
    const lab = (test: string, value: number | string, collected_at: string | null, confidence = 0.8): LabResult => ({
      panel: null,
      panel_loinc: null,
      loinc: null,
      specimen: null,
      test,
      value,
      unit: '/uL',
      reference_range: null,
      flag: null,
      collected_at,
      evidence: { page: 1, quote: test },
      confidence,
    });
    const a = emptyExtraction();
    const b = emptyExtraction();
    a.lab_results = [lab('WBC Count', 14200, '2024-11-11'), lab('Hemoglobin', 11.8, null)];
    b.lab_results = [lab('wbc  count', '14,200', '2024-11-11', 0.95), lab('WBC Count', 14200, '2024-11-12'), lab('Hemoglobin', 1.18, null)];
    const med = (name: string, strength: string) => ({
      name,
      strength,
      form: null,
      instructions: null,
      duration: null,
      quantity: null,
      route: null,
      frequency: null,
      status: null,
      evidence: { page: 1, quote: name },
      confidence: 0.8,
    });
    a.medications = [med('Metformin', '500 mg')];
    b.medications = [med('metformin', '500mg'), med('Metformin', '1000 mg')];
    const m = mergeExtractions([a, b]);
    assert.deepEqual(
      m.lab_results.map((r) => [r.test, r.value, r.collected_at, r.confidence]),
      [
        ['wbc  count', '14,200', '2024-11-11', 0.95], // the more confident duplicate, at the first one's place
        ['Hemoglobin', 11.8, null, 0.8],
        ['WBC Count', 14200, '2024-11-12', 0.8],
        ['Hemoglobin', 1.18, null, 0.8],
      ],
    );
    assert.deepEqual(
      m.medications.map((x) => [x.name, x.strength]),
      [
        ['Metformin', '500 mg'],
        ['Metformin', '1000 mg'],
      ],
    );
  });

  test('no parts: an empty extraction', () => {
    assert.deepEqual(mergeExtractions([]), emptyExtraction());
  });

  test('chunk → extract → merge gives the same lab rows as the whole document', () => {
    const pages: PageText[] = [
      { page: 1, text: 'LAB REPORT\nPatient Name: Ann Lee\nTest  Result  Unit  Reference Range\nSodium  140  mmol/L  135 - 145' },
      { page: 2, text: 'Potassium  5.9  mmol/L  3.5 - 5.0\nCalcium  9.5  mg/dL  8.5 - 10.5' },
    ];
    const whole = extractOffline(pages);
    const merged = mergeExtractions(chunkPages(pages, 60).map((c) => extractOffline(c)));
    assert.deepEqual(
      merged.lab_results.map((r) => [r.test, r.value, r.flag]),
      whole.lab_results.map((r) => [r.test, r.value, r.flag]),
    );
    assert.equal(merged.patient.name.value, 'Ann Lee');
  });
});

// ---------------------------------------------------------------------------------------------------
// Schema v2 on layouts the rules were not written against (synthetic text, no corpus file's wording)

describe('extractOffline schema v2', () => {
  const verify = (text: string | string[]): Extraction => {
    const pages: PageText[] = (Array.isArray(text) ? text : [text]).map((t, i) => ({ page: i + 1, text: t }));
    const x = verifyEvidence(extractOffline(pages, { now: new Date('2026-12-01T00:00:00Z') }), pages);
    // Every value keeps page + verbatim quote, and grounding finds it there.
    for (const { where, evidence } of allEvidence(x)) assert.equal(evidence.found, true, `${where}: ${evidence.quote}`);
    return x;
  };

  test('a row of labels takes its values from the line below, column by column; age, encounter', () => {
    const x = verify(
      [
        'Riverside Community Hospital',
        'Inpatient Discharge Summary',
        'PATIENT:  DATE OF BIRTH:  AGE:',
        'Mira Okafor  03/02/1961  65 yrs',
        'ADMITTED:  DISCHARGED:  WARD:',
        '11/02/2026  11/09/2026  4 West',
        'Attending Physician: Dr. Tomas Reyes, MD',
      ].join('\n'),
    );
    assert.equal(x.patient.name.value, 'Mira Okafor');
    assert.equal(x.patient.date_of_birth.value, '1961-03-02');
    assert.equal(x.patient.age.value, '65 yrs');
    assert.equal(x.encounter.admission_date.value, '2026-11-02');
    assert.equal(x.encounter.discharge_date.value, '2026-11-09');
    assert.equal(x.encounter.ward.value, '4 West');
    assert.equal(x.encounter.attending.value, 'Dr. Tomas Reyes, MD');
    assert.equal(x.document.type.value, 'discharge_summary');
  });

  test('insurance card: payer from its first line, member id and group under other label wordings', () => {
    const x = verify(['Bluewater Health Plan', 'Subscriber: Leo Brandt', 'Subscriber ID: QX4410299', 'Grp #: 77120', 'RxBIN: 004336'].join('\n'));
    assert.equal(x.document.type.value, 'insurance_card');
    assert.equal(x.insurance.payer.value, 'Bluewater Health Plan');
    assert.equal(x.insurance.member_id.value, 'QX4410299');
    assert.equal(x.insurance.group_number.value, '77120');
  });

  test("a label whose only 'value' is a scan's speck takes the value on the next line", () => {
    const x = verify(['INSURER: I', 'Harbour Mutual Health', 'MEMBER #:  :', 'HM55120984'].join('\n'));
    assert.deepEqual([x.insurance.payer.value, x.insurance.member_id.value], ['Harbour Mutual Health', 'HM55120984']);
  });

  test("document dates under labels that say so: alone over their value, before it without a colon, after a scan's specks", () => {
    const date = (lines: string[]) => verify(lines.join('\n')).document.date.value;
    assert.equal(date(['EXPLANATION OF BENEFITS', 'STATEMENT DATE:', '9/23/2024']), '2024-09-23');
    assert.equal(date(['PRESCRIPTION', 'Age 20 years  Prescription Date Nov 4, 2024']), '2024-11-04');
    assert.equal(date(['Referral Letter', 'Name Priya Dobrev', 'Date Nov 4, 2024']), '2024-11-04');
    assert.equal(date(['Imaging Report', 'Exam. Date:  -.  -  06/27/2024.  ~~  .  DOB:  03/25/1960']), '2024-06-27');
    assert.equal(date(['Certificate of Immunization', 'As of:  Patient ID:', 'Feb 13, 2026  MRN-0422860']), '2026-02-13');
    // A date label's month is no part of the label ('Prescription Date Nov' / '4, 2024'), and a due date dates nothing.
    assert.equal(date(['Statement', 'Payment Due Date Dec 1, 2024']), null);
    assert.equal(verify(['Referral Letter', 'Name Priya Dobrev'].join('\n')).patient.name.value, 'Priya Dobrev');
  });

  test("a card's captions without colons stand over their values; a bare 'ID' is the member's only beside a plan's group", () => {
    const card = verify(
      ['Evergreen Mutual Health Plan', 'Subscriber  Copay', 'Luis Ortega  $25', 'ID  PCN', 'XQ7-552019  ADV', 'Group No.', '40021-B'].join('\n'),
    );
    assert.deepEqual(
      [card.patient.name.value, card.insurance.member_id.value, card.insurance.group_number.value, card.insurance.payer.value],
      ['Luis Ortega', 'XQ7-552019', '40021-B', 'Evergreen Mutual Health Plan'],
    );
    // A row of known captions with one form field among them; a one-letter value below its caption.
    const visit = verify(['OFFICE VISIT', 'Visit Date  Patient ID', 'Apr 9, 2026  918079988', 'Sex/Gender', 'F'].join('\n'));
    assert.deepEqual([visit.document.date.value, visit.patient.mrn.value, visit.patient.sex.value], ['2026-04-09', '918079988', 'F']);
    // A lab slip's 'ID' is no member ID, and a caption row without a form field's label is no label row.
    const slip = verify(['ID  Collected', 'A-55102  03/02/2026', 'Test  Result  Units', 'Sodium  139  mmol/L'].join('\n'));
    assert.equal(slip.insurance.member_id.value, null);
    assert.equal(slip.lab_results.length, 1);
  });

  test("a claim form's row of programme checkboxes is no payer; the insurer heading the form is", () => {
    const x = verify(
      [
        'HEALTH INSURANCE CLAIM FORM',
        "1. MEDICARE MEDICAID TRICARE CHAMPVA  1a. INSURED'S I.D. NUMBER",
        'Harbourline Benefit Cooperative PO Box 4410',
        'Member ID:  QK-55190-2',
      ].join('\n'),
    );
    assert.equal(x.insurance.payer.value, 'Harbourline Benefit Cooperative');
  });

  test("vitals: a name alone on its line over its measurement; a scan's '1b' is lb", () => {
    const x = verify(['VITALS:', 'BP 148/82 mmHg  :  Wt 71.2 1b', 'Temp', '99.4 °F'].join('\n'));
    assert.deepEqual(
      x.vitals.map((v) => [v.name, v.value, v.unit]),
      [
        ['Blood Pressure', '148/82', 'mmHg'],
        ['Weight', 71.2, 'lb'],
        ['Temperature', 99.4, '°F'],
      ],
    );
  });

  test("lab rows of a noisy scan: a column's rule read as a glyph is a gap, a heading's trailing specks are no part of it", () => {
    const x = verify(
      [
        'Test  :  Observed | Standard Range  HIL',
        'Urine Chemistry  ;  ad',
        '|  Urine Albumin  44  mg/L|0- 30  *H',
        'Liver Function Tests  A',
        'ALT (SGPT)  38 IU/L [7-40',
        'Specific Gravity  -  ~~  1.012(1.005 - 1.030',
        'Haemoglobin:  11.8 g/dL  [Ref: 13.5–17.5] LOW',
        'Cholesterol  138  mg/dL  <.  200  Normal',
        'Glucose  77  mg/dL  70°  to 99  Normal',
      ].join('\n'),
    );
    assert.deepEqual(
      x.lab_results.map((r) => [r.panel, r.test, r.value, r.unit, r.reference_range]),
      [
        ['Urine Chemistry', 'Urine Albumin', 44, 'mg/L', '0- 30'],
        ['Liver Function Tests', 'ALT (SGPT)', 38, 'IU/L', '7-40'],
        ['Liver Function Tests', 'Specific Gravity', 1.012, null, '1.005 - 1.030'],
        // A range in brackets keeps them.
        ['Liver Function Tests', 'Haemoglobin', 11.8, 'g/dL', '13.5-17.5'],
        // A comparator set apart from its number by a speck; a speck before 'to'.
        ['Liver Function Tests', 'Cholesterol', 138, 'mg/dL', '< 200'],
        ['Liver Function Tests', 'Glucose', 77, 'mg/dL', '70 to 99'],
      ],
    );
  });

  test("lab rows read by a header in an order of its own, with OCR's misreadings of digits and a garbled cell", () => {
    const x = verify(
      [
        'Category  Parameter  Observed  Unit  Standard Range',
        'Hematology  HGB  12:3  gm/dL  12.0to 16.0',
        'Hematology  Leukocytes  12.4 HIGH  X10E3/uL  451t011.0',
        'Basic Metabolic  K  4.2  mEq/L  3.5t05.1',
        'Panel',
        'Parameter  Value  Reference  Units',
        'Hematocrit  34.3  36.0 - 46.0  %',
        'Test  Observed  UOoM  Biological Ref.',
        'HDL-C  51  mg/dL  40 to 60',
      ].join('\n'),
    );
    assert.deepEqual(
      x.lab_results.map((r) => [r.panel, r.test, r.value, r.unit, r.reference_range]),
      [
        ['Hematology', 'HGB', 12.3, 'gm/dL', '12.0 to 16.0'],
        // The range OCR garbled is left out; the row is kept.
        ['Hematology', 'Leukocytes', 12.4, 'X10E3/uL', null],
        ['Basic Metabolic Panel', 'K', 4.2, 'mEq/L', '3.5 to 5.1'],
        [null, 'Hematocrit', 34.3, '%', '36.0 - 46.0'],
        [null, 'HDL-C', 51, 'mg/dL', '40 to 60'],
      ],
    );
    // A range OCR spread over three cells; a unit of two words under a header of its own order; a panel column last.
    const y = verify(
      [
        'Parameter  Value  Reference  Units',
        'Free T4  1.22  0.80  -  1.80  ng/dL',
        'Estimated GFR  107  > 60  mL/min/1.73 m2',
        'Parameter  Result  Normal Range  H/L  Category',
        'HDL Cholesterol  69 mg/dL  40 to 60  *H  Lipids',
      ].join('\n'),
    );
    assert.deepEqual(
      y.lab_results.map((r) => [r.panel, r.test, r.value, r.unit, r.reference_range, r.flag]),
      [
        [null, 'Free T4', 1.22, 'ng/dL', '0.80 - 1.80', null],
        [null, 'Estimated GFR', 107, 'mL/min/1.73 m2', '> 60', null],
        ['Lipids', 'HDL Cholesterol', 69, 'mg/dL', '40 to 60', 'H'],
      ],
    );
  });

  test("lab headers whose column names run together ('Value Reference Range', 'Result UOM'); a wrapped panel cell; a discharge summary stays one", () => {
    const x = verify(
      [
        'Eastfield Community Hospital',
        'DISCHARGE SUMMARY',
        'Name: Tobias Haddad  Medical Record Number: 125311756',
        'Birth Date: 5/10/1944  Attending: Rosa Thornbury, PA-C',
        'HOSPITAL COURSE',
        'The patient was admitted on 3/8/2026 with migraine. He was treated and improved steadily.',
        'He was discharged on 3/16/2026.',
        'Principal Diagnosis',
        'Migraine without aura, not intractable  G43.009',
        'Laboratory Results',
        'Findings',
        'Test Name  Value Reference Range  Flag  Section',
        'Total Cholesterol  177 mg/dL <200  Lipid Panel',
        'Aspartate Aminotransferase  56 IU/L 10-40  HIGH  LFT',
        'Test  Reference Range  Result UOM',
        'LDL-C  < 100  121 H mg/dL',
        'Panel  Test  Unit  Flag  Your Value Reference Interval',
        'Complete Blood  Haematocrit  %  41.1 36.0 to 46.0',
        'Count',
        'Basic Metabolic  Potassium  mEq/L  3.6  3.5 to 5.1',
        'Panel',
        'Basic Metabolic  Sodium  mEq/L  142 135 to 145',
        'Basic Metabolic  Chloride  mmol/L  104 98 to 107',
      ].join('\n'),
    );
    assert.deepEqual(
      x.lab_results.map((r) => [r.panel, r.test, r.value, r.unit, r.reference_range, r.flag]),
      [
        ['Lipid Panel', 'Total Cholesterol', 177, 'mg/dL', '<200', null],
        ['LFT', 'Aspartate Aminotransferase', 56, 'IU/L', '10-40', 'H'],
        [null, 'LDL-C', 121, 'mg/dL', '< 100', 'H'],
        ['Complete Blood Count', 'Haematocrit', 41.1, '%', '36.0 to 46.0', null],
        ['Basic Metabolic Panel', 'Potassium', 3.6, 'mEq/L', '3.5 to 5.1', null],
        ['Basic Metabolic', 'Sodium', 142, 'mEq/L', '135 to 145', null],
        ['Basic Metabolic', 'Chloride', 104, 'mmol/L', '98 to 107', null],
      ],
    );
    assert.equal(x.document.type.value, 'discharge_summary');
  });

  test("a lab header whose value column's name wrapped onto the next line ('Your' / 'Value') is one header, not a panel heading", () => {
    const x = verify(['Results', 'Test Name  Your UOM  Reference Range Abnormal  Section', 'Value', 'Na  148 mEq/L  135-145  H  Chemistry'].join('\n'));
    assert.deepEqual(
      x.lab_results.map((r) => [r.panel, r.test, r.value, r.unit, r.reference_range, r.flag]),
      [['Chemistry', 'Na', 148, 'mEq/L', '135-145', 'H']],
    );
  });

  test("a laboratory's name and its panels make a lab report; OCR's zero in a label ('D.0.B.') is an O", () => {
    const x = verify(
      [
        'Harbor Point Clinical Laboratory',
        'Final Report',
        'D.0.B.:',
        'January 8, 1960',
        'Thyroid Panel',
        'Component  Result  UoM  Normal Range',
        'T4, Free  1.57  ng/dL  0.80-1.80',
      ].join('\n'),
    );
    assert.deepEqual([x.document.type.value, x.patient.date_of_birth.value], ['lab_report', '1960-01-08']);
  });

  test("prose: an allergy sentence that starts on a line cut mid-phrase; a medication line opened by a sentence's lead", () => {
    const x = verify(
      [
        'ALLERGIES / ADVERSE REACTIONS',
        'She is allergic to shellfish, which causes',
        'anaphylaxis.',
        'DISCHARGE MEDICATIONS',
        'Also atorvastatin 20 mg every night.',
      ].join('\n'),
    );
    assert.deepEqual(
      x.allergies.map((a) => [a.substance, a.reaction]),
      [['shellfish', 'anaphylaxis']],
    );
    assert.deepEqual(
      x.medications.map((m) => [m.name, m.strength]),
      [['atorvastatin', '20 mg']],
    );
  });

  test("procedures listed with their marker, code first or no code; a scan's space after an ICD-10 code's point", () => {
    const x = verify(
      [
        'Procedures Performed',
        '-  99213 - Office visit, established patient, low',
        'complexity',
        '1.  Complete blood count with differential',
        'IMPRESSION',
        '1.  Hepatic steatosis (K76. 0)',
      ].join('\n'),
    );
    assert.deepEqual(
      x.procedures.map((p) => [p.name, p.code]),
      [
        ['Office visit, established patient, low complexity', '99213'],
        ['Complete blood count with differential', null],
      ],
    );
    assert.deepEqual(
      x.diagnoses.map((d) => d.icd10),
      ['K76.0'],
    );
  });

  test("lab rows: a test's name wrapped in its cell onto the next line joins it; a panel's heading, a flag and a table's note do not", () => {
    const x = verify(
      [
        'Component  Result  Unit  Reference',
        'Lipid Studies',
        'Cholesterol,  201  mg/dL  <200',
        'Total',
        'Red Blood  4.10  M/uL  4.20-5.40',
        'Cell Count',
        'Complete Blood Count',
        'Hgb  10.9  g/dL  12.0-16.0',
        '*L',
        'Mean Platelet  9.8  fL  7.5-11.5',
        'Volume',
        'Interpretation',
        'Values flagged are outside the reference interval.',
      ].join('\n'),
    );
    assert.deepEqual(
      x.lab_results.map((r) => [r.panel, r.test, r.value, r.flag]),
      [
        ['Lipid Studies', 'Cholesterol, Total', 201, null],
        ['Lipid Studies', 'Red Blood Cell Count', 4.1, null],
        ['Complete Blood Count', 'Hgb', 10.9, 'L'],
        ['Complete Blood Count', 'Mean Platelet Volume', 9.8, null],
      ],
    );
    assert.equal(x.lab_results[1]!.evidence.quote, 'Red Blood  4.10  M/uL  4.20-5.40\nCell Count');
  });

  test("printed LOINC codes: labelled or bracketed in a test's or panel's name, in a LOINC or Code column, before the name under a code column's header", () => {
    const rows = (x: Extraction) => x.lab_results.map((r) => [r.panel, r.panel_loinc, r.test, r.loinc, r.value]);
    assert.deepEqual(
      rows(
        verify(
          [
            'Complete Blood Count (LOINC: 58410-2)',
            'Haemoglobin (LOINC: 718-7):  11.8 g/dL  [Ref: 13.5-17.5] LOW',
            'Neutrophils %:  82%  [Ref: 50-70%] HIGH',
            'Lipid Panel [24331-1]',
            'Total Cholesterol [2093-3]  215  mg/dL  < 200  H',
            'HDL Cholesterol (2085-9) 52  mg/dL  40 - 60',
            'Triglycerides  155  mg/dL  < 150  H',
          ].join('\n'),
        ),
      ),
      [
        ['Complete Blood Count', '58410-2', 'Haemoglobin', '718-7', 11.8],
        ['Complete Blood Count', '58410-2', 'Neutrophils %', null, 82],
        ['Lipid Panel', '24331-1', 'Total Cholesterol', '2093-3', 215],
        ['Lipid Panel', '24331-1', 'HDL Cholesterol', '2085-9', 52],
        ['Lipid Panel', '24331-1', 'Triglycerides', null, 155],
      ],
    );
    const columns = verify(
      [
        'Code  Test Name  Result  Units  Reference Range',
        '2951-2  Sodium  140  mmol/L  135 - 145',
        '2823-3  Potassium  5.6  mmol/L  3.5 - 5.1',
        'Chloride  101  mmol/L  98 - 107',
        'Test  Result  Units  Range  LOINC Code',
        'ALT  55  U/L  7 - 40  1742-6',
        // A code whose check digit fails is no LOINC code; a range is never one.
        'Eosinophils  4  %  1-8  713-9',
        'LOINC / Test  Result  Units  Reference Range',
        '718-7 Hemoglobin  13.2  g/dL  12.0 - 16.0',
      ].join('\n'),
    );
    assert.deepEqual(rows(columns), [
      [null, null, 'Sodium', '2951-2', 140],
      [null, null, 'Potassium', '2823-3', 5.6],
      [null, null, 'Chloride', null, 101],
      [null, null, 'ALT', '1742-6', 55],
      [null, null, 'Eosinophils', null, 4],
      [null, null, 'Hemoglobin', '718-7', 13.2],
    ]);
    assert.equal(columns.lab_results[4]!.reference_range, '1-8');
    // A name or a label wrapped in its cell, the code on the line below.
    const wrapped = verify(
      [
        'Test  Result  Units  Reference Range',
        'Alkaline  95  U/L  44 - 147',
        'Phosphatase (LOINC: 6768-6)',
        'Hemoglobin (LOINC:  13.2  g/dL  12.0 - 16.0',
        '718-7)',
        'Albumin  4.1  g/dL  3.5 - 5.0',
      ].join('\n'),
    );
    assert.deepEqual(rows(wrapped), [
      [null, null, 'Alkaline Phosphatase', '6768-6', 95],
      [null, null, 'Hemoglobin', '718-7', 13.2],
      [null, null, 'Albumin', null, 4.1],
    ]);
    assert.equal(wrapped.lab_results[1]!.evidence.quote, 'Hemoglobin (LOINC:  13.2  g/dL  12.0 - 16.0\n718-7)');
    // Without a label, brackets or a code column, digits and a hyphen are no code.
    assert.deepEqual(rows(verify('Test  Result  Units  Reference Range\nFerritin  718-7  ng/mL')), []);
  });

  test("lab rows of a scan, a panel column first: speck cells and specks at a cell's edges are no cells", () => {
    const x = verify(
      [
        'Laboratory Results',
        'Section  Test  Your Value  ~  Ref. Range',
        "Hematology .  Mean Corpuscular Volume  98.2 fL  .'80.0 - 100.0",
        '-  Hematology  | WBC Count  13.3 K/uL  |  4.5 - 11.0',
        '"Hepatic Function Panel  Albumin  3.8 g/dL  "3.5 - 5.0"',
      ].join('\n'),
    );
    assert.deepEqual(
      x.lab_results.map((r) => [r.panel, r.test, r.value, r.unit, r.reference_range]),
      [
        ['Hematology', 'Mean Corpuscular Volume', 98.2, 'fL', '80.0 - 100.0'],
        ['Hematology', 'WBC Count', 13.3, 'K/uL', '4.5 - 11.0'],
        ['Hepatic Function Panel', 'Albumin', 3.8, 'g/dL', '3.5 - 5.0'],
      ],
    );
    // Columns in an order of their own, the flag with its star ('*L').
    const y = verify(['Category  Investigation  Ref. Range  Unit  Value  Abnormal', 'Thyroid Function  TSH  0.40 - 4.00  mIU/L  0.12  *L'].join('\n'));
    assert.deepEqual(
      y.lab_results.map((r) => [r.panel, r.test, r.value, r.reference_range, r.flag]),
      [['Thyroid Function', 'TSH', 0.12, '0.40 - 4.00', 'L']],
    );
  });

  test("medications: a 'Dosage Form' column is the form, not a second strength; OCR's '«' and '+' bullets open items", () => {
    const table = verify(['Current Medications', 'Medication  Dose  Dosage Form  Sig', 'Cetirizine  10 mg  Tab  2 tablets daily'].join('\n'));
    assert.deepEqual(
      table.medications.map((m) => [m.name, m.strength, m.form, m.instructions]),
      [['Cetirizine', '10 mg', 'Tab', '2 tablets daily']],
    );
    const list = verify(
      [
        'Discharge Medications',
        '«  Prednisone 10 mg tablet -- Take 1 tablet once daily for 5 days',
        '+  furosemide (Lasix) 40 mg tab - 1 tablet once daily',
        '«Aspirin 81 mg tablet - Take 1 tablet by mouth once a day',
      ].join('\n'),
    );
    assert.deepEqual(
      list.medications.map((m) => [m.name, m.strength, m.form]),
      [
        ['Prednisone', '10 mg', 'tablet'],
        ['furosemide (Lasix)', '40 mg', 'tab'],
        ['Aspirin', '81 mg', 'tablet'],
      ],
    );
  });

  test("medications: a table's cells wrapped over several lines join their row, cell by cell or to the cell they continue", () => {
    const x = verify(
      [
        'CURRENT MEDICATIONS',
        'Medication  Directions /',
        'Instructions',
        'Valacyclovir 500  1 tablet twice daily',
        'mg tab  for 5 days',
        'Pantoprazole 40 mg tab  Take 1 tablet',
        'once daily before',
        'breakfast',
        'Metoprolol 25 mg  1 tablet every',
        'Tablet  morning',
        'sertraline 50 mg  1 tablet daily',
      ].join('\n'),
    );
    assert.deepEqual(
      x.medications.map((m) => [m.name, m.strength, m.form, m.instructions]),
      [
        ['Valacyclovir', '500 mg', 'tab', '1 tablet twice daily for 5 days'],
        ['Pantoprazole', '40 mg', 'tab', 'Take 1 tablet once daily before breakfast'],
        ['Metoprolol', '25 mg', 'Tablet', '1 tablet every morning'],
        // A row of its own that happens to start in lower case: it has its own dose.
        ['sertraline', '50 mg', null, '1 tablet daily'],
      ],
    );
  });

  test('medications: a table read by its header, prose sentence by sentence, a dose of "1 tablet" kept', () => {
    const x = verify(
      [
        'MEDICATIONS',
        'Drug  Strength  Form  Directions',
        'Losartan  50 mg  Tablet  1 tablet by mouth 2x/day',
        'Montelukast  10 mg  Tablet  Take one at night',
        'Home Medications',
        '- Ondansetron 1 tablet PO q8h PRN nausea',
        'History',
        'She currently takes metformin 1 g twice daily. Also prednisolone 5 mg each morning for 5 days.',
      ].join('\n'),
    );
    const by = (n: string) => x.medications.find((m) => m.name.toLowerCase() === n);
    assert.deepEqual(
      [by('losartan')?.strength, by('losartan')?.form, by('losartan')?.frequency, by('losartan')?.instructions],
      ['50 mg', 'Tablet', 'twice daily', '1 tablet by mouth 2x/day'],
    );
    assert.equal(by('montelukast')?.frequency, 'at bedtime');
    assert.ok(by('ondansetron'), 'a medication whose dose is "1 tablet" is kept');
    assert.equal(by('ondansetron')?.strength, null);
    assert.deepEqual([by('metformin')?.strength, by('metformin')?.frequency], ['1 g', 'twice daily']);
    assert.deepEqual([by('prednisolone')?.strength, by('prednisolone')?.duration], ['5 mg', '5 days']);
    assert.equal(x.medications.length, 5, x.medications.map((m) => m.name).join(', '));
  });

  test('medication table with wrapped cells: the rest of a cut direction joins the directions, not the strength', () => {
    const x = verify(
      [
        'Medications on Discharge',
        'Medicine  Directions  Strength',
        'Pregabalin  1 capsule two times a  75 mg',
        'day',
        'Budesonide  2 puffs morning and  200 mcg',
        'evening, rinse mouth',
        'Cefalexin Oral  5 mL four times daily for  250 mg/5',
        'Suspension  7 days  mL',
        'Senna  2 tablets at night  8.6 mg',
      ].join('\n'),
    );
    assert.deepEqual(
      x.medications.map((m) => [m.name, m.strength, m.instructions]),
      [
        ['Pregabalin', '75 mg', '1 capsule two times a day'],
        ['Budesonide', '200 mcg', '2 puffs morning and evening, rinse mouth'],
        ['Cefalexin', '250 mg/5 mL', '5 mL four times daily for 7 days'],
        ['Senna', '8.6 mg', '2 tablets at night'],
      ],
    );
  });

  test("a bullet the OCR read as another glyph ('»', '~') still opens a list item", () => {
    const x = verify(
      ['MEDICATIONS:', '»  Latanoprost 0.005% eye drops: 1 drop in each eye at bedtime', '~  Timolol 0.5% solution: 1 drop twice daily'].join('\n'),
    );
    assert.deepEqual(
      x.medications.map((m) => [m.name, m.strength]),
      [
        ['Latanoprost', '0.005 %'],
        ['Timolol', '0.5 %'],
      ],
    );
  });

  test('a prescription without a medications heading: a drug line with its Sig or Directions line below', () => {
    const x = verify(
      ['Rx', '1. sertraline (Zoloft) 100 mg tablet', 'Sig: 2 tablets daily', 'Disp: #28', 'Amlodipine Besylate 10 mg Tab', 'Directions: 1 tablet daily'].join(
        '\n',
      ),
    );
    assert.deepEqual(
      x.medications.map((m) => [m.name, m.strength, m.form, m.instructions, m.frequency]),
      [
        ['sertraline (Zoloft)', '100 mg', 'tablet', '2 tablets daily', 'once daily'],
        ['Amlodipine Besylate', '10 mg', 'Tab', '1 tablet daily', 'once daily'],
      ],
    );
  });

  test('a line that is only a frequency (the rest of an item: "BID") does not end the medication list', () => {
    const x = verify(['MEDICATIONS', '1. Metoprolol Succinate (50 mg) 1 tablet PO', 'BID', '2. Sertraline (25 mg) 1 tablet PO daily'].join('\n'));
    assert.deepEqual(
      x.medications.map((m) => [m.name, m.instructions]),
      [
        ['Metoprolol Succinate', '1 tablet PO BID'],
        ['Sertraline', '1 tablet PO daily'],
      ],
    );
  });

  test('a medication table without a header in a column order of its own, directions wrapped below', () => {
    const x = verify(
      [
        'Current Medications',
        'Montelukast  1 tablet at bedtime  tablet  10 mg',
        'Pantoprazole  Take 1 tablet daily before  tab  40 mg',
        'breakfast',
        'Allergies: none known',
      ].join('\n'),
    );
    assert.deepEqual(
      x.medications.map((m) => [m.name, m.strength, m.form, m.instructions, m.frequency]),
      [
        ['Montelukast', '10 mg', 'tablet', '1 tablet at bedtime', 'at bedtime'],
        ['Pantoprazole', '40 mg', 'tab', 'Take 1 tablet daily before breakfast', 'once daily'],
      ],
    );
  });

  test('numbered medication items wrapped onto the next line, strength in parentheses', () => {
    const x = verify(
      [
        'Current Medications',
        '1. Pregabalin (75 mg) Take 1 capsule two times',
        'daily',
        '2. Insulin detemir (100 units/mL)',
        '12 units SC at bedtime',
        '3. Ramipril (5 mg) 1 tablet PO OD',
        'Plan',
        'Review in clinic.',
      ].join('\n'),
    );
    assert.deepEqual(
      x.medications.map((m) => [m.name, m.strength, m.instructions]),
      [
        ['Pregabalin', '75 mg', 'Take 1 capsule two times daily'],
        ['Insulin detemir', '100 units/mL', '12 units SC at bedtime'],
        ['Ramipril', '5 mg', '1 tablet PO OD'],
      ],
    );
    // Form words in a run, and abbreviated, are the form, not the start of the directions.
    const forms = verify(['Medications', '- Beclometasone 100 mcg MDI Inhaler: 2 puffs BID', '- Timolol 0.5% Soln  1 drop OU BID'].join('\n'));
    assert.deepEqual(
      forms.medications.map((m) => [m.name, m.form, m.instructions]),
      [
        ['Beclometasone', 'MDI Inhaler', '2 puffs BID'],
        ['Timolol', 'Soln', '1 drop OU BID'],
      ],
    );
  });

  test('medication status from a status column and from the instruction; a modified-release form is no change', () => {
    const x = verify(
      [
        'Discharge Medications',
        'Medicine  Dose  Frequency  Status',
        'Ramipril  5 mg  once daily  Increased',
        'Warfarin  3 mg  daily  Discontinued',
        'Apixaban  5 mg  twice daily  New',
        'Other medicines',
        '- Nifedipine 30 mg modified-release tablet once daily',
      ].join('\n'),
    );
    const status = (n: string) => x.medications.find((m) => m.name.toLowerCase() === n)?.status;
    assert.deepEqual(['ramipril', 'warfarin', 'apixaban', 'nifedipine'].map(status), ['changed', 'stopped', 'active', null]);
  });

  test('allergies with severity, from a table and from prose; no junk rows from a footer', () => {
    const x = verify(
      [
        'Allergies and Reactions',
        'Agent  Reaction  Severity',
        'Sulfa  hives  moderate',
        'He is allergic to penicillin, which causes a rash.',
        'Page 1 of 2',
      ].join('\n'),
    );
    assert.deepEqual(
      x.allergies.map((a) => [a.substance, a.reaction, a.severity]),
      [
        ['Sulfa', 'hives', 'moderate'],
        ['penicillin', 'rash', null],
      ],
    );
  });

  test('allergies: a header row whose first cell is "Allergy", a wrapped sentence, and no signature read as an allergy', () => {
    const x = verify(
      [
        'Letter of Referral',
        'Known Allergies',
        'Allergy  Reaction  Sev.',
        'Walnuts  throat swelling  severe',
        'Adhesive tape  blisters  mild',
        'Also allergic to cefalexin, which causes hives. Reports mild',
        'itching with chlorhexidine.',
        'Kind regards,',
        'Dr. Ines Marlow, MD',
      ].join('\n'),
    );
    assert.deepEqual(
      x.allergies.map((a) => [a.substance, a.reaction, a.severity]),
      [
        ['Walnuts', 'throat swelling', 'severe'],
        ['Adhesive tape', 'blisters', 'mild'],
        ['cefalexin', 'hives', null],
        ['chlorhexidine', 'itching', 'mild'],
      ],
    );
    const rows = verify(['ALLERGY LIST', 'Latex  hives  mild', 'Sesame  lip swelling', 'Signature: ______ J. Ode, NP'].join('\n'));
    assert.deepEqual(
      rows.allergies.map((a) => [a.substance, a.reaction, a.severity]),
      [
        ['Latex', 'hives', 'mild'],
        ['Sesame', 'lip swelling', null],
      ],
    );
  });

  test('procedures of an imaging report: a study and its code wrapped at the column edge, once; the technique sentence is no second procedure', () => {
    const x = verify(
      [
        'Lakeshore Imaging',
        'Imaging Report',
        'Ordering Clinician:  Dr. Ama Boateng  Study:  MRI Lumbar Spine without',
        'Internal Medicine  contrast (CPT 72148)',
        'Date:  June 3,  Exam:  US Abdomen complete',
        '2026  (CPT 76700)',
        'Procedure',
        'MRI Lumbar Spine without contrast. Comparison with the study of last spring.',
        'Impression',
        'Mild degenerative disc disease at L4-L5.',
      ].join('\n'),
    );
    assert.deepEqual(
      x.procedures.map((p) => [p.name, p.code]),
      [
        ['MRI Lumbar Spine without contrast', '72148'],
        ['US Abdomen complete', '76700'],
      ],
    );
    // A scan: a label without its colon whose value wraps, and a row of values with a speck between its cells.
    const scan = verify(
      [
        'Imaging Report',
        'PATIENT NAME:  SEX:',
        'Omar Haddad  MALE',
        'EXAM:  ORDERED BY:',
        'US Abdomen complete (CPT 76700)  ;  Dr. Lin Wei, MD',
        'Exam Date 2026-02-03  Procedure MRI Brain without',
        'contrast (CPT 70551)',
      ].join('\n'),
    );
    assert.deepEqual(
      scan.procedures.map((p) => [p.name, p.code]),
      [
        ['US Abdomen complete', '76700'],
        ['MRI Brain without contrast', '70551'],
      ],
    );
    assert.equal(scan.patient.name.value, 'Omar Haddad');
    const row = verify(['Procedures', 'Date  Description', 'Mar 7, 2026  Colonoscopy with biopsy (CPT 45380)', '- 1. Excision of lipoma, trunk'].join('\n'));
    assert.deepEqual(
      row.procedures.map((p) => [p.name, p.code]),
      [
        ['Colonoscopy with biopsy', '45380'],
        ['Excision of lipoma, trunk', null],
      ],
    );
  });

  test('procedures: a name wrapped at its cell edge in lower case, a code cell before another column, advice to the reader is none', () => {
    const x = verify(
      [
        'PROCEDURES',
        'Removal of skin tags, up to 15  11200',
        'lesions',
        'Office visit, established patient,  99214  Keep all follow-up appointments, including blood',
        'moderate complexity',
        'Drink plenty of fluids unless you have been told to limit them',
        'DISCHARGE DIAGNOSES  tests that have been arranged for the patient at the clinic next week',
        'Essential hypertension (I10)',
      ].join('\n'),
    );
    assert.deepEqual(
      x.procedures.map((p) => [p.name, p.code]),
      [
        ['Removal of skin tags, up to 15 lesions', '11200'],
        ['Office visit, established patient, moderate complexity', '99214'],
      ],
    );
    assert.deepEqual(
      x.diagnoses.map((d) => d.icd10),
      ['I10'],
    );
  });

  test('diagnoses: a scanned heading with noise ends the section; lab rows under it are no diagnoses', () => {
    const x = verify(
      [
        'Discharge Diagnoses:',
        '- Community-acquired pneumonia J18.9',
        '- Iron deficiency anaemia',
        'Results of Investigations  .  :',
        'Haematology  Haemoglobin  10.2 g/dL  13.0 - 17.0',
        'Haematology  Ferritin  8 ug/L  30 - 400',
        'Imaging Reviewed',
        'r  FOLLOW UP  :',
        'Outpatient Clinic',
      ].join('\n'),
    );
    assert.deepEqual(
      x.diagnoses.map((d) => [d.description, d.icd10]),
      [
        ['Community-acquired pneumonia', 'J18.9'],
        ['Iron deficiency anaemia', null],
      ],
    );
  });

  test('lab rows carry their panel and their own collection date; prose values with their date', () => {
    const x = verify([
      [
        'LIPID PROFILE  collected 01/05/2026',
        'Test  Result  Units  Reference',
        'LDL Cholesterol  131  mg/dL  < 100',
        'THYROID PANEL',
        'Collected: 02/10/2026',
        'Test  Result  Units  Reference',
        'TSH  2.1  mIU/L  0.4 - 4.0',
        'Comments',
        'HbA1c 8.2% on 28 February 2025 was above target.',
      ].join('\n'),
    ]);
    assert.deepEqual(
      x.lab_results.map((r) => [r.test, r.panel, r.collected_at]),
      [
        ['LDL Cholesterol', 'LIPID PROFILE', '2026-01-05'],
        ['TSH', 'THYROID PANEL', '2026-02-10'],
        ['HbA1c', null, '2025-02-28'],
      ],
    );
  });

  test('lab tables under header wordings of their own: columns by their words, a value and its range or flag one space apart, a one-letter test, a continued table', () => {
    const x = verify([
      [
        'Chemistry Panel',
        'Analyte Name  Units  Measured Value  Expected Limits',
        'Sodium  mmol/L  139  136 - 145',
        'K  mmol/L  6.1 HIGH  3.5 - 5.1',
        'Group  Investigation  UOM  Observed  Normal Ref.  Abn',
        'Renal  Creatinine  mg/dL  1.40 0.60 - 1.20  H',
      ].join('\n'),
      ['Results continued', 'Investigation  Result  Units  Ref. Interval', 'Urea  12  mg/dL  7 - 20'].join('\n'),
    ]);
    assert.deepEqual(
      x.lab_results.map((r) => [r.test, r.value, r.unit, r.reference_range, r.flag, r.panel]),
      [
        ['Sodium', 139, 'mmol/L', '136 - 145', null, 'Chemistry Panel'],
        ['K', 6.1, 'mmol/L', '3.5 - 5.1', 'H', 'Chemistry Panel'],
        ['Creatinine', 1.4, 'mg/dL', '0.60 - 1.20', 'H', 'Renal'],
        ['Urea', 12, 'mg/dL', '7 - 20', null, 'Chemistry Panel'],
      ],
    );
  });
  test('lab values in a sentence running over several lines, under a heading, each with the date of its sentence', () => {
    const x = verify(
      ['Labs', 'Results from 12 March 2026 showed', 'Sodium 139 mmol/L, Potassium 4.1 mmol/L,', 'Creatinine 88 umol/L and TSH 2.4 mIU/L.'].join('\n'),
    );
    assert.deepEqual(
      x.lab_results.map((r) => [r.test, r.value, r.unit, r.collected_at]),
      [
        ['Sodium', 139, 'mmol/L', '2026-03-12'],
        ['Potassium', 4.1, 'mmol/L', '2026-03-12'],
        ['Creatinine', 88, 'umol/L', '2026-03-12'],
        ['TSH', 2.4, 'mIU/L', '2026-03-12'],
      ],
    );
  });

  test('a lab table with the range before the value, and the unit and flag in the value cell', () => {
    const x = verify(['Renal Profile', 'Analyte  Normal Limits  Result', 'Creatinine  0.6 - 1.2  1.9 mg/dL *H', 'Urea  7 - 20  12 mg/dL'].join('\n'));
    assert.deepEqual(
      x.lab_results.map((r) => [r.test, r.value, r.unit, r.reference_range, r.flag, r.panel]),
      [
        ['Creatinine', 1.9, 'mg/dL', '0.6 - 1.2', 'H', 'Renal Profile'],
        ['Urea', 12, 'mg/dL', '7 - 20', null, 'Renal Profile'],
      ],
    );
  });

  test('claim lines read in the order of their header columns, totals by their labels', () => {
    const x = verify(
      [
        'Itemized Statement',
        'Date of Service  Code  Mod  Units  Charge',
        '10/03/2026  99203  25  1  $210.00',
        '10/03/2026  J1100  2  $18.40',
        'Total Charges:  $228.40',
        'Insurance Payments:  $150.00',
        'Amount You Owe:  $78.40',
      ].join('\n'),
    );
    assert.deepEqual(
      x.claim_lines.map((c) => [c.service_date, c.code, c.modifier, c.units, c.charge]),
      [
        ['2026-10-03', '99203', '25', 1, 210],
        ['2026-10-03', 'J1100', null, 2, 18.4],
      ],
    );
    assert.deepEqual([x.claim_totals.total_charge.value, x.claim_totals.amount_paid.value, x.claim_totals.balance_due.value], [228.4, 150, 78.4]);
  });

  test("a CMS-1500's service lines with box 24A's date printed in cells, From and To; box 21's codes; numbered boxes with their values below", () => {
    const x = verify(
      [
        'HEALTH INSURANCE CLAIM FORM',
        '21. A.  21. B.  21. C.',
        'F41.1  R55  K21.9',
        '24A. DATE(S) OF SERVICE  B. PLACE  D. PROCEDURES  E. DIAGNOSIS  F. $ CHARGES  G. UNITS',
        '03 14 26  03 14 26  22  99285  A  $612.00 1',
        '03 15 2026  21  71046  26  AB  $88.40 2',
        "1. MEDICARE MEDICAID TRICARE CHAMPVA GROUP HEALTH  1a. INSURED'S I.D. NUMBER (For Program in Item 1)",
        'PLAN  WX-4471902',
        '25. FEDERAL TAX I.D. NUMBER  28. TOTAL CHARGE  29. AMOUNT PAID',
        '84-2210397  $700.40  $150.00',
      ].join('\n'),
    );
    // A row of numbered boxes takes its values from the line below, box by box.
    assert.equal(x.insurance.member_id.value, 'WX-4471902');
    assert.deepEqual([x.claim_totals.total_charge.value, x.claim_totals.amount_paid.value], [700.4, 150]);
    assert.deepEqual(
      x.claim_lines.map((c) => [c.service_date, c.code, c.modifier, c.diagnosis_pointer, c.charge, c.units]),
      [
        ['2026-03-14', '99285', null, 'A', 612, 1],
        ['2026-03-15', '71046', '26', 'AB', 88.4, 2],
      ],
    );
    // Box 21's row of codes: each one a diagnosis, the code without a dot too, none the description of another.
    assert.deepEqual(
      x.diagnoses.map((d) => [d.icd10, d.description]),
      [
        ['F41.1', 'F41.1'],
        ['R55', 'R55'],
        ['K21.9', 'K21.9'],
      ],
    );
  });

  test('a scanned CMS-1500 as OCR reads it: box cells closed up or edged with glyphs, captions misread, charges run into units', () => {
    const x = verify(
      [
        'HEALTH INSURANCE CLAIM FORM',
        '2. PATIENT\'S NAME (Last Name, First Name, Middle Initial):  3 PATIENT" S BIRTH DATEMM DD YY SEX:',
        '"NAKAMURA, QUENTIN E  0427 66 M',
        "4. INSURED'S NAME (Last Name, First Name, Middle Initial):  11. INSURED'S POLICY GROUP OR FECA NUMBER:",
        '| NAKAMURA, QUENTIN E  ‘GRP-18666',
        '24A. DATE(S) OF  |B. PLACE OF  |D. PROCEDURES  MODIFIER  E. DIAGNOSIS  F.$ CHARGES | G. DAYS',
        '011926  RE  BS  80053  LT  A  453.00]  1',
        '011926  111  94010  59  A  ©  301.00(1',
        '01 1926  PLN  T  93000  RT  A.  318.002',
        '10  |  11  |  21  Co  11  90805  |  |  140.00  1234567890 |',
      ].join('\n'),
    );
    assert.equal(x.patient.name.value, 'NAKAMURA, QUENTIN E');
    assert.equal(x.patient.date_of_birth.value, '1966-04-27');
    assert.equal(x.patient.sex.value, 'M');
    assert.equal(x.insurance.group_number.value, 'GRP-18666');
    assert.deepEqual(
      x.claim_lines.map((c) => [c.service_date, c.code, c.modifier, c.diagnosis_pointer, c.charge, c.units]),
      [
        // A misread cell before the code ('BS') does not take the modifier's column.
        ['2026-01-19', '80053', 'LT', 'A', 453, 1],
        ['2026-01-19', '94010', '59', 'A', 301, 1],
        ['2026-01-19', '93000', 'RT', null, 318, 2],
        ['2021-10-11', '90805', null, null, 140, null],
      ],
    );
  });

  test("service lines whose date cell wraps its year onto the next line with the description's rest", () => {
    const x = verify(
      [
        'Service Lines',
        'DOS  Service  CPT/HCPCS  Mod  Ptr  Qty  Charge',
        'Mar 3  Venipuncture, routine  36415  1  1  $ 25.00',
        '2026  collection',
        '04 Mar  Lipid panel  80061  1  1  $ 61.10',
        '2026',
      ].join('\n'),
    );
    assert.deepEqual(
      x.claim_lines.map((c) => [c.service_date, c.code, c.charge, c.evidence.quote.includes('\n')]),
      [
        ['2026-03-03', '36415', 25, true],
        ['2026-03-04', '80061', 61.1, true],
      ],
    );
  });

  test('immunizations from a table by its header', () => {
    const x = verify(
      ['Immunisation History', 'Vaccine  Date Given  Lot Number', 'Hepatitis A  04/11/2025  HA55190', 'Td booster  09/30/2026  TD77310'].join('\n'),
    );
    assert.deepEqual(
      x.immunizations.map((i) => [i.vaccine, i.date, i.lot]),
      [
        ['Hepatitis A', '2025-04-11', 'HA55190'],
        ['Td booster', '2026-09-30', 'TD77310'],
      ],
    );
    assert.equal(x.document.type.value, 'vaccination_record');
  });

  test("immunization rows: a vaccine's name wrapped under its row, and a lot printed one space after the name", () => {
    const x = verify(
      [
        'Vaccinations',
        'Given  Product  Batch  Dose',
        '03/02/2025  Hepatitis B (Engerix-B) HB20931X  2',
        '05/06/2025  Meningococcal conjugate  MC71120  1',
        '(MenACWY)',
        '07/08/2025  Typhoid Vi  TY55310  1',
      ].join('\n'),
    );
    assert.deepEqual(
      x.immunizations.map((i) => [i.vaccine, i.date, i.lot]),
      [
        ['Hepatitis B (Engerix-B)', '2025-03-02', 'HB20931X'],
        ['Meningococcal conjugate (MenACWY)', '2025-05-06', 'MC71120'],
        ['Typhoid Vi', '2025-07-08', 'TY55310'],
      ],
    );
  });
});
