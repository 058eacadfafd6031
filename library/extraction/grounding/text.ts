/**
 * Text support: a value written as text (a name, a test, a substance) is supported by its quote when the
 * quote holds the same letters and digits, ignoring case, accents, punctuation and spacing, or when every
 * word of the value appears among the quote's words (so "Doe, John" is supported by "John Doe").
 */
import { normaliseForMatch } from '../match-text.js';

/** Lower-case letters and digits of `s` with accents removed, words separated by single spaces. */
export function words(s: string): string[] {
  return normaliseForMatch(s)
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

/**
 * Characters OCR engines confuse, folded to one form. Applied to both sides, and only for text read by
 * OCR: on a text-layer page a "0" for an "O" is a real difference.
 */
const OCR_FOLDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/rn/g, 'm'],
  [/vv/g, 'w'],
  [/[0o]/g, 'o'],
  [/[1il|!]/g, 'l'],
  [/5/g, 's'],
  [/8/g, 'b'],
];

function ocrFold(s: string): string {
  let out = s;
  for (const [re, to] of OCR_FOLDS) out = out.replace(re, to);
  return out;
}

export interface TextMatchOptions {
  /** The quote comes from OCR: tolerate the engine's typical letter/digit confusions. */
  ocr?: boolean;
}

/** Whether the text `value` is supported by `quote` (see the module comment). Empty values are supported. */
export function textInQuote(value: string, quote: string, opts: TextMatchOptions = {}): boolean {
  const v = words(value);
  if (v.length === 0) return true;
  const q = words(quote);
  const fold = opts.ocr ? ocrFold : (s: string) => s;
  const compactQuote = fold(q.join(''));
  if (compactQuote.includes(fold(v.join('')))) return true;
  const quoteWords = new Set(q.map(fold));
  return v.every((w) => quoteWords.has(fold(w)));
}

/**
 * An identifier (MRN, ICD-10 code) is supported when its letters and digits occur in the quote in the same
 * order, whatever separators either side uses; on an OCR page O/0 and I/l/1 are not told apart.
 */
export function identifierInQuote(value: string, quote: string, opts: TextMatchOptions = {}): boolean {
  const compact = (s: string) => words(s).join('');
  const fold = (s: string) => (opts.ocr ? s.replace(/o/g, '0').replace(/[il|]/g, '1') : s);
  const v = fold(compact(value));
  if (v === '') return true;
  return fold(compact(quote)).includes(v);
}
