/**
 * Lab semantics shared by every export (library/lab): values, UCUM units, reference ranges, computed
 * flags, LOINC codes (printed or mapped), vital-sign codes and ICD-10-CM checks. Unit tier: no stack.
 *   node --import tsx --test test/lab-semantics.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import {
  checkIcd10cm,
  computeFlag,
  interpretLabResult,
  isLoincCode,
  isValidUcum,
  LOINC_NOTICE,
  LOINC_PANELS,
  LOINC_TESTS,
  loincFor,
  panelLoincFor,
  readBloodPressure,
  readLabValue,
  readReferenceRange,
  readUnit,
  VITAL_SIGN_CODES,
  vitalSignLoinc,
  type LabResultInput,
  type LoincEntry,
} from '../library/lab/index.js';
import { foldVariant } from '../library/lab/names.js';
import { UNIT_TABLE } from '../library/lab/units.js';

const result = (over: Partial<LabResultInput>): LabResultInput => ({ test: 'Hemoglobin', value: null, unit: null, reference_range: null, flag: null, ...over });

describe('the brief cases', () => {
  test('"14,200 /uL" becomes 14200 with UCUM /uL, whether the unit is apart or in the value', () => {
    for (const input of [result({ test: 'WBC', value: '14,200', unit: '/uL' }), result({ test: 'WBC', value: '14,200 /uL' })]) {
      const r = interpretLabResult(input);
      assert.deepEqual(r.value, { number: 14200, comparator: null, text: null });
      assert.equal(r.unit?.ucum, '/uL');
      assert.deepEqual(r.problems, []);
    }
  });
  test('"< 100" becomes an exclusive high bound of 100', () => {
    const r = readReferenceRange('< 100');
    assert.equal(r?.low, null);
    assert.equal(r?.high, 100);
    assert.equal(r?.highInclusive, false);
  });
  test('a missing flag is computed and marked as computed; a printed one is kept', () => {
    const computed = interpretLabResult(result({ test: 'LDL Cholesterol', value: '148', unit: 'mg/dL', reference_range: '< 100' }));
    assert.deepEqual(computed.flag, { value: 'H', computed: true });
    const printed = interpretLabResult(result({ test: 'LDL Cholesterol', value: '148', unit: 'mg/dL', reference_range: '< 100', flag: 'abnormal' }));
    assert.deepEqual(printed.flag, { value: 'abnormal', computed: false });
  });
});

describe('bad cases', () => {
  test('a value "<5" is a bound: number 5 with comparator <, and a flag only where the bound decides it', () => {
    assert.deepEqual(readLabValue('<5'), { number: 5, comparator: '<', text: null });
    assert.equal(computeFlag(readLabValue('<5'), readReferenceRange('< 200')), 'normal');
    assert.equal(computeFlag(readLabValue('<5'), readReferenceRange('10 - 20')), 'L');
    const undecided = interpretLabResult(result({ test: 'CRP', value: '<5', unit: 'mg/L', reference_range: '3 - 10' }));
    assert.deepEqual(undecided.flag, { value: null, computed: false });
    assert.match(undecided.problems.join(' '), /bound/);
  });
  test('a value "positive" stays text; against a negative range it is flagged abnormal (computed)', () => {
    assert.deepEqual(readLabValue('positive'), { number: null, comparator: null, text: 'positive' });
    const r = interpretLabResult(result({ test: 'Nitrite', value: 'positive', reference_range: 'Negative' }));
    assert.deepEqual(r.flag, { value: 'abnormal', computed: true });
    assert.equal(r.range, null);
    assert.deepEqual(interpretLabResult(result({ test: 'Nitrite', value: 'Negative', reference_range: 'Negative' })).flag, { value: 'normal', computed: true });
  });
  test('a unit the table does not know is kept as text and flagged', () => {
    const r = interpretLabResult(result({ test: 'Hemoglobin', value: 11.8, unit: 'grams-ish per jar', reference_range: '13.5-17.5' }));
    assert.deepEqual(r.unit, { printed: 'grams-ish per jar', ucum: null, via: null });
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!, /grams-ish per jar/);
    assert.deepEqual(r.flag, { value: 'L', computed: true }, 'the rest is still read');
  });
  test('an ICD-10-CM code not in the list is flagged invalid, never dropped', () => {
    assert.deepEqual(checkIcd10cm('Z99.999'), { code: 'Z99.999', valid: false, display: null, billable: false });
    assert.deepEqual(checkIcd10cm('E11.99'), { code: 'E11.99', valid: false, display: null, billable: false });
    assert.deepEqual(checkIcd10cm('not a code'), { code: 'NOT A CODE', valid: false, display: null, billable: false });
  });
  test('a printed LOINC code that fails its check digit is reported and the name is mapped instead', () => {
    const r = interpretLabResult(result({ test: 'Haemoglobin', value: 11.8, unit: 'g/dL', loinc: '718-6' }));
    assert.equal(r.loinc?.source, 'mapped');
    assert.equal(r.loinc?.code, '718-7');
    assert.match(r.problems.join(' '), /718-6/);
    assert.deepEqual(loincFor('Haemoglobin', '718-7'), { code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', source: 'printed', confidence: 1 });
  });
});

describe('values', () => {
  const cases: Array<[number | string | null, ReturnType<typeof readLabValue>]> = [
    [14200, { number: 14200, comparator: null, text: null }],
    ['14,200', { number: 14200, comparator: null, text: null }],
    ['3,5', { number: 3.5, comparator: null, text: null }],
    ['-2', { number: -2, comparator: null, text: null }],
    ['≥ 60', { number: 60, comparator: '>=', text: null }],
    ['>1000', { number: 1000, comparator: '>', text: null }],
    ['<= 0.1', { number: 0.1, comparator: '<=', text: null }],
    ['120/80', { number: null, comparator: null, text: '120/80' }],
    ['1:80', { number: null, comparator: null, text: '1:80' }],
    ['  ', { number: null, comparator: null, text: null }],
    [null, { number: null, comparator: null, text: null }],
  ];
  for (const [input, want] of cases) test(`${JSON.stringify(input)}`, () => assert.deepEqual(readLabValue(input), want));
  test('blood pressure printed as one value', () => {
    assert.deepEqual(readBloodPressure('120/80 mmHg'), { systolic: 120, diastolic: 80 });
    assert.equal(readBloodPressure('80/120'), null);
    assert.equal(readBloodPressure('1:80'), null);
  });
});

describe('units as UCUM', () => {
  const spellings: Array<[string, string]> = [
    ['mEq/L', 'meq/L'],
    ['IU/L', '[IU]/L'],
    ['mIU/mL', 'm[IU]/mL'],
    ['uIU/mL', 'u[IU]/mL'],
    ['µIU/mL', 'u[IU]/mL'],
    ['x10^9/L', '10*9/L'],
    ['10^9/L', '10*9/L'],
    ['10*9/L', '10*9/L'],
    ['x10E9/L', '10*9/L'],
    ['×10⁹/L', '10*9/L'],
    ['G/L', '10*9/L'],
    ['x10^3/uL', '10*3/uL'],
    ['K/uL', '10*3/uL'],
    ['thou/uL', '10*3/uL'],
    ['10³/µL', '10*3/uL'],
    ['cells/uL', '/uL'],
    ['cells/mm3', '/uL'],
    ['/cumm', '/uL'],
    ['mill/mm3', '10*6/uL'],
    ['M/uL', '10*6/uL'],
    ['million/uL', '10*6/uL'],
    ['x10^6/uL', '10*6/uL'],
    ['x10^12/L', '10*12/L'],
    ['lakhs/cumm', '10*5/uL'],
    ['mcg/dL', 'ug/dL'],
    ['mcg', 'ug'],
    ['mcmol/L', 'umol/L'],
    ['µmol/L', 'umol/L'],
    ['μmol/L', 'umol/L'],
    ['Mmol/L', 'mmol/L'],
    ['mM', 'mmol/L'],
    ['mg/dl', 'mg/dL'],
    ['MG/DL', 'mg/dL'],
    ['gm/dL', 'g/dL'],
    ['mg%', 'mg/dL'],
    ['u/L', 'U/L'],
    ['mm Hg', 'mm[Hg]'],
    ['mmHg', 'mm[Hg]'],
    ['bpm', '/min'],
    ['beats/min', '/min'],
    ['breaths per minute', '/min'],
    ['°C', 'Cel'],
    ['ºC', 'Cel'],
    ['°F', '[degF]'],
    ['lbs', '[lb_av]'],
    ['in', '[in_i]'],
    ['mm/hr', 'mm/h'],
    ['mm/1st hr', 'mm/h'],
    ['mL/min/1.73m2', 'mL/min/{1.73_m2}'],
    ['mL/min/1.73 m²', 'mL/min/{1.73_m2}'],
    ['mg/24hr', 'mg/(24.h)'],
    ['/hpf', '/[HPF]'],
    ['ug/mL FEU', 'ug/mL{FEU}'],
    ['mOsm/kg', 'mosm/kg'],
    ['sec', 's'],
  ];
  for (const [printed, ucum] of spellings) {
    test(`${printed} → ${ucum}`, () => {
      assert.deepEqual(readUnit(printed), { printed, ucum, via: printed === ucum ? 'as_printed' : 'table' });
      assert.ok(isValidUcum(ucum));
    });
  }
  test('valid UCUM as printed is kept as printed', () => {
    for (const printed of ['mg/dL', '/uL', '%', 'fL', 'g/L', 'U/L', '10*9/L', 'kg/m2', '{titer}', "[arb'U]/mL", 'mL/min/{1.73_m2}']) {
      assert.deepEqual(readUnit(printed), { printed, ucum: printed, via: 'as_printed' }, printed);
    }
  });
  test('spelling variants of the same unit (case, spaces, brackets, µ/μ) read the same', () => {
    for (const [printed, ucum] of spellings) {
      if (/^[A-Z]\/|^[a-z]M$|^M\//.test(printed)) continue; // "G/L", "M/uL", "mM": case is the meaning
      for (const variant of [` ${printed} `, `(${printed})`, printed.toUpperCase().replace(/Μ/g, 'μ'), printed.replace(/\//g, ' / ')]) {
        if (/[A-Z]/.test(variant) && /MM$|^MM|\bM\b/.test(variant)) continue; // "MM" could be mega-metre or a typo: not generated
        assert.equal(readUnit(variant)?.ucum, ucum, `${JSON.stringify(variant)} (from ${printed})`);
      }
    }
  });
  test('every output of the table of lab spellings is valid UCUM per ucum-lhc', () => {
    for (const [name, table] of Object.entries(UNIT_TABLE)) {
      for (const [spelling, ucum] of Object.entries(table)) assert.ok(isValidUcum(ucum), `${name}: ${spelling} → ${ucum}`);
    }
  });
  test('a null or blank unit has no reading; invalid text is kept', () => {
    assert.equal(readUnit(null), null);
    assert.equal(readUnit('   '), null);
    assert.deepEqual(readUnit('per jar'), { printed: 'per jar', ucum: null, via: null });
    assert.equal(isValidUcum('foo'), false);
    assert.equal(isValidUcum('mEq/L'), false, 'UCUM is case-sensitive');
  });
});

describe('reference ranges', () => {
  const inclusive = (low: number | null, high: number | null) => ({ low, high, lowInclusive: low !== null, highInclusive: high !== null });
  const cases: Array<[string, ReturnType<typeof inclusive>]> = [
    ['13.5-17.5', inclusive(13.5, 17.5)],
    ['13.5 – 17.5', inclusive(13.5, 17.5)],
    ['4,500-11,000', inclusive(4500, 11000)],
    ['<=100', inclusive(null, 100)],
    ['≤ 100', inclusive(null, 100)],
    ['Up to 40', inclusive(null, 40)],
    ['≥ 60', inclusive(60, null)],
    ['>= 60', inclusive(60, null)],
    ['60 or more', inclusive(60, null)],
    ['0.2-1.2 mg/dL', inclusive(0.2, 1.2)],
    ['50-70%', inclusive(50, 70)],
    ['4.0-11.0 x10^9/L', inclusive(4, 11)],
    ['150 - 400 10^9/L', inclusive(150, 400)],
    ['-2 to +2', inclusive(-2, 2)],
    ['-5 - -1', inclusive(-5, -1)],
    ['(3.5-5.0)', inclusive(3.5, 5)],
    ['between 10 and 20', inclusive(10, 20)],
    ['Desirable: 40 - 60', inclusive(40, 60)],
  ];
  for (const [text, want] of cases) {
    test(text, () => {
      const r = readReferenceRange(text);
      assert.ok(r, text);
      assert.deepEqual({ low: r.low, high: r.high, lowInclusive: r.lowInclusive, highInclusive: r.highInclusive }, want);
      assert.equal(r.text, text);
    });
  }
  test('exclusive comparators stay exclusive', () => {
    assert.deepEqual(readReferenceRange('> 40'), { low: 40, high: null, lowInclusive: false, highInclusive: false, text: '> 40', sex: null, bySex: [] });
    assert.equal(readReferenceRange('<100 (<70 DM)')?.high, 100, 'a remark in brackets is not the range');
  });
  test('by sex: the patient’s part is chosen; with the sex unknown, the parts without bounds', () => {
    for (const text of ['M: 13.5-17.5 F: 12.0-15.5', 'Male 13.5-17.5 / Female 12-15.5', 'Men: 13.5-17.5; Women: 12.0-15.5']) {
      const m = readReferenceRange(text, 'M');
      assert.deepEqual([m?.low, m?.high, m?.sex], [13.5, 17.5, 'M'], text);
      const f = readReferenceRange(text, 'F');
      assert.deepEqual([f?.low, f?.high, f?.sex], [12, 15.5, 'F'], text);
      for (const sex of [null, 'other' as const, undefined]) {
        const u = readReferenceRange(text, sex);
        assert.deepEqual([u?.low, u?.high, u?.sex, u?.bySex.length], [null, null, null, 2], text);
      }
    }
    const unknown = interpretLabResult(result({ value: 13, unit: 'g/dL', reference_range: 'M: 13.5-17.5 F: 12.0-15.5' }));
    assert.deepEqual(unknown.flag, { value: null, computed: false }, 'no flag from a range that may be the wrong one');
    assert.match(unknown.problems.join(' '), /sex/);
    assert.deepEqual(interpretLabResult(result({ value: 13, unit: 'g/dL', reference_range: 'M: 13.5-17.5 F: 12.0-15.5' }), 'M').flag, {
      value: 'L',
      computed: true,
    });
    assert.deepEqual(interpretLabResult(result({ value: 13, unit: 'g/dL', reference_range: 'M: 13.5-17.5 F: 12.0-15.5' }), 'F').flag, {
      value: 'normal',
      computed: true,
    });
  });
  test('no numbers: qualitative, several intervals, nothing', () => {
    for (const text of ['Negative', 'Non-reactive', 'see note', 'Adult: 10-20; Child: 5-15', '', '20-10']) assert.equal(readReferenceRange(text), null, text);
    assert.equal(readReferenceRange(null), null);
  });
});

describe('computed flags', () => {
  const flag = (value: number | string, range: string) => computeFlag(readLabValue(value), readReferenceRange(range));
  test('bounds keep their sense', () => {
    assert.equal(flag(100, '< 100'), 'H', 'on an exclusive bound: outside');
    assert.equal(flag(100, '<= 100'), 'normal');
    assert.equal(flag(40, '> 40'), 'L');
    assert.equal(flag(60, '≥ 60'), 'normal');
    assert.equal(flag(17.5, '13.5-17.5'), 'normal', 'on an inclusive bound: inside');
    assert.equal(flag(17.6, '13.5-17.5'), 'H');
    assert.equal(flag(11.8, '13.5-17.5'), 'L');
    assert.equal(flag('14,200', '4,500-11,000'), 'H');
    assert.equal(flag(-3, '-2 to +2'), 'L');
  });
  test('values with comparators', () => {
    assert.equal(flag('>500', '< 200'), 'H');
    assert.equal(flag('<5', '3 - 10'), null);
    assert.equal(flag('<=10', '10 - 20'), null, 'may equal the inclusive low bound');
    assert.equal(flag('<10', '10 - 20'), 'L');
  });
  test('nothing to compare', () => {
    assert.equal(computeFlag(readLabValue('Positive'), readReferenceRange('10 - 20')), null);
    assert.equal(computeFlag(readLabValue(5), null), null);
  });
});

describe('the LOINC table', () => {
  const everyCode = [
    ...LOINC_TESTS.map((e) => e.code),
    ...LOINC_PANELS.map((e) => e.code),
    ...VITAL_SIGN_CODES.flatMap((v) => [v.code, ...v.additional.map((a) => a.code)]),
  ];
  test('every code passes the LOINC mod-10 check digit, and appears once', () => {
    for (const code of everyCode) assert.ok(isLoincCode(code), code);
    assert.equal(new Set(everyCode).size, everyCode.length);
    assert.ok(LOINC_TESTS.length >= 80, `${LOINC_TESTS.length} tests`);
  });
  test('the check digit catches a wrong digit and a swap', () => {
    assert.ok(isLoincCode('718-7') && isLoincCode('6690-2') && isLoincCode('58410-2'));
    assert.ok(!isLoincCode('718-6') && !isLoincCode('781-7') && !isLoincCode('7187') && !isLoincCode('LP1234-5') && !isLoincCode(''));
  });
  test('no name stands for two tests the unit or specimen cannot tell apart', () => {
    for (const table of [LOINC_TESTS, LOINC_PANELS]) {
      const owners = new Map<string, LoincEntry[]>();
      for (const entry of table) {
        for (const name of [...entry.names, ...(entry.unspecificNames ?? []), ...(entry.urineNames ?? [])]) {
          const f = foldVariant(name);
          assert.ok(f, `${entry.code}: "${name}" folds to nothing`);
          for (const key of [`exact ${f.key}`, `words ${f.tokens}`]) {
            const list = owners.get(key) ?? [];
            if (!list.includes(entry)) list.push(entry);
            owners.set(key, list);
          }
        }
      }
      for (const [key, entries] of owners) {
        const told = new Set(entries.map((e) => `${e.kind ?? '-'} ${e.specimen ?? '-'}`));
        assert.equal(told.size, entries.length, `${key}: ${entries.map((e) => e.code).join(', ')}`);
      }
    }
  });
  test('the LOINC notice names Regenstrief and the licence', () => {
    assert.match(LOINC_NOTICE, /Regenstrief Institute/);
    assert.match(LOINC_NOTICE, /loinc\.org\/license/);
  });
});

describe('LOINC mapping from printed names', () => {
  /** A unit that picks the entry among variants told apart by kind. */
  const UNIT_OF_KIND = { percent: '%', count: '10^3/uL', mass: 'mg/dL', substance: 'mmol/L', other: null } as const;
  const literal = new Set([...LOINC_TESTS, ...LOINC_PANELS].flatMap((e) => [...e.names, ...(e.unspecificNames ?? []), ...(e.urineNames ?? [])]));
  const title = (s: string) => s.replace(/\b[a-z]/g, (c) => c.toUpperCase());
  const british = (s: string) =>
    s
      .replace(/hemo/g, 'haemo')
      .replace(/leuko/g, 'leuco')
      .replace(/esterase/g, 'esterase')
      .replace(/color/g, 'colour');
  /** Ways labs print a name that the table does not list literally. */
  const variants = (name: string): string[] => {
    const words = name.split(' ');
    const out = [
      name.toUpperCase(),
      title(name),
      `${title(name)}:`,
      `  ${name}  `,
      words.join('  '),
      words.join('-'),
      title(british(name)),
      words.length === 2 ? `${title(words[1]!)}, ${title(words[0]!)}` : `${title(name)}.`,
      /^[a-z]{3,}$/.test(name) ? `${title(name)} (Serum)` : `${name.toUpperCase()} [S]`,
    ];
    return out.filter((v) => !literal.has(v) && v.trim() !== name);
  };
  test('generated casing, punctuation, spacing, spelling and word-order variants map to the entry', () => {
    let checked = 0;
    for (const entry of LOINC_TESTS) {
      const unit = entry.kind ? UNIT_OF_KIND[entry.kind] : null;
      const context = entry.specimen === 'urine' ? { panel: 'Urinalysis' } : undefined;
      for (const name of [...entry.names, ...(entry.urineNames ?? [])]) {
        if (name.length <= 2) continue; // "k", "na": casing variants of two letters are the name itself
        for (const printed of variants(name)) {
          const match = loincFor(printed, null, unit, context);
          assert.equal(match?.code, entry.code, `"${printed}" (unit ${unit}) → ${match?.code}, want ${entry.code}`);
          assert.equal(match?.source, 'mapped');
          assert.ok(match.confidence < 1 && match.confidence >= 0.8, `"${printed}": ${match.confidence}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 1500, `${checked} variants`);
  });
  test('the unit or the name picks % or absolute, mass or moles', () => {
    assert.equal(loincFor('Neutrophils', null, '%')?.code, '770-8');
    assert.equal(loincFor('Neutrophils', null, 'x10^9/L')?.code, '751-8');
    assert.equal(loincFor('Neutrophils #')?.code, '751-8');
    assert.equal(loincFor('Neutrophils, Abs')?.code, '751-8');
    assert.equal(loincFor('% Lymphocytes')?.code, '736-9');
    assert.equal(loincFor('Creatinine', null, 'µmol/L')?.code, '14682-9');
    assert.equal(loincFor('Creatinine', null, 'mg/dl')?.code, '2160-0');
    assert.equal(loincFor('HbA1c', null, 'mmol/mol')?.code, '59261-8');
    const undecided = loincFor('Neutrophils');
    assert.equal(undecided?.code, '770-8');
    assert.ok(undecided!.confidence < loincFor('Neutrophils', null, '%')!.confidence, 'less sure without a unit');
  });
  test('names never match in part', () => {
    assert.equal(loincFor('LDL/HDL ratio')?.code, '11054-4');
    assert.notEqual(loincFor('LDL/HDL Ratio')?.code, '2089-1');
    assert.equal(loincFor('Cholesterol/HDL Ratio')?.code, '9830-1');
    for (const name of [
      'LDL particle number',
      'HDL subfractions',
      'Glucose tolerance 2 hour',
      'Hemoglobin electrophoresis',
      'Free T4 index',
      'Mildly elevated',
      'Blood group',
    ]) {
      assert.equal(loincFor(name), null, name);
    }
  });
  test('typing and OCR errors in long names only, never changing a digit', () => {
    assert.equal(loincFor('Haemoglobn')?.code, '718-7');
    assert.equal(loincFor('Haemoglobn')?.confidence, 0.6);
    assert.equal(loincFor('Trigylcerides')?.code, '2571-8');
    assert.equal(loincFor('HDL'.replace('H', 'L'))?.code, '2089-1', 'a short name is an exact name or nothing: "LDL" is LDL');
    assert.equal(loincFor('Free T5'), null);
  });
  test('urinalysis names are urine tests within a urinalysis, and serum tests never are', () => {
    assert.equal(loincFor('Glucose', null, 'mg/dL')?.code, '2345-7');
    assert.equal(loincFor('Glucose', null, null, { panel: 'Urine Routine Examination' })?.code, '5792-7');
    assert.equal(loincFor('Glucose', null, null, { specimen: 'Urine' })?.code, '5792-7');
    assert.equal(loincFor('Glucose, urine')?.code, '5792-7');
    assert.equal(loincFor('pH'), null, 'a pH outside a urinalysis may be a blood gas');
    assert.equal(loincFor('pH', null, null, { panel: 'UA' })?.code, '5803-2');
    assert.equal(loincFor('Creatinine', null, 'mg/dL', { panel: 'Urinalysis' }), null, 'urine creatinine is not in the table: no serum code');
    assert.equal(loincFor('Specific gravity')?.code, '5811-5');
  });
  test('an unspecific name is mapped with a lower confidence', () => {
    const egfr = loincFor('eGFR', null, 'mL/min/1.73m2');
    assert.equal(egfr?.code, '98979-8');
    assert.ok(egfr!.confidence <= 0.7);
    assert.equal(loincFor('eGFR (MDRD)')?.code, '33914-3');
  });
  test('panels', () => {
    assert.equal(panelLoincFor('CBC')?.code, '58410-2');
    assert.equal(panelLoincFor('Complete Blood Count')?.code, '58410-2');
    assert.equal(panelLoincFor('Full Blood Count (FBC)')?.code, '58410-2');
    assert.equal(panelLoincFor('Lipid Profile')?.code, '24331-1');
    assert.equal(panelLoincFor('CMP')?.code, '24323-8');
    assert.equal(panelLoincFor('Basic Metabolic Panel')?.code, '51990-0');
    assert.equal(panelLoincFor('LFTs')?.code, '24325-3');
    assert.equal(panelLoincFor('Urinalysis')?.code, '24356-8');
    assert.equal(panelLoincFor('Thyroid'), null);
    assert.equal(loincFor('CBC'), null, 'a panel is not a test');
  });
});

describe('vital signs', () => {
  const cases: Array<[string, string]> = [
    ['BP', '85354-9'],
    ['Blood Pressure', '85354-9'],
    ['Systolic', '8480-6'],
    ['Diastolic BP', '8462-4'],
    ['Pulse', '8867-4'],
    ['Heart Rate', '8867-4'],
    ['HR (bpm)', '8867-4'],
    ['Temp', '8310-5'],
    ['Temperature', '8310-5'],
    ['RR', '9279-1'],
    ['Resp. Rate', '9279-1'],
    ['SpO2', '2708-6'],
    ['O2 Sat %', '2708-6'],
    ['Weight', '29463-7'],
    ['Wt.', '29463-7'],
    ['Height', '8302-2'],
    ['BMI', '39156-5'],
    ['Body Mass Index', '39156-5'],
  ];
  for (const [name, code] of cases) test(`${name} → ${code}`, () => assert.equal(vitalSignLoinc(name)?.code, code));
  test('oxygen saturation carries the pulse-oximetry code too; units are UCUM', () => {
    assert.deepEqual(
      vitalSignLoinc('SpO2')?.additional.map((a) => a.code),
      ['59408-5'],
    );
    for (const v of VITAL_SIGN_CODES) assert.ok(isValidUcum(v.ucum), v.ucum);
    assert.equal(vitalSignLoinc('Hemoglobin'), null);
  });
});

describe('ICD-10-CM codes', () => {
  test('codes in the list, with or without the dot', () => {
    assert.deepEqual(checkIcd10cm('E11.9'), { code: 'E11.9', valid: true, display: 'Type 2 diabetes mellitus without complications', billable: true });
    assert.deepEqual(checkIcd10cm('e119'), checkIcd10cm('E11.9'));
    assert.deepEqual(checkIcd10cm(' R51.9 '), { code: 'R51.9', valid: true, display: 'Headache, unspecified', billable: true });
    assert.equal(checkIcd10cm('I10').valid, true);
  });
  test('headers are valid codes but not billable', () => {
    assert.deepEqual(checkIcd10cm('E11'), { code: 'E11', valid: true, display: 'Type 2 diabetes mellitus', billable: false });
    assert.equal(checkIcd10cm('R51').billable, false);
  });
  test('seventh characters: only those the code list has', () => {
    const fracture = checkIcd10cm('S72.001A');
    assert.equal(fracture.valid, true);
    assert.equal(fracture.billable, true);
    assert.match(fracture.display!, /initial encounter/);
    assert.equal(checkIcd10cm('W00.0XXA').valid, true);
    assert.equal(checkIcd10cm('W00.0XXB').valid, false);
    assert.equal(checkIcd10cm('S72.001').billable, false, 'needs its seventh character');
  });
  test('not codes', () => {
    for (const printed of ['A00-A09', '250.00', 'E11.', 'XYZ']) assert.equal(checkIcd10cm(printed).valid, false, printed);
  });
});

describe('the corpus', () => {
  const dir = '/work/shared/corpus/medical';
  const truths = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.truth.json')) : [];
  interface TruthTest {
    name: string;
    value: string;
    unit?: string;
    reference_range?: string;
    flag?: string;
    loinc?: string;
    panel?: string;
  }
  const results: TruthTest[] = truths.flatMap((f) => (JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as { tests?: TruthTest[] }).tests ?? []);
  test('a mapping from the name alone never contradicts a printed LOINC code', { skip: results.length === 0 && 'no corpus' }, () => {
    const printed = results.filter((r) => r.loinc);
    assert.ok(printed.length > 0);
    for (const r of printed) {
      const mapped = loincFor(r.name, null, r.unit ?? null, { panel: r.panel ?? null });
      assert.ok(mapped === null || mapped.code === r.loinc, `${r.name}: printed ${r.loinc}, mapped ${mapped?.code}`);
    }
  });
  test('a computed flag never contradicts a printed H / L / normal', { skip: results.length === 0 && 'no corpus' }, () => {
    const printedFlag: Record<string, string> = { H: 'H', HIGH: 'H', L: 'L', LOW: 'L', N: 'normal', NORMAL: 'normal' };
    for (const r of results) {
      const want = printedFlag[(r.flag ?? '').toUpperCase()];
      if (!want) continue;
      const computed = computeFlag(readLabValue(r.value), readReferenceRange(r.reference_range ?? null));
      assert.ok(computed === null || computed === want, `${r.name} ${r.value} against ${r.reference_range}: printed ${r.flag}, computed ${computed}`);
    }
  });
});
