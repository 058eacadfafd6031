/**
 * Chunking of long documents for extraction, and merging of the per-chunk extractions.
 *
 * - `chunkPages` groups pages, in order and whole where possible, into chunks of at most `maxChars`
 *   characters of page text. A page longer than `maxChars` is cut into consecutive parts that keep the page
 *   number, at line breaks, and never inside a table: a run of table-like lines (lines with a column gap,
 *   i.e. two or more blanks between words, the gap the text layer and OCR write between columns) is one
 *   unit that goes whole into one part. Only a single table longer than `maxChars` is cut, between rows,
 *   and each of its later parts starts with the table's first (header) row again. Without such a table the
 *   parts concatenate back to the page text; with one, every line of every part is still a line of the page,
 *   so every quote taken from a part is verbatim page text.
 * - `halveChunk` cuts one chunk in two of about equal size (for a model answer cut off at its output limit):
 *   at a page boundary or between units, splitting a table between rows only when it is most of the chunk.
 * - `mergeExtractions` combines the chunk results: for each scalar field the non-null value with the
 *   highest confidence (the first one on ties); list sections concatenated in order and de-duplicated on
 *   normalised key fields, keeping the more confident of two duplicates at the first one's position.
 */
import type { Extraction, Field, ListSection, PageText } from '../../core/contract/extraction.js';
import { emptyExtraction, LIST_SECTIONS } from '../../core/contract/extraction.js';

/** Two or more blanks (or a tab) between two words: a column gap. */
const COLUMN_GAP = /\S(?: {2,}|\t)\S/;

/** A table row, a form line with label and value apart, or any line whose words sit in columns. */
export function isTableLine(line: string): boolean {
  return COLUMN_GAP.test(line);
}

/** A stretch of one page's text that goes whole into one part: one line, or a table (a run of table-like lines). */
interface Unit {
  page: number;
  /** The unit's lines, each with the line break that ends it (the page's last line has none). */
  lines: string[];
  table: boolean;
}

const unitText = (u: Unit): string => u.lines.join('');
const unitLength = (u: Unit): number => u.lines.reduce((n, l) => n + l.length, 0);

/**
 * The page's lines grouped into units. Two or more consecutive table-like lines make a table; one plain line
 * between two table lines (a wrapped cell) stays inside it.
 */
function pageUnits(page: PageText): Unit[] {
  const lines = page.text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const tableLike = lines.map((l) => isTableLine(l));
  const units: Unit[] = [];
  let i = 0;
  while (i < lines.length) {
    if (tableLike[i]) {
      let j = i + 1;
      while (j < lines.length && (tableLike[j] || (j + 1 < lines.length && tableLike[j + 1] && lines[j]!.trim() !== ''))) j++;
      // A table needs two rows; a lone gapped line is just a line.
      const rows = tableLike.slice(i, j).filter(Boolean).length;
      if (rows >= 2) {
        units.push({ page: page.page, lines: lines.slice(i, j), table: true });
        i = j;
        continue;
      }
    }
    units.push({ page: page.page, lines: [lines[i]!], table: false });
    i++;
  }
  return units;
}

/** A line longer than `limit`, cut at its last blank within the limit (not before a quarter of it), else hard. */
function cutLine(line: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = line;
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    const space = window.search(/\s\S*$/);
    let cut = space > 0 ? space + 1 : 0;
    if (cut < limit / 4) cut = limit;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  parts.push(rest);
  return parts;
}

/** A table longer than `limit`, cut between rows; every part after the first starts with the header row again. */
function cutTable(u: Unit, limit: number): Unit[] {
  const [header, ...rows] = u.lines as [string, ...string[]];
  const withHeader = (header.endsWith('\n') ? header : `${header}\n`).length <= limit / 2;
  const parts: Unit[] = [];
  let current: string[] = [header];
  let size = header.length;
  for (const row of rows) {
    if (size + row.length > limit && current.length > (parts.length === 0 || withHeader ? 1 : 0)) {
      parts.push({ page: u.page, lines: current, table: true });
      current = withHeader ? [header.endsWith('\n') ? header : `${header}\n`] : [];
      size = current.reduce((n, l) => n + l.length, 0);
    }
    current.push(row);
    size += row.length;
  }
  parts.push({ page: u.page, lines: current, table: true });
  // A single row longer than the limit is cut like any long line.
  return parts.flatMap((p) =>
    unitLength(p) <= limit ? [p] : p.lines.flatMap((l) => cutLine(l, limit).map((s) => ({ page: u.page, lines: [s], table: false }))),
  );
}

/** Units no longer than `limit`: long tables cut between rows, long lines cut at blanks. */
function fitUnits(units: Unit[], limit: number): Unit[] {
  return units.flatMap((u) => {
    if (unitLength(u) <= limit) return [u];
    if (u.table) return cutTable(u, limit);
    return cutLine(unitText(u), limit).map((s) => ({ page: u.page, lines: [s], table: false }));
  });
}

/** Consecutive units of the same page joined back into page texts. */
function toPages(units: Unit[]): PageText[] {
  const out: PageText[] = [];
  for (const u of units) {
    const last = out[out.length - 1];
    if (last && last.page === u.page) last.text += unitText(u);
    else out.push({ page: u.page, text: unitText(u) });
  }
  return out;
}

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
    // A page too long for one chunk: its units packed into parts; every part but the last fills a chunk of
    // its own, the last may share its chunk with the following pages.
    flush();
    const parts: Unit[][] = [];
    let part: Unit[] = [];
    let partSize = 0;
    for (const u of fitUnits(pageUnits(page), limit)) {
      const n = unitLength(u);
      if (partSize + n > limit && part.length > 0) {
        parts.push(part);
        part = [];
        partSize = 0;
      }
      part.push(u);
      partSize += n;
    }
    if (part.length > 0) parts.push(part);
    parts.forEach((p, i) => {
      const text = p.map(unitText).join('');
      if (i < parts.length - 1) chunks.push([{ page: page.page, text }]);
      else {
        current.push({ page: page.page, text });
        size = text.length;
      }
    });
  }
  flush();
  return chunks;
}

/** A chunk shorter than this is not halved: an answer to so little text that does not fit will not fit in halves either. */
export const MIN_HALVE_CHARS = 200;

/**
 * One chunk cut in two of about equal size, or null when it cannot be cut (shorter than `minChars`). The cut is
 * at a page boundary or between units; a table is cut between rows (its header row repeated) only when it
 * is too big for a balanced cut around it.
 */
export function halveChunk(pages: readonly PageText[], minChars = MIN_HALVE_CHARS): [PageText[], PageText[]] | null {
  let units = pages.flatMap((p) => pageUnits(p));
  const total = units.reduce((n, u) => n + unitLength(u), 0);
  if (total === 0 || total < minChars) return null;
  const bestCut = (us: Unit[]): { at: number; smaller: number } => {
    let best = { at: 0, smaller: 0 };
    let left = 0;
    for (let i = 1; i < us.length; i++) {
      left += unitLength(us[i - 1]!);
      const smaller = Math.min(left, total - left);
      if (smaller > best.smaller) best = { at: i, smaller };
    }
    return best;
  };
  let cut = bestCut(units);
  if (cut.smaller < total / 4) {
    // Unbalanced: the biggest unit is most of the chunk. Cut it in two (a table between rows, a line at a blank).
    let big = 0;
    units.forEach((u, i) => {
      if (unitLength(u) > unitLength(units[big]!)) big = i;
    });
    const u = units[big]!;
    const half = Math.ceil(unitLength(u) / 2);
    let pieces: Unit[];
    if (u.table && u.lines.length >= 3) {
      // Halve the rows: the first piece gets the header and the first half of the rows.
      pieces = cutTable(u, Math.max(half + u.lines[0]!.length, 1));
      if (pieces.length > 2)
        pieces = [
          pieces[0]!,
          { ...pieces[1]!, lines: [u.lines[0]!.endsWith('\n') ? u.lines[0]! : `${u.lines[0]!}\n`, ...pieces.slice(1).flatMap((p) => p.lines.slice(1))] },
        ];
    } else if (u.lines.length > 1) {
      const mid = Math.ceil(u.lines.length / 2);
      pieces = [
        { ...u, lines: u.lines.slice(0, mid) },
        { ...u, lines: u.lines.slice(mid) },
      ];
    } else {
      pieces = cutLine(unitText(u), half + 1).map((s) => ({ page: u.page, lines: [s], table: false }));
    }
    if (pieces.length >= 2) {
      units = [...units.slice(0, big), ...pieces, ...units.slice(big + 1)];
      cut = bestCut(units);
    }
  }
  if (cut.at === 0) return null;
  return [toPages(units.slice(0, cut.at)), toPages(units.slice(cut.at))];
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

type Item = Record<string, unknown> & { confidence: number };

/**
 * The fields that make two items of a section the same item (a field a schema version lacks counts as
 * empty). A diagnosis is its ICD-10 code when it has one, else its description. A section not named here
 * compares every value field.
 */
const KEY_FIELDS: Partial<Record<string, readonly string[]>> = {
  lab_results: ['test', 'value', 'collected_at'],
  medications: ['name', 'strength'],
  vitals: ['name', 'value', 'taken_at'],
  procedures: ['name', 'code', 'date'],
  allergies: ['substance'],
  immunizations: ['vaccine', 'date'],
  claim_lines: ['service_date', 'code', 'modifier', 'units', 'charge'],
};
const NOT_VALUES = new Set(['evidence', 'confidence', 'reasons']);

function itemKey(section: string, item: Item): string {
  if (section === 'diagnoses') return item.icd10 ? `icd:${k(item.icd10)}` : `desc:${k(item.description)}`;
  const fields = KEY_FIELDS[section] ?? Object.keys(item).filter((f) => !NOT_VALUES.has(f));
  return fields.map((f) => k(item[f])).join('|');
}

function pickField<T>(fields: Array<Field<T> | undefined>): Field<T> {
  let best: Field<T> | null = null;
  for (const f of fields) {
    if (!f || f.value === null || f.value === undefined) continue;
    if (best === null || f.confidence > best.confidence) best = f;
  }
  return best ? structuredClone(best) : { evidence: null, value: null, confidence: 0 };
}

function dedupe(section: string, items: Item[]): Item[] {
  const out: Item[] = [];
  const index = new Map<string, number>();
  for (const item of items) {
    const id = itemKey(section, item);
    const at = index.get(id);
    if (at === undefined) {
      index.set(id, out.length);
      out.push(structuredClone(item));
    } else if (item.confidence > out[at]!.confidence) {
      out[at] = structuredClone(item);
    }
  }
  return out;
}

export function mergeExtractions(parts: Extraction[]): Extraction {
  const merged = emptyExtraction();
  if (parts.length === 0) return merged;
  const target = merged as unknown as Record<string, unknown>;
  const sources = parts as unknown as Array<Record<string, unknown>>;
  // Every group of single-valued fields (document, patient, ...), whatever the schema version has.
  for (const [group, fields] of Object.entries(target)) {
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) continue;
    const out = fields as Record<string, Field<unknown>>;
    for (const name of Object.keys(out)) {
      out[name] = pickField(sources.map((p) => (p[group] as Record<string, Field<unknown>> | undefined)?.[name]));
    }
  }
  for (const section of LIST_SECTIONS as readonly ListSection[]) {
    target[section] = dedupe(
      section,
      sources.flatMap((p) => (p[section] as Item[] | undefined) ?? []),
    );
  }
  return merged;
}
