/** Document type, date, facility and author. */
import type { DocumentType, Field } from '../../../core/contract/extraction.js';
import type { DateContext } from './dates.js';
import { parseDate } from './dates.js';
import type { LabelValue } from './labels.js';
import { datesTheDocument, LABEL_OF } from './labels.js';
import { AUTHOR_PRIORITY, DOCUMENT_DATE_PRIORITY, DOCUMENT_TYPE_RULES } from './lexicon.js';
import type { Candidate, Line } from './lines.js';
import { best, lineEvidence, round } from './lines.js';
import { cleanPersonName } from './patient.js';
import { isBlank, plainText } from './text.js';

/** The type whose phrases score highest (titles count twice, many lab rows point at a lab report). */
export function documentType(pageLines: Line[][], labCount: number): Field<DocumentType> {
  const score = new Map<DocumentType, number>();
  const bestLine = new Map<DocumentType, { line: Line; w: number }>();
  pageLines.forEach((lines, p) => {
    for (const line of lines) {
      // The first lines of the first page count twice, a title among them (a line of one cell, no label)
      // three times: a discharge summary's "Laboratory Results" section and its many rows do not make it a
      // lab report. "Referring Physician" is not a referral.
      const text = plainText(line.text).replace(/\brefer(ring|red)\s+(physician|doctor|by|provider)\b/gi, '');
      const title = !/:/.test(text) && !/\S\s{2,}\S/.test(text.trim());
      const titleBonus = p === 0 && line.index < 8 ? (title ? 3 : 2) : 1;
      for (const rule of DOCUMENT_TYPE_RULES) {
        if (!rule.re.test(text)) continue;
        const w = rule.weight * titleBonus;
        score.set(rule.type, (score.get(rule.type) ?? 0) + w);
        const b = bestLine.get(rule.type);
        if (!b || w > b.w) bestLine.set(rule.type, { line, w });
      }
    }
  });
  if (labCount >= 3) score.set('lab_report', (score.get('lab_report') ?? 0) + Math.min(6, labCount / 2));
  const ranked = [...score.entries()].sort((a, b) => b[1] - a[1]);
  const [top, second] = ranked;
  const first = pageLines.find((l) => l.length > 0)?.[0];
  if (!top || top[1] < 3) {
    return first ? { value: 'other', evidence: lineEvidence(first), confidence: 0.3 } : { value: null, evidence: null, confidence: 0 };
  }
  const margin = (top[1] - (second?.[1] ?? 0)) / top[1];
  const line = bestLine.get(top[0])?.line ?? first!;
  return { value: top[0], evidence: lineEvidence(line), confidence: round(0.5 + 0.4 * margin) };
}

/** The date of the most telling date label; the specimen collection date as a fallback. */
export function documentDate(kvs: LabelValue[], dates: DateContext, collected: Candidate<string> | null): Field<string> {
  const cands: Array<Candidate<string>> = [];
  for (const kv of kvs) {
    const p = LABEL_OF.get(kv.key) === 'docdate' ? DOCUMENT_DATE_PRIORITY[kv.key] : undefined;
    if (p === undefined) continue;
    const d = parseDate(kv.value, dates);
    if (d && d.start <= 2) cands.push({ value: d.iso, line: kv.line, confidence: (d.ambiguous ? 0.8 : 1) * p * (kv.nextLine ? 0.8 : 1) });
  }
  // An unlisted label whose words say it dates the document ("Date Written", "RX DATE", "Record Date").
  for (const kv of kvs) {
    if (LABEL_OF.has(kv.key) || !datesTheDocument(kv.key)) continue;
    const d = parseDate(kv.value, dates);
    if (d && d.start <= 2) cands.push({ value: d.iso, line: kv.line, confidence: (d.ambiguous ? 0.5 : 0.65) * (kv.nextLine ? 0.8 : 1) });
  }
  if (collected) cands.push({ value: collected.value.slice(0, 10), line: collected.line, confidence: 0.55 });
  return best(cands);
}

/** Words that make a line an organisation's name, and words that make it a title or a label instead. */
const ORG_RE =
  /\b(health\s*system|hospital|clinic|medical\s+(cent(er|re)|group|college|associates)|health\s*(care|cent(er|re)|partners)|healthcare|diagnostics?|laborator(y|ies)|labs?|medicine|infirmary|pathology|imaging|associates|polyclinic|nursing home|institute|physicians|primary care|pharmacy|partners)\b/i;
const NOT_ORG_RE =
  /\b(report|summary|form|claim|insurance|prescription|invoice|bill|patient|name|date|page|accredited|certified|department|results?|test|panel|profile|function|count|note|questionnaire|consent|signature)\b|[:@]|\d{3,}/i;

/** An organisation's name among the first lines of the document, or a facility label. */
export function facility(pageLines: Line[][], kvs: LabelValue[]): Field<string> {
  const cands: Array<Candidate<string>> = [];
  const first = pageLines[0] ?? [];
  for (const line of first.slice(0, 6)) {
    // "Willow Creek Family Medicine - 5182 Harbor View Drive, ...": the name before its address.
    const t = line.text.split(/\s+[-–|]\s+|\s{2,}/)[0]!;
    if (t.length > 60 || !ORG_RE.test(t) || NOT_ORG_RE.test(t)) continue;
    // OCR may put junk before the name ("£Q/7 Not a Memorial Hospital"): start at the first real word.
    const words = t.split(/\s+/);
    // A stand-in of de-identified text (library/deid: "[[PLACE_1]] Family Medicine") is a word of the name.
    const first = words.findIndex((w) => /^(?:\p{L}[\p{L}'’&.-]*|\[\[[A-Z_]+_\d+\]\])$/u.test(w));
    const value = words.slice(Math.max(0, first)).join(' ');
    cands.push({ value, line, confidence: (first > 0 ? 0.6 : 0.8) - line.index * 0.02 });
    break;
  }
  for (const kv of kvs) {
    if (LABEL_OF.get(kv.key) !== 'facility' || kv.nextLine) continue;
    const v = plainText(kv.value)
      .split(/\s+-\s+|\s+\|\s+/)[0]!
      .trim();
    if (v.length >= 3 && v.length <= 80 && /\p{L}{3}/u.test(v) && !isBlank(v) && !/_{2,}/.test(v)) {
      cands.push({ value: v, line: kv.line, confidence: 0.7 });
    }
  }
  return best(cands);
}

/** A physician or author: cut at a trailing specialty / registration number; must look like a person. */
function cleanAuthor(raw: string): string | null {
  let v = plainText(raw)
    .split(/\s+-\s+|\s*\(|\s+\|\s+|\s+Reg\b|\s+Registration\b|\s+NPI\b/)[0]!
    .trim()
    .replace(/[,;]$/, '');
  if (v.length < 3 || isBlank(v)) return null;
  // Allow credentials after a comma: "Dr. Ananya Rao, MD".
  const [person, ...creds] = v.split(',');
  const name = cleanPersonName((person ?? '').replace(/^(Dr\.?|Doctor)\s+/i, 'Dr. '), 2);
  if (!name) return null;
  const credentials = creds.map((c) => c.trim()).filter((c) => /^[A-Z][A-Za-z.]{1,10}$/.test(c));
  v = [name, ...credentials].join(', ');
  return v;
}

/** The person after an author label, or a "Dr." signature line near the end. */
export function author(pageLines: Line[][], kvs: LabelValue[]): Field<string> {
  const cands: Array<Candidate<string>> = [];
  for (const kv of kvs) {
    const p = LABEL_OF.get(kv.key) === 'author' ? AUTHOR_PRIORITY[kv.key] : undefined;
    if (p === undefined) continue;
    const v = cleanAuthor(kv.value);
    if (v)
      cands.push({ value: v, line: kv.line, confidence: p * (kv.nextLine ? 0.8 : 1) * (/^Dr\.?\s/.test(v) || /,\s*(MD|DO|MBBS|PhD)\b/.test(v) ? 1 : 0.85) });
  }
  if (cands.length === 0) {
    // A signature block: "Dr. Arun Kapoor, MD (Pathology)" on a line of its own near the end.
    const last = pageLines[pageLines.length - 1] ?? [];
    for (const line of last.slice(-10)) {
      if (!/^Dr\.?\s/i.test(line.text)) continue;
      const v = cleanAuthor(line.text);
      if (v) cands.push({ value: v, line, confidence: 0.5 });
    }
  }
  return best(cands);
}
