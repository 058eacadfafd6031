/** "Label: value" pairs: several per line, split at column gaps, at ' | ' and at known labels. */
import { LABELS } from './lexicon.js';
import { DOCUMENT_DATE_LABEL_WORDS, SHORT_LABELS, V2_LABELS } from './vocabulary.js';
import type { Line } from './lines.js';
import { plainText } from './text.js';

export interface LabelValue {
  /** Normalised label, e.g. "date of birth". */
  key: string;
  value: string;
  line: Line;
  /** The value was read from the line after a label standing alone. */
  nextLine: boolean;
}

/** Normalised label → the field it names. */
export const LABEL_OF = new Map<string, string>();
for (const [field, keys] of Object.entries(LABELS)) for (const key of keys) if (!LABEL_OF.has(key)) LABEL_OF.set(key, field);

/** Normalised label → the v2 fields it names (one label may name several: "admission date"). */
export const V2_LABEL_OF = new Map<string, string[]>();
for (const [field, keys] of Object.entries(V2_LABELS)) for (const key of keys) V2_LABEL_OF.set(key, [...(V2_LABEL_OF.get(key) ?? []), field]);

/** A label of some field we know (v1 or v2), also with a parenthesised hint dropped ("Patient Name (Last, First)"). */
export function isKnownLabel(key: string): boolean {
  return LABEL_OF.has(key) || V2_LABEL_OF.has(key) || LABEL_OF.has(bareKey(key)) || V2_LABEL_OF.has(bareKey(key));
}
/** The key without a parenthesised hint. */
export const bareKey = (key: string): string => key.replace(/\s*\([^)]*\)\s*/g, ' ').trim();

/** The fields a label names, v1's first. */
export function fieldsOfLabel(key: string): string[] {
  const out: string[] = [];
  for (const k of [key, bareKey(key)]) {
    const v1 = LABEL_OF.get(k);
    if (v1 && !out.includes(v1)) out.push(v1);
    for (const f of V2_LABEL_OF.get(k) ?? []) if (!out.includes(f)) out.push(f);
  }
  return out;
}

/**
 * "Date of Birth :" → "date of birth", "MRN#" → "mrn #", "3. PATIENT'S BIRTH DATE" → "patient's birth date": the
 * form the lexicon lists labels in. OCR's readings of a form's caption are mended the same way: a box number
 * without its point ("3 PATIENT'S"), an apostrophe read as a quote mark ('PATIENT" S'), a format hint run
 * into its word ("DATEMM DD YY"), a letter O read as a zero ("D.0.B.").
 */
export function labelKey(label: string): string {
  return plainText(label)
    .replace(/^\s*\d{1,2}[a-z]?\.?\s+(?=\p{L})/iu, '')
    .replace(/(?<=\p{L})\s?["”]\s?(?=s\b)/giu, "'")
    .replace(/(?<=\p{L})(?=mm\s?dd\s?yy)/giu, ' ')
    .replace(/(?<=\b\p{L}\.)0(?=\.\p{L}\b)/gu, 'O')
    .toLowerCase()
    .replace(/\./g, '')
    .replace(/\s*\/\s*/g, '/')
    .replace(/\s*#/g, ' #')
    .replace(/\s+/g, ' ')
    .replace(/\s*:$/, '')
    .trim();
}

/** A label we know, possibly preceded by the tail of the previous value ("John Doe Sex"). */
function splitKnownSuffix(candidate: string): { before: string; label: string } | null {
  const words = candidate.trim().split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const label = words.slice(i).join(' ');
    if (isKnownLabel(labelKey(label))) return { before: words.slice(0, i).join(' '), label };
  }
  return null;
}

/** The labelled values printed on one line. */
function labelValuesOfLine(line: Line): LabelValue[] {
  const out: LabelValue[] = [];
  // Column gaps and ' | ' separate cells; a cell that is only a label takes the next cell as its value.
  const cells = line.text.split(/\s{2,}|\s+\|\s+|\t/).filter((c) => c.trim() !== '' && !SPECK_CELL.test(c.trim()));
  const merged: string[] = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!.trim();
    const next = cells[i + 1]?.trim();
    if (/:$/.test(c) && next !== undefined && !/^[^:]{1,45}:(\s|$)/.test(next)) {
      merged.push(`${c} ${next}`);
      i++;
    } else merged.push(c);
  }
  for (const cell of merged) {
    // Every "label:" in the cell; a label starts at the cell start or after whitespace.
    const re = /(?:^|\s)([A-Za-z][A-Za-z0-9#.'’/ &()-]{0,45}?(?:\([^()]{0,30}\))?)\s*:(?=\s|$)/g;
    const found: Array<{ label: string; start: number; end: number }> = [];
    let m: RegExpExecArray | null;
    while ((m = re.exec(cell))) {
      let label = m[1]!;
      let start = m.index + (m[0].length - m[0].trimStart().length);
      if (found.length > 0) {
        // In the middle of a cell, only a known label ends the previous value.
        const split = splitKnownSuffix(label);
        if (!split) continue;
        start += label.length - split.label.length;
        label = split.label;
      }
      found.push({ label, start, end: m.index + m[0].length });
    }
    for (let i = 0; i < found.length; i++) {
      const f = found[i]!;
      const value = cell
        .slice(f.end, found[i + 1]?.start ?? cell.length)
        .trim()
        .replace(/[,;|]$/, '')
        .trim();
      out.push({ key: labelKey(f.label), value, line, nextLine: false });
    }
  }
  return out;
}

/** The cells of a line, split at column gaps and ' | '. */
export const cellsOf = (text: string): string[] =>
  text
    .split(/\s{2,}|\s+\|\s+|\t/)
    .map((c) => c.trim())
    .filter((c) => c !== '');

/** Glyphs a scan's specks and box edges are read as, for a character class (labs.ts's rows use them too). */
export const SPECK_GLYPHS = String.raw`|"'‘’“”~_©•·`;
/** A cell of a scan's specks only ('.', '~', '|', '-.'). */
export const SPECK_CELL = new RegExp(String.raw`^[${SPECK_GLYPHS}[\]{}.:;,\-–—]+$`, 'u');
const VALUE_SPECK_START = new RegExp(String.raw`^[${SPECK_GLYPHS}[\]{}.:;]+\s*(?=[\p{L}\p{N}<>])`, 'u');
const VALUE_SPECK_END = new RegExp(String.raw`(?<=[\p{L}\p{N}%)])(?:\s*[${SPECK_GLYPHS}[\]{}:;]+|\s+\.+)$`, 'u');

/**
 * The cells of a row of values without a scan's specks: cells of specks only (";", "|", "~", "."), and a
 * box's edge or a speck read as a glyph at a cell's start or end ('"NAKAMURA, QUENTIN E', '| 409 Oak Lane',
 * '‘GRP-18666', ".'80.0 - 100.0", 'Hematology .').
 */
export const valueCells = (text: string): string[] =>
  cellsOf(text)
    .filter((c) => !SPECK_CELL.test(c))
    .map((c) => c.replace(VALUE_SPECK_START, '').replace(VALUE_SPECK_END, ''));

/** Fields whose labels make a row of bare labels a form's label row rather than a table header (not the payer: "plan", "insurance" also name a form's checkboxes). */
const FORM_FIELDS = new Set(['name', 'dob', 'sex', 'mrn', 'age', 'member_id', 'bare_id', 'group_number', 'admission', 'discharge', 'attending']);

/**
 * A row of labels only ("MEMBER NAME:  DATE OF BIRTH:", "PATIENT NAME (LAST, FIRST)  MEMBER ID  DOB")
 * whose values are the cells of the next line, column by column: the labels, or null.
 */
function labelRow(line: Line): string[] | null {
  const cells = cellsOf(line.text);
  if (cells.length < 2) return null;
  const colon = cells.every((c) => /^[A-Za-z0-9][^:]{0,60}:$/.test(c));
  if (colon) return cells.map((c) => c.replace(/:$/, ''));
  if (/:/.test(line.text)) return null;
  const keys = cells.map(labelKey);
  // A form's numbered boxes ('28. TOTAL CHARGE  29. AMOUNT PAID'): a label row when one of them is known.
  if (cells.every((c) => /^\d{1,2}[a-z]?\.\s+\p{Lu}/u.test(c)) && keys.some(isKnownLabel)) return cells;
  const formKeys = keys.filter((k) => fieldsOfLabel(k).some((f) => FORM_FIELDS.has(f))).length;
  if (keys.every(isKnownLabel) && formKeys >= 2) return cells;
  // A card's captions ('Subscriber  Copay', 'ID  RxBIN'): short capitalised words, one of them a form field's label.
  return formKeys >= 1 && cells.every((c) => CAPTION.test(c)) ? cells : null;
}

/** A caption that may stand over its value without a colon: one to three capitalised words, no digits. */
const CAPTION = /^\p{Lu}[\p{L}.#'’/]*(?: [\p{L}.#'’/]+){0,2}$/u;
/** Fields whose value is a code, a date or a letter: a caption of theirs alone on its line may have its value alone on the next line. */
const VALUE_BELOW_FIELDS = new Set(['dob', 'mrn', 'member_id', 'bare_id', 'group_number', 'sex']);

/** "Member Name  Dmitri Szabo  Sex  Male": known labels and their values alternating, without colons. */
function alternatingPairs(line: Line): LabelValue[] {
  if (/:/.test(line.text)) return [];
  const cells = cellsOf(line.text);
  if (cells.length < 2 || cells.length % 2 !== 0) return [];
  const out: LabelValue[] = [];
  for (let i = 0; i < cells.length; i += 2) {
    const key = labelKey(cells[i]!);
    if (!isKnownLabel(key) || isKnownLabel(labelKey(cells[i + 1]!))) return [];
    out.push({ key, value: cells[i + 1]!, line, nextLine: false });
  }
  return out.some((kv) => fieldsOfLabel(kv.key).some((f) => FORM_FIELDS.has(f))) ? out : [];
}

/**
 * "Sex F", "Date of Birth 05 May 1997", "Age (yrs) 36": a known label of a form field opening a cell, its
 * value after one space (OCR closes column gaps). Labels of one word only from a short list, so that
 * "Patient reports …" is not a name.
 */
function prefixPairs(line: Line): LabelValue[] {
  if (/:/.test(line.text)) return [];
  const out: LabelValue[] = [];
  for (const cell of cellsOf(line.text)) {
    const words = cell.split(/\s+/);
    for (let n = Math.min(6, words.length - 1); n >= 1; n--) {
      const label = words.slice(0, n).join(' ');
      const key = labelKey(label);
      const value = words.slice(n).join(' ');
      // A label that says it dates the document ('Prescription Date Nov 4, 2024'), its date right after it.
      if (n >= 2 && !isKnownLabel(key) && datesTheDocument(key) && DATE_LABEL_IS.test(words[n - 1]!) && /^(?:\d|\p{L}{3,9}\.?\s+\d)/u.test(value)) {
        out.push({ key, value, line, nextLine: false });
        break;
      }
      if (!isKnownLabel(key) || (n === 1 && !SHORT_LABELS.includes(key))) continue;
      if (!fieldsOfLabel(key).some((f) => FORM_FIELDS.has(f) || f === 'docdate')) continue;
      if (isKnownLabel(labelKey(value))) break;
      out.push({ key, value, line, nextLine: false });
      break;
    }
  }
  return out;
}

const DATE_LABEL_IS = new RegExp(String.raw`\b(?:${DOCUMENT_DATE_LABEL_WORDS.is})\b`, 'i');
const DATE_LABEL_NOT = new RegExp(String.raw`\b(?:${DOCUMENT_DATE_LABEL_WORDS.not})\b`, 'i');
/** A label whose words say it dates the document ('Statement Date', 'Date Written'), of at most four words. */
export const datesTheDocument = (key: string): boolean => key.split(' ').length <= 4 && DATE_LABEL_IS.test(key) && !DATE_LABEL_NOT.test(key);

/** Every labelled value of the document, in reading order. */
export function collectLabelValues(pageLines: Line[][]): LabelValue[] {
  const out: LabelValue[] = [];
  for (const lines of pageLines) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const labels = labelRow(line);
      const below = lines[i + 1];
      if (labels && below && !labelRow(below)) {
        const values = valueCells(below.text);
        if (values.length === labels.length) {
          labels.forEach((l, k) => out.push({ key: labelKey(l), value: values[k]!, line: below, nextLine: false }));
          i++;
          continue;
        }
      }
      // Forms that print the caption under the box: the values are on the line above.
      const above = lines[i - 1];
      if (labels && above && !labelRow(above) && !/:/.test(above.text) && (!below || valueCells(below.text).length !== labels.length)) {
        const values = valueCells(above.text);
        if (values.length === labels.length && !/:$/.test(labels[0]!)) {
          labels.forEach((l, k) => out.push({ key: labelKey(l), value: values[k]!, line: above, nextLine: true }));
          continue;
        }
      }
      const kvs = labelValuesOfLine(line);
      out.push(...kvs);
      if (kvs.length === 0) {
        const pairs = alternatingPairs(line);
        out.push(...(pairs.length > 0 ? pairs : prefixPairs(line)));
      }
      // "Label:" alone on its line, value on the next line (which must not be a label line itself).
      // (A scan's speck after the colon, 'INSURER: I', 'MEMBER #:  :', is no value.)
      const only = /^([A-Za-z][A-Za-z0-9#.'’/ &()-]{0,45}?)\s*:(?:\s+[^\p{L}\p{N}\s]|\s+\p{L})?\s*$/u.exec(line.text);
      const next = lines[i + 1];
      if (only && next && (isKnownLabel(labelKey(only[1]!)) || datesTheDocument(labelKey(only[1]!))) && !/:/.test(next.text)) {
        out.push({ key: labelKey(only[1]!), value: next.text, line: next, nextLine: true });
      }
      // A caption without a colon alone on its line ('Group No.'), its code or date alone on the next.
      else if (
        !only &&
        next &&
        CAPTION.test(line.text.trim()) &&
        !/:/.test(next.text) &&
        cellsOf(next.text).length === 1 &&
        (/\d/.test(next.text) || next.text.trim().length <= 7)
      ) {
        const key = labelKey(line.text);
        if (fieldsOfLabel(key).some((f) => VALUE_BELOW_FIELDS.has(f))) out.push({ key, value: next.text.trim(), line: next, nextLine: true });
      }
    }
  }
  return out;
}
