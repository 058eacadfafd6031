/**
 * Layout analysis of pages of positioned words (the PDF text layer or OCR): lines and cells, running
 * headers/footers, two-column reading order, tables rebuilt from column alignment, key–value pairs by
 * geometry, and sections. Pure: no I/O beyond `readLayoutPages` (which reads a PDF's text layer).
 */
import { markFurniture } from './furniture.js';
import { median, wordSize } from './geometry.js';
import { findKeyValues, type KeyValueOptions } from './key-values.js';
import { buildLines } from './lines.js';
import { orderColumns } from './reading-order.js';
import { findSections } from './sections.js';
import { findTables, tableLines } from './tables.js';
import type { KeyValue, LayoutLine, LayoutPage, LayoutTable, Section } from './types.js';

export * from './types.js';
export { ocrLayoutPages, pageFromFractionWords, pageFromOcrWords, pageFromPlacedItems, wordsFromPlacedItems, type BoxedWord } from './adapters.js';
export { readLayoutPages, type ReadLayoutOptions } from './pdf.js';
export { buildLines, makeLine, LINE_RULES } from './lines.js';
export { markFurniture, furnitureKey, similarity, FURNITURE_RULES } from './furniture.js';
export { orderColumns, COLUMN_RULES } from './reading-order.js';
export { findTables, tableLines, isHeaderLike, TABLE_RULES } from './tables.js';
export { findKeyValues, KV_RULES, type KeyValueOptions } from './key-values.js';
export { findSections } from './sections.js';
export { isHeading, headingTitle, isAllCaps, HEADING_RULES } from './headings.js';
export { BOLD_FONT_NAMES, CONTINUED_MARKERS, KNOWN_LABELS, PAGE_NUMBER_SHAPES } from './vocabulary.js';

export interface LayoutOptions extends KeyValueOptions {
  pageNumberShapes?: readonly string[];
}

export interface LayoutDocument {
  pages: LayoutPage[];
  /** Every page's lines in reading order, running headers/footers included (marked). */
  lines: LayoutLine[][];
  /** All pages' lines in reading order without running headers/footers. */
  body: LayoutLine[];
  /** Typical font size of the document's words. */
  bodySize: number;
  tables: LayoutTable[];
  /** Pairs found outside tables. */
  keyValues: KeyValue[];
  sections: Section[];
}

/** Run every layout mechanism over a document's pages. */
export function analyseLayout(pages: readonly LayoutPage[], opts: LayoutOptions = {}): LayoutDocument {
  const sorted = [...pages].sort((a, b) => a.page - b.page);
  const raw = sorted.map(buildLines);
  markFurniture(sorted, raw, { pageNumberShapes: opts.pageNumberShapes });
  const lines = sorted.map((p, i) => orderColumns(p, raw[i]!));
  const body = lines.flat().filter((l) => !l.furniture);
  const bodySize = median(sorted.flatMap((p) => p.words.map(wordSize)));
  const tables = findTables(body, { bodySize });
  const tableOf = tableLines(tables);
  const free = body.filter((l) => !tableOf.has(l));
  const keyValues = sorted.flatMap((p) =>
    findKeyValues(
      free.filter((l) => l.page === p.page),
      { bodySize, ...opts },
    ),
  );
  const sections = findSections(body, tables, tableOf, bodySize);
  return { pages: sorted, lines, body, bodySize, tables, keyValues, sections };
}
