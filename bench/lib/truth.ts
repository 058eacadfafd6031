/**
 * Ground truth for OCR of the generated scanned reports (test/fixtures/generate.ts), and the character
 * error rate. The fixture module draws each page from a private `reportLines()`; this is the same text,
 * line by line (header lines, the column titles, then one line per result with its cells in column
 * order; an empty flag cell draws nothing). If the fixture's layout changes, change this too: the CER
 * column of ocr-engine would jump for every engine at once, which makes such a drift obvious.
 */
import { distance } from 'fastest-levenshtein';
import type { SyntheticReport } from '../../test/fixtures/generate.js';

export function pageTruth(r: SyntheticReport, pageIndex: number): string {
  const lines = [
    r.facility,
    'LABORATORY REPORT',
    `Patient Name: ${r.patientName}    DOB: ${r.dob}    MRN: ${r.mrn}`,
    `Collected: ${r.collected}    Ordering Physician: ${r.physician}    Page ${pageIndex + 1} of ${r.pages.length}`,
    ['Test', 'Result', 'Units', 'Reference Range', 'Flag'].join(' '),
    ...r.pages[pageIndex]!.map((row) => [row.test, row.value, row.unit, row.range, row.flag].filter(Boolean).join(' ')),
  ];
  return lines.join('\n');
}

/** Whitespace normalised: every run of spaces / newlines becomes one space; trimmed. */
export const normaliseWs = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Edit distance and reference length after whitespace normalisation (sum these over pages, then divide). */
export function cerParts(recognised: string, truth: string): { edits: number; chars: number } {
  const a = normaliseWs(recognised);
  const b = normaliseWs(truth);
  return { edits: distance(a, b), chars: b.length };
}

/** Character error rate over many pages: total edits / total reference characters. */
export function cer(parts: Array<{ edits: number; chars: number }>): number {
  const chars = parts.reduce((s, p) => s + p.chars, 0);
  return chars ? parts.reduce((s, p) => s + p.edits, 0) / chars : NaN;
}
