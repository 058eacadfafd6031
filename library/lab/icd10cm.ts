/**
 * ICD-10-CM codes checked against the code list (April 2026 release, CDC/NCHS, public domain), read from
 * data/icd10cm-2026.tsv.gz (written by scripts/generate-icd10cm.py; the file's header names its source).
 * The list is loaded on first use, once per process.
 *
 * Valid means the code is in the ICD-10-CM tabular list: a billable code or a header (a category or
 * subcategory with codes below it, "E11", "R51"). Headers are accepted because documents print them
 * (problem lists, referrals) and they are real codes of the classification; `billable` says which is
 * which, for exporters (claims) that need a billable code. A printed code that is not in the list is
 * reported invalid, never dropped or corrected.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface Icd10Check {
  /** The code normalised: upper case, with its dot ("e119" → "E11.9"); as printed (trimmed, upper case) when it has no ICD-10-CM form. */
  code: string;
  /** In the ICD-10-CM code list (billable code or header). */
  valid: boolean;
  /** The code's description in the tabular list; null when not valid. */
  display: string | null;
  /** A billable code (no codes below it); false for headers and invalid codes. */
  billable: boolean;
}

const DATA_FILE = new URL('./data/icd10cm-2026.tsv.gz', import.meta.url);

interface Row {
  description: string;
  header: boolean;
  /** For codes whose billable codes add a seventh character: the characters and their table. */
  seventh: { chars: string; table: ReadonlyMap<string, string> } | null;
}

interface CodeList {
  rows: Map<string, Row>;
  /** The code padded with X to six characters → its row, for seventh-character codes. */
  byPaddedBase: Map<string, Row>;
}

let list: CodeList | null = null;

function load(): CodeList {
  if (list !== null) return list;
  const text = gunzipSync(readFileSync(DATA_FILE)).toString('utf8');
  const tables = new Map<string, Map<string, string>>();
  const rows = new Map<string, Row>();
  const byPaddedBase = new Map<string, Row>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split('\t');
    if (line.startsWith('@')) {
      const table = new Map<string, string>();
      for (let i = 1; i + 1 < cols.length; i += 2) table.set(cols[i]!, cols[i + 1]!);
      tables.set(cols[0]!.slice(1), table);
      continue;
    }
    const [code, description, kind, tableId, chars] = cols as [string, string, string?, string?, string?];
    const table = kind === '7' ? tables.get(tableId ?? '') : undefined;
    const row: Row = { description, header: kind === 'H' || kind === '7', seventh: table && chars ? { chars, table } : null };
    rows.set(code, row);
    if (row.seventh) byPaddedBase.set(code.padEnd(6, 'X'), row);
  }
  list = { rows, byPaddedBase };
  return list;
}

const withDot = (code: string) => (code.length > 3 ? `${code.slice(0, 3)}.${code.slice(3)}` : code);

/** A printed ICD-10-CM code checked against the code list; codes may be printed with or without the dot ("E119" / "E11.9"). */
export function checkIcd10cm(printed: string): Icd10Check {
  const trimmed = printed.trim().toUpperCase();
  const m = /^([A-Z]\d[0-9A-Z])(?:\.?([0-9A-Z]{1,4}))?$/.exec(trimmed.replace(/\s+/g, ''));
  if (!m) return { code: trimmed, valid: false, display: null, billable: false };
  const code = m[1]! + (m[2] ?? '');
  const { rows, byPaddedBase } = load();
  const row = rows.get(code);
  if (row) return { code: withDot(code), valid: true, display: row.description, billable: !row.header };
  if (code.length === 7) {
    const base = byPaddedBase.get(code.slice(0, 6));
    const seventh = base?.seventh;
    const meaning = seventh && seventh.chars.includes(code[6]!) ? seventh.table.get(code[6]!) : undefined;
    if (base && meaning !== undefined) return { code: withDot(code), valid: true, display: `${base.description}, ${meaning}`, billable: true };
  }
  return { code: withDot(code), valid: false, display: null, billable: false };
}
