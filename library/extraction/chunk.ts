/**
 * Chunking of long documents for extraction, and merging of the per-chunk extractions.
 *
 * - `chunkPages` groups pages, in order and whole where possible, into chunks of at most `maxChars`
 *   characters of page text. A page longer than `maxChars` is cut into consecutive parts (at line breaks
 *   when possible) that keep the page number; concatenating the parts gives back the page text, so every
 *   quote taken from a part is still a verbatim substring of the page.
 * - `mergeExtractions` combines the chunk results: for each scalar field the non-null value with the
 *   highest confidence (the first one on ties); list sections concatenated in order and de-duplicated on
 *   normalised key fields, keeping the more confident of two duplicates at the first one's position.
 */
import type { Allergy, Diagnosis, Extraction, Field, LabResult, ListSection, Medication, PageText, Procedure, Vital } from '../../core/contract/extraction.js';
import { emptyExtraction, LIST_SECTIONS } from '../../core/contract/extraction.js';

export function chunkPages(pages: PageText[], maxChars: number): PageText[][] {
  if (!Number.isFinite(maxChars) || maxChars < 1) throw new RangeError(`maxChars must be a positive number, got ${maxChars}`);
  const limit = Math.floor(maxChars);
  const chunks: PageText[][] = [];
  let current: PageText[] = [];
  let size = 0;
  const flush = (): void => {
    if (current.length > 0) chunks.push(current);
    current = [];
    size = 0;
  };
  for (const page of pages) {
    const len = page.text.length;
    if (len <= limit) {
      if (size + len > limit) flush();
      current.push({ page: page.page, text: page.text });
      size += len;
      continue;
    }
    // A page too long for one chunk: every part but the last fills a chunk of its own; the last part
    // may share its chunk with the following pages.
    flush();
    const parts = splitText(page.text, limit);
    for (let i = 0; i < parts.length; i++) {
      const text = parts[i] as string;
      if (i < parts.length - 1) chunks.push([{ page: page.page, text }]);
      else {
        current.push({ page: page.page, text });
        size = text.length;
      }
    }
  }
  flush();
  return chunks;
}

/** Cuts `text` into consecutive parts of at most `limit` characters, preferring line breaks, then spaces. */
function splitText(text: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    let cut = window.lastIndexOf('\n') + 1; // keep the newline with the line it ends
    if (cut < limit / 4) {
      const space = window.search(/\s\S*$/);
      cut = space > 0 ? space + 1 : 0;
    }
    if (cut < limit / 4) cut = limit; // no usable break: hard cut
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  parts.push(rest);
  return parts;
}

// ---------------------------------------------------------------------------------------------------

/** Normalises a key component: case, Unicode form, whitespace and thousands separators do not matter. */
function k(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const s = (typeof value === 'string' ? value : JSON.stringify(value)).normalize('NFKC').trim();
  if (/^[-+]?\d{1,3}(?:,\d{3})*(?:\.\d+)?$|^[-+]?\d+(?:\.\d+)?$/.test(s)) return String(Number(s.replace(/,/g, '')));
  return s
    .toLowerCase()
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/[\s,;:]+/g, '')
    .replace(/\.$/, '');
}

type KeyOf<T> = (item: T) => string;
const KEYS: { [S in ListSection]: KeyOf<Extraction[S][number]> } = {
  lab_results: (x: LabResult) => [k(x.test), k(x.value), k(x.collected_at)].join('|'),
  medications: (x: Medication) => [k(x.name), k(x.dose)].join('|'),
  diagnoses: (x: Diagnosis) => (x.icd10 ? `icd:${k(x.icd10)}` : `desc:${k(x.description)}`),
  vitals: (x: Vital) => [k(x.name), k(x.value), k(x.taken_at)].join('|'),
  procedures: (x: Procedure) => [k(x.name), k(x.date)].join('|'),
  allergies: (x: Allergy) => k(x.substance),
};

function pickField<T>(fields: Array<Field<T>>): Field<T> {
  let best: Field<T> | null = null;
  for (const f of fields) {
    if (f.value === null || f.value === undefined) continue;
    if (best === null || f.confidence > best.confidence) best = f;
  }
  return best ? structuredClone(best) : { value: null, evidence: null, confidence: 0 };
}

function dedupe<T extends { confidence: number }>(items: T[], key: KeyOf<T>): T[] {
  const out: T[] = [];
  const index = new Map<string, number>();
  for (const item of items) {
    const id = key(item);
    const at = index.get(id);
    if (at === undefined) {
      index.set(id, out.length);
      out.push(structuredClone(item));
    } else if (item.confidence > (out[at] as T).confidence) {
      out[at] = structuredClone(item);
    }
  }
  return out;
}

/** One list section of every part, deduplicated by that section's key. */
function mergeSection<S extends ListSection>(merged: Extraction, parts: Extraction[], section: S): void {
  const items = parts.flatMap((p) => p[section] as Extraction[S][number][]);
  (merged[section] as Extraction[S][number][]) = dedupe(items, KEYS[section]);
}

export function mergeExtractions(parts: Extraction[]): Extraction {
  const merged = emptyExtraction();
  if (parts.length === 0) return merged;
  merged.document = {
    type: pickField(parts.map((p) => p.document.type)),
    date: pickField(parts.map((p) => p.document.date)),
    facility: pickField(parts.map((p) => p.document.facility)),
    author: pickField(parts.map((p) => p.document.author)),
  };
  merged.patient = {
    name: pickField(parts.map((p) => p.patient.name)),
    date_of_birth: pickField(parts.map((p) => p.patient.date_of_birth)),
    sex: pickField(parts.map((p) => p.patient.sex)),
    mrn: pickField(parts.map((p) => p.patient.mrn)),
  };
  for (const section of LIST_SECTIONS) mergeSection(merged, parts, section);
  return merged;
}
