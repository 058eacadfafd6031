/**
 * Dates as FHIR R4 writes them. A `date` is YYYY, YYYY-MM or YYYY-MM-DD; a `dateTime` with a time needs
 * seconds and a time zone; an `instant` needs both. A document that prints a local time without a zone
 * cannot be given one honestly, so such a time keeps only its date (and the value as printed goes into
 * the evidence extension).
 */

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

function realDate(y: number, m: number | null, d: number | null): boolean {
  if (y < 1) return false;
  if (m === null) return true;
  if (m < 1 || m > 12) return false;
  if (d === null) return true;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** A FHIR `date` from an ISO-8601 date (YYYY, YYYY-MM, YYYY-MM-DD), or null when it is not a real one. */
export function fhirDate(s: string | null | undefined): string | null {
  const m = DATE.exec((s ?? '').trim());
  if (!m) return null;
  const ok = realDate(Number(m[1]), m[2] ? Number(m[2]) : null, m[3] ? Number(m[3]) : null);
  return ok ? m[0] : null;
}

export interface DateTimeReading {
  /** What FHIR can carry: the date-time with zone, or only its date. */
  value: string | null;
  /** The printed time had no zone, so only the date was kept. */
  zoneless: boolean;
}

/** A FHIR `dateTime` from an ISO-8601 date or date-time. */
export function fhirDateTime(s: string | null | undefined): DateTimeReading {
  const text = (s ?? '').trim();
  const date = fhirDate(text);
  if (date) return { value: date, zoneless: false };
  const m = DATE_TIME.exec(text);
  if (!m || !fhirDate(m[1]!)) return { value: null, zoneless: false };
  const [h, min, sec] = [Number(m[2]), Number(m[3]), m[4] === undefined ? 0 : Number(m[4])];
  if (h > 23 || min > 59 || sec > 59) return { value: null, zoneless: false };
  if (!m[6]) return { value: m[1]!, zoneless: true };
  const zone = m[6] === 'Z' ? 'Z' : `${m[6].slice(0, 3)}:${m[6].slice(-2)}`;
  const pad = (n: number) => String(n).padStart(2, '0');
  return { value: `${m[1]}T${pad(h)}:${pad(min)}:${pad(sec)}${m[5] ?? ''}${zone}`, zoneless: false };
}

/** A FHIR `instant` (UTC) from a timestamp, or null. */
export function fhirInstant(s: string | Date | null | undefined): string | null {
  if (s === null || s === undefined || s === '') return null;
  const d = s instanceof Date ? s : new Date(s);
  return Number.isFinite(d.getTime()) ? d.toISOString() : null;
}
