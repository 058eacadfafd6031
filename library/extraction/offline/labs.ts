/**
 * Lab rows: "Test  value  unit  range  flag", "Test (LOINC: x):  value unit [Ref: range] HIGH", and
 * single-spaced rows with a recognised unit; a range may wrap onto the next line.
 */
import type { LabFlag, LabResult } from '../../../core/contract/extraction.js';
import type { DateContext } from './dates.js';
import { parseDate } from './dates.js';
import type { LabelValue } from './labels.js';
import { LABEL_OF } from './labels.js';
import { asUnit, flagFrom, flagFromRange, isGarbage, MASS_UNIT_KEYS, NUM, RANGE_RE, toNumber, unitKey } from './lab-values.js';
import type { Candidate, Line } from './lines.js';
import { lineEvidence, round, spanEvidence } from './lines.js';
import { group, plainText } from './text.js';
import { VITAL_LINE } from './vitals.js';

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
  const printedFlag = flagFrom(flagText);
  if (strict && (!unit || (!range && !printedFlag))) return null;
  if (!unit && !range && !printedFlag && typeof value === 'number') return null;
  // "Aspirin  81 mg" is a dose, not a result: a bare mass/volume unit needs a range or a flag too.
  if (unit && MASS_UNIT_KEYS.has(unitKey(unit)) && !range && !printedFlag) return null;
  let flag = printedFlag;
  if (!flag && range && typeof value === 'number') flag = flagFromRange(value, range);
  const quality = (unit ? 1 : 0) + (range ? 1 : 0) + (printedFlag ? 0.5 : 0);
  return { value, unit, range, flag, garbage, quality };
}

function parseLabLine(text: string): LabRow | null {
  if (!/\d/.test(text) && !/\s{2,}/.test(text)) return null;
  const t = plainText(text).replace(/\s*\((?:LOINC|CPT)\b[^)]*\)/gi, '');
  if (/^\s*(?:\d+[.)]|[•·▪*])\s/.test(t)) return null; // numbered/bulleted items are not table rows

  const build = (testRaw: string, rest: string, strict: boolean, base: number): LabRow | null => {
    const test = cleanTestName(testRaw);
    if (!test) return null;
    const r = parseLabRest(rest, strict);
    if (!r) return null;
    let confidence = base - (r.quality >= 2 ? 0 : 0.1) - (r.garbage ? 0.15 : 0);
    if (typeof r.value === 'string') confidence -= 0.1;
    return { test, value: r.value, unit: r.unit, range: r.range, flag: r.flag, confidence };
  };

  // 1. "Test:  value ..." (label-style rows)
  const colon = /^(?<test>[^:]{2,60}?)\s*:\s*(?<rest>(?:(?:<=|>=|<|>)\s*)?[-+]?\.?\d.*)$/.exec(t);
  if (colon) {
    const row = build(group(colon, 'test')!, group(colon, 'rest')!, false, 0.9);
    if (row) return row;
  }
  // 2. Column layout: "Test  value  unit  range  flag"
  const cells = t.split(/\s{2,}/);
  if (cells.length >= 2) {
    const row = build(cells[0]!, cells.slice(1).join('  '), false, 0.9);
    if (row) return row;
  }
  // 3. Single-spaced: "Hemoglobin 13.5 g/dL 12.0-16.0" — needs a recognised unit and a range or flag.
  const single = new RegExp(String.raw`^(?<test>[\p{L}][\p{L}\d ,()/%.'-]{1,50}?)\s+(?<rest>(?:(?:<=|>=|<|>)\s*)?(?:${NUM})\s*\S.*)$`, 'u').exec(t);
  if (single) return build(group(single, 'test')!, group(single, 'rest')!, true, 0.65);
  return null;
}

export function labResults(pageLines: Line[][], collectedAt: string | null): LabResult[] {
  const out: LabResult[] = [];
  for (const lines of pageLines) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (VITAL_LINE.test(line.text) && !/\s{2,}\S+\s{2,}/.test(line.text)) continue;
      const row = parseLabLine(line.text);
      if (!row) continue;
      // A range wrapped onto the next line: ">= 60  N". The evidence then spans both lines.
      let evidence = lineEvidence(line);
      const next = lines[i + 1];
      if (!row.range && next) {
        const wrapped = new RegExp(String.raw`^\s*\[?\s*((?:<=|>=|<|>|≤|≥)\s*(?:${NUM})|(?:${NUM})\s*-\s*(?:${NUM}))\s*%?\s*\]?(\s+.*)?$`).exec(
          plainText(next.text),
        );
        if (wrapped && (wrapped[2] ?? '').trim().split(/\s+/).length <= 2) {
          row.range = wrapped[1]!.replace(/\s+/g, ' ').trim();
          const f = flagFrom(wrapped[2] ?? '');
          if (f) row.flag = f;
          else if (!row.flag && typeof row.value === 'number') row.flag = flagFromRange(row.value, row.range);
          evidence = spanEvidence(line, next);
          i++;
        }
      }
      out.push({
        panel: null,
        specimen: null,
        test: row.test,
        value: row.value,
        unit: row.unit,
        reference_range: row.range,
        flag: row.flag,
        collected_at: collectedAt,
        evidence,
        confidence: round(row.confidence),
      });
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
