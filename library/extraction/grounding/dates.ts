/**
 * Dates as printed: an ISO value ("1949-07-22", or a date-time) is supported by a quote that prints the
 * same calendar day in any common form: "1949-07-22", "07/22/1949", "22/07/1949", "22.07.49", "22 Jul 1949",
 * "July 22, 1949", "22nd of July 1949", "19490722". A numeric day/month order is ambiguous, so both readings
 * count; a two-digit year matches a value whose year ends in those digits.
 *
 * Hand-written rather than a date library: the job is the reverse of parsing one known format (find any
 * date-like run inside free text), the set of printed forms is small and closed, and no date library is a
 * dependency of the project.
 */

export interface CalendarDay {
  year: number;
  month: number;
  day: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
const MONTH_NAME =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';
const ORDINAL = '(?:st|nd|rd|th)?';

/** The calendar day of an ISO date or date-time value; null for anything else. */
export function isoDay(value: string): CalendarDay | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(value.trim());
  if (!m) return null;
  const day = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return validDay(day) ? day : null;
}

function validDay(d: CalendarDay): boolean {
  if (d.month < 1 || d.month > 12 || d.day < 1) return false;
  const last = new Date(Date.UTC(d.year, d.month, 0)).getUTCDate();
  return d.day <= last;
}

/** A printed day as read from text: the year may be two-digit (century unknown). */
interface PrintedDay {
  year: number;
  twoDigitYear: boolean;
  month: number;
  day: number;
}

const monthOf = (name: string): number => MONTHS.indexOf(name.slice(0, 3).toLowerCase() as (typeof MONTHS)[number]) + 1;
const year = (s: string): { year: number; twoDigitYear: boolean } => ({ year: Number(s), twoDigitYear: s.length === 2 });

const PATTERNS: ReadonlyArray<{ re: RegExp; read: (m: RegExpMatchArray) => PrintedDay[] }> = [
  {
    // 1949-07-22, 1949/7/22, 1949.07.22
    re: /(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)/g,
    read: (m) => [{ year: Number(m[1]), twoDigitYear: false, month: Number(m[2]), day: Number(m[3]) }],
  },
  {
    // 07/22/1949, 22/07/1949, 22.07.49, 7-22-49: both day/month orders
    re: /(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?!\d)/g,
    read: (m) => {
      const y = year(m[3]!);
      const [a, b] = [Number(m[1]), Number(m[2])];
      return [
        { ...y, month: a, day: b },
        { ...y, month: b, day: a },
      ];
    },
  },
  {
    // 22 Jul 1949, 22-Jul-49, 22nd of July 1949
    re: new RegExp(`(?<!\\d)(\\d{1,2})${ORDINAL}[\\s-]*(?:of\\s+)?${MONTH_NAME}[\\s,.-]*(\\d{4}|\\d{2})(?!\\d)`, 'gi'),
    read: (m) => [{ ...year(m[3]!), month: monthOf(m[2]!), day: Number(m[1]) }],
  },
  {
    // July 22, 1949; Jul 22 1949
    re: new RegExp(`\\b${MONTH_NAME}\\s*(\\d{1,2})${ORDINAL}(?!\\d)(?:,\\s*|\\s+)(\\d{4}|\\d{2})(?!\\d)`, 'gi'),
    read: (m) => [{ ...year(m[3]!), month: monthOf(m[1]!), day: Number(m[2]) }],
  },
  {
    // 19490722 (years 1800–2199 only, so an 8-digit number is rarely taken for a date)
    re: /(?<!\d)(1[89]\d{2}|2[01]\d{2})(\d{2})(\d{2})(?!\d)/g,
    read: (m) => [{ year: Number(m[1]), twoDigitYear: false, month: Number(m[2]), day: Number(m[3]) }],
  },
];

function printedDays(text: string): PrintedDay[] {
  const out: PrintedDay[] = [];
  for (const { re, read } of PATTERNS) for (const m of text.matchAll(re)) out.push(...read(m));
  return out.filter((d) => d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= 31);
}

/** Whether `text` prints anything that reads as a date. */
export function mentionsDate(text: string): boolean {
  return printedDays(text).length > 0;
}

/** Whether `text` prints the calendar day of the ISO `value` (see the module comment). */
export function dateInText(value: string, text: string): boolean {
  const want = isoDay(value);
  if (!want) return false;
  return printedDays(text).some((d) => d.month === want.month && d.day === want.day && (d.twoDigitYear ? d.year === want.year % 100 : d.year === want.year));
}

/** Milliseconds since the epoch of a calendar day at midnight UTC. */
export function dayStamp(d: CalendarDay): number {
  return Date.UTC(d.year, d.month - 1, d.day);
}
