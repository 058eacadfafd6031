/** Text helpers shared by the offline rules: plain characters, blanks, form templates, lists, bullets. */
import { LIGATURES } from './lexicon.js';

/**
 * Text with ligatures, full-width forms, typographic dashes, quotes and odd spaces made plain. Not NFKC:
 * that would turn superscripts into digits ("10³/µL" → "103/µL", a mis-mapped "¹2,500" → "12,500").
 */
export function plainText(s: string): string {
  return s
    .normalize('NFC')
    .replace(/[\uFB00-\uFB06]/g, (c) => LIGATURES[c] ?? c)
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/[\u2018\u2019\u2032]/g, "'")
    .replace(/[\u201C\u201D]/g, '"')
    .replace(/[\u00A0\u2007\u202F]/g, ' ');
}

/** A named group of a match. */
export const group = (m: RegExpMatchArray | RegExpExecArray | null, name: string): string | undefined => m?.groups?.[name];

/** Values that mean "nothing was filled in". */
export function isBlank(v: string): boolean {
  return /^[\s_.\-–—:*]*$/.test(v) || /^(n\/?a|none entered|not provided|unknown|--)$/i.test(v.trim());
}

/** Checkbox glyphs or fill-in instructions: the printed template of a form, not a filled-in value. */
export const FORM_TEMPLATE = /[□☐☒☑■▢◻]|\[\s*\]|\(\s*\)|\b(if yes|please (list|specify|describe)|list all|specify|circle one|check (one|all))\b|:$/i;

/** Splits "a, b (x, y); c" at top-level commas and semicolons. */
export function splitList(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth = Math.max(0, depth - 1);
    if ((ch === ',' || ch === ';') && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

/** A list-item marker: "1." / "2)", a dash or a bullet glyph. */
export const BULLET = /^\s*(?:\d{1,2}[.)]\s+|[-–•*·▪●◦]\s*|[»›«]\s*(?=\p{L})|[>~¢©®°+]\s{2,}(?=\p{L}))/u;

/** A stand-in of de-identified text (library/deid: "[[MRN_1]]"): stands for a whole value of its kind. */
export const isStandIn = (v: string): boolean => /^\[\[[A-Z]+(?:_[A-Z]+)?_\d+\]\]$/.test(v.trim());
