/**
 * Test names as labs print them, folded so that wordings of one name compare equal: case, accents,
 * punctuation and spacing ("HbA1c" = "Hb A1c" = "HBA1C"), British and American spellings
 * ("Haemoglobin" = "Hemoglobin", "Leucocytes" = "Leukocytes"), plurals, specimen and filler words
 * ("S. Creatinine" = "Serum creatinine" = "Creatinine", "Blood urea nitrogen" = "Urea nitrogen"), word
 * order ("Glucose, Fasting" = "Fasting glucose", compared as token sets). What the name says about the
 * result's kind (a "%", "#", "Abs", "count") or specimen ("urine") is kept aside as marks.
 */

export interface NameForm {
  /** The folded name without spaces: compared exactly. */
  key: string;
  /** Its words, sorted: compared as a set. */
  tokens: string;
}

export interface FoldedName {
  /** The name as printed, then alternatives from its brackets ("ALT (SGPT)" → "ALT", "SGPT"). */
  forms: NameForm[];
  /** The same without the words that name urine ("Glucose, urine" → "Glucose"), for urinalysis names. */
  urineForms: NameForm[];
  percent: boolean;
  absolute: boolean;
  urine: boolean;
}

const SPELLINGS: ReadonlyArray<readonly [RegExp, string]> = [
  [/haem/g, 'hem'],
  [/aemia/g, 'emia'],
  [/leuc/g, 'leuk'],
  [/oestr/g, 'estr'],
  [/sulph/g, 'sulf'],
  [/colour/g, 'color'],
  [/faec/g, 'fec'],
  [/normalis/g, 'normaliz'],
  [/titre/g, 'titer'],
  [/γ/g, ' gamma '],
  [/α/g, ' alpha '],
  [/β/g, ' beta '],
];

/** Words that say nothing about which test it is. */
const FILLER = new Set(['serum', 'plasma', 'level', 'levels', 'test', 'value', 'values', 'result', 'results', 'the', 'of', 'in', 'for', 'by']);
const PERCENT_WORDS = new Set(['%', 'percent', 'percentage', 'pct']);
const ABSOLUTE_WORDS = new Set(['#', 'abs', 'absolute', 'count', 'counts']);
const URINE_WORDS = new Set(['urine', 'urinary', 'ur', 'ua']);

function singular(token: string): string {
  return token.length > 3 && token.endsWith('s') && !/(?:ss|us|is)$/.test(token) ? token.slice(0, -1) : token;
}

function words(text: string): string[] {
  let s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
  for (const [re, to] of SPELLINGS) s = s.replace(re, to);
  return s
    .replace(/%/g, ' % ')
    .replace(/#/g, ' # ')
    .replace(/[^a-z0-9%#+]+/g, ' ')
    .split(' ')
    .filter((w) => w !== '');
}

interface Marks {
  percent: boolean;
  absolute: boolean;
  urine: boolean;
}

function form(raw: string[], marks: Marks): NameForm | null {
  let ws: string[] = [];
  for (const w of raw) {
    if (PERCENT_WORDS.has(w)) marks.percent = true;
    else if (ABSOLUTE_WORDS.has(w)) marks.absolute = true;
    else if (!FILLER.has(w)) ws.push(w);
    if (URINE_WORDS.has(w)) marks.urine = true;
  }
  // "S. Creatinine", "Sr. Potassium", "Creatinine, S": serum; "Blood" only where other words remain ("Blood" alone is a urinalysis test).
  if (ws.length > 1 && (ws[0] === 's' || ws[0] === 'sr')) ws = ws.slice(1);
  if (ws.length > 1 && (ws.at(-1) === 's' || ws.at(-1) === 'sr')) ws = ws.slice(0, -1);
  if (ws.length > 1) ws = ws.filter((w) => w !== 'blood');
  ws = ws.map(singular);
  if (ws.length === 0) return null;
  return { key: ws.join(''), tokens: [...ws].sort().join(' ') };
}

/** A printed name folded for matching; forms is empty when nothing is left of it. */
export function foldName(name: string): FoldedName {
  const marks: Marks = { percent: false, absolute: false, urine: false };
  const forms: NameForm[] = [];
  const urineForms: NameForm[] = [];
  const push = (list: NameForm[], f: NameForm | null) => {
    if (f && !list.some((x) => x.key === f.key)) list.push(f);
  };
  const add = (text: string) => {
    const ws = words(text);
    push(forms, form(ws, marks));
    push(
      urineForms,
      form(
        ws.filter((w) => !URINE_WORDS.has(w)),
        marks,
      ),
    );
  };
  const bracket = /\(([^()]*)\)|\[([^[\]]*)\]/g;
  add(name.replace(bracket, ' $1$2 '));
  add(name.replace(bracket, ' '));
  for (const m of name.matchAll(bracket)) add(m[1] ?? m[2] ?? '');
  return { forms, urineForms, ...marks };
}

/** A name from the table (or any single wording) folded the same way, as one form. */
export function foldVariant(name: string): NameForm | null {
  return form(words(name), { percent: false, absolute: false, urine: false });
}

/** Optimal-string-alignment distance (Levenshtein with adjacent transpositions), stopping early above `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}
