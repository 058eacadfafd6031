/**
 * corpus-truth/v1 → what the scorer compares against.
 *
 * Truth files are written per document by people, so their keys vary (`dob_iso` or `dob`, `admitted_iso`
 * or `admission_date_iso`, `medications` as objects or as strings, `tests[]` with or without `flag`).
 * The tables below say, per field type of the schema (v2 names), which truth keys give its value: for a
 * scalar the first key present wins (mode 'first') or every key present is an accepted answer ('any');
 * list sections are read item by item. ISO keys are listed before their as-printed twins, so the ISO
 * value is used where the truth has one; an as-printed date is read in the day/month order that the same
 * truth file's unambiguous dates show (both readings are accepted when none does).
 *
 * What is scored, and what "not there" means:
 *  - a truth key that is present with a value: that value is expected;
 *  - a key present but null or "" (e.g. a claim's empty birth-date box, a lab row's empty flag, a bill
 *    line without a code): the field is expected to be empty, so an extracted value there is a false positive;
 *  - a key that is absent: the truth says nothing and the field is not scored;
 *  - a list section is "covered" when the truth has its key (even as an empty list, or as "NKDA" for
 *    allergies); items extracted into a section the truth does not cover are not scored (they are counted
 *    as `unscored` in the report). Within a covered section, an item field is scored where the truth items
 *    have that key at all (e.g. lab flags are not scored on a report that prints no flag column);
 *  - a truth file that gives no values and says what is `expected` (a blank form) covers everything:
 *    every scalar and every section is expected empty;
 *  - a printed code (`tests[].loinc`, `tests[].panel_loinc`) is written only where the document prints one:
 *    once a file gives a code for some items of a list, the items without one print none, so a code
 *    extracted for them is a false positive.
 *
 * Truth keys not scored (listed per document in the --json report under `unscored`), and why:
 *  - addresses, phones, e-mails, SSNs, NPIs, tax IDs, account and accession numbers, blood group, marital
 *    status, relationship to the insured, place of service, rendering NPI: the schema has no field for them;
 *  - people in roles (referring, ordering, prescribing, signing, radiologist, admitting, discharging,
 *    PCP, referred-to): the schema has one `document.author` and one `encounter.attending`, and which of
 *    these roles the truth's person holds in those terms is not written down;
 *  - narrative (history, reason for visit, impression, chief complaint, family/social history, discharge
 *    advice, the handwritten text), screening answers, consent checkboxes: no structured field;
 *  - `diagnosis_codes_as_printed` of a CMS-1500 sample: ICD-9-style codes with the box letter glued on and
 *    duplicated across boxes; the schema's `icd10` has no honest place for them;
 *  - `insurance_type` (the claim's program box, not the payer's name), `tpa`, `pre_authorization`,
 *    `approved_amount_*`, `allowed_amount`, `status`, `claim_id`, `invoice_number`, `currency`,
 *    `due_date_iso`, `admitting_diagnosis` (the same condition is in `diagnoses`),
 *    `medications[].indication`, `service_lines[].pos|to|reserved_local|rendering_npi`, `line_items[].description`
 *    (a claim line has no description), `insured.*` other than plan and group (the insured may not be the
 *    patient), `other_insured`, dates of illness, signature dates of the patient (a claim has two signatures).
 */
import { dateOrderOf, isNoAllergy, parseDates } from './normalise.js';
import { FIELD_TYPES, SCALAR_FIELDS, SECTION_FIELDS, SECTIONS, type ScalarField, type Section } from './fields.js';
import { DOCUMENT_TYPE_TABLE, DOCUMENT_TYPES_V2, NOT_DRUG_NAME_WORDS, type DocumentTypeV2 } from './vocabulary.js';

/** The accepted answers for a field (any of them is right), or null: the field is expected to be empty. */
export type Want = readonly unknown[] | null;
/** A truth list item: its scored fields (an absent field is not scored). */
export type TruthItem = Partial<Record<string, Want>>;

export interface DocTruth {
  file: string;
  scalars: Partial<Record<ScalarField, Want>>;
  sections: Partial<Record<Section, TruthItem[]>>;
  /** Per covered section, the item fields the truth speaks for. */
  covered: Partial<Record<Section, ReadonlySet<string>>>;
  /** Truth keys (paths) present in the file that no field type scores. */
  unscored: string[];
  /** Whether the document was read without a text layer, per the truth (informational). */
  textLayer: boolean | string | undefined;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** Truth keys that describe the file, not the document's content. */
const META_KEYS = new Set(['schema', 'file', 'source', 'read_by', 'text_layer', 'pages', 'image', 'quirks', 'cross_check', 'expected']);

/** Per scalar field type: the truth keys (dot paths) that give its value. */
export const SCALAR_SOURCES: Readonly<Record<ScalarField, { mode: 'first' | 'any'; paths: readonly string[] }>> = {
  'document.type': { mode: 'first', paths: ['document_type'] },
  'document.date': {
    mode: 'first',
    paths: [
      'document_date_iso',
      'date_iso',
      'report_date_iso',
      'report_date',
      'report_datetime',
      'study_date_iso',
      'fax_date_iso',
      'signed_date_iso',
      'signature_date',
    ],
  },
  'document.facility': { mode: 'first', paths: ['facility', 'lab', 'clinic'] },
  'patient.name': { mode: 'first', paths: ['patient.name', 'patient.first_name+middle_name+last_name', 'member'] },
  'patient.date_of_birth': { mode: 'first', paths: ['patient.dob_iso', 'patient.date_of_birth', 'patient.dob'] },
  'patient.age': { mode: 'first', paths: ['patient.age'] },
  'patient.sex': { mode: 'first', paths: ['patient.sex'] },
  'patient.mrn': { mode: 'any', paths: ['patient.mrn', 'patient.patient_id', 'patient.provider_patient_id', 'patient.patient_id_in_text'] },
  'encounter.admission_date': { mode: 'first', paths: ['admission_date_iso', 'admitted_iso', 'admission_datetime', 'admitted', 'hospitalization.from'] },
  'encounter.discharge_date': { mode: 'first', paths: ['discharge_date_iso', 'discharged_iso', 'discharged', 'hospitalization.to'] },
  'encounter.ward': { mode: 'first', paths: ['ward', 'bed'] },
  'insurance.payer': { mode: 'first', paths: ['insurance.plan', 'insurance.payer', 'insurance.provider', 'plan', 'insured.plan'] },
  'insurance.member_id': { mode: 'first', paths: ['insurance.member_id', 'member_id', 'insured_id', 'insurance.policy_number', 'insurance_id'] },
  'insurance.group_number': { mode: 'first', paths: ['insurance.group', 'insurance.group_number', 'group_number', 'insured.policy_group'] },
  'claim_totals.total_charge': { mode: 'first', paths: ['total_charge', 'total_billed', 'amount_billed'] },
  'claim_totals.amount_paid': { mode: 'first', paths: ['amount_paid', 'paid_by_insurance', 'insurance_covered'] },
  'claim_totals.balance_due': { mode: 'first', paths: ['balance_due', 'patient_liability', 'patient_responsibility_copay'] },
};

/**
 * Per list section: the truth arrays (or objects / strings) that hold its items, and per item which truth
 * key gives which field (first key present wins). A string item is read by `fromString`.
 */
export const SECTION_SOURCES: Readonly<
  Record<Section, ReadonlyArray<{ key: RegExp; fields: Readonly<Record<string, readonly string[]>>; fromString?: (s: string) => Obj | null }>>
> = {
  lab_results: [
    {
      key: /^(tests|lab_results|results)$/,
      fields: {
        test: ['name', 'test'],
        value: ['value'],
        unit: ['unit'],
        reference_range: ['reference_range', 'range'],
        flag: ['flag'],
        panel: ['panel'],
        loinc: ['loinc'],
        panel_loinc: ['panel_loinc'],
        collected_at: ['collected_iso', 'collected'],
      },
    },
  ],
  medications: [
    {
      key: /^(medications|discharge_medications|current_medications)$/,
      fields: { name: ['name'], strength: ['strength', 'dose'], form: ['form'], instructions: ['sig', 'instructions'] },
      fromString: medicationFromString,
    },
  ],
  diagnoses: [
    {
      key: /^(diagnoses|conditions|problems|diagnosis)$/,
      fields: { description: ['description', 'name'], icd10: ['icd10', 'code'] },
      fromString: diagnosisFromString,
    },
  ],
  allergies: [
    { key: /^allergies$/, fields: { substance: ['substance', 'name'], reaction: ['reaction'], severity: ['severity'] }, fromString: (s) => ({ substance: s }) },
  ],
  vitals: [{ key: /^(vitals|vital_signs)$/, fields: { name: ['name'], value: ['value'], unit: ['unit'] } }],
  procedures: [
    { key: /^procedures$/, fields: { name: ['description', 'name'], code: ['cpt', 'code'] }, fromString: (s) => ({ description: s }) },
    { key: /^study$/, fields: { name: ['description'] }, fromString: (s) => ({ description: s }) },
  ],
  claim_lines: [
    {
      key: /^service_lines$/,
      fields: {
        service_date: ['from_iso', 'from', 'date_iso', 'date', 'service_date'],
        code: ['cpt', 'code'],
        modifier: ['modifiers', 'modifier'],
        diagnosis_pointer: ['pointer', 'diagnosis_pointer'],
        units: ['units'],
        charge: ['charges', 'charge', 'amount'],
      },
    },
    { key: /^line_items$/, fields: { code: ['code', 'cpt'], charge: ['amount', 'charges'] } },
  ],
  immunizations: [
    { key: /^(immunizations|vaccines|.*_vaccine)$/, fields: { vaccine: ['vaccine', 'name', 'manufacturer'], date: ['date_iso', 'date'], lot: ['lot'] } },
  ],
};

/** Item fields a truth file gives only where the document prints them (see the header: printed codes). */
const PRINTED_ONLY: Partial<Record<Section, readonly string[]>> = { lab_results: ['loinc', 'panel_loinc'] };

/** Document-level collection date keys: the collection date of every lab row that has none of its own. */
const COLLECTED_KEYS = ['lab_collected_iso', 'collected_iso', 'collected', 'collection_datetime', 'sample_collected'];

// ---------------------------------------------------------------------------------------------------

function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function at(truth: Obj, path: string): { present: boolean; value: Json | undefined } {
  let cur: Json | undefined = truth;
  for (const part of path.split('.')) {
    if (!isObj(cur) || !(part in cur)) return { present: false, value: undefined };
    cur = cur[part];
  }
  return { present: true, value: cur };
}

/** The day/month order of a truth file's all-numeric dates, from those that can only be read one way. */
function dateOrder(truth: Json): 'mdy' | 'dmy' | null {
  const votes = { mdy: 0, dmy: 0 };
  const visit = (v: Json): void => {
    if (typeof v === 'string') {
      const o = dateOrderOf(v);
      if (o) votes[o]++;
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (isObj(v)) Object.values(v).forEach(visit);
  };
  visit(truth);
  if (votes.mdy > 0 && votes.dmy === 0) return 'mdy';
  if (votes.dmy > 0 && votes.mdy === 0) return 'dmy';
  return null;
}

export function documentTypesFor(text: string): DocumentTypeV2[] | null {
  if ((DOCUMENT_TYPES_V2 as readonly string[]).includes(text)) return [text as DocumentTypeV2];
  const s = text.toLowerCase().replace(/_/g, ' ');
  const row = DOCUMENT_TYPE_TABLE.find((r) => r.pattern.test(s));
  return row ? [...row.types] : null;
}

/** One truth value → the accepted answers for a field of `kind` (undefined: cannot be scored). */
function want(kind: string, v: Json | undefined, order: 'mdy' | 'dmy' | null): Want | undefined {
  if (v === undefined) return undefined;
  if (v === null || (typeof v === 'string' && v.trim() === '')) return null;
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  if (kind === 'date') {
    const dates = parseDates(String(v), order);
    return dates.length > 0 ? dates : undefined; // a date printed as garbage cannot be scored
  }
  if (kind === 'doctype') return documentTypesFor(String(v)) ?? undefined;
  return [v];
}

/** "Metformin 500mg", "Motrin once/week": the name is the words before a number or a frequency word. */
function medicationFromString(s: string): Obj | null {
  const words = s.trim().split(/\s+/);
  const name: string[] = [];
  for (const w of words) {
    if (/\d/.test(w) || NOT_DRUG_NAME_WORDS.has(w.toLowerCase().replace(/[^a-z]/g, '')) || /\//.test(w)) break;
    name.push(w);
  }
  if (name.length === 0) return null;
  const strength = /(\d+(?:\.\d+)?\s*(?:mg|mcg|µg|ug|g|ml|units?|iu|%))(?![a-z])/i.exec(s);
  return strength ? { name: name.join(' '), strength: strength[1] as string } : { name: name.join(' ') };
}

/** A code-like string ("R11.0", "E11.9") is a diagnosis code; anything else its description. */
function diagnosisFromString(s: string): Obj {
  return /^[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$/i.test(s.trim()) ? { icd10: s.trim() } : { description: s };
}

/** Reads one corpus-truth/v1 file (already JSON-parsed). Throws on a file of another schema. */
export function mapTruth(raw: unknown): DocTruth {
  if (!isObj(raw as Json) || (raw as Obj).schema !== 'corpus-truth/v1') throw new Error('not a corpus-truth/v1 file');
  const truth = raw as Obj;
  const order = dateOrder(truth);
  const used = new Set<string>(META_KEYS);
  const scalars: DocTruth['scalars'] = {};
  const sections: DocTruth['sections'] = {};
  const covered: Partial<Record<Section, Set<string>>> = {};

  for (const field of Object.keys(SCALAR_FIELDS) as ScalarField[]) {
    const { mode, paths } = SCALAR_SOURCES[field];
    const kind = SCALAR_FIELDS[field];
    const answers: unknown[] = [];
    let empty = false;
    for (const path of paths) {
      if (path.includes('+')) {
        // A name given in parts (first / middle / last): with or without the middle name.
        const [group, rest] = path.split('.') as [string, string];
        const parts = rest.split('+').map((p) => at(truth, `${group}.${p}`));
        if (!parts.some((p) => p.present)) continue;
        rest.split('+').forEach((p) => used.add(`${group}.${p}`));
        const [first, middle, last] = parts.map((p) => (typeof p.value === 'string' ? p.value : ''));
        answers.push(...new Set([[first, middle, last].filter(Boolean).join(' '), [first, last].filter(Boolean).join(' ')]));
        if (mode === 'first') break;
        continue;
      }
      const found = at(truth, path);
      if (!found.present) continue;
      used.add(path);
      const w = want(kind, found.value, order);
      if (w === undefined) continue;
      if (w === null) empty = true;
      else answers.push(...w);
      if (mode === 'first') break;
    }
    if (answers.length > 0) scalars[field] = answers;
    else if (empty) scalars[field] = null;
  }

  // Lab rows take the document's collection date when they have none of their own.
  let collected: Json | undefined;
  for (const k of COLLECTED_KEYS) {
    const f = at(truth, k);
    if (f.present) {
      used.add(k);
      collected = f.value;
      break;
    }
  }

  for (const section of SECTIONS) {
    const kinds = SECTION_FIELDS[section] as Record<string, string>;
    for (const source of SECTION_SOURCES[section]) {
      for (const key of Object.keys(truth).filter((k) => source.key.test(k))) {
        if (section === 'diagnoses' && key === 'diagnosis' && Array.isArray(truth.diagnoses)) continue;
        used.add(key);
        const value = truth[key];
        const rawItems: Json[] = Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
        const items = (sections[section] ??= []);
        const cov = (covered[section] ??= new Set());
        const first = items.length;
        for (const rawItem of rawItems) {
          if (section === 'allergies' && (typeof rawItem === 'string' ? isNoAllergy(rawItem) : isObj(rawItem) && isNoAllergy(rawItem.substance))) continue;
          const obj: Obj | null = typeof rawItem === 'string' ? (source.fromString?.(rawItem) ?? null) : isObj(rawItem) ? rawItem : null;
          if (!obj) continue;
          const item: TruthItem = {};
          for (const [field, keys] of Object.entries(source.fields)) {
            const k = keys.find((x) => x in obj);
            let v = k === undefined ? undefined : obj[k];
            if (section === 'lab_results' && field === 'collected_at' && v === undefined) v = collected;
            const w = want(kinds[field] as string, v, order);
            if (w === undefined) continue;
            item[field] = w;
            cov.add(field);
          }
          if (Object.keys(item).length > 0) items.push(item);
          if (typeof rawItem !== 'string' && isObj(rawItem)) {
            const mapped = new Set(Object.values(source.fields).flat());
            for (const k of Object.keys(rawItem)) if (!mapped.has(k)) used.add(`!${key}[].${k}`);
          }
        }
        const listed = items.slice(first);
        for (const field of PRINTED_ONLY[section] ?? []) {
          if (listed.some((item) => item[field] !== undefined)) for (const item of listed) item[field] ??= null;
        }
      }
    }
  }

  // A covered section with no items (an empty list, "NKDA"): every extracted item there is a false positive.
  for (const section of SECTIONS) if (sections[section]?.length === 0) covered[section] = new Set(Object.keys(SECTION_FIELDS[section]));

  // A truth that gives no values but says what is expected (a blank form): everything is expected empty.
  const content = Object.keys(truth).filter((k) => !META_KEYS.has(k) && k !== 'document_type');
  if ('expected' in truth && content.length === 0) {
    for (const field of Object.keys(SCALAR_FIELDS) as ScalarField[]) if (field !== 'document.type') scalars[field] = null;
    for (const section of SECTIONS) {
      sections[section] = [];
      covered[section] = new Set(Object.keys(SECTION_FIELDS[section]));
    }
  }

  const unscored: string[] = [];
  const visit = (v: Json, path: string): void => {
    if (used.has(path)) return;
    if (isObj(v) && path.split('.').length < 2) {
      for (const [k, x] of Object.entries(v)) visit(x, path ? `${path}.${k}` : k);
      return;
    }
    unscored.push(path);
  };
  for (const [k, v] of Object.entries(truth)) if (!META_KEYS.has(k)) visit(v, k);
  for (const u of used) if (u.startsWith('!')) unscored.push(u.slice(1));

  return {
    file: typeof truth.file === 'string' ? truth.file : '',
    scalars,
    sections,
    covered,
    unscored: unscored.sort(),
    textLayer: truth.text_layer as boolean | string | undefined,
  };
}

/** Number of truth values per field type (what recall is measured on). */
export function truthSupport(t: DocTruth): Record<string, number> {
  const n: Record<string, number> = Object.fromEntries(FIELD_TYPES.map((f) => [f, 0]));
  for (const [f, w] of Object.entries(t.scalars)) if (w) n[f] = (n[f] ?? 0) + 1;
  for (const s of SECTIONS)
    for (const item of t.sections[s] ?? []) for (const [f, w] of Object.entries(item)) if (w) n[`${s}.${f}`] = (n[`${s}.${f}`] ?? 0) + 1;
  return n;
}
