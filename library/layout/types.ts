/**
 * Pages of positioned words, the one input of the layout mechanisms, and what they build from it.
 *
 * Coordinates are page units (points for a PDF text layer, pixels for OCR), origin at the top left of
 * the page as displayed, y growing downwards. Every output keeps the page and the boxes it came from,
 * so an extractor can cite it.
 */

/** A rectangle: x0,y0 top left, x1,y1 bottom right. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface LayoutWord extends Box {
  text: string;
  /** 0–100 when the word was recognised (OCR); absent for a text layer. */
  confidence?: number;
  /** Font size (em height) when the producer knows it; otherwise the box height stands for it. */
  size?: number;
  /** Bold type, when the producer knows it. */
  bold?: boolean;
}

export interface LayoutPage {
  /** Page number, from 1. */
  page: number;
  width: number;
  height: number;
  words: LayoutWord[];
}

/** Words of one line that sit together: a line splits into cells at gaps wider than about a font size. */
export interface LayoutCell extends Box {
  text: string;
  words: LayoutWord[];
}

export type Furniture = 'header' | 'footer';

/** One visual line: words whose baselines agree (a slight skew is followed), left to right. */
export interface LayoutLine extends Box {
  page: number;
  /** Index of the line in its page's reading order. */
  index: number;
  /** The cells' text joined by two spaces (the project's column-gap convention). */
  text: string;
  words: LayoutWord[];
  cells: LayoutCell[];
  /** Typical font size of the line's words. */
  size: number;
  bold: boolean;
  /** Set when the line repeats on other pages at the same place (running header/footer, page number). */
  furniture?: Furniture;
  /** 0 for a full-width line or the left column of a two-column region, 1 for the right column. */
  column: number;
}

export interface LayoutColumn extends Box {
  /** The header text ('' when the table has no header line). */
  header: string;
}

export interface LayoutTableCell {
  /** The column's header text. */
  column: string;
  /** The cell's text, its wrapped lines joined by one space ('' for an empty cell). */
  text: string;
  /** Where it is on the page; undefined for an empty cell. */
  box?: Box;
}

export interface LayoutRow {
  page: number;
  /** One entry per column of the table, in column order. */
  cells: LayoutTableCell[];
  box: Box;
  /** The printed lines the row was read from (evidence). */
  lines: LayoutLine[];
}

export interface LayoutTable {
  /** The heading just above the table (possibly on the previous page), when there is one. */
  title?: LayoutLine;
  columns: LayoutColumn[];
  /** The header line(s) (one per page when the header is repeated after a page break). */
  headerLines: LayoutLine[];
  rows: LayoutRow[];
  /** Pages the table runs over, in order. */
  pages: number[];
}

export interface KeyValue {
  page: number;
  label: string;
  value: string;
  labelBox: Box;
  valueBox: Box;
  /** Further cells on the value's line after it, up to the next label (a unit, a range, a flag), each its own column. */
  after?: string[];
  /** How the value was found relative to its label. */
  placement: 'right' | 'inline' | 'below' | 'below-gap' | 'boxed' | 'caption';
  /** The printed line(s) of label and value (evidence). */
  lines: LayoutLine[];
}

export type SectionEnd = 'heading' | 'table-start' | 'table-end' | 'end';

export interface Section {
  /** The heading line; undefined for content before the first heading or after a layout change. */
  heading?: LayoutLine;
  /** The heading's text without a trailing colon ('' when there is no heading). */
  title: string;
  /** Body lines in reading order (no heading, no running headers/footers). */
  lines: LayoutLine[];
  /** Tables whose rows lie inside this section (indexes into the document's tables). */
  tables: number[];
  pages: number[];
  /** Why the section stops where it does. */
  end: SectionEnd;
}
