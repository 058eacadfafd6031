/**
 * The format layer: identifiers recognisable by their shape wherever they are printed (dates, ages over 89,
 * phone numbers, e-mail, URLs, IP addresses, SSNs, street lines, "City, ST 12345", postcodes, VINs,
 * checksum-valid numbers, long digit runs and id-like codes). Every quantifier is bounded, and matches never
 * cross a line. Clinical shapes (ICD-10, LOINC, NDC, CPT with modifier, ranges, measurements) are refused.
 */
import { cardValid, nhsValid, npiValid } from './checksums.js';
import type { DetectionSource, PhiCategory } from './types.js';
import { DATE_CONTEXT_WORDS, DIRECTIONS, MEASUREMENT_UNITS, READING_CONTEXT_WORDS, STREET_SUFFIXES, UNIT_WORDS, US_STATES } from './vocabulary.js';

export interface Found {
  start: number;
  end: number;
  category: PhiCategory;
  source: DetectionSource;
}

const alt = (words: readonly string[]): string =>
  [...words]
    .sort((a, b) => b.length - a.length)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('|');

// ---------------------------------------------------------------- dates

const MONTH = String.raw`(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|JAN(?:UARY)?|FEB(?:RUARY)?|MAR(?:CH)?|APR(?:IL)?|MAY|JUNE?|JULY?|AUG(?:UST)?|SEP(?:T(?:EMBER)?)?|OCT(?:OBER)?|NOV(?:EMBER)?|DEC(?:EMBER)?)\.?`;
const ORD = String.raw`(?:st|nd|rd|th|ST|ND|RD|TH)?`;
/** A time after a date ("03/14/2025 08:30", "2025-03-14T08:30:00", "14 Mar 2025 at 8:30 pm"): part of the date-time. */
const TIME = String.raw`(?:(?:T|,?[ ]|[ ]at[ ])\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[ ]?[AaPp]\.?[Mm]\.?)?(?:Z(?![A-Za-z\d])|[+\-]\d{2}:?\d{2}(?!\d))?(?:[ ][A-Z]{3,4}\b)?)?`;
const YEAR4 = String.raw`(?:1[89]\d\d|20\d\d|21\d\d)`;

const DATE_PATTERNS: ReadonlyArray<{ re: RegExp; check?: (m: RegExpExecArray) => boolean }> = [
  // 03/14/1962, 3/14/62, 14.03.1962, 3-14-62 (one separator throughout)
  {
    re: new RegExp(String.raw`(?<![\d/.\-:])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/\-]|\.\d)${TIME}`, 'g'),
    check: (m) => dayMonthOk(Number(m[1]), Number(m[3])) && (m[4]!.length === 2 || isYear(m[4]!)),
  },
  // 1962-03-14, 1962/03/14, 1962.03.14
  {
    re: new RegExp(String.raw`(?<![\d/.\-])(${YEAR4})([/.\-])(\d{1,2})\2(\d{1,2})(?![\d/\-]|\.\d)${TIME}`, 'g'),
    check: (m) => Number(m[3]) >= 1 && Number(m[3]) <= 12 && Number(m[4]) >= 1 && Number(m[4]) <= 31,
  },
  // 14 Mar 1962, 14-Mar-1962, 14th of March 1962, 14 March, 1962
  {
    re: new RegExp(String.raw`(?<![\d\w])(\d{1,2})${ORD}(?:[ ]of)?[ \-./]{1,2}${MONTH}(?:[ ,\-./]{1,2}(${YEAR4}|\d{2})(?![\d:]))?(?![\w])${TIME}`, 'g'),
    check: (m) => Number(m[1]) >= 1 && Number(m[1]) <= 31,
  },
  // March 14, 1962; Mar 14th 1962; March 14 (no year)
  {
    re: new RegExp(String.raw`(?<![\w])${MONTH}[ \-]{1,2}(\d{1,2})${ORD}(?![\d:])(?:,?[ \-]{1,2}(${YEAR4}))?(?![\w])${TIME}`, 'g'),
    check: (m) => Number(m[1]) >= 1 && Number(m[1]) <= 31,
  },
  // 14MAR1962, 14MAR62 (no separators, as pharmacy and forms print them)
  {
    re: new RegExp(String.raw`(?<![\w])(\d{1,2})(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(${YEAR4}|\d{2})(?![\w])`, 'g'),
    check: (m) => Number(m[1]) >= 1 && Number(m[1]) <= 31,
  },
  // March 1962, Mar-2025, MARCH, 2025 (month-year: the month is a date element)
  { re: new RegExp(String.raw`(?<![\w])${MONTH}[ ,\-/]{1,2}(${YEAR4})(?![\d])`, 'g') },
  // 03 14 62, 03 14 1962: claim-form boxes, single spaces inside; a cell of its own (columns are 2+ spaces),
  // so that three readings in a sentence ("Apgar 08 09 10") stay
  {
    re: /(?<=^|[\n\t|]|[ ]{2}|:[ ]?)(\d{2}) (\d{2}) (\d{4}|\d{2})(?=$|[\r\n\t|]|[ ]{2})/g,
    check: (m) => Number(m[1]) >= 1 && Number(m[1]) <= 12 && Number(m[2]) >= 1 && Number(m[2]) <= 31 && (m[3]!.length === 2 || isYear(m[3]!)),
  },
  // 10 | 11 | 21: the same boxes read by OCR with their rules as bars
  {
    re: /(?<![\d.,])(\d{2})[ ]{0,2}\|[ ]{0,2}(\d{2})[ ]{0,2}\|[ ]{0,2}(\d{4}|\d{2})(?![\d.,])/g,
    check: (m) => Number(m[1]) >= 1 && Number(m[1]) <= 12 && Number(m[2]) >= 1 && Number(m[2]) <= 31 && (m[3]!.length === 2 || isYear(m[3]!)),
  },
  // 03/1962, 3-2025 (month-year)
  { re: new RegExp(String.raw`(?<![\d/.\-])(\d{1,2})[/\-](${YEAR4})(?![\d/\-]|\.\d)`, 'g'), check: (m) => Number(m[1]) >= 1 && Number(m[1]) <= 12 },
];

const isYear = (y: string): boolean => Number(y) >= 1870 && Number(y) <= 2200;
const dayMonthOk = (a: number, b: number): boolean => a >= 1 && b >= 1 && ((a <= 12 && b <= 31) || (a <= 31 && b <= 12));

const DATE_CONTEXT_RE = new RegExp(String.raw`(?:^|[^\w])(?:${alt(DATE_CONTEXT_WORDS)})\b[^\n\d]{0,12}$`, 'i');
const READING_CONTEXT_RE = new RegExp(String.raw`(?:^|[^\w])(?:${alt(READING_CONTEXT_WORDS)})\b[^\n]{0,12}$`, 'i');
/** 12/20 with no year: a date only after a date word ("seen on 12/20"), never a reading ("BP 120/80", "5/5 strength"). */
const MONTH_DAY_RE = /(?<![\d/.\-:])(\d{1,2})\/(\d{1,2})(?![\d/]|\.\d)(?![ ]?(?:mm ?hg|strength|power))/gi;

/** Letters OCR prints for digits inside numbers ("O3/l4/1962"), read as those digits; same length, so offsets hold. */
export function ocrDigits(text: string): string {
  // Only a letter standing alone beside digits: "16OCT1971" keeps its month.
  return text.replace(/(?<![A-Za-z])[OoDQ](?=\d)|(?<=\d)[OoDQ](?![A-Za-z])/g, '0').replace(/(?<![A-Za-z])[lI|](?=\d)|(?<=\d)[lI|](?![A-Za-z])/g, '1');
}

export function findDates(printed: string): Found[] {
  const text = ocrDigits(printed);
  const out: Found[] = [];
  for (const { re, check } of DATE_PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (check && !check(m)) continue;
      out.push({ start: m.index, end: m.index + m[0].length, category: 'DATE', source: 'pattern' });
    }
  }
  MONTH_DAY_RE.lastIndex = 0;
  for (let m = MONTH_DAY_RE.exec(text); m; m = MONTH_DAY_RE.exec(text)) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (!(a >= 1 && a <= 12 && b >= 1 && b <= 31)) continue;
    const before = text.slice(Math.max(0, m.index - 24), m.index);
    const lineBefore = before.slice(before.lastIndexOf('\n') + 1);
    if (!DATE_CONTEXT_RE.test(lineBefore) || READING_CONTEXT_RE.test(lineBefore)) continue;
    out.push({ start: m.index, end: m.index + m[0].length, category: 'DATE', source: 'pattern' });
  }
  return out;
}

/** A date written without separators or with spaces ("19620314", "03 14 1962"): a date only after a date label. */
export function compactDateAt(value: string): number {
  let m = /^(\d{4})(\d{2})(\d{2})(?!\d)/.exec(value);
  if (m && isYear(m[1]!) && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[3]) >= 1 && Number(m[3]) <= 31) return m[0].length;
  m = /^(\d{2})[ ]?(\d{2})[ ]?(\d{4})(?!\d)/.exec(value);
  if (m && dayMonthOk(Number(m[1]), Number(m[2])) && isYear(m[3]!)) return m[0].length;
  m = /^(\d{2}) (\d{2}) (\d{2})(?!\d)/.exec(value);
  return m && dayMonthOk(Number(m[1]), Number(m[2])) ? m[0].length : 0;
}

// ---------------------------------------------------------------- ages over 89

const AGE_PATTERNS: readonly RegExp[] = [
  // 92-year-old, 92 year old, 92 yrs old
  /(?<![\d.])(\d{2,3})[ -]{0,2}(?:years?|yrs?|yr)[ -]{0,2}old\b/gi,
  // 93 y/o, 93 y.o., 93 yo, 93 yrs, 93 years, 93Y, 93 y
  /(?<![\d.])(\d{2,3})[ -]?(?:y\/o|y\.o\.?|yo|yrs?\.?|years?|y)(?![A-Za-z\d])/gi,
  // aged 91, age 93, Age: 93
  /(?<=\b(?:aged?|AGED?|Age)[ ]{0,2}[:-]?[ ]{0,2})(\d{2,3})(?!\d|\.\d)/g,
];

/** "ninety-two-year-old", "one hundred and one years old": ages over 89 in words. */
const AGE_IN_WORDS_RE =
  /\b(?:ninety|one[ -]hundred(?:[ -]and)?)(?:[ -](?:one|two|three|four|five|six|seven|eight|nine|ten))?[ -](?:years?|yrs?)[ -](?:old)\b/gi;

export function findAges(text: string): Found[] {
  const out: Found[] = [];
  AGE_IN_WORDS_RE.lastIndex = 0;
  for (let m = AGE_IN_WORDS_RE.exec(text); m; m = AGE_IN_WORDS_RE.exec(text))
    out.push({ start: m.index, end: m.index + m[0].length, category: 'AGE', source: 'pattern' });
  for (const re of AGE_PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const age = Number(m[1]);
      if (age > 89 && age < 130) out.push({ start: m.index, end: m.index + m[0].length, category: 'AGE', source: 'pattern' });
    }
  }
  return out;
}

// ---------------------------------------------------------------- contact details

const EXT = String.raw`(?:[ ]?(?:ext\.?|x|extension)[ ]?\d{1,5})?`;
const PHONE_PATTERNS: readonly RegExp[] = [
  // (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567, +1 555 123 4567, 1-800-555-0199
  new RegExp(String.raw`(?<![\w+.\-/])(?:\+?1[ .\-]?)?(?:\(\d{3}\)[ ]?|\d{3}([ .\-]))\d{3}[ .\-]\d{4}(?![\w/]|[.\-]\d)${EXT}`, 'g'),
  // "( 412  ) 252  - 1214", "(920)-555-0101": OCR spacing and a dash after the area code
  new RegExp(String.raw`(?<![\w+.\-/])\([ ]{0,2}\d{3}[ ]{0,2}\)[ ]{0,2}-?[ ]{0,2}\d{3}[ ]{0,2}[.\-]?[ ]{0,2}\d{4}(?![\w/]|[.\-]\d)${EXT}`, 'g'),
  // +44 20 7946 0958, +44 (0)20 7946 0958, +33 1 23 45 67 89
  new RegExp(String.raw`(?<![\w+])\+\d{1,3}(?:[ .\-]?(?:\(\d{1,4}\)|\d{1,5})){2,6}(?![\w])${EXT}`, 'g'),
  // 020 7946 0958, 0161 496 0000, 07700 900123 (UK national numbers: spaces only)
  new RegExp(String.raw`(?<![\w.,/\-])0[1-9]\d{1,3}(?:[ ]\d{3,6}){1,2}(?![\w]|[.,]\d)${EXT}`, 'g'),
];

export function findPhones(printed: string): Found[] {
  const text = ocrDigits(printed);
  const out: Found[] = [];
  for (const re of PHONE_PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const digits = m[0].replace(/(?:ext\.?|x|extension)[ ]?\d+$/i, '').replace(/\D/g, '').length;
      if (digits < 10 || digits > 15) continue;
      const before = text.slice(Math.max(0, m.index - 16), m.index);
      const lineBefore = before.slice(before.lastIndexOf('\n') + 1);
      const fax =
        /\bfax\b|\bfacsimile\b|\bF[:.]\s*$|\(F\)\s*$/i.test(lineBefore) &&
        !/\b(?:tel|phone|ph|mobile|cell)\b[^\n]*$/i.test(lineBefore.replace(/^.*\bfax\b/i, ''));
      out.push({ start: m.index, end: m.index + m[0].length, category: fax ? 'FAX' : 'PHONE', source: 'pattern' });
    }
  }
  return out;
}

const EMAIL_RE = /(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.){1,6}[A-Za-z]{2,24}(?![\w])/g;
const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'()]{2,200}/gi;
/**
 * A web address without a scheme ("clinic-labs.example.org/results"): lower-case host labels and a letter TLD,
 * with a path (then the host has a hyphen, 2+ dots or a common TLD) or a common TLD. Units ("mg/dL",
 * "x10^3/uL") and abbreviations ("e.g.", "p.o.") have no such host.
 */
const BARE_URL_RE = /(?<![\w@.\-/:])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,4})([a-z]{2,24})(?![\w@-])(\/[^\s<>"'()]{0,200})?/g;
const COMMON_TLDS = new Set([
  'com',
  'org',
  'net',
  'edu',
  'gov',
  'mil',
  'int',
  'io',
  'info',
  'biz',
  'us',
  'uk',
  'ca',
  'au',
  'nz',
  'ie',
  'de',
  'fr',
  'nl',
  'eu',
  'health',
  'care',
]);
const IPV4_RE = /(?<![\d.])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?![\d.]|\.\d)/g;
const IPV6_RE = /(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])/g;

export function findNetwork(text: string): Found[] {
  const out: Found[] = [];
  const add = (re: RegExp, category: PhiCategory, accept: (s: string) => boolean = () => true) => {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      let s = m[0];
      if (category === 'URL') s = s.replace(/[.,;:!?]+$/, '');
      if (accept(s)) out.push({ start: m.index, end: m.index + s.length, category, source: 'pattern' });
    }
  };
  add(EMAIL_RE, 'EMAIL');
  add(URL_RE, 'URL');
  BARE_URL_RE.lastIndex = 0;
  for (let m = BARE_URL_RE.exec(text); m; m = BARE_URL_RE.exec(text)) {
    const host = m[1]!;
    const common = COMMON_TLDS.has(m[2]!);
    const ok = m[3] ? common || host.includes('-') || host.split('.').length > 2 : common && !/^\d+\.$/.test(host);
    if (!ok) continue;
    const printed = m[0].replace(/[.,;:!?]+$/, '');
    out.push({ start: m.index, end: m.index + printed.length, category: 'URL', source: 'pattern' });
  }
  add(IPV4_RE, 'IP');
  // An IPv6 address: eight groups, or fewer with one "::"; times (08:30:00) have no hex letters and no "::".
  add(IPV6_RE, 'IP', (s) => {
    const double = s.split('::').length - 1;
    const groups = s.split(/::?/).filter(Boolean).length;
    return double <= 1 && (double === 1 ? groups >= 2 : groups === 8) && (/[a-f]/i.test(s) || double === 1) && !/^\d{1,2}:\d{2}/.test(s);
  });
  return out;
}

// ---------------------------------------------------------------- numbers

const SSN_RE = /(?<![\w-])(?!000|666)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w]|-\d)/g;
/** An SSN printed in a form's cell with single spaces ("123 45 6789"): only as a cell of its own, so number runs in prose stay. */
const SSN_SPACED_RE = /(?<=^|[ ]{2}|\t|[|:][ ]?)(?!000|666)\d{3} (?!00)\d{2} (?!0000)\d{4}(?=$|[ ]{2}|\t|[ ]?\|)/gm;
/** A plate after the word for it ("registration WUN-7348", "plate 7ABC123", "tag # KX 4471"): capitals and digits. */
const PLATE_RE =
  /(?<![\p{L}])(?:[Rr]egistration|REGISTRATION|[Rr]eg\.|REG\.|[Pp]lates?|PLATES?|[Tt]ag|TAG)(?:[ ](?:[Nn]o\.?|[Nn]umber|NO\.?|#))?[ ]?[:#]?\s{0,3}([A-Z0-9]{1,4}[- ][A-Z0-9]{1,5}|[A-Z0-9]{2,8})(?![\p{L}\d])/gu;
const VIN_RE = /(?<![A-Za-z0-9])[A-HJ-NPR-Z0-9]{17}(?![A-Za-z0-9])/g;

/** Digit runs that may carry a check digit: 10 digits (NHS 3-3-4, NPI), 13-19 digits (cards, in groups of 4 or 4-6-5). */
const CHECKSUM_RE = /(?<![\w.,/-])(?:\d{3}([ -])\d{3}\1\d{4}|\d{4}([ -])\d{4}\2\d{4}(?:\2\d{1,4}){0,2}|\d{4}([ -])\d{6}\3\d{4,5}|\d{10,19})(?![\w]|[.,/-]\d)/g;

export function findNumbers(text: string): Found[] {
  const out: Found[] = [];
  SSN_RE.lastIndex = 0;
  for (let m = SSN_RE.exec(text); m; m = SSN_RE.exec(text)) out.push({ start: m.index, end: m.index + m[0].length, category: 'SSN', source: 'pattern' });
  SSN_SPACED_RE.lastIndex = 0;
  for (let m = SSN_SPACED_RE.exec(text); m; m = SSN_SPACED_RE.exec(text))
    out.push({ start: m.index, end: m.index + m[0].length, category: 'SSN', source: 'pattern' });
  VIN_RE.lastIndex = 0;
  for (let m = VIN_RE.exec(text); m; m = VIN_RE.exec(text)) {
    const letters = m[0].replace(/\d/g, '').length;
    if (letters >= 3 && m[0].length - letters >= 3) out.push({ start: m.index, end: m.index + 17, category: 'VEHICLE', source: 'pattern' });
  }
  PLATE_RE.lastIndex = 0;
  for (let m = PLATE_RE.exec(text); m; m = PLATE_RE.exec(text)) {
    const plate = m[1]!;
    const chars = plate.replace(/[^A-Z0-9]/g, '').length;
    if (chars < 4 || chars > 8 || !/\d/.test(plate) || !/[A-Z]/.test(plate)) continue;
    const start = m.index + m[0].length - plate.length;
    out.push({ start, end: start + plate.length, category: 'VEHICLE', source: 'pattern' });
  }
  CHECKSUM_RE.lastIndex = 0;
  for (let m = CHECKSUM_RE.exec(text); m; m = CHECKSUM_RE.exec(text)) {
    const digits = m[0].replace(/\D/g, '');
    const spaced10 = digits.length === 10 && !m[0].includes('-');
    let category: PhiCategory | undefined;
    if (digits.length === 10 && npiValid(digits) && !/ /.test(m[0])) category = 'LICENSE';
    else if (spaced10 && nhsValid(digits)) category = 'NHS';
    else if (cardValid(digits) && (digits.length !== 10 || m[0].length > 10)) category = 'CARD';
    if (category) out.push({ start: m.index, end: m.index + m[0].length, category, source: 'checksum' });
  }
  out.push(...findIds(text));
  return out;
}

const ID_TOKEN_RE = /(?<![A-Za-z0-9$£€#])[A-Za-z0-9]{1,40}(?:[/.-][A-Za-z0-9]{1,40}){0,5}(?![A-Za-z0-9])/g;
const UNIT_AFTER_RE = new RegExp(String.raw`^[ ]?(?:${alt(MEASUREMENT_UNITS)})(?![a-z])`, 'i');
const UNIT_SUFFIX_RE = new RegExp(String.raw`^\d+(?:\.\d+)?(?:${alt(MEASUREMENT_UNITS)})$`, 'i');
/** ICD-10-CM/ICD-10 codes ("E11.9", "S72.001A", "Z79.4"): clinical, however many digits. */
const ICD10_RE = /^[A-TV-Z]\d[0-9AB](?:\.[0-9A-TV-Z]{1,4})?$/i;
/** Clinical shapes of digits: LOINC 2345-7, NDC 0002-8215-01, CPT+modifier 99213-25, decimals, ranges. */
const CLINICAL_NUMBER_RES: readonly RegExp[] = [/^\d{1,5}-\d$/, /^\d{4,5}-\d{3,4}-\d{1,2}$/, /^\d{5}-[0-9A-Z]{2}$/, /^\d+\.\d+$/, /^\d{1,3}(?:\.\d{3})+$/];

/**
 * Other unique numbers: a run of 7+ digits, or a code of letters and 5+ digits ("A00482913", "CLM-2024-0098812"),
 * unless it is a clinical code, a measurement, a range or a date.
 */
export function findIds(text: string): Found[] {
  const out: Found[] = [];
  ID_TOKEN_RE.lastIndex = 0;
  for (let m = ID_TOKEN_RE.exec(text); m; m = ID_TOKEN_RE.exec(text)) {
    let token = m[0];
    // A sentence's full stop is no part of the code.
    while (/[.\-/]$/.test(token)) token = token.slice(0, -1);
    const digits = token.replace(/\D/g, '').length;
    if (digits < 5) continue;
    // A word glued to a number ("Sensitivity87040", a test name and its code in a text layer) is prose, not a code.
    if (/^[a-z]|[a-z]{3}/.test(token)) continue;
    const letters = /[A-Za-z]/.test(token);
    const separated = /[/.-]/.test(token);
    if (!letters && !separated && digits < 7) continue;
    if (!letters && separated && digits < 7) continue;
    if (ICD10_RE.test(token) || UNIT_SUFFIX_RE.test(token) || CLINICAL_NUMBER_RES.some((re) => re.test(token))) continue;
    if (/^x10/i.test(token) || /^\d+(?:st|nd|rd|th)$/i.test(token)) continue;
    const end = m.index + token.length;
    const after = text.slice(end, end + 8);
    if (!letters && UNIT_AFTER_RE.test(after)) continue;
    if (/^[,.]\d/.test(text.slice(end, end + 2)) || /\d[,.]$/.test(text.slice(Math.max(0, m.index - 2), m.index))) continue;
    if (!letters && separated && isRange(token)) continue;
    out.push({ start: m.index, end, category: 'ID', source: 'pattern' });
  }
  return out;
}

/** "150000-400000", "80.0-100.0": two numbers rising in one order of magnitude, a reference range. */
function isRange(token: string): boolean {
  const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(token);
  if (!m || /^0\d/.test(m[1]!) || /^0\d/.test(m[2]!)) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a < b && b / a < 100;
}

// ---------------------------------------------------------------- addresses

/** A word as printed in a street line: capitalised or in capitals ("Street", "STREET"), never in lower case. */
const cased = (words: readonly string[]): string[] => words.flatMap((w) => [w[0]!.toUpperCase() + w.slice(1), w.toUpperCase()]);
const SUFFIX = alt(cased(STREET_SUFFIXES));
const UNIT = alt(cased(UNIT_WORDS));
const DIRECTION = alt(cased(DIRECTIONS));
const STREET_WORD = String.raw`(?:\p{Lu}[\p{L}'’\-]{0,24}\.?|\d{1,3}(?:st|nd|rd|th|ST|ND|RD|TH))`;
const UNIT_PART = String.raw`(?:,?[ ]{1,2}(?:(?:${UNIT})\.?[ ]?#?[ ]?[A-Za-z0-9\-]{1,6}|#[ ]?[A-Za-z0-9\-]{1,6}))?`;
/** "123 Main St", "1200 W. Oak Avenue, Apt 4B", "Flat 3, 22 Baker Street", "55 NORTH MAIN STREET SUITE 200". */
const STREET_RE = new RegExp(
  String.raw`(?<![\w\-/.,])(?:(?:Flat|FLAT|Apartment|Unit|UNIT|Apt|APT)[ ]\d{1,4}[A-Za-z]?,?[ ]{1,2})?\d{1,6}[A-Za-z]?(?:-\d{1,4})?[ ]{1,2}(?:(?:${DIRECTION})\.?[ ])?(?:${STREET_WORD}[ ]){0,3}${STREET_WORD}[ ](?:${SUFFIX})\.?(?:[ ](?:${DIRECTION})\.?)?${UNIT_PART}(?![\p{L}\d])`,
  'gu',
);
const PO_BOX_RE = /(?<![\w])(?:P\.?[ ]?O\.?[ ]?Box|Post[ ]Office[ ]Box|POB)[ ]{0,2}#?[ ]?\d{1,7}(?![\w])/gi;

const STATE_ABBR = [...new Set(Object.values(US_STATES))].join('|');
const STATE_NAME = alt(Object.keys(US_STATES).map((s) => s.replace(/\b\p{L}/gu, (c) => c.toUpperCase())));
const CITY_WORD = String.raw`\p{Lu}[\p{L}.'’\-]{1,24}`;
/** "Springfield, IL 62704", "SPRINGFIELD IL 62704-1234", "Portland, Oregon 97201". */
const CITY_STATE_ZIP_RE = new RegExp(
  String.raw`(?<![\p{L}\-])(${CITY_WORD}(?:[ ]${CITY_WORD}){0,3}),?[ ]{1,2}(?:${STATE_ABBR}|${STATE_NAME})\.?,?[ ]{1,2}(\d{5}(?:-\d{4})?)(?![\d\-])`,
  'gu',
);
/** A state and ZIP alone in a cell, under a town line ("IL 62701"). */
const STATE_ZIP_RE = new RegExp(String.raw`(?<=^|\n|[ ]{2}|,[ ]?)(?:${STATE_ABBR})[ ]{1,2}(\d{5}(?:-\d{4})?)(?=$|\n|[ ]{2})`, 'g');
/** UK postcodes ("SW1A 1AA", "M1 1AE", "LS1 4AP"), printed with their space. */
const POSTCODE_RE = /(?<![A-Za-z0-9])([A-Z]{1,2}\d[A-Z\d]?) (\d[A-Z]{2})(?![A-Za-z0-9])/g;
/** The town before a postcode on the same line ("London NW1 6XE", "Leeds, LS1 4AP"). */
const TOWN_BEFORE_RE = new RegExp(String.raw`(${CITY_WORD}(?:[ ]${CITY_WORD}){0,2}),?[ ]{1,2}$`, 'u');

export function findAddresses(text: string, notPlace: (word: string) => boolean): Found[] {
  const out: Found[] = [];
  STREET_RE.lastIndex = 0;
  for (let m = STREET_RE.exec(text); m; m = STREET_RE.exec(text))
    out.push({ start: m.index, end: m.index + m[0].length, category: 'ADDRESS', source: 'pattern' });
  PO_BOX_RE.lastIndex = 0;
  for (let m = PO_BOX_RE.exec(text); m; m = PO_BOX_RE.exec(text))
    out.push({ start: m.index, end: m.index + m[0].length, category: 'ADDRESS', source: 'pattern' });
  CITY_STATE_ZIP_RE.lastIndex = 0;
  for (let m = CITY_STATE_ZIP_RE.exec(text); m; m = CITY_STATE_ZIP_RE.exec(text)) {
    const city = trimCity(m[1]!, notPlace);
    const zipStart = m.index + m[0].length - m[2]!.length;
    if (city) out.push({ start: m.index + m[1]!.length - city.length, end: m.index + m[1]!.length, category: 'PLACE', source: 'pattern' });
    out.push({ start: zipStart, end: zipStart + m[2]!.length, category: 'ZIP', source: 'pattern' });
  }
  STATE_ZIP_RE.lastIndex = 0;
  for (let m = STATE_ZIP_RE.exec(text); m; m = STATE_ZIP_RE.exec(text)) {
    const zipStart = m.index + m[0].length - m[1]!.length;
    out.push({ start: zipStart, end: zipStart + m[1]!.length, category: 'ZIP', source: 'pattern' });
  }
  POSTCODE_RE.lastIndex = 0;
  for (let m = POSTCODE_RE.exec(text); m; m = POSTCODE_RE.exec(text)) {
    out.push({ start: m.index, end: m.index + m[0].length, category: 'ZIP', source: 'pattern' });
    const lineBefore = text.slice(text.lastIndexOf('\n', m.index - 1) + 1, m.index);
    const town = TOWN_BEFORE_RE.exec(lineBefore);
    if (town) {
      const name = trimCity(town[1]!, notPlace);
      const end = m.index - (lineBefore.length - town.index - town[1]!.length);
      if (name) out.push({ start: end - name.length, end, category: 'PLACE', source: 'pattern' });
    }
  }
  return out;
}

/** The place name at the end of a run of capitalised words, without words that cannot be part of it (labels, street words). */
function trimCity(run: string, notPlace: (word: string) => boolean): string {
  const words = run.split(' ');
  let i = words.length;
  // A town's last word may be a street word ("Pelham Crossing", "Cedar Hollow", "Ashford Glen").
  if (i >= 2 && isStreetSuffix(words[i - 1]!) && !notPlace(words[i - 2]!)) i--;
  while (i > 0 && !notPlace(words[i - 1]!)) i--;
  return i < words.length ? words.slice(i).join(' ') : '';
}

export const isStreetSuffix = (word: string): boolean => STREET_SUFFIX_SET.has(word.replace(/[,.]$/, '').toLowerCase());

/** Street suffixes and state names, for telling a street line or a state from a town. */
export const STREET_SUFFIX_SET: ReadonlySet<string> = new Set(STREET_SUFFIXES);
export const STATE_SET: ReadonlySet<string> = new Set([...Object.keys(US_STATES), ...Object.values(US_STATES).map((s) => s.toLowerCase())]);
