/** Dates as printed in medical documents → ISO-8601, with the document's day/month order and today's date. */
import type { PageText } from '../../../core/contract/extraction.js';
import { MONTH_PATTERN, MONTHS } from './lexicon.js';
import { plainText } from './text.js';

export type DateOrder = 'mdy' | 'dmy';

/** How the document writes its dates, and today, which sets the century of a two-digit year. */
export interface DateContext {
  order: DateOrder;
  now: Date;
}

export interface ParsedDate {
  iso: string; // YYYY-MM-DD or YYYY-MM-DDTHH:MM
  /** The day/month order had to be guessed. */
  ambiguous: boolean;
  /** Index just after the date (and time, if any) in the searched text. */
  end: number;
  start: number;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function validYmd(y: number, m: number, d: number): boolean {
  if (!(y >= 1870 && y <= 2200 && m >= 1 && m <= 12 && d >= 1)) return false;
  return d <= daysInMonth(y, m);
}

/** A two-digit year is in this century up to the current year, else in the last one. */
function fullYear(y: string, now: Date): number {
  const n = Number(y);
  if (y.length === 4) return n;
  const nowYY = now.getUTCFullYear() % 100;
  return n <= nowYY ? 2000 + n : 1900 + n;
}

/** Finds the first date in `text` (optionally followed by a time) and returns it in ISO-8601. */
export function parseDate(text: string, context: DateContext, withTime = false): ParsedDate | null {
  const s = plainText(text);
  const candidates: Array<{ start: number; end: number; y: number; m: number; d: number; ambiguous: boolean }> = [];
  let m: RegExpExecArray | null;

  const ymd = /(?<![\d/.-])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d/])/g;
  while ((m = ymd.exec(s))) candidates.push({ start: m.index, end: m.index + m[0].length, y: +m[1]!, m: +m[2]!, d: +m[3]!, ambiguous: false });

  const num = /(?<![\d/.-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\d/]|\.\d)/g;
  while ((m = num.exec(s))) {
    const a = +m[1]!;
    const b = +m[3]!;
    const y = fullYear(m[4]!, context.now);
    let mo: number;
    let d: number;
    let ambiguous = false;
    if (a > 12 && b <= 12) [d, mo] = [a, b];
    else if (b > 12 && a <= 12) [mo, d] = [a, b];
    else {
      ambiguous = a !== b;
      // '.' separated dates are day-first by convention; otherwise the document's order (default US).
      const o: DateOrder = m[2] === '.' ? 'dmy' : context.order;
      [mo, d] = o === 'mdy' ? [a, b] : [b, a];
    }
    candidates.push({ start: m.index, end: m.index + m[0].length, y, m: mo, d, ambiguous });
  }

  const dmy = new RegExp(`(?<![\\w])(\\d{1,2})(?:st|nd|rd|th)?[\\s./-]*(${MONTH_PATTERN})\\.?[\\s./,-]*(\\d{4}|\\d{2})(?![\\d])`, 'gi');
  while ((m = dmy.exec(s))) {
    const mo = MONTHS[m[2]!.slice(0, 3).toLowerCase()] ?? 0;
    candidates.push({ start: m.index, end: m.index + m[0].length, y: fullYear(m[3]!, context.now), m: mo, d: +m[1]!, ambiguous: false });
  }
  const mdy = new RegExp(`(?<![\\w])(${MONTH_PATTERN})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})(?![\\d])`, 'gi');
  while ((m = mdy.exec(s))) {
    const mo = MONTHS[m[1]!.slice(0, 3).toLowerCase()] ?? 0;
    candidates.push({ start: m.index, end: m.index + m[0].length, y: +m[3]!, m: mo, d: +m[2]!, ambiguous: false });
  }

  candidates.sort((x, y) => x.start - y.start);
  for (const c of candidates) {
    if (!validYmd(c.y, c.m, c.d)) continue;
    let iso = `${c.y}-${pad(c.m)}-${pad(c.d)}`;
    let end = c.end;
    if (withTime) {
      const t = /^\s*(?:,|\||at|T|@)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?/.exec(s.slice(c.end));
      if (t) {
        let h = +t[1]!;
        const min = +t[2]!;
        const ap = t[4]?.replace(/\./g, '').toLowerCase();
        if (ap === 'pm' && h < 12) h += 12;
        if (ap === 'am' && h === 12) h = 0;
        if (h <= 23 && min <= 59) {
          iso += `T${pad(h)}:${pad(min)}`;
          end += t[0].length;
        }
      }
    }
    return { iso, ambiguous: c.ambiguous, start: c.start, end };
  }
  return null;
}

/** Day-first or month-first for the whole document, from the numeric dates it contains. */
export function documentDateOrder(pages: PageText[]): DateOrder {
  let dmy = 0;
  let mdy = 0;
  const re = /(?<![\d/.-])(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})(?![\d/])/g;
  for (const p of pages) {
    let m: RegExpExecArray | null;
    while ((m = re.exec(p.text))) {
      const a = +m[1]!;
      const b = +m[2]!;
      if (a > 12 && b <= 12) dmy++;
      else if (b > 12 && a <= 12) mdy++;
    }
  }
  return dmy > 0 && mdy === 0 ? 'dmy' : 'mdy';
}
