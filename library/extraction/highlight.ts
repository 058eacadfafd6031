/**
 * Where a quote sits on a page: the boxes of the words that spell it, for the result view's highlight.
 *
 * Words are first put in visual reading order (lines top to bottom, words left to right), the order
 * the stored page text has: OCR reads table columns as separate blocks and text layers list runs in
 * drawing order, but a quote follows the printed line. They are then compared in the same normalised
 * form as evidence verification (evidence.ts), first with
 * single spaces between words and then with no spaces at all, because OCR and text layers split
 * words differently from how a model quotes them ("13.2 g/dL" vs "13.2g/dL"). Words that match are
 * merged into one box per visual line.
 */
import type { PageBox, PageWord } from '../pdf/preview.js';
import { normaliseForMatch } from './evidence.js';

/** At most this many places are marked when a quote occurs more than once on the page. */
export const MAX_OCCURRENCES = 5;

interface Spelled {
  text: string;
  /** For each word, its [start, end) in `text`. */
  spans: Array<[number, number]>;
}

function spell(words: readonly string[], separator: string): Spelled {
  let text = '';
  const spans: Array<[number, number]> = [];
  for (const w of words) {
    if (w === '') {
      spans.push([text.length, text.length]);
      continue;
    }
    if (text !== '') text += separator;
    spans.push([text.length, text.length + w.length]);
    text += w;
  }
  return { text, spans };
}

/** Word indexes covered by each non-overlapping occurrence of `needle` in `hay`. */
function occurrences(hay: Spelled, needle: string): number[][] {
  const found: number[][] = [];
  if (needle === '') return found;
  for (let at = hay.text.indexOf(needle); at !== -1 && found.length < MAX_OCCURRENCES; at = hay.text.indexOf(needle, at + needle.length)) {
    const end = at + needle.length;
    const hit: number[] = [];
    hay.spans.forEach(([s, e], i) => {
      if (e > s && s < end && e > at) hit.push(i);
    });
    if (hit.length) found.push(hit);
  }
  return found;
}

/** One box per visual line of the given words (words on a line overlap vertically). */
function lineBoxes(boxes: readonly PageBox[]): PageBox[] {
  const lines: PageBox[] = [];
  for (const b of boxes) {
    const line = lines.find((l) => Math.min(l.y1, b.y1) - Math.max(l.y0, b.y0) > 0.5 * Math.min(l.y1 - l.y0, b.y1 - b.y0));
    if (line) {
      line.x0 = Math.min(line.x0, b.x0);
      line.y0 = Math.min(line.y0, b.y0);
      line.x1 = Math.max(line.x1, b.x1);
      line.y1 = Math.max(line.y1, b.y1);
    } else {
      lines.push({ ...b });
    }
  }
  return lines;
}

/**
 * Words grouped into visual lines, each left to right. A word joins the current line when its vertical
 * centre is within half a line height of the line's centre (the taller of the two, so a dash or a dot
 * with a tiny box still joins its line).
 */
export function inReadingOrder(words: readonly PageWord[]): PageWord[] {
  const byCentre = [...words].sort((a, b) => a.box.y0 + a.box.y1 - (b.box.y0 + b.box.y1));
  const lines: Array<{ words: PageWord[]; centreSum: number; height: number }> = [];
  for (const w of byCentre) {
    const c = (w.box.y0 + w.box.y1) / 2;
    const h = w.box.y1 - w.box.y0;
    const line = lines.at(-1);
    if (line && Math.abs(c - line.centreSum / line.words.length) <= 0.5 * Math.max(h, line.height)) {
      line.words.push(w);
      line.centreSum += c;
      line.height = Math.max(line.height, h);
    } else {
      lines.push({ words: [w], centreSum: c, height: h });
    }
  }
  return lines.flatMap((line) => line.words.sort((a, b) => a.box.x0 - b.box.x0));
}

/** The boxes that mark `quote` on a page with these words; empty when it cannot be located. */
export function quoteBoxes(pageWords: readonly PageWord[], quote: string): PageBox[] {
  const words = inReadingOrder(pageWords);
  const normalisedWords = words.map((w) => normaliseForMatch(w.text));
  const q = normaliseForMatch(quote);
  let hits = occurrences(spell(normalisedWords, ' '), q);
  if (hits.length === 0) {
    hits = occurrences(
      spell(
        normalisedWords.map((w) => w.replace(/ /g, '')),
        '',
      ),
      q.replace(/ /g, ''),
    );
  }
  return hits.flatMap((hit) => lineBoxes(hit.map((i) => words[i]!.box)));
}
