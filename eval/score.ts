/**
 * The scorer: field-level true positives, false positives and false negatives of one extraction against
 * one document's truth (truth.ts), per field type.
 *
 * Matching rules
 *  1. Values come from the structured fields only (`value` of a scalar field, the keys of a list item),
 *     never from evidence quotes: a quote that contains the right value does not make a wrong value right.
 *  2. Values are compared by their kind (normalise.ts): case, whitespace and punctuation never matter;
 *     numbers are compared as numbers ("14,200" = 14200, "38.0" = 38); dates as ISO calendar days (a
 *     date-time's time is not compared); units and dosage forms through small equivalence tables; drug
 *     names without salt words and form words after their first word; reference ranges by their bounds and
 *     signs; a lab flag of "normal" is the same as no flag. A truth field may accept several answers (e.g. a
 *     date printed "08/01/2021" with no other date telling its order); any of them is right.
 *  3. A scalar field (document.date, patient.name, ...): truth value and extracted value equal → TP;
 *     both present but different → FP and FN (a wrong value is both); truth present, nothing extracted → FN;
 *     truth says the field is empty, something extracted → FP; truth says nothing (key absent) → not scored.
 *  4. List items (lab results, medications, ...) are paired one to one: every truth item with every
 *     extracted item of the same section gets a pairing score from its anchor fields (test name, drug
 *     name, description, code, ...) and the other fields; pairs whose anchors are too unlike are not
 *     allowed; the pairing of greatest total score is chosen (Hungarian algorithm). An extracted item is
 *     used for at most one truth item, so two truth rows are never satisfied by one extracted row.
 *  5. For a paired item, each item field (lab_results.value, medications.strength, ...) counts as in 3.
 *     A truth item with no extracted partner counts an FN for each of its fields with a value. An extracted
 *     item with no truth partner counts an FP for each of its fields with a value that the truth of that
 *     section speaks for (so a junk row is a false positive in every field it fills).
 *  6. Items extracted into a section the truth does not cover (truth.ts) are not scored; they are
 *     counted as `unscored`. Allergy entries that say "no known allergies" are not allergies, on either side.
 *  7. Precision = TP / (TP + FP), recall = TP / (TP + FN), F1 their harmonic mean; totals are
 *     micro-averaged (counts summed over documents and field types before dividing).
 */
import { FIELD_TYPES, SCALAR_FIELDS, SECTION_FIELDS, SECTIONS, type ScalarField, type Section } from './fields.js';
import { drugKeys, isEmpty, isNoAllergy, sameValue, textSimilarity, type ValueKind } from './normalise.js';
import type { DocTruth, TruthItem, Want } from './truth.js';

/** What the scorer reads of an extraction: the schema v2 shape, loosely (see view.ts). */
export interface ExtractionView {
  [group: string]: unknown;
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

export interface Mismatch {
  field: string;
  /** 'wrong': both present, different (FP + FN); 'missing': FN; 'extra': FP. */
  kind: 'wrong' | 'missing' | 'extra';
  truth?: readonly unknown[] | null;
  extracted?: unknown;
}

export interface DocScore {
  file: string;
  byField: Record<string, Counts>;
  total: Counts;
  /** Extracted items in sections the truth does not cover, per section. */
  unscored: Partial<Record<Section, number>>;
  mismatches: Mismatch[];
}

export const zero = (): Counts => ({ tp: 0, fp: 0, fn: 0 });
export function add(into: Counts, c: Counts): void {
  into.tp += c.tp;
  into.fp += c.fp;
  into.fn += c.fn;
}

export function prf(c: Counts): { precision: number | null; recall: number | null; f1: number | null } {
  const precision = c.tp + c.fp === 0 ? null : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? null : c.tp / (c.tp + c.fn);
  const f1 = c.tp + c.fp + c.fn === 0 ? null : (2 * c.tp) / (2 * c.tp + c.fp + c.fn);
  return { precision, recall, f1 };
}

// ---------------------------------------------------------------------------------------------------
// One field

const truthEmpty = (kind: ValueKind, w: Want): boolean => w === null || w.every((v) => isEmpty(kind, v));

/** Counts one field: truth `w` (undefined: not scored) against extracted `e`. */
function countField(kind: ValueKind, w: Want | undefined, e: unknown, field: string, counts: Counts, mismatches: Mismatch[]): void {
  if (w === undefined) return;
  const tEmpty = truthEmpty(kind, w);
  const eEmpty = isEmpty(kind, e);
  if (tEmpty && eEmpty) return;
  if (tEmpty) {
    counts.fp++;
    mismatches.push({ field, kind: 'extra', truth: null, extracted: e });
  } else if (eEmpty) {
    counts.fn++;
    mismatches.push({ field, kind: 'missing', truth: w });
  } else if ((w as readonly unknown[]).some((t) => !isEmpty(kind, t) && sameValue(kind, t, e))) {
    counts.tp++;
  } else {
    counts.fp++;
    counts.fn++;
    mismatches.push({ field, kind: 'wrong', truth: w, extracted: e });
  }
}

// ---------------------------------------------------------------------------------------------------
// Pairing list items

/** Per section: anchor fields (a pair needs one of them alike) and each field's weight in the pairing score. */
const PAIRING: Readonly<Record<Section, { anchors: readonly string[]; weights: Readonly<Record<string, number>> }>> = {
  lab_results: {
    anchors: ['test'],
    weights: { test: 3, loinc: 0.5, value: 1, unit: 0.5, reference_range: 0.25, flag: 0.1, panel: 0.1, panel_loinc: 0.1, collected_at: 0.25 },
  },
  medications: { anchors: ['name'], weights: { name: 3, strength: 1, form: 0.25, instructions: 0.25 } },
  diagnoses: { anchors: ['icd10', 'description'], weights: { icd10: 2, description: 2 } },
  allergies: { anchors: ['substance'], weights: { substance: 3, reaction: 0.5, severity: 0.25 } },
  vitals: { anchors: ['name'], weights: { name: 3, value: 1, unit: 0.5 } },
  procedures: { anchors: ['code', 'name'], weights: { code: 2, name: 2 } },
  claim_lines: { anchors: ['code', 'charge'], weights: { code: 2, charge: 1, service_date: 0.5, units: 0.25, modifier: 0.25, diagnosis_pointer: 0.25 } },
  immunizations: { anchors: ['vaccine', 'date'], weights: { vaccine: 2, date: 1, lot: 0.5 } },
};

/** A pair's anchors must be at least this alike (text kinds); exact kinds must be equal. */
const MIN_ANCHOR_SIMILARITY = 0.5;
const FUZZY: ReadonlySet<ValueKind> = new Set(['text', 'org', 'person', 'drug', 'contains', 'vital', 'panel']);

function similarity(kind: ValueKind, w: Want | undefined, e: unknown): number {
  if (w === undefined || w === null || isEmpty(kind, e)) return 0;
  let best = 0;
  for (const t of w) {
    if (isEmpty(kind, t)) continue;
    if (sameValue(kind, t, e)) return 1;
    if (FUZZY.has(kind))
      if (kind !== 'drug') best = Math.max(best, textSimilarity(t, e));
      else for (const a of drugKeys(t)) for (const b of drugKeys(e)) best = Math.max(best, textSimilarity(a, b));
  }
  return best;
}

function pairScore(section: Section, t: TruthItem, e: Record<string, unknown>): number {
  const kinds = SECTION_FIELDS[section] as Record<string, ValueKind>;
  const { anchors, weights } = PAIRING[section];
  const anchored = anchors.some((f) => {
    const s = similarity(kinds[f] as ValueKind, t[f], e[f]);
    return FUZZY.has(kinds[f] as ValueKind) ? s >= MIN_ANCHOR_SIMILARITY : s === 1;
  });
  if (!anchored) return 0;
  let score = 0;
  for (const [f, weight] of Object.entries(weights)) score += weight * similarity(kinds[f] as ValueKind, t[f], e[f]);
  return score;
}

/**
 * Maximum-weight one-to-one pairing of rows and columns of `score` (pairs of score 0 are not pairs):
 * the Hungarian algorithm on costs −score, rows ≤ columns (the matrix is transposed otherwise).
 */
export function bestPairing(score: number[][]): Array<[number, number]> {
  const n = score.length;
  const m = n === 0 ? 0 : (score[0] as number[]).length;
  if (n === 0 || m === 0) return [];
  if (n > m) {
    const t = Array.from({ length: m }, (_, j) => Array.from({ length: n }, (_, i) => (score[i] as number[])[j] as number));
    return bestPairing(t).map(([j, i]) => [i, j]);
  }
  const cost = (i: number, j: number): number => -((score[i - 1] as number[])[j - 1] as number);
  const u = new Array<number>(n + 1).fill(0);
  const v = new Array<number>(m + 1).fill(0);
  const p = new Array<number>(m + 1).fill(0);
  const way = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(m + 1).fill(Infinity);
    const used = new Array<boolean>(m + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0] as number;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost(i0, j) - (u[i0] as number) - (v[j] as number);
        if (cur < (minv[j] as number)) {
          minv[j] = cur;
          way[j] = j0;
        }
        if ((minv[j] as number) < delta) {
          delta = minv[j] as number;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j] as number] = (u[p[j] as number] as number) + delta;
          v[j] = (v[j] as number) - delta;
        } else minv[j] = (minv[j] as number) - delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0] as number;
      p[j0] = p[j1] as number;
      j0 = j1;
    } while (j0 !== 0);
  }
  const pairs: Array<[number, number]> = [];
  for (let j = 1; j <= m; j++) {
    const i = p[j] as number;
    if (i > 0 && ((score[i - 1] as number[])[j - 1] as number) > 0) pairs.push([i - 1, j - 1]);
  }
  return pairs.sort((a, b) => a[0] - b[0]);
}

// ---------------------------------------------------------------------------------------------------
// One document

function scalarValue(x: ExtractionView, field: ScalarField): unknown {
  const [group, name] = field.split('.') as [string, string];
  const g = x[group];
  if (typeof g !== 'object' || g === null) return undefined;
  const f = (g as Record<string, unknown>)[name];
  return typeof f === 'object' && f !== null && 'value' in f ? (f as { value: unknown }).value : undefined;
}

function sectionItems(x: ExtractionView, section: Section): Array<Record<string, unknown>> {
  const list = x[section];
  if (!Array.isArray(list)) return [];
  const items = list.filter((i): i is Record<string, unknown> => typeof i === 'object' && i !== null);
  return section === 'allergies' ? items.filter((a) => !isNoAllergy(a.substance)) : items;
}

export function scoreDocument(truth: DocTruth, extraction: ExtractionView): DocScore {
  const byField: Record<string, Counts> = Object.fromEntries(FIELD_TYPES.map((f) => [f, zero()]));
  const mismatches: Mismatch[] = [];
  const unscored: DocScore['unscored'] = {};

  for (const field of Object.keys(SCALAR_FIELDS) as ScalarField[]) {
    countField(SCALAR_FIELDS[field], truth.scalars[field], scalarValue(extraction, field), field, byField[field] as Counts, mismatches);
  }

  for (const section of SECTIONS) {
    const extracted = sectionItems(extraction, section);
    const truthItems = truth.sections[section];
    const covered = truth.covered[section];
    if (!truthItems || !covered) {
      if (extracted.length > 0) unscored[section] = extracted.length;
      continue;
    }
    const kinds = SECTION_FIELDS[section] as Record<string, ValueKind>;
    const pairs = bestPairing(truthItems.map((t) => extracted.map((e) => pairScore(section, t, e))));
    const pairedTruth = new Set(pairs.map(([i]) => i));
    const pairedExtracted = new Set(pairs.map(([, j]) => j));
    for (const [i, j] of pairs) {
      const t = truthItems[i] as TruthItem;
      const e = extracted[j] as Record<string, unknown>;
      for (const [f, kind] of Object.entries(kinds)) countField(kind, t[f], e[f], `${section}.${f}`, byField[`${section}.${f}`] as Counts, mismatches);
    }
    truthItems.forEach((t, i) => {
      if (pairedTruth.has(i)) return;
      for (const [f, kind] of Object.entries(kinds)) countField(kind, t[f], undefined, `${section}.${f}`, byField[`${section}.${f}`] as Counts, mismatches);
    });
    extracted.forEach((e, j) => {
      if (pairedExtracted.has(j)) return;
      for (const [f, kind] of Object.entries(kinds)) {
        if (covered.has(f)) countField(kind, null, e[f], `${section}.${f}`, byField[`${section}.${f}`] as Counts, mismatches);
      }
    });
  }

  const total = zero();
  for (const c of Object.values(byField)) add(total, c);
  return { file: truth.file, byField, total, unscored, mismatches };
}

/** Sums per field type and overall over documents (micro-averaging). */
export function aggregate(docs: readonly DocScore[]): { byField: Record<string, Counts>; total: Counts } {
  const byField: Record<string, Counts> = Object.fromEntries(FIELD_TYPES.map((f) => [f, zero()]));
  const total = zero();
  for (const d of docs) {
    for (const [f, c] of Object.entries(d.byField)) add((byField[f] ??= zero()), c);
    add(total, d.total);
  }
  return { byField, total };
}
