/**
 * Corrections as a person makes them (library/review): the review state each value ends with, the machine's
 * value kept beside a correction, what a patch may not touch, and versions rebuilt from the stored effects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyExtraction, type Extraction } from '../core/contract/extraction.js';
import { CorrectionError, applyCorrection, replayCorrections, withReviewStates, type PatchEffect } from '../library/review/corrections.js';
import type { PatchOperation } from '../core/contract/review.js';

const AT = new Date('2026-12-03T10:00:00Z');
const ctx = { by: 'rita', at: AT, pageCount: 2 };

function machine(): Extraction {
  const x = emptyExtraction();
  x.patient.name = { evidence: { page: 1, quote: 'Patient: Jane Roe', found: true }, value: 'Jane Roe', confidence: 0.9, reasons: [] };
  x.medications.push({
    evidence: { page: 1, quote: 'Metformin 50 mg twice daily', found: true },
    name: 'Metformin',
    strength: '50 mg',
    form: null,
    route: null,
    frequency: 'twice daily',
    instructions: null,
    duration: null,
    quantity: null,
    status: null,
    confidence: 0.8,
    reasons: ['value_not_in_quote'],
  });
  x.lab_results.push({
    evidence: { page: 2, quote: 'Sodium 140 mmol/L 135-145', found: true },
    panel: null,
    panel_loinc: null,
    loinc: null,
    test: 'Sodium',
    value: 140,
    unit: 'mmol/L',
    reference_range: '135-145',
    flag: null,
    specimen: null,
    collected_at: null,
    confidence: 0.95,
    reasons: [],
  });
  return x;
}

function fails(code: CorrectionError['code'], fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CorrectionError, `a CorrectionError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

test('correcting a value makes it corrected, keeps the machine value and records who, when and the evidence', () => {
  const x = machine();
  const { next, changes } = applyCorrection(x, [{ op: 'replace', path: '/medications/0/strength', value: '500 mg' }], ctx);
  const med = next.medications[0]!;
  assert.equal(med.strength, '500 mg');
  assert.equal(med.review?.state, 'corrected');
  assert.equal(med.review?.by, 'rita');
  assert.equal(med.review?.at, AT.toISOString());
  assert.equal((med.review?.original as { strength: string }).strength, '50 mg', 'the machine value stays beside the correction');
  assert.deepEqual(med.reasons, ['value_not_in_quote'], "the machine's reasons stay");
  assert.deepEqual(changes, [
    { path: '/medications/0', state: 'corrected', evidenceBefore: x.medications[0]!.evidence, evidenceAfter: x.medications[0]!.evidence },
  ]);
  assert.equal(next.patient.name.review, undefined, 'an untouched value stays unreviewed');
  assert.equal(x.medications[0]!.strength, '50 mg', 'the input is not changed');
});

test('a second correction keeps the first original; changing the value back undoes the correction', () => {
  const v1 = applyCorrection(machine(), [{ op: 'replace', path: '/patient/name/value', value: 'Jane Rowe' }], ctx).next;
  const v2 = applyCorrection(v1, [{ op: 'replace', path: '/patient/name/value', value: 'Jane A. Roe' }], ctx).next;
  assert.equal(v2.patient.name.review?.state, 'corrected');
  assert.equal((v2.patient.name.review?.original as { value: string }).value, 'Jane Roe');
  const v3 = applyCorrection(v2, [{ op: 'replace', path: '/patient/name/value', value: 'Jane Roe' }], ctx).next;
  assert.equal(v3.patient.name.review?.state, 'unreviewed');
  assert.equal(v3.patient.name.review?.original, undefined);
});

test('accept and reject set the state; a corrected value accepted stays corrected', () => {
  const x = applyCorrection(
    machine(),
    [
      { op: 'replace', path: '/patient/name/review/state', value: 'accepted' },
      { op: 'replace', path: '/lab_results/0/review/state', value: 'rejected' },
      { op: 'replace', path: '/medications/0/frequency', value: 'once daily' },
    ],
    ctx,
  ).next;
  assert.equal(x.patient.name.review?.state, 'accepted');
  assert.equal(x.lab_results[0]!.review?.state, 'rejected');
  assert.equal(x.lab_results.length, 1, 'a rejected item stays in the result');
  const y = applyCorrection(x, [{ op: 'replace', path: '/medications/0/review/state', value: 'accepted' }], ctx).next;
  assert.equal(y.medications[0]!.review?.state, 'corrected');
});

test('a missed item is added with its page; filling a field the machine left empty is added too', () => {
  const { next, changes } = applyCorrection(
    machine(),
    [
      {
        op: 'add',
        path: '/allergies/-',
        value: { evidence: { page: 2, quote: 'Allergies: penicillin' }, substance: 'penicillin', reaction: null, severity: null },
      },
      { op: 'replace', path: '/patient/mrn', value: { value: 'A-1234', evidence: { page: 1, quote: 'MRN A-1234' } } },
    ],
    ctx,
  );
  const added = next.allergies[0]!;
  assert.equal(added.review?.state, 'added');
  assert.equal(added.confidence, 1);
  assert.equal(next.patient.mrn.value, 'A-1234');
  assert.equal(next.patient.mrn.review?.state, 'added');
  assert.deepEqual(changes.map((c) => c.path).sort(), ['/allergies/0', '/patient/mrn']);
  fails('EvidenceRequired', () =>
    applyCorrection(machine(), [{ op: 'add', path: '/allergies/-', value: { evidence: null, substance: 'latex', reaction: null, severity: null } }], ctx),
  );
  fails(
    'ContractViolation',
    () =>
      applyCorrection(
        machine(),
        [{ op: 'add', path: '/allergies/-', value: { evidence: { page: 7, quote: '' }, substance: 'latex', reaction: null, severity: null } }],
        ctx,
      ),
    /not a page of this document/,
  );
  // an added item may be removed again (undo); a machine one may not
  const undone = applyCorrection(next, [{ op: 'remove', path: '/allergies/0' }], ctx).next;
  assert.equal(undone.allergies.length, 0);
  fails('NotCorrectable', () => applyCorrection(machine(), [{ op: 'remove', path: '/medications/0' }], ctx), /rejected/);
});

test('a patch to a field that does not exist, of the wrong type, or of what only the system writes is refused', () => {
  const x = machine();
  fails('PatchTargetMissing', () => applyCorrection(x, [{ op: 'replace', path: '/medications/5/name', value: 'X' }], ctx));
  fails('PatchTargetMissing', () => applyCorrection(x, [{ op: 'replace', path: '/nonsense/a', value: 'X' }], ctx));
  fails('PatchTargetMissing', () => applyCorrection(x, [{ op: 'add', path: '/patient/nickname', value: 'X' }], ctx), /nickname/);
  fails('PatchTargetMissing', () => applyCorrection(x, [{ op: 'add', path: '/medications/0/colour', value: 'red' }], ctx), /colour/);
  fails('ContractViolation', () => applyCorrection(x, [{ op: 'replace', path: '/lab_results/0/flag', value: 'very high' }], ctx), /flag/);
  fails('NotCorrectable', () => applyCorrection(x, [{ op: 'replace', path: '/medications/0/review/state', value: 'corrected' }], ctx));
  fails('NotCorrectable', () => applyCorrection(x, [{ op: 'replace', path: '/medications/0/review/by', value: 'someone' }], ctx));
  fails('NotCorrectable', () => applyCorrection(x, [{ op: 'replace', path: '/medications/0/confidence', value: 1 }], ctx));
  fails('NotCorrectable', () => applyCorrection(x, [{ op: 'replace', path: '/schema_version', value: 'v1' }], ctx));
  fails('NotCorrectable', () => applyCorrection(x, [{ op: 'replace', path: '/medications', value: [] }], ctx));
  fails('PatchTestFailed', () =>
    applyCorrection(
      x,
      [
        { op: 'test', path: '/medications/0/strength', value: '5 mg' },
        { op: 'replace', path: '/medications/0/strength', value: '500 mg' },
      ],
      ctx,
    ),
  );
  assert.equal(x.medications[0]!.strength, '50 mg', 'a refused patch changes nothing');
});

test('a whole item replaced part by part keeps its identity and its history', () => {
  const x = machine();
  const med = structuredClone(x.medications[0]!);
  const { next } = applyCorrection(x, [{ op: 'replace', path: '/medications/0', value: { ...med, name: 'Metformin XR', confidence: 0.1 } }], ctx);
  assert.equal(next.medications[0]!.name, 'Metformin XR');
  assert.equal(next.medications[0]!.confidence, 0.8, "the machine's confidence is not a person's to set");
  assert.equal(next.medications[0]!.review?.state, 'corrected');
});

test('every version is rebuilt exactly from version 0 and the stored effects', () => {
  const v0 = machine();
  const patches: PatchOperation[][] = [
    [{ op: 'replace', path: '/medications/0/strength', value: '500 mg' }],
    [
      {
        op: 'add',
        path: '/vitals/0',
        value: { evidence: { page: 1, quote: 'BP 120/80' }, name: 'Blood pressure', value: '120/80', unit: 'mmHg', taken_at: null },
      },
    ],
    [
      { op: 'replace', path: '/lab_results/0/review/state', value: 'accepted' },
      { op: 'replace', path: '/patient/name/review/state', value: 'rejected' },
    ],
  ];
  const versions = [v0];
  const effects: PatchEffect[] = [];
  for (const p of patches) {
    const c = applyCorrection(versions.at(-1)!, p, ctx);
    versions.push(c.next);
    effects.push(JSON.parse(JSON.stringify(c.effect)) as PatchEffect); // as stored (jsonb)
  }
  versions.forEach((v, n) => assert.deepEqual(replayCorrections(v0, effects.slice(0, n)), v, `version ${n}`));
});

test('the API view gives every value a review state; the stored form leaves a bare unreviewed out', () => {
  const shown = withReviewStates(machine());
  assert.equal(shown.patient.name.review?.state, 'unreviewed');
  assert.equal(shown.patient.mrn.review?.state, 'unreviewed');
  assert.equal(shown.medications[0]!.review?.state, 'unreviewed');
  // a client patches what it was shown: the filled states do not count as changes
  const { changes, effect } = applyCorrection(shown, [{ op: 'replace', path: '/patient/name/review/state', value: 'accepted' }], ctx);
  assert.deepEqual(
    changes.map((c) => c.path),
    ['/patient/name'],
  );
  assert.ok(
    effect.every((op) => op.path.startsWith('/patient/name/')),
    JSON.stringify(effect),
  );
});

test("a lab result's printed LOINC code is corrected like any part; a person adding a row may leave the code out", () => {
  const { next } = applyCorrection(machine(), [{ op: 'replace', path: '/lab_results/0/loinc', value: '2951-2' }], ctx);
  const sodium = next.lab_results[0]!;
  assert.equal(sodium.loinc, '2951-2');
  assert.equal(sodium.review?.state, 'corrected');
  assert.equal((sodium.review?.original as { loinc: string | null }).loinc, null, 'the machine read no code');
  // The row as a form without a code column sends it: no loinc, no panel_loinc.
  const row = { evidence: { page: 2, quote: 'Potassium 4.1 mmol/L' }, panel: null, test: 'Potassium', value: 4.1, unit: 'mmol/L' };
  const added = applyCorrection(
    machine(),
    [{ op: 'add', path: '/lab_results/-', value: { ...row, reference_range: null, flag: null, specimen: null, collected_at: null } }],
    ctx,
  ).next.lab_results[1]!;
  assert.equal(added.review?.state, 'added');
  assert.deepEqual([added.loinc, added.panel_loinc], [null, null]);
  fails('ContractViolation', () => applyCorrection(machine(), [{ op: 'replace', path: '/lab_results/0/loinc', value: 2951 }], ctx), /loinc/);
});

test('a version stored before lab results had printed codes is rebuilt with them null', () => {
  const v0 = machine();
  // A stored effect that added a row as the contract then had it (no loinc, no panel_loinc).
  const old: PatchEffect = [
    {
      op: 'add',
      path: '/lab_results/1',
      value: {
        evidence: { page: 2, quote: 'Chloride 101' },
        panel: null,
        test: 'Chloride',
        value: 101,
        unit: 'mmol/L',
        reference_range: null,
        flag: null,
        specimen: null,
        collected_at: null,
        confidence: 1,
        review: { state: 'added', by: 'rita', at: AT.toISOString() },
      },
    },
  ];
  const v1 = replayCorrections(v0, [old]);
  assert.equal(v1.lab_results[1]!.test, 'Chloride');
  assert.deepEqual([v1.lab_results[1]!.loinc, v1.lab_results[1]!.panel_loinc], [null, null]);
});
