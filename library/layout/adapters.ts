/**
 * What the project already produces, as LayoutPages: the PDF text layer's placed items (runs, not
 * words: a run is split into words with x positions shared by character count), tesseract / stored
 * OCR words (pixel boxes), and the result view's page words (fractions of the page).
 */
import type { PlacedItem } from '../pdf/text-layer.js';
import type { LayoutPage, LayoutWord } from './types.js';

/** A PDF baseline sits this far (in font sizes) below the top of the em box, and this far above its bottom. */
const ASCENT = 0.8;
const DESCENT = 0.2;

/**
 * Words of placed text-layer items. Only upright text (orientation 0) is taken: text rotated against
 * the page (margin notes) is not part of its layout. A run's width is shared among its characters, so a
 * word's box is close to the printed one (exact for monospace, within a character otherwise).
 */
export function wordsFromPlacedItems(items: readonly PlacedItem[], opts: { bold?: (index: number) => boolean } = {}): LayoutWord[] {
  const words: LayoutWord[] = [];
  items.forEach((item, index) => {
    if (item.orientation !== 0) return;
    const chars = [...item.str];
    if (chars.length === 0) return;
    const charW = item.width / chars.length;
    const y0 = item.y - ASCENT * item.size;
    const y1 = item.y + DESCENT * item.size;
    const bold = opts.bold?.(index);
    // Private-use glyphs (drawn check boxes, icons) carry no text: they separate words like a space.
    for (const m of item.str.matchAll(/[^\s\p{Co}]+/gu)) {
      const start = [...item.str.slice(0, m.index)].length;
      const len = [...m[0]].length;
      const w: LayoutWord = { text: m[0], x0: item.x + start * charW, y0, x1: item.x + (start + len) * charW, y1, size: item.size };
      if (bold) w.bold = true;
      words.push(w);
    }
  });
  return words;
}

export function pageFromPlacedItems(page: number, width: number, height: number, items: readonly PlacedItem[]): LayoutPage {
  return { page, width, height, words: wordsFromPlacedItems(items) };
}

/** An OCR word as tesseract gives it and as the OCR activity stores it (`pages.words`). */
export interface BoxedWord {
  text: string;
  confidence?: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}

/**
 * OCR words (pixel boxes of the recognised image) as a LayoutPage in pixels. Accepts the stored
 * `pages.words` JSON as it is (unknown), skipping anything that is not a word with a finite box.
 */
export function pageFromOcrWords(page: number, widthPx: number, heightPx: number, words: unknown): LayoutPage {
  const out: LayoutWord[] = [];
  if (Array.isArray(words)) {
    for (const w of words as Array<Partial<BoxedWord>>) {
      const b = w?.bbox;
      if (typeof w?.text !== 'string' || w.text.trim() === '' || !b) continue;
      const [x0, y0, x1, y1] = [b.x0, b.y0, b.x1, b.y1].map(Number) as [number, number, number, number];
      if (![x0, y0, x1, y1].every(Number.isFinite) || x1 <= x0 || y1 <= y0) continue;
      const word: LayoutWord = { text: w.text.trim(), x0, y0, x1, y1 };
      if (typeof w.confidence === 'number' && Number.isFinite(w.confidence)) word.confidence = w.confidence;
      out.push(word);
    }
  }
  return { page, width: widthPx, height: heightPx, words: out };
}

/** The OCR pages among `pages` (as stores/jobs.ts ocrPageWords gives them) as LayoutPages, for `wanted` page numbers. */
export function ocrLayoutPages(
  pages: ReadonlyArray<{ page: number; words: unknown; width: number; height: number }>,
  wanted: ReadonlySet<number>,
): LayoutPage[] {
  return pages.filter((p) => wanted.has(p.page)).map((p) => pageFromOcrWords(p.page, p.width, p.height, p.words));
}

/**
 * Words with boxes as fractions of the page (the result view's PageWord) as a LayoutPage in the page's
 * own units (`width` × `height`, e.g. points), so that font-relative thresholds keep their meaning.
 */
export function pageFromFractionWords(
  page: number,
  width: number,
  height: number,
  words: ReadonlyArray<{ text: string; box: { x0: number; y0: number; x1: number; y1: number } }>,
): LayoutPage {
  return {
    page,
    width,
    height,
    words: words
      .filter((w) => w.text.trim() !== '')
      .map((w) => ({ text: w.text.trim(), x0: w.box.x0 * width, y0: w.box.y0 * height, x1: w.box.x1 * width, y1: w.box.y1 * height })),
  };
}
