/**
 * The plain words of a value's review — who decided what, and for a correction what the machine had read —
 * said alike by the workbook's Review column and the review screen. Pure and dependency-free: the one
 * core module the web bundle takes as code (.dependency-cruiser.cjs, web-type-only).
 */
import type { ValueReview } from './extraction.js';

/** Parts of a value that are not what a person corrects. */
const NOT_CORRECTED: ReadonlySet<string> = new Set(['evidence', 'confidence', 'reasons', 'review']);

export function reviewText(review: ValueReview | undefined, current: object): string | null {
  if (!review || review.state === 'unreviewed') return null;
  const who = review.by ? ` by ${review.by}` : '';
  if (review.state !== 'corrected' || !review.original) return `${review.state}${who}`;
  const now = current as Record<string, unknown>;
  const was = Object.entries(review.original)
    .filter(([k, v]) => !NOT_CORRECTED.has(k) && JSON.stringify(v) !== JSON.stringify(now[k]))
    .map(
      ([k, v]) =>
        `${k === 'value' ? '' : `${k.replace(/_/g, ' ')}: `}${v === null || v === undefined ? '(empty)' : typeof v === 'string' ? v : JSON.stringify(v)}`,
    );
  return `corrected${who}${was.length ? `; machine read ${was.join(', ')}` : ''}`;
}
