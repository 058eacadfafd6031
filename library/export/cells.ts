/**
 * Typed cells: numbers stay numbers, ISO dates become Excel dates, confidence is a 0% number, pages are
 * integers, and every string goes through `safeText`, which neutralises spreadsheet-formula injection.
 */
import type ExcelJS from 'exceljs';

/** Characters that make a spreadsheet (or a CSV re-save of it) treat a cell as a formula. */
const FORMULA_START = /^(?:[=+\-@\t\r\n]|\s+[=+\-@])/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Excel's limit on the characters in one cell. */
const MAX_CELL_CHARS = 32767;

/**
 * A string made safe for a cell: a leading `=`, `+`, `-`, `@`, tab or carriage return (also after leading
 * whitespace) gets a `'` in front so no spreadsheet evaluates it; lone surrogates (which would corrupt the
 * XML) are replaced; over-long text is cut to Excel's cell limit.
 */
export function safeText(s: string): string {
  let out = s.replace(LONE_SURROGATE, '\uFFFD');
  if (FORMULA_START.test(out)) out = `'${out}`;
  if (out.length > MAX_CELL_CHARS) out = `${out.slice(0, MAX_CELL_CHARS - 1)}…`;
  return out;
}

interface IsoDate {
  date: Date;
  hasTime: boolean;
  hasSeconds: boolean;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
/** Excel's 1900 date system is wrong before 1900-03-01 (the phantom 29 Feb 1900); such dates stay text. */
const EXCEL_MIN_DATE = Date.UTC(1900, 2, 1);

/**
 * Parses an ISO-8601 date (`YYYY-MM-DD`) or date-time (`YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]`) into a
 * Date whose UTC components are the wall-clock time as written in the document. Excel has no time
 * zones, so an offset is not applied: the cell shows the time the document shows. Returns null for
 * anything else, including impossible dates such as 2024-02-30.
 */
export function parseIsoDate(s: string): IsoDate | null {
  const m = ISO_RE.exec(s.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const hasTime = m[4] !== undefined;
  const h = hasTime ? Number(m[4]) : 0;
  const mi = hasTime ? Number(m[5]) : 0;
  const sec = m[6] !== undefined ? Number(m[6]) : 0;
  const ms = m[7] !== undefined ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return null;
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, sec, ms));
  // Date.UTC maps years 0–99 to 1900–1999; the check below rejects those along with overflowed days.
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  if (date.getTime() < EXCEL_MIN_DATE) return null;
  return { date, hasTime, hasSeconds: sec !== 0 || ms !== 0 };
}

const DATE_FMT = 'yyyy-mm-dd';
const DATETIME_FMT = 'yyyy-mm-dd hh:mm';
const DATETIME_SECONDS_FMT = 'yyyy-mm-dd hh:mm:ss';

/** A number format that shows the number the way the source wrote it (thousands separated, same decimals). */
function numberFormat(n: number, decimals?: number): string {
  if (decimals === undefined) {
    const s = String(n);
    if (/e/i.test(s)) return 'General';
    decimals = s.includes('.') ? s.length - s.indexOf('.') - 1 : 0;
  }
  return decimals > 0 ? `#,##0.${'0'.repeat(Math.min(decimals, 15))}` : '#,##0';
}

/** A plain decimal written as text ("-5", "1.50"), which a value column stores as a number. */
const PLAIN_NUMBER = /^[+-]?(?:0|[1-9]\d*)(?:\.(\d+))?$/;

function numericString(s: string): { n: number; decimals: number } | null {
  const t = s.trim();
  const m = PLAIN_NUMBER.exec(t);
  if (!m) return null;
  if (t.replace(/\D/g, '').length > 15) return null; // beyond a double's precision: keep the text
  const n = Number(t);
  return Number.isFinite(n) ? { n: Object.is(n, -0) ? 0 : n, decimals: m[1]?.length ?? 0 } : null;
}

export function isValidDate(d: unknown): d is Date {
  return d instanceof Date && !Number.isNaN(d.getTime());
}

/**
 * How a column's values are written:
 * - text: strings (sanitised); a stray number stays a number
 * - value: a measured value: numbers, and plain numeric strings, become numbers; other text stays text
 * - date: ISO date/date-time strings become Excel dates; other strings stay text
 * - timestamp: a JS Date (an instant), written in UTC
 * - page, count: integers
 * - confidence: a number in [0, 1] shown as a percentage
 */
export type Kind = 'text' | 'value' | 'date' | 'timestamp' | 'page' | 'count' | 'confidence';
export type Raw = string | number | Date | null | undefined;
/** A cell: a raw value written by its column's kind, or with its own kind (the Fields sheet's Value column). */
export type CellIn = Raw | { kind: Kind; v: Raw };

export interface CellOut {
  value: ExcelJS.CellValue;
  numFmt?: string;
  /** Characters the cell shows, to size its column. */
  width: number;
}

export function toCell(raw: Raw, kind: Kind): CellOut {
  if (raw === null || raw === undefined) return { value: null, width: 0 };
  if (raw instanceof Date) {
    if (!isValidDate(raw)) return { value: null, width: 0 };
    return { value: raw, numFmt: DATETIME_SECONDS_FMT, width: 19 };
  }
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return { value: null, width: 0 };
    switch (kind) {
      case 'confidence':
        return { value: raw, numFmt: '0%', width: 5 };
      case 'page':
      case 'count':
        return { value: raw, numFmt: '0', width: String(raw).length };
      default: {
        const numFmt = numberFormat(raw);
        return { value: raw, numFmt, width: String(raw).length + Math.floor(String(Math.trunc(Math.abs(raw))).length / 3) };
      }
    }
  }
  const s = String(raw);
  if (kind === 'date') {
    const iso = parseIsoDate(s);
    if (iso) {
      const numFmt = !iso.hasTime ? DATE_FMT : iso.hasSeconds ? DATETIME_SECONDS_FMT : DATETIME_FMT;
      return { value: iso.date, numFmt, width: numFmt.length };
    }
  }
  if (kind === 'value') {
    const num = numericString(s);
    if (num) return { value: num.n, numFmt: numberFormat(num.n, num.decimals), width: s.trim().length };
  }
  const text = safeText(s);
  return { value: text, width: Math.max(0, ...text.split('\n').map((l) => l.length)) };
}
