/**
 * The PDF's own text layer, as plain text per page.
 *
 * Text format contract (other modules — evidence checking, the offline extractor — rely on it):
 * - one visual line per output line, lines joined by '\n', top to bottom (no blank lines added), except
 *   that where two columns of text are set side by side (columns.ts) their lines are split at the gutter
 *   and the left column is read before the right one;
 * - a visual line is the text items whose baselines agree within a tolerance (~0.45 × font size),
 *   ordered left to right;
 * - items on a line are separated by ONE space, or by TWO spaces when the horizontal gap is wider than
 *   ~1.5 average character widths (a column gap: "Hemoglobin  13.2  g/dL"); fragments that touch
 *   (gap under ~0.15 character widths, e.g. a word split by a font or kerning change) are joined
 *   without a space;
 * - whitespace inside an item is normalised the same way (a run of 2+ blanks/tabs → two spaces,
 *   one blank → one space); control characters are dropped; no leading/trailing blanks on a line;
 * - text rotated by 90/180/270° relative to the page (margin notes, rotated tables) is laid out in
 *   its own reading direction and appended after the page's dominant orientation;
 * - text that a viewer shows on the page but that is not page content is included at its place:
 *   form-field values (text and choice fields; checked check boxes / radio buttons as "[X]") and
 *   FreeText ("typewriter") annotations — filled-in forms keep their values there. Comments (sticky
 *   notes, popups), stamps and ink (hand-drawn marks) carry no text and are left out;
 * - pages are numbered from 1; coordinates follow the page as displayed (after /Rotate).
 */
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFPageProxy, TextItem } from 'pdfjs-dist/types/src/display/api.js';
import type { PageText } from '../../core/contract/extraction.js';
import { PipelineError } from '../../core/errors.js';
import { closePdf, getPageChecked, openPdf, TIMEOUTS, type OpenPdfOptions } from './open.js';
import { withTimeout } from '../../core/with-timeout.js';
import { readColumns } from './columns.js';

/** A text item placed in upright display coordinates (y grows downwards, baseline y). */
export interface PlacedItem {
  str: string;
  /** Start of the item along its reading direction. */
  x: number;
  /** Baseline position across its reading direction (grows downwards). */
  y: number;
  /** Advance width along the reading direction. */
  width: number;
  /** Font size (em height) in display units. */
  size: number;
  /** Reading direction in multiples of 90° clockwise from left-to-right (0..3). */
  orientation: 0 | 1 | 2 | 3;
}

/** Gap (in average character widths) above which two items are treated as separate columns. */
export const COLUMN_GAP_CHARS = 1.5;
/** Gap (in average character widths) below which two items are glued together without a space. */
export const TOUCH_GAP_CHARS = 0.15;
/** Overlap (in average character widths) beyond which two items are distinct runs, not kerning. */
export const OVERLAP_GAP_CHARS = 0.5;
/** Baselines closer than this fraction of the (smaller) font size belong to the same visual line. */
export const LINE_TOLERANCE = 0.45;

/** Collapse whitespace inside an item per the contract and drop control characters. */
export function normaliseItemText(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex -- control characters are what this strips
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u00AD]/g, '')
      .replace(/[ \t\r\n\u00A0\u2000-\u200B\u3000]{2,}|\t/g, '  ')
      .replace(/[\r\n\u00A0\u2000-\u200B\u3000]/g, ' ')
  );
}

type Matrix = [number, number, number, number, number, number];

function isTextItem(item: unknown): item is TextItem {
  return typeof item === 'object' && item !== null && typeof (item as TextItem).str === 'string' && Array.isArray((item as TextItem).transform);
}

/**
 * Place pdfjs text items in upright display space.
 * @param viewportTransform the page viewport's transform at scale 1 (`page.getViewport({ scale: 1 }).transform`),
 *   which applies the page's /Rotate and flips y so it grows downwards.
 */
export function placeItems(items: readonly unknown[], viewportTransform: readonly number[]): PlacedItem[] {
  const vt = viewportTransform.slice(0, 6) as Matrix;
  const out: PlacedItem[] = [];
  for (const item of items) {
    if (!isTextItem(item)) continue;
    const str = normaliseItemText(item.str);
    if (str.trim() === '') continue;
    const t = item.transform.slice(0, 6).map(Number) as Matrix;
    if (t.some((v) => !Number.isFinite(v))) continue;
    const m = pdfjs.Util.transform(vt, t) as Matrix;
    const angle = Math.atan2(m[1], m[0]);
    const q = ((Math.round(angle / (Math.PI / 2)) % 4) + 4) % 4;
    const orientation = q as 0 | 1 | 2 | 3;
    const b = (orientation * Math.PI) / 2;
    const cos = Math.round(Math.cos(b));
    const sin = Math.round(Math.sin(b));
    // Rotate display coordinates so that this item's reading direction points along +x.
    const x = m[4] * cos + m[5] * sin;
    const y = -m[4] * sin + m[5] * cos;
    const size = Math.hypot(m[2], m[3]) || Math.abs(item.height) || 1;
    // item.width is the advance in unscaled user space; the viewport is at scale 1.
    const width = Math.abs(item.width) || size * 0.5 * str.length;
    out.push({ str, x, y, width, size, orientation });
  }
  return out;
}

function avgCharWidth(it: PlacedItem): number {
  const n = [...it.str].length;
  return n > 0 ? it.width / n : it.size * 0.5;
}

/** Join the items of one visual line (already sorted by x) into text. */
function joinLine(line: PlacedItem[]): string {
  let text = '';
  let prev: PlacedItem | undefined;
  for (const it of line) {
    if (prev === undefined) {
      text = it.str.trimStart();
      prev = it;
      continue;
    }
    const prevEnd = prev.x + prev.width;
    // Same string drawn twice at (almost) the same place: fake bold / shadow text.
    if (it.str === prev.str && Math.abs(it.x - prev.x) < Math.max(1, prev.size * 0.1)) continue;
    const charW = Math.max((avgCharWidth(prev) + avgCharWidth(it)) / 2, 0.1);
    const gap = it.x - prevEnd;
    let sep: string;
    if (gap > COLUMN_GAP_CHARS * charW) sep = '  ';
    else if (gap > TOUCH_GAP_CHARS * charW) sep = ' ';
    // Clearly overlapping items are distinct runs (e.g. a wrapped cell running into the next one).
    else if (gap < -OVERLAP_GAP_CHARS * charW) sep = ' ';
    else sep = '';
    const piece = it.str;
    if (sep === '') {
      text += piece;
    } else {
      text = text.replace(/ +$/, '') + sep + piece.trimStart();
    }
    if (it.x + it.width >= prevEnd || sep !== '') prev = it;
  }
  return text.replace(/ +$/, '');
}

/** Group placed items into visual lines and lay them out per the text format contract. */
export function layoutItems(placed: readonly PlacedItem[]): string {
  if (placed.length === 0) return '';
  const byOrientation = new Map<number, PlacedItem[]>();
  const charsByOrientation = new Map<number, number>();
  for (const it of placed) {
    const list = byOrientation.get(it.orientation) ?? [];
    list.push(it);
    byOrientation.set(it.orientation, list);
    charsByOrientation.set(it.orientation, (charsByOrientation.get(it.orientation) ?? 0) + it.str.length);
  }
  // Dominant orientation first, then the others (0, 1, 2, 3 order among ties).
  const orientations = [...byOrientation.keys()].sort((a, b) => (charsByOrientation.get(b) ?? 0) - (charsByOrientation.get(a) ?? 0) || a - b);
  const lines: string[] = [];
  for (const o of orientations) {
    const items = [...(byOrientation.get(o) ?? [])].sort((a, b) => a.y - b.y || a.x - b.x);
    const visual: PlacedItem[][] = [];
    let current: PlacedItem[] = [];
    let baseline = 0;
    let size = 0;
    const flush = (): void => {
      if (current.length === 0) return;
      visual.push(current.sort((a, b) => a.x - b.x));
      current = [];
    };
    for (const it of items) {
      if (current.length > 0 && Math.abs(it.y - baseline) <= LINE_TOLERANCE * Math.min(size, it.size)) {
        current.push(it);
        // Running mean baseline, weighted towards the bigger text on the line.
        baseline = (baseline * (current.length - 1) + it.y) / current.length;
        size = Math.max(size, it.size);
      } else {
        flush();
        current = [it];
        baseline = it.y;
        size = it.size;
      }
    }
    flush();
    for (const line of readColumns(visual, isColumnGap)) {
      const text = joinLine(line);
      if (text.trim() !== '') lines.push(text.trim());
    }
  }
  return lines.join('\n');
}

/** Whether the gap between two items on a line is a column gap (see joinLine). */
function isColumnGap(a: PlacedItem, b: PlacedItem): boolean {
  return b.x - (a.x + a.width) > COLUMN_GAP_CHARS * Math.max((avgCharWidth(a) + avgCharWidth(b)) / 2, 0.1);
}

/** Lay out a pdfjs `getTextContent()` result for a page. */
export function textContentToString(items: readonly unknown[], viewportTransform: readonly number[]): string {
  return layoutItems(placeItems(items, viewportTransform));
}

/** What we use of a pdfjs annotation (`page.getAnnotations()`). */
export interface AnnotationLike {
  subtype?: string;
  rect?: number[];
  hidden?: boolean;
  noView?: boolean;
  fieldType?: string;
  fieldValue?: unknown;
  exportValue?: unknown;
  buttonValue?: unknown;
  checkBox?: boolean;
  radioButton?: boolean;
  pushButton?: boolean;
  textContent?: unknown;
  contentsObj?: { str?: unknown };
}

/**
 * Text shown by annotations (form-field values, FreeText), as pdfjs-like text items placed at the
 * annotation's rectangle, one item per line of text.
 */
export function annotationTextItems(annotations: readonly AnnotationLike[]): Array<{ str: string; transform: number[]; width: number; height: number }> {
  const out: Array<{ str: string; transform: number[]; width: number; height: number }> = [];
  for (const a of annotations) {
    if (a.hidden || a.noView || !Array.isArray(a.rect) || a.rect.length < 4) continue;
    const [rx0, ry0, rx1, ry1] = a.rect.map(Number) as [number, number, number, number];
    if (![rx0, ry0, rx1, ry1].every(Number.isFinite)) continue;
    const x0 = Math.min(rx0, rx1);
    const x1 = Math.max(rx0, rx1);
    const top = Math.max(ry0, ry1);
    const boxH = Math.abs(ry1 - ry0);
    let lines: string[] = [];
    if (a.subtype === 'FreeText') {
      const tc = Array.isArray(a.textContent) ? a.textContent.filter((t): t is string => typeof t === 'string') : [];
      lines = tc.length ? tc : typeof a.contentsObj?.str === 'string' ? a.contentsObj.str.split(/\r\n|\r|\n/) : [];
    } else if (a.subtype === 'Widget') {
      if (a.fieldType === 'Tx' || a.fieldType === 'Ch') {
        const v = a.fieldValue;
        const values = Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
        lines = values.join(a.fieldType === 'Ch' ? ', ' : '\n').split(/\r\n|\r|\n/);
      } else if (a.fieldType === 'Btn' && !a.pushButton) {
        const on = a.checkBox ? a.exportValue : a.radioButton ? a.buttonValue : undefined;
        if (on !== undefined && on !== 'Off' && a.fieldValue === on) lines = ['[X]'];
      }
    }
    lines = lines.map((l) => l.trim()).filter((l) => l !== '');
    if (lines.length === 0) continue;
    const lineH = Math.max(Math.min(boxH / lines.length, 40), 4);
    const size = lineH * 0.8;
    lines.forEach((str, i) => {
      const baseline = top - (i + 1) * lineH + lineH * 0.2;
      const width = Math.min(Math.max(x1 - x0 - 2, size), [...str].length * size * 0.55);
      out.push({ str, transform: [size, 0, 0, size, x0 + 1, baseline], width, height: size });
    });
  }
  return out;
}

/** Read one page's text layer, including annotation text (timeout-guarded). */
export async function readPageText(page: PDFPageProxy): Promise<string> {
  const viewport = page.getViewport({ scale: 1 });
  const what = `reading the text of page ${page.pageNumber}`;
  const [content, annotations] = await Promise.all([
    withTimeout(page.getTextContent(), TIMEOUTS.textContentMs, what),
    // Annotations are extra: a damaged annotation must not cost us the page text.
    withTimeout(page.getAnnotations({ intent: 'display' }), TIMEOUTS.textContentMs, what).catch((err: unknown) => {
      if (err instanceof PipelineError) throw err;
      return [];
    }),
  ]);
  const items = [...content.items, ...annotationTextItems(annotations as AnnotationLike[])];
  return textContentToString(items, viewport.transform);
}

/**
 * Read the text layer of every page. Validates the file like `openPdf` (typed errors) and always
 * releases the document. Pages without a text layer yield `text: ''`.
 */
export async function readTextLayer(bytes: Uint8Array, opts: { password?: string; maxPages?: number } = {}): Promise<PageText[]> {
  const openOpts: OpenPdfOptions = { password: opts.password, maxPages: opts.maxPages ?? Number.MAX_SAFE_INTEGER };
  const doc = await openPdf(bytes, openOpts);
  try {
    const pages: PageText[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await getPageChecked(doc, n);
      try {
        pages.push({ page: n, text: await readPageText(page) });
      } finally {
        page.cleanup();
      }
    }
    return pages;
  } catch (err) {
    if (err instanceof PipelineError) throw err;
    throw new PipelineError('InvalidPdf', 'The PDF text could not be read: the file is damaged.', { cause: err });
  } finally {
    await closePdf(doc);
  }
}
