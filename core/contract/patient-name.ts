/**
 * The patient name a job is found by in the work queue (GET /jobs?q=): the current result's
 * `patient.name` value, trimmed — none when it is empty or a person rejected it (not in the document).
 * Pure, so the store that saves an extraction and the route that saves a correction compute it alike.
 */
import type { Extraction } from './extraction.js';

/** Longer names are cut: the search is a substring match, and no real name is this long. */
const MAX_SEARCHABLE_NAME = 300;

export function searchablePatientName(x: Pick<Extraction, 'patient'>): string | null {
  const field = x.patient.name;
  if (field.review?.state === 'rejected') return null;
  const name = typeof field.value === 'string' ? field.value.trim() : '';
  return name === '' ? null : name.slice(0, MAX_SEARCHABLE_NAME);
}
