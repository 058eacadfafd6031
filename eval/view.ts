/**
 * The schema v2 view of an extraction, which the scorer reads: a v2 result as it is, a v1 result through
 * core/contract's `upgradeExtraction` (medications.dose → strength; v2's new fields empty), so stored or
 * recorded v1 results are scored by the same rules.
 */
import { upgradeExtraction, type Extraction, type ExtractionV1 } from '../core/contract/extraction.js';
import type { ExtractionView } from './score.js';

export function toView(x: Extraction | ExtractionV1): ExtractionView {
  return upgradeExtraction(x) as unknown as ExtractionView;
}
