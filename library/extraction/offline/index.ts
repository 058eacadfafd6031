/**
 * The `offline` extraction provider: deterministic rules over the page text, no network.
 *
 * Input is the text of each page as the text-layer reader (or OCR) produced it: visual lines joined by
 * '\n', items on a line separated by one space, or by two or more spaces where there is a column gap.
 * The rules read:
 *  - "Label: value" pairs (several per line, split at column gaps, at ' | ' and at known labels), with
 *    the value validated for its field, so that a blank form's printed labels never become values;
 *  - lab rows ("Test  value  unit  range  flag", "Test (LOINC: x):  value unit [Ref: range] HIGH", and
 *    single-spaced rows with a recognised unit), with garbage (mojibake) units dropped;
 *  - medications, diagnoses (ICD-10), procedures (CPT or a procedures section), vitals and allergies;
 *  - schema v2: age, encounter, insurance and claim totals from labels (a row of labels with its values on
 *    the next line, colon-less label/value cells, box-numbered form labels), claim lines typed cell by cell
 *    in their header's column order (or a CMS-1500's box 24), immunizations, lab panels with their own
 *    collection dates, tables read by their header columns, prose read sentence by sentence;
 *  - sections end at the next heading or at page furniture (footers, lines repeated across pages).
 * Every value carries evidence: the trimmed line it came from (a verbatim substring of the page text),
 * and a confidence that is lower for weaker rules.
 *
 * One module per part of the result lives beside this file; the words the rules look for are data, in
 * lexicon.ts (v1's labels and sections) and vocabulary.ts (v2's labels, columns, forms, frequencies).
 */
import type { Extraction, Field, PageText } from '../../../core/contract/extraction.js';
import { emptyExtraction } from '../../../core/contract/extraction.js';
import type { LayoutPage } from '../../layout/index.js';
import { allergies } from './allergies.js';
import type { DateContext } from './dates.js';
import { documentDateOrder } from './dates.js';
import { claimLines } from './claims.js';
import { diagnoses } from './diagnoses.js';
import { readForms } from './forms.js';
import { immunizations } from './immunizations.js';
import { v2Scalars } from './encounter.js';
import { author, documentDate, documentType, facility } from './document.js';
import { collectLabelValues } from './labels.js';
import { collectionDate, labResults, proseLabResults } from './labs.js';
import { toLines } from './lines.js';
import { medications } from './medications.js';
import { patientFields } from './patient.js';
import { procedures } from './procedures.js';
import { sectionOf } from './sections.js';
import { vitals } from './vitals.js';

export interface OfflineOptions {
  /** Today: sets the century of two-digit years and rules out dates of birth in the future. Default: the current time. */
  now?: Date;
  /**
   * The positioned words of the OCR pages among `pages` (library/layout), for the rules that read a page's
   * geometry, such as a boxed form's fields below their printed labels. Text-layer pages need none.
   */
  layouts?: readonly LayoutPage[];
}

/** Rule-based extraction of schema v2 from page text. Deterministic; never throws on odd input. */
export function extractOffline(pages: PageText[], options: OfflineOptions = {}): Extraction {
  const result = emptyExtraction();
  const sorted = [...pages].filter((p) => typeof p.text === 'string').sort((a, b) => a.page - b.page);
  const pageLines = toLines(sorted);
  if (pageLines.every((l) => l.length === 0)) return result;

  const dates: DateContext = { order: documentDateOrder(sorted), now: options.now ?? new Date() };
  const kvs = collectLabelValues(pageLines);
  const sections = sectionOf(pageLines);
  const collected = collectionDate(kvs, dates);

  const v2 = v2Scalars(kvs, pageLines, dates);
  result.patient = { ...patientFields(kvs, dates), age: v2.age };
  result.encounter = v2.encounter;
  result.insurance = v2.insurance;
  result.claim_totals = v2.claim_totals;
  result.lab_results = labResults(pageLines, collected?.value ?? null, dates);
  result.medications = medications(pageLines, sections, kvs);
  result.diagnoses = diagnoses(pageLines, sections, kvs);
  result.procedures = procedures(pageLines, sections, dates, kvs);
  result.vitals = vitals(pageLines, sections);
  result.allergies = allergies(pageLines, sections, kvs);
  result.immunizations = immunizations(pageLines, sections, dates, kvs);
  result.claim_lines = claimLines(pageLines, dates);

  // Lab values in prose, outside the lines already read as rows, medications or other sections' items.
  const rowLines = new Set(result.lab_results.map((r) => `${r.evidence.page}\u0000${r.evidence.quote}`));
  result.lab_results.push(
    ...proseLabResults(pageLines, (l) => rowLines.has(`${l.page}\u0000${l.text}`) || (sections.get(l) ?? 'other') !== 'other', dates, collected?.value ?? null),
  );
  // Lines read as medications or vitals are not lab rows too.
  const used = new Set([...result.medications, ...result.vitals].map((x) => `${x.evidence.page}\u0000${x.evidence.quote}`));
  result.lab_results = result.lab_results.filter((r) => !used.has(`${r.evidence.page}\u0000${r.evidence.quote}`));

  result.document = {
    type: documentType(pageLines, result.lab_results.length),
    date: documentDate(kvs, dates, collected),
    facility: facility(pageLines, kvs),
    author: author(pageLines, kvs),
  };
  if (options.layouts && options.layouts.length > 0) mergeForm(result, readForms(options.layouts, new Map(sorted.map((p) => [p.page, p.text]))));
  return result;
}

/** A boxed form's values fill the fields the text rules left empty (precision first: they replace none). */
function mergeForm(result: Extraction, form: ReturnType<typeof readForms>): void {
  const fill = <T>(target: { value: T | null }, from: Field<string | number> | undefined, set: (f: Field<T>) => void): void => {
    if (target.value === null && from) set(from as unknown as Field<T>);
  };
  fill(result.patient.name, form.fields.patient_name, (f) => (result.patient.name = f));
  fill(result.insurance.member_id, form.fields.member_id, (f) => (result.insurance.member_id = f));
  fill(result.insurance.group_number, form.fields.group_number, (f) => (result.insurance.group_number = f));
  fill(result.claim_totals.total_charge, form.fields.total_charge, (f) => (result.claim_totals.total_charge = f));
  fill(result.claim_totals.amount_paid, form.fields.amount_paid, (f) => (result.claim_totals.amount_paid = f));
  const known = new Set(result.diagnoses.map((d) => d.icd10));
  result.diagnoses.push(...form.diagnoses.filter((d) => !known.has(d.icd10)));
}
