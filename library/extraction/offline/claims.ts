/**
 * Claim lines of CMS-1500 forms, itemised bills and EOBs: a row with a CPT/HCPCS code and an amount.
 * Its cells are typed (date, code, amount, modifier, pointer, units, place) and assigned in the order of
 * the table's header columns, read from the header words above the first row (vocabulary.ts), or in the
 * order of the CMS-1500's box 24 (A date, B place, D code + modifier, E pointer, F charges, G units).
 */
import type { ClaimLine } from '../../../core/contract/extraction.js';
import type { DateContext } from './dates.js';
import { parseDate } from './dates.js';
import type { Line } from './lines.js';
import { lineEvidence, spanEvidence } from './lines.js';
import { cellsOf } from './labels.js';
import { plainText } from './text.js';
import { COLUMN_WORDS } from './vocabulary.js';

type Kind = 'date' | 'place' | 'code' | 'modifier' | 'pointer' | 'charge' | 'units';
const CMS_ORDER: Kind[] = ['date', 'place', 'code', 'modifier', 'pointer', 'charge', 'units'];
const DEFAULT_ORDER: Kind[] = ['date', 'code', 'charge', 'units'];
const CODE = /^(?:\d{4}[0-9A-Z]|[A-V]\d{4})$/;
/** An amount: cents, thousands separators, or a currency sign (any one symbol: a font may map ₹ to another glyph). */
const MONEY =
  /^(?:[^\p{L}\p{Nd}\s(]\s?)?-?\d{1,3}(?:,\d{3})*\.\d{2}$|^(?:[^\p{L}\p{Nd}\s(]\s?)?-?\d+\.\d{2}$|^[^\p{L}\p{Nd}\s(]-?\d{1,3}(?:,\d{3})*$|^[^\p{L}\p{Nd}\s(]\d+$|^\d{1,3}(?:,\d{3})+$/u;
/** The page is a CMS-1500 (its box 24 labels or its title). */
const CMS_CUE = /\b(24A|health insurance claim form|cms-?1500|nucc)\b/i;

function fits(kind: Kind, token: string): boolean {
  switch (kind) {
    case 'date':
      return token === '\u0000DATE';
    case 'code':
      return CODE.test(token);
    case 'charge':
      return MONEY.test(token);
    case 'place':
      return /^\d{2}$/.test(token);
    case 'modifier':
      return /^(?:[A-Z0-9]{2})(?:\s*[A-Z0-9]{2})*$/.test(token) && !CODE.test(token);
    case 'pointer':
      return /^[A-L]{1,4}$|^[1-4](?:,?[1-4]){0,3}$/.test(token);
    case 'units':
      return /^\d{1,3}(?:\.\d)?$/.test(token);
  }
}

/** Tokens of a row: dates as one token, money with its currency sign, the rest word by word. */
function tokensOf(text: string, dates: DateContext, cms: boolean): { tokens: string[]; date: string | null } {
  // Box 24A prints a date in three cells, 'MM DD YY', From and then To: the From date is the row's. OCR
  // may close the cells up ('011926', '01 1926') or read their edges ('10 | 11 | 21').
  const cells = cms ? / {0,2}(?:\| {0,2})?/.source : / {1,2}/.source;
  const boxedDate = new RegExp(String.raw`^(\d{2})${cells}(\d{2})${cells}(\d{2}|\d{4})(?:${cells}\d{2}${cells}\d{2}${cells}(?:\d{2}|\d{4}))?(?=\s)`);
  let s = plainText(text).replace(boxedDate, (all, m: string, d: string, y: string) =>
    Number(m) >= 1 && Number(m) <= 12 && Number(d) >= 1 && Number(d) <= 31 ? `${m}/${d}/${y}` : all,
  );
  let date: string | null = null;
  const d = parseDate(s, dates);
  if (d) {
    date = d.iso;
    s = `${s.slice(0, d.start)}  \u0000DATE  ${s.slice(d.end)}`;
  }
  s = s.replace(/([$€£₹])\s+(?=\d)/g, '$1');
  // A code glued to the description before it ("Chest X-Ray (Bilateral)71046").
  s = s.replace(/([A-Za-z)\]])(\d{4}[0-9A-Z]|[A-V]\d{4})(?=\s|$)/g, '$1 $2');
  let tokens = s.split(/\s+/).filter((t) => t !== '');
  if (cms) {
    // A box's edge read as a glyph after an amount ('453.00]'), and box F's charge run into box G's units ('318.002', '301.00(1').
    tokens = tokens.flatMap((t) => {
      const m = /^(\d{1,3}(?:,\d{3})*\.\d{2}|\d+\.\d{2})(?:[\])|([]?(\d{1,3}))?[\])|]?$/.exec(t);
      return m ? (m[2] ? [m[1]!, m[2]] : [m[1]!]) : [t];
    });
  }
  return { tokens, date };
}

/** Column order from header lines: column words by their place on the line with most of them. */
function headerOrder(lines: Line[]): Kind[] | null {
  let bestKinds: Kind[] = [];
  const words = Object.entries(COLUMN_WORDS)
    .filter(([k]) => ['date', 'code', 'modifier', 'pointer', 'units', 'charge', 'place'].includes(k))
    .flatMap(([k, ws]) => ws.map((w) => [k as Kind, w] as const))
    .sort((a, b) => b[1].length - a[1].length);
  for (const line of lines) {
    const t = plainText(line.text).toLowerCase();
    const hits: Array<{ at: number; kind: Kind }> = [];
    const taken: boolean[] = [];
    for (const [kind, w] of words) {
      const re = new RegExp(String.raw`(?<![\w/])${w.replace(/[$/.()]/g, '\\$&')}(?![\w])`, 'g');
      let m: RegExpExecArray | null;
      while ((m = re.exec(t))) {
        if (taken[m.index]) continue;
        for (let i = m.index; i < m.index + m[0].length; i++) taken[i] = true;
        if (!hits.some((h) => h.kind === kind)) hits.push({ at: m.index, kind });
      }
    }
    const kinds = hits.sort((a, b) => a.at - b.at).map((h) => h.kind);
    if (kinds.length > bestKinds.length) bestKinds = kinds;
  }
  return bestKinds.length >= 3 && bestKinds.includes('code') ? bestKinds : null;
}

export function claimLines(pageLines: Line[][], dates: DateContext): ClaimLine[] {
  const out: ClaimLine[] = [];
  for (const lines of pageLines) {
    const cms = lines.some((l) => CMS_CUE.test(l.text));
    let order: Kind[] | null = null;
    let lastDate: string | null = null;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (/\b(total|balance|subtotal|amount due|paid by)\b/i.test(line.text)) continue;
      // A date cell whose year wrapped onto the next line ('26 Apr' / '2024  with differential').
      const next = lines[i + 1];
      const yearBelow = next ? /^((?:19|20)\d{2})(?:\s{2,}|$)/.exec(next.text) : null;
      const firstCell = cellsOf(line.text)[0] ?? '';
      const wrappedDate = yearBelow && !parseDate(firstCell, dates) ? parseDate(`${firstCell} ${yearBelow[1]}`, dates) : null;
      // The row read with its whole date in place of the cut one.
      const { tokens, date } = tokensOf(
        wrappedDate ? `${wrappedDate.iso}${line.text.slice(line.text.indexOf(firstCell) + firstCell.length)}` : line.text,
        dates,
        cms,
      );
      if (!tokens.some((t) => CODE.test(t)) || !tokens.some((t) => MONEY.test(t))) continue;
      order ??= cms ? CMS_ORDER : (headerOrder(lines.slice(Math.max(0, i - 4), i)) ?? DEFAULT_ORDER);
      // The code anchors the row: cells before it take the columns before the code, cells after it the
      // columns after (a misread cell before the code cannot take the modifier's column).
      const codeAt = tokens.findIndex((t) => CODE.test(t));
      const columns = order;
      const codeColumn = columns.indexOf('code');
      const row: Partial<Record<Kind, string>> = {};
      let k = 0;
      tokens.forEach((token, t) => {
        if (t === codeAt) {
          row.code = token;
          k = codeColumn + 1;
          return;
        }
        const j = columns.findIndex((kind, n) => n >= k && (codeColumn < 0 || t > codeAt || n < codeColumn) && !(kind in row) && fits(kind, token));
        if (j < 0) return;
        row[columns[j]!] = token;
        k = j + 1;
      });
      if (!row.code) continue;
      const number = (s: string | undefined): number | null => (s === undefined ? null : Number(s.replace(/[^\d.-]/g, '')));
      lastDate = date ?? lastDate;
      out.push({
        service_date: date ?? (out.length > 0 ? lastDate : null),
        code: row.code,
        modifier: row.modifier ?? null,
        diagnosis_pointer: row.pointer ?? null,
        units: number(row.units),
        charge: number(row.charge),
        evidence: wrappedDate ? spanEvidence(line, next!) : lineEvidence(line),
        confidence: row.charge && (date || !order.includes('date')) ? 0.8 : 0.6,
      });
    }
  }
  return out;
}
