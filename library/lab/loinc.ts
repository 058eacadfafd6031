/**
 * LOINC codes for lab results: the code the document prints when it is a valid LOINC code, else a
 * mapping of the printed test name through the curated table (loinc-table.ts). A mapping is never a
 * printed value: it carries source 'mapped' and a confidence below 1 that says how the name matched.
 *
 *   exact wording of a table name (after folding case, punctuation, spelling)   0.9
 *   the same from a bracketed part ("ALT (SGPT)" → "SGPT")                     0.85
 *   the same words in another order ("Glucose, Fasting")                       0.8
 *   one or two typing/OCR errors in a long name ("Haemoglobn")                  0.6
 *   a name that leaves the exact test open (a generic "eGFR")                  at most 0.7
 *   the unit or name could not choose between variants (% or #, mass or moles) 0.1 less
 *
 * Names match whole, never in part: "LDL/HDL ratio" is the ratio's code or nothing, never LDL's.
 */
import { LOINC_PANELS, LOINC_TESTS, type LoincEntry } from './loinc-table.js';
import { editDistance, foldName, foldVariant, type FoldedName, type NameForm } from './names.js';
import { readUnit, unitKind, type UnitKind } from './units.js';

/** A LOINC code for a result: as printed (source 'printed', confidence 1) when a valid code was printed, else from the curated table (source 'mapped', confidence < 1 reflecting how the name matched; unit may disambiguate, e.g. % vs absolute counts). */
export interface LoincMatch {
  code: string;
  /** The LOINC long common name when the table knows the code, else the printed test name. */
  display: string;
  source: 'printed' | 'mapped';
  confidence: number;
}

/** Where a result was listed, when it helps tell tests apart (a "Glucose" in a urinalysis is urine glucose). */
export interface LoincContext {
  panel?: string | null;
  specimen?: string | null;
}

/** To ship wherever LOINC codes or names are shipped (LOINC's licence allows this with the notice). */
export const LOINC_NOTICE =
  'This material contains content from LOINC (http://loinc.org). LOINC is copyright © 1995-2026, Regenstrief Institute, Inc. and the Logical Observation Identifiers Names and Codes (LOINC) Committee and is available at no cost under the license at http://loinc.org/license. LOINC® is a registered United States trademark of Regenstrief Institute, Inc.';

/** LOINC code format with its mod-10 check digit ("718-7"). */
export function isLoincCode(code: string): boolean {
  const m = /^(\d{1,7})-(\d)$/.exec(code);
  if (!m) return false;
  const digits = m[1]!;
  // LOINC's mod 10: from the right, every other digit starting with the last is doubled (digits of the product summed).
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return (10 - (sum % 10)) % 10 === Number(m[2]);
}

// ---------------------------------------------------------------------------------------------------
// The index of table names

interface Hit {
  entry: LoincEntry;
  /** Matched through a name that leaves the exact test open. */
  unspecific: boolean;
}

interface Index {
  byKey: Map<string, Hit[]>;
  byTokens: Map<string, Hit[]>;
  /** Urinalysis-only names, matched within a urinalysis only. */
  urineByKey: Map<string, Hit[]>;
  urineByTokens: Map<string, Hit[]>;
  keys: string[];
  byCode: Map<string, LoincEntry>;
}

function buildIndex(entries: readonly LoincEntry[]): Index {
  const index: Index = { byKey: new Map(), byTokens: new Map(), urineByKey: new Map(), urineByTokens: new Map(), keys: [], byCode: new Map() };
  const put = (map: Map<string, Hit[]>, key: string, hit: Hit) => {
    const list = map.get(key) ?? [];
    if (!list.some((h) => h.entry === hit.entry)) list.push(hit);
    map.set(key, list);
  };
  for (const entry of entries) {
    index.byCode.set(entry.code, entry);
    const add = (names: readonly string[] | undefined, unspecific: boolean, urineOnly: boolean) => {
      for (const name of names ?? []) {
        const f = foldVariant(name);
        if (!f) continue;
        put(urineOnly ? index.urineByKey : index.byKey, f.key, { entry, unspecific });
        put(urineOnly ? index.urineByTokens : index.byTokens, f.tokens, { entry, unspecific });
      }
    };
    add(entry.names, false, false);
    add(entry.unspecificNames, true, false);
    add(entry.urineNames, false, true);
  }
  index.keys = [...index.byKey.keys()];
  return index;
}

let testIndex: Index | null = null;
let panelIndex: Index | null = null;
const tests = () => (testIndex ??= buildIndex(LOINC_TESTS));
const panels = () => (panelIndex ??= buildIndex(LOINC_PANELS));

// ---------------------------------------------------------------------------------------------------
// Matching

const URINE_CONTEXT = /urin|\bua\b|\bu\/a\b|dipstick|\bmsu\b/i;

interface Candidates {
  hits: Hit[];
  confidence: number;
}

function lookUp(index: Index, name: FoldedName, urine: boolean): Candidates | null {
  const usable = (hits: Hit[] | undefined): Hit[] => (hits ?? []).filter((h) => (urine ? h.entry.specimen === 'urine' : true));
  // In a urinalysis the words naming urine are dropped too ("Glucose, urine" is the urinalysis "Glucose").
  const forms: Array<{ f: NameForm; alternative: boolean }> = [
    ...name.forms.map((f, i) => ({ f, alternative: i > 0 })),
    ...(urine ? name.urineForms.map((f, i) => ({ f, alternative: i > 0 })) : []),
  ];
  const tryMaps = (exact: boolean): Candidates | null => {
    for (const { f, alternative } of forms) {
      const key = exact ? f.key : f.tokens;
      const hits = [
        ...usable((exact ? index.byKey : index.byTokens).get(key)),
        ...(urine ? usable((exact ? index.urineByKey : index.urineByTokens).get(key)) : []),
      ];
      if (hits.length > 0) return { hits, confidence: !exact ? 0.8 : alternative ? 0.85 : 0.9 };
    }
    return null;
  };
  const found = tryMaps(true) ?? tryMaps(false);
  if (found) return found;

  // Typing and OCR errors: long names only, the same digits (T3 is not T4), and one analyte only.
  const key = name.forms[0]?.key ?? '';
  if (key.length < 7) return null;
  const max = key.length >= 12 ? 2 : 1;
  const digits = key.replace(/\D/g, '');
  let best = max + 1;
  let hits: Hit[] = [];
  for (const k of index.keys) {
    if (k.replace(/\D/g, '') !== digits || k.length < 7) continue;
    const d = editDistance(key, k, max);
    if (d > best) continue;
    const found = usable(index.byKey.get(k));
    if (found.length === 0) continue;
    if (d < best) hits = [];
    best = d;
    for (const h of found) if (!hits.some((x) => x.entry === h.entry)) hits.push(h);
  }
  return best <= max ? { hits, confidence: 0.6 } : null;
}

/** The entry among the candidates: the one the unit or name picks, else the table's first of variants told apart by kind. */
function choose(found: Candidates, want: UnitKind | null): LoincMatch | null {
  let hits = found.hits;
  let confidence = found.confidence;
  if (want !== null) {
    const ofKind = hits.filter((h) => h.entry.kind === want);
    if (ofKind.length > 0) hits = ofKind;
  }
  const codes = new Set(hits.map((h) => h.entry.code));
  if (codes.size > 1) {
    // Several codes: only variants of one analyte told apart by kind may be settled by the table's order.
    const kinds = new Set(hits.map((h) => h.entry.kind));
    if (kinds.size !== hits.length || kinds.has(undefined)) return null;
    confidence -= 0.1;
  }
  const hit = hits[0]!;
  if (hit.unspecific) confidence = Math.min(confidence, 0.7);
  return { code: hit.entry.code, display: hit.entry.display, source: 'mapped', confidence: Math.round(confidence * 100) / 100 };
}

function wantedKind(name: FoldedName, unit: string | null | undefined): UnitKind | null {
  if (name.percent) return 'percent';
  if (name.absolute) return 'count';
  return unitKind(readUnit(unit ?? null)?.ucum ?? null);
}

function printedLoinc(printedCode: string | null | undefined): string | null {
  if (!printedCode) return null;
  const code = printedCode.trim().replace(/^loinc\s*[:#]?\s*/i, '');
  return isLoincCode(code) ? code : null;
}

/** A LOINC code for a result: as printed, or mapped from its name through the curated table; null when neither. */
export function loincFor(test: string, printedCode?: string | null, unit?: string | null, context?: LoincContext): LoincMatch | null {
  const printed = printedLoinc(printedCode);
  if (printed !== null) {
    return { code: printed, display: loincEntry(printed)?.display ?? test.trim(), source: 'printed', confidence: 1 };
  }
  const name = foldName(test);
  const urine = name.urine || URINE_CONTEXT.test(context?.panel ?? '') || URINE_CONTEXT.test(context?.specimen ?? '');
  const found = lookUp(tests(), name, urine);
  return found ? choose(found, wantedKind(name, unit)) : null;
}

/** A LOINC panel code for a panel or section name ("CBC", "Lipid profile", "LFT"), for a DiagnosticReport; null when the table has none. */
export function panelLoincFor(panel: string): LoincMatch | null {
  const found = lookUp(panels(), foldName(panel), false);
  return found ? choose(found, null) : null;
}

/** The table entry for a LOINC code, when the curated table has it. */
export function loincEntry(code: string): LoincEntry | null {
  return tests().byCode.get(code) ?? panels().byCode.get(code) ?? null;
}
