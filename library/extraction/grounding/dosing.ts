/**
 * Frequencies and routes through a small normalisation table: "BID", "b.i.d.", "twice daily", "two times
 * daily", "2x/day", "every 12 hours" and "q12h" are one frequency. A text is read left to right and the
 * longest phrase wins, so "two times daily" is twice a day and never also "daily".
 */
import { normaliseForMatch } from '../match-text.js';

/** Canonical frequencies: `<n>/d` (times a day), `q<a>-<b>h` (an hour range), and the named ones. */
export type Frequency = string;

const COUNT_WORDS: Record<string, number> = { once: 1, one: 1, twice: 2, two: 2, thrice: 3, three: 3, four: 4, five: 5, six: 6 };
const count = (s: string): number => COUNT_WORDS[s] ?? Number(s);
const perDay = (n: number): Frequency => `${n}/d`;
/** "every N hours" is 24/N times a day when that is whole (q12h = twice daily), else stays an interval. */
const everyHours = (h: number): Frequency => (h > 0 && Number.isInteger(24 / h) ? perDay(24 / h) : `q${h}h`);

const N = '(\\d+|once|one|twice|two|thrice|three|four|five|six)';
const DAY = '(?:day|daily|d|24\\s*h(?:ours?|rs?)?)';

/** Ordered: more specific phrases first at the same position. */
const FREQUENCY_RULES: ReadonlyArray<{ re: string; to: (m: RegExpExecArray) => Frequency[] }> = [
  { re: `${N}\\s*(?:x|times?)?\\s*(?:a|per|each|every|/|in\\s+a)\\s*${DAY}\\b`, to: (m) => [perDay(count(m[1]!))] },
  { re: `${N}\\s*(?:x|times)\\s*daily\\b`, to: (m) => [perDay(count(m[1]!))] },
  { re: `(once|twice|thrice)\\s*daily\\b`, to: (m) => [perDay(count(m[1]!))] },
  { re: `${N}\\s*(?:x|times)?\\s*(?:a|per|every|each|/)?\\s*week(?:ly)?\\b`, to: (m) => [`${count(m[1]!)}/wk`] },
  { re: `(?:every|q\\.?)\\s*(\\d+)\\s*(?:-|to)\\s*(\\d+)\\s*(?:h(?:ours?|rs?)?)\\b\\.?`, to: (m) => [`q${m[1]}-${m[2]}h`] },
  { re: `(?:every|q\\.?)\\s*(\\d+)\\s*(?:h(?:ours?|rs?)?)\\b\\.?`, to: (m) => [everyHours(Number(m[1]))] },
  { re: `every\\s+(?:other|second)\\s+day\\b|q\\.?o\\.?d\\b\\.?|alternate\\s+days\\b`, to: () => ['qod'] },
  { re: `(?:every|each|once\\s+a|once\\s+per|per)\\s+week\\b|weekly\\b|q\\.?w(?:k|eek)?\\b\\.?`, to: () => ['1/wk'] },
  { re: `(?:every|each|once\\s+a|once\\s+per|per)\\s+month\\b|monthly\\b`, to: () => ['monthly'] },
  { re: `b\\.?i\\.?d\\b\\.?|bd\\b`, to: () => [perDay(2)] },
  { re: `t\\.?i\\.?d\\b\\.?|tds\\b`, to: () => [perDay(3)] },
  { re: `q\\.?i\\.?d\\b\\.?|qds\\b`, to: () => [perDay(4)] },
  { re: `q\\.?h\\.?s\\b\\.?|h\\.s\\.|at\\s+bed\\s*time\\b|bed\\s*time\\b|(?:every|each|at)\\s+night\\b|nightly\\b|nocte\\b`, to: () => ['qhs', perDay(1)] },
  { re: `q\\.?a\\.?m\\b\\.?|(?:every|each|in\\s+the)\\s+morning\\b`, to: () => ['qam', perDay(1)] },
  { re: `q\\.?d\\b\\.?|o\\.?d\\b\\.?|daily\\b|every\\s*day\\b|each\\s+day\\b|a\\s+day\\b|per\\s+day\\b|/\\s*day\\b`, to: () => [perDay(1)] },
  { re: `p\\.?r\\.?n\\b\\.?|as\\s+(?:needed|required)\\b|when\\s+(?:needed|required)\\b|if\\s+needed\\b|on\\s+demand\\b`, to: () => ['prn'] },
  { re: `stat\\b|immediately\\b|one\\s+time\\s+only\\b`, to: () => ['stat'] },
  { re: `a\\.?c\\.?\\b|before\\s+meals\\b`, to: () => ['before meals'] },
  { re: `p\\.?c\\.?\\b|after\\s+meals\\b`, to: () => ['after meals'] },
  { re: `with\\s+(?:meals|food)\\b`, to: () => ['with meals'] },
];
const FREQUENCY_RE = new RegExp(`(?<![\\p{L}\\p{N}])(?:${FREQUENCY_RULES.map((r) => `(${r.re})`).join('|')})`, 'giu');
const GROUPS_PER_RULE = FREQUENCY_RULES.map((r) => 1 + new RegExp(`${r.re}|`).exec('')!.length - 1);

/** The frequencies a text states, and what is left of it once they are taken out. */
export function frequenciesIn(text: string): { found: Set<Frequency>; rest: string } {
  const s = normaliseForMatch(text);
  const found = new Set<Frequency>();
  let rest = '';
  let last = 0;
  FREQUENCY_RE.lastIndex = 0;
  for (let m = FREQUENCY_RE.exec(s); m !== null; m = FREQUENCY_RE.exec(s)) {
    // Which rule matched: find its outer group, then hand the rule its own groups.
    let group = 1;
    for (let r = 0; r < FREQUENCY_RULES.length; r++) {
      if (m[group] !== undefined) {
        const own = [m[group], ...m.slice(group + 1, group + GROUPS_PER_RULE[r]!)] as unknown as RegExpExecArray;
        own.index = m.index;
        for (const f of FREQUENCY_RULES[r]!.to(own)) found.add(f);
        break;
      }
      group += GROUPS_PER_RULE[r]!;
    }
    rest += `${s.slice(last, m.index)} `;
    last = m.index + m[0].length;
  }
  rest += s.slice(last);
  return { found, rest };
}

/**
 * Whether a frequency value is supported by a quote: every frequency the value states is stated by the
 * quote. Null when the value states no frequency the table knows (the caller compares it as text).
 */
export function frequencyInQuote(value: string, quote: string): { supported: boolean; rest: string } | null {
  const v = frequenciesIn(value);
  if (v.found.size === 0) return null;
  const q = frequenciesIn(quote).found;
  return { supported: [...v.found].every((f) => q.has(f)), rest: v.rest };
}

/** Routes of administration: each canonical route and the ways it is written. */
const ROUTES: ReadonlyArray<readonly [string, RegExp]> = [
  ['oral', /\b(?:p\.?o\.?|per\s+os|by\s+mouth|orally|oral|per\s+oral)(?![\p{L}])/u],
  ['intravenous', /\b(?:i\.?v\.?|intravenous(?:ly)?)(?![\p{L}])/u],
  ['intramuscular', /\b(?:i\.?m\.?|intramuscular(?:ly)?)(?![\p{L}])/u],
  ['subcutaneous', /\b(?:s\.?c\.?|s\.?q\.?|sub\s*-?\s*cut(?:aneous(?:ly)?)?|subq)(?![\p{L}])/u],
  ['sublingual', /\b(?:s\.?l\.?|sublingual(?:ly)?|under\s+the\s+tongue)(?![\p{L}])/u],
  ['rectal', /\b(?:p\.?r\.?|rectal(?:ly)?|per\s+rectum)(?![\p{L}])/u],
  ['topical', /\b(?:topical(?:ly)?|to\s+skin|apply)(?![\p{L}])/u],
  ['inhaled', /\b(?:inh\.?|inhaled|inhalation|inhaler|nebuli[sz]ed)(?![\p{L}])/u],
  ['transdermal', /\b(?:transdermal(?:ly)?|patch)(?![\p{L}])/u],
  ['nasal', /\b(?:intranasal(?:ly)?|nasal(?:ly)?|in\s+(?:each\s+)?nostril)(?![\p{L}])/u],
  ['ophthalmic', /\b(?:ophthalmic|eye\s+drops?|in\s+(?:each|the\s+(?:left|right))\s+eye)(?![\p{L}])/u],
];

function routesIn(text: string): Set<string> {
  const s = normaliseForMatch(text);
  return new Set(ROUTES.filter(([, re]) => re.test(s)).map(([name]) => name));
}

/** Whether a route value is supported by a quote; null when the table does not know the value's route. */
export function routeInQuote(value: string, quote: string): boolean | null {
  const v = routesIn(value);
  if (v.size === 0) return null;
  const q = routesIn(quote);
  return [...v].some((r) => q.has(r));
}
