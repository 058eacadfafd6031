/**
 * The PHI detector (library/deid/detect.ts): each category in several printed forms, the clinical content
 * that must survive, aliases, name parsing, whole realistic pages (recall measured), and speed.
 * All names, numbers and addresses here are made up.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cardValid, luhnValid, nhsValid, npiValid } from '../library/deid/checksums.js';
import { detectPhi, loadNameDictionary, parseName } from '../library/deid/detect.js';
import type { PhiCategory, PhiSpan } from '../library/deid/types.js';

loadNameDictionary();

const detect = (text: string): PhiSpan[] => detectPhi([{ page: 1, text }]);

function describeSpans(spans: readonly PhiSpan[]): string {
  return spans.map((s) => `${s.category}:${JSON.stringify(s.text)}`).join(' ');
}

/** A span with exactly this text (and category, when given). */
function has(text: string, value: string, category?: PhiCategory): PhiSpan {
  const spans = detect(text);
  const span = spans.find((s) => s.text === value && (!category || s.category === category));
  assert.ok(span, `expected ${category ?? 'a span'} "${value}" in ${JSON.stringify(text)}; got ${describeSpans(spans)}`);
  return span;
}

/** No span touches any occurrence of `value`. */
function kept(text: string, ...values: string[]): void {
  const spans = detect(text);
  for (const value of values) {
    let at = text.indexOf(value);
    assert.ok(at >= 0, `test text lacks "${value}"`);
    while (at >= 0) {
      const end = at + value.length;
      const hit = spans.find((s) => s.start < end && s.end > at);
      assert.equal(hit, undefined, `"${value}" must survive, but ${hit?.category} "${hit?.text}" covers it`);
      at = text.indexOf(value, at + 1);
    }
  }
}

describe('checksums', () => {
  test('Luhn, cards, NHS numbers and NPIs', () => {
    assert.ok(luhnValid('79927398713'));
    assert.ok(!luhnValid('79927398710'));
    assert.ok(cardValid('4111 1111 1111 1111'));
    assert.ok(cardValid('5500-0000-0000-0004'));
    assert.ok(!cardValid('4111 1111 1111 1112'));
    assert.ok(nhsValid('943 476 5919'));
    assert.ok(nhsValid('4857773457'));
    assert.ok(!nhsValid('943 476 5918'));
    assert.ok(npiValid('1234567893'));
    assert.ok(!npiValid('1234567890'));
  });
});

describe('parseName', () => {
  test('inverted names with middle initials', () => {
    assert.deepEqual(parseName('GARCIA, MARIA L'), { given: ['MARIA', 'L'], family: ['GARCIA'] });
    assert.deepEqual(parseName('ALLEN, ROBERT K.'), { given: ['ROBERT', 'K'], family: ['ALLEN'] });
  });
  test('forward names, titles and credentials', () => {
    assert.deepEqual(parseName('Maria L. Garcia'), { given: ['Maria', 'L'], family: ['Garcia'] });
    assert.deepEqual(parseName('Dr. R. Allen'), { given: ['R'], family: ['Allen'], title: 'Dr' });
    assert.deepEqual(parseName('Robert K. Allen, MD'), { given: ['Robert', 'K'], family: ['Allen'] });
    assert.deepEqual(parseName('Maria de la Cruz'), { given: ['Maria'], family: ['de la Cruz'] });
    assert.deepEqual(parseName('Okafor'), { given: [], family: ['Okafor'] });
    assert.equal(parseName('  12345 '), undefined);
  });
});

describe('PERSON', () => {
  test('after labels, in every order and case, without the label or title', () => {
    has('Patient: GARCIA, MARIA L          DOB: 03/14/1962', 'GARCIA, MARIA L', 'PERSON');
    has('Patient Name: Maria L. Garcia', 'Maria L. Garcia', 'PERSON');
    has('Pt: Nwosu, Adaeze', 'Nwosu, Adaeze', 'PERSON');
    has('Surname: KOWALSKI', 'KOWALSKI', 'PERSON');
    has('Attending: Dr. Chidi Okafor', 'Chidi Okafor', 'PERSON');
    has('Electronically signed by: Robert K. Allen, MD on 03/15/2025 08:30', 'Robert K. Allen', 'PERSON');
    has('Next of kin: Grace Brown (daughter)', 'Grace Brown', 'PERSON');
    has('Guarantor: HOLLOWAY, DEREK', 'HOLLOWAY, DEREK', 'PERSON');
    const span = has('Referred by: Dr. R. Allen', 'R. Allen', 'PERSON');
    assert.deepEqual(span.name, { given: ['R'], family: ['Allen'], title: 'Dr' });
  });
  test('in a header row, the value in the column under its label', () => {
    const text = ['PATIENT NAME          DATE OF BIRTH     MRN', 'NGUYEN, THANH V       07/22/1948        MR-0093321'].join('\n');
    has(text, 'NGUYEN, THANH V', 'PERSON');
    has(text, '07/22/1948', 'DATE');
    has(text, 'MR-0093321', 'MRN');
  });
  test('a label alone on its line, the value on the next', () => {
    has('Patient Name:\nOKONKWO, CHINEDU', 'OKONKWO, CHINEDU', 'PERSON');
  });
  test('by the dictionary: capitalised and capital runs of names, initials, inverted forms', () => {
    has('The results were discussed with Maria Garcia today.', 'Maria Garcia', 'PERSON');
    has('Copy sent to M. Garcia and the practice.', 'M. Garcia', 'PERSON');
    has('Sincerely,\nJennifer Nguyen, MD', 'Jennifer Nguyen', 'PERSON');
    has('ROBERT ALLEN', 'ROBERT ALLEN', 'PERSON');
    has('seen with Garcia, Maria in clinic', 'Garcia, Maria', 'PERSON');
    has('Priya Patel attended.', 'Priya Patel', 'PERSON');
  });
  test('titles mark a name, and are kept out of the span', () => {
    const span = has('Mr Allen was admitted with chest pain.', 'Allen', 'PERSON');
    assert.equal(span.name?.title, 'Mr');
    has('Dear Dr Okafor,', 'Okafor', 'PERSON');
    has('Seen by Prof. Lindqvist today.', 'Lindqvist', 'PERSON');
    has('Mrs. Brown will call back.', 'Brown', 'PERSON');
  });
  test('names that are common words need evidence', () => {
    kept('Will continue the current plan. Grace period ends soon. Mark the chart.', 'Will', 'Grace', 'Mark');
    kept('White Blood Cell Count 7.2', 'White Blood Cell');
    has('Her daughter, Grace Brown, visited.', 'Grace Brown', 'PERSON');
    has('Patient: Will Brown', 'Will Brown', 'PERSON');
    has('BROWN, GRACE', 'BROWN, GRACE', 'PERSON');
  });
  test('names with particles, hyphens and apostrophes', () => {
    has('Copy to: Jan van der Berg', 'Jan van der Berg', 'PERSON');
    has('Maria de la Cruz was seen.', 'Maria de la Cruz', 'PERSON');
    has('Nurse: Emma Smith-Jones RN', 'Emma Smith-Jones', 'PERSON');
    has('Referring: O’Brien, Siobhan', 'O’Brien, Siobhan', 'PERSON');
  });
});

describe('layouts and OCR', () => {
  test('OCR-confused letters in labels and in numbers', () => {
    has('Patlent Name: Maria Garcia', 'Maria Garcia', 'PERSON');
    has('D0B: 03/14/1962', '03/14/1962', 'DATE');
    has('DOB: O3/l4/1962', 'O3/l4/1962', 'DATE');
    has('MRN; 00482913', '00482913', 'MRN');
  });
  test('dot leaders, underscores, "#" for "No." and combined labels', () => {
    has('Name of Patient.............. Xiomara Quintanilla-Ybarra', 'Xiomara Quintanilla-Ybarra', 'PERSON');
    has('Patient Name ______ Linda Okonkwo', 'Linda Okonkwo', 'PERSON');
    has('Hosp #: H1441923', 'H1441923', 'MRN');
    has('Sex/DOB: F / 03-14-1962', '03-14-1962', 'DATE');
  });
  test('a running header: the cell beside the patient’s identifiers is the patient', () => {
    has('QUELLIN, THABO    MRN: H3896214    DOB: 17/8/1958    Page 2 of 2', 'QUELLIN, THABO', 'PERSON');
    kept('Basic Metabolic    Collected: 03/14/2025    MRN: 1234567', 'Basic Metabolic');
  });
  test('name-part columns take any word, even a common one', () => {
    const text = ['Last Name            First Name          Date of Birth', 'BROWN                MARK                09/18/1978'].join('\n');
    has(text, 'BROWN', 'PERSON');
    has(text, 'MARK', 'PERSON');
  });
  test('context that vouches for a name: relatives, credentials, a verb, a role', () => {
    has('Spoke with his wife, Linda.', 'Linda', 'PERSON');
    has('Zanele E. Yilmaz, MD', 'Zanele E. Yilmaz', 'PERSON');
    has('Hope Green is a 67 year old seen for COPD.', 'Hope Green', 'PERSON');
    has('Seen with Nurse Practitioner Dmitri Quellin today.', 'Dmitri Quellin', 'PERSON');
    has('Dear Baker,\nThank you.', 'Baker', 'PERSON');
  });
  test('a given name before a family name found elsewhere', () => {
    const text = 'According to Ms. Mahlangu, symptoms began.\nRay Mahlangu is a 67 year old seen today.';
    has(text, 'Ray Mahlangu', 'PERSON');
  });
  test('heading-like capitalised clinical phrases are no names', () => {
    kept(
      'Gait Training was started. Wound Care was provided. Ejection Fraction is preserved. Nasal Cannula was weaned. Advance Directive is on file.',
      'Gait Training',
      'Wound Care',
      'Ejection Fraction',
      'Nasal Cannula',
      'Advance Directive',
    );
  });
});

describe('DATE', () => {
  const forms = [
    '03/14/1962',
    '3/14/62',
    '14.03.1962',
    '1962-03-14',
    '14-Mar-1962',
    '14 Mar 1962',
    'March 14, 1962',
    'Mar 14th 1962',
    '14th of March 1962',
    'March 1962',
    '03/1962',
    '03/14/2025 08:30',
    '2025-03-14T08:30:00',
    '14-MAR-62',
    '16OCT1971',
    '14th of March',
  ];
  for (const form of forms) test(`"${form}"`, () => void has(`The event on ${form} was noted.`, form, 'DATE'));
  test('a compact date only with a date label', () => {
    has('DOB: 19620314', '19620314', 'DATE');
    has('3. PATIENT’S BIRTH DATE\n03 14 1962', '03 14 1962', 'DATE');
  });
  test('not a bare year, a reading or a ratio', () => {
    kept('Diagnosed in 2019; smoker since 1998.', '2019', '1998');
    kept('BP 120/80, strength 5/5, vision 20/20, BP 12/20 sitting.', '120/80', '5/5', '20/20', '12/20');
    has('Follow up on 12/20 in clinic.', '12/20', 'DATE');
  });
});

describe('AGE over 89', () => {
  test('in several forms', () => {
    has('A 92-year-old man.', '92-year-old', 'AGE');
    has('Age: 93', '93', 'AGE');
    has('93 y/o female', '93 y/o', 'AGE');
    has('She is aged 91.', '91', 'AGE');
    has('Pt is 95 yrs old.', '95 yrs old', 'AGE');
    has('Demographics 93Y F', '93Y', 'AGE');
  });
  test('ages of 89 and under stay', () => {
    kept('A 45-year-old man. Age: 89. 67 y/o. aged 30.', '45-year-old', '89', '67 y/o', '30');
  });
});

describe('PHONE and FAX', () => {
  const phones = [
    '(555) 123-4567',
    '555-123-4567',
    '555.123.4567',
    '+1 555 123 4567',
    '+44 20 7946 0958',
    '020 7946 0958',
    '555-123-4567 ext. 22',
    '07700 900123',
  ];
  for (const p of phones) test(`"${p}"`, () => void has(`Call ${p} today.`, p, 'PHONE'));
  test('fax by label or beside the word', () => {
    has('Fax: 555-123-4568', '555-123-4568', 'FAX');
    has('Tel: (555) 123-4567   Fax: (555) 123-4568', '(555) 123-4568', 'FAX');
    has('Tel: (555) 123-4567   Fax: (555) 123-4568', '(555) 123-4567', 'PHONE');
    has('Mobile: 555 1234', '555 1234', 'PHONE');
  });
});

describe('EMAIL, URL, IP', () => {
  test('anywhere', () => {
    has('Write to maria.garcia@example.com please.', 'maria.garcia@example.com', 'EMAIL');
    has('Portal: https://portal.example.org/p?id=8812.', 'https://portal.example.org/p?id=8812', 'URL');
    has('See www.example-clinic.com for hours.', 'www.example-clinic.com', 'URL');
    has('Logged from 192.168.10.45 at night.', '192.168.10.45', 'IP');
    has('Client 2001:db8:85a3::8a2e:370:7334 connected.', '2001:db8:85a3::8a2e:370:7334', 'IP');
  });
  test('times are no IPv6 address', () => kept('Given at 08:30:00 and 14:15.', '08:30:00', '14:15'));
});

describe('SSN, NHS, CARD, NPI', () => {
  test('SSN by shape, 9 digits only with a label', () => {
    has('SSN 123-45-6789', '123-45-6789', 'SSN');
    has('Social Security: 123456789', '123456789', 'SSN');
  });
  test('checksum-valid numbers without a label', () => {
    has('Number 943 476 5919 on file.', '943 476 5919', 'NHS');
    has('kept 9434765919 on file', '9434765919', 'NHS');
    has('Charged to 4111 1111 1111 1111 yesterday.', '4111 1111 1111 1111', 'CARD');
    has('Prescriber 1234567893', '1234567893', 'LICENSE');
  });
});

describe('record, plan, account and other numbers', () => {
  test('by label', () => {
    has('MRN: 00482913', '00482913', 'MRN');
    has('Medical Record No. 7781203', '7781203', 'MRN');
    has('Chart #: 44120', '44120', 'MRN');
    has('Member ID: XYZ 123456789', 'XYZ 123456789', 'PLAN_ID');
    has('Group No: 55512', '55512', 'PLAN_ID');
    has('Medicare No: 1EG4-TE5-MK73', '1EG4-TE5-MK73', 'PLAN_ID');
    has('Acct #: 20251187', '20251187', 'ACCOUNT');
    has('Claim No: CLM-2024-0098812', 'CLM-2024-0098812', 'ACCOUNT');
    has('Accession: 25-HEM-00921', '25-HEM-00921', 'ACCOUNT');
    has('DEA: AB1234563', 'AB1234563', 'LICENSE');
    has('License No.: MD-48213', 'MD-48213', 'LICENSE');
    has('Pacemaker serial: PM88213X', 'PM88213X', 'DEVICE');
    has('VIN: 1HGCM82633A004352', '1HGCM82633A004352', 'VEHICLE');
    has('Plate: 7ABC123', '7ABC123', 'VEHICLE');
  });
  test('without a label: long digit runs and codes with 5+ digits', () => {
    has('Reference 48812093 attached.', '48812093', 'ID');
    has('Order A00482913 was filled.', 'A00482913', 'ID');
    has('Batch CLM-2024-0098812 paid.', 'CLM-2024-0098812', 'ID');
    has('Car 1HGCM82633A004352 parked.', '1HGCM82633A004352', 'VEHICLE');
  });
  test('OCR spacing and dots in labels', () => {
    has('D.O.B.: 03/14/1962', '03/14/1962', 'DATE');
    has('M R N : 00482913', '00482913', 'MRN');
    has('NHS No.: 485 777 3457', '485 777 3457', 'NHS');
  });
});

describe('ADDRESS, PLACE, ZIP', () => {
  test('US street lines and City, ST ZIP', () => {
    const text = 'Lives at 1200 W. Oak Avenue, Apt 4B, Springfield, IL 62704-1234.';
    has(text, '1200 W. Oak Avenue, Apt 4B', 'ADDRESS');
    has(text, 'Springfield', 'PLACE');
    has(text, '62704-1234', 'ZIP');
    has('PO Box 4471', 'PO Box 4471', 'ADDRESS');
    has('742 EVERGREEN TERRACE', '742 EVERGREEN TERRACE', 'ADDRESS');
    has('Portland, Oregon 97201', 'Portland', 'PLACE');
  });
  test('UK addresses and postcodes', () => {
    const text = 'Flat 3, 22 Baker Street, London NW1 6XE';
    has(text, 'Flat 3, 22 Baker Street', 'ADDRESS');
    has(text, 'London', 'PLACE');
    has(text, 'NW1 6XE', 'ZIP');
  });
  test('address blocks: the town on the line under the street', () => {
    const text = ['Riverside Surgery', '12 High Street', 'Leeds', 'LS1 4AP'].join('\n');
    has(text, '12 High Street', 'ADDRESS');
    has(text, 'Leeds', 'PLACE');
    has(text, 'LS1 4AP', 'ZIP');
    kept(text, 'Riverside Surgery');
  });
  test('labelled address fields', () => {
    const text = 'Address: 9 Elm Close, Harrogate, North Yorkshire HG1 2AB';
    has(text, '9 Elm Close', 'ADDRESS');
    has(text, 'HG1 2AB', 'ZIP');
    has('City: Kansas City', 'Kansas City', 'PLACE');
    has('ZIP: 60614', '60614', 'ZIP');
    has('He was born in Springfield and moved.', 'Springfield', 'PLACE');
  });
});

describe('clinical content survives', () => {
  test('codes', () => {
    kept(
      'ICD-10: E11.9, I10, Z79.4, S72.001A. CPT 99213, 99214-25, J3420. LOINC 2345-7, 718-7, 4548-4. NDC 0002-8215-01.',
      'E11.9',
      'I10',
      'Z79.4',
      'S72.001A',
      '99213',
      '99214-25',
      'J3420',
      '2345-7',
      '718-7',
      '4548-4',
      '0002-8215-01',
    );
  });
  test('values, ranges, units, doses, vitals, times, money, percentages', () => {
    kept(
      'Hemoglobin 14.2 g/dL (13.5 - 17.5); WBC 7.1 x10^3/uL (4.0-11.0); Platelets 150,000-400,000; CRP <0.5 mg/L; ' +
        'Metformin 500 mg twice daily, insulin 10 units; BP 120/80, HR 72, SpO2 98%, Temp 98.6 F at 08:30; paid $1,250.00; ' +
        'viral load 1500000 copies/mL; eGFR 52 mL/min/1.73m2; LD    245    U/L (2532-0); LD 5.2',
      '14.2',
      '13.5 - 17.5',
      '4.0-11.0',
      '150,000-400,000',
      '<0.5',
      '500 mg',
      '10 units',
      '120/80',
      '98%',
      '08:30',
      '$1,250.00',
      '1500000',
      'mL/min/1.73m2',
      '245',
      '2532-0',
      '5.2',
    );
  });
  test('drugs, tests, organisations, headings, page numbers, years', () => {
    const text = [
      'ST. MARY’S HOSPITAL          Quest Diagnostics          Allen Memorial Hospital',
      'Test Name            Result    Units      Reference Range',
      'Hemoglobin A1c       6.1       %          <5.7',
      'Glucose              98        mg/dL      70-99',
      'Metformin, Lisinopril and Atorvastatin were continued.',
      'Family History: Mother: Breast Cancer. Father: Coronary Artery Disease.',
      'Social History: Former Smoker. Exam: Right Lower Lobe crackles. Glasgow Coma Scale 15.',
      'Bell’s palsy ruled out; Wilson disease not suspected; Parkinson Disease stable.',
      'Page 1 of 2          Report generated 2025',
    ].join('\n');
    const spans = detect(text);
    assert.deepEqual(describeSpans(spans), '', 'nothing in this page is an identifier');
  });
  test('a facility keeps its name but not its address or phone', () => {
    const text = "St. Mary's Hospital, 400 Harbor Blvd, Springfield, IL 62704  Tel (555) 300-1000";
    kept(text, "St. Mary's Hospital");
    has(text, '400 Harbor Blvd', 'ADDRESS');
    has(text, '(555) 300-1000', 'PHONE');
  });
});

describe('aliases', () => {
  test('the family name alone, other cases and possessives, once a person is found', () => {
    const text = 'Patient: Robert Allen\nALLEN was seen. Allen’s troponin rose. Robert agreed. Allen Memorial Hospital called.';
    const spans = detect(text);
    const texts = spans.filter((s) => s.category === 'PERSON').map((s) => s.text);
    assert.deepEqual(texts, ['Robert Allen', 'ALLEN', 'Allen', 'Robert']);
    assert.equal(spans.find((s) => s.text === 'Allen')?.source, 'alias');
  });
  test('other orders across pages', () => {
    const spans = detectPhi([
      { page: 1, text: 'Patient: Garcia, Maria' },
      { page: 2, text: 'MARIA GARCIA was discharged home with her family.' },
    ]);
    assert.ok(spans.some((s) => s.page === 2 && s.text === 'MARIA GARCIA' && s.category === 'PERSON'));
  });
  test('a common-word family name alone needs a title', () => {
    const text = 'Patient: Grace White\nWhite blood cells normal. Mrs White agreed.';
    const spans = detect(text);
    assert.ok(spans.some((s) => s.text === 'White' && s.name?.title === 'Mrs'));
    assert.ok(!spans.some((s) => s.start === text.indexOf('White blood')));
  });
  test('numbers printed elsewhere without their label, with other separators', () => {
    const text = 'MRN: 00482913    Phone: 555-123-4567\nRecord 0048-2913 matched; call 555 123 4567 or (555)1234567.';
    const spans = detect(text);
    assert.ok(
      spans.some((s) => s.text === '0048-2913' && s.category === 'MRN'),
      describeSpans(spans),
    );
    assert.ok(
      spans.some((s) => s.text === '(555)1234567'),
      describeSpans(spans),
    );
  });
});

describe('spans', () => {
  test('sorted, non-overlapping, with their text', () => {
    const pages = [
      { page: 1, text: 'Patient: GARCIA, MARIA L    DOB: 03/14/1962    MRN: 00482913\nCall 555-123-4567.' },
      { page: 2, text: 'Mrs Garcia, 03/14/1962, 00482913.' },
    ];
    const spans = detectPhi(pages);
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i]!;
      assert.equal(s.text, pages[s.page - 1]!.text.slice(s.start, s.end));
      const next = spans[i + 1];
      if (next && next.page === s.page) assert.ok(next.start >= s.end, 'no overlap');
      if (next) assert.ok(next.page > s.page || next.start > s.start, 'sorted');
    }
  });
});

// ---------------------------------------------------------------- whole pages

interface Page {
  name: string;
  text: string;
  phi: Array<[string, PhiCategory]>;
  clinical: string[];
}

const PAGES: Page[] = [
  {
    name: 'lab report',
    text: [
      'RIVERSIDE MEDICAL LABORATORY                      Quest Diagnostics',
      '1200 W. Oak Avenue, Suite 200, Springfield, IL 62704    Tel: (555) 123-4567   Fax: 555-123-4568',
      'Patient: GARCIA, MARIA L          DOB: 03/14/1962        MRN: 00482913',
      'Sex: F     Age: 63     Collected: 03/14/2025 08:30     Ordering Provider: Robert K. Allen, MD',
      'Account No.: A00482913     Member ID: XYZ 123456789     Group No: 55512',
      '',
      'Test Name            Result    Units      Reference Range    Flag',
      'Hemoglobin           14.2      g/dL       13.5 - 17.5',
      'WBC                  7.1       x10^3/uL   4.0-11.0',
      'Platelets            250       x10^3/uL   150,000-400,000',
      'Hemoglobin A1c       6.1       %          <5.7               H',
      'Comment: LOINC 4548-4. Reviewed by Dr. Okafor.',
      'Page 1 of 2',
    ].join('\n'),
    phi: [
      ['1200 W. Oak Avenue, Suite 200', 'ADDRESS'],
      ['Springfield', 'PLACE'],
      ['62704', 'ZIP'],
      ['(555) 123-4567', 'PHONE'],
      ['555-123-4568', 'FAX'],
      ['GARCIA, MARIA L', 'PERSON'],
      ['03/14/1962', 'DATE'],
      ['00482913', 'MRN'],
      ['03/14/2025 08:30', 'DATE'],
      ['Robert K. Allen', 'PERSON'],
      ['A00482913', 'ACCOUNT'],
      ['XYZ 123456789', 'PLAN_ID'],
      ['55512', 'PLAN_ID'],
      ['Okafor', 'PERSON'],
    ],
    clinical: [
      'RIVERSIDE MEDICAL LABORATORY',
      'Quest Diagnostics',
      '63',
      '14.2',
      '13.5 - 17.5',
      '4.0-11.0',
      '150,000-400,000',
      '<5.7',
      '4548-4',
      'Page 1 of 2',
    ],
  },
  {
    name: 'discharge summary',
    text: [
      "ST. MARY'S HOSPITAL - DISCHARGE SUMMARY",
      'Patient Name: Robert Allen                 Admission Date: March 3, 2025',
      'Discharge Date: 14-Mar-2025                Attending: Dr. Chidi Okafor',
      'Hospital No: H-7782001                     NHS Number: 943 476 5919',
      '',
      'HISTORY OF PRESENT ILLNESS:',
      'Mr Allen was admitted with chest pain. He is a 92-year-old retired teacher. ALLEN was seen by Dr Okafor on 3/4/25.',
      'His daughter, Grace Brown, can be reached at 020 7946 0958 or grace.brown@example.com.',
      'He lives at 22 Baker Street, London NW1 6XE. He was born 14th of March 1932 in Springfield.',
      "Allen's troponin was 0.04 ng/mL. Will continue aspirin 81 mg and Lisinopril 10 mg daily; BP 120/80, HR 72.",
      'Diagnoses: NSTEMI (I21.4), Type 2 Diabetes Mellitus (E11.9), Hypertension (I10).',
      'Electronically signed by: Chidi Okafor, MD on 03/15/2025 08:30',
    ].join('\n'),
    phi: [
      ['Robert Allen', 'PERSON'],
      ['March 3, 2025', 'DATE'],
      ['14-Mar-2025', 'DATE'],
      ['Chidi Okafor', 'PERSON'],
      ['H-7782001', 'MRN'],
      ['943 476 5919', 'NHS'],
      ['Allen', 'PERSON'],
      ['92-year-old', 'AGE'],
      ['ALLEN', 'PERSON'],
      ['Okafor', 'PERSON'],
      ['3/4/25', 'DATE'],
      ['Grace Brown', 'PERSON'],
      ['020 7946 0958', 'PHONE'],
      ['grace.brown@example.com', 'EMAIL'],
      ['22 Baker Street', 'ADDRESS'],
      ['London', 'PLACE'],
      ['NW1 6XE', 'ZIP'],
      ['14th of March 1932', 'DATE'],
      ['Springfield', 'PLACE'],
      ['03/15/2025 08:30', 'DATE'],
    ],
    clinical: ["ST. MARY'S HOSPITAL", 'chest pain', 'Will continue', '0.04 ng/mL', '81 mg', 'Lisinopril 10 mg', '120/80', 'I21.4', 'E11.9', 'I10'],
  },
  {
    name: 'referral letter',
    text: [
      'Riverside Family Practice',
      '45 North Main Street',
      'Springfield',
      'IL 62701',
      '',
      '15 April 2025',
      '',
      'Dear Dr Okafor,',
      '',
      'Re: Maria Garcia, DOB 03/14/1962, MRN 00482913',
      '',
      'Thank you for seeing Mrs Garcia, a 93 y/o woman with type 2 diabetes (E11.9) on Metformin 1000 mg BID.',
      'Her son Jose Garcia (mobile 555.987.6543) accompanies her. SSN on file 123-45-6789.',
      'Her HbA1c was 8.2% in March 2025. Please see her within 2 weeks.',
      '',
      'Yours sincerely,',
      '',
      'Jennifer Nguyen, MD',
      'NPI 1234567893',
    ].join('\n'),
    phi: [
      ['45 North Main Street', 'ADDRESS'],
      ['Springfield', 'PLACE'],
      ['62701', 'ZIP'],
      ['15 April 2025', 'DATE'],
      ['Okafor', 'PERSON'],
      ['Maria Garcia', 'PERSON'],
      ['03/14/1962', 'DATE'],
      ['00482913', 'MRN'],
      ['Garcia', 'PERSON'],
      ['93 y/o', 'AGE'],
      ['Jose Garcia', 'PERSON'],
      ['555.987.6543', 'PHONE'],
      ['123-45-6789', 'SSN'],
      ['March 2025', 'DATE'],
      ['Jennifer Nguyen', 'PERSON'],
      ['1234567893', 'LICENSE'],
    ],
    clinical: ['Riverside Family Practice', 'E11.9', 'Metformin 1000 mg BID', '8.2%', '2 weeks'],
  },
  {
    name: 'claim form',
    text: [
      'HEALTH INSURANCE CLAIM FORM',
      "1a. INSURED'S I.D. NUMBER                       2. PATIENT'S NAME (Last Name, First Name, Middle Initial)",
      'W123456789                                      GARCIA, MARIA, L',
      "3. PATIENT'S BIRTH DATE      SEX                 4. INSURED'S NAME (Last Name, First Name, Middle Initial)",
      '03 14 1962                   F                   GARCIA, JOSE',
      "5. PATIENT'S ADDRESS (No., Street)               CITY                    STATE    ZIP CODE",
      '742 Evergreen Terrace                            Springfield             IL       62704',
      'TELEPHONE (Include Area Code)',
      '(555) 234-5678',
      "26. PATIENT'S ACCOUNT NO.     CLM-2024-0098812    25. FEDERAL TAX I.D. NUMBER   12-3456789",
      '24. DATE OF SERVICE   CPT/HCPCS   MODIFIER   DIAGNOSIS POINTER   $ CHARGES',
      '03/14/2025           99213       25         A                    150.00',
      '03/14/2025           J3420                  B                    45.00',
      '21. DIAGNOSIS: E11.9   I10',
      '31. SIGNATURE OF PHYSICIAN: Robert K. Allen MD     DATE 03/20/2025',
    ].join('\n'),
    phi: [
      ['W123456789', 'PLAN_ID'],
      ['GARCIA, MARIA, L', 'PERSON'],
      ['03 14 1962', 'DATE'],
      ['GARCIA, JOSE', 'PERSON'],
      ['742 Evergreen Terrace', 'ADDRESS'],
      ['Springfield', 'PLACE'],
      ['62704', 'ZIP'],
      ['(555) 234-5678', 'PHONE'],
      ['CLM-2024-0098812', 'ACCOUNT'],
      ['12-3456789', 'ID'],
      ['03/14/2025', 'DATE'],
      ['Robert K. Allen', 'PERSON'],
      ['03/20/2025', 'DATE'],
    ],
    clinical: ['HEALTH INSURANCE CLAIM FORM', '99213', 'J3420', '150.00', '45.00', 'E11.9', 'I10'],
  },
];

describe('claim forms, audit footers and address blocks', () => {
  test('claim-form box dates with single spaces, as their own cells', () => {
    has('11 19 24  11 19 24  23  99214  GT  120.00  1  1558203471', '11 19 24', 'DATE');
    has('07 22 1951  F  OYELARAN, TEMITOPE, K', '07 22 1951', 'DATE');
    has('Imogen R. Vasquez-Tiller, MD  09 02 25', '09 02 25', 'DATE');
    has('Box 24A\n10 31 25\nBox 24B', '10 31 25', 'DATE');
    // Three readings in a sentence, a month over 12, a longer run of numbers: no date.
    kept('Apgar 07 08 09 at one, five and ten minutes.', '07 08 09');
    kept('Scores  13 05 24  noted', '13 05 24');
    kept('Grid 01 02 03 04 05', '01 02 03');
  });
  test('ISO date-times keep their zone', () => {
    has('Exported 2025-11-03T08:14:59Z by system', '2025-11-03T08:14:59Z', 'DATE');
    has('Signed 2025-11-03T08:14:59+02:00 by system', '2025-11-03T08:14:59+02:00', 'DATE');
  });
  test('ages over 89 span their unit', () => {
    has('Age/Sex: 96 YO / F', '96 YO', 'AGE');
    has('97 YO / FEMALE', '97 YO', 'AGE');
    has('A 91-year-old man.', '91-year-old', 'AGE');
    has('She is 95 yrs and lives alone.', '95 yrs', 'AGE');
    has('Pt is 98 y/o.', '98 y/o', 'AGE');
    has('Age: 99', '99', 'AGE');
  });
  test('towns before a state and ZIP, before a postcode, and after a street', () => {
    has('Maple Crossing, WI 53001-2234', 'Maple Crossing', 'PLACE');
    has('442 Juniper Lane  FERN HOLLOW  OR  97321', 'FERN HOLLOW', 'PLACE');
    has('88 Osprey Way #12, Birch Glen, ME 04011', 'Birch Glen', 'PLACE');
    has('PO Box 5521, Birch Glen, ME 04011', 'Birch Glen', 'PLACE');
    has('14 Harrow Close, Marlow Vale, MV2 7QT', 'Marlow Vale', 'PLACE');
    has('They live at 57 Tansy Road, Oxbury Fen; phone them first.', 'Oxbury Fen', 'PLACE');
    has('M  OKONKWO, DANIEL, T  920 Alder Court  MILLBROOK', 'MILLBROOK', 'PLACE');
    has('FERN HOLLOW  OR  97321', 'FERN HOLLOW', 'PLACE');
    has('She was born in Maple Crossing and moved away.', 'Maple Crossing', 'PLACE');
    // The street stays one ADDRESS; its suffix is no town.
    has('55 Main Street Lakeport CA 95453', '55 Main Street', 'ADDRESS');
  });
  test('a unit on its own line or cell joins the street line', () => {
    has('Westbrook Imaging\n3310 Quail Run Road\nSuite 210\nLakeport, CA 95453', '3310 Quail Run Road\nSuite 210', 'ADDRESS');
    has('Westbrook Imaging\n3310 Quail Run Road\n#4\nLakeport, CA 95453', '3310 Quail Run Road\n#4', 'ADDRESS');
    has('3310 Quail Run Road  Apt 2C  LAKEPORT', '3310 Quail Run Road  Apt 2C', 'ADDRESS');
  });
  test('web addresses without a scheme, never units or abbreviations', () => {
    has('Results online: lakeside-path.example/portal', 'lakeside-path.example/portal', 'URL');
    has('Fax 555 or see north-clinic.example.org/reports.', 'north-clinic.example.org/reports', 'URL');
    has('Visit clinicname.org for hours.', 'clinicname.org', 'URL');
    kept('WBC 6.1 x10^3/uL, glucose 98 mg/dL, e.g. twice daily p.o. and b.i.d.', 'x10^3/uL', 'mg/dL', 'e.g.', 'p.o.', 'b.i.d.');
    kept('Scan saved as report.pdf and notes.txt', 'report.pdf', 'notes.txt');
  });
  test('plates after the word for them; state licence numbers after "Lic."', () => {
    has('the car (registration KPL-2291) was towed', 'KPL-2291', 'VEHICLE');
    has('licence plate 8XTR447 noted by police', '8XTR447', 'VEHICLE');
    kept('tag 4 of 5 reviewed', '4 of 5');
    has('DEA BX1234563  Lic. #Q55821', 'Q55821', 'LICENSE');
    has('Lic. #07MD44120  NPI pending', '07MD44120', 'LICENSE');
    has('Lic. #TX-449102', 'TX-449102', 'LICENSE');
  });
  test('names after claim qualifiers, in audit footers and after "by"', () => {
    const caps = has('DN ABERNATHY LUCIANO R  1558203471', 'ABERNATHY LUCIANO R', 'PERSON');
    assert.deepEqual(caps.name, { given: ['LUCIANO', 'R'], family: ['ABERNATHY'] });
    has('DK Ingrid P. Solberg-Nakamura  1558203471', 'Ingrid P. Solberg-Nakamura', 'PERSON');
    has('Page 2 of 3  Printed 2025-02-11T10:02:33Z by Zofia Marín Ortega from 10.0.4.17', 'Zofia Marín Ortega', 'PERSON');
    has('1 of 1  Printed 2025-02-11 4:10 PM by K. Threlkeld from 10.0.4.17', 'K. Threlkeld', 'PERSON');
    has('Potassium 6.4 called to the ward by\nInés; read back and verified.', 'Inés', 'PERSON');
    has('Result phoned by Chidinma; read back.', 'Chidinma', 'PERSON');
    has('Seen by Bjørn Halvorsen today.', 'Bjørn Halvorsen', 'PERSON');
    kept('Pneumonia caused by Streptococcus Pneumoniae, followed by Physical Therapy.', 'Streptococcus', 'Physical Therapy');
    kept('Confirmed by Western Blot; screened by ELISA; transported by EMS.', 'Western Blot', 'ELISA', 'EMS');
  });
  test('phones with OCR spacing', () => {
    has('Tel ( 503  ) 744  - 2190', '( 503  ) 744  - 2190', 'PHONE');
    has('Call (503)-744-2190 today', '(503)-744-2190', 'PHONE');
  });
  test('form headers, checkbox lists, glued test codes and questions are no identifiers', () => {
    assert.deepEqual(detect('Surname  First Name  Middle  Date of Birth  Age  Sex'), []);
    assert.deepEqual(detect('Stroke  Hypertension  Kidney Disease  Tobacco Smoker  Pregnant'), []);
    kept('Urine Culture & Sensitivity87088  $95.00', 'Sensitivity87088');
    assert.deepEqual(detect('Address  City  State\nWhich arm do you prefer for the shot?  Weight if under 66 pounds:  Lbs.'), []);
    kept('T. Bili  1975-2  0.8 mg/dL', 'T. Bili');
  });
});

describe('whole pages', () => {
  let expected = 0;
  let covered = 0;
  let exact = 0;
  for (const page of PAGES) {
    test(page.name, (t) => {
      const spans = detect(page.text);
      const missed: string[] = [];
      let from = 0;
      for (const [value, category] of page.phi) {
        const at = page.text.indexOf(value, from);
        assert.ok(at >= 0, `test page lacks "${value}"`);
        from = at + 1;
        expected++;
        const hit = spans.find((s) => s.start <= at && s.end >= at + value.length);
        if (hit) covered++;
        if (hit && hit.start === at && hit.end === at + value.length && hit.category === category) exact++;
        else missed.push(`${category} "${value}" (got ${hit ? `${hit.category} "${hit.text}"` : 'nothing'})`);
      }
      t.diagnostic(`${page.name}: ${page.phi.length - missed.length}/${page.phi.length} exact`);
      assert.deepEqual(missed, []);
      kept(page.text, ...page.clinical);
    });
  }
  test('recall over the pages', (t) => {
    t.diagnostic(`recall ${covered}/${expected} covered, ${exact}/${expected} exact span and category`);
    assert.equal(covered, expected);
  });
});

// Speed is measured by `npm run bench -- --only deid`, never asserted; this only proves no pattern backtracks
// catastrophically (such a pattern would not finish at all).
describe('hostile input', () => {
  test('long runs of digits, capitals and spaces finish', { timeout: 60_000 }, () => {
    const hostile = [
      '9'.repeat(5000),
      'A'.repeat(5000),
      `${'Dr '.repeat(1000)}x`,
      `${'1 '.repeat(2000)}St`,
      `${'a.'.repeat(2000)}@`,
      `${'12/'.repeat(1500)}`,
    ].join('\n');
    assert.ok(Array.isArray(detect(hostile)));
  });
});

describe('more families: plates across a line break, SSNs in form cells, names closing a clause, decimal ranges, unit letters', () => {
  test('a plate on the line after its word', () => {
    has('hit a parked van (registration\nQZ71 KWB) at low speed', 'QZ71 KWB', 'VEHICLE');
    has('car with plate 5TRW819, towed', '5TRW819', 'VEHICLE');
  });
  test('an SSN in its own cell with single spaces; a run of numbers in prose is not', () => {
    has('Tomasz K. Wrona  11-02-1950  902 33 4417', '902 33 4417', 'SSN');
    assert.equal(detect('counts were 902 33 4417 over three days').filter((s) => s.category === 'SSN').length, 0);
  });
  test('a lone name after "by" that closes a clause; a clinical word does not', () => {
    has('Critical value phoned at 14:10 by Wojciech; read back.', 'Wojciech', 'PERSON');
    kept('Rhythm strip reviewed by Cardiology.', 'Cardiology');
  });
  test('a decimal reference range is no identifier', () => {
    kept('MCV  91.2  fL  80.0-100.0', '80.0-100.0');
    kept('Ferritin  40  ng/mL  15.0-150.0', '15.0-150.0');
  });
  test('a town that opens the next line of prose after a wrapped street address', () => {
    has('He stays with his aunt at 77 Quillon Avenue, Apt 9,\nDrummore Vale; call 555 201 7788.', 'Drummore Vale', 'PLACE');
    kept('The clinic is at 14 Elm Street,\nwhich is open daily.', 'which is open daily');
  });
  test('claim-form date boxes read by OCR with their rules as bars', () => {
    has('04  |  19  |  24  Co  11  99213  |  |  85.00', '04  |  19  |  24', 'DATE');
  });
  test('a unit letter on its own line under the street', () => {
    const text = '52 Orchard Way\nUnit D\nKelsington, OR 97015';
    const unit = text.indexOf('Unit D');
    assert.ok(
      detect(text).some((s) => s.category === 'ADDRESS' && s.start <= unit && s.end >= unit + 6),
      describeSpans(detect(text)),
    );
  });
});
