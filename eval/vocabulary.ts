/**
 * The scorer's vocabulary, as plain data: how two spellings of the same value are recognised as the same
 * (units, dosage forms, salt words of drug names, titles around a person's name, "no known allergies"),
 * and how a truth file's free-text `document_type` maps to the schema's document types.
 *
 * None of it is keyed to a corpus file: each entry is a general fact about how medical documents write
 * things. The scorer keeps its own tables on purpose (it does not reuse the extractor's): a unit the
 * extractor folds wrongly must not be scored right because both sides folded it the same way.
 */
import { DOCUMENT_TYPES } from '../core/contract/extraction.js';

/**
 * Unit spellings that mean the same thing, after the canonical folding of `canonicalUnit` (lower case,
 * no spaces, µ/μ/mc → u, × → x, "hr" → "h"). Each row is one equivalence class.
 */
export const UNIT_EQUIVALENTS: ReadonlyArray<readonly string[]> = [
  ['/ul', 'cells/ul', '/mm3', 'cells/mm3', '/cumm', 'cells/cumm'],
  ['10^3/ul', 'x10^3/ul', 'k/ul', 'thou/ul', '10*3/ul', 'x10*3/ul', '10^9/l', 'x10^9/l', '10*9/l', 'x10*9/l', 'k/mm3', '10^3/mm3'],
  ['10^6/ul', 'x10^6/ul', 'm/ul', 'million/ul', 'mill/ul', 'mil/ul', '10*6/ul', '10^12/l', 'x10^12/l', '10*12/l', 'million/mm3'],
  ['uiu/ml', 'miu/l', 'uu/ml'],
  ['u/l', 'iu/l'],
  ['g/dl', 'gm/dl'],
  ['mm/h', 'mm/1h', 'mm/hour'],
  ['ml/min/1.73m2', 'ml/min/1.73', 'ml/min/1.73msq'],
  ['%', 'percent', 'pct'],
  ['°f', 'f', 'degf', 'fahrenheit'],
  ['°c', 'c', 'degc', 'celsius'],
];

/** Mass units a strength may be written in, as milligrams (so "1 g" = "1000 mg"). */
export const MASS_IN_MG: Readonly<Record<string, number>> = { g: 1000, gm: 1000, gram: 1000, grams: 1000, mg: 1, ug: 0.001, mcg: 0.001 };

/**
 * Dosage-form words, each to its canonical form. A form is compared as the set of canonical forms of
 * its words ("MDI Inhaler" = "inhaler"; "Tab" = "tablet"); words not listed are kept as they are.
 */
export const FORM_WORDS: Readonly<Record<string, string>> = {
  tab: 'tablet',
  tabs: 'tablet',
  tablet: 'tablet',
  tablets: 'tablet',
  cap: 'capsule',
  caps: 'capsule',
  capsule: 'capsule',
  capsules: 'capsule',
  inhaler: 'inhaler',
  inh: 'inhaler',
  mdi: 'inhaler',
  puffer: 'inhaler',
  metered: 'inhaler',
  dose: 'inhaler',
  susp: 'suspension',
  suspension: 'suspension',
  soln: 'solution',
  sol: 'solution',
  solution: 'solution',
  syrup: 'syrup',
  syr: 'syrup',
  inj: 'injection',
  injection: 'injection',
  cream: 'cream',
  crm: 'cream',
  oint: 'ointment',
  ointment: 'ointment',
  patch: 'patch',
  drops: 'drops',
  gtt: 'drops',
  spray: 'spray',
  supp: 'suppository',
  suppository: 'suppository',
  lotion: 'lotion',
  gel: 'gel',
  powder: 'powder',
};

/**
 * Words a drug name may carry that do not change which drug it is: the salt or ester of the active
 * ingredient ("metformin HCl" = "metformin"), and dosage-form words written into the name ("salbutamol
 * inhaler" = "salbutamol": the form has its own field). A word is dropped only after the first word, so
 * "sodium chloride" or "calcium carbonate" keep their active part; anions that are themselves the drug
 * (sulfate, chloride, carbonate, citrate, ...) are not listed.
 */
export const DRUG_NAME_NOISE: ReadonlySet<string> = new Set([
  'hcl',
  'hydrochloride',
  'hydrobromide',
  'besylate',
  'besilate',
  'mesylate',
  'maleate',
  'succinate',
  'tartrate',
  'fumarate',
  'dihydrate',
  'monohydrate',
  'trihydrate',
  'sodium',
  'potassium',
  'calcium',
  'magnesium',
  ...Object.keys(FORM_WORDS),
  'er',
  'xr',
  'sr',
  'cr',
  'xl',
  'la',
  'ec',
  'dr',
  'oral',
]);

/** Titles and degrees around a person's name ("Dr. Jane Smith, MD" = "Jane Smith"). */
export const NAME_TITLES: ReadonlySet<string> = new Set([
  'dr',
  'mr',
  'mrs',
  'ms',
  'miss',
  'mx',
  'prof',
  'md',
  'do',
  'phd',
  'rn',
  'np',
  'pa',
  'mbbs',
  'frcp',
  'jr',
  'sr',
]);

/** Allergy entries that say there is no allergy: neither side counts them as an allergy. */
export const NO_ALLERGY: ReadonlyArray<RegExp> = [
  /^nk(d)?a$/,
  /^no known (drug )?allerg(y|ies)$/,
  /^(none|nil|no|none known|no allergies|no drug allergies|none reported)$/,
];

/**
 * Words after which a medication written as one string ("Motrin once/week", "Metformin 500mg") is no
 * longer its name: frequencies and time words. A word with a digit ends the name too.
 */
export const NOT_DRUG_NAME_WORDS: ReadonlySet<string> = new Set([
  'once',
  'twice',
  'daily',
  'weekly',
  'monthly',
  'nightly',
  'previously',
  'formerly',
  'prn',
  'bid',
  'bd',
  'tid',
  'qid',
  'od',
  'qd',
  'qhs',
  'hs',
  'as',
  'every',
  'per',
  'po',
  'iv',
  'im',
  'sc',
  'at',
  'with',
  'for',
]);

/** Flags as printed → the schema's flags. A normal result and no flag are the same answer (not scored as a value). */
export const FLAG_WORDS: ReadonlyArray<readonly [RegExp, 'H' | 'L' | 'abnormal' | null]> = [
  [/^(h|hh|high|hi|elevated|mildly elevated|raised|above|critical high|\u2191)$|\b(high|elevated|raised)\b/, 'H'],
  [/^(l|ll|low|lo|below|decreased|critical low|\u2193)$|\b(low|decreased)\b/, 'L'],
  [/^(a|abn|abnormal|\*|!|critical|positive|detected)$/, 'abnormal'],
  [/^(n|nl|normal|wnl|within normal limits|negative|not detected|)$/, null],
];

/** The schema's document types (v2). */
export const DOCUMENT_TYPES_V2 = DOCUMENT_TYPES;
export type DocumentTypeV2 = (typeof DOCUMENT_TYPES_V2)[number];

/**
 * A truth file's free-text `document_type` (e.g. "fax_packet (cover + referral + face sheet + lab report)",
 * "health insurance member ID card") → the schema's document type(s). The first row whose pattern occurs
 * in the text (lower case, '_' read as a space) wins; a `document_type` that is one of the schema's types is that type. A row with several types is a kind of document the
 * schema has no exact type for: any of them is accepted. No match: document.type is not scored.
 */
export const DOCUMENT_TYPE_TABLE: ReadonlyArray<{ pattern: RegExp; types: readonly DocumentTypeV2[]; why: string }> = [
  { pattern: /cms[- ]?1500|hcfa|ub[- ]?04|claim form/, types: ['claim_form'], why: 'a claim form (CMS-1500, UB-04)' },
  { pattern: /explanation of benefits|\beob\b|remittance/, types: ['eob'], why: 'an explanation of benefits' },
  { pattern: /insurance.*card|member id card|\bid card\b/, types: ['insurance_card'], why: 'a member ID card' },
  { pattern: /immuni[sz]ation|vaccin/, types: ['vaccination_record'], why: 'a vaccination record or consent' },
  { pattern: /radiolog|x-?ray|imaging|\bct\b|\bmri\b|ultrasound|mammogra/, types: ['radiology_report'], why: 'an imaging report' },
  { pattern: /patholog|biops|histolog|cytolog/, types: ['pathology_report'], why: 'a pathology report' },
  { pattern: /discharge summary|discharge_summary/, types: ['discharge_summary'], why: 'a discharge summary' },
  { pattern: /referral/, types: ['referral'], why: 'a referral (a fax packet carrying one is one)' },
  { pattern: /\blab(oratory)? (report|results?)\b/, types: ['lab_report'], why: 'a lab report' },
  { pattern: /prescription|\brx\b/, types: ['prescription'], why: 'a prescription' },
  { pattern: /invoice|\bbill\b|billing statement/, types: ['other', 'claim_form'], why: 'an itemised bill: no type of its own (other), or read as a claim' },
  {
    pattern: /intake|admission form|registration form|questionnaire/,
    types: ['clinical_note', 'other'],
    why: 'a patient form: no type of its own (other), or read as a clinical note',
  },
  { pattern: /\bnote\b|progress|consult|history and physical|\bh&p\b/, types: ['clinical_note'], why: 'a clinical note' },
];

/** Words a lab panel's heading may add to its name ("Lipid Panel" = "Lipid", "Vitamins & Iron Studies" = "Vitamins & Iron"). */
export const PANEL_GENERIC_WORDS: ReadonlySet<string> = new Set([
  'panel',
  'profile',
  'test',
  'tests',
  'studies',
  'study',
  'screen',
  'screening',
  'results',
  'and',
]);

/** Vital-sign names, each spelling to its canonical name ("Wt" = "Weight", "HR" = "Pulse"). */
export const VITAL_NAMES: Readonly<Record<string, string>> = {
  wt: 'weight',
  weight: 'weight',
  'body weight': 'weight',
  ht: 'height',
  height: 'height',
  bp: 'blood pressure',
  'blood pressure': 'blood pressure',
  hr: 'pulse',
  pulse: 'pulse',
  'heart rate': 'pulse',
  'pulse rate': 'pulse',
  rr: 'respiratory rate',
  resp: 'respiratory rate',
  'resp rate': 'respiratory rate',
  respirations: 'respiratory rate',
  'respiratory rate': 'respiratory rate',
  temp: 'temperature',
  temperature: 'temperature',
  t: 'temperature',
  spo2: 'oxygen saturation',
  'o2 sat': 'oxygen saturation',
  'o2 saturation': 'oxygen saturation',
  'sp o2': 'oxygen saturation',
  'oxygen saturation': 'oxygen saturation',
  sat: 'oxygen saturation',
  bmi: 'bmi',
  'body mass index': 'bmi',
};
