/**
 * Dates as printed, read into calendar days and written back in the same form: what date shifting needs
 * (every date of a document moved by one hidden offset and printed as the document printed it, so the
 * model still reads "14-Mar-1962" style dates and intervals between them stay true).
 */

export interface CalendarDay {
  y: number;
  m: number; // 1-12
  d: number; // 1-31; 1 for a month-year date
}

/** A date as printed: its day and how to print another day the same way. */
export interface PrintedDate {
  day: CalendarDay;
  /** Month-year only ("March 2025", "03/2025"): the day is the 1st, and a shift moves the month. */
  monthOnly: boolean;
  /** Prints a day in this date's form (separators, padding, month spelling and case, year digits, time kept). */
  print(day: CalendarDay): string;
}

export type DayOrder = 'mdy' | 'dmy';

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH_RE = String.raw`(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`;

function monthOf(word: string): number {
  const w = word.toLowerCase().replace(/\.$/, '');
  const i = MONTH_NAMES.findIndex((name) => name.startsWith(w.slice(0, 3)));
  return i + 1;
}

/** The month's name spelled like `sample`: abbreviated (with its dot) or in full, in the sample's case. */
function spellMonth(m: number, sample: string): string {
  const bare = sample.replace(/\.$/, '');
  const full = MONTH_NAMES[m - 1]!;
  const abbreviated = !MONTH_NAMES.includes(bare.toLowerCase());
  let word = abbreviated ? full.slice(0, 3) : full;
  if (bare === bare.toUpperCase()) word = word.toUpperCase();
  else if (bare[0] === bare[0]!.toUpperCase()) word = word[0]!.toUpperCase() + word.slice(1);
  return word + (abbreviated && sample.endsWith('.') ? '.' : '');
}

function ordinal(d: number): string {
  if (d % 100 >= 11 && d % 100 <= 13) return 'th';
  return ['th', 'st', 'nd', 'rd'][d % 10] ?? 'th';
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const number = (n: number, sample: string): string => pad(n, sample.length >= 2 && sample.startsWith('0') ? 2 : sample.length === 2 ? 2 : 1);
const year = (y: number, sample: string): string => (sample.length === 2 ? pad(y % 100, 2) : String(y));

function fullYear(digits: string, now: Date): number {
  const n = Number(digits);
  if (digits.length === 4) return n;
  return n <= now.getUTCFullYear() % 100 ? 2000 + n : 1900 + n;
}

export function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function valid(day: CalendarDay): boolean {
  return day.y >= 1870 && day.y <= 2200 && day.m >= 1 && day.m <= 12 && day.d >= 1 && day.d <= daysInMonth(day.y, day.m);
}

/** Reads a date span as the detector found it. Undefined when it is no date this module can print back. */
export function readPrintedDate(text: string, order: DayOrder, now: Date = new Date()): PrintedDate | undefined {
  const s = text.trim();
  let m: RegExpMatchArray | null;
  // The time of a date-time is no date element: it is printed back as it was.
  const timed =
    /^(.*?)((?:[ T,]+|\s+at\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]\.?m\.?)?(?:Z|[+-]\d{2}:?\d{2}|\s*[A-Z]{2,4})?|(?<=^\d{8})\s+\d{4})$/i.exec(s);
  const core = timed ? timed[1]! : s;
  const time = timed ? timed[2]! : '';
  const withTime = (print: (day: CalendarDay) => string) => (day: CalendarDay) => print(day) + time;

  // 1962-03-14, 1962/3/14
  if ((m = core.match(/^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/))) {
    const [, ys, sep, ms, ds] = m as unknown as [string, string, string, string, string];
    const day = { y: Number(ys), m: Number(ms), d: Number(ds) };
    return valid(day) ? { day, monthOnly: false, print: withTime((x) => `${x.y}${sep}${number(x.m, ms)}${sep}${number(x.d, ds)}`) } : undefined;
  }
  // 19620314
  if ((m = core.match(/^(\d{4})(\d{2})(\d{2})$/))) {
    const day = { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
    return valid(day) ? { day, monthOnly: false, print: withTime((x) => `${x.y}${pad(x.m, 2)}${pad(x.d, 2)}`) } : undefined;
  }
  // 03/14/1962, 14.03.62, 3-14-62, and the boxes of a claim form: 03 14 1962
  if ((m = core.match(/^(\d{1,2})([-/.]| {1,3}| {0,2}\| {0,2})(\d{1,2})\2(\d{2}|\d{4})$/))) {
    const [, a, sep, b, ys] = m as unknown as [string, string, string, string, string];
    const dayFirst = Number(a) > 12 || (Number(b) <= 12 && order === 'dmy');
    const day = { y: fullYear(ys, now), m: Number(dayFirst ? b : a), d: Number(dayFirst ? a : b) };
    if (!valid(day)) return undefined;
    return {
      day,
      monthOnly: false,
      print: withTime((x) =>
        dayFirst ? `${number(x.d, a)}${sep}${number(x.m, b)}${sep}${year(x.y, ys)}` : `${number(x.m, a)}${sep}${number(x.d, b)}${sep}${year(x.y, ys)}`,
      ),
    };
  }
  // 03/1962 (month-year)
  if ((m = core.match(/^(\d{1,2})([-/.])(\d{4})$/))) {
    const [, ms, sep, ys] = m as unknown as [string, string, string, string];
    const day = { y: Number(ys), m: Number(ms), d: 1 };
    return valid(day) ? { day, monthOnly: true, print: withTime((x) => `${number(x.m, ms)}${sep}${x.y}`) } : undefined;
  }
  // 14 Mar 1962, 14-Mar-62, 14th March 1962, 14th of March, 1962
  const dayMonthYear = new RegExp(String.raw`^(\d{1,2})(st|nd|rd|th)?([\s-]+(?:of\s+)?)(${MONTH_RE}\.?)([\s,-]+)(\d{4}|\d{2})$`, 'i');
  if ((m = core.match(dayMonthYear))) {
    const [, ds, suffix, gap1, mon, gap2, ys] = m as unknown as [string, string, string | undefined, string, string, string, string];
    const day = { y: fullYear(ys, now), m: monthOf(mon), d: Number(ds) };
    if (!valid(day)) return undefined;
    const suffixed = (d: number) => (suffix ? (suffix === suffix.toUpperCase() ? ordinal(d).toUpperCase() : ordinal(d)) : '');
    return {
      day,
      monthOnly: false,
      print: withTime((x) => `${number(x.d, ds)}${suffixed(x.d)}${gap1}${spellMonth(x.m, mon)}${gap2}${year(x.y, ys)}`),
    };
  }
  // March 14, 1962; Mar. 14th 1962; MAR 14 1962
  const monthDayYear = new RegExp(String.raw`^(${MONTH_RE}\.?)(\s+)(\d{1,2})(st|nd|rd|th)?(,?\s+|,)(\d{4}|\d{2})$`, 'i');
  if ((m = core.match(monthDayYear))) {
    const [, mon, gap1, ds, suffix, gap2, ys] = m as unknown as [string, string, string, string, string | undefined, string, string];
    const day = { y: fullYear(ys, now), m: monthOf(mon), d: Number(ds) };
    if (!valid(day)) return undefined;
    const suffixed = (d: number) => (suffix ? (suffix === suffix.toUpperCase() ? ordinal(d).toUpperCase() : ordinal(d)) : '');
    return { day, monthOnly: false, print: withTime((x) => `${spellMonth(x.m, mon)}${gap1}${number(x.d, ds)}${suffixed(x.d)}${gap2}${year(x.y, ys)}`) };
  }
  // March 2025, Mar-2025 (month-year)
  const monthYear = new RegExp(String.raw`^(${MONTH_RE}\.?)([\s,-]+)(\d{4})$`, 'i');
  if ((m = core.match(monthYear))) {
    const [, mon, gap, ys] = m as unknown as [string, string, string, string];
    const day = { y: Number(ys), m: monthOf(mon), d: 1 };
    return valid(day) ? { day, monthOnly: true, print: withTime((x) => `${spellMonth(x.m, mon)}${gap}${x.y}`) } : undefined;
  }
  return undefined;
}

const DAY_MS = 86_400_000;

export function dayNumber(day: CalendarDay): number {
  return Math.round(Date.UTC(day.y, day.m - 1, day.d) / DAY_MS);
}

export function fromDayNumber(n: number): CalendarDay {
  const date = new Date(n * DAY_MS);
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() };
}

/** The day `days` later (earlier when negative); a month-year date moves by whole months of about that length. */
export function shiftDay(day: CalendarDay, days: number, monthOnly = false): CalendarDay {
  if (!monthOnly) return fromDayNumber(dayNumber(day) + days);
  const months = Math.round(days / 30.44);
  const index = day.y * 12 + (day.m - 1) + months;
  return { y: Math.floor(index / 12), m: (index % 12) + 1, d: 1 };
}

export function isoDay(day: CalendarDay): string {
  return `${day.y}-${pad(day.m, 2)}-${pad(day.d, 2)}`;
}

/** `YYYY-MM-DD` (with an optional time after it) shifted by `days`, or undefined when `value` does not start with an ISO day. */
export function shiftIso(value: string, days: number): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(.*)$/s.exec(value.trim());
  if (!m) return undefined;
  const day = { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
  if (!valid(day)) return undefined;
  return isoDay(shiftDay(day, days)) + m[4];
}

/**
 * The day order a document writes numeric dates in: day first when one of its numeric dates can only be read
 * so (a first number over 12), else month first.
 */
export function documentDayOrder(dateTexts: readonly string[]): DayOrder {
  let dmy = 0;
  let mdy = 0;
  for (const t of dateTexts) {
    const m = /^(\d{1,2})[-/.](\d{1,2})[-/.]\d{2,4}/.exec(t.trim());
    if (!m) continue;
    if (Number(m[1]) > 12) dmy++;
    else if (Number(m[2]) > 12) mdy++;
  }
  return dmy > mdy ? 'dmy' : 'mdy';
}
