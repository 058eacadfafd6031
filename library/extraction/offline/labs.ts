/**
 * Lab rows: "Test  value  unit  range  flag", "Test (LOINC: x):  value unit [Ref: range] HIGH", and
 * single-spaced rows with a recognised unit; a range may wrap onto the next line. A LOINC code printed with
 * a test or a panel (lab-codes.ts) is read into `loinc` / `panel_loinc` and taken out of the name.
 */
import type { LabFlag, LabResult } from '../../../core/contract/extraction.js';
import { CONTINUED_MARKERS } from '../../layout/index.js';
import type { DateContext } from './dates.js';
import { parseDate } from './dates.js';
import type { LabelValue } from './labels.js';
import { cellsOf, LABEL_OF, SPECK_CELL, SPECK_GLYPHS, valueCells } from './labels.js';
import { codeRest, isCellOf, takePrintedCodes, type PrintedCode } from './lab-codes.js';
import { asUnit, flagFrom, isGarbage, MASS_UNIT_KEYS, NUM, RANGE_RE, toNumber, unitKey } from './lab-values.js';
import type { Candidate, Line } from './lines.js';
import { lineEvidence, round, spanEvidence } from './lines.js';
import { group, plainText } from './text.js';
import { VITAL_LINE } from './vitals.js';
import { isPageFurniture, repeatedLines } from './sections.js';
import { COLLECTION_WORDS, LAB_COLUMN_WORDS, LAB_COLUMNS, LAB_NOTE_WORDS, NOT_PANEL_HEADINGS, PANEL_WORDS } from './vocabulary.js';
import { SECTION_HEADERS } from './lexicon.js';

const NOT_PANEL = new Set(NOT_PANEL_HEADINGS);
const PANEL_WORD = new RegExp(String.raw`\b(?:${PANEL_WORDS.join('|')})\b`, 'i');
const LAB_NOTE = new RegExp(String.raw`^(?:${LAB_NOTE_WORDS.join('|')})\b`, 'i');
/**
 * A lab row of a scan as its cells: a column's rule read as a glyph between a value and the next cell
 * ('44 mg/L|0- 30', '38 IU/L [7-40', '0.998(1.005 - 1.030') is a column gap, and specks are no cells.
 */
const ROW_SPECK_START = new RegExp(String.raw`^(?:[${SPECK_GLYPHS}:;]+\s*|\[(?=\p{L}))(?=[\p{L}\p{N}<>])`, 'u');
const ROW_SPECK_END = new RegExp(String.raw`(?<=[\p{L}\p{N}%)\]])\s*[${SPECK_GLYPHS};]+$`, 'u');
function scanRow(text: string): string {
  const t = plainText(text)
    .replace(/(?<=[\p{L}%\d])\s*[|[]\s*(?=[<>]?\s*\d)/gu, '  ')
    .replace(/(?<=\d)\((?=\d)/g, '  ')
    // A range OCR spread over three cells ('0.40  -  4.00').
    .replace(/(?<=\d)\s{2,}[-–—]\s{2,}(?=\d)/g, ' - ')
    // A decimal point read as a colon ('12:3'; a time has two digits after it), 'to' read as 't0' ('3.5t05.0').
    .replace(/(?<=\d):(?=\d(?!\d))/g, '.')
    .replace(/(?<=\d)[°'"]?\s*t[o0]\s*(?=\d)/g, ' to ')
    // A comparator set apart from its number, or a speck after it ('<  150', '<.  200').
    .replace(/(?<=^|\s)([<>≤≥]=?)[.,:;]?\s+(?=\d)/g, '$1 ');
  // (A bracket stays: '[Ref: 13.5–17.5]' is the range's; a colon after a test's name is its label's.)
  return cellsOf(t)
    .filter((c) => !SPECK_CELL.test(c))
    .map((c) => c.replace(ROW_SPECK_START, '').replace(ROW_SPECK_END, ''))
    .join('  ');
}

/** A heading line without the specks a scan leaves after it ('Thyroid Function  :  dy', 'CBC  sig  ol  |'). */
function headingOf(text: string): string {
  const cells = valueCells(plainText(text));
  return cells.length >= 2 && cells.slice(1).every((c) => c.length <= 3 && !/\d/.test(c)) ? cells[0]! : text;
}

/** A panel cell's wrapped rest: one word that makes the cell a panel's name ('Basic Metabolic' / 'Panel', 'Complete Blood' / 'Count'). */
const isPanelRest = (panel: string, text: string): boolean => {
  const t = plainText(text).trim();
  return /^\p{L}+$/u.test(t) && (PANEL_WORD.test(t) || (!PANEL_WORD.test(panel) && PANEL_WORD.test(`${panel} ${t}`)));
};

/** A range whose low end is above its high end ('451 to 11.0'): a misread, no range. */
function upsideDown(range: string): boolean {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)\s*$/.exec(plainText(range));
  return m !== null && Number(m[1]) > Number(m[2]);
}

/** The usual order of a lab table's columns, which the loose row reader expects. */
const USUAL_ORDER = ['test', 'value', 'unit', 'range', 'flag'];
const inUsualOrder = (kinds: ReadonlyArray<string | null>): boolean => {
  const at = kinds.filter((k): k is string => k !== null).map((k) => USUAL_ORDER.indexOf(k));
  return at.every((n, i) => n >= 0 && (i === 0 || n > at[i - 1]!));
};

/** A lone flag wrapped onto the line under its row ('*L'). */
const LONE_FLAG = /^\s*\*?\s*(H|L|HH|LL|High|Low|Critical)\s*$/i;

/**
 * Whether a short line under a lab row is the rest of its test's name, wrapped in its cell ('White Blood' /
 * 'Cell Count', 'Cholesterol,' / 'Total'): one cell of at most three words, no value of its own, and no
 * panel's heading (a panel word, or capitals).
 */
function wrappedTestName(test: string, next: string): boolean {
  const t = plainText(next).trim();
  if (cellsOf(t).length !== 1 || t.split(/\s+/).length > 3 || t.length > 30 || /:$/.test(t)) return false;
  if (!/^\p{L}/u.test(t) || /\b\d+(?:\.\d+)?\b/.test(t) || LAB_NOTE.test(t) || SECTION_HEADERS.some(([, re]) => re.test(t))) return false;
  if (/[,(/-]$|\b(?:and|of|with|in)$/i.test(test) || /^\p{Ll}/u.test(t)) return true;
  return !PANEL_WORD.test(t) && !/^[\p{Lu}\d\s&/-]+$/u.test(t);
}
const CONTINUED = new RegExp(CONTINUED_MARKERS.map((m) => `(?:${m})`).join('|'), 'i');
const COLLECTION_RE = new RegExp(String.raw`\b(?:${COLLECTION_WORDS.join('|')})\b`, 'i');

/**
 * The columns a header cell names, in order: one ('Ref. Range'), or several when OCR or a tight layout ran
 * their names together ('Value Reference Range', 'Result UOM').
 */
function labColumns(cell: string): string[] {
  const k = plainText(cell).toLowerCase().replace(/[:.]$/, '').trim();
  const exact = Object.entries(LAB_COLUMNS).find(([, ws]) => ws.includes(k))?.[0];
  if (exact) return [exact];
  const words = k.split(/[\s.,:()/-]+/).filter(Boolean);
  if (words.length === 0 || words.length > 4) return [];
  const kinds: string[] = [];
  for (const w of words) {
    const kind = LAB_COLUMN_WORDS.find(([, ws]) => ws.includes(w))?.[0];
    if (kind && !kinds.includes(kind)) kinds.push(kind);
  }
  return kinds;
}

/**
 * The columns a row of header cells names, one entry per column (null for a cell naming none), when all
 * cells but one name a column; else null.
 */
function headerColumns(cells: readonly string[]): Array<string | null> | null {
  const named = cells.map(labColumns);
  if (named.filter((ks) => ks.length > 0).length < cells.length - 1) return null;
  return named.flatMap((ks) => (ks.length > 0 ? ks : [null]));
}

/** A lab table's header row: its columns, when at least a test and a value column are named. */
function labHeader(line: Line): Array<string | null> | null {
  const cells = valueCells(line.text);
  const kinds = cells.length >= 3 ? headerColumns(cells) : null;
  return kinds && kinds.includes('test') && kinds.includes('value') ? kinds : null;
}

/**
 * A header row without a value column whose next line names it, alone or among the wrapped rest of other
 * header cells ('Your' / 'Value', 'Reference' / 'Range'): the value column is the header's one unnamed cell,
 * else the one after the test's.
 */
function headerWithWrappedValue(line: Line, next: Line | undefined): Array<string | null> | null {
  if (!next) return null;
  const below = valueCells(next.text).map(labColumns);
  if (below.length === 0 || below.some((ks) => ks.length === 0) || !below.some((ks) => ks.includes('value'))) return null;
  const cells = valueCells(line.text);
  const kinds = cells.length >= 2 ? headerColumns(cells) : null;
  if (!kinds || kinds.includes('value') || !kinds.includes('test')) return null;
  if (kinds.filter((k) => k === null).length === 1) return kinds.map((k) => k ?? 'value');
  if (below.length !== 1 || kinds[0] !== 'test') return null;
  return ['test', 'value', ...kinds.slice(1)];
}

/** A heading above lab rows that names their panel ("CBC WITH DIFFERENTIAL", "Lipid Panel"), or null. */
function panelHeading(text: string, dates: DateContext): string | null {
  // "LIPID PROFILE  collected 01/05/2026": the heading before its collection date.
  let t = plainText(text).replace(/:$/, '').trim();
  const d = parseDate(t, dates);
  if (d)
    t = t
      .slice(0, d.start)
      .replace(new RegExp(String.raw`[\s,(-]*(?:${COLLECTION_WORDS.join('|')}|on|date)?\s*[:-]?\s*$`, 'i'), '')
      .trim();
  if (t.length < 3 || t.length > 50 || /\S\s{2,}\S|[:|]|^\d|[.!?]$/.test(t)) return null;
  const words = t.split(/\s+/);
  if (words.length > 7 || !/^\p{L}/u.test(t)) return null;
  if (!words.every((w) => /^[\p{Lu}\d(&/,-]/u.test(w) || /^(and|of|for|the|with|w\/|&|in)$/i.test(w))) return null;
  return t;
}

/**
 * A row of a table whose columns are not in the usual order ("Section  Test  Flag  Unit  Value  Range"):
 * each cell is given to the next header column its kind fits.
 */
function rowByHeader(text: string, kinds: Array<string | null>): (LabRow & { panel: string | null }) | null {
  const cells = valueCells(plainText(text));
  const by: Record<string, string> = {};
  let inCellFlag: LabFlag | null = null;
  let k = 0;
  for (const cell of cells) {
    const fitsKind = (kind: string | null, s: string): boolean => {
      if (!kind || kind in by) return false;
      if (kind === 'value') return new RegExp(String.raw`^(?:(?:<=|>=|<|>)\s*)?(?:${NUM})$`).test(s) || TEXT_RESULTS.test(s);
      if (kind === 'unit') return asUnit(s, false) !== null;
      if (kind === 'range') return RANGE_RE.exec(s)?.index === 0 && !/\p{L}{4,}/u.test(s.replace(/\bto\b/g, '')) && !upsideDown(s);
      if (kind === 'flag') return /^[*↑↓]*(?:h|l|n|a|hh|ll|high|low|normal|abnormal|abn|critical(?: high| low)?)[*↑↓]*$|^[*↑↓]+$/i.test(s.trim());
      return /^\p{L}/u.test(s) && asUnit(s, true) === null;
    };
    const j = kinds.findIndex((kind, n) => n >= k && fitsKind(kind, cell));
    if (j >= 0) {
      by[kinds[j]!] = cell;
      k = j + 1;
      continue;
    }
    // A unit under a column whose name OCR garbled ('UOoM'): the row's unit all the same.
    if (!kinds.includes('unit') && !('unit' in by) && by.value !== undefined && asUnit(cell, false) !== null) {
      by.unit = cell;
      continue;
    }
    // Columns printed one space apart in the value's cell ('24 < 30', '2.0 LOW', '37 mg/dL *L'): the value,
    // then its unit, range or flag, a flag even where the header has no flag column.
    const split = /^(\S+)\s+(.+)$/.exec(cell);
    const jv = split ? kinds.findIndex((kind, n) => n >= k && kind === 'value') : -1;
    const parts = jv >= 0 && fitsKind('value', split![1]!) ? parseLabRest(cell, false) : null;
    if (!parts || parts.garbage) {
      // A unit of two words ('mL/min/1.73 m2'); a cell OCR garbled after the test and its value ('451t011.0'
      // for the range): the row without it.
      if (by.test && by.value !== undefined) {
        if (!('unit' in by) && asUnit(cell.split(/\s+/)[0]!, false) !== null) by.unit = cell;
        continue;
      }
      return null;
    }
    by.value = split![1]!;
    if (parts.unit && !('unit' in by)) by.unit = parts.unit;
    if (parts.range && !('range' in by)) by.range = parts.range;
    if (parts.flag && !('flag' in by)) inCellFlag = parts.flag;
    k = jv + 1;
  }
  // Under a header a one-letter symbol is a test ('K', potassium).
  const test = by.test ? (/^\p{Lu}$/u.test(by.test.trim()) ? by.test.trim() : cleanTestName(by.test)) : null;
  if (!test || by.value === undefined) return null;
  const n = toNumber(by.value);
  const value = n !== null && !/[<>]/.test(by.value) ? n : by.value;
  const range = by.range ? group(RANGE_RE.exec(by.range), 'range')!.replace(/\s+/g, ' ').trim() : null;
  // Only a printed flag: one computed from value and range is library/lab's, marked as computed in every export.
  const flag = by.flag ? flagFrom(by.flag) : inCellFlag;
  return { test, value, unit: by.unit ?? null, range, flag, confidence: 0.8, panel: by.panel ?? null };
}

const NOT_A_TEST =
  /\b(date|dob|birth|age|page|phone|tel|fax|mrn|accession|invoice|amount|billed|paid|balance|charges?|zip|room|bed|ward|policy|claim|contact|address|years?|yrs|weight|height|bp|pulse|temp|temperature|spo2|resp|bmi|sig|dose|qty|quantity|refills?|reg|registration|npi|id|no|number|pin|ssn|tax|total billed|copay|year|tablet|capsule|ext)\b/i;
const TEXT_RESULTS =
  /^(positive|negative|reactive|non-?reactive|detected|not detected|present|absent|trace|nil|normal|abnormal|pending|see note|yellow|clear|turbid|cloudy)$/i;

interface LabRow {
  test: string;
  value: number | string;
  unit: string | null;
  range: string | null;
  flag: LabFlag | null;
  confidence: number;
}

function cleanTestName(raw: string): string | null {
  const t = raw
    .replace(/\s*\((?:loinc|cpt|code)\b[^)]*\)/gi, '')
    .replace(/\s*:\s*$/, '')
    .replace(/^[-–•*·▪]\s*/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (t.length < 2 || t.length > 60) return null;
  if (!/^[\p{L}(]/u.test(t) || (t.match(/\p{L}/gu)?.length ?? 0) < 2) return null;
  if (t.split(' ').length > 8 || NOT_A_TEST.test(t) || /[_@|]/.test(t)) return null;
  return t;
}

/**
 * Parses what follows the test name: value, unit, range, flag. `strict` (single-spaced rows, the
 * weakest rule) demands a recognised unit right after the value.
 */
function parseLabRest(rest: string, strict: boolean): (Omit<LabRow, 'test' | 'confidence'> & { garbage: boolean; quality: number }) | null {
  const vm = new RegExp(String.raw`^\s*(?<cmp>(?:<=|>=|<|>|≤|≥)\s*)?(?<num>${NUM})(?![\d/:]|\.\d|-\d|,\d)`).exec(rest);
  let value: number | string;
  let after: string;
  if (vm) {
    const n = toNumber(group(vm, 'num')!);
    if (n === null) return null;
    value = group(vm, 'cmp') ? `${group(vm, 'cmp')!.trim()}${group(vm, 'num')}` : n;
    after = rest.slice(vm[0].length);
  } else {
    if (strict) return null;
    const [first = '', second = ''] = rest.trim().split(/\s{2,}/);
    if (!TEXT_RESULTS.test(first)) return null;
    value = first;
    after = rest.trim().slice(first.length);
    // "HIV  Non-Reactive  Non-Reactive": a qualitative result and its expected value.
    if (TEXT_RESULTS.test(second)) {
      const tail = after.trim().slice(second.length);
      const printed = flagFrom(tail);
      const same = first.toLowerCase().replace(/-/g, '') === second.toLowerCase().replace(/-/g, '');
      if (tail.trim().split(/\s+/).length > 3) return null;
      return { value, unit: null, range: second, flag: printed ?? (same ? 'normal' : 'abnormal'), garbage: false, quality: 2 };
    }
  }
  let unit: string | null = null;
  let garbage = false;
  let range: string | null = null;
  let flagText = '';

  const rm = RANGE_RE.exec(after);
  const beforeRange = rm ? after.slice(0, rm.index) : after;
  if (rm) {
    range = group(rm, 'range')!.replace(/\s+/g, ' ').trim();
    flagText = after.slice(rm.index + rm[0].length);
  }
  // The unit: the first unit-like cell or token after the value (a '%' may be glued to the value); a flag
  // may come before or after it. Mojibake is never copied.
  const uText = beforeRange.replace(/\[\s*(ref(erence)?(\s*range)?\s*:?)?\s*$/i, '').trim();
  const leftovers: string[] = [];
  for (const cell of uText
    .split(/\s{2,}/)
    .map((c) => c.trim())
    .filter((c) => c !== '')) {
    if (unit || garbage) {
      leftovers.push(cell);
      continue;
    }
    const whole = asUnit(cell, strict);
    if (whole) {
      unit = whole;
      continue;
    }
    for (const token of cell.split(/\s+/)) {
      if (unit || garbage) leftovers.push(token);
      else if ((unit = asUnit(token, strict))) continue;
      else if (isGarbage(token)) {
        // A broken font encoding. "/…µ…" can only be "per microlitre"; anything else is dropped.
        garbage = true;
        if (/^\//.test(token) && /[µμ]/.test(cell)) unit = '/uL';
      } else leftovers.push(token);
    }
  }
  flagText = `${leftovers.join(' ')} ${flagText}`;
  const words = flagText
    .replace(/[+\][]/g, ' ')
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words.length > 6) return null; // prose, not a table row
  // A single-spaced line going on in words ('Albumin 3.2 g/dL and ALT 23 U/L.') is a sentence: the prose reader's.
  if (strict && words.some((w) => /^(?:and|with|was|were|is|are|of|on|the|then|but)$/i.test(w))) return null;
  const printedFlag = flagFrom(flagText);
  if (strict && (!unit || (!range && !printedFlag))) return null;
  if (!unit && !range && !printedFlag && typeof value === 'number') return null;
  // "Aspirin  81 mg" is a dose, not a result: a bare mass/volume unit needs a range or a flag too.
  if (unit && MASS_UNIT_KEYS.has(unitKey(unit)) && !range && !printedFlag) return null;
  const flag = printedFlag;
  const quality = (unit ? 1 : 0) + (range ? 1 : 0) + (printedFlag ? 0.5 : 0);
  return { value, unit, range, flag, garbage, quality };
}

/** A label-style row, "Test:  value ...": the colon closes the test's name. */
const LABEL_ROW = /^(?<test>[^:]{2,60}?)\s*:\s*(?<rest>(?:(?:<=|>=|<|>)\s*)?[-+]?\.?\d.*)$/;

/** `underHeader`: the row is under a lab table's header, where a one-letter symbol is a test ('K'). */
function parseLabLine(text: string, underHeader = false): LabRow | null {
  if (!/\d/.test(text) && !/\s{2,}/.test(text)) return null;
  const t = plainText(text).replace(/\s*\((?:LOINC|CPT)\b[^)]*\)/gi, '');
  if (/^\s*(?:\d+[.)]|[•·▪*])\s/.test(t)) return null; // numbered/bulleted items are not table rows

  const build = (testRaw: string, rest: string, strict: boolean, base: number, symbol = false): LabRow | null => {
    const test = symbol && /^\p{Lu}$/u.test(testRaw.trim()) ? testRaw.trim() : cleanTestName(testRaw);
    if (!test) return null;
    const r = parseLabRest(rest, strict);
    if (!r) return null;
    let confidence = base - (r.quality >= 2 ? 0 : 0.1) - (r.garbage ? 0.15 : 0);
    if (typeof r.value === 'string') confidence -= 0.1;
    return { test, value: r.value, unit: r.unit, range: r.range, flag: r.flag, confidence };
  };

  // 1. "Test:  value ..." (label-style rows)
  const colon = LABEL_ROW.exec(t);
  if (colon) {
    const row = build(group(colon, 'test')!, group(colon, 'rest')!, false, 0.9);
    if (row) return row;
  }
  // 2. Column layout: "Test  value  unit  range  flag"
  const cells = t.split(/\s{2,}/);
  if (cells.length >= 2) {
    const row = build(cells[0]!, cells.slice(1).join('  '), false, 0.9, underHeader && cells.length >= 3);
    if (row) return row;
  }
  // 3. Single-spaced: "Hemoglobin 13.5 g/dL 12.0-16.0" — needs a recognised unit and a range or flag.
  const single = new RegExp(String.raw`^(?<test>[\p{L}][\p{L}\d ,()/%.'-]{1,50}?)\s+(?<rest>(?:(?:<=|>=|<|>)\s*)?(?:${NUM})\s*\S.*)$`, 'u').exec(t);
  if (single) return build(group(single, 'test')!, group(single, 'rest')!, true, 0.65);
  return null;
}

export function labResults(pageLines: Line[][], collectedAt: string | null, dates: DateContext): LabResult[] {
  const out: LabResult[] = [];
  let panel: string | null = null;
  let panelLoinc: string | null = null;
  let collected = collectedAt;
  // A table continues across a page break: its header holds until the next one. A code column's cells are
  // taken out of each row before it is read, so the rows are read by the other columns.
  let header: Array<string | null> | null = null;
  let codeColumn = false;
  const useHeader = (h: Array<string | null>) => {
    codeColumn = h.includes('loinc');
    header = h.filter((k) => k !== 'loinc');
  };
  const repeated = repeatedLines(pageLines);
  for (const lines of pageLines) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (isPageFurniture(line, repeated)) continue;
      const h = labHeader(line);
      if (h) {
        useHeader(h);
        continue;
      }
      // A header whose value column's name wrapped onto the next line ('Test Name  Your UOM  Reference Range' / 'Value').
      const wrapped = headerWithWrappedValue(line, lines[i + 1]);
      if (wrapped) {
        useHeader(wrapped);
        i++;
        continue;
      }
      const coded = takePrintedCodes(line.text, codeColumn);
      const rowText = scanRow(coded.text);
      // A heading names the panel of the rows under it; a collection date printed with it or under it is theirs.
      const heading = panelHeading(headingOf(coded.text), dates);
      if (heading && !parseLabLine(rowText, header !== null)) {
        // 'Results (cont.)' over a page's first rows: the panel of the page before goes on.
        const name = CONTINUED.test(heading) ? heading.slice(0, heading.search(CONTINUED)).replace(/[\s(,-]+$/, '') : heading;
        if (name !== heading && (name === '' || NOT_PANEL.has(name.toLowerCase()))) continue;
        const same = name === panel;
        panel = NOT_PANEL.has(name.toLowerCase()) ? null : name;
        // A panel's heading repeated over its rows on the next page need not print its code again.
        panelLoinc = panel === null ? null : (coded.codes[0]?.loinc ?? (same ? panelLoinc : null));
        const d = parseDate(line.text, dates, true);
        if (d) collected = d.iso;
        continue;
      }
      if (COLLECTION_RE.test(line.text)) {
        const d = parseDate(line.text, dates, true);
        if (d) collected = d.iso;
      }
      if (VITAL_LINE.test(line.text) && !/\s{2,}\S+\s{2,}/.test(line.text)) continue;
      // Columns out of the usual order (a panel column, the unit before the value) are read by the header.
      const unusual = header && (header[0] === 'panel' || !inUsualOrder(header));
      const byHeader = unusual ? rowByHeader(rowText, header!) : null;
      // (Under a header whose first column is the panel, the loose reader would take the panel for the test's name.)
      const row = byHeader ?? (header?.[0] === 'panel' ? null : parseLabLine(rowText, header !== null));
      if (!row) continue;
      let rowPanel = byHeader?.panel ?? panel;
      // A code printed in a panel column's cell is the panel's; the row's other code is its test's.
      const panelCode: PrintedCode | undefined = byHeader?.panel ? coded.codes.find((c) => isCellOf(c, byHeader.panel!)) : undefined;
      let rowPanelLoinc = byHeader?.panel ? (panelCode?.loinc ?? null) : panelLoinc;
      let loinc = coded.codes.find((c) => c !== panelCode)?.loinc ?? null;
      // A name closed by a colon or by its own code goes on no further: a line below with a code of its own is the next heading's.
      const nameClosed = LABEL_ROW.test(rowText) || coded.codes.some((c) => !c.column && c !== panelCode);
      // The test's name wrapped in its cell onto the lines below ('Alkaline' / 'Phosphatase'), or its flag ('*L').
      let evidence = lineEvidence(line);
      let last = line;
      let dangling = coded.codes.find((c) => c.wrapped);
      for (let k = i + 1; k < lines.length && k <= i + 2; k++) {
        const below = lines[k]!;
        // A label's code wrapped onto the line below, a cell of its own ('Urinalysis [LOINC:' / '24356-8]  Panel').
        const rest = dangling ? codeRest(below.text) : undefined;
        if (rest) {
          if (dangling === panelCode) rowPanelLoinc ??= rest.code;
          else loinc ??= rest.code;
          dangling = undefined;
          if (rest.after === '') {
            last = below;
            continue;
          }
        }
        const belowText = rest ? rest.after : below.text;
        const belowCoded = takePrintedCodes(belowText, codeColumn);
        if (LONE_FLAG.test(belowText)) row.flag = flagFrom(belowText.trim()) ?? row.flag;
        // The test's code wrapped onto a line of its own ('Hemoglobin' / '(LOINC: 718-7)').
        else if (belowCoded.text.trim() === '' && belowCoded.codes.length > 0) loinc ??= belowCoded.codes[0]!.loinc;
        // The panel's cell wrapped ('Basic Metabolic' / 'Panel').
        else if (byHeader?.panel && rowPanel && isPanelRest(rowPanel, belowCoded.text)) {
          rowPanel = `${rowPanel} ${belowCoded.text.trim()}`;
          // A code alone in its cell is the test's name's, wrapped beside the panel's ('(787-2)  Count').
          rowPanelLoinc ??= belowCoded.codes.find((c) => c.cell !== '')?.loinc ?? null;
          loinc ??= belowCoded.codes.find((c) => c.cell === '')?.loinc ?? null;
        } else if (
          belowCoded.text.trim() !== '' &&
          !(nameClosed && belowCoded.codes.length > 0) &&
          wrappedTestName(row.test, belowCoded.text) &&
          !labHeader(below) &&
          !parseLabLine(belowCoded.text, header !== null)
        ) {
          row.test = `${row.test} ${belowCoded.text.trim()}`;
          loinc ??= belowCoded.codes[0]?.loinc ?? null;
        } else {
          // The line gave the code and nothing more of this row: the quote still holds it.
          if (rest) last = below;
          break;
        }
        last = below;
      }
      if (last !== line) {
        evidence = spanEvidence(line, last);
        i = lines.indexOf(last);
      }
      // A range wrapped onto the next line: ">= 60  N". The evidence then spans both lines.
      const next = lines[i + 1];
      if (!row.range && next) {
        const wrapped = new RegExp(String.raw`^\s*\[?\s*((?:<=|>=|<|>|≤|≥)\s*(?:${NUM})|(?:${NUM})\s*-\s*(?:${NUM}))\s*%?\s*\]?(\s+.*)?$`).exec(
          plainText(next.text),
        );
        if (wrapped && (wrapped[2] ?? '').trim().split(/\s+/).length <= 2) {
          row.range = wrapped[1]!.replace(/\s+/g, ' ').trim();
          const f = flagFrom(wrapped[2] ?? '');
          if (f) row.flag = f;
          evidence = spanEvidence(line, next);
          i++;
        }
      }
      out.push({
        panel: rowPanel,
        panel_loinc: rowPanel === null ? null : rowPanelLoinc,
        specimen: null,
        test: row.test,
        loinc,
        value: row.value,
        unit: row.unit,
        reference_range: row.range,
        flag: row.flag,
        collected_at: collected,
        evidence,
        confidence: round(row.confidence),
      });
    }
  }
  return out;
}

/**
 * Lab values in prose, sentence by sentence: "Most recent results (14 Aug 2026) show T. Bili 1.0 mg/dL and
 * ALT 3 U/L", "HbA1c 8.2% on 28 February 2025". The test is the words before the value that carry a capital
 * letter; the unit must be a lab unit (not a bare dose unit); a date in the sentence is the collection date.
 */
export function proseLabResults(pageLines: Line[][], skip: (line: Line) => boolean, dates: DateContext, collectedAt: string | null): LabResult[] {
  const out: LabResult[] = [];
  const valueRe = new RegExp(String.raw`(?<![\w.])(?<num>${NUM})\s?(?<unit>%|[A-Za-zµμ/][A-Za-z0-9µμ/.^]*)`, 'g');
  for (const lines of pageLines) {
    // Paragraphs: runs of consecutive prose lines, read sentence by sentence across their line breaks.
    const paragraphs: Line[][] = [];
    let run: Line[] = [];
    for (const line of lines) {
      const prose = !skip(line) && !VITAL_LINE.test(line.text) && !/\S\s{2,}\S/.test(line.text);
      const prev = run[run.length - 1];
      // A heading above ('Labs', 'Recent Results:') is no part of the sentence below it.
      const heading = prev !== undefined && /^\p{Lu}[\p{L} &/-]{0,40}:?$/u.test(prev.text) && prev.text.split(/\s+/).length <= 4;
      if (prose && prev !== undefined && prev.index === line.index - 1 && !heading) run.push(line);
      else {
        if (run.length > 0) paragraphs.push(run);
        run = prose ? [line] : [];
      }
    }
    if (run.length > 0) paragraphs.push(run);
    for (const para of paragraphs) {
      // Where each line starts in the paragraph's text, lines joined by one space.
      const starts: number[] = [];
      let joined = '';
      for (const line of para) {
        if (joined !== '') joined += ' ';
        starts.push(joined.length);
        joined += plainText(line.text);
      }
      const lineAt = (offset: number): Line => para[starts.findLastIndex((s) => s <= offset)]!;
      const sentenceRe = /(?:[^.!?]|[.!?](?!\s|$))+(?:[.!?](?=\s|$))?/g;
      let s: RegExpExecArray | null;
      while ((s = sentenceRe.exec(joined)) && s[0] !== '') {
        const text = s[0];
        const at = s.index;
        if (!/[.]\s|[.]$|\b(?:show|shows|showed|was|were|is|of|on)\b/i.test(text)) continue;
        const date = parseDate(text, dates, true);
        let m: RegExpExecArray | null;
        valueRe.lastIndex = 0;
        while ((m = valueRe.exec(text))) {
          const unit = asUnit(group(m, 'unit')!.replace(/[.,;]$/, ''), false);
          if (!unit || MASS_UNIT_KEYS.has(unitKey(unit))) continue;
          const before = text
            .slice(0, m.index)
            .replace(/\s*(?:of|was|is|at|=|:)\s*$/i, '')
            .trimEnd()
            .split(/\s+/);
          const words: string[] = [];
          for (let k = before.length - 1; k >= 0 && words.length < 4; k--) {
            // The item before ends at a comma or a unit ('193 U/L, Albumin 3.2 g/dL').
            if (k < before.length - 1 && /,$/.test(before[k]!)) break;
            const w = before[k]!.replace(/[(,]$/, '');
            if (!/\p{Lu}/u.test(w) || /^\(|\)$/.test(before[k]!) || parseDate(w, dates) || asUnit(w, true)) break;
            words.unshift(w);
          }
          const test = cleanTestName(words.join(' '));
          const n = toNumber(group(m, 'num')!);
          if (!test || n === null) continue;
          const first = lineAt(at);
          const last = lineAt(at + m.index + m[0].length - 1);
          out.push({
            panel: null,
            panel_loinc: null,
            specimen: null,
            test,
            loinc: null,
            value: n,
            unit,
            reference_range: null,
            flag: null,
            collected_at: date?.iso ?? collectedAt,
            evidence: first === last ? lineEvidence(first) : spanEvidence(first, last),
            confidence: 0.6,
          });
        }
      }
    }
  }
  return out;
}

/** The first labelled collection date (and time), for every lab row of the document. */
export function collectionDate(kvs: LabelValue[], dates: DateContext): Candidate<string> | null {
  for (const kv of kvs) {
    if (LABEL_OF.get(kv.key) !== 'collected') continue;
    const d = parseDate(kv.value, dates, true);
    if (d && d.start <= 2) return { value: d.iso, line: kv.line, confidence: d.ambiguous ? 0.7 : 0.9 };
  }
  return null;
}
