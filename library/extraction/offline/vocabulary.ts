/**
 * Vocabulary of the schema v2 rules, as data only: label wordings of the encounter, insurance, age and
 * claim-total fields, table column words, medication forms, frequency words and their normal form,
 * section words of immunizations. Labels are normalised as `labelKey` writes them (lower case, no dots,
 * single spaces, "#" spaced off). The rules that read them live beside this file.
 */

/** Printed labels of the v2 scalar fields. */
export const V2_LABELS: Readonly<Record<string, readonly string[]>> = {
  age: ['age', 'age (yrs)', 'age (years)', 'age (y)', 'patient age', 'age in years', 'age/sex', 'age/gender', 'sex/age', 'gender/age', 'age/sex/dob'],
  admission: [
    'admission date',
    'date of admission',
    'admitted',
    'admitted on',
    'admission',
    'admit date',
    'date admitted',
    'admission date & time',
    'admission date/time',
    'admission datetime',
    'doa',
  ],
  discharge: ['discharge date', 'date of discharge', 'discharged', 'discharged on', 'discharge', 'date discharged', 'discharge date/time', 'dod'],
  attending: [
    'attending',
    'attending physician',
    'attending doctor',
    'attending provider',
    'attending consultant',
    'admitting physician',
    'admitting doctor',
    'consultant in charge',
    'under the care of',
  ],
  ward: ['ward', 'ward/bed', 'ward/unit', 'unit', 'nursing unit', 'ward/room', 'room/bed', 'bed', 'bed no', 'ward name'],
  payer: [
    'insurance',
    'insurer',
    'payer',
    'payor',
    'plan',
    'health plan',
    'plan name',
    'insurance plan',
    'insurance company',
    'insurance provider',
    'insurance carrier',
    'carrier',
    'primary insurance',
    'insurance name',
    "insured's insurance plan name or program name",
    'insurance plan name or program name',
  ],
  member_id: [
    'member id',
    'member #',
    'member no',
    'member number',
    'member id no',
    'subscriber id',
    'subscriber #',
    'subscriber no',
    'subscriber number',
    'policy #',
    'policy no',
    'policy number',
    'policy id',
    'insurance id',
    'insured id',
    "insured's id number",
    "insured's id",
    "insured's id number (for program in item 1)",
    'identification no',
    'identification number',
    'id number',
    'id no',
    'id #',
    'member identification',
  ],
  // A bare 'ID': read as the member's only on a document that also names its plan's payer or group.
  bare_id: ['id'],
  group_number: [
    'group',
    'group no',
    'group #',
    'group number',
    'group id',
    'grp',
    'grp #',
    'grp no',
    'grp number',
    'policy group',
    "insured's policy group or feca number",
    'group/policy',
  ],
  total_charge: [
    'total charge',
    'total charges',
    'total billed',
    'amount billed',
    'billed amount',
    'total amount',
    'total amount billed',
    'total billed amount',
    'gross amount',
    'total bill',
    'bill total',
    'grand total',
    'charges total',
    'total',
  ],
  amount_paid: [
    'amount paid',
    'total paid',
    'paid',
    'paid by plan',
    'plan paid',
    'plan payment',
    'insurance paid',
    'paid by insurance',
    'insurance payment',
    'payments',
    'payment',
    'amount covered',
    'insurance covered',
    'paid amount',
  ],
  balance_due: [
    'balance due',
    'balance',
    'amount due',
    'total due',
    'patient responsibility',
    'patient balance',
    'patient owes',
    'you owe',
    'your responsibility',
    'net payable',
    'patient pays',
    'patient resp',
    'patient liability',
  ],
};

/** Dosage forms as printed (lower case), a phrase before the shorter words it contains. */
export const DOSAGE_FORMS: readonly string[] = [
  'oral suspension',
  'oral solution',
  'extended-release tablet',
  'delayed-release capsule',
  'chewable tablet',
  'metered dose inhaler',
  'nasal spray',
  'eye drops',
  'ear drops',
  'transdermal patch',
  'prefilled syringe',
  'tablets',
  'tablet',
  'tabs',
  'tab',
  'capsules',
  'capsule',
  'caps',
  'cap',
  'inhaler',
  'mdi',
  'suspension',
  'solution',
  'syrup',
  'elixir',
  'cream',
  'ointment',
  'gel',
  'lotion',
  'patch',
  'injection',
  'injectable',
  'suppository',
  'drops',
  'spray',
  'powder',
  'lozenge',
  'pen',
  'vial',
  'nebule',
  'nebuliser solution',
  'nebulizer solution',
  'soln',
  'susp',
  'oint',
  'supp',
];

/** Frequency as printed → its normal form. Keys are regular-expression sources, tried in order. */
export const FREQUENCY_NORMAL: ReadonlyArray<readonly [string, string]> = [
  [String.raw`once (?:a )?day|once daily|(?:1|one) ?(?:x|times?) ?(?:a |per |\/ ?)?day|o\.?d\.?|q\.?d\.?|daily|every day|each day|qday|od`, 'once daily'],
  [
    String.raw`twice (?:a )?day|twice daily|(?:2|two) ?(?:x|times?) ?(?:a |per |\/ ?)?(?:day|daily)|b\.?i\.?d\.?|b\.?d\.?|every 12 ?(?:hours|hrs|h)|q\.? ?12 ?h(?:rs?|ours?)?`,
    'twice daily',
  ],
  [
    String.raw`three times (?:a )?(?:day|daily)|(?:3|three) ?(?:x|times?) ?(?:a |per |\/ ?)?(?:day|daily)|t\.?i\.?d\.?|t\.?d\.?s\.?|every 8 ?(?:hours|hrs|h)|q\.? ?8 ?h(?:rs?|ours?)?`,
    'three times daily',
  ],
  [
    String.raw`four times (?:a )?(?:day|daily)|(?:4|four) ?(?:x|times?) ?(?:a |per |\/ ?)?(?:day|daily)|q\.?i\.?d\.?|q\.?d\.?s\.?|every 6 ?(?:hours|hrs|h)|q\.? ?6 ?h(?:rs?|ours?)?`,
    'four times daily',
  ],
  [String.raw`every (\d+) ?(?:hours|hrs|h)|q\.? ?(\d+) ?h(?:rs?|ours?)?`, 'every $1 hours'],
  [String.raw`at bedtime|at night|nightly|q\.?h\.?s\.?|h\.?s\.?|nocte|every (?:night|evening)|in the evening`, 'at bedtime'],
  [String.raw`every morning|each morning|in the morning|q\.?a\.?m\.?|mane`, 'every morning'],
  [String.raw`every other day|alternate days|q\.?o\.?d\.?`, 'every other day'],
  [String.raw`once (?:a|per|\/) ?week|weekly|every week`, 'weekly'],
  [String.raw`monthly|once a month|every month`, 'monthly'],
  [String.raw`as needed|as required|when required|p\.?r\.?n\.?|if needed`, 'as needed'],
  [String.raw`stat|immediately|once only`, 'once'],
];

/** Verbs and phrases that introduce a medication in prose ("He currently takes metformin 1 g twice daily"). */
export const MEDICATION_PROSE_CUES: readonly string[] = [
  'takes',
  'taking',
  'is on',
  'remains on',
  'was started on',
  'started on',
  'continues on',
  'continue',
  'also',
  'prescribed',
  'given',
  'uses',
  'using',
  'on',
];

/** Words of a table's header cells and the column they name. */
export const COLUMN_WORDS: Readonly<Record<string, readonly string[]>> = {
  date: ['date', 'dos', 'from', 'service date', 'date of service', 'date given', 'given', 'administered', 'date administered', 'dates of service'],
  code: ['cpt', 'hcpcs', 'cpt/hcpcs', 'code', 'procedure code', 'cpt code', 'cpt/hcp', 'cpt/hc'],
  modifier: ['modifier', 'mod', 'modifie', 'mods'],
  pointer: ['pointer', 'diagnosis pointer', 'dx pointer', 'dx ptr', 'ptr', 'diagnosi', 'diag'],
  units: ['units', 'qty', 'quantity', 'days or units', 'days', 'unit'],
  charge: ['charge', 'charges', 'billed', 'amount billed', 'amount', 'fee', 'fees', 'billed amount', 'price', '$ charges'],
  place: ['place', 'pos', 'place of service'],
  vaccine: ['vaccine', 'vaccine name', 'immunization', 'immunisation', 'product'],
  lot: ['lot', 'lot #', 'lot no', 'lot number', 'batch'],
};

/** Section headings that open a list of immunizations (the whole heading, lower case). */
export const IMMUNIZATION_HEADINGS: readonly string[] = [
  'immunizations',
  'immunisations',
  'immunization history',
  'immunisation history',
  'immunization record',
  'vaccination record',
  'vaccination history',
  'vaccinations',
  'vaccines',
  'vaccines administered',
  'vaccines given',
  'vaccine administration',
  'immunizations given',
];

/** Headings of a claim's or bill's service lines. */
export const CLAIM_LINE_HEADINGS: readonly string[] = ['services', 'service lines', 'itemized charges', 'charges', 'line items', 'itemised charges'];

/** Words of an insurer's name (a card's first line): "Cobalt Health Plan", "Evergreen Mutual Health". */
/** Government programmes a claim form lists as checkboxes; a value naming two of them is that row, not a payer. */
export const PAYER_PROGRAMS: readonly string[] = [
  'medicare',
  'medicaid',
  'tricare',
  'champus',
  'champva',
  'feca',
  'blk lung',
  'black lung',
  'group health plan',
];

export const PAYER_WORDS: readonly string[] = [
  'health plan',
  'insurance',
  'assurance',
  'mutual',
  'health',
  'care',
  'medicare',
  'medicaid',
  'blue cross',
  'blue shield',
  'alliance',
  'benefits',
  'benefit',
  'life',
  'plan',
];

/** Header cells of a medication table and the column they name (lower case; a cell may add words after). */
export const MEDICATION_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  name: ['medication', 'medications', 'medicine', 'drug', 'drug name', 'medication name', 'name', 'rx'],
  strength: ['dose', 'strength', 'stren', 'dosage'],
  form: ['type', 'form', 'dosage form'],
  instructions: ['instructions', 'sig', 'how to take', 'directions', 'frequency', 'frequency / instructions', 'frequency/instructions', 'usage'],
  status: ['status', 'action'],
};

/** Words that open a sentence naming a medication ("He currently takes", "She remains on", "Also"). */
export const MEDICATION_PROSE_LEAD: readonly string[] = [
  String.raw`(?:(?:he|she|they|the patient|patient|pt)\s+)?(?:currently\s+|also\s+|still\s+)?(?:takes|is taking|remains[- ]on|is on|was started on|was given|started|continues(?: on)?|uses|was prescribed)`,
  String.raw`also`,
  String.raw`(?:start|continue|stop|resume)`,
];

/** Numbers written as words, for durations ("for five days"). */
export const NUMBER_WORDS: Readonly<Record<string, string>> = {
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  ten: '10',
  fourteen: '14',
  twenty: '20',
  thirty: '30',
};

/**
 * Words that make an unknown label with an amount one of the claim totals ("FINAL PAID AMOUNT BY
 * INSURANCE", "Total Billed Amount"), tried in order; `not` words rule a field out.
 */
export const TOTAL_LABEL_WORDS: ReadonlyArray<{ field: 'total_charge' | 'amount_paid' | 'balance_due'; words: string; not: string }> = [
  { field: 'balance_due', words: String.raw`balance|owes?|liability|responsibility|amount due|due`, not: String.raw`paid|allowed` },
  { field: 'amount_paid', words: String.raw`paid|covered|payments?`, not: String.raw`allowed|un ?paid|balance|patient` },
  { field: 'total_charge', words: String.raw`total|billed|charges?`, not: String.raw`paid|allowed|balance|adjust\w*|discount|covered|due|tax` },
];

/** How severe an allergic reaction is, as printed. */
export const ALLERGY_SEVERITIES: readonly string[] = ['life-threatening', 'severe', 'moderate', 'mild', 'serious', 'high', 'low'];

/** Header cells of an allergy table and the column they name. */
export const ALLERGY_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  substance: ['allergen', 'substance', 'allergy', 'agent', 'drug', 'allergies', 'causative agent'],
  reaction: ['reaction', 'manifestation', 'reaction type', 'reactions', 'symptoms', 'response'],
  severity: ['severity', 'criticality', 'sev', 'severity level'],
};

/**
 * How a letter closes: a line opening with one of these ends the list or section above it ("Sincerely, Dr. A",
 * "Many thanks for your help"), so the signature is never an item of that list.
 */
export const LETTER_CLOSINGS: readonly string[] = [
  'sincerely',
  'yours sincerely',
  'yours faithfully',
  'yours truly',
  'regards',
  'kind regards',
  'best regards',
  'warm regards',
  'with regards',
  'best wishes',
  'many thanks',
  'thank you',
  'thanks',
  'with thanks',
  'respectfully',
  'please contact',
  'please do not hesitate',
  'do not hesitate',
  'please call',
  'electronically signed',
  'signed by',
];
export const LETTER_CLOSING_RE = new RegExp(String.raw`^\W*(?:${LETTER_CLOSINGS.join('|')})\b`, 'i');

/** Verbs of a sentence saying what a substance does to the patient ("Reports mild rash with peanuts"). */
export const ALLERGY_PROSE = {
  allergicTo: String.raw`(?:is |was )?(?:allergic|allergy|sensitive|intolerant) to`,
  causes: String.raw`which causes|causes|causing|leading to|resulting in|gives (?:him|her|them)`,
  reports: String.raw`reports?|reported|has|had|developed|experienced|gets`,
  with: String.raw`with|after|to|from|on`,
};

/** Header cells of a lab table and the column they name (lower case). */
export const LAB_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  panel: ['section', 'panel', 'category', 'department', 'group', 'profile'],
  test: ['test', 'test name', 'analyte', 'investigation', 'parameter', 'component', 'name', 'description', 'examination'],
  value: ['value', 'result', 'results', 'your value', 'observed value', 'finding', 'value/result'],
  unit: ['unit', 'units', 'uom'],
  range: [
    'reference range',
    'ref range',
    'range',
    'reference interval',
    'ref. interval',
    'biological ref. interval',
    'normal range',
    'reference',
    'ref. range',
    'reference value',
  ],
  flag: ['flag', 'abnormal', 'abnor', 'abn', 'h/l', 'status', 'indicator'],
  // A code column: its cells are taken as the tests' LOINC codes when they have a LOINC code's form (lab-codes.ts).
  loinc: ['loinc', 'loinc code', 'loinc #', 'loinc no', 'loinc no.', 'loinc number', 'code', 'test code'],
};

/**
 * Words that say which column a lab table's header cell names when the whole cell is not one of
 * LAB_COLUMNS ('Standard Range', 'Biological Ref.' cut by a wrap, 'Measured Value'); the first column
 * in this order whose word the cell holds wins, so 'Normal Values' is a range and 'Result Flag' a flag.
 */
export const LAB_COLUMN_WORDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['range', ['range', 'ranges', 'interval', 'intervals', 'reference', 'ref', 'normal', 'limits', 'expected']],
  ['flag', ['flag', 'flags', 'abnormal', 'abn', 'indicator']],
  ['unit', ['unit', 'units', 'uom']],
  ['value', ['value', 'values', 'result', 'results', 'finding', 'findings', 'observed', 'measured', 'reading']],
  ['test', ['test', 'tests', 'analyte', 'analytes', 'investigation', 'parameter', 'component', 'examination', 'description']],
  ['panel', ['section', 'panel', 'category', 'department', 'group', 'profile']],
  ['loinc', ['loinc', 'code']],
];

/**
 * Words that make a short line between lab rows a panel's heading ('Thyroid Panel', 'Electrolytes') rather than
 * the rest of the test name above it ('White Blood' / 'Cell Count'). Lower case; a heading in capitals
 * ('CBC', 'LFT') is a panel's without them.
 */
export const PANEL_WORDS: readonly string[] = [
  'panel',
  'profile',
  'chemistry',
  'chemistries',
  'function',
  'functions',
  'tests',
  'studies',
  'screen',
  'screening',
  'monitoring',
  'electrolytes',
  'lipids',
  'lipid',
  'hematology',
  'haematology',
  'urinalysis',
  'serology',
  'immunology',
  'coagulation',
  'markers',
  'enzymes',
  'hormones',
  'vitamins',
  'metabolic',
  'differential',
  'cardiac',
  'renal',
  'liver',
  'thyroid',
  'diabetes',
  'diabetic',
  'glycemic',
  'glycaemic',
  'hepatic',
  'urine',
  'microbiology',
  'cultures',
  'gases',
  'inflammatory',
  'tumor',
  'tumour',
  'endocrine',
  'toxicology',
  'iron studies',
  'indices',
  'biochemistry',
  'immunoassay',
  'blood count',
];

/** First words of the notes printed under a lab table ('Interpretation', 'Comments'): no rest of a test's name. */
export const LAB_NOTE_WORDS: readonly string[] = [
  'interpretation',
  'comment',
  'comments',
  'remark',
  'remarks',
  'note',
  'notes',
  'method',
  'methodology',
  'specimen',
  'reviewed',
  'verified',
  'signature',
  'signed',
  'summary',
  'impression',
  'plan',
  'reference',
  'page',
  'end',
];

/** Headings above lab rows that name no panel (the whole heading, lower case). */
export const NOT_PANEL_HEADINGS: readonly string[] = [
  'results',
  'result',
  'test results',
  'lab results',
  'laboratory results',
  'laboratory report',
  'lab report',
  'clinical laboratory report',
  'cumulative lab report',
  'investigations',
  'report',
  'final report',
  'pertinent results',
  'labs',
  'laboratory',
  'laboratory data',
  'findings',
  'recent labs',
  'lab data',
];

/** Labels of a collection date printed per panel or per specimen (a line with one of these and a date). */
export const COLLECTION_WORDS: readonly string[] = [
  'collected',
  'collection',
  'drawn',
  'specimen date',
  'sample date',
  'date of collection',
  'sample collected',
];

/** Header cells of a procedures table. */
export const PROCEDURE_COLUMN_WORDS: readonly string[] = [
  'description',
  'procedure',
  'procedures',
  'code',
  'cpt',
  'cpt code',
  'date',
  'name',
  'service',
  'hcpcs',
  'cpt/hcpcs',
  'status',
  'notes',
];

/** Words that make an unlisted label a date of the document ("Date Written", "RX DATE", "Record Date"). */
export const DOCUMENT_DATE_LABEL_WORDS = {
  is: String.raw`date|dated|dos|written|issued|printed|processed|reported|signed|visit|as of`,
  not: String.raw`birth|born|dob|collect\w*|admi\w*|discharg\w*|due|expir\w*|onset|injury|illness|effective|last|next|follow|appointment|received|drawn|specimen|hire|death|surgery|lmp|service from|from|to`,
};

/** One-word labels that may stand before their value with a single space and no colon ("Sex F", "DOB 1990-07-20"). */
export const SHORT_LABELS: readonly string[] = ['dob', 'sex', 'gender', 'mrn', 'age', 'dos', 'grp', 'uhid', 'born', 'attending', 'ward', 'date', 'name'];

/** Words of a document's title, which a line naming the insurer does not carry. */
export const PAYER_TITLE_WORDS: readonly string[] = [
  'form',
  'claim',
  'statement',
  'explanation',
  'summary',
  'card',
  'bill',
  'invoice',
  'report',
  'record',
  'approved',
  'committee',
];

/** Names of vital signs as a table's header cells print them (regular-expression sources). */
export const VITAL_NAMES: readonly string[] = [
  'bp',
  'b\\/p',
  'blood pressure',
  'pulse',
  'pulse rate',
  'hr',
  'heart rate',
  'rr',
  'resp',
  'respirations',
  'respiratory rate',
  'temp',
  'temperature',
  't',
  'spo2',
  'o2 sat',
  'o2 saturation',
  'oxygen saturation',
  'sat',
  'wt',
  'weight',
  'ht',
  'height',
  'bmi',
];

/** Labels whose value names the procedure or study performed ("Study Type: AP/Lateral Chest X-Ray"). */
export const PROCEDURE_LABELS: readonly string[] = [
  'study type',
  'study',
  'study description',
  'exam',
  'exam type',
  'examination',
  'procedure',
  'procedure performed',
  'procedure name',
  'operation',
  'operation performed',
  'surgery performed',
];

/** Headings under which an imaging report names its study in the first sentence, and the modality words that open it. */
export const STUDY_HEADINGS: readonly string[] = ['technique', 'procedure', 'exam', 'examination', 'study'];
export const MODALITY_WORDS: readonly string[] = [
  'ct',
  'cta',
  'mri',
  'mra',
  'x-?ray',
  'xr',
  'radiograph',
  'ultrasound',
  'us',
  'sonograph?y',
  'mammogra(?:m|phy)',
  'pet(?:/ct)?',
  'echocardiogra(?:m|phy)',
  'fluoroscopy',
  'dexa',
  'nuclear',
  'chest',
  'ap',
  'pa',
];

/** Header cells of a diagnoses table. */
export const DIAGNOSIS_COLUMN_WORDS: readonly string[] = [
  'icd-10',
  'icd10',
  'icd',
  'icd code',
  'icd-10 code',
  'code',
  'description',
  'diagnosis',
  'condition',
  'problem',
  'status',
  'onset',
  'dx',
  'name',
];

/** Words by which a line addresses its reader ('unless you have been told'): advice, never a procedure's name. */
export const READER_WORDS: readonly string[] = ['you', 'your', 'yours', 'we', 'our', 'us'];

/** Verbs that open a medication's directions ('Take 1 tablet', 'Apply thinly'). */
export const DIRECTION_VERBS: readonly string[] = [
  'take',
  'apply',
  'inhale',
  'instil',
  'instill',
  'use',
  'inject',
  'give',
  'place',
  'insert',
  'chew',
  'dissolve',
];
