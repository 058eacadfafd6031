/** The form quotes, values and page text are compared in (shared by the evidence check and the grounding checks). */

/** Ligatures and letters NFKC leaves alone but that text layers and models spell differently. */
const EXTRA_FOLDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/[\u00AD\u200B-\u200D\u2060\uFEFF]/g, ''], // soft hyphen, zero-width characters
  [/[\u2018\u2019\u201A\u201B\u2032\u00B4`]/g, "'"],
  [/[\u201C\u201D\u201E\u201F\u2033]/g, '"'],
  [/[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g, '-'], // hyphens, en/em dashes, minus
  [/\u00C6/g, 'AE'],
  [/\u00E6/g, 'ae'],
  [/\u0152/g, 'OE'],
  [/\u0153/g, 'oe'],
  [/\u00DF/g, 'ss'],
  [/\u00B5/g, '\u03BC'], // micro sign → Greek mu (NFKC does this too; kept explicit)
];

/** The form quotes and page text are compared in. */
export function normaliseForMatch(text: string): string {
  let s = text.normalize('NFKC');
  for (const [re, to] of EXTRA_FOLDS) s = s.replace(re, to);
  return s.toLowerCase().replace(/\s+/g, ' ').trim();
}
