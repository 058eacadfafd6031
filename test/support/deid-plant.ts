/**
 * Test documents for the de-identification leak suite: synthetic lab reports, discharge summaries,
 * referral letters and claim forms with identifiers of every Safe Harbor category planted in many
 * printed forms, plus the clinical strings that must reach the model unchanged.
 *
 * Everything is invented here (names, streets, towns, numbers); codes (ICD-10-CM, CPT, LOINC) and the
 * clinical vocabulary come from fixtures/vocab.ts. Randomness comes only from the seed (fixtures/rng.ts).
 *
 * A document is a list of lines of cells (tokens marked as planted or clinical); its page text is built
 * the way library/pdf/text-layer.ts reads a page (lines joined by '\n', cells by two spaces), and
 * renderPlantedPdf lays the same lines out again from that text, so the PDF reads back as `pages`.
 */
import type { PhiCategory } from '../../library/deid/types.js';
import { medication } from '../../fixtures/common.js';
import { measure, type Family } from '../../fixtures/fonts.js';
import type { Op, Page } from '../../fixtures/layout.js';
import { digitalPdf, scannedDocument, type ScanParams } from '../../fixtures/render.js';
import { Rng } from '../../fixtures/rng.js';
import * as V from '../../fixtures/vocab.js';

export type PlantedType = 'lab_report' | 'discharge_summary' | 'referral' | 'claim_form';
export const PLANTED_TYPES: readonly PlantedType[] = ['lab_report', 'discharge_summary', 'referral', 'claim_form'];

export interface PlantedIdentifier {
  category: PhiCategory;
  /** Exactly as printed. */
  value: string;
  page: number;
}

export interface PlantedDocument {
  /** e.g. "deid-0007-referral" */
  id: string;
  type: PlantedType;
  /** The page text as MedExtract's text layer reads it: lines joined by '\n', columns by two spaces. */
  pages: { page: number; text: string }[];
  /** Every identifier printed, one entry per printed mention. */
  planted: PlantedIdentifier[];
  /** Strings that must reach the model unchanged (codes, doses, values with units, ranges, drug and test names). */
  clinical: string[];
  patient: { name: string; dob: string; mrn: string; memberId?: string };
}

// ---------------------------------------------------------------------------------------------------
// Vocabulary (all invented)

type Sex = 'F' | 'M';
interface Origin {
  F: readonly string[];
  M: readonly string[];
  family: readonly string[];
}
const ORIGINS: Record<string, Origin> = {
  hispanic: {
    F: ['Mariela', 'Lucía', 'Ximena', 'Graciela', 'Soledad', 'Itzel', 'Rocío'],
    M: ['Esteban', 'Rodrigo', 'Joaquín', 'Ignacio', 'Arturo', 'Eusebio'],
    family: ['Villarreal', 'Montoya', 'Quintanilla', 'Echeverría', 'Arriaga', 'Zamora-Ruiz', 'de la Cruz', 'Ruiz Peña', 'Castañeda', 'Olvera'],
  },
  anglo: {
    F: ['Harriet', 'Penelope', 'Beatrice', 'Winifred', 'Imogen', 'Rosalind'],
    M: ['Reginald', 'Theodore', 'Barnaby', 'Percival', 'Ambrose', 'Wendell'],
    family: ["O'Brien", 'Ashcombe', 'Whitlock', 'Pemberton', 'Hargreaves', 'Thistlewood', 'Fairclough-Hughes', 'Blythe', 'Cartwright', "O'Halloran"],
  },
  westAfrican: {
    F: ['Adaeze', 'Chiamaka', 'Abena', 'Folasade', 'Ngozi', 'Yewande'],
    M: ['Chukwuemeka', 'Kwabena', 'Oluwaseun', 'Babajide', 'Kwame', 'Tunde'],
    family: ['Okafor', 'Adeyemi', 'Osei-Bonsu', 'Nwachukwu', 'Mensah', 'Oyelaran', "N'Diaye", 'Adebayo-Cole', 'Asante', 'Owusu Ansah'],
  },
  southAsian: {
    F: ['Priyanka', 'Lakshmi', 'Ananya', 'Meenakshi', 'Kavitha', 'Nandini'],
    M: ['Venkatesh', 'Siddharth', 'Harpreet', 'Arjun', 'Rajesh', 'Imran'],
    family: ['Raghunathan', 'Chaudhary', 'Venkataraman', "D'Souza", 'Bhattacharya', 'Subramaniam', 'Iyer-Menon', 'Malhotra', 'Siddiqui', 'Gill-Sandhu'],
  },
  eastAsian: {
    F: ['Xiaoling', 'Mei-Ling', 'Yuki', 'Ji-woo', 'Haruka', 'Suyin'],
    M: ['Haruto', 'Wei-Jie', 'Seung-hoon', 'Takeshi', 'Jianguo', 'Minh'],
    family: ['Nakagawa', 'Takahashi', 'Ouyang', 'Tanabe', 'Yamaguchi', 'Huang', 'Chen-Watanabe', 'Zhou', 'Kwon', 'Nguyen-Lam'],
  },
  slavic: {
    F: ['Katarzyna', 'Zdenka', 'Ludmila', 'Svetlana', 'Bozena', 'Milena'],
    M: ['Wojciech', 'Bogdan', 'Miroslav', 'Radoslaw', 'Dragan', 'Yaroslav'],
    family: ['Wisniewski', 'Kovalenko', 'Dvorak', 'Przybylski', 'Novotny', 'Sokolova', 'Petrovic-Horvat', 'Zielinska', 'Kuznetsov', 'Babic'],
  },
};
const ORIGIN_KEYS = Object.keys(ORIGINS);
const INITIALS = 'ABCDEFGHJKLMNPRSTW';
const RELATIONS: Record<Sex, readonly string[]> = {
  F: ['daughter', 'wife', 'sister', 'mother', 'niece'],
  M: ['son', 'husband', 'brother', 'father', 'nephew'],
};

const STREETS = [
  'Larkspur',
  'Quarry',
  'Fenwick',
  'Bramblewood',
  'Tallowfield',
  'Marigold',
  'Copperleaf',
  'Ashgrove',
  'Ridgeback',
  'Saltmarsh',
  'Heronsgate',
  'Juniper Hill',
  'Old Mill',
  'Kestrel',
  'Pinecrest',
  'Wrenfield',
  'Thornapple',
  'Cobblestone',
  'Foxglove',
  'Amberwood',
];
const US_STREET_TYPES = ['Street', 'St', 'Avenue', 'Ave', 'Road', 'Rd', 'Lane', 'Ln', 'Drive', 'Dr', 'Court', 'Ct', 'Boulevard', 'Blvd', 'Way', 'Terrace'];
const UK_STREET_TYPES = ['Road', 'Street', 'Lane', 'Close', 'Crescent', 'Gardens', 'Mews', 'Grove'];
const US_UNITS = ['Apt 3B', 'Apt. 12', 'Unit 4', 'Suite 210', '#7', 'Apt 1407', 'Unit C', 'Ste 300', 'Fl 2'];
const CITIES = [
  'Millbrook Falls',
  'Cedar Hollow',
  'Port Amberly',
  'Ashford Glen',
  'Wrenhaven',
  'Larkmoor',
  'Brackenridge',
  'East Harlow',
  'Fallowmere',
  'Silverton Bay',
  'Quillan',
  'Marrowgate',
  'Dunmore Springs',
  'New Tillbury',
  'Hollins Ferry',
  'Greywater',
  'Calder Point',
  'Pelham Crossing',
];
const COUNTIES = ['Tamsworth County', 'Ellery County', 'Brannock County', 'Vossberg County'];
const STATES = ['IL', 'OH', 'PA', 'NY', 'CA', 'TX', 'WA', 'GA', 'MN', 'NC', 'AZ', 'MA', 'OR', 'MI', 'CO', 'VA'];
const UK_TOWNS: ReadonlyArray<readonly [string, string]> = [
  ['Harrowby', 'HB'],
  ['Kingsmere', 'KM'],
  ['Aldwick Marsh', 'AW'],
  ['Thornbury Vale', 'TV'],
  ['Crickleton', 'CK'],
  ['Wexcombe', 'WX'],
  ['Ashby Lacey', 'AL'],
  ['Pennington Moor', 'PM'],
];
const FACILITY_STEMS = [
  'Riverbend',
  'Northgate',
  'Bellhaven',
  'Stillwater',
  'Kingfisher',
  'Meadowlark',
  'Lakeshore',
  'Summit Ridge',
  'Harborview',
  'Brightwater',
];
const LAB_KINDS = ['Clinical Laboratories', 'Diagnostic Laboratory', 'Pathology Services', 'Reference Laboratory'];
const HOSPITAL_KINDS = ['Regional Medical Center', 'General Hospital', 'Community Hospital', 'University Hospital'];
const UK_HOSPITAL_KINDS = ['NHS Foundation Trust', 'General Infirmary', 'District Hospital'];
const CLINIC_KINDS = ['Family Practice', 'Internal Medicine Group', 'Medical Group', 'Primary Care Associates'];
const UK_CLINIC_KINDS = ['Health Centre', 'Surgery', 'Medical Practice'];
const SPECIALTIES = ['Cardiology', 'Endocrinology', 'Nephrology', 'Pulmonology', 'Orthopaedics', 'Neurology', 'Gastroenterology', 'Rheumatology'];
const PAYERS = ['Keystone Mutual Health', 'Evergreen Benefit Plan', 'Meridian Care Alliance', 'Tri-County Health Plan', 'Pinnacle Health Assurance'];
const MAIL_DOMAINS = ['mailbox.example', 'example.com', 'post.example.net', 'inbox.test'];
const COMPLAINTS = [
  'worsening shortness of breath',
  'chest pain radiating to the left arm',
  'fever and a productive cough',
  'a fall at home',
  'palpitations and dizziness',
  'poorly controlled blood glucose',
];
const REASONS = [
  'further evaluation of exertional chest discomfort',
  'management of declining renal function',
  'assessment of persistent knee pain',
  'review of poorly controlled diabetes',
  'investigation of recurrent syncope',
];
const DEVICES: ReadonlyArray<{ what: string; serial: (r: Rng) => string }> = [
  { what: 'dual-chamber pacemaker (Cardiotrex Vireo DR)', serial: (r) => `PJN${digits(r, 6)}${letter(r)}` },
  { what: 'implantable cardioverter-defibrillator (Halcyon ICD-3)', serial: (r) => `HCD-${digits(r, 4)}-${digits(r, 4)}` },
  { what: 'insulin pump (Orbis 640)', serial: (r) => `OR${digits(r, 8)}` },
  { what: 'total knee prosthesis (Stridewell TK2)', serial: (r) => `SW${digits(r, 2)}-${letter(r)}${digits(r, 5)}` },
  { what: 'loop recorder (Northwind LR-1)', serial: (r) => `(01)0${digits(r, 13)}(21)${letter(r)}${digits(r, 5)}` },
];
/** The CPT code a lab bills each panel under. */
const PANEL_CPT: Record<string, string> = { cbc: '85025', bmp: '80048', lft: '80076', lipid: '80061', thyroid: '84443', diabetes: '83036' };
/** Drugs billed by HCPCS code on a claim's service line. */
const HCPCS_DRUGS: ReadonlyArray<readonly [string, string]> = [
  ['Injection, dexamethasone sodium phosphate, 1 mg', 'J1100'],
  ['Injection, triamcinolone acetonide, 10 mg', 'J3301'],
  ['Injection, ceftriaxone sodium, 250 mg', 'J0696'],
  ['Injection, ketorolac tromethamine, per 15 mg', 'J1885'],
];
const VEHICLES = ['grey sedan', 'blue pickup truck', 'white minivan', 'red hatchback', 'black SUV'];

// ---------------------------------------------------------------------------------------------------
// Numbers with checksums

function digits(r: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(r.int(0, 9));
  return s;
}
function letter(r: Rng, from = 'ABCDEFGHJKLMNPRSTUVWXYZ'): string {
  return from[r.int(0, from.length - 1)]!;
}

/** The Luhn check digit to append to `payload`. */
function luhnCheckDigit(payload: string): number {
  let sum = 0;
  let double = true;
  for (let i = payload.length - 1; i >= 0; i--) {
    let d = Number(payload[i]);
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return (10 - (sum % 10)) % 10;
}

/** A 10-digit NPI: Luhn over the 80840 prefix and the first nine digits. */
function npi(r: Rng): string {
  const nine = `${r.pick(['1', '2'])}${digits(r, 8)}`;
  return nine + String(luhnCheckDigit(`80840${nine}`));
}

/** A DEA number: registrant letter, the prescriber's surname initial, six digits and the check digit. */
function dea(r: Rng, family: string): string {
  const initial = (family.match(/[A-Za-z]/)?.[0] ?? 'X').toUpperCase();
  const d = digits(r, 6);
  return `${r.pick(['A', 'B', 'F', 'M'])}${initial}${d}${deaCheck(d)}`;
}
function deaCheck(six: string): number {
  const n = six.split('').map(Number);
  return (n[0]! + n[2]! + n[4]! + 2 * (n[1]! + n[3]! + n[5]!)) % 10;
}

/** An NHS number (mod 11), printed 3-3-4. */
function nhsNumber(r: Rng): string {
  for (;;) {
    const nine = digits(r, 9);
    const check = nhsCheck(nine);
    if (check === null) continue;
    const all = nine + String(check);
    return `${all.slice(0, 3)} ${all.slice(3, 6)} ${all.slice(6)}`;
  }
}
function nhsCheck(nine: string): number | null {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(nine[i]) * (10 - i);
  const c = 11 - (sum % 11);
  return c === 11 ? 0 : c === 10 ? null : c;
}

const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
function vinValue(c: string): number {
  if (/\d/.test(c)) return Number(c);
  return 'ABCDEFGH'.includes(c)
    ? 'ABCDEFGH'.indexOf(c) + 1
    : 'JKLMN'.includes(c)
      ? 'JKLMN'.indexOf(c) + 1
      : c === 'P'
        ? 7
        : c === 'R'
          ? 9
          : 'STUVWXYZ'.indexOf(c) + 2;
}
/** A 17-character VIN with its position-9 check digit. */
function vin(r: Rng): string {
  const chars = Array.from({ length: 17 }, (_, i) => (i === 9 ? letter(r, 'ABCDEFGHJKLMNPRSTVWXY123456789') : letter(r, VIN_CHARS)));
  chars[8] = '0';
  const sum = chars.reduce((s, c, i) => s + vinValue(c) * VIN_WEIGHTS[i]!, 0);
  const check = sum % 11;
  chars[8] = check === 10 ? 'X' : String(check);
  return chars.join('');
}

/** A Luhn-valid payment card number, grouped as printed. */
function cardNumber(r: Rng): string {
  const kind = r.int(0, 2);
  const prefix = kind === 0 ? '4' : kind === 1 ? `5${r.int(1, 5)}` : r.pick(['34', '37']);
  const len = kind === 2 ? 15 : 16;
  const body = prefix + digits(r, len - 1 - prefix.length);
  const all = body + String(luhnCheckDigit(body));
  const sep = r.pick([' ', '-', '']);
  if (len === 15) return [all.slice(0, 4), all.slice(4, 10), all.slice(10)].join(sep);
  return [all.slice(0, 4), all.slice(4, 8), all.slice(8, 12), all.slice(12)].join(sep);
}

function ssn(r: Rng): string {
  let area = r.int(1, 899);
  if (area === 666) area = 667;
  const a = String(area).padStart(3, '0');
  const g = String(r.int(1, 99)).padStart(2, '0');
  const s = String(r.int(1, 9999)).padStart(4, '0');
  return r.chance(0.85) ? `${a}-${g}-${s}` : `${a} ${g} ${s}`;
}

// ---------------------------------------------------------------------------------------------------
// Dates as printed

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
type DateFmt =
  | 'MM/DD/YYYY'
  | 'M/D/YYYY'
  | 'M/D/YY'
  | 'MM/DD/YY'
  | 'MM-DD-YYYY'
  | 'YYYY-MM-DD'
  | 'DD-Mon-YYYY'
  | 'DD Mon YYYY'
  | 'Month D, YYYY'
  | 'Mon. D, YYYY'
  | 'Mon D, YYYY'
  | 'Dth Month YYYY'
  | 'Dth of Month YYYY'
  | 'D Month YYYY'
  | 'DD.MM.YYYY'
  | 'DD/MM/YYYY'
  | 'YYYYMMDD'
  | 'MM DD YYYY'
  | 'MM DD YY'
  | 'Month YYYY'
  | 'Mon YYYY'
  | 'MM/YYYY'
  | 'Month D'
  | 'D Month';
const US_FORMATS: readonly DateFmt[] = [
  'MM/DD/YYYY',
  'M/D/YYYY',
  'M/D/YY',
  'MM/DD/YY',
  'MM-DD-YYYY',
  'YYYY-MM-DD',
  'DD-Mon-YYYY',
  'DD Mon YYYY',
  'Month D, YYYY',
  'Mon. D, YYYY',
  'Mon D, YYYY',
];
const UK_FORMATS: readonly DateFmt[] = ['DD/MM/YYYY', 'DD.MM.YYYY', 'D Month YYYY', 'Dth Month YYYY', 'DD Mon YYYY', 'DD-Mon-YYYY', 'YYYY-MM-DD'];
const US_PROSE: readonly DateFmt[] = ['Month D, YYYY', 'Mon. D, YYYY', 'MM/DD/YYYY', 'M/D/YY', 'Month D', 'Dth of Month YYYY', 'D Month YYYY'];
const UK_PROSE: readonly DateFmt[] = ['D Month YYYY', 'Dth Month YYYY', 'Dth of Month YYYY', 'D Month', 'DD/MM/YYYY', 'DD.MM.YYYY'];
const MONTH_YEAR: readonly DateFmt[] = ['Month YYYY', 'Mon YYYY', 'MM/YYYY'];

function ordinal(d: number): string {
  const s = d % 10 === 1 && d !== 11 ? 'st' : d % 10 === 2 && d !== 12 ? 'nd' : d % 10 === 3 && d !== 13 ? 'rd' : 'th';
  return `${d}${s}`;
}
function fmtDate(iso: string, f: DateFmt): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const p2 = (v: number) => String(v).padStart(2, '0');
  const mon = MONTHS[m - 1]!;
  const yy = String(y).slice(2);
  switch (f) {
    case 'MM/DD/YYYY':
      return `${p2(m)}/${p2(d)}/${y}`;
    case 'M/D/YYYY':
      return `${m}/${d}/${y}`;
    case 'M/D/YY':
      return `${m}/${d}/${yy}`;
    case 'MM/DD/YY':
      return `${p2(m)}/${p2(d)}/${yy}`;
    case 'MM-DD-YYYY':
      return `${p2(m)}-${p2(d)}-${y}`;
    case 'YYYY-MM-DD':
      return iso;
    case 'DD-Mon-YYYY':
      return `${p2(d)}-${mon.slice(0, 3)}-${y}`;
    case 'DD Mon YYYY':
      return `${p2(d)} ${mon.slice(0, 3)} ${y}`;
    case 'Month D, YYYY':
      return `${mon} ${d}, ${y}`;
    case 'Mon. D, YYYY':
      return mon.length > 3 ? `${mon.slice(0, 3)}. ${d}, ${y}` : `${mon} ${d}, ${y}`;
    case 'Mon D, YYYY':
      return `${mon.slice(0, 3)} ${d}, ${y}`;
    case 'Dth Month YYYY':
      return `${ordinal(d)} ${mon} ${y}`;
    case 'Dth of Month YYYY':
      return `${ordinal(d)} of ${mon} ${y}`;
    case 'D Month YYYY':
      return `${d} ${mon} ${y}`;
    case 'DD.MM.YYYY':
      return `${p2(d)}.${p2(m)}.${y}`;
    case 'DD/MM/YYYY':
      return `${p2(d)}/${p2(m)}/${y}`;
    case 'YYYYMMDD':
      return `${y}${p2(m)}${p2(d)}`;
    case 'MM DD YYYY':
      return `${p2(m)} ${p2(d)} ${y}`;
    case 'MM DD YY':
      return `${p2(m)} ${p2(d)} ${yy}`;
    case 'Month YYYY':
      return `${mon} ${y}`;
    case 'Mon YYYY':
      return `${mon.slice(0, 3)} ${y}`;
    case 'MM/YYYY':
      return `${p2(m)}/${y}`;
    case 'Month D':
      return `${mon} ${d}`;
    case 'D Month':
      return `${d} ${mon}`;
  }
}
function isoDate(y: number, m: number, d: number): string {
  return new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);
}
function addDays(iso: string, days: number): string {
  const dt = new Date(`${iso}T00:00:00Z`);
  dt.setUTCDate(dt.getUTCDate() + days);
  return dt.toISOString().slice(0, 10);
}
function ageAt(dob: string, at: string): number {
  const [y1, m1, d1] = dob.split('-').map(Number) as [number, number, number];
  const [y2, m2, d2] = at.split('-').map(Number) as [number, number, number];
  return y2 - y1 - (m2 < m1 || (m2 === m1 && d2 < d1) ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------------
// Tokens, cells, lines

/** A run of printed text: planted (an identifier of `cat`), clinical (must survive), or plain. */
interface Tok {
  t: string;
  cat?: PhiCategory;
  clin?: boolean;
}
type Piece = string | Tok;
type Cell = Tok[];
type Row = Cell[];

const P = (cat: PhiCategory, t: string): Tok => ({ t, cat });
const C = (t: string): Tok => ({ t, clin: true });
const tok = (p: Piece): Tok => (typeof p === 'string' ? { t: p } : p);
const cell = (...pieces: Piece[]): Cell => pieces.map(tok).filter((x) => x.t !== '');
const textOf = (c: Cell): string => c.map((x) => x.t).join('');

/** Characters the PDF's WinAnsi text can carry (Latin-1 printable); anything else would read back as '?'. */
const PRINTABLE = /^[\x20-\x7e\u00a1-\u00ff]*$/;

/** Printed lines are kept short enough to fit a page's width at a readable size. */
const LINE_CHARS = 100;
const PROSE_CHARS = 92;
const BODY_LINES = 50;

interface Block {
  rows: Row[];
  /** Keep on one page when it fits on one. */
  keep: boolean;
}

/** One document's lines, in blocks, with the page breaks asked for. */
class Sheet {
  readonly blocks: Array<Block | 'break'> = [];
  readonly extraClinical: string[] = [];
  header?: (page: number, pages: number) => Row | null;
  footer?: (page: number, pages: number) => Row | null;

  line(...cells: Array<Cell | Piece>): void {
    this.block([cells.map((c) => (Array.isArray(c) ? c : [tok(c)]))], false);
  }
  block(rows: Row[], keep = true): void {
    this.blocks.push({ rows, keep });
  }
  pageBreak(): void {
    this.blocks.push('break');
  }
  /** Prose: wrapped at spaces of plain text only (an identifier or clinical string is never split). */
  para(pieces: Piece[], width = PROSE_CHARS): void {
    this.block(wrapPieces(pieces, width), false);
  }
  list(items: Piece[][], marker: 'number' | 'dash' | 'none'): void {
    items.forEach((item, i) => {
      const m = marker === 'number' ? `${i + 1}. ` : marker === 'dash' ? '- ' : '';
      this.para([m, ...item]);
    });
  }
  /** A table: one row per line, a cell per column (no empty cells: they would vanish from the text). */
  table(header: string[] | null, rows: Array<Array<Cell | Piece>>): void {
    const all: Row[] = [];
    if (header) all.push(header.map((h) => cell(h)));
    for (const r of rows) all.push(r.map((c) => (Array.isArray(c) ? c : [tok(c)])));
    this.block(all.slice(0, 3), true);
    if (all.length > 3) this.block(all.slice(3), false);
  }
}

function wrapPieces(pieces: Piece[], width: number): Row[] {
  const words: Tok[][] = [];
  let cur: Tok[] = [];
  const end = () => {
    if (cur.length) words.push(cur);
    cur = [];
  };
  for (const p of pieces) {
    const t = tok(p);
    if (t.cat || t.clin) {
      cur.push(t);
      continue;
    }
    t.t.split(' ').forEach((part, k) => {
      if (k > 0) end();
      if (part) cur.push({ t: part });
    });
  }
  end();
  const lines: Row[] = [];
  let line: Tok[] = [];
  let len = 0;
  for (const w of words) {
    const wl = w.reduce((s, x) => s + x.t.length, 0);
    if (line.length && len + 1 + wl > width) {
      lines.push([line]);
      line = [];
      len = 0;
    }
    if (line.length) {
      line.push({ t: ' ' });
      len++;
    }
    line.push(...w);
    len += wl;
  }
  if (line.length) lines.push([line]);
  return lines;
}

// ---------------------------------------------------------------------------------------------------
// People, places, contact details

interface Person {
  given: string;
  middle: string;
  family: string;
  sex: Sex;
  /** Mr / Mrs / Ms / Dr, as this document prints it (with or without a dot). */
  title: string;
  credential: string;
}

function drawPerson(r: Rng, opts: { clinician?: boolean; sex?: Sex; dotted: boolean; uk: boolean }): Person {
  const sex = opts.sex ?? (r.chance(0.5) ? 'F' : 'M');
  const o = ORIGINS[r.pick(ORIGIN_KEYS)]!;
  const fam = r.chance(0.2) ? ORIGINS[r.pick(ORIGIN_KEYS)]! : o;
  const dot = opts.dotted ? '.' : '';
  const credential = opts.clinician ? (opts.uk ? r.pick(['MBBS', 'MRCP', 'FRCS', 'MBChB']) : r.pick(['MD', 'MD', 'DO', 'MD, PhD'])) : '';
  const title = opts.clinician ? `Dr${dot}` : sex === 'M' ? `Mr${dot}` : r.pick([`Mrs${dot}`, `Ms${dot}`, 'Miss']);
  return { given: r.pick(o[sex]), middle: letter(r, INITIALS), family: r.pick(fam.family), sex, title, credential };
}

type NameForm =
  | 'First Last'
  | 'First M. Last'
  | 'LAST, FIRST'
  | 'LAST, FIRST M'
  | 'LAST, FIRST M.'
  | 'Last, First'
  | 'Last, First M.'
  | 'F. Last'
  | 'FIRST LAST'
  | 'LAST FIRST M'
  | 'LAST, FIRST, M'
  | 'Title Last'
  | 'Title First Last'
  | 'Title First M. Last'
  | 'First';
const HEADER_FORMS: readonly NameForm[] = [
  'First Last',
  'First M. Last',
  'LAST, FIRST',
  'LAST, FIRST M',
  'LAST, FIRST M.',
  'Last, First',
  'Last, First M.',
  'FIRST LAST',
];
const PROSE_FORMS: readonly NameForm[] = ['Title Last', 'Title Last', 'First Last', 'Title First Last', 'First M. Last'];
const CLINICIAN_FORMS: readonly NameForm[] = [
  'Title First M. Last',
  'Title First Last',
  'Title Last',
  'First M. Last',
  'LAST, FIRST M.',
  'F. Last',
  'Last, First',
];

/** A person's name as printed: title and credential stay outside the planted span (as the detector's spans do). */
function nameTokens(p: Person, form: NameForm, opts: { credential?: boolean } = {}): Tok[] {
  const up = (s: string) => s.toUpperCase();
  const value = ((): string => {
    switch (form) {
      case 'First Last':
      case 'Title First Last':
        return `${p.given} ${p.family}`;
      case 'First M. Last':
      case 'Title First M. Last':
        return `${p.given} ${p.middle}. ${p.family}`;
      case 'LAST, FIRST':
        return `${up(p.family)}, ${up(p.given)}`;
      case 'LAST, FIRST M':
        return `${up(p.family)}, ${up(p.given)} ${p.middle}`;
      case 'LAST, FIRST M.':
        return `${up(p.family)}, ${up(p.given)} ${p.middle}.`;
      case 'Last, First':
        return `${p.family}, ${p.given}`;
      case 'Last, First M.':
        return `${p.family}, ${p.given} ${p.middle}.`;
      case 'F. Last':
        return `${p.given[0]!}. ${p.family}`;
      case 'FIRST LAST':
        return `${up(p.given)} ${up(p.family)}`;
      case 'LAST FIRST M':
        return `${up(p.family)} ${up(p.given)} ${p.middle}`;
      case 'LAST, FIRST, M':
        return `${up(p.family)}, ${up(p.given)}, ${p.middle}`;
      case 'Title Last':
        return p.family;
      case 'First':
        return p.given;
    }
  })();
  const out: Tok[] = [];
  if (form.startsWith('Title')) out.push({ t: `${p.title} ` });
  out.push(P('PERSON', value));
  if (opts.credential && p.credential && !form.startsWith('Title')) out.push({ t: `, ${p.credential}` });
  return out;
}

interface Address {
  line1: string;
  line2?: string;
  city: string;
  state: string;
  zip: string;
}

function usAddress(r: Rng): Address {
  const zip = `${r.int(1, 9)}${digits(r, 4)}${r.chance(0.35) ? `-${digits(r, 4)}` : ''}`;
  const city = r.chance(0.08) ? r.pick(COUNTIES) : r.pick(CITIES);
  if (r.chance(0.15)) return { line1: r.pick(['PO Box', 'P.O. Box']) + ` ${r.int(10, 99999)}`, city, state: r.pick(STATES), zip };
  const dir = r.chance(0.25) ? `${r.pick(['N', 'S', 'E', 'W', 'N.', 'W.'])} ` : '';
  const street = `${r.int(1, 19999)} ${dir}${r.pick(STREETS)} ${r.pick(US_STREET_TYPES)}`;
  const unit = r.chance(0.45) ? r.pick(US_UNITS) : '';
  if (unit && r.chance(0.3)) return { line1: street, line2: unit, city, state: r.pick(STATES), zip };
  return { line1: unit ? `${street}${r.pick([', ', ' '])}${unit}` : street, city, state: r.pick(STATES), zip };
}

function ukAddress(r: Rng, home = true): Address {
  const [town, area] = r.pick(UK_TOWNS);
  const postcode = `${area}${r.int(1, 19)} ${r.int(0, 9)}${letter(r, 'ABDEFGHJLNPQRSTUWXYZ')}${letter(r, 'ABDEFGHJLNPQRSTUWXYZ')}`;
  const street = `${r.int(1, 240)} ${r.pick(STREETS)} ${r.pick(UK_STREET_TYPES)}`;
  const line1 = home && r.chance(0.3) ? `Flat ${r.int(1, 24)}, ${street}` : street;
  return { line1, city: town, state: '', zip: postcode };
}

/** An address as printed: one line, or street line(s) above the city line. */
function addressRows(a: Address, r: Rng, oneLine = r.chance(0.4)): Cell[] {
  const cityLine: Tok[] = a.state
    ? [P('PLACE', a.city), { t: `, ${a.state} ` }, P('ZIP', a.zip)]
    : [P('PLACE', a.city), { t: r.pick([' ', ', ']) }, P('ZIP', a.zip)];
  const street: Tok[] = a.line2 ? [P('ADDRESS', a.line1), { t: ', ' }, P('ADDRESS', a.line2)] : [P('ADDRESS', a.line1)];
  if (oneLine) return [[...street, { t: ', ' }, ...cityLine]];
  if (a.line2 && r.chance(0.5)) return [[P('ADDRESS', a.line1)], [P('ADDRESS', a.line2)], cityLine];
  return [street, cityLine];
}
/** An address inline in prose. */
function addressInline(a: Address): Tok[] {
  return [P('ADDRESS', a.line2 ? `${a.line1} ${a.line2}` : a.line1), { t: ', ' }, P('PLACE', a.city)];
}

function usPhone(r: Rng, ext = false): string {
  const a = `${r.int(2, 9)}${r.int(0, 8)}${r.int(0, 9)}`;
  const e = r.chance(0.4) ? '555' : `${r.int(2, 9)}${r.int(1, 9)}${r.int(0, 9)}`;
  const l = digits(r, 4);
  const base = r.pick([
    `(${a}) ${e}-${l}`,
    `${a}-${e}-${l}`,
    `${a}.${e}.${l}`,
    `+1 ${a} ${e} ${l}`,
    `+1 (${a}) ${e}-${l}`,
    `1-${a}-${e}-${l}`,
    `${a} ${e} ${l}`,
  ]);
  return ext && r.chance(0.5) ? `${base}${r.pick([' ext. ', ' x', ' ext ', ' Ext. '])}${r.int(10, 4999)}` : base;
}
/** UK numbers in the ranges set aside for drama (020 7946 0xxx, 0113 496 0xxx, 07700 900xxx). */
function ukPhone(r: Rng): string {
  const tail3 = digits(r, 3);
  return r.pick([`+44 20 7946 0${tail3}`, `020 7946 0${tail3}`, `0113 496 0${tail3}`, `+44 113 496 0${tail3}`, `07700 900${tail3}`, `+44 7700 900${tail3}`]);
}

function asciiFold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}
function personalEmail(r: Rng, p: Person, birthYear: number): string {
  const g = asciiFold(p.given);
  const f = asciiFold(p.family);
  const local = r.pick([`${g}.${f}${String(birthYear).slice(2)}`, `${g[0]!}${f}`, `${f}_${g}${r.int(1, 99)}`, `${g}${f[0]!}${birthYear}`]);
  return `${local}@${r.pick(MAIL_DOMAINS)}`;
}

interface Facility {
  name: string;
  domain: string;
  address: Address;
  phone: string;
  fax: string;
}
function drawFacility(r: Rng, kinds: readonly string[], uk: boolean): Facility {
  const stem = r.pick(FACILITY_STEMS);
  const kind = r.pick(kinds);
  const domain = `${stem.toLowerCase().replace(/ /g, '')}-${r.pick(['health', 'med', 'care', 'labs'])}${r.pick(['.example', '.example.org', '.example.net', '.test'])}`;
  return {
    name: `${stem} ${kind}`,
    domain,
    address: uk ? ukAddress(r, false) : usAddress(r),
    phone: uk ? ukPhone(r) : usPhone(r, true),
    fax: uk ? ukPhone(r) : usPhone(r),
  };
}

// ---------------------------------------------------------------------------------------------------
// Identifiers of other kinds

const mrnOf = (r: Rng): string =>
  r.pick([
    `00${digits(r, 6)}`,
    `MRN-${r.int(1, 9)}${digits(r, 5)}`,
    `${letter(r)}${digits(r, 7)}`,
    `MR${digits(r, 7)}`,
    `${r.int(10, 99)}-${digits(r, 6)}`,
    `E${digits(r, 9)}`,
  ]);
const memberIdOf = (r: Rng): string =>
  r.pick([
    `${letter(r)}${letter(r)}${letter(r)}${digits(r, 9)}`,
    `W${digits(r, 9)}`,
    `M${digits(r, 4)}-${digits(r, 4)}-${digits(r, 2)}`,
    `${digits(r, 9)}-0${r.int(1, 4)}`,
    `${letter(r)}${letter(r)}${letter(r)}${digits(r, 7)}${letter(r)}`,
  ]);
const groupOf = (r: Rng): string => r.pick([`GRP-${digits(r, 5)}`, `00${digits(r, 4)}`, `G${digits(r, 7)}`, `${digits(r, 5)}-${letter(r)}`]);
const policyOf = (r: Rng): string => r.pick([`POL-${digits(r, 4)}-${digits(r, 5)}`, `${letter(r)}${letter(r)}-${digits(r, 8)}`]);
const accountOf = (r: Rng): string => r.pick([`${digits(r, 8)}`, `ACCT-${digits(r, 7)}`, `${r.int(10, 99)}-${digits(r, 5)}`, `PA${digits(r, 6)}`]);
const claimOf = (r: Rng, year: number): string =>
  r.pick([`CLM-${year}-${digits(r, 7)}`, `${String(year).slice(2)}${digits(r, 3)}${letter(r)}${digits(r, 5)}`, `C${digits(r, 10)}`]);
const encounterOf = (r: Rng): string => r.pick([`ENC-${digits(r, 7)}`, `V${digits(r, 8)}`, `${digits(r, 10)}`, `IP-${digits(r, 6)}`]);
const invoiceOf = (r: Rng): string => r.pick([`INV-${digits(r, 6)}`, `${digits(r, 4)}-${digits(r, 4)}`]);
const accessionOf = (r: Rng, year: number): string =>
  r.pick([`LAB-${String(year).slice(2)}-${digits(r, 7)}`, `${letter(r)}${String(year).slice(2)}-${digits(r, 6)}`, `S${String(year).slice(2)}-${digits(r, 6)}`]);
const specimenOf = (r: Rng): string => r.pick([`SPC${digits(r, 10)}`, `${digits(r, 12)}`, `BC-${digits(r, 4)}-${digits(r, 4)}`]);
const caseIdOf = (r: Rng, year: number): string => r.pick([`CS-${year}-${digits(r, 6)}`, `WC-${digits(r, 2)}-${digits(r, 5)}`, `QA${digits(r, 7)}`]);
const licenceOf = (r: Rng, uk: boolean): string =>
  uk
    ? `${r.int(3, 7)}${digits(r, 6)}`
    : r.pick([`${letter(r)}${digits(r, 6)}`, `MD.${digits(r, 7)}`, `${digits(r, 2)}${letter(r)}${letter(r)}${digits(r, 5)}`, `ME-${digits(r, 6)}`]);
const plateOf = (r: Rng): string =>
  r.pick([
    `${r.int(1, 9)}${letter(r)}${letter(r)}${letter(r)}${digits(r, 3)}`,
    `${letter(r)}${letter(r)}${letter(r)}-${digits(r, 4)}`,
    `${letter(r)}${letter(r)}${digits(r, 2)} ${letter(r)}${letter(r)}${letter(r)}`,
  ]);
const ipv4 = (r: Rng): string =>
  r.pick([
    `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
    `192.168.${r.int(0, 255)}.${r.int(1, 254)}`,
    `172.${r.int(16, 31)}.${r.int(0, 255)}.${r.int(1, 254)}`,
    `203.0.113.${r.int(1, 254)}`,
  ]);
const ipv6 = (r: Rng): string => `2001:db8:${r.int(1, 0xffff).toString(16)}::${r.int(1, 0xffff).toString(16)}`;

function time(r: Rng, style: number): string {
  const h = r.int(6, 19);
  const m = r.int(0, 59);
  const p2 = (v: number) => String(v).padStart(2, '0');
  if (style === 0) return `${p2(h)}:${p2(m)}`;
  if (style === 1) return `${p2(h)}${p2(m)}`;
  return `${h > 12 ? h - 12 : h}:${p2(m)} ${h >= 12 ? 'PM' : 'AM'}`;
}

function money(n: number, style: number): string {
  const plain = n.toFixed(2);
  const commas = n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return [`$${commas}`, plain, `$ ${plain}`, commas][style % 4]!;
}

// ---------------------------------------------------------------------------------------------------
// One document being built

interface Cast {
  patient: Person;
  relative: Person & { relation: string };
  attending: Person;
  referring: Person;
  signer: Person;
  staff: Person;
}

class Ctx {
  readonly s = new Sheet();
  readonly dateFmt: DateFmt;
  readonly proseFmts: readonly DateFmt[];
  readonly colon: string;
  readonly kvMode: 'inline' | 'tabbed' | 'below';
  readonly cast: Cast;
  readonly dob: string;
  readonly service: string;
  readonly age: number;
  readonly over89: boolean;
  readonly patientAddress: Address;
  readonly mrn: string;
  readonly year: number;
  patientName = '';
  printedDob = '';
  memberId?: string;

  constructor(
    readonly r: Rng,
    readonly uk: boolean,
    readonly force: Force,
  ) {
    this.dateFmt = r.pick(uk ? UK_FORMATS : US_FORMATS);
    this.proseFmts = uk ? UK_PROSE : US_PROSE;
    this.colon = r.pick([':', ':', ':', '']);
    this.kvMode = r.pick(['inline', 'inline', 'tabbed', 'below'] as const);
    const dotted = uk ? r.chance(0.2) : r.chance(0.7);
    const patient = drawPerson(r, { dotted, uk });
    const relSex: Sex = r.chance(0.5) ? 'F' : 'M';
    const relative = { ...drawPerson(r, { dotted, uk, sex: relSex }), relation: r.pick(RELATIONS[relSex]) };
    // A relative often shares the patient's surname, sometimes hyphenated with another.
    if (r.chance(0.5))
      relative.family = r.chance(0.5)
        ? patient.family
        : `${patient.family.split(/[ -]/)[0]!}-${r.pick(ORIGINS[r.pick(ORIGIN_KEYS)]!.family).split(/[ -]/)[0]!}`;
    const attending = drawPerson(r, { clinician: true, dotted, uk });
    const referring = drawPerson(r, { clinician: true, dotted, uk });
    this.cast = {
      patient,
      relative,
      attending,
      referring,
      signer: r.chance(0.6) ? attending : drawPerson(r, { clinician: true, dotted, uk }),
      staff: drawPerson(r, { dotted, uk }),
    };
    this.year = r.int(2024, 2026);
    this.service = isoDate(this.year, r.int(1, 12), r.int(1, 28));
    this.over89 = r.chance(0.3) || force.over89;
    const age = this.over89 ? r.int(90, 101) : r.int(19, 88);
    this.dob = isoDate(this.year - age - 1, r.int(1, 12), r.int(1, 28));
    this.age = ageAt(this.dob, this.service);
    this.patientAddress = uk ? ukAddress(r) : usAddress(r);
    this.mrn = mrnOf(r);
  }

  date(iso: string, f: DateFmt = this.dateFmt): Tok {
    return P('DATE', fmtDate(iso, f));
  }
  proseDate(iso: string): Tok {
    return P('DATE', fmtDate(iso, this.r.pick(this.proseFmts)));
  }
  dateTime(iso: string): Tok {
    const r = this.r;
    const f = r.pick<DateFmt>(['YYYY-MM-DD', this.dateFmt, this.dateFmt, 'YYYYMMDD']);
    const t = time(r, f === 'YYYYMMDD' ? 1 : r.pick([0, 0, 2]));
    return P('DATE', `${fmtDate(iso, f)} ${t}`);
  }
  monthYear(iso: string): Tok {
    return P('DATE', fmtDate(iso, this.r.pick(MONTH_YEAR)));
  }
  name(p: Person, forms: readonly NameForm[], opts: { credential?: boolean } = {}): Tok[] {
    return nameTokens(p, this.r.pick(forms), opts);
  }
  /** The patient's name in a header form; the first one printed becomes `patient.name`. */
  patientHeaderName(forms: readonly NameForm[] = HEADER_FORMS): Tok[] {
    const t = this.name(this.cast.patient, forms);
    this.patientName ||= t.find((x) => x.cat)!.t;
    return t;
  }
  dobTok(f: DateFmt = this.dateFmt): Tok {
    const t = this.date(this.dob, f);
    this.printedDob ||= t.t;
    return t;
  }
  phone(ext = false): Tok {
    return P('PHONE', this.uk ? ukPhone(this.r) : usPhone(this.r, ext));
  }
  fax(): Tok {
    return P('FAX', this.uk ? ukPhone(this.r) : usPhone(this.r));
  }
  /** "93 years" (planted) or "54 years" (not an identifier). */
  ageTok(form?: string): Tok {
    const f = form ?? this.r.pick(['{n} years', '{n} yrs', '{n} y/o', '{n}y', '{n} Y', '{n} YO']);
    const t = f.replace('{n}', String(this.age));
    return this.over89 ? P('AGE', t) : { t };
  }
  pronoun(cap = true): string {
    const p = this.cast.patient.sex === 'F' ? 'she' : 'he';
    return cap ? p[0]!.toUpperCase() + p.slice(1) : p;
  }
  poss(): string {
    return this.cast.patient.sex === 'F' ? 'her' : 'his';
  }
  label(options: readonly string[]): string {
    return this.r.pick(options);
  }

  /** Label–value pairs in this document's geometry: inline cells, label and value cells, or labels above values. */
  kv(fields: Array<{ label: string; value: Piece[] }>, perRow = this.r.pick([1, 2, 2, 3]), mode = this.kvMode): void {
    const rows: Row[] = [];
    const lab = (l: string) => `${l}${this.colon}`;
    let i = 0;
    while (i < fields.length) {
      let n = Math.min(mode === 'below' ? perRow + 1 : perRow, fields.length - i);
      for (;;) {
        const chunk = fields.slice(i, i + n);
        const len = (f: { label: string; value: Piece[] }) => {
          const v = textOf(cell(...f.value)).length;
          return (mode === 'below' ? Math.max(f.label.length, v) : lab(f.label).length + 1 + v) + 3;
        };
        const width = chunk.reduce((s, f) => s + len(f), 0);
        if (n === 1 || width <= LINE_CHARS - 6) break;
        n--;
      }
      const chunk = fields.slice(i, i + n);
      if (mode === 'inline') rows.push(chunk.map((f) => cell(`${lab(f.label)} `, ...f.value)));
      else if (mode === 'tabbed') rows.push(chunk.flatMap((f) => [cell(lab(f.label)), cell(...f.value)]));
      else {
        rows.push(chunk.map((f) => cell(f.label)));
        rows.push(chunk.map((f) => cell(...f.value)));
      }
      i += n;
    }
    this.s.block(rows, true);
  }
}

// ---------------------------------------------------------------------------------------------------
// Shared blocks

const L = {
  patient: ['Patient', 'Patient Name', 'Name', 'PATIENT', 'Pt Name', 'Patient name'],
  dob: ['DOB', 'Date of Birth', 'Birth Date', 'D.O.B.', 'Born'],
  age: ['Age', 'AGE', 'Age/Sex'],
  sex: ['Sex', 'Gender'],
  mrn: ['MRN', 'Medical Record #', 'MR#', 'Med Rec No', 'Patient ID', 'Chart No.'],
  ukMrn: ['Hospital No', 'Hospital Number', 'MRN', 'Unit No'],
  nhs: ['NHS Number', 'NHS No', 'NHS No.'],
  ssn: ['SSN', 'Social Security #', 'SS#', 'Social Security No.'],
  phone: ['Phone', 'Tel', 'Telephone', 'Home Phone', 'Contact'],
  mobile: ['Mobile', 'Cell', 'Mobile Phone'],
  fax: ['Fax', 'FAX', 'Fax No'],
  email: ['Email', 'E-mail', 'Email Address'],
  address: ['Address', 'Home Address', 'Patient Address'],
  member: ['Member ID', 'Subscriber ID', 'Member #', 'Insured ID', 'Policy Holder ID'],
  group: ['Group', 'Group No.', 'Group #', 'GRP'],
  payer: ['Insurance', 'Payer', 'Health Plan', 'Insurer'],
  npi: ['NPI', 'NPI #', 'NPI No.'],
  account: ['Account #', 'Account No', 'Acct', 'Patient Account'],
  encounter: ['Encounter #', 'Visit #', 'Encounter ID', 'FIN', 'Visit No.'],
};

const SEX_PRINTED: Record<Sex, readonly string[]> = { F: ['F', 'Female', 'FEMALE'], M: ['M', 'Male', 'MALE'] };

function letterhead(c: Ctx, f: Facility, extras: { url?: boolean; email?: boolean } = {}): void {
  const r = c.r;
  c.s.line(f.name);
  for (const row of addressRows(f.address, r)) c.s.line(row);
  const tel = r.pick(c.uk ? ['Tel', 'Telephone', 'T'] : ['Tel', 'Phone', 'Ph', 'T', 'Main']);
  const fax = r.pick(['Fax', 'F', 'Facsimile']);
  const parts: Cell[] = [cell(`${tel}${c.colon} `, P('PHONE', f.phone)), cell(`${fax}${c.colon} `, P('FAX', f.fax))];
  if (extras.url) parts.push(cell(P('URL', r.pick([`www.${f.domain}`, `https://www.${f.domain}`, `${f.domain}/results`]))));
  if (extras.email) parts.push(cell(P('EMAIL', `${r.pick(['records', 'info', 'referrals', 'billing'])}@${f.domain}`)));
  if (r.chance(0.5)) c.s.line(...parts);
  else c.s.line(parts.flatMap((p, i) => (i ? [{ t: ' | ' }, ...p] : p)));
}

/** Running header (continuation pages) and footer with page numbers and an audit trail. */
function running(c: Ctx, title: string, footerAudit: boolean): void {
  const r = c.r;
  const headerStyle = r.int(0, 3);
  const form = r.pick<NameForm>(['LAST, FIRST', 'LAST, FIRST M', 'Last, First', 'First Last']);
  const mrnLabel = r.pick(['MRN', 'MR#', 'ID']);
  const ip = r.chance(0.8) ? ipv4(r) : ipv6(r);
  const printedAt = c.service;
  const fmtPrinted = r.pick<'iso' | 'dt' | 'isoT'>(['iso', 'dt', 'isoT']);
  const stamp =
    fmtPrinted === 'isoT'
      ? `${printedAt}T${time(r, 0)}:${String(r.int(0, 59)).padStart(2, '0')}Z`
      : fmtPrinted === 'iso'
        ? `${printedAt} ${time(r, 0)}`
        : `${fmtDate(printedAt, c.dateFmt)} ${time(r, 2)}`;
  const printer = r.pick<NameForm>(['F. Last', 'First Last', 'LAST, FIRST']);
  const pageFmt = r.int(0, 2);
  // Style 3 repeats the header on page 1 too; 1 and 2 only on continuation pages.
  if (headerStyle !== 0)
    c.s.header = (page) =>
      page === 1 && headerStyle !== 3
        ? null
        : [cell(...nameTokens(c.cast.patient, form)), cell(`${mrnLabel} `, P('MRN', c.mrn)), cell(`DOB `, c.date(c.dob)), cell(title)];
  c.s.footer = (page, pages) => {
    const cells: Row = [cell([`Page ${page} of ${pages}`, `Page ${page}/${pages}`, `${page} of ${pages}`][pageFmt]!)];
    if (footerAudit) cells.push(cell('Printed ', P('DATE', stamp), ' by ', ...nameTokens(c.cast.staff, printer), ' from ', P('IP', ip)));
    else cells.push(cell('CONFIDENTIAL'));
    return cells;
  };
}

interface LabLine {
  name: string;
  value: string;
  unit: string;
  range: string;
  flag: 'H' | 'L' | '';
  loinc: string;
}
function labLine(r: Rng, def: V.TestDef): LabLine {
  const u = r.pick(def.units.filter((x) => x.spellings.some((s) => s !== '')));
  const unit = r.pick(u.spellings.filter((s) => s !== ''));
  const kind = u.kind ?? 'range';
  const fix = (v: number) => v.toFixed(u.dec);
  const span = u.hi - u.lo || u.hi;
  const abnormal = r.chance(0.3);
  let v: number;
  if (kind === 'below') v = abnormal ? u.hi * r.range(1.05, 1.5) : u.hi * r.range(0.65, 0.95);
  else if (kind === 'above') v = abnormal ? u.lo * r.range(0.4, 0.95) : u.lo * r.range(1.05, 1.6);
  else v = abnormal ? (r.chance(0.5) ? u.hi + span * r.range(0.05, 0.4) : Math.max(u.lo - span * r.range(0.05, 0.3), 0)) : u.lo + span * r.range(0.05, 0.95);
  const value = fix(v);
  const n = Number(value);
  const flag = kind === 'below' ? (n >= u.hi ? 'H' : '') : kind === 'above' ? (n <= u.lo ? 'L' : '') : n > u.hi ? 'H' : n < u.lo ? 'L' : '';
  const sep = r.pick(['-', ' - ']);
  const range = kind === 'below' ? `<${fix(u.hi)}` : kind === 'above' ? `>${fix(u.lo)}` : `${fix(u.lo)}${sep}${fix(u.hi)}`;
  return { name: r.pick(def.names), value, unit, range, flag, loinc: V.TEST_LOINC[def.key] ?? '' };
}

function vitalsTokens(c: Ctx): Tok[][] {
  const r = c.r;
  const sys = r.int(102, 168);
  const dia = r.int(58, 98);
  const temp = c.uk || r.chance(0.3) ? `${r.range(36.1, 38.4).toFixed(1)} C` : `${r.range(97.1, 100.9).toFixed(1)} F`;
  return [
    [C(`BP ${sys}/${dia}`)],
    [C(`HR ${r.int(54, 112)}`)],
    [C(`Temp ${temp}`)],
    [C(`SpO2 ${r.int(89, 100)}%`)],
    [C(`RR ${r.int(12, 24)}`)],
    [C(`Wt ${r.range(48, 120).toFixed(1)} kg`)],
  ].slice(0, r.int(3, 6));
}

function medLine(c: Ctx): { tokens: Tok[]; prose: Tok[] } {
  const m = medication(c.r, c.r.pick(V.DRUGS));
  const name = m.name.replace(/^[a-z]/, (x) => x.toUpperCase());
  return {
    tokens: [C(name), { t: ' ' }, C(m.strength), { t: ' ' }, C(m.sig)],
    prose: [C(m.name.toLowerCase()), { t: ' ' }, C(m.strength), { t: ' ' }, C(m.proseFreq)],
  };
}

function diagnosesBlock(c: Ctx, heading: string, n: number): Array<readonly [string, string]> {
  const dx = c.r.sample(V.DIAGNOSES, n);
  c.s.line(heading);
  const style = c.r.int(0, 2);
  if (style === 0)
    c.s.table(
      c.r.chance(0.6) ? [c.r.pick(['ICD-10', 'Code', 'ICD-10-CM']), 'Description'] : null,
      dx.map(([d, code]) => [C(code), C(d)]),
    );
  else
    c.s.list(
      dx.map(([d, code]) => (style === 1 ? [C(d), ' (', C(code), ')'] : [C(code), ' - ', C(d)])),
      c.r.pick(['number', 'dash', 'none'] as const),
    );
  return dx;
}

// ---------------------------------------------------------------------------------------------------
// Lab report

function labReport(c: Ctx): void {
  const r = c.r;
  const s = c.s;
  const lab = drawFacility(r, LAB_KINDS, false);
  const accession = accessionOf(r, c.year);
  const collected = c.service;
  const reported = addDays(collected, r.int(0, 2));
  letterhead(c, lab, { url: r.chance(0.5) });
  s.line(r.pick(['LABORATORY REPORT', 'FINAL REPORT', 'CLINICAL LABORATORY RESULTS', 'Cumulative Laboratory Report']));
  const ordering = c.cast.attending;
  const fields: Array<{ label: string; value: Piece[] }> = [
    { label: c.label(L.patient), value: c.patientHeaderName() },
    { label: c.label(L.dob), value: [c.dobTok()] },
    { label: c.label(L.sex), value: [r.pick(SEX_PRINTED[c.cast.patient.sex])] },
    { label: c.label(L.mrn), value: [P('MRN', c.mrn)] },
    { label: c.label(['Accession', 'Accession #', 'Lab No.', 'Requisition']), value: [P('ACCOUNT', accession)] },
    { label: c.label(['Specimen ID', 'Barcode', 'Specimen #']), value: [P('ID', specimenOf(r))] },
    { label: c.label(['Collected', 'Collection Date', 'Date Collected']), value: [c.dateTime(collected)] },
    { label: c.label(['Reported', 'Report Date', 'Resulted']), value: [c.dateTime(reported)] },
    { label: c.label(['Ordering Physician', 'Ordered By', 'Provider', 'Requested by']), value: c.name(ordering, CLINICIAN_FORMS) },
  ];
  if (r.chance(0.6) || c.over89) fields.splice(2, 0, { label: 'Age', value: [c.ageTok()] });
  if (r.chance(0.5)) fields.push({ label: c.label(L.npi), value: [P('LICENSE', npi(r))] });
  if (r.chance(0.5)) fields.push({ label: c.label(L.account), value: [P('ACCOUNT', accountOf(r))] });
  if (r.chance(0.4)) fields.push({ label: c.label(L.phone), value: [c.phone()] });
  if (r.chance(0.35)) {
    c.memberId = memberIdOf(r);
    fields.push({ label: c.label(L.member), value: [P('PLAN_ID', c.memberId)] });
  }
  if (r.chance(0.25) || c.force.ssn)
    fields.push({ label: c.label(L.ssn), value: r.chance(0.6) || c.force.ssn ? [P('SSN', ssn(r))] : [`***-**-${digits(r, 4)}`] });
  const head = fields.slice(0, 1);
  c.kv([...head, ...r.shuffle(fields.slice(1))]);
  const dx = r.sample(V.DIAGNOSES, r.int(1, 3));
  s.line(cell(r.pick(['Diagnosis codes: ', 'Dx: ', 'ICD-10: ', 'Clinical indication: ']), ...dx.flatMap(([, code], i) => [i ? ', ' : '', C(code)])));
  if (r.chance(0.4)) {
    s.line(c.label(['Patient address', 'Address']) + c.colon);
    for (const row of addressRows(c.patientAddress, r)) s.line(row);
  }

  // Result tables: column order, header wording, units and flags in their own columns or not.
  const codeAt = r.pick(['last', 'first', 'after-test', 'in-name'] as const);
  const unitCol = r.chance(0.6);
  const flagCol = r.chance(0.7);
  const flagWords = r.pick([
    { H: 'H', L: 'L', N: 'N' },
    { H: 'High', L: 'Low', N: 'Normal' },
    { H: 'HI', L: 'LO', N: '-' },
  ]);
  const bracket = r.pick([
    [' (LOINC ', ')'],
    [' [', ']'],
    [' (LOINC: ', ')'],
  ] as const);
  const panels = r.sample(['cbc', 'bmp', 'lft', 'lipid', 'thyroid', 'diabetes'], r.int(1, 3));
  const splitPages = panels.length > 1 && r.chance(0.4);
  panels.forEach((panel, pi) => {
    if (pi > 0 && splitPages) s.pageBreak();
    const defs = r.sample(
      V.TESTS.filter((t) => t.panel === panel && t.units.some((u) => u.spellings.some((x) => x !== ''))),
      r.int(3, 7),
    );
    const panelName = r.pick(V.PANELS[panel]!);
    if (r.chance(0.5)) s.line(cell(C(panelName), ' (CPT ', C(PANEL_CPT[panel]!), ')'));
    else s.line(cell(C(panelName)));
    const header: string[] = [];
    const hTest = r.pick(['Test', 'Test Name', 'Analyte', 'Component']);
    const hRes = r.pick(['Result', 'Value', 'Your Value']);
    const hUnit = r.pick(['Units', 'Unit', 'UOM']);
    const hRange = r.pick(['Reference Range', 'Ref Range', 'Normal Range', 'Reference Interval']);
    const hFlag = r.pick(['Flag', 'Abn', 'H/L']);
    const hCode = r.pick(['LOINC', 'LOINC Code', 'Code']);
    if (codeAt === 'first') header.push(hCode);
    header.push(hTest);
    if (codeAt === 'after-test') header.push(hCode);
    header.push(hRes);
    if (unitCol) header.push(hUnit);
    header.push(hRange);
    if (flagCol) header.push(hFlag);
    if (codeAt === 'last') header.push(hCode);
    const rows = defs.map((d) => {
      const l = labLine(r, d);
      const flagText = l.flag === 'H' ? flagWords.H : l.flag === 'L' ? flagWords.L : flagWords.N;
      const row: Cell[] = [];
      const code = cell(C(l.loinc));
      const name = codeAt === 'in-name' ? cell(C(l.name), bracket[0], C(l.loinc), bracket[1]) : cell(C(l.name));
      if (codeAt === 'first') row.push(code);
      row.push(name);
      if (codeAt === 'after-test') row.push(code);
      if (unitCol) {
        const inlineFlag = !flagCol && l.flag !== '';
        row.push(cell(C(l.value), inlineFlag ? ` ${flagText}` : ''));
        row.push(cell(C(l.unit)));
        // Value and unit sit in adjacent columns: together they read "13.2  g/dL".
        if (!inlineFlag) s.extraClinical.push(`${l.value}  ${l.unit}`);
      } else row.push(cell(C(`${l.value} ${l.unit}`), flagCol || !l.flag ? '' : ` ${flagText}`));
      row.push(cell(C(l.range)));
      if (flagCol) row.push(cell(flagText));
      if (codeAt === 'last') row.push(code);
      return row;
    });
    s.table(header, rows);
  });

  // Interpretive comment with a called-result line, in prose.
  const staff = c.cast.staff;
  const comment: Piece[] = [];
  if (r.chance(0.7)) {
    comment.push(
      r.pick(['Critical value called to ', 'Abnormal result telephoned to ', 'Result discussed with ']),
      ...c.name(ordering, ['Title Last', 'Title First Last', 'First M. Last']),
      ' at ',
      c.phone(true),
      ' on ',
      c.dateTime(reported),
      ' by ',
      ...c.name(staff, ['First Last', 'F. Last', 'First']),
      '; read back and confirmed.',
    );
  }
  if (c.over89 && r.chance(0.6)) comment.push(' Reference ranges shown are for adults; patient is ', c.ageTok('{n} years'), ' of age.');
  if (comment.length) {
    s.line(r.pick(['Comments', 'COMMENT', 'Notes']));
    s.para(comment);
  }
  if (r.chance(0.5))
    s.para(['View these results online at ', P('URL', `https://results.${lab.domain}/r/${accession}`), ' or call ', P('PHONE', lab.phone), '.']);
  s.line(
    cell(r.pick(['Verified by: ', 'Electronically signed by ', 'Reviewed by: ']), ...c.name(c.cast.signer, CLINICIAN_FORMS, { credential: true })),
    cell(r.pick(['Date: ', 'on ', 'Signed: ']), c.dateTime(reported)),
  );
  if (r.chance(0.5))
    s.line(
      cell('Lab Director: ', ...nameTokens(drawPerson(r, { clinician: true, dotted: true, uk: false }), 'Title First M. Last')),
      cell('CLIA ', `${r.int(10, 52)}D${digits(r, 7)}`),
    );
  running(c, 'Laboratory Report', r.chance(0.7));
}

// ---------------------------------------------------------------------------------------------------
// Discharge summary

function dischargeSummary(c: Ctx): void {
  const r = c.r;
  const s = c.s;
  const p = c.cast.patient;
  const hosp = drawFacility(r, c.uk ? UK_HOSPITAL_KINDS : HOSPITAL_KINDS, c.uk);
  const admit = c.service;
  const discharge = addDays(admit, r.int(2, 9));
  letterhead(c, hosp, { url: r.chance(0.3) });
  s.line(r.pick(['DISCHARGE SUMMARY', 'Discharge Summary', 'HOSPITAL DISCHARGE SUMMARY', 'Inpatient Discharge Letter']));
  const encounter = encounterOf(r);
  const fields: Array<{ label: string; value: Piece[] }> = [
    { label: c.label(L.patient), value: c.patientHeaderName() },
    { label: c.label(c.uk ? L.ukMrn : L.mrn), value: [P('MRN', c.mrn)] },
    { label: c.label(L.dob), value: [c.dobTok()] },
    { label: c.label(['Admission Date', 'Admitted', 'Date of Admission', 'Admit Date']), value: [c.date(admit)] },
    { label: c.label(['Discharge Date', 'Discharged', 'Date of Discharge']), value: [c.date(discharge)] },
    { label: c.label(['Attending', 'Attending Physician', 'Consultant', 'Responsible Clinician']), value: c.name(c.cast.attending, CLINICIAN_FORMS) },
    { label: c.label(L.encounter), value: [P('ACCOUNT', encounter)] },
  ];
  if (c.uk) fields.splice(2, 0, { label: c.label(L.nhs), value: [P('NHS', nhsNumber(r))] });
  if (r.chance(0.6) || c.over89) fields.push({ label: r.pick(['Age', 'Age/Sex']), value: [c.ageTok(), ` / ${r.pick(SEX_PRINTED[p.sex])}`] });
  if (r.chance(0.4))
    fields.push({ label: c.uk ? 'GP' : c.label(['PCP', 'Primary Care', 'Primary Physician']), value: c.name(c.cast.referring, CLINICIAN_FORMS) });
  if (!c.uk && r.chance(0.3)) fields.push({ label: c.label(L.ssn), value: [P('SSN', ssn(r))] });
  if (r.chance(0.4)) {
    c.memberId = memberIdOf(r);
    fields.push({ label: c.label(L.member), value: [P('PLAN_ID', c.memberId)] });
  }
  c.kv([fields[0]!, ...r.shuffle(fields.slice(1))]);

  // History: prose with the patient's name, age, dates and vitals inline.
  const dx = r.sample(V.DIAGNOSES, r.int(3, 5));
  const woman = p.sex === 'F' ? r.pick(['woman', 'female', 'lady']) : r.pick(['man', 'male', 'gentleman']);
  const agePhrase: Tok = c.over89 ? P('AGE', `${c.age}-year-old`) : { t: `${c.age}-year-old` };
  const vit = vitalsTokens(c);
  s.line(r.pick(['HISTORY OF PRESENT ILLNESS', 'History of Presenting Complaint', 'Reason for Admission']));
  const hpi: Piece[] = [
    ...c.name(p, PROSE_FORMS),
    ' is a ',
    agePhrase,
    ` ${woman} with a history of `,
    C(dx[0]![0].toLowerCase()),
    ` (`,
    C(dx[0]![1]),
    `) who was admitted on `,
    c.proseDate(admit),
    ` with ${r.pick(COMPLAINTS)}. On arrival `,
    ...vit.flatMap((v, i) => [i === 0 ? '' : i === vit.length - 1 ? ' and ' : ', ', ...v]),
    '.',
  ];
  if (r.chance(0.6))
    hpi.push(
      ` ${c.pronoun()} was last admitted in `,
      c.monthYear(addDays(admit, -r.int(60, 700))),
      ` for ${r.pick(['a similar episode', 'pneumonia', 'a urinary tract infection'])}.`,
    );
  s.para(hpi);

  s.line(r.pick(['HOSPITAL COURSE', 'Hospital Course', 'Clinical Summary']));
  const def = r.pick(V.TESTS.filter((t) => ['creat', 'hgb', 'k', 'glu', 'na'].includes(t.key)));
  const l = labLine(r, def);
  const consultant = c.cast.referring;
  const course: Piece[] = [
    `Laboratory studies showed ${r.pick(['a', 'an admission'])} `,
    C(l.name.toLowerCase()),
    ' of ',
    C(`${l.value} ${l.unit}`),
    ' (reference ',
    C(l.range),
    '). ',
    `${c.pronoun()} was seen by `,
    ...c.name(consultant, ['Title First Last', 'Title Last', 'Title First M. Last']),
    ` of ${r.pick(SPECIALTIES)} on `,
    c.proseDate(addDays(admit, 1)),
    ', who recommended ',
    ...medLine(c).prose,
    '.',
  ];
  const device = r.chance(0.45) || c.force.device ? r.pick(DEVICES) : null;
  if (device)
    course.push(
      ` ${/^[aeiou]/.test(device.what) ? 'An' : 'A'} ${device.what}, serial number `,
      P('DEVICE', device.serial(r)),
      ', was implanted on ',
      c.proseDate(addDays(admit, 2)),
      ' by ',
      ...c.name(c.cast.attending, ['Title Last', 'Title First Last']),
      '.',
    );
  const rel = c.cast.relative;
  course.push(
    ` ${c.poss()[0]!.toUpperCase()}${c.poss().slice(1)} ${rel.relation}, `,
    ...c.name(rel, ['First Last', 'First Last', 'First M. Last', 'First']),
    `, ${r.pick(['was present for the family meeting', 'is the designated health care proxy', 'will stay with the patient after discharge'])} and can be reached on `,
    c.phone(),
    '.',
  );
  course.push(
    ` ${c.pronoun()} was discharged ${r.pick(['home', 'to a rehabilitation unit', 'home with support'])} on `,
    c.proseDate(discharge),
    ' in stable condition.',
  );
  s.para(course);

  diagnosesBlock(c, r.pick(['DISCHARGE DIAGNOSES', 'Diagnoses', 'Final Diagnoses']), dx.length);
  if (r.chance(0.6)) {
    const px = r.sample(
      V.PROCEDURES.filter((x) => /hospital|Electrocardiogram|X-ray|echocardiogram|CT head/i.test(x[0])),
      r.int(1, 3),
    );
    s.line(r.pick(['PROCEDURES', 'Procedures Performed']));
    s.list(
      px.map(([d, code]) => [C(d), ' - CPT ', C(code)]),
      'dash',
    );
  }
  if (r.chance(0.5)) s.pageBreak();
  s.line(r.pick(['DISCHARGE MEDICATIONS', 'Discharge Medications', 'Medications on Discharge']));
  s.list(
    Array.from({ length: r.int(3, 6) }, () => medLine(c).tokens),
    r.pick(['number', 'dash'] as const),
  );
  s.line(r.pick(['Vital signs at discharge', 'DISCHARGE VITALS', 'Observations at discharge']));
  s.line(...vitalsTokens(c));

  s.line(r.pick(['FOLLOW-UP', 'Follow-up Arrangements', 'Follow Up']));
  const fu = addDays(discharge, r.int(5, 21));
  s.para([
    'Follow up with ',
    ...c.name(consultant, ['Title Last', 'Title First Last']),
    ' in clinic on ',
    c.proseDate(fu),
    ` at ${time(r, 2)}. `,
    'Call ',
    c.phone(true),
    ' or fax ',
    c.fax(),
    ' with questions.',
  ]);
  if (r.chance(0.6))
    s.para([
      'Results and letters are available on the patient portal at ',
      P(
        'URL',
        r.pick([
          `https://portal.${hosp.domain}/patient/${c.mrn}`,
          `https://myhealth.${hosp.domain}/records?id=${digits(r, 8)}&tok=${digits(r, 4)}f${digits(r, 2)}`,
        ]),
      ),
      '.',
    ]);
  const contact: Array<{ label: string; value: Piece[] }> = [
    { label: r.pick(['Next of kin', 'Emergency contact', 'NOK']), value: [...nameTokens(rel, r.pick(['First Last', 'Last, First'])), ` (${rel.relation})`] },
    { label: c.label(L.phone), value: [c.phone()] },
  ];
  if (r.chance(0.5)) contact.push({ label: c.label(L.email), value: [P('EMAIL', personalEmail(r, rel, Number(c.dob.slice(0, 4)) + 25))] });
  c.kv(contact, 3, 'inline');
  if (r.chance(0.5)) {
    s.line(r.pick(['Patient home address', 'Discharged to address']) + c.colon);
    for (const row of addressRows(c.patientAddress, r)) s.line(row);
  }
  const signedAt = addDays(discharge, r.int(0, 2));
  s.line(
    cell(r.pick(['Dictated by: ', 'Author: ', 'Signed: ']), ...c.name(c.cast.signer, CLINICIAN_FORMS, { credential: true })),
    cell(r.pick(['Date: ', 'on ']), c.date(signedAt)),
  );
  s.line(cell('Electronically signed ', ...nameTokens(c.cast.signer, 'LAST, FIRST M.'), ' ', c.dateTime(signedAt)));
  if (r.chance(0.4))
    s.line(
      cell('cc: ', ...c.name(c.cast.referring, ['Title First Last', 'Title Last'])),
      cell(c.uk ? 'GMC ' : 'NPI ', P('LICENSE', c.uk ? licenceOf(r, true) : npi(r))),
    );
  running(c, 'Discharge Summary', r.chance(0.6));
}

// ---------------------------------------------------------------------------------------------------
// Referral letter

function referral(c: Ctx): void {
  const r = c.r;
  const s = c.s;
  const p = c.cast.patient;
  const clinic = drawFacility(r, c.uk ? UK_CLINIC_KINDS : CLINIC_KINDS, c.uk);
  const toHosp = drawFacility(r, c.uk ? UK_HOSPITAL_KINDS : HOSPITAL_KINDS, c.uk);
  const author = c.cast.attending;
  const recipient = c.cast.referring;
  const letterDate = c.service;
  letterhead(c, clinic, { email: r.chance(0.5) });
  s.line(r.pick(['REFERRAL', 'Referral Letter', 'Specialist Referral', 'Request for Consultation']));
  s.line(cell(c.label(['Date', 'Date of referral', 'Dated']) + `${c.colon} `, c.proseDate(letterDate)));
  // Recipient block.
  s.line(cell(...nameTokens(recipient, r.pick(['Title First Last', 'Title First M. Last']))));
  s.line(`Department of ${r.pick(SPECIALTIES)}`);
  s.line(toHosp.name);
  for (const row of addressRows(toHosp.address, r, false)) s.line(row);
  // The "Re:" block.
  const accident = r.chance(0.4) || c.force.accident;
  const reFields: Array<{ label: string; value: Piece[] }> = [
    { label: 'Re', value: c.patientHeaderName() },
    { label: c.label(L.dob), value: [c.dobTok()] },
  ];
  if (c.uk) reFields.push({ label: c.label(L.nhs), value: [P('NHS', nhsNumber(r))] });
  reFields.push({ label: c.label(c.uk ? L.ukMrn : L.mrn), value: [P('MRN', c.mrn)] });
  if (r.chance(0.5)) reFields.push({ label: c.label(L.mobile), value: [c.phone()] });
  if (r.chance(0.5)) reFields.push({ label: c.label(L.email), value: [P('EMAIL', personalEmail(r, p, Number(c.dob.slice(0, 4))))] });
  c.kv(reFields, r.pick([1, 2, 3]));
  if (r.chance(0.5)) {
    s.line(c.label(L.address) + c.colon);
    for (const row of addressRows(c.patientAddress, r)) s.line(row);
  }

  s.line(cell('Dear ', ...nameTokens(recipient, r.pick(['Title Last', 'Title Last', 'Title First Last'])), ','));
  const woman = p.sex === 'F' ? 'woman' : 'man';
  const agePhrase: Tok = c.over89 ? P('AGE', `${c.age}-year-old`) : { t: `${c.age}-year-old` };
  const dx = r.sample(V.DIAGNOSES, r.int(2, 4));
  const seen = addDays(letterDate, -r.int(1, 20));
  const body: Piece[] = [
    r.pick(['I am referring ', 'I would be grateful if you could see ', 'Thank you for seeing ']),
    ...c.name(p, PROSE_FORMS),
    ', a ',
    agePhrase,
    ` ${woman} whom I saw in clinic on `,
    c.proseDate(seen),
    `, for ${r.pick(REASONS)}. `,
    `${c.pronoun()} has `,
    C(dx[0]![0].toLowerCase()),
    ' (',
    C(dx[0]![1]),
    ') and currently takes ',
    ...medLine(c).prose,
    '.',
  ];
  const def = r.pick(V.TESTS.filter((t) => ['a1c', 'creat', 'ldl', 'tsh', 'hgb'].includes(t.key)));
  const l = labLine(r, def);
  body.push(
    ` ${c.poss()[0]!.toUpperCase()}${c.poss().slice(1)} most recent `,
    C(l.name),
    ' was ',
    C(`${l.value} ${l.unit}`),
    ' on ',
    c.proseDate(addDays(seen, -r.int(3, 40))),
    '.',
  );
  const vit = vitalsTokens(c);
  body.push(' On examination ', ...vit.flatMap((v, i) => [i === 0 ? '' : i === vit.length - 1 ? ' and ' : ', ', ...v]), '.');
  s.para(body);
  if (accident) {
    const when = addDays(seen, -r.int(5, 60));
    s.para([
      `On `,
      c.proseDate(when),
      ` ${c.pronoun(false)} was the driver of a ${r.pick(VEHICLES)} (VIN `,
      P('VEHICLE', vin(r)),
      `, ${c.uk ? 'registration' : 'plate'} `,
      P('VEHICLE', plateOf(r)),
      ') that was struck from behind. ',
      'Police report ',
      P('ID', `${r.pick(['PR', 'RTC', 'INC'])}-${digits(r, 2)}-${digits(r, 6)}`),
      '; auto insurer claim ',
      P('ACCOUNT', claimOf(r, c.year)),
      '. ',
      `${c.pronoun()} holds driver licence `,
      P('LICENSE', `${letter(r)}${digits(r, 3)}-${digits(r, 4)}-${digits(r, 4)}`),
      '.',
    ]);
  }
  const rel = c.cast.relative;
  s.para([
    `${c.pronoun()} lives with ${c.poss()} ${rel.relation}, `,
    ...c.name(rel, ['First Last', 'First M. Last', 'First']),
    ', at ',
    ...addressInline(c.patientAddress),
    `; ${r.pick(['they can be reached on', 'the household telephone is', 'contact number'])} `,
    c.phone(),
    '.',
  ]);
  diagnosesBlock(c, r.pick(['Problem list', 'PROBLEM LIST', 'Active problems']), dx.length);
  s.line(r.pick(['Current medications', 'MEDICATIONS', 'Medication list']));
  s.list(
    Array.from({ length: r.int(2, 5) }, () => medLine(c).tokens),
    r.pick(['dash', 'number', 'none'] as const),
  );
  if (r.chance(0.6)) {
    s.line(r.pick(['Recent results', 'RECENT LABS']));
    const defs = r.sample(
      V.TESTS.filter((t) => t.units.some((u) => u.spellings.some((x) => x !== ''))),
      r.int(2, 4),
    );
    s.table(
      [r.pick(['Test', 'Investigation']), 'Result', r.pick(['Range', 'Reference']), 'Date'],
      defs.map((d) => {
        const x = labLine(r, d);
        return [cell(C(x.name)), cell(C(`${x.value} ${x.unit}`)), cell(C(x.range)), cell(c.date(addDays(seen, -r.int(1, 30))))];
      }),
    );
  }
  if (!c.uk && r.chance(0.7)) {
    c.memberId = memberIdOf(r);
    c.kv(
      [
        { label: c.label(L.payer), value: [r.pick(PAYERS)] },
        { label: c.label(L.member), value: [P('PLAN_ID', c.memberId)] },
        { label: c.label(L.group), value: [P('PLAN_ID', groupOf(r))] },
      ],
      3,
    );
  }
  if (r.chance(0.4)) s.line(cell('Case reference: ', P('ID', caseIdOf(r, c.year))));
  s.para([
    'Please contact me on ',
    c.phone(true),
    ' or by email at ',
    P('EMAIL', `${asciiFold(author.given)[0]!}.${asciiFold(author.family)}@${clinic.domain}`),
    r.pick([' if you need any further information.', ' with any questions.']),
  ]);
  s.line(r.pick(['Yours sincerely,', 'Kind regards,', 'Sincerely,', 'With best wishes,']));
  s.line(cell(...nameTokens(author, r.pick(['Title First M. Last', 'First M. Last', 'Title First Last']), { credential: true })));
  const ids: Cell[] = c.uk
    ? [cell('GMC No. ', P('LICENSE', licenceOf(r, true)))]
    : [
        cell('NPI ', P('LICENSE', npi(r))),
        cell('DEA ', P('LICENSE', dea(r, author.family))),
        cell(r.pick(['License ', 'Lic. #', 'State Lic. ']), P('LICENSE', licenceOf(r, false))),
      ];
  s.line(...r.sample(ids, r.int(1, ids.length)));
  if (r.chance(0.5))
    s.line(
      cell(
        'cc: ',
        ...nameTokens(c.cast.signer === author ? drawPerson(r, { clinician: true, dotted: true, uk: c.uk }) : c.cast.signer, 'Title First Last'),
        c.uk ? ' (GP)' : ' (PCP)',
      ),
    );
  running(c, 'Referral', r.chance(0.4));
}

// ---------------------------------------------------------------------------------------------------
// Claim form

function claimForm(c: Ctx): void {
  const r = c.r;
  const s = c.s;
  const p = c.cast.patient;
  const billing = drawFacility(r, CLINIC_KINDS, false);
  const payerAddr = usAddress(r);
  const rendering = c.cast.attending;
  const referringDoc = c.cast.referring;
  c.memberId = memberIdOf(r);
  const group = groupOf(r);
  const account = accountOf(r);
  const serviceDates = [c.service, ...(r.chance(0.4) ? [addDays(c.service, r.int(1, 20))] : [])];
  const moneyStyle = r.int(0, 3);
  const itemized = r.chance(0.35);
  const px: Array<readonly [string, string]> = r.sample(V.PROCEDURES, r.int(2, 5));
  if (r.chance(0.5)) px.push(r.pick(HCPCS_DRUGS));
  const dx = r.sample(V.DIAGNOSES, r.int(1, 4));
  const charges = px.map(() => r.int(25, 480) + r.pick([0, 0.5, 0.25]));
  const total = charges.reduce((a, b) => a + b, 0);
  const paid = Math.round(total * r.range(0, 0.3) * 100) / 100;
  const renderingNpi = npi(r);

  if (!itemized) {
    s.line('HEALTH INSURANCE CLAIM FORM');
    s.line(cell(r.pick(PAYERS)));
    for (const row of addressRows(payerAddr, r)) s.line(row);
    s.line(cell(r.pick(['Claim #: ', 'Claim Number: ', 'ICN ']), P('ACCOUNT', claimOf(r, c.year))), cell('PICA'));
    const boxes: Array<{ label: string; value: Piece[] }> = [
      { label: "1a. INSURED'S I.D. NUMBER", value: [P('PLAN_ID', c.memberId)] },
      {
        label: r.pick(["2. PATIENT'S NAME (Last Name, First Name, Middle Initial)", "2. PATIENT'S NAME (Last, First, MI)"]),
        value: c.patientHeaderName(['LAST, FIRST, M', 'LAST FIRST M', 'LAST, FIRST M']),
      },
      { label: "3. PATIENT'S BIRTH DATE", value: [c.dobTok(r.pick(['MM DD YYYY', 'MM DD YY', 'MM/DD/YYYY']))] },
      { label: 'SEX', value: [p.sex] },
      {
        label: r.pick(["4. INSURED'S NAME (Last Name, First Name, Middle Initial)", "4. INSURED'S NAME"]),
        value: r.chance(0.5) ? ['SAME'] : nameTokens(c.cast.relative, 'LAST, FIRST, M'),
      },
      {
        label: "5. PATIENT'S ADDRESS (No., Street)",
        value: [P('ADDRESS', c.patientAddress.line2 ? `${c.patientAddress.line1} ${c.patientAddress.line2}` : c.patientAddress.line1)],
      },
      { label: 'CITY', value: [P('PLACE', c.patientAddress.city.toUpperCase())] },
      { label: 'STATE', value: [c.patientAddress.state] },
      { label: 'ZIP CODE', value: [P('ZIP', c.patientAddress.zip)] },
      { label: 'TELEPHONE (Include Area Code)', value: [c.phone()] },
      { label: '6. PATIENT RELATIONSHIP TO INSURED', value: [r.pick(['Self', 'Spouse', 'Child', 'Other'])] },
      { label: r.pick(['PATIENT ID / MRN', 'MEDICAL RECORD NO.', 'PATIENT CHART #']), value: [P('MRN', c.mrn)] },
      { label: "11. INSURED'S POLICY GROUP OR FECA NUMBER", value: [P('PLAN_ID', group)] },
      { label: '11c. INSURANCE PLAN NAME OR PROGRAM NAME', value: [r.pick(PAYERS)] },
      { label: '14. DATE OF CURRENT ILLNESS, INJURY, OR PREGNANCY (LMP)', value: [c.date(addDays(c.service, -r.int(1, 90)), 'MM DD YY')] },
      {
        label: '17. NAME OF REFERRING PROVIDER OR OTHER SOURCE',
        value: ['DN ', ...nameTokens(referringDoc, r.pick(['First M. Last', 'LAST FIRST M'] as const))],
      },
      { label: '17b. NPI', value: [P('LICENSE', npi(r))] },
    ];
    if (r.chance(0.4)) boxes.push({ label: '23. PRIOR AUTHORIZATION NUMBER', value: [P('ID', `PA${digits(r, 9)}`)] });
    if (r.chance(0.4)) boxes.push({ label: r.pick(["Patient's SSN", 'SSN']), value: r.chance(0.7) ? [P('SSN', ssn(r))] : [`XXX-XX-${digits(r, 4)}`] });
    c.kv(boxes, r.pick([2, 3]), 'below');
    s.line('21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY');
    s.line(...dx.map(([, code], i) => cell(`${'ABCDEFGHIJKL'[i]!}. `, C(code))));
    const withMod = r.chance(0.5);
    const mods = ['25', '59', 'RT', 'LT', 'GA'];
    s.table(
      ['24A. FROM', 'TO', 'B. POS', 'D. CPT/HCPCS', ...(withMod ? ['MOD'] : []), 'E. DX PTR', 'F. $ CHARGES', 'G. UNITS', 'J. NPI'],
      px.map(([, code], i) => {
        const d = serviceDates[i % serviceDates.length]!;
        return [
          cell(c.date(d, 'MM DD YY')),
          cell(c.date(d, 'MM DD YY')),
          cell(r.pick(['11', '22', '21'])),
          cell(C(code)),
          ...(withMod ? [cell(r.pick(mods))] : []),
          cell('ABCD'.slice(0, Math.min(dx.length, r.int(1, 4)))),
          cell(C(money(charges[i]!, moneyStyle))),
          cell(String(r.int(1, 3))),
          cell(P('LICENSE', renderingNpi)),
        ];
      }),
    );
    c.kv(
      [
        { label: "26. PATIENT'S ACCOUNT NO.", value: [P('ACCOUNT', account)] },
        { label: '28. TOTAL CHARGE', value: [C(money(total, moneyStyle))] },
        { label: '29. AMOUNT PAID', value: [C(money(paid, moneyStyle))] },
      ],
      3,
      'below',
    );
    c.kv(
      [
        {
          label: '31. SIGNATURE OF PHYSICIAN OR SUPPLIER',
          value: nameTokens(rendering, r.pick(['First M. Last', 'LAST, FIRST M.'] as const), { credential: true }),
        },
        { label: 'DATE', value: [c.date(addDays(serviceDates.at(-1)!, r.int(0, 5)), r.pick(['MM/DD/YY', 'MM DD YY', 'MM/DD/YYYY']))] },
      ],
      2,
      'below',
    );
    s.line('32. SERVICE FACILITY LOCATION INFORMATION');
    s.line(billing.name);
    for (const row of addressRows(billing.address, r, false)) s.line(row);
    s.line(cell('33. BILLING PROVIDER INFO & PH #'), cell(P('PHONE', billing.phone)));
  } else {
    letterhead(c, billing, { url: false, email: r.chance(0.5) });
    s.line(r.pick(['ITEMIZED STATEMENT', 'STATEMENT OF CHARGES', 'Itemized Claim']));
    const fields: Array<{ label: string; value: Piece[] }> = [
      { label: c.label(['Patient', 'Guarantor', 'Patient Name']), value: c.patientHeaderName() },
      { label: c.label(L.dob), value: [c.dobTok()] },
      { label: c.label(L.account), value: [P('ACCOUNT', account)] },
      { label: c.label(['Invoice #', 'Statement #', 'Invoice No.']), value: [P('ACCOUNT', invoiceOf(r))] },
      { label: c.label(['Claim #', 'Claim ID']), value: [P('ACCOUNT', claimOf(r, c.year))] },
      { label: c.label(L.payer), value: [r.pick(PAYERS)] },
      { label: c.label(L.member), value: [P('PLAN_ID', c.memberId)] },
      { label: c.label(L.group), value: [P('PLAN_ID', group)] },
      { label: c.label(['Policy #', 'Policy Number']), value: [P('PLAN_ID', policyOf(r))] },
      { label: c.label(['Statement Date', 'Date']), value: [c.date(addDays(serviceDates.at(-1)!, r.int(3, 20)))] },
      { label: c.label(L.mrn), value: [P('MRN', c.mrn)] },
    ];
    c.kv([fields[0]!, ...r.shuffle(fields.slice(1))]);
    s.line(c.label(['Bill to', 'Mailing address']) + c.colon);
    s.line(cell(...nameTokens(p, r.pick(['First M. Last', 'FIRST LAST']))));
    for (const row of addressRows(c.patientAddress, r, false)) s.line(row);
    s.line(r.pick(['Diagnoses', 'DIAGNOSIS CODES']));
    s.line(...dx.map(([d, code]) => cell(C(code), ' ', C(d))).slice(0, 2));
    if (dx.length > 2) s.line(...dx.slice(2).map(([d, code]) => cell(C(code), ' ', C(d))));
    s.table(
      [r.pick(['Date of Service', 'DOS', 'Service Date']), 'CPT', 'Description', r.pick(['Units', 'Qty']), r.pick(['Charge', 'Amount'])],
      px.map(([d, code], i) => [
        cell(c.date(serviceDates[i % serviceDates.length]!)),
        cell(C(code)),
        cell(C(d)),
        cell(String(r.int(1, 2))),
        cell(C(money(charges[i]!, moneyStyle))),
      ]),
    );
    c.kv(
      [
        { label: r.pick(['Total Charges', 'Total']), value: [C(money(total, moneyStyle))] },
        { label: r.pick(['Payments', 'Amount Paid']), value: [C(money(paid, moneyStyle))] },
        { label: r.pick(['Balance Due', 'You Owe']), value: [C(money(total - paid, moneyStyle))] },
      ],
      3,
      'inline',
    );
    s.line(cell('Rendering provider: ', ...c.name(rendering, CLINICIAN_FORMS, { credential: true })), cell('NPI ', P('LICENSE', renderingNpi)));
    s.para([
      'Pay online at ',
      P('URL', `https://pay.${billing.domain}/${r.pick(['invoice', 'bill', 'statement'])}/${digits(r, 6)}`),
      ' or call ',
      c.phone(true),
      '.',
    ]);
  }
  if (r.chance(0.45) || c.force.card) {
    s.line(
      cell(r.pick(['Payment received: ', 'Patient payment: ', 'Card payment ']), C(money(paid || 25, moneyStyle))),
      cell(r.pick(['Card ', 'Visa/MC ', 'Card No. ']), P('CARD', cardNumber(r))),
      cell('on ', c.date(c.service)),
    );
  } else if (r.chance(0.5)) s.line(cell('Card on file: ', `XXXX-XXXX-XXXX-${digits(r, 4)}`));
  running(c, itemized ? 'Statement' : 'CMS-1500', r.chance(0.5));
}

const BUILDERS: Record<PlantedType, (c: Ctx) => void> = {
  lab_report: labReport,
  discharge_summary: dischargeSummary,
  referral,
  claim_form: claimForm,
};

// ---------------------------------------------------------------------------------------------------
// Pages, text, planted list, and the checks that make a document fair

interface Built {
  pages: Row[][];
}

function paginate(s: Sheet): Built {
  const body: Row[][] = [[]];
  const cur = () => body[body.length - 1]!;
  for (const b of s.blocks) {
    if (b === 'break') {
      if (cur().length) body.push([]);
      continue;
    }
    if (b.keep && cur().length + b.rows.length > BODY_LINES && b.rows.length <= BODY_LINES && cur().length) body.push([]);
    for (const row of b.rows) {
      if (cur().length >= BODY_LINES) body.push([]);
      cur().push(row);
    }
  }
  const n = body.length;
  return {
    pages: body.map((rows, i) => {
      const h = s.header?.(i + 1, n);
      const f = s.footer?.(i + 1, n);
      return [...(h ? [h] : []), ...rows, ...(f ? [f] : [])];
    }),
  };
}

const rowText = (row: Row, masked = false): string => row.map((c) => c.map((t) => (masked && t.cat ? '\u0001' : t.t)).join('')).join('  ');

function checkCell(c: Cell): void {
  const t = textOf(c);
  if (t === '' || t !== t.trim() || t.includes('  ') || !PRINTABLE.test(t))
    throw new Error(`deid-plant: cell ${JSON.stringify(t)} would not read back as printed`);
}

/**
 * Make the document: undefined when the draw is unfair — an identifier that also occurs in text that
 * is not planted (a surname inside a word, a ZIP equal to a CPT code) would make the suite fail a
 * perfect gateway, or a clinical string that removing the identifiers would destroy.
 */
/**
 * Rare features forced on a cycle (k = index / 4, one of each type per cycle), so that any run of 12 or
 * more documents plants every category; otherwise they are drawn.
 */
interface Force {
  card: boolean;
  accident: boolean;
  device: boolean;
  ssn: boolean;
  uk: boolean;
  over89: boolean;
}
function forceFor(index: number): Force {
  const k = Math.floor(index / 4);
  return { card: k % 3 === 0, accident: k % 3 === 1, device: k % 3 === 2, ssn: k % 2 === 0, uk: k % 4 === 1, over89: k % 5 === 2 };
}

function build(type: PlantedType, index: number, r: Rng): PlantedDocument | undefined {
  const force = forceFor(index);
  const uk = (type === 'discharge_summary' || type === 'referral') && (r.chance(0.3) || force.uk);
  const c = new Ctx(r, uk, force);
  BUILDERS[type](c);
  const { pages } = paginate(c.s);
  const planted: PlantedIdentifier[] = [];
  const clinical: string[] = [];
  const texts: string[] = [];
  const residue: string[] = [];
  pages.forEach((rows, i) => {
    for (const row of rows) for (const cl of row) checkCell(cl);
    for (const row of rows)
      for (const cl of row)
        for (const t of cl) {
          if (t.cat) planted.push({ category: t.cat, value: t.t, page: i + 1 });
          if (t.clin && !clinical.includes(t.t)) clinical.push(t.t);
        }
    texts.push(rows.map((row) => rowText(row)).join('\n'));
    residue.push(rows.map((row) => rowText(row, true)).join('\n'));
  });
  for (const x of c.s.extraClinical) if (!clinical.includes(x)) clinical.push(x);
  const values = [...new Set(planted.map((p) => p.value))];
  const rest = residue.join('\n').toLowerCase();
  if (values.some((v) => rest.includes(v.toLowerCase()))) return undefined;
  const masked = maskAll(texts.join('\n'), values);
  if (clinical.some((x) => !masked.includes(x))) return undefined;
  if (!c.patientName || !c.printedDob) throw new Error(`deid-plant: ${type} printed no patient name or DOB`);
  return {
    id: `deid-${String(index).padStart(4, '0')}-${type}`,
    type,
    pages: texts.map((text, i) => ({ page: i + 1, text })),
    planted,
    clinical,
    patient: { name: c.patientName, dob: c.printedDob, mrn: c.mrn, ...(c.memberId ? { memberId: c.memberId } : {}) },
  };
}

/** Every occurrence of every value replaced (longest first): what a gateway that caught them all would send. */
function maskAll(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of [...values].sort((a, b) => b.length - a.length)) out = out.split(v).join('\u0001');
  return out;
}

/** The document type order for a seed: document i has type order[i % 4]. */
function plantedTypeOrder(seed: number): PlantedType[] {
  return new Rng(seed ^ 0x1d3a5c7e).shuffle(PLANTED_TYPES);
}

/** murmur3's finaliser: every input bit reaches every output bit. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
/**
 * The seed of document `index` of run `seed`. Not fixtures' documentSeed: it combines seed and index by
 * XOR, so neighbouring seeds (1 and 2) give mostly the same documents in another order.
 */
function plantSeed(seed: number, index: number): number {
  return fmix32(fmix32(seed ^ 0x5eed0d0c) + Math.imul(index + 1, 0x9e3779b1));
}

export function plantedDocuments(seed: number, count: number): PlantedDocument[] {
  const order = plantedTypeOrder(seed);
  const out: PlantedDocument[] = [];
  for (let i = 0; i < count; i++) {
    const type = order[i % order.length]!;
    const base = plantSeed(seed, i);
    let doc: PlantedDocument | undefined;
    for (let attempt = 0; attempt < 200 && !doc; attempt++) doc = build(type, i, new Rng(base + Math.imul(attempt, 0x9e3779b1)));
    if (!doc) throw new Error(`deid-plant: no fair draw for document ${i} of seed ${seed}`);
    out.push(doc);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Rendering: the page text laid out again (cells aligned in grids), drawn as a digital PDF or a scan

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

const isHeading = (cells: string[]): boolean => cells.length === 1 && cells[0]!.length <= 60 && /[A-Z]/.test(cells[0]!) && !/[a-z]/.test(cells[0]!);

function layoutPages(doc: PlantedDocument, r: Rng): Page[] {
  const family = r.weighted<Family>([
    ['sans', 5],
    ['serif', 3],
    ['mono', 1],
  ]);
  const a4 = r.chance(0.4);
  const width = a4 ? 595 : 612;
  const height = a4 ? 842 : 792;
  const margin = r.int(36, 54);
  const base = r.pick([8.5, 9, 9.5, 10]);
  const gapEm = r.pick([2.2, 2.6, 3]);
  const boxes = doc.type === 'claim_form';
  const centerTitle = r.chance(0.5);
  const availW = width - 2 * margin;
  const w = (t: string, bold: boolean, size: number) => measure(t, family, bold, size);
  const pages = doc.pages.map((p) => p.text.split('\n').map((l) => l.split(/ {2,}/)));
  const maxLines = Math.max(...pages.map((l) => l.length));
  const lead = Math.min(base * 1.38, (height - 2 * margin) / (maxLines + 1.5));
  // One body size for the document: the tallest page and the widest running line must fit.
  let size0 = Math.min(base, lead / 1.18);
  pages.forEach((lines, pi) =>
    lines.forEach((cells, li) => {
      if (cells.length === 1 && !(pi === 0 && li === 0)) size0 = Math.min(size0, availW / w(cells[0]!, isHeading(cells), 1));
    }),
  );
  const SHRINK = [1, 0.9, 0.8, 0.72];

  /** Column starts for lines set as a grid at `size`, or null when the grid is wider than the page. */
  const gridAt = (group: string[][], size: number): { xs: number[]; total: number } | null => {
    const ncol = Math.max(...group.map((g) => g.length));
    const xs: number[] = [];
    let x = margin;
    for (let k = 0; k < ncol; k++) {
      xs.push(x);
      x += Math.max(0, ...group.map((g) => w(g[k] ?? '', false, size))) + gapEm * size;
    }
    const total = x - gapEm * size - margin;
    return total <= availW ? { xs, total } : null;
  };

  return pages.map((lines, pi) => {
    const ops: Op[] = [];
    let y = margin;
    const setGroup = (group: string[][]): void => {
      let size = size0;
      let grid: { xs: number[]; total: number } | null = null;
      for (const k of SHRINK) {
        grid = gridAt(group, size0 * k);
        if (grid) {
          size = size0 * k;
          break;
        }
      }
      const top = y;
      for (const g of group) {
        y += lead;
        let lineSize = size;
        if (!grid) {
          const flowW = g.reduce((s, t) => s + w(t, false, size), 0) + gapEm * size * (g.length - 1);
          if (flowW > availW) lineSize = (size * availW) / flowW;
        }
        let x = margin;
        g.forEach((t, k) => {
          const at = grid ? grid.xs[k]! : x;
          ops.push({ kind: 'text', x: at, y, text: t, family, bold: false, size: lineSize });
          x = at + w(t, false, lineSize) + gapEm * lineSize;
        });
      }
      if (boxes && grid) {
        const y0 = top + lead * 0.3;
        const y1 = y + lead * 0.35;
        ops.push({ kind: 'rect', x: margin - 3, y: y0, w: grid.total + 6, h: y1 - y0, width: 0.6 });
        for (const x of grid.xs.slice(1)) ops.push({ kind: 'line', x1: x - (gapEm * size) / 2, y1: y0, x2: x - (gapEm * size) / 2, y2: y1, width: 0.4 });
      }
    };
    let i = 0;
    while (i < lines.length) {
      const cells = lines[i]!;
      if (cells.length === 1) {
        const title = pi === 0 && i === 0;
        const bold = title || isHeading(cells);
        let size = title ? size0 * 1.3 : size0;
        const tw = w(cells[0]!, bold, size);
        if (tw > availW) size *= availW / tw;
        y += title ? lead * 1.3 : lead;
        const x = title && centerTitle ? margin + (availW - w(cells[0]!, bold, size)) / 2 : margin;
        ops.push({ kind: 'text', x, y, text: cells[0]!, family, bold, size });
        i++;
        continue;
      }
      // A run of lines with the same number of cells (a table, a label row over its value row) is set
      // as one grid when it fits, else two lines at a time, else each line on its own.
      let j = i;
      while (j < lines.length && lines[j]!.length === cells.length) j++;
      const run = lines.slice(i, j);
      if (SHRINK.some((k) => gridAt(run, size0 * k)) || run.length <= 2) setGroup(run);
      else for (let k = 0; k < run.length; k += 2) setGroup(run.slice(k, k + 2));
      i = j;
    }
    return { width, height, ops };
  });
}

/**
 * The document's lines in a PDF: digital (a text layer that reads back as `doc.pages`), or scanned
 * (300 dpi image-only pages with a little skew, blur, noise and JPEG loss, still easy to OCR).
 */
export async function renderPlantedPdf(doc: PlantedDocument, opts: { scanned: boolean; seed?: number }): Promise<Uint8Array> {
  const r = new Rng(opts.seed ?? hashString(doc.id));
  const pages = layoutPages(doc, r.fork(1));
  if (!opts.scanned) return new Uint8Array(digitalPdf(pages));
  const s = r.fork(2);
  const params: ScanParams = {
    dpi: 300,
    skewDeg: Math.round(s.range(-0.6, 0.6) * 100) / 100,
    blurSigma: s.chance(0.5) ? 0 : Math.round(s.range(0.3, 0.6) * 100) / 100,
    noise: s.int(0, 8),
    speckle: Math.round(s.range(0, 0.0002) * 100000) / 100000,
    jpegQuality: s.int(72, 90),
    ink: s.int(0, 40),
    container: 'pdf',
  };
  return new Uint8Array(await scannedDocument(pages, params, s.fork(3)));
}
