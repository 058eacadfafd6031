/**
 * Boxed forms (CMS-1500) read from OCR word boxes by their printed box labels: a label is found by its
 * box number and its words (OCR-tolerant), its value is the words below it, bounded by the next label to
 * its right and the next row of labels below. Captions printed inside boxes are no values; every value
 * is validated for its field and quoted verbatim from the page text, or dropped.
 */
import type { Diagnosis, Evidence, Field } from '../../../core/contract/extraction.js';
import type { LayoutPage, LayoutWord } from '../../layout/index.js';
import type { BoxLabel, FormField } from './form-vocabulary.js';
import { BOX_EDGE_GLYPHS, CMS1500_BOXES, FORM_CAPTIONS } from './form-vocabulary.js';

export interface FormReading {
  /** Number of printed box labels found (a form when two or more). */
  labels: number;
  fields: Partial<Record<Exclude<FormField, 'diagnoses'>, Field<string | number>>>;
  diagnoses: Diagnosis[];
}

interface Found {
  box: BoxLabel;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  h: number;
}

const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');
const height = (w: LayoutWord): number => w.y1 - w.y0;
const cy = (w: { y0: number; y1: number }): number => (w.y0 + w.y1) / 2;
const cx = (w: { x0: number; x1: number }): number => (w.x0 + w.x1) / 2;

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length]!;
}

/** OCR-tolerant word match: one misread character in four, none in short words. */
function close(read: string, printed: string): boolean {
  const a = norm(read);
  const b = norm(printed);
  if (a === '' || b === '') return false;
  return distance(a, b) <= Math.floor(b.length / 4);
}

/** Words on the same printed row as `w`, left to right. */
function rowOf(words: readonly LayoutWord[], w: LayoutWord): LayoutWord[] {
  const h = height(w);
  return words.filter((o) => Math.abs(cy(o) - cy(w)) < 0.7 * Math.max(h, height(o))).sort((a, b) => a.x0 - b.x0);
}

function findLabel(words: readonly LayoutWord[], box: BoxLabel): Found | null {
  for (const w of words) {
    // A misread box number is taken only when every word of its label is read.
    const exact = norm(w.text) === box.number;
    if (!exact && !(/^\d/.test(w.text) && distance(norm(w.text), box.number) === 1 && box.words.length >= 2)) continue;
    const row = rowOf(words, w).filter((o) => o.x0 > w.x0);
    const h = height(w);
    let at = 0;
    let matched = 0;
    let last: LayoutWord = w;
    for (const o of row.slice(0, box.words.length + 2)) {
      if (o.x0 - last.x1 > 3 * h) break;
      const k = box.words.findIndex((p, i) => i >= at && close(o.text, p));
      if (k < 0) continue;
      matched++;
      at = k + 1;
      last = o;
    }
    if (exact ? matched >= Math.max(2, Math.ceil(box.words.length / 2)) : matched === box.words.length) {
      const parts = [w, ...row.filter((o) => o.x0 <= last.x0)];
      return { box, x0: w.x0, x1: last.x1, y0: Math.min(...parts.map((p) => p.y0)), y1: Math.max(...parts.map((p) => p.y1)), h };
    }
  }
  return null;
}

/** Starts of any printed box label: a box number ('3.', '11', 'c.') just left of a capitalised word. */
function labelStarts(words: readonly LayoutWord[]): LayoutWord[] {
  return words.filter((w) => {
    if (!/^(?:\d{1,2}[a-d]?|[a-d])\.?$/.test(w.text)) return false;
    const next = rowOf(words, w).find((o) => o.x0 > w.x1);
    return next !== undefined && next.x0 - w.x1 < 2 * height(w) && /^[A-Z][A-Z'’.]{2,}/.test(next.text);
  });
}

/** The rows of words in a label's box: below it, up to the next label to its right and the next label row below. */
function boxRows(words: readonly LayoutWord[], starts: readonly LayoutWord[], label: Found, pageWidth: number): LayoutWord[][] {
  const right = Math.min(pageWidth, ...starts.filter((s) => s.x0 > label.x1 && Math.abs(cy(s) - cy(label)) < label.h).map((s) => s.x0));
  const left = label.x0 - label.h;
  // The next label below within the box's width, or a row of labels across the page.
  const lower = starts.filter((s) => s.y0 > label.y1 + 0.5 * label.h);
  const below = lower.filter((s) => (s.x0 < right && s.x1 > left) || lower.some((o) => o !== s && Math.abs(cy(o) - cy(s)) < label.h)).map((s) => s.y0);
  const bottom = Math.min(label.y1 + 12 * label.h, ...below);
  const inside = words
    .filter((w) => cx(w) > left && cx(w) < right && cy(w) > label.y1 && cy(w) < bottom)
    .filter((w) => !FORM_CAPTIONS.includes(norm(w.text)) && norm(w.text) !== '');
  const rows: LayoutWord[][] = [];
  for (const w of [...inside].sort((a, b) => cy(a) - cy(b))) {
    // The nearest row, by the smaller of the two heights: a tall misread box edge joins no row below it.
    const fit = (r: LayoutWord[]): number => Math.abs(cy(r[0]!) - cy(w)) / Math.min(height(w), height(r[0]!));
    const row = rows.filter((r) => fit(r) < 0.6).sort((a, b) => fit(a) - fit(b))[0];
    if (row) row.push(w);
    else rows.push([w]);
  }
  return rows.map((r) => r.sort((a, b) => a.x0 - b.x0));
}

/** The first cell of a row: its words up to a gap wider than two word heights. */
function firstCell(row: readonly LayoutWord[]): LayoutWord[] {
  const out: LayoutWord[] = [];
  for (const w of row) {
    const prev = out[out.length - 1];
    if (prev && w.x0 - prev.x1 > 2 * height(w)) break;
    out.push(w);
  }
  return out;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The words as the page text has them (any spacing between them), or null: the quote must be verbatim. */
function quoteOf(text: string, words: readonly LayoutWord[], page: number): Evidence | null {
  const re = new RegExp(words.map((w) => escape(w.text)).join('\\s+'));
  const m = re.exec(text);
  return m ? { page, quote: m[0] } : null;
}

const confidenceOf = (words: readonly LayoutWord[]): number => {
  const cs = words.map((w) => w.confidence ?? 90);
  return Math.round(Math.min(0.85, (0.9 * cs.reduce((a, b) => a + b, 0)) / cs.length / 100) * 100) / 100;
};

/** An amount in a money box; the OCR reads its printed decimal point as '/' at times. */
const MONEY = /^\$?\d{1,3}(?:,\d{3})*[./]\d{2}$/;
const IDENT = /^(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{4,}$/i;
const NAME = /^[A-Z][A-Za-z'’-]+,$/;
const ICD_HEAD = /^[A-TV-Z]\d{2}$/;
const ICD_FULL = /^([A-TV-Z]\d{2})\.([0-9A-Z]{1,4})$/;

function readValue(field: Exclude<FormField, 'diagnoses'>, rows: LayoutWord[][]): { value: string | number; words: LayoutWord[] } | null {
  for (const row of rows) {
    const cell = firstCell(row);
    const first = cell[0];
    if (!first) continue;
    switch (field) {
      case 'total_charge':
      case 'amount_paid': {
        const w = cell.find((x) => MONEY.test(x.text));
        if (w) return { value: Number(w.text.replace(/[$,]/g, '').replace('/', '.')), words: [w] };
        break;
      }
      case 'member_id':
      case 'group_number':
        if (IDENT.test(first.text)) return { value: first.text, words: [first] };
        break;
      case 'patient_name': {
        const name = cell.filter((w) => /^[A-Za-z'’.,-]+$/.test(w.text));
        if (name.length >= 2 && name.length === cell.length && NAME.test(name[0]!.text) && /^[A-Z]/.test(name[1]!.text))
          return { value: name.map((w) => w.text).join(' '), words: name };
        break;
      }
    }
  }
  return null;
}

/** ICD-10 codes in box 21's rows: 'R11.0', or a code split at its dot by the OCR ('R11  0'), or behind a box edge ('LK59'). */
function readCodes(rows: LayoutWord[][]): Array<{ code: string; words: LayoutWord[] }> {
  const out: Array<{ code: string; words: LayoutWord[] }> = [];
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const w = row[i]!;
      let t = w.text.replace(/[,;]$/, '');
      if (!ICD_HEAD.test(t) && !ICD_FULL.test(t) && BOX_EDGE_GLYPHS.includes(t[0]!) && (ICD_HEAD.test(t.slice(1)) || ICD_FULL.test(t.slice(1)))) t = t.slice(1);
      const full = ICD_FULL.exec(t);
      if (full) {
        out.push({ code: t, words: [w] });
        continue;
      }
      if (!ICD_HEAD.test(t)) continue;
      const next = row[i + 1];
      const after = row[i + 2];
      const ext =
        next &&
        next.x0 - w.x1 < 3 * height(w) &&
        /^(?=.*\d)[0-9A-Z]{1,4}$/.test(next.text) &&
        !(after && after.x0 - next.x1 < height(w) && ICD_HEAD.test(after.text));
      out.push({ code: ext ? `${t}.${next.text}` : t, words: ext ? [w, next] : [w] });
      if (ext) i++;
    }
  }
  return out;
}

/** Read the CMS-1500 boxes of the layout pages; `texts` are the pages' text as given to the extractor. */
export function readForms(layouts: readonly LayoutPage[], texts: ReadonlyMap<number, string>): FormReading {
  const reading: FormReading = { labels: 0, fields: {}, diagnoses: [] };
  for (const page of layouts) {
    const text = texts.get(page.page);
    if (text === undefined) continue;
    const words = page.words;
    const found = CMS1500_BOXES.map((b) => findLabel(words, b)).filter((f): f is Found => f !== null);
    if (found.length < 2) continue;
    reading.labels += found.length;
    const starts = labelStarts(words);
    for (const label of found) {
      const rows = boxRows(words, starts, label, page.width);
      if (label.box.field === 'diagnoses') {
        for (const c of readCodes(rows)) {
          const evidence = quoteOf(text, c.words, page.page);
          if (!evidence || reading.diagnoses.some((d) => d.icd10 === c.code)) continue;
          reading.diagnoses.push({ description: c.code, icd10: c.code, status: null, evidence, confidence: confidenceOf(c.words) });
        }
        continue;
      }
      const field = label.box.field;
      if (reading.fields[field]) continue;
      const v = readValue(field, rows);
      const evidence = v && quoteOf(text, v.words, page.page);
      if (v && evidence) reading.fields[field] = { value: v.value, evidence, confidence: confidenceOf(v.words) };
    }
  }
  return reading;
}
