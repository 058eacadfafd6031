/**
 * Is a text layer real text? Cheap, language-light measures: how much of it is mojibake, how many
 * tokens have the shape of words, how many are common English or clinical words. Pure.
 */

/** How many characters (non-blank) a page's text layer needs before we consider trusting it. */
export const MIN_TEXT_CHARS = 20;

const COMMON_WORDS = new Set(
  (
    'a an and are as at be been but by can did do does for from had has have he her him his how i if in into is it its ' +
    'may me more my no not of on one or our out she so than that the their them then there these they this those to ' +
    'up us was we were what when where which while who will with would you your all any also after before each per ' +
    'patient name date birth dob sex male female age mrn id report test result results value unit units range ' +
    'reference normal high low flag dr md doctor physician hospital clinic medical health lab laboratory blood ' +
    'mg ml dl ul mmol g l tablet daily twice once oral po bid tid prn history diagnosis medication medications ' +
    'allergies allergy discharge admission summary note notes phone address page total'
  ).split(' '),
);

export interface TextQuality {
  /** Non-blank characters. */
  chars: number;
  /** Fraction of characters that are replacement/private-use/control/unexpected symbols (mojibake). */
  badRatio: number;
  /** Alphabetic tokens (2+ letters) considered. */
  wordTokens: number;
  /** Fraction of those with plausible shape (casing, vowels, no long consonant runs). */
  plausibleRatio: number;
  /** Fraction of those that are very common English / clinical words. */
  commonRatio: number;
}

function plausibleWord(w: string): boolean {
  if (w.length > 25) return false;
  // Casing: lower, UPPER, Capitalised, or at most one internal capital (camelCase / McName).
  const internalCaps = (w.slice(1).match(/\p{Lu}/gu) ?? []).length;
  const isUpper = w === w.toUpperCase();
  if (!isUpper && internalCaps > 1) return false;
  if (/\p{Ll}\p{Lu}\p{Lu}/u.test(w) && !isUpper) return false;
  if (!/^[\p{Script=Latin}]+$/u.test(w)) return true; // other scripts: don't judge
  const lower = w.toLowerCase();
  if (w.length >= 4 && !/[aeiouy]/.test(lower)) return isUpper; // abbreviations are upper case
  if (/[bcdfghjklmnpqrstvwxz]{5,}/.test(lower)) return false;
  if (/[aeiou]{4,}/.test(lower)) return false;
  if (/(.)\1\1/.test(lower)) return false;
  return true;
}

/** Cheap, language-light measures of whether a text layer is real text. */
export function textQuality(text: string): TextQuality {
  const nonBlank = [...text.replace(/\s+/g, '')];
  let bad = 0;
  for (const ch of nonBlank) {
    if (/[\uFFFD\p{Co}\p{Cc}\p{Cs}\p{Cn}]/u.test(ch)) bad++;
    else if (/[\u0080-\u009F]/.test(ch)) bad++;
    // Latin-1/Latin-Extended symbols that show up when a font's encoding is wrong.
    else if (/[¹²³¤¦¨¯´¸¼½¾ÃÂ]/.test(ch)) bad += 0.5;
  }
  const tokens = text
    .split(/\s+/)
    .map((t) => t.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, ''))
    .filter((t) => /^\p{L}{2,}$/u.test(t));
  const plausible = tokens.filter(plausibleWord).length;
  const common = tokens.filter((t) => COMMON_WORDS.has(t.toLowerCase())).length;
  return {
    chars: nonBlank.length,
    badRatio: nonBlank.length ? bad / nonBlank.length : 0,
    wordTokens: tokens.length,
    plausibleRatio: tokens.length ? plausible / tokens.length : 1,
    commonRatio: tokens.length ? common / tokens.length : 0,
  };
}
