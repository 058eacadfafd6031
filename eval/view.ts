/**
 * The schema v2 view of a stored or fresh extraction, which the scorer reads. Until core/contract gains
 * `upgradeExtraction` (schema v2), a v1 extraction is adapted here: medications.dose → strength; the
 * sections and fields v1 does not have are simply absent (nothing extracted).
 */
import * as contract from '../core/contract/extraction.js';
import type { ExtractionView } from './score.js';

type Upgrade = (x: unknown) => unknown;

export function toView(x: unknown): ExtractionView {
  const upgrade = (contract as unknown as { upgradeExtraction?: Upgrade }).upgradeExtraction;
  if (typeof upgrade === 'function') return upgrade(x) as ExtractionView;
  return fromV1(x as Record<string, unknown>);
}

function fromV1(x: Record<string, unknown>): ExtractionView {
  const out: ExtractionView = { ...x };
  const meds = x.medications;
  if (Array.isArray(meds)) {
    out.medications = meds.map((m: Record<string, unknown>) => {
      const { dose, ...rest } = m;
      return { ...rest, strength: rest.strength ?? dose ?? null };
    });
  }
  return out;
}
