/**
 * How sure the OCR engine was of a quote: the quote is located among the page's OCR words (the same
 * normalisation as the evidence check, punctuation aside) and the confidence of the words it covers is
 * averaged. A quote that cannot be located word by word has no OCR confidence (null).
 */
import { words as wordsOf } from './text.js';

export interface OcrWord {
  text: string;
  confidence: number;
}

/** Mean confidence (0–100) of the page's OCR words that the quote covers; null when not located. */
export function quoteOcrConfidence(quote: string, pageWords: readonly OcrWord[]): number | null {
  const want = wordsOf(quote).join('');
  if (want === '') return null;
  // The page's words as one run of letters and digits, each character remembering its word.
  let joined = '';
  const owner: number[] = [];
  pageWords.forEach((w, i) => {
    const t = wordsOf(w.text).join('');
    joined += t;
    for (let k = 0; k < t.length; k++) owner.push(i);
  });
  const at = joined.indexOf(want);
  if (at < 0) return null;
  const covered = new Set(owner.slice(at, at + want.length));
  let sum = 0;
  for (const i of covered) sum += pageWords[i]!.confidence;
  return covered.size ? sum / covered.size : null;
}
