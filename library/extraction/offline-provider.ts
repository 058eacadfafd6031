/**
 * The `offline` extraction provider: deterministic rules over the page text, no network.
 *
 * Input is the text of each page as the text-layer reader (or OCR) produced it: visual lines joined by
 * '\n', items on a line separated by one space, or by two or more spaces where there is a column gap.
 * The rules read:
 *  - "Label: value" pairs (several per line, split at column gaps, at ' | ' and at known labels), with
 *    the value validated for its field, so that a blank form's printed labels never become values;
 *  - lab rows ("Test  value  unit  range  flag", "Test (LOINC: x):  value unit [Ref: range] HIGH", and
 *    single-spaced rows with a recognised unit), with garbage (mojibake) units dropped;
 *  - medications, diagnoses (ICD-10), procedures (CPT or a procedures section), vitals and allergies.
 * Every value carries evidence: the trimmed line it came from (a verbatim substring of the page text),
 * and a confidence that is lower for weaker rules.
 */
import type {
  Allergy,
  Diagnosis,
  DocumentType,
  Evidence,
  Extraction,
  Field,
  LabFlag,
  LabResult,
  Medication,
  PageText,
  Procedure,
  Sex,
  Vital,
} from '../../core/contract/extraction.js';
import { emptyExtraction } from '../../core/contract/extraction.js';

// ---------------------------------------------------------------------------------------------------
// Lines

interface Line {
  page: number;
  /** Index of this line among the non-empty lines of its page. */
  index: number;
  /** The line, trimmed: a verbatim substring of the page text, used as the evidence quote. */
  text: string;
  /** Where `text` starts in the page text. */
  offset: number;
  /** The whole page text. */
  pageText: string;
}

function toLines(pages: PageText[]): Line[][] {
  return pages.map((p) => {
    const out: Line[] = [];
    const re = /[^\r\n]+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(p.text))) {
      const text = m[0].trim();
      if (text === '') continue;
      const offset = m.index + m[0].indexOf(text);
      out.push({ page: p.page, index: out.length, text, offset, pageText: p.text });
    }
    return out;
  });
}

const ev = (line: Line): Evidence => ({ page: line.page, quote: line.text });
/** Evidence spanning consecutive lines of one page: the verbatim page text from the first to the last. */
function evSpan(first: Line, last: Line): Evidence {
  if (first.page !== last.page || last.offset < first.offset) return ev(first);
  return { page: first.page, quote: first.pageText.slice(first.offset, last.offset + last.text.length) };
}
const g = (m: RegExpMatchArray | RegExpExecArray | null, name: string): string | undefined => m?.groups?.[name];

const LIGATURES: Record<string, string> = { '\uFB00': 'ff', '\uFB01': 'fi', '\uFB02': 'fl', '\uFB03': 'ffi', '\uFB04': 'ffl', '\uFB05': 'st', '\uFB06': 'st' };

/**
 * Text with ligatures, full-width forms, typographic dashes, quotes and odd spaces made plain. Not NFKC:
 * that would turn superscripts into digits ("10³/µL" → "103/µL", a mis-mapped "¹2,500" → "12,500").
 */
function plain(s: string): string {
  return s
    .normalize('NFC')
    .replace(/[\uFB00-\uFB06]/g, (c) => LIGATURES[c] ?? c)
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/[\u2018\u2019\u2032]/g, "'")
    .replace(/[\u201C\u201D]/g, '"')
    .replace(/[\u00A0\u2007\u202F]/g, ' ');
}

// ---------------------------------------------------------------------------------------------------
// Dates

type DateOrder = 'mdy' | 'dmy';
const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12,
};
const MONTH_RE = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';

interface ParsedDate {
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

function validYmd(y: number, m: number, d: number): boolean {
  if (!(y >= 1870 && y <= 2200 && m >= 1 && m <= 12 && d >= 1)) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

function fullYear(y: string): number {
  const n = Number(y);
  if (y.length === 4) return n;
  const nowYY = new Date().getUTCFullYear() % 100;
  return n <= nowYY ? 2000 + n : 1900 + n;
}

/** Finds the first date in `text` (optionally followed by a time) and returns it in ISO-8601. */
function parseDate(text: string, order: DateOrder = 'mdy', withTime = false): ParsedDate | null {
  const s = plain(text);
  const candidates: Array<{ start: number; end: number; y: number; m: number; d: number; ambiguous: boolean }> = [];
  let m: RegExpExecArray | null;

  const ymd = /(?<![\d/.-])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d/])/g;
  while ((m = ymd.exec(s))) candidates.push({ start: m.index, end: m.index + m[0].length, y: +m[1]!, m: +m[2]!, d: +m[3]!, ambiguous: false });

  const num = /(?<![\d/.-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\d/]|\.\d)/g;
  while ((m = num.exec(s))) {
    const a = +m[1]!;
    const b = +m[3]!;
    const y = fullYear(m[4]!);
    let mo: number;
    let d: number;
    let ambiguous = false;
    if (a > 12 && b <= 12) [d, mo] = [a, b];
    else if (b > 12 && a <= 12) [mo, d] = [a, b];
    else {
      ambiguous = a !== b;
      // '.' separated dates are day-first by convention; otherwise the document's order (default US).
      const o: DateOrder = m[2] === '.' ? 'dmy' : order;
      [mo, d] = o === 'mdy' ? [a, b] : [b, a];
    }
    candidates.push({ start: m.index, end: m.index + m[0].length, y, m: mo, d, ambiguous });
  }

  const dmy = new RegExp(`(?<![\\w])(\\d{1,2})(?:st|nd|rd|th)?[\\s./-]*(${MONTH_RE})\\.?[\\s./,-]*(\\d{4}|\\d{2})(?![\\d])`, 'gi');
  while ((m = dmy.exec(s))) {
    const mo = MONTHS[m[2]!.slice(0, 3).toLowerCase()] ?? 0;
    candidates.push({ start: m.index, end: m.index + m[0].length, y: fullYear(m[3]!), m: mo, d: +m[1]!, ambiguous: false });
  }
  const mdy = new RegExp(`(?<![\\w])(${MONTH_RE})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})(?![\\d])`, 'gi');
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
function documentDateOrder(pages: PageText[]): DateOrder {
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

// ---------------------------------------------------------------------------------------------------
// Label: value pairs

interface KV {
  /** Normalised label, e.g. "date of birth". */
  key: string;
  value: string;
  line: Line;
  /** The value was read from the line after a label standing alone. */
  nextLine: boolean;
}

const LABELS: Record<string, readonly string[]> = {
  name: ['patient name', 'patient', 'name', 'full name', 'patient full name', 'name of patient', "patient's name", 'pt name', 'patient nm'],
  first: ['first name', 'given name', 'patient first name', 'first'],
  last: ['last name', 'surname', 'family name', 'patient last name', 'last'],
  dob: ['dob', 'date of birth', 'birth date', 'birthdate', 'born', 'd o b', 'patient dob', 'patient date of birth'],
  sex: ['sex', 'gender', 'age/sex', 'age/gender', 'sex/age', 'gender/age', 'patient sex', 'patient gender'],
  mrn: [
    'mrn', 'mrn assigned', 'mrn no', 'mrn #', 'mrn#', 'medical record number', 'medical record no', 'medical record #', 'med rec no',
    'record no', 'record number', 'patient id', 'patient no', 'patient number', 'hospital no', 'hospital number', 'uhid', 'mr no',
    'mr #', 'mr#', 'chart no', 'chart #', 'chart number', 'patient id no',
  ],
  author: [
    'author', 'signed by', 'electronically signed by', 'discharging physician', 'attending physician', 'attending', 'radiologist',
    'reported by', 'validated by', 'verified by', 'pathologist', 'doctor', 'physician', 'prescriber', 'prescribing physician',
    'consultant', 'treating physician', 'dictated by', 'provider', 'attending provider', 'rendering provider', 'treating doctor',
  ],
  facility: ['facility', 'hospital', 'clinic', 'laboratory', 'lab', 'practice', 'performing lab', 'institution', 'health system'],
  docdate: [
    'report date', 'date reported', 'reported', 'reported on', 'date', 'date of service', 'service date', 'visit date', 'encounter date',
    'date of visit', 'study date', 'exam date', 'date of exam', 'discharge date', 'date of discharge', 'admission date', 'date of admission',
    'admission date & time', 'admission date/time', 'report date/time', 'date of report', 'signed date', 'date signed',
    'discharge', 'discharged', 'discharged on', 'admission', 'admitted', 'admitted on',
  ],
  collected: [
    'collection date', 'collected', 'collected on', 'specimen collected', 'sample collected', 'date collected', 'collection date/time',
    'collection date & time', 'date of collection', 'collection', 'drawn', 'date drawn', 'specimen date', 'sample date', 'sample collection',
  ],
  allergies: ['allergies', 'allergy', 'known allergies', 'drug allergies', 'allergies/reactions', 'allergies/adverse reactions', 'medication allergies'],
  medications: ['current medications', 'medications', 'medication', 'meds', 'home medications', 'discharge medications', 'current meds', 'medicines'],
  conditions: [
    'known conditions', 'conditions', 'diagnosis', 'diagnoses', 'final diagnosis', 'primary diagnosis', 'discharge diagnosis', 'problems',
    'problem list', 'past medical history', 'medical history', 'pmh', 'admitting diagnosis', 'provisional diagnosis',
  ],
  // Labels we do not read, known so that they end the value before them ("John Doe Pt ID: 123").
  other: [
    'id', 'pt id', "provider's pt id", 'account', 'account no', 'account #', 'acct', 'acct #', 'visit id', 'visit', 'encounter', 'encounter id',
    'phone', 'tel', 'telephone', 'mobile', 'cell', 'email', 'e-mail', 'fax', 'age', 'room', 'bed', 'ward', 'address', 'contact', 'insurance',
    'insurance id', 'policy', 'policy no', 'policy number', 'member id', 'group', 'group no', 'referring physician', 'referred by',
    'ordered by', 'ordering physician', 'ordering provider', 'ssn', 'race', 'ethnicity', 'language', 'status', 'marital status', 'accession',
    'accession #', 'accession no', 'specimen', 'specimen type', 'npi', 'dept', 'department', 'location', 'unit', 'time', 'blood group',
    'height', 'weight', 'religion', 'occupation', 'employer', 'guarantor', 'payer', 'plan', 'ref', 'reg no', 'registration no',
  ],
};
const LABEL_OF = new Map<string, string>();
for (const [field, keys] of Object.entries(LABELS)) for (const key of keys) if (!LABEL_OF.has(key)) LABEL_OF.set(key, field);

function labelKey(label: string): string {
  return plain(label)
    .toLowerCase()
    .replace(/\./g, '')
    .replace(/\s*\/\s*/g, '/')
    .replace(/\s*#/g, ' #')
    .replace(/\s+/g, ' ')
    .replace(/\s*:$/, '')
    .trim();
}

/** A label we know, possibly preceded by the tail of the previous value ("John Doe Sex"). */
function splitKnownSuffix(candidate: string): { before: string; label: string } | null {
  const words = candidate.trim().split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const label = words.slice(i).join(' ');
    if (LABEL_OF.has(labelKey(label))) return { before: words.slice(0, i).join(' '), label };
  }
  return null;
}

/** Values that mean "nothing was filled in". */
function isBlank(v: string): boolean {
  return /^[\s_.\-–—:*]*$/.test(v) || /^(n\/?a|none entered|not provided|unknown|--)$/i.test(v.trim());
}

function kvsOfLine(line: Line): KV[] {
  const out: KV[] = [];
  // Column gaps and ' | ' separate cells; a cell that is only a label takes the next cell as its value.
  const cells = line.text.split(/\s{2,}|\s+\|\s+|\t/).filter((c) => c.trim() !== '');
  const merged: string[] = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!.trim();
    const next = cells[i + 1]?.trim();
    if (/:$/.test(c) && next !== undefined && !/^[^:]{1,45}:(\s|$)/.test(next)) {
      merged.push(`${c} ${next}`);
      i++;
    } else merged.push(c);
  }
  for (const cell of merged) {
    // Every "label:" in the cell; a label starts at the cell start or after whitespace.
    const re = /(?:^|\s)([A-Za-z][A-Za-z0-9#.'’\/ &()-]{0,45}?)\s*:(?=\s|$)/g;
    const found: Array<{ label: string; start: number; end: number }> = [];
    let m: RegExpExecArray | null;
    while ((m = re.exec(cell))) {
      let label = m[1]!;
      let start = m.index + (m[0].length - m[0].trimStart().length);
      if (found.length > 0) {
        // In the middle of a cell, only a known label ends the previous value.
        const split = splitKnownSuffix(label);
        if (!split) continue;
        start += label.length - split.label.length;
        label = split.label;
      }
      found.push({ label, start, end: m.index + m[0].length });
    }
    for (let i = 0; i < found.length; i++) {
      const f = found[i]!;
      const value = cell.slice(f.end, found[i + 1]?.start ?? cell.length).trim().replace(/[,;|]$/, '').trim();
      out.push({ key: labelKey(f.label), value, line, nextLine: false });
    }
  }
  return out;
}

function collectKVs(pageLines: Line[][]): KV[] {
  const out: KV[] = [];
  for (const lines of pageLines) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const kvs = kvsOfLine(line);
      out.push(...kvs);
      // "Label:" alone on its line, value on the next line (which must not be a label line itself).
      const only = /^([A-Za-z][A-Za-z0-9#.'’\/ &()-]{0,45}?)\s*:$/.exec(line.text);
      const next = lines[i + 1];
      if (only && next && LABEL_OF.has(labelKey(only[1]!)) && !/:/.test(next.text)) {
        out.push({ key: labelKey(only[1]!), value: next.text, line: next, nextLine: true });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Field validators

const NAME_STOP = new Set(
  (
    'name last first middle initial mi patient patients insured date birth sex gender male female address street city state zip ' +
    'telephone phone number signature signed self spouse child other relationship information details mm dd yy yyyy dob mrn id ' +
    'unknown none n/a na age years yrs print type here field required optional form the of or and'
  ).split(' '),
);

/** A person's name as printed ("John Doe", "Doe, John A", "Dr. Ananya Rao"), or null. */
function cleanPersonName(raw: string, minWords = 2): string | null {
  const v = raw.replace(/\s+/g, ' ').trim().replace(/[,;]$/, '');
  if (v.length < 2 || v.length > 60 || isBlank(v)) return null;
  if (/[_\d@()[\]{}:|<>=]/.test(v)) return null;
  const words = v.split(' ');
  if (words.length < minWords || words.length > 6) return null;
  for (const w of words) {
    if (!/^[\p{L}][\p{L}'’.\-]*,?$/u.test(w)) return null;
    if (NAME_STOP.has(w.toLowerCase().replace(/[.,'’]/g, ''))) return null;
  }
  if (!/\p{Lu}/u.test(v)) return null;
  return v;
}

function cleanMrn(raw: string): string | null {
  const v = raw.trim().replace(/^#\s*/, '').replace(/[.,;]$/, '');
  if (!/^[A-Za-z0-9][A-Za-z0-9\-/.]{2,29}$/.test(v)) return null;
  if (!/\d/.test(v) || /x{3,}/i.test(v)) return null;
  return v;
}

const SEX_WORDS: ReadonlyArray<[Sex, RegExp]> = [
  ['F', /\b(female|woman|f)\b/i],
  ['M', /\b(male|man|m)\b/i],
  ['other', /\b(other|non-?binary|intersex)\b/i],
];

/**
 * "Male", "F", "49 yrs / Male". A value offering several options ("M / F", "☐ Male ☐ Female") is a
 * blank form's choice list: null, unless exactly one option is ticked ("☒ Female ☐ Male").
 */
function parseSex(raw: string): Sex | null {
  const v = raw.trim();
  const hits = SEX_WORDS.filter(([, re]) => re.test(v));
  if (hits.length === 1) return hits[0]![0];
  if (hits.length === 0) return null;
  const ticked = SEX_WORDS.filter(([, re]) => new RegExp(`(?:[☒☑✔✓■●]|\\[\\s*[xX✓]\\s*\\]|\\(\\s*[xX]\\s*\\))\\s*${re.source}`, 'i').test(v));
  return ticked.length === 1 ? ticked[0]![0] : null;
}

/** Checkbox glyphs or fill-in instructions: the printed template of a form, not a filled-in value. */
const FORM_TEMPLATE = /[□☐☒☑■▢◻]|\[\s*\]|\(\s*\)|\b(if yes|please (list|specify|describe)|list all|specify|circle one|check (one|all))\b|:$/i;

/** A physician or author: cut at a trailing specialty / registration number; must look like a person. */
function cleanAuthor(raw: string): string | null {
  let v = plain(raw)
    .split(/\s+-\s+|\s*\(|\s+\|\s+|\s+Reg\b|\s+Registration\b|\s+NPI\b/)[0]!
    .trim()
    .replace(/[,;]$/, '');
  if (v.length < 3 || isBlank(v)) return null;
  // Allow credentials after a comma: "Dr. Ananya Rao, MD".
  const [person, ...creds] = v.split(',');
  const name = cleanPersonName((person ?? '').replace(/^(Dr\.?|Doctor)\s+/i, 'Dr. '), 2);
  if (!name) return null;
  const credentials = creds.map((c) => c.trim()).filter((c) => /^[A-Z][A-Za-z.]{1,10}$/.test(c));
  v = [name, ...credentials].join(', ');
  return v;
}

// ---------------------------------------------------------------------------------------------------
// Scalar fields

interface Candidate<T> {
  value: T;
  line: Line;
  confidence: number;
  /** Evidence other than `line` (a quote spanning several lines). */
  evidence?: Evidence;
}

function best<T>(cands: Array<Candidate<T>>): Field<T> {
  let top: Candidate<T> | null = null;
  for (const c of cands) if (top === null || c.confidence > top.confidence) top = c;
  return top ? { value: top.value, evidence: top.evidence ?? ev(top.line), confidence: round(top.confidence) } : { value: null, evidence: null, confidence: 0 };
}

const round = (x: number): number => Math.round(Math.min(1, Math.max(0, x)) * 100) / 100;

function patientFields(kvs: KV[], order: DateOrder): Extraction['patient'] {
  const names: Array<Candidate<string>> = [];
  const dobs: Array<Candidate<string>> = [];
  const sexes: Array<Candidate<Sex>> = [];
  const mrns: Array<Candidate<string>> = [];
  const firsts: KV[] = [];
  const lasts: KV[] = [];
  for (const kv of kvs) {
    const field = LABEL_OF.get(kv.key);
    const penalty = kv.nextLine ? 0.8 : 1;
    switch (field) {
      case 'name': {
        const v = cleanPersonName(kv.value);
        if (v) names.push({ value: v, line: kv.line, confidence: (kv.key.includes('patient') || kv.key === 'full name' ? 0.95 : 0.85) * penalty });
        break;
      }
      case 'first':
        if (cleanPersonName(kv.value, 1)) firsts.push(kv);
        break;
      case 'last':
        if (cleanPersonName(kv.value, 1)) lasts.push(kv);
        break;
      case 'dob': {
        const d = parseDate(kv.value, order);
        if (d && d.start <= 2 && d.iso.slice(0, 4) <= String(new Date().getUTCFullYear())) {
          dobs.push({ value: d.iso, line: kv.line, confidence: (d.ambiguous ? 0.7 : 0.95) * penalty });
        }
        break;
      }
      case 'sex': {
        const s = parseSex(kv.value);
        if (s && kv.value.length <= 30) sexes.push({ value: s, line: kv.line, confidence: (kv.key.includes('/') ? 0.85 : 0.95) * penalty });
        break;
      }
      case 'mrn': {
        const v = cleanMrn(kv.value.split(/\s/)[0] ?? '');
        if (v && kv.value.trim().split(/\s+/).length === 1) {
          const strong = kv.key.startsWith('mrn') || kv.key.includes('medical record') || kv.key.startsWith('mr ');
          mrns.push({ value: v, line: kv.line, confidence: (strong ? 0.95 : 0.7) * penalty });
        }
        break;
      }
    }
  }
  if (names.length === 0 && firsts.length > 0 && lasts.length > 0) {
    const f = firsts[0]!;
    const l = lasts[0]!;
    // Evidence is verbatim page text: both lines when they are neighbours, else the last-name line.
    const full = `${cleanPersonName(f.value, 1)} ${cleanPersonName(l.value, 1)}`;
    const [a, b] = f.line.offset <= l.line.offset ? [f.line, l.line] : [l.line, f.line];
    const evidence = a === b ? ev(a) : a.page === b.page && b.index - a.index <= 2 ? evSpan(a, b) : ev(l.line);
    names.push({ value: full, line: l.line, evidence, confidence: 0.8 });
  }
  return { name: best(names), date_of_birth: best(dobs), sex: best(sexes), mrn: best(mrns) };
}

// ---------------------------------------------------------------------------------------------------
// Document type, date, facility, author

const TYPE_RULES: Array<{ type: DocumentType; re: RegExp; weight: number }> = [
  { type: 'lab_report', re: /\b(laborator(y|ies)|lab|pathology)\s+(report|results?)\b/i, weight: 5 },
  { type: 'lab_report', re: /\b(complete blood count|lipid (panel|profile)|metabolic panel|liver function|test name|reference range|specimen|accession|loinc)\b/i, weight: 1 },
  { type: 'discharge_summary', re: /\bdischarge summary\b/i, weight: 6 },
  { type: 'discharge_summary', re: /\b(discharge (date|medications|instructions|diagnos[ie]s|condition|disposition)|date of discharge|hospital course)\b/i, weight: 1.5 },
  { type: 'referral', re: /\b(referral (letter|form|request|note)|reason for referral|letter of referral)\b/i, weight: 6 },
  { type: 'referral', re: /\b(referral|refer(red)? to|thank you for seeing|dear dr\.?)\b/i, weight: 1.5 },
  { type: 'prescription', re: /\b(prescription|rx)\b/i, weight: 3 },
  { type: 'prescription', re: /^\s*sig\s*:|\b(dispense|refills?|substitution)\b/i, weight: 1 },
  { type: 'clinical_note', re: /\b(progress notes?|clinical notes?|office visit|consultation notes?|clinic notes?|visit notes?|provider notes?|physician notes?|soap notes?|h&p|history and physical)\b/i, weight: 5 },
  { type: 'clinical_note', re: /\b(ros|pmhx|fhx|social hx|c\/o|vitals?|plan)\s*:/i, weight: 1 },
  { type: 'clinical_note', re: /\b(chief complaint|history of present illness|hpi|assessment and plan|assessment\/plan|review of systems|physical exam(ination)?)\b/i, weight: 1.5 },
  { type: 'clinical_note', re: /\b(radiology|imaging|x-ray|ct|mri|ultrasound)\s+report\b|\bimpression\s*:/i, weight: 3 },
  { type: 'other', re: /\b(invoice|itemi[sz]ed bill|billing|claim form|insurance claim|explanation of benefits|eob|consent|insurance card|admission form|intake form|registration form|questionnaire)\b/i, weight: 4 },
];

function documentType(pageLines: Line[][], labCount: number): Field<DocumentType> {
  const score = new Map<DocumentType, number>();
  const bestLine = new Map<DocumentType, { line: Line; w: number }>();
  pageLines.forEach((lines, p) => {
    for (const line of lines) {
      // Titles (first lines of the first page) count twice; "Referring Physician" is not a referral.
      const text = plain(line.text).replace(/\brefer(ring|red)\s+(physician|doctor|by|provider)\b/gi, '');
      const titleBonus = p === 0 && line.index < 8 ? 2 : 1;
      for (const rule of TYPE_RULES) {
        if (!rule.re.test(text)) continue;
        const w = rule.weight * titleBonus;
        score.set(rule.type, (score.get(rule.type) ?? 0) + w);
        const b = bestLine.get(rule.type);
        if (!b || w > b.w) bestLine.set(rule.type, { line, w });
      }
    }
  });
  if (labCount >= 3) score.set('lab_report', (score.get('lab_report') ?? 0) + Math.min(6, labCount / 2));
  const ranked = [...score.entries()].sort((a, b) => b[1] - a[1]);
  const [top, second] = ranked;
  const first = pageLines.find((l) => l.length > 0)?.[0];
  if (!top || top[1] < 3) {
    return first ? { value: 'other', evidence: ev(first), confidence: 0.3 } : { value: null, evidence: null, confidence: 0 };
  }
  const margin = (top[1] - (second?.[1] ?? 0)) / top[1];
  const line = bestLine.get(top[0])?.line ?? first!;
  return { value: top[0], evidence: ev(line), confidence: round(0.5 + 0.4 * margin) };
}

const DOC_DATE_PRIORITY: Record<string, number> = {
  'report date': 0.9, 'date reported': 0.9, reported: 0.8, 'reported on': 0.9, 'report date/time': 0.9, 'date of report': 0.9,
  date: 0.85, 'date of service': 0.85, 'service date': 0.85, 'visit date': 0.85, 'encounter date': 0.85, 'date of visit': 0.85,
  'study date': 0.85, 'exam date': 0.85, 'date of exam': 0.85, 'signed date': 0.7, 'date signed': 0.7,
  'discharge date': 0.75, 'date of discharge': 0.75,
  discharge: 0.6, discharged: 0.6, 'discharged on': 0.6,
  'admission date': 0.5, 'date of admission': 0.5, 'admission date & time': 0.5, 'admission date/time': 0.5,
  admission: 0.45, admitted: 0.45, 'admitted on': 0.45,
};

function documentDate(kvs: KV[], order: DateOrder, collected: Candidate<string> | null): Field<string> {
  const cands: Array<Candidate<string>> = [];
  for (const kv of kvs) {
    const p = LABEL_OF.get(kv.key) === 'docdate' ? DOC_DATE_PRIORITY[kv.key] : undefined;
    if (p === undefined) continue;
    const d = parseDate(kv.value, order);
    if (d && d.start <= 2) cands.push({ value: d.iso, line: kv.line, confidence: (d.ambiguous ? 0.8 : 1) * p * (kv.nextLine ? 0.8 : 1) });
  }
  if (collected) cands.push({ value: collected.value.slice(0, 10), line: collected.line, confidence: 0.55 });
  return best(cands);
}

const ORG_RE =
  /\b(health\s*system|hospital|clinic|medical\s+(cent(er|re)|group|college|associates)|health\s*(care|cent(er|re))|healthcare|diagnostics?|laborator(y|ies)|labs|medicine|infirmary|pathology|imaging|associates|polyclinic|nursing home|institute|physicians)\b/i;
const NOT_ORG_RE =
  /\b(report|summary|form|claim|insurance|prescription|invoice|bill|patient|name|date|page|accredited|certified|department|services?|results?|test|panel|profile|function|count|note|questionnaire|consent|signature)\b|[:@]|\d{3,}/i;

function facility(pageLines: Line[][], kvs: KV[]): Field<string> {
  const cands: Array<Candidate<string>> = [];
  const first = pageLines[0] ?? [];
  for (const line of first.slice(0, 6)) {
    const t = line.text;
    if (t.length > 60 || !ORG_RE.test(t) || NOT_ORG_RE.test(t)) continue;
    // OCR may put junk before the name ("£Q/7 Not a Memorial Hospital"): start at the first real word.
    const words = t.split(/\s+/);
    const first = words.findIndex((w) => /^\p{L}[\p{L}'’&.-]*$/u.test(w));
    const value = words.slice(Math.max(0, first)).join(' ');
    cands.push({ value, line, confidence: (first > 0 ? 0.6 : 0.8) - line.index * 0.02 });
    break;
  }
  for (const kv of kvs) {
    if (LABEL_OF.get(kv.key) !== 'facility' || kv.nextLine) continue;
    const v = plain(kv.value).split(/\s+-\s+|\s+\|\s+/)[0]!.trim();
    if (v.length >= 3 && v.length <= 80 && /\p{L}{3}/u.test(v) && !isBlank(v) && !/_{2,}/.test(v)) {
      cands.push({ value: v, line: kv.line, confidence: 0.7 });
    }
  }
  return best(cands);
}

const AUTHOR_PRIORITY: Record<string, number> = {
  author: 0.9, 'signed by': 0.9, 'electronically signed by': 0.9, 'discharging physician': 0.9, 'attending physician': 0.85,
  attending: 0.8, radiologist: 0.85, 'reported by': 0.85, pathologist: 0.8, doctor: 0.85, physician: 0.8, prescriber: 0.85,
  'prescribing physician': 0.85, consultant: 0.75, 'treating physician': 0.8, 'treating doctor': 0.8, 'dictated by': 0.8,
  'validated by': 0.75, 'verified by': 0.7, provider: 0.65, 'attending provider': 0.8, 'rendering provider': 0.7,
};

function author(pageLines: Line[][], kvs: KV[]): Field<string> {
  const cands: Array<Candidate<string>> = [];
  for (const kv of kvs) {
    const p = LABEL_OF.get(kv.key) === 'author' ? AUTHOR_PRIORITY[kv.key] : undefined;
    if (p === undefined) continue;
    const v = cleanAuthor(kv.value);
    if (v) cands.push({ value: v, line: kv.line, confidence: p * (kv.nextLine ? 0.8 : 1) * (/^Dr\.?\s/.test(v) || /,\s*(MD|DO|MBBS|PhD)\b/.test(v) ? 1 : 0.85) });
  }
  if (cands.length === 0) {
    // A signature block: "Dr. Arun Kapoor, MD (Pathology)" on a line of its own near the end.
    const last = pageLines[pageLines.length - 1] ?? [];
    for (const line of last.slice(-10)) {
      if (!/^Dr\.?\s/i.test(line.text)) continue;
      const v = cleanAuthor(line.text);
      if (v) cands.push({ value: v, line, confidence: 0.5 });
    }
  }
  return best(cands);
}

// ---------------------------------------------------------------------------------------------------
// Lab results

/** Units we accept without a '/' in them (compared lower-case, µ/μ as u). */
const PLAIN_UNITS = new Set(
  (
    '% fl pg g mg ng ug mcg sec s seconds min ratio index iu u mu meq mmol umol nmol pmol mosm cells copies titer ' +
    'ph mmhg kpa score units ml l dl x10e3 x10e6 k m mm ' +
    'g% mg% ng% gm% cm'
  ).split(' '),
);
const MASS_UNITS = new Set(['g', 'mg', 'ng', 'ug', 'mcg', 'ml', 'l', 'dl', 'm', 'k', 'mm', 'cm', 'u', 'iu', 'units', 's', 'min']);
const UNIT_CHARS = /^[A-Za-z0-9%/.^*×µμ²³_-]+$/;

/** Text that is neither a word, a number nor a unit: mojibake from a broken font encoding. */
function isGarbage(token: string): boolean {
  return /[^\x20-\x7E]|[;&{}\\~`$#@]/.test(token) && !/^[\p{L}'.-]+$/u.test(token) && !/^[<>≤≥↑↓*]+$/.test(token);
}

function unitKey(u: string): string {
  return u.normalize('NFKC').toLowerCase().replace(/[µμ]/g, 'u');
}

/** A token that is a plausible lab unit, or null. */
function asUnit(token: string, strict: boolean): string | null {
  const t = token.trim().replace(/^\[|\]$/g, '');
  if (t === '' || t.length > 24 || !UNIT_CHARS.test(t)) return null;
  if (!/[A-Za-zµμ%]/.test(t)) return null;
  const key = unitKey(t);
  if (/^(h|l|n|a|hh|ll|high|low|normal|abnormal|ref|range|flag|neg|pos)$/.test(key)) return null;
  if (t.includes('/')) {
    // e.g. mg/dL, /uL, cells/uL, mL/min/1.73m2, x10^3/uL
    if (/^[A-Za-z0-9%.^*×µμ²³_-]*\/[A-Za-z0-9.^µμ²³_-]+(?:\/[A-Za-z0-9.^µμ²³_-]+)*$/.test(t)) return t;
    return null;
  }
  if (PLAIN_UNITS.has(key)) {
    // Bare mass/volume units are doses far more often than lab units: accept them only when not strict.
    if (strict && MASS_UNITS.has(key)) return null;
    return t;
  }
  if (/^(x\s*)?10\^?\d+(\/[a-z]+)?$/i.test(t) || /^10e\d+/i.test(t)) return t;
  return null;
}

const NUM = String.raw`[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+`;
const RANGE_RE = new RegExp(
  String.raw`(?:\[?\s*(?:ref(?:erence)?(?:\s*(?:range|interval))?|normal(?:\s*range)?|nr|rr)\s*[:=]?\s*)?` +
    String.raw`(?<range>(?:(?:<=|>=|≤|≥|<|>|=<|=>)\s*(?:${NUM})|(?:up\s*to|upto|less\s+than|greater\s+than|below|above)\s+(?:${NUM})|(?:${NUM})\s*(?:-|to)\s*(?:${NUM}))\s*%?)` +
    // a unit right after the range ("0.5-1.2 mg/dL"), but never a flag ("< 100  H")
    String.raw`(?: ?(?!(?:h|l|n|a|hh|ll|high|low|normal|abnormal)\b)[A-Za-zµμ/][A-Za-z0-9.µμ/]*)?\s*\]?`,
  'i',
);

function toNumber(s: string): number | null {
  const n = Number(s.replace(/,/g, ''));
  return Number.isFinite(n) ? n : null;
}

function flagFrom(text: string): LabFlag | null {
  const t = ` ${text.replace(/[+]/g, ' ')} `;
  if (/\b(non-?reactive|negative|not detected|within normal limits|wnl)\b/i.test(t)) return 'normal';
  if (/[↑]|\b(critical(ly)?\s+high|hh|high|h|elevated|raised|above)\b/i.test(t)) return 'H';
  if (/[↓]|\b(critical(ly)?\s+low|ll|low|l|decreased|below|reduced)\b/i.test(t)) return 'L';
  if (/\b(abnormal|abn|a|critical|positive|reactive|detected)\b|\*/i.test(t)) return 'abnormal';
  if (/\b(normal|n|wnl|within normal limits|negative|non-?reactive|not detected)\b/i.test(t)) return 'normal';
  return null;
}

/** H / L / normal from the reference range, for a numeric value without a printed flag. */
function flagFromRange(value: number, range: string): LabFlag | null {
  const r = plain(range).toLowerCase().replace(/,/g, '').replace(/%/g, '');
  let m = /(-?\d+(?:\.\d+)?)\s*(?:-|to)\s*(-?\d+(?:\.\d+)?)/.exec(r);
  if (m) {
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    if (lo > hi) return null;
    return value < lo ? 'L' : value > hi ? 'H' : 'normal';
  }
  m = /(<=|=<|≤|up\s*to|upto)\s*(-?\d+(?:\.\d+)?)/.exec(r);
  if (m) return value > Number(m[2]) ? 'H' : 'normal';
  m = /(<|less than|below)\s*(-?\d+(?:\.\d+)?)/.exec(r);
  if (m) return value >= Number(m[2]) ? 'H' : 'normal';
  m = /(>=|=>|≥)\s*(-?\d+(?:\.\d+)?)/.exec(r);
  if (m) return value < Number(m[2]) ? 'L' : 'normal';
  m = /(>|greater than|above)\s*(-?\d+(?:\.\d+)?)/.exec(r);
  if (m) return value <= Number(m[2]) ? 'L' : 'normal';
  return null;
}

const NOT_A_TEST =
  /\b(date|dob|birth|age|page|phone|tel|fax|mrn|accession|invoice|amount|billed|paid|balance|charges?|zip|room|bed|ward|policy|claim|contact|address|years?|yrs|weight|height|bp|pulse|temp|temperature|spo2|resp|bmi|sig|dose|qty|quantity|refills?|reg|registration|npi|id|no|number|pin|ssn|tax|total billed|copay|year|tablet|capsule|ext)\b/i;
const TEXT_RESULTS = /^(positive|negative|reactive|non-?reactive|detected|not detected|present|absent|trace|nil|normal|abnormal|pending|see note|yellow|clear|turbid|cloudy)$/i;

interface LabRow {
  test: string;
  value: number | string;
  unit: string | null;
  range: string | null;
  flag: LabFlag | null;
  confidence: number;
}

function cleanTestName(raw: string): string | null {
  const t = raw
    .replace(/\s*\((?:loinc|cpt|code)\b[^)]*\)/gi, '')
    .replace(/\s*:\s*$/, '')
    .replace(/^[-–•*·▪]\s*/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (t.length < 2 || t.length > 60) return null;
  if (!/^[\p{L}(]/u.test(t) || (t.match(/\p{L}/gu)?.length ?? 0) < 2) return null;
  if (t.split(' ').length > 8 || NOT_A_TEST.test(t) || /[_@|]/.test(t)) return null;
  return t;
}

/**
 * Parses what follows the test name: value, unit, range, flag. `strict` (single-spaced rows, the
 * weakest rule) demands a recognised unit right after the value.
 */
function parseLabRest(rest: string, strict: boolean): Omit<LabRow, 'test' | 'confidence'> & { garbage: boolean; quality: number } | null {
  const vm = new RegExp(String.raw`^\s*(?<cmp>(?:<=|>=|<|>|≤|≥)\s*)?(?<num>${NUM})(?![\d/:]|\.\d|-\d|,\d)`).exec(rest);
  let value: number | string;
  let after: string;
  if (vm) {
    const n = toNumber(g(vm, 'num')!);
    if (n === null) return null;
    value = g(vm, 'cmp') ? `${g(vm, 'cmp')!.trim()}${g(vm, 'num')}` : n;
    after = rest.slice(vm[0].length);
  } else {
    if (strict) return null;
    const [first = '', second = ''] = rest.trim().split(/\s{2,}/);
    if (!TEXT_RESULTS.test(first)) return null;
    value = first;
    after = rest.trim().slice(first.length);
    // "HIV  Non-Reactive  Non-Reactive": a qualitative result and its expected value.
    if (TEXT_RESULTS.test(second)) {
      const tail = after.trim().slice(second.length);
      const printed = flagFrom(tail);
      const same = first.toLowerCase().replace(/-/g, '') === second.toLowerCase().replace(/-/g, '');
      if (tail.trim().split(/\s+/).length > 3) return null;
      return { value, unit: null, range: second, flag: printed ?? (same ? 'normal' : 'abnormal'), garbage: false, quality: 2 };
    }
  }
  let unit: string | null = null;
  let garbage = false;
  let range: string | null = null;
  let flagText = '';

  const rm = RANGE_RE.exec(after);
  const beforeRange = rm ? after.slice(0, rm.index) : after;
  if (rm) {
    range = g(rm, 'range')!.replace(/\s+/g, ' ').trim();
    flagText = after.slice(rm.index + rm[0].length);
  }
  // The unit: the first unit-like cell or token after the value (a '%' may be glued to the value); a flag
  // may come before or after it. Mojibake is never copied.
  const uText = beforeRange.replace(/\[\s*(ref(erence)?(\s*range)?\s*:?)?\s*$/i, '').trim();
  const leftovers: string[] = [];
  for (const cell of uText.split(/\s{2,}/).map((c) => c.trim()).filter((c) => c !== '')) {
    if (unit || garbage) {
      leftovers.push(cell);
      continue;
    }
    const whole = asUnit(cell, strict);
    if (whole) {
      unit = whole;
      continue;
    }
    for (const token of cell.split(/\s+/)) {
      if (unit || garbage) leftovers.push(token);
      else if ((unit = asUnit(token, strict))) continue;
      else if (isGarbage(token)) {
        // A broken font encoding. "/…µ…" can only be "per microlitre"; anything else is dropped.
        garbage = true;
        if (/^\//.test(token) && /[µμ]/.test(cell)) unit = '/uL';
      } else leftovers.push(token);
    }
  }
  flagText = `${leftovers.join(' ')} ${flagText}`;
  const words = flagText.replace(/[+\]\[]/g, ' ').trim().split(/\s+/).filter((w) => w !== '');
  if (words.length > 6) return null; // prose, not a table row
  const printedFlag = flagFrom(flagText);
  if (strict && (!unit || (!range && !printedFlag))) return null;
  if (!unit && !range && !printedFlag && typeof value === 'number') return null;
  // "Aspirin  81 mg" is a dose, not a result: a bare mass/volume unit needs a range or a flag too.
  if (unit && MASS_UNITS.has(unitKey(unit)) && !range && !printedFlag) return null;
  let flag = printedFlag;
  if (!flag && range && typeof value === 'number') flag = flagFromRange(value, range);
  const quality = (unit ? 1 : 0) + (range ? 1 : 0) + (printedFlag ? 0.5 : 0);
  return { value, unit, range, flag, garbage, quality };
}

function parseLabLine(text: string): LabRow | null {
  if (!/\d/.test(text) && !/\s{2,}/.test(text)) return null;
  const t = plain(text).replace(/\s*\((?:LOINC|CPT)\b[^)]*\)/gi, '');
  if (/^\s*(?:\d+[.)]|[•·▪*])\s/.test(t)) return null; // numbered/bulleted items are not table rows

  const build = (testRaw: string, rest: string, strict: boolean, base: number): LabRow | null => {
    const test = cleanTestName(testRaw);
    if (!test) return null;
    const r = parseLabRest(rest, strict);
    if (!r) return null;
    let confidence = base - (r.quality >= 2 ? 0 : 0.1) - (r.garbage ? 0.15 : 0);
    if (typeof r.value === 'string') confidence -= 0.1;
    return { test, value: r.value, unit: r.unit, range: r.range, flag: r.flag, confidence };
  };

  // 1. "Test:  value ..." (label-style rows)
  const colon = /^(?<test>[^:]{2,60}?)\s*:\s*(?<rest>(?:(?:<=|>=|<|>)\s*)?[-+]?\.?\d.*)$/.exec(t);
  if (colon) {
    const row = build(g(colon, 'test')!, g(colon, 'rest')!, false, 0.9);
    if (row) return row;
  }
  // 2. Column layout: "Test  value  unit  range  flag"
  const cells = t.split(/\s{2,}/);
  if (cells.length >= 2) {
    const row = build(cells[0]!, cells.slice(1).join('  '), false, 0.9);
    if (row) return row;
  }
  // 3. Single-spaced: "Hemoglobin 13.5 g/dL 12.0-16.0" — needs a recognised unit and a range or flag.
  const single = new RegExp(String.raw`^(?<test>[\p{L}][\p{L}\d ,()/%.'-]{1,50}?)\s+(?<rest>(?:(?:<=|>=|<|>)\s*)?(?:${NUM})\s*\S.*)$`, 'u').exec(t);
  if (single) return build(g(single, 'test')!, g(single, 'rest')!, true, 0.65);
  return null;
}

function labResults(pageLines: Line[][], collectedAt: string | null): LabResult[] {
  const out: LabResult[] = [];
  for (const lines of pageLines) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (VITAL_LINE.test(line.text) && !/\s{2,}\S+\s{2,}/.test(line.text)) continue;
      const row = parseLabLine(line.text);
      if (!row) continue;
      // A range wrapped onto the next line: ">= 60  N". The evidence then spans both lines.
      let evidence = ev(line);
      const next = lines[i + 1];
      if (!row.range && next) {
        const wrapped = new RegExp(String.raw`^\s*\[?\s*((?:<=|>=|<|>|≤|≥)\s*(?:${NUM})|(?:${NUM})\s*-\s*(?:${NUM}))\s*%?\s*\]?(\s+.*)?$`).exec(plain(next.text));
        if (wrapped && (wrapped[2] ?? '').trim().split(/\s+/).length <= 2) {
          row.range = wrapped[1]!.replace(/\s+/g, ' ').trim();
          const f = flagFrom(wrapped[2] ?? '');
          if (f) row.flag = f;
          else if (!row.flag && typeof row.value === 'number') row.flag = flagFromRange(row.value, row.range);
          evidence = evSpan(line, next);
          i++;
        }
      }
      out.push({
        test: row.test,
        value: row.value,
        unit: row.unit,
        reference_range: row.range,
        flag: row.flag,
        collected_at: collectedAt,
        evidence,
        confidence: round(row.confidence),
      });
    }
  }
  return out;
}

function collectionDate(kvs: KV[], order: DateOrder): Candidate<string> | null {
  for (const kv of kvs) {
    if (LABEL_OF.get(kv.key) !== 'collected') continue;
    const d = parseDate(kv.value, order, true);
    if (d && d.start <= 2) return { value: d.iso, line: kv.line, confidence: d.ambiguous ? 0.7 : 0.9 };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Sections

type Section = 'medications' | 'diagnoses' | 'procedures' | 'allergies' | 'vitals' | 'other';

const SECTION_HEADERS: Array<[Section, RegExp]> = [
  ['medications', /^(?:(?:discharge|current|home|active|outpatient|admission|new|ongoing|prescribed)\s+)?(?:medications?|medicines|meds|drugs)(?:\s+(?:prescribed|list|on discharge|at discharge|on admission))?(?:\s*\(rx\))?\s*:?$|^rx\s*:?$/i],
  ['diagnoses', /^(?:(?:final|discharge|admitting|admission|primary|secondary|principal|provisional|working)\s+)?(?:diagnos[ie]s|dx)(?:\s*\(.*\))?\s*:?$|^(?:problem list|assessment|active problems)\s*:?$/i],
  ['procedures', /^(?:procedures?|operations?|surgeries|interventions)(?:\s+(?:performed|done|carried out))?\s*:?$/i],
  ['allergies', /^(?:known\s+|drug\s+)?allerg(?:y|ies)(?:\s*\/\s*(?:adverse\s+)?reactions?)?\s*:?$/i],
  ['vitals', /^vital\s*signs?\s*:?$|^vitals\s*:?$/i],
];

/** A short title-cased line without digits: the start of some section we do not read. */
function isGenericHeader(text: string): boolean {
  if (text.length > 45 || /[\d,;]|[.!?]$/.test(text) || /^[-•*·▪]/.test(text)) return false;
  if (/:\s*\S/.test(text)) return false;
  const words = text.replace(/:$/, '').split(/\s+/);
  if (words.length > 6) return false;
  return words.every((w) => /^[\p{Lu}(&/-]/u.test(w) || /^(and|of|for|the|to|in|on|at|with|or|&)$/i.test(w));
}

function sectionOf(pageLines: Line[][]): Map<Line, Section> {
  const out = new Map<Line, Section>();
  for (const lines of pageLines) {
    let current: Section = 'other';
    for (const line of lines) {
      const text = line.text.replace(/\s{2,}.*$/, '').trim();
      const hit = SECTION_HEADERS.find(([, re]) => re.test(text));
      if (hit && line.text.length < 60) {
        current = hit[0];
        out.set(line, 'other'); // the header itself
        continue;
      }
      if (isGenericHeader(line.text)) {
        current = 'other';
        out.set(line, 'other');
        continue;
      }
      out.set(line, current);
    }
  }
  return out;
}

/** Splits "a, b (x, y); c" at top-level commas and semicolons. */
function splitList(s: string): string[] {
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

const BULLET = /^\s*(?:\d{1,2}[.)]\s+|[-–•*·▪●◦]\s*)/;

// ---------------------------------------------------------------------------------------------------
// Medications

const DOSE_UNIT = String.raw`(?:mg|mcg|µg|μg|ug|g|gm|gram|grams|ml|mL|units?|iu|IU|meq|mEq|mmol|%|puffs?|drops?)`;
const DOSE_RE = new RegExp(String.raw`(?<amount>\d+(?:\.\d+)?(?:\s*\/\s*\d+(?:\.\d+)?)?)\s*(?<unit>${DOSE_UNIT})(?![\w/])`, 'i');
const ROUTE_RE =
  /\b(PO|P\.O\.|oral(?:ly)?|by mouth|IV|intravenous(?:ly)?|IM|intramuscular(?:ly)?|SC|SQ|subcut(?:aneous(?:ly)?)?|SL|sublingual(?:ly)?|PR|rectal(?:ly)?|topical(?:ly)?|inhaled|inhalation|INH|nebuli[sz]ed|transdermal(?:ly)?|ophthalmic|otic|(?:intra)?nasal(?:ly)?|per rectum)\b/i;
const FREQ_RE = new RegExp(
  [
    String.raw`once daily`, String.raw`twice daily`, String.raw`(?:three|four) times (?:a )?(?:day|daily)`, String.raw`once a day`,
    String.raw`twice a day`, String.raw`every (?:other )?(?:day|morning|evening|night)`, String.raw`every \d+\s*(?:-\s*\d+\s*)?(?:hours|hrs|h)`,
    String.raw`at bedtime`, String.raw`at night`, String.raw`in the (?:morning|evening)`, String.raw`once(?: a|\/| per )week`, String.raw`weekly`,
    String.raw`monthly`, String.raw`daily`, String.raw`nightly`, String.raw`as needed`, String.raw`as required`, String.raw`when required`,
    String.raw`q\.?\s?\d+\s*(?:-\s*\d+\s*)?h(?:rs?|ours?)?`, String.raw`b\.i\.d\.?`, String.raw`t\.i\.d\.?`, String.raw`q\.i\.d\.?`, String.raw`q\.d\.?`,
    String.raw`q\.?h\.?s\.?`, 'bid', 'tid', 'qid', 'qd', 'qhs', 'qam', 'qpm', 'qod', 'prn', 'stat', 'od', 'bd', 'tds', 'qds', 'hs', 'nocte', 'mane',
  ]
    .map((x) => `(?:${x})`)
    .join('|')
    .replace(/^/, String.raw`\b(`)
    .concat(String.raw`)(?![\w])`),
  'i',
);
const NOT_A_DRUG =
  /\b(levels?|ranging|check|monitor(ing)?|review|follow|test|glucose|blood|pressure|diet|fever|days?|weeks?|hours?|therapy|x-ray|scan|charges?|room|total|amount|approved|fasting|patient|age|weight|dose|take|advice)\b/i;

function medStatus(text: string): string | null {
  if (/\bdiscontinu(e|ed)|\bstop(ped)?\b|\bhold\b/i.test(text)) return 'discontinued';
  if (/\bcontinu(e|ed|ing)\b/i.test(text)) return 'continued';
  if (/\bnew(ly started)?\b|\bstart(ed)?\b/i.test(text)) return 'new';
  return null;
}

function freqOf(text: string): string | null {
  const m = FREQ_RE.exec(text);
  return m ? m[1]!.trim() : null;
}

interface MedParse {
  name: string;
  dose: string | null;
  route: string | null;
  frequency: string | null;
  status: string | null;
}

/** "Amoxicillin-Clavulanate 625mg PO BD x 5 days (continue)" → parts. `requireDose` for lines outside a medication section. */
function parseMedItem(raw: string, requireDose: boolean): MedParse | null {
  const t = plain(raw).replace(BULLET, '').trim();
  const m = new RegExp(String.raw`^(?<name>[A-Za-z][A-Za-z0-9'/-]*(?:\s+(?!\d)[A-Za-z][A-Za-z0-9'/-]*){0,3}?)\s*[,:]?\s+(?<rest>\d.*)$`).exec(t);
  let name: string;
  let dose: string | null = null;
  let rest: string;
  if (m) {
    const d = DOSE_RE.exec(g(m, 'rest')!);
    if (!d || d.index !== 0) return null;
    name = g(m, 'name')!;
    dose = `${g(d, 'amount')!.replace(/\s+/g, '')} ${g(d, 'unit')}`;
    rest = g(m, 'rest')!.slice(d[0].length);
  } else {
    if (requireDose) return null;
    // No dose: "Motrin once/week", "Tums previously" — the name is the words before the first frequency/route word.
    const n = /^(?<name>[A-Za-z][A-Za-z'/-]*(?:\s+[A-Za-z][A-Za-z'/-]*){0,2}?)(?=\s+(?:once|twice|daily|as|prn|po|iv|at|every|q\d|bid|tid|od|bd|previously|\(|-)|$)/i.exec(t);
    if (!n) return null;
    name = g(n, 'name')!;
    rest = t.slice(name.length);
  }
  name = name.replace(/\s+(tab|tabs|tablet|cap|caps|capsule)$/i, '').trim();
  if (name.length < 3 || NOT_A_DRUG.test(name)) return null;
  const route = ROUTE_RE.exec(rest)?.[1] ?? (/\b(inhaler|MDI)\b/i.test(rest) || /\binhaler\b/i.test(name) ? 'inhalation' : null);
  return { name, dose, route, frequency: freqOf(rest), status: medStatus(rest) };
}

function medications(pageLines: Line[][], sections: Map<Line, Section>, kvs: KV[]): Medication[] {
  const out: Medication[] = [];
  for (const lines of pageLines) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const inSection = sections.get(line) === 'medications';
      if (/^\s*sig\s*:/i.test(line.text)) continue;
      if (/:\s*\S/.test(line.text) && !inSection) continue; // label lines are read below
      const bulleted = BULLET.test(line.text);
      const med = parseMedItem(line.text, !inSection || !bulleted);
      if (!med) continue;
      if (!inSection && !(med.frequency || med.route)) continue;
      // The directions may follow on a "Sig:" line; the evidence then spans both lines.
      let evidence = ev(line);
      const next = lines[i + 1];
      if (next && /^\s*sig\s*:/i.test(next.text)) {
        const sig = plain(next.text);
        med.frequency ??= freqOf(sig);
        med.route ??= ROUTE_RE.exec(sig)?.[1] ?? null;
        med.status ??= medStatus(sig);
        evidence = evSpan(line, next);
      }
      const confidence = inSection ? (med.dose ? 0.85 : 0.6) : 0.6;
      out.push({ ...med, evidence, confidence });
    }
  }
  for (const kv of kvs) {
    if (LABEL_OF.get(kv.key) !== 'medications' || kv.nextLine || isBlank(kv.value)) continue;
    if (FORM_TEMPLATE.test(kv.value)) continue;
    for (const item of splitList(kv.value).flatMap((x) => x.split(/\.\s+(?=\p{Lu})/u))) {
      const med = parseMedItem(item.replace(/\.$/, ''), false);
      if (med) out.push({ ...med, evidence: ev(kv.line), confidence: med.dose ? 0.8 : 0.55 });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Diagnoses

const ICD_RE = /(?<![\w.-])([A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?)(?![\w-]|\.\d)/g;
const DX_STATUS = /\b(active|resolved|chronic|suspected|ruled out|rule out|history of|improving|stable|worsening|in remission)\b/i;

/** Narrative rather than a list item: long, several sentences, or written about the patient. */
function isProse(text: string): boolean {
  const t = text.replace(BULLET, '');
  return (
    t.length > 90 ||
    t.split(/\s+/).length > 12 ||
    /[.;]\s+\S/.test(t) ||
    /\b(patient|pt|reports?|reported|denies|complains|he|she|they|was|were|has|have|had|is|are|also|since|c\/o|yo)\b/i.test(t)
  );
}

function cleanDescription(s: string): string {
  return s
    .replace(/\(\s*(?:ICD(?:-?10)?(?:-CM)?\s*(?:code)?\s*[:#]?\s*)?\)/gi, '')
    .replace(/\b(?:ICD(?:-?10)?(?:-CM)?)(?:\s*code)?\s*[:#]?\s*$/i, '')
    .replace(BULLET, '')
    .replace(/^[\s:\-–—,.[(]+|[\s:\-–—,.[(]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function diagnoses(pageLines: Line[][], sections: Map<Line, Section>, kvs: KV[]): Diagnosis[] {
  const out: Diagnosis[] = [];
  for (const lines of pageLines) {
    for (const line of lines) {
      const text = plain(line.text);
      const inSection = sections.get(line) === 'diagnoses';
      const context = /\b(icd|diagnos|dx|assessment|impression|problem)/i.test(text) || inSection;
      const codes = [...text.matchAll(ICD_RE)].filter((m) => m[1]!.includes('.') || context);
      if (codes.length === 0) {
        // An uncoded item of a diagnoses section: a short phrase, not a sentence of narrative.
        if (inSection && /^[\p{Lu}\d•*·▪-]/u.test(text) && !/:\s*\S/.test(text) && !isProse(text)) {
          const description = cleanDescription(text);
          if (description.length >= 3) out.push({ description, icd10: null, status: DX_STATUS.exec(text)?.[1] ?? null, evidence: ev(line), confidence: BULLET.test(line.text) ? 0.55 : 0.5 });
        }
        continue;
      }
      codes.forEach((m, i) => {
        const start = m.index!;
        const prevEnd = i > 0 ? codes[i - 1]!.index! + codes[i - 1]![0].length : 0;
        const nextStart = codes[i + 1]?.index ?? text.length;
        // Description: the text before the code on its side ("Pneumonia (ICD-10: J18.9)"), else after ("E11.9 - Type 2 ...").
        let description = cleanDescription(text.slice(prevEnd, start));
        if (description.length < 3 || /^(icd|code|dx|diagnosis)$/i.test(description)) description = cleanDescription(text.slice(start + m[0].length, nextStart));
        if (description.length < 3) description = m[1]!;
        out.push({
          description,
          icd10: m[1]!,
          status: DX_STATUS.exec(text)?.[1] ?? null,
          evidence: ev(line),
          confidence: m[1]!.includes('.') && context ? 0.9 : context ? 0.8 : 0.65,
        });
      });
    }
  }
  for (const kv of kvs) {
    if (LABEL_OF.get(kv.key) !== 'conditions' || kv.nextLine || isBlank(kv.value)) continue;
    if ([...kv.value.matchAll(ICD_RE)].length > 0) continue; // already read with its code
    for (const item of splitList(kv.value)) {
      const description = cleanDescription(item.replace(/\((?:diagnosed|dx|since)[^)]*\)/i, ''));
      if (description.length >= 3 && !isBlank(description) && !/_{2,}/.test(description) && !FORM_TEMPLATE.test(item)) {
        out.push({ description, icd10: null, status: DX_STATUS.exec(item)?.[1] ?? null, evidence: ev(kv.line), confidence: 0.55 });
      }
    }
  }
  // An uncoded diagnosis that repeats a coded one ("Pneumonia (CAP) with moderate severity") is dropped.
  const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
  const coded = out.filter((d) => d.icd10).map((d) => norm(d.description));
  const seen = new Set<string>();
  return out.filter((d) => {
    const key = d.icd10 ? `icd:${d.icd10}` : `d:${norm(d.description)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (d.icd10) return true;
    const n = norm(d.description);
    return !coded.some((c) => c.length >= 4 && (n.includes(c) || c.includes(n)));
  });
}

// ---------------------------------------------------------------------------------------------------
// Procedures

function procedures(pageLines: Line[][], sections: Map<Line, Section>, order: DateOrder): Procedure[] {
  const out: Procedure[] = [];
  for (const lines of pageLines) {
    // A table with a CPT column ("Service DescriptionCPT Code  Amount"): text layers may glue the header cells.
    const cptColumn = lines.some((l) => /(?<![A-Z])CPT(?:\/HCPCS)?\b(?!\s*[:#])/.test(l.text) && !/\bCPT\s*[:#]?\s*\d/i.test(l.text));
    for (const line of lines) {
      const text = plain(line.text);
      const date = parseDate(text, order)?.iso ?? null;
      const inline = /\(?\s*\bCPT(?:\s*code)?\s*[:#]?\s*(\d{4}[0-9A-Z])\b\s*\)?/i.exec(text);
      if (inline) {
        const name = cleanDescription(text.slice(0, inline.index)) || cleanDescription(text.slice(inline.index + inline[0].length).split(/\s+[-–]\s+/)[0] ?? '');
        if (name.length >= 3) out.push({ name, date, evidence: ev(line), confidence: 0.85 });
        continue;
      }
      if (cptColumn) {
        // Bills: "Chest X-Ray (Bilateral)71046  ¹2,200" — a description then a 5-character code.
        const m = /^(?<name>[A-Za-z][^|]*?[A-Za-z)\]])\s*(?<code>\d{5}|\d{4}[A-Z])(?:\s|$)/.exec(text);
        // Not an address ("Any Town, CA 92126"), not a dated or totals line.
        const name = m ? g(m, 'name')! : '';
        if (m && !/\b(total|amount|date|invoice|mrn|zip)\b/i.test(name) && !/,\s*[A-Z]{2}$/.test(name) && !parseDate(name, order)) {
          out.push({ name: g(m, 'name')!.trim(), date, evidence: ev(line), confidence: 0.55 });
          continue;
        }
      }
      if (sections.get(line) === 'procedures' && (BULLET.test(line.text) || !/:\s*\S/.test(text))) {
        const name = cleanDescription(text);
        if (name.length >= 3 && name.length <= 120) out.push({ name, date, evidence: ev(line), confidence: 0.6 });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Vitals

const VITAL_RULES: Array<{ name: string; re: RegExp; unit: (m: RegExpExecArray) => string | null; value: (m: RegExpExecArray) => number | string }> = [
  {
    name: 'Blood Pressure',
    re: /\b(?:BP|B\/P|blood pressure)\s*[:=]?\s*(\d{2,3})\s*\/\s*(\d{2,3})\s*(mm\s*hg)?/gi,
    value: (m) => `${m[1]}/${m[2]}`,
    unit: () => 'mmHg',
  },
  {
    name: 'Heart Rate',
    re: /\b(?:HR|heart rate|pulse(?: rate)?)\s*[:=]?\s*(\d{2,3})\s*(bpm|beats\/min|\/min|b\/min)?(?![\d/.])/gi,
    value: (m) => Number(m[1]),
    unit: (m) => (m[2] ? m[2] : null),
  },
  {
    name: 'Respiratory Rate',
    re: /\b(?:RR|resp(?:iratory)?(?:\s*rate)?|respirations)\s*[:=]?\s*(\d{1,2})\s*(breaths\/min|\/min|bpm)?(?![\d/.])/gi,
    value: (m) => Number(m[1]),
    unit: (m) => (m[2] ? m[2] : null),
  },
  {
    name: 'Temperature',
    re: /\b(?:T|temp(?:erature)?)\s*[:=]?\s*(\d{2,3}(?:\.\d+)?)\s*(°\s*[CF]|[CF]\b|deg(?:rees)?\s*[CF])?/gi,
    value: (m) => Number(m[1]),
    unit: (m) => (m[2] ? `°${m[2].replace(/[^CF]/gi, '').toUpperCase()}` : null),
  },
  {
    name: 'SpO2',
    re: /\b(?:SpO2|SpO₂|SaO2|O2 sat(?:uration)?|oxygen saturation|sats?)\s*[:=]?\s*(\d{2,3})\s*(%)?/gi,
    value: (m) => Number(m[1]),
    unit: () => '%',
  },
  {
    name: 'Weight',
    re: /\b(?:wt|weight)\s*[:=]?\s*(\d{1,3}(?:\.\d+)?)\s*(kg|kgs|lbs?|pounds|g)\b/gi,
    value: (m) => Number(m[1]),
    unit: (m) => m[2]!,
  },
  {
    name: 'Height',
    re: /\b(?:ht|height)\s*[:=]?\s*(\d{1,3}(?:\.\d+)?)\s*(cm|m|in|inches|ft)\b/gi,
    value: (m) => Number(m[1]),
    unit: (m) => m[2]!,
  },
  {
    name: 'BMI',
    re: /\bBMI\s*[:=]?\s*(\d{1,2}(?:\.\d+)?)\s*(kg\/m2|kg\/m²)?/gi,
    value: (m) => Number(m[1]),
    unit: (m) => m[2] ?? 'kg/m2',
  },
];
const VITAL_LINE = /\b(BP|blood pressure|heart rate|pulse|SpO2|temp(erature)?|resp(iratory)? rate|weight|height|BMI)\b\s*[:=]?\s*\d/i;

function vitals(pageLines: Line[][], sections: Map<Line, Section>): Vital[] {
  const out: Vital[] = [];
  for (const lines of pageLines) {
    for (const line of lines) {
      const text = plain(line.text);
      const inSection = sections.get(line) === 'vitals';
      for (const rule of VITAL_RULES) {
        rule.re.lastIndex = 0;
        let m: RegExpExecArray | null;
        while ((m = rule.re.exec(text))) {
          const value = rule.value(m);
          const unit = rule.unit(m);
          // Weak labels ("T", "sat", "RR", "HR") need a unit or a vitals section.
          const weak = /^(t|sats?|rr|hr|resp)\b/i.test(m[0]) && !unit && !inSection;
          if (weak) continue;
          if (rule.name === 'Temperature' && typeof value === 'number' && !(value >= 30 && value <= 45) && !(value >= 86 && value <= 113)) continue;
          if (rule.name === 'SpO2' && typeof value === 'number' && value > 100) continue;
          out.push({ name: rule.name, value, unit, taken_at: null, evidence: ev(line), confidence: inSection || unit ? 0.85 : 0.7 });
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Allergies

const NO_ALLERGY = /^(none|nil|nkda|nka|nkma|no known (drug |medication )?allerg(y|ies)|no allerg(y|ies)|denies|no)\b\.?/i;

function parseAllergy(item: string): { substance: string; reaction: string | null } | null {
  const t = plain(item).replace(BULLET, '').trim().replace(/\.$/, '');
  if (t === '' || isBlank(t) || /_{2,}/.test(t) || NO_ALLERGY.test(t) || FORM_TEMPLATE.test(t)) return null;
  let m = /^(?<sub>[^()]+?)\s*\((?<rx>[^)]+)\)/.exec(t);
  if (m) return { substance: g(m, 'sub')!.trim(), reaction: splitList(g(m, 'rx')!)[0] ?? null };
  m = /^(?<sub>[^:]+?)\s+[-:]\s+(?<rx>.+)$/.exec(t);
  if (m) return { substance: g(m, 'sub')!.trim(), reaction: splitList(g(m, 'rx')!)[0]?.replace(/^reaction\s*:?\s*/i, '') ?? null };
  if (t.split(/\s+/).length > 5) return null;
  return { substance: t, reaction: null };
}

function allergies(pageLines: Line[][], sections: Map<Line, Section>, kvs: KV[]): Allergy[] {
  const out: Allergy[] = [];
  for (const kv of kvs) {
    if (LABEL_OF.get(kv.key) !== 'allergies' || isBlank(kv.value)) continue;
    // "Penicillin - rash, moderate" is one allergy; "Penicillin (rash), Sulfa (hives)" are two.
    const items = /\s[-–]\s/.test(kv.value) ? [kv.value] : splitList(kv.value);
    for (const item of items) {
      const a = parseAllergy(item);
      if (a) out.push({ ...a, evidence: ev(kv.line), confidence: kv.nextLine ? 0.7 : 0.85 });
    }
  }
  for (const lines of pageLines) {
    for (const line of lines) {
      if (sections.get(line) !== 'allergies' || /:\s*\S/.test(line.text)) continue;
      if (out.some((a) => a.evidence.page === line.page && a.evidence.quote === line.text)) continue;
      const a = parseAllergy(line.text);
      if (a) out.push({ ...a, evidence: ev(line), confidence: 0.75 });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------

/** Rule-based extraction of schema v1 from page text. Deterministic; never throws on odd input. */
export function extractOffline(pages: PageText[]): Extraction {
  const result = emptyExtraction();
  const sorted = [...pages].filter((p) => typeof p.text === 'string').sort((a, b) => a.page - b.page);
  const pageLines = toLines(sorted);
  if (pageLines.every((l) => l.length === 0)) return result;

  const order = documentDateOrder(sorted);
  const kvs = collectKVs(pageLines);
  const sections = sectionOf(pageLines);
  const collected = collectionDate(kvs, order);

  result.patient = patientFields(kvs, order);
  result.lab_results = labResults(pageLines, collected?.value ?? null);
  result.medications = medications(pageLines, sections, kvs);
  result.diagnoses = diagnoses(pageLines, sections, kvs);
  result.procedures = procedures(pageLines, sections, order);
  result.vitals = vitals(pageLines, sections);
  result.allergies = allergies(pageLines, sections, kvs);

  // Lines read as medications or vitals are not lab rows too.
  const used = new Set([...result.medications, ...result.vitals].map((x) => `${x.evidence.page}\u0000${x.evidence.quote}`));
  result.lab_results = result.lab_results.filter((r) => !used.has(`${r.evidence.page}\u0000${r.evidence.quote}`));

  result.document = {
    type: documentType(pageLines, result.lab_results.length),
    date: documentDate(kvs, order, collected),
    facility: facility(pageLines, kvs),
    author: author(pageLines, kvs),
  };
  return result;
}
