/**
 * The evidence extension of one extracted value (profile.ts, EVIDENCE_EXTENSION_URL): where it was read,
 * how sure the machine was, what the checks and the export found, and what a person decided.
 */
import type { Extension } from '@medplum/fhirtypes';
import type { Evidence, ValueCheck, ValueReview } from '../../core/contract/extraction.js';
import type { PageBox } from '../pdf/preview.js';
import { fhirInstant } from './dates.js';
import { EVIDENCE_EXTENSION_URL, EVIDENCE_PART, type ValueProblem } from './profile.js';

/** What every extracted value carries besides the value itself. */
export interface ValueSource {
  evidence: Evidence | null;
  confidence: number;
  reasons?: ValueCheck[] | undefined;
  review?: ValueReview | undefined;
}

/** One extracted value as it went into a resource. */
export interface ValueRecord {
  /** JSON Pointer of the value in the extraction (`/lab_results/3`, `/patient/name`). */
  pointer: string;
  /** Where it went in the resource (`Observation`, `Patient.birthDate`). */
  element: string;
  source: ValueSource;
  problems: ValueProblem[];
  /** Plain-words remarks of the lab library. */
  remarks?: string[];
  /** The value as printed where FHIR could not carry it exactly. */
  printed?: string;
}

/** The boxes marking a quote on a page (page fractions), or none when the page's words are not at hand. */
export type QuoteBoxes = (page: number, quote: string) => readonly PageBox[];

/** Parts of a value that are not what a person corrects (as in core/contract/review-text.ts). */
const NOT_CORRECTED: ReadonlySet<string> = new Set(['evidence', 'confidence', 'reasons', 'review']);

/** The parts of a corrected value the machine had read differently, as JSON; null when nothing differs. */
function originalOf(review: ValueReview, current: object): string | null {
  if (review.state !== 'corrected' || !review.original) return null;
  const now = current as Record<string, unknown>;
  const changed = Object.entries(review.original).filter(([k, v]) => !NOT_CORRECTED.has(k) && JSON.stringify(v) !== JSON.stringify(now[k]));
  return changed.length ? JSON.stringify(Object.fromEntries(changed)) : null;
}

const round = (n: number): number => Math.round(n * 10_000) / 10_000;

const part = (url: string, value: Omit<Extension, 'url'>): Extension => ({ url, ...value });

/** The evidence extension of one value. */
export function evidenceExtension(record: ValueRecord, boxes?: QuoteBoxes): Extension {
  const { source } = record;
  const parts: Extension[] = [part(EVIDENCE_PART.field, { valueString: record.pointer }), part(EVIDENCE_PART.element, { valueString: record.element })];
  const ev = source.evidence;
  if (ev && Number.isInteger(ev.page) && ev.page >= 1) parts.push(part(EVIDENCE_PART.page, { valuePositiveInt: ev.page }));
  if (ev && ev.quote.trim() !== '') parts.push(part(EVIDENCE_PART.quote, { valueString: ev.quote }));
  if (ev && typeof ev.found === 'boolean') parts.push(part(EVIDENCE_PART.quoteFound, { valueBoolean: ev.found }));
  if (ev && boxes && ev.quote.trim() !== '' && ev.page >= 1) {
    for (const b of boxes(ev.page, ev.quote)) {
      parts.push({
        url: EVIDENCE_PART.box,
        extension: [
          part('x', { valueDecimal: round(b.x0) }),
          part('y', { valueDecimal: round(b.y0) }),
          part('w', { valueDecimal: round(b.x1 - b.x0) }),
          part('h', { valueDecimal: round(b.y1 - b.y0) }),
        ],
      });
    }
  }
  parts.push(part(EVIDENCE_PART.confidence, { valueDecimal: source.confidence }));
  for (const reason of source.reasons ?? []) parts.push(part(EVIDENCE_PART.check, { valueCode: reason }));
  for (const problem of record.problems) parts.push(part(EVIDENCE_PART.problem, { valueCode: problem }));
  for (const remark of record.remarks ?? []) if (remark.trim() !== '') parts.push(part(EVIDENCE_PART.remark, { valueString: remark }));
  if (record.printed && record.printed.trim() !== '') parts.push(part(EVIDENCE_PART.printed, { valueString: record.printed }));
  const review = source.review;
  parts.push(part(EVIDENCE_PART.review, { valueCode: review?.state ?? 'unreviewed' }));
  if (review?.by) parts.push(part(EVIDENCE_PART.reviewedBy, { valueString: review.by }));
  const at = fhirInstant(review?.at);
  if (at) parts.push(part(EVIDENCE_PART.reviewedAt, { valueDateTime: at }));
  const original = review ? originalOf(review, source) : null;
  if (original) parts.push(part(EVIDENCE_PART.original, { valueString: original }));
  return { url: EVIDENCE_EXTENSION_URL, extension: parts };
}

/** The value of one part of an evidence extension (first occurrence), for readers and checks. */
export function evidencePart(ext: Extension, name: string): Extension | undefined {
  return ext.extension?.find((e) => e.url === name);
}
