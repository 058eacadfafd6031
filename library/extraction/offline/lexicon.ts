/**
 * The words the offline rules look for, as data: labels, date words, stop words, units, section and
 * document-type keywords, priorities of competing labels. The rules that use them live beside this file.
 */
import type { DocumentType } from '../../../core/contract/extraction.js';

export type Section = 'medications' | 'diagnoses' | 'procedures' | 'allergies' | 'vitals' | 'other';

/** Typographic ligatures and the letters they stand for. */
export const LIGATURES: Record<string, string> = { '\uFB00': 'ff', '\uFB01': 'fi', '\uFB02': 'fl', '\uFB03': 'ffi', '\uFB04': 'ffl', '\uFB05': 'st', '\uFB06': 'st' };

/** Month names and abbreviations (first three letters) → month number. */
export const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12,
};

/** A month written as a word, as a regular-expression source. */
export const MONTH_PATTERN = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';

/**
 * Printed labels (normalised: lower case, no dots, single spaces) by the field they name. A label listed
 * under two fields belongs to the first.
 */
export const LABELS: Record<string, readonly string[]> = {
  name: ['patient name', 'patient', 'name', 'full name', 'patient full name', 'name of patient', "patient's name", 'pt name', 'patient nm'],
  first: ['first name', 'given name', 'patient first name', 'first'],
  last: ['last name', 'surname', 'family name', 'patient last name', 'last'],
  dob: ['dob', 'date of birth', 'birth date', 'birthdate', 'born', 'd o b', 'patient dob', 'patient date of birth'],
  sex: ['sex', 'gender', 'age/sex', 'age/gender', 'sex/age', 'gender/age', 'patient sex', 'patient gender'],
  mrn: [
    'mrn', 'mrn assigned', 'mrn no', 'mrn #', 'mrn#', 'medical record number', 'medical record no', 'medical record #', 'med rec no',
    'record no', 'record number', 'patient id', 'patient no', 'patient number', 'hospital no', 'hospital number', 'uhid', 'mr no',
    'mr #', 'mr#', 'chart no', 'chart #', 'chart number', 'patient id no',
  ],
  author: [
    'author', 'signed by', 'electronically signed by', 'discharging physician', 'attending physician', 'attending', 'radiologist',
    'reported by', 'validated by', 'verified by', 'pathologist', 'doctor', 'physician', 'prescriber', 'prescribing physician',
    'consultant', 'treating physician', 'dictated by', 'provider', 'attending provider', 'rendering provider', 'treating doctor',
  ],
  facility: ['facility', 'hospital', 'clinic', 'laboratory', 'lab', 'practice', 'performing lab', 'institution', 'health system'],
  docdate: [
    'report date', 'date reported', 'reported', 'reported on', 'date', 'date of service', 'service date', 'visit date', 'encounter date',
    'date of visit', 'study date', 'exam date', 'date of exam', 'discharge date', 'date of discharge', 'admission date', 'date of admission',
    'admission date & time', 'admission date/time', 'report date/time', 'date of report', 'signed date', 'date signed',
    'discharge', 'discharged', 'discharged on', 'admission', 'admitted', 'admitted on',
  ],
  collected: [
    'collection date', 'collected', 'collected on', 'specimen collected', 'sample collected', 'date collected', 'collection date/time',
    'collection date & time', 'date of collection', 'collection', 'drawn', 'date drawn', 'specimen date', 'sample date', 'sample collection',
  ],
  allergies: ['allergies', 'allergy', 'known allergies', 'drug allergies', 'allergies/reactions', 'allergies/adverse reactions', 'medication allergies'],
  medications: ['current medications', 'medications', 'medication', 'meds', 'home medications', 'discharge medications', 'current meds', 'medicines'],
  conditions: [
    'known conditions', 'conditions', 'diagnosis', 'diagnoses', 'final diagnosis', 'primary diagnosis', 'discharge diagnosis', 'problems',
    'problem list', 'past medical history', 'medical history', 'pmh', 'admitting diagnosis', 'provisional diagnosis',
  ],
  // Labels we do not read, known so that they end the value before them ("John Doe Pt ID: 123").
  other: [
    'id', 'pt id', "provider's pt id", 'account', 'account no', 'account #', 'acct', 'acct #', 'visit id', 'visit', 'encounter', 'encounter id',
    'phone', 'tel', 'telephone', 'mobile', 'cell', 'email', 'e-mail', 'fax', 'age', 'room', 'bed', 'ward', 'address', 'contact', 'insurance',
    'insurance id', 'policy', 'policy no', 'policy number', 'member id', 'group', 'group no', 'referring physician', 'referred by',
    'ordered by', 'ordering physician', 'ordering provider', 'ssn', 'race', 'ethnicity', 'language', 'status', 'marital status', 'accession',
    'accession #', 'accession no', 'specimen', 'specimen type', 'npi', 'dept', 'department', 'location', 'unit', 'time', 'blood group',
    'height', 'weight', 'religion', 'occupation', 'employer', 'guarantor', 'payer', 'plan', 'ref', 'reg no', 'registration no',
  ],
};

/** Words that appear in printed labels and instructions, never in a person's name. */
export const NAME_STOP_WORDS: readonly string[] = [
  'name', 'last', 'first', 'middle', 'initial', 'mi', 'patient', 'patients', 'insured', 'date', 'birth', 'sex', 'gender', 'male', 'female',
  'address', 'street', 'city', 'state', 'zip', 'telephone', 'phone', 'number', 'signature', 'signed', 'self', 'spouse', 'child', 'other',
  'relationship', 'information', 'details', 'mm', 'dd', 'yy', 'yyyy', 'dob', 'mrn', 'id', 'unknown', 'none', 'n/a', 'na', 'age', 'years',
  'yrs', 'print', 'type', 'here', 'field', 'required', 'optional', 'form', 'the', 'of', 'or', 'and',
];

/** Phrases that point at a document type, and how strongly. */
export const DOCUMENT_TYPE_RULES: Array<{ type: DocumentType; re: RegExp; weight: number }> = [
  { type: 'lab_report', re: /\b(laborator(y|ies)|lab|pathology)\s+(report|results?)\b/i, weight: 5 },
  { type: 'lab_report', re: /\b(complete blood count|lipid (panel|profile)|metabolic panel|liver function|test name|reference range|specimen|accession|loinc)\b/i, weight: 1 },
  { type: 'discharge_summary', re: /\bdischarge summary\b/i, weight: 6 },
  { type: 'discharge_summary', re: /\b(discharge (date|medications|instructions|diagnos[ie]s|condition|disposition)|date of discharge|hospital course)\b/i, weight: 1.5 },
  { type: 'referral', re: /\b(referral (letter|form|request|note)|reason for referral|letter of referral)\b/i, weight: 6 },
  { type: 'referral', re: /\b(referral|refer(red)? to|thank you for seeing|dear dr\.?)\b/i, weight: 1.5 },
  { type: 'prescription', re: /\b(prescription|rx)\b/i, weight: 3 },
  { type: 'prescription', re: /^\s*sig\s*:|\b(dispense|refills?|substitution)\b/i, weight: 1 },
  { type: 'clinical_note', re: /\b(progress notes?|clinical notes?|office visit|consultation notes?|clinic notes?|visit notes?|provider notes?|physician notes?|soap notes?|h&p|history and physical)\b/i, weight: 5 },
  { type: 'clinical_note', re: /\b(ros|pmhx|fhx|social hx|c\/o|vitals?|plan)\s*:/i, weight: 1 },
  { type: 'clinical_note', re: /\b(chief complaint|history of present illness|hpi|assessment and plan|assessment\/plan|review of systems|physical exam(ination)?)\b/i, weight: 1.5 },
  { type: 'clinical_note', re: /\b(radiology|imaging|x-ray|ct|mri|ultrasound)\s+report\b|\bimpression\s*:/i, weight: 3 },
  { type: 'other', re: /\b(invoice|itemi[sz]ed bill|billing|claim form|insurance claim|explanation of benefits|eob|consent|insurance card|admission form|intake form|registration form|questionnaire)\b/i, weight: 4 },
];

/** How much a date label says about the date of the document itself. */
export const DOCUMENT_DATE_PRIORITY: Record<string, number> = {
  'report date': 0.9, 'date reported': 0.9, reported: 0.8, 'reported on': 0.9, 'report date/time': 0.9, 'date of report': 0.9,
  date: 0.85, 'date of service': 0.85, 'service date': 0.85, 'visit date': 0.85, 'encounter date': 0.85, 'date of visit': 0.85,
  'study date': 0.85, 'exam date': 0.85, 'date of exam': 0.85, 'signed date': 0.7, 'date signed': 0.7,
  'discharge date': 0.75, 'date of discharge': 0.75,
  discharge: 0.6, discharged: 0.6, 'discharged on': 0.6,
  'admission date': 0.5, 'date of admission': 0.5, 'admission date & time': 0.5, 'admission date/time': 0.5,
  admission: 0.45, admitted: 0.45, 'admitted on': 0.45,
};

/** How likely the person after an author label wrote or signed the document. */
export const AUTHOR_PRIORITY: Record<string, number> = {
  author: 0.9, 'signed by': 0.9, 'electronically signed by': 0.9, 'discharging physician': 0.9, 'attending physician': 0.85,
  attending: 0.8, radiologist: 0.85, 'reported by': 0.85, pathologist: 0.8, doctor: 0.85, physician: 0.8, prescriber: 0.85,
  'prescribing physician': 0.85, consultant: 0.75, 'treating physician': 0.8, 'treating doctor': 0.8, 'dictated by': 0.8,
  'validated by': 0.75, 'verified by': 0.7, provider: 0.65, 'attending provider': 0.8, 'rendering provider': 0.7,
};

/** Lab units accepted without a '/' in them (compared lower-case, µ/μ as u). */
export const PLAIN_UNITS: readonly string[] = [
  '%', 'fl', 'pg', 'g', 'mg', 'ng', 'ug', 'mcg', 'sec', 's', 'seconds', 'min', 'ratio', 'index', 'iu', 'u', 'mu', 'meq', 'mmol', 'umol',
  'nmol', 'pmol', 'mosm', 'cells', 'copies', 'titer', 'ph', 'mmhg', 'kpa', 'score', 'units', 'ml', 'l', 'dl', 'x10e3', 'x10e6', 'k', 'm',
  'mm', 'g%', 'mg%', 'ng%', 'gm%', 'cm',
];

/** Bare mass, volume and count units: far more often a dose than a lab unit. */
export const MASS_UNITS: readonly string[] = ['g', 'mg', 'ng', 'ug', 'mcg', 'ml', 'l', 'dl', 'm', 'k', 'mm', 'cm', 'u', 'iu', 'units', 's', 'min'];

/** Section headings (the whole line, or its first cell) and the section they open. */
export const SECTION_HEADERS: Array<[Section, RegExp]> = [
  ['medications', /^(?:(?:discharge|current|home|active|outpatient|admission|new|ongoing|prescribed)\s+)?(?:medications?|medicines|meds|drugs)(?:\s+(?:prescribed|list|on discharge|at discharge|on admission))?(?:\s*\(rx\))?\s*:?$|^rx\s*:?$/i],
  ['diagnoses', /^(?:(?:final|discharge|admitting|admission|primary|secondary|principal|provisional|working)\s+)?(?:diagnos[ie]s|dx)(?:\s*\(.*\))?\s*:?$|^(?:problem list|assessment|active problems)\s*:?$/i],
  ['procedures', /^(?:procedures?|operations?|surgeries|interventions)(?:\s+(?:performed|done|carried out))?\s*:?$/i],
  ['allergies', /^(?:known\s+|drug\s+)?allerg(?:y|ies)(?:\s*\/\s*(?:adverse\s+)?reactions?)?\s*:?$/i],
  ['vitals', /^vital\s*signs?\s*:?$|^vitals\s*:?$/i],
];

/** How often a medication is taken, as regular-expression sources (a phrase before the shorter ones it contains). */
export const FREQUENCY_PATTERNS: readonly string[] = [
  String.raw`once daily`, String.raw`twice daily`, String.raw`(?:three|four) times (?:a )?(?:day|daily)`, String.raw`once a day`,
  String.raw`twice a day`, String.raw`every (?:other )?(?:day|morning|evening|night)`, String.raw`every \d+\s*(?:-\s*\d+\s*)?(?:hours|hrs|h)`,
  String.raw`at bedtime`, String.raw`at night`, String.raw`in the (?:morning|evening)`, String.raw`once(?: a|\/| per )week`, String.raw`weekly`,
  String.raw`monthly`, String.raw`daily`, String.raw`nightly`, String.raw`as needed`, String.raw`as required`, String.raw`when required`,
  String.raw`q\.?\s?\d+\s*(?:-\s*\d+\s*)?h(?:rs?|ours?)?`, String.raw`b\.i\.d\.?`, String.raw`t\.i\.d\.?`, String.raw`q\.i\.d\.?`, String.raw`q\.d\.?`,
  String.raw`q\.?h\.?s\.?`, 'bid', 'tid', 'qid', 'qd', 'qhs', 'qam', 'qpm', 'qod', 'prn', 'stat', 'od', 'bd', 'tds', 'qds', 'hs', 'nocte', 'mane',
];
