/**
 * The vault and the gateway (library/deid), on spans given by hand (the detector has its own tests):
 * one stand-in per entity whatever its printed form; dates shifted and printed as before, or tokenised;
 * the fail-closed check; the restore (tolerant of how the model writes a token, quotes found on the page,
 * dates moved back, unknown tokens left for verification to flag); identifier fields from the local side.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readPrintedDate, shiftDay } from '../library/deid/dates.js';
import { buildVault, type LocalIdentifiers } from '../library/deid/vault.js';
import { canonicalToken, Gateway } from '../library/deid/gateway.js';
import { withLocalIdentifiers, deidentificationFailed } from '../library/deid/index.js';
import type { PhiSpan } from '../library/deid/types.js';
import { emptyExtraction, type ModelExtraction } from '../core/contract/extraction.js';
import { groundExtraction } from '../library/extraction/grounding/index.js';

const none = { value: null, evidence: null, confidence: 0 };
const NO_IDS: LocalIdentifiers = { patient: { name: none, date_of_birth: none, mrn: none }, insurance: { member_id: none, group_number: none } };

const TEXT = [
  'Patient: GARCIA, MARIA L    DOB: 03/14/1962    MRN: 00482913',
  'Mrs Garcia was admitted on 4 March 2025 (record 004-829-13) under Dr. Robert Allen.',
  'Phone (555) 123-4567. Glucose 105 mg/dL 70-99 H. Discharged 03/09/2025.',
  'ALLEN, ROBERT K. (attending). Follow-up in March 2025.',
].join('\n');

function span(text: string, category: PhiSpan['category'], name?: PhiSpan['name'], nth = 0): PhiSpan {
  let start = -1;
  for (let i = 0; i <= nth; i++) start = TEXT.indexOf(text, start + 1);
  assert.ok(start >= 0, text);
  return { page: 1, start, end: start + text.length, category, text, source: 'label', ...(name ? { name } : {}) };
}

const SPANS: PhiSpan[] = [
  span('GARCIA, MARIA L', 'PERSON', { family: ['GARCIA'], given: ['MARIA', 'L'] }),
  span('03/14/1962', 'DATE'),
  span('00482913', 'MRN'),
  span('Garcia', 'PERSON', { family: ['Garcia'], given: [], title: 'Mrs' }),
  span('4 March 2025', 'DATE'),
  span('004-829-13', 'ID'),
  span('Robert Allen', 'PERSON', { family: ['Allen'], given: ['Robert'], title: 'Dr' }),
  span('(555) 123-4567', 'PHONE'),
  span('03/09/2025', 'DATE'),
  span('ALLEN, ROBERT K.', 'PERSON', { family: ['ALLEN'], given: ['ROBERT', 'K'] }),
  span('March 2025', 'DATE'),
];

const fixed = (offset: number) => (min: number, max: number) => (max - min === 2 ? 1 : offset); // sign draw 1: positive

describe('the vault', () => {
  test('one stand-in per entity: a person in three forms, a number with other separators, a day in two formats', () => {
    const v = buildVault(SPANS, { identifiers: NO_IDS, random: fixed(40) });
    const people = v.entities.filter((e) => e.category === 'PERSON');
    assert.equal(people.length, 2, JSON.stringify(people));
    assert.deepEqual(people[0]!.originals.sort(), ['GARCIA, MARIA L', 'Garcia'].sort());
    assert.deepEqual(people[1]!.originals.sort(), ['ALLEN, ROBERT K.', 'Robert Allen'].sort());
    assert.equal(v.entities.filter((e) => e.category === 'MRN' || e.category === 'ID').length, 1, 'the MRN and its dashed form are one number');
    assert.equal(v.offsetDays, 40);
  });

  test('the offset never moves one date of the document onto another', () => {
    // 03/09 is 5 days after 03/04: an offset of 5 would print the admission as the discharge date.
    let draws = 0;
    const v = buildVault(SPANS, { identifiers: NO_IDS, random: (min, max) => (max - min === 2 ? 1 : draws++ === 0 ? 5 : 33) });
    assert.equal(v.offsetDays, 33);
  });

  test('the local extractor’s identifiers join the vault even where the detector found nothing', () => {
    const ids: LocalIdentifiers = {
      ...NO_IDS,
      insurance: { member_id: { value: 'XQ7734001', evidence: { page: 1, quote: 'Member XQ7734001' }, confidence: 0.9 }, group_number: none },
    };
    const v = buildVault([], { identifiers: ids });
    assert.deepEqual(
      v.entities.map((e) => [e.category, e.originals]),
      [['PLAN_ID', ['XQ7734001']]],
    );
  });
});

describe('dates as printed', () => {
  const cases: Array<[string, string]> = [
    ['03/14/1962', '04/23/1962'],
    ['3/14/62', '4/23/62'],
    ['14.03.1962', '23.04.1962'],
    ['1962-03-14', '1962-04-23'],
    ['14-Mar-1962', '23-Apr-1962'],
    ['14 Mar 1962', '23 Apr 1962'],
    ['March 14, 1962', 'April 23, 1962'],
    ['Mar. 14th 1962', 'Apr. 23rd 1962'],
    ['14th of March 1962', '23rd of April 1962'],
    ['MAR 14 1962', 'APR 23 1962'],
    ['2025-03-04 08:30', '2025-04-13 08:30'],
    ['19620314', '19620423'],
    ['March 2025', 'April 2025'],
    ['03/2025', '04/2025'],
  ];
  for (const [printed, shifted] of cases) {
    test(`${printed} moved 40 days prints as ${shifted}`, () => {
      const p = readPrintedDate(printed, printed.startsWith('14.') ? 'dmy' : 'mdy');
      assert.ok(p, printed);
      assert.equal(p.print(shiftDay(p.day, 40, p.monthOnly)), shifted);
    });
  }
  test('a bare year or a blood pressure is no date', () => {
    assert.equal(readPrintedDate('2025', 'mdy'), undefined);
    assert.equal(readPrintedDate('120/80', 'mdy'), undefined);
  });
});

describe('the gateway', () => {
  const vault = buildVault(SPANS, { identifiers: NO_IDS, random: fixed(40) });
  const gateway = new Gateway(vault);
  const sent = gateway.deidentifyText(TEXT);

  test('every identifier is replaced, dates shifted in their own format, clinical text kept', () => {
    for (const original of [
      'GARCIA',
      'Garcia',
      'MARIA',
      'Allen',
      'ALLEN',
      'Robert',
      '03/14/1962',
      '00482913',
      '004-829-13',
      '4 March 2025',
      '555',
      '03/09/2025',
    ]) {
      assert.ok(!sent.includes(original), `${original} in: ${sent}`);
    }
    assert.match(sent, /DOB: 04\/23\/1962/);
    assert.match(sent, /admitted on 13 April 2025/);
    assert.match(sent, /Follow-up in April 2025/);
    assert.ok(sent.includes('Glucose 105 mg/dL 70-99 H'));
    const patient = /Patient: (\[\[PERSON_\d\]\])/.exec(sent)![1]!;
    assert.ok(sent.includes(`Mrs ${patient} was admitted`), 'the surname alone has the same stand-in');
    assert.deepEqual(gateway.findLeaks(sent), []);
  });

  test('fail closed: an original left in the text is found, by category', () => {
    const leaky = new Gateway(vault, { leaveInText: (e) => e.category === 'MRN' });
    const out = leaky.deidentifyText(TEXT);
    assert.deepEqual(
      leaky.findLeaks(out).map((l) => l.category),
      ['MRN'],
    );
    const err = deidentificationFailed(leaky.findLeaks(out));
    assert.equal(err.type, 'DeidentificationFailed');
    assert.equal(err.retryable, false);
    assert.ok(!err.message.includes('00482913'));
    // A number printed with other separators is still that number.
    assert.deepEqual(
      gateway.findLeaks('call 555.123.4567').map((l) => l.category),
      ['PHONE'],
    );
  });

  test('tokens are read back however the model writes them', () => {
    assert.equal(canonicalToken('[[ person 2 ]]'), '[[PERSON_2]]');
    assert.equal(canonicalToken('[[Plan_Id_3]]'), '[[PLAN_ID_3]]');
    assert.equal(canonicalToken('[[DATE 10]]'), '[[DATE_10]]');
  });

  test('restore: originals back, the quote found on the page, dates moved back, unknown tokens kept for review', () => {
    const tokens = gateway.tokensIn(sent);
    const person = (n: number) => vault.entities.filter((e) => e.category === 'PERSON')[n - 1]!.token;
    const answer = {
      document: { date: { value: '2025-04-13', evidence: { page: 1, quote: 'admitted on 13 April 2025' }, confidence: 0.9 } },
      encounter: {
        attending: { value: `Dr. ${person(2).replace('_', ' ').toLowerCase()}`, evidence: { page: 1, quote: `under Dr. ${person(2)}.` }, confidence: 0.9 },
      },
      procedures: [{ name: '[[PERSON_9]] consult', evidence: { page: 1, quote: 'Follow-up in April 2025' }, confidence: 0.8, date: '2025-04' }],
    };
    const { answer: back, unresolved } = gateway.restore(answer, [{ page: 1, text: TEXT }], tokens);
    assert.equal(back.document.date.value, '2025-03-04');
    assert.equal(back.document.date.evidence.quote, 'admitted on 4 March 2025');
    assert.equal(back.encounter.attending.value, 'Dr. Robert Allen');
    assert.equal(back.encounter.attending.evidence.quote, 'under Dr. Robert Allen.');
    assert.equal(back.procedures[0]!.name, '[[PERSON_9]] consult', 'a token the vault does not know stays');
    assert.equal(back.procedures[0]!.date, '2025-03');
    assert.equal(back.procedures[0]!.evidence.quote, 'Follow-up in March 2025');
    assert.equal(unresolved, 1);
    // A date the detector missed went out as printed: its ISO form is not moved.
    const missed = gateway.restore({ lab_results: [{ collected_at: '2025-01-17', evidence: null }] }, [{ page: 1, text: TEXT }], tokens);
    assert.equal(missed.answer.lab_results[0]!.collected_at, '2025-01-17');
  });

  test('a token the prompt never held is not resolved, and verification flags its value', () => {
    const garcia = vault.entities.find((e) => e.category === 'PERSON')!.token;
    const answer = { encounter: { attending: { value: garcia, evidence: { page: 1, quote: 'under Dr.' }, confidence: 0.9 } } };
    const { answer: back, unresolved } = gateway.restore(answer, [{ page: 1, text: TEXT }], new Set());
    assert.equal(back.encounter.attending.value, garcia);
    assert.equal(unresolved, 1);
    const x = emptyExtraction();
    x.encounter.attending = { ...back.encounter.attending, evidence: { page: 1, quote: back.encounter.attending.evidence.quote } };
    groundExtraction(x, new Map([[1, { ocr: false, words: null }]]));
    assert.ok(x.encounter.attending.reasons?.includes('deid_unresolved') || x.encounter.attending.value === garcia);
  });

  test('token mode: dates become stand-ins and come back as the ISO day', () => {
    const v = buildVault(SPANS, { identifiers: NO_IDS, dates: 'token' });
    const g = new Gateway(v);
    const out = g.deidentifyText(TEXT);
    assert.equal(v.offsetDays, 0);
    assert.match(out, /DOB: \[\[DATE_\d\]\]/);
    const dob = /DOB: (\[\[DATE_\d\]\])/.exec(out)![1]!;
    const { answer } = g.restore(
      { x: { date: { value: dob, evidence: { page: 1, quote: `DOB: ${dob}` }, confidence: 1 } } },
      [{ page: 1, text: TEXT }],
      g.tokensIn(out),
    );
    assert.equal(answer.x.date.value, '1962-03-14');
    assert.equal(answer.x.date.evidence.quote, 'DOB: 03/14/1962');
  });

  test('the identifier fields come from the local extractor, never from the model', () => {
    const ids: LocalIdentifiers = {
      ...NO_IDS,
      patient: { ...NO_IDS.patient, name: { value: 'GARCIA, MARIA L', evidence: { page: 1, quote: 'Patient: GARCIA, MARIA L' }, confidence: 0.95 } },
    };
    const v = buildVault(SPANS, { identifiers: ids });
    const { schema_version: _v, ...body } = emptyExtraction();
    const model = { ...body, patient: { ...body.patient, name: { value: 'Somebody Else', evidence: null, confidence: 1 } } } as ModelExtraction;
    const out = withLocalIdentifiers(model, v);
    assert.equal(out.patient.name.value, 'GARCIA, MARIA L');
    assert.equal(out.insurance.member_id.value, null);
  });
});
