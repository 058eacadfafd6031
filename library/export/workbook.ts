/**
 * Pipeline step 4 (export): an Extraction → an Excel workbook (one document or a batch) and the
 * downloadable JSON.
 *
 * Sheets: `Summary` (one row per document), one sheet per list section (`Diagnoses`, `Medications`,
 * `Lab Results`, `Vitals`, `Procedures`, `Allergies`) and `Fields` (the scalar document/patient fields).
 * Every row carries its evidence (page, quote), its confidence and a `Flag` column that says in words why
 * a value deserves a second look; flagged rows are filled with a colour and counted in the Summary.
 *
 * Cells are typed: numbers are numbers, ISO dates are Excel dates, confidence is a 0% number, pages are
 * integers. Every string cell goes through `safeText`, which neutralises spreadsheet-formula injection.
 * Nothing but the extraction (values and their quotes) is written: never the raw page text.
 */
import ExcelJS from 'exceljs';
import type { DocumentType, Evidence, Extraction, ExtractionDownload } from '../../core/contract/extraction.js';
import { SCHEMA_VERSION } from '../../core/contract/extraction.js';

/** The exporters' input: a finished job (core/contract/job-result.ts). */
export type { PageSource, JobResult as WorkbookSource } from '../../core/contract/job-result.js';
import type { JobResult as WorkbookSource } from '../../core/contract/job-result.js';

export interface WorkbookOptions {
  /** Values with a confidence below this are flagged "low confidence". Default 0.6; must be in [0, 1]. */
  lowConfidence?: number;
  /** The workbook's `created` property. Default: now. */
  createdAt?: Date;
}

export const DEFAULT_LOW_CONFIDENCE = 0.6;

/** The words written in the Flag column. */
export const FLAG_LOW_CONFIDENCE = 'low confidence';
export const FLAG_QUOTE_NOT_FOUND = 'quote not found on page';
export const FLAG_NO_EVIDENCE = 'no page or quote given';

export const SHEET_NAMES = ['Summary', 'Diagnoses', 'Medications', 'Lab Results', 'Vitals', 'Procedures', 'Allergies', 'Fields'] as const;

/** One document's workbook. */
export async function buildWorkbook(doc: WorkbookSource, opts?: WorkbookOptions): Promise<Buffer> {
  return build([doc], opts, false);
}

/** A batch's workbook: one Summary row per document; section sheets stack rows behind a `Document` column. */
export async function buildCombinedWorkbook(docs: WorkbookSource[], opts?: WorkbookOptions): Promise<Buffer> {
  return build(docs, opts, true);
}

// ---------------------------------------------------------------------------------------------------
// JSON download

/** The downloadable JSON: the same data as the workbook, with every value's evidence. A deep copy. */
export function extractionToJson(doc: WorkbookSource): ExtractionDownload {
  const x = structuredClone(doc.extraction);
  return {
    schema_version: x.schema_version ?? SCHEMA_VERSION,
    job_id: doc.jobId,
    filename: doc.filename,
    page_count: doc.pageCount,
    page_sources: doc.pageSources ? doc.pageSources.map((p) => ({ page: p.page, source: p.source, ocr_confidence: p.ocrConfidence ?? null })) : null,
    provider: doc.provider,
    model: doc.model ?? null,
    extracted_at: isValidDate(doc.extractedAt) ? doc.extractedAt.toISOString() : null,
    document: x.document,
    patient: x.patient,
    diagnoses: x.diagnoses,
    medications: x.medications,
    lab_results: x.lab_results,
    vitals: x.vitals,
    procedures: x.procedures,
    allergies: x.allergies,
  };
}

// ---------------------------------------------------------------------------------------------------
// Cell values

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

function isValidDate(d: unknown): d is Date {
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
type Kind = 'text' | 'value' | 'date' | 'timestamp' | 'page' | 'count' | 'confidence';
type Raw = string | number | Date | null | undefined;
/** A cell: a raw value written by its column's kind, or with its own kind (the Fields sheet's Value column). */
type CellIn = Raw | { kind: Kind; v: Raw };

interface CellOut {
  value: ExcelJS.CellValue;
  numFmt?: string;
  /** Characters the cell shows, to size its column. */
  width: number;
}

function toCell(raw: Raw, kind: Kind): CellOut {
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

// ---------------------------------------------------------------------------------------------------
// Flags

interface Review {
  flags: string[];
  /** 0 none, 1 low confidence / no evidence, 2 quote not found on the page. */
  severity: 0 | 1 | 2;
}

function review(confidence: number, evidence: Evidence | null | undefined, threshold: number): Review {
  const flags: string[] = [];
  let severity: Review['severity'] = 0;
  if (!evidence) {
    flags.push(FLAG_NO_EVIDENCE);
    severity = 1;
  } else if (evidence.found === false) {
    flags.push(FLAG_QUOTE_NOT_FOUND);
    severity = 2;
  }
  if (!(typeof confidence === 'number' && confidence >= threshold)) {
    flags.push(FLAG_LOW_CONFIDENCE);
    if (severity === 0) severity = 1;
  }
  return { flags, severity };
}

const FILLS: Record<1 | 2, ExcelJS.Fill> = {
  1: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFEB9C' } }, // light yellow: check it
  2: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF8CBAD' } }, // light red: not on the page
};
const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9E1F2' } };

// ---------------------------------------------------------------------------------------------------
// Sheets

interface Column {
  header: string;
  kind: Kind;
  /** Wrapped text with a fixed width (quotes). */
  wrapWidth?: number;
}

interface Row {
  cells: CellIn[];
  severity: 0 | 1 | 2;
  /** Column indexes (0-based) to fill regardless of the row's severity. */
  highlight?: number[];
}

const EVIDENCE_COLUMNS: Column[] = [
  { header: 'Page', kind: 'page' },
  { header: 'Quote', kind: 'text', wrapWidth: 60 },
  { header: 'Confidence', kind: 'confidence' },
  { header: 'Flag', kind: 'text' },
];

interface ItemBase {
  evidence: Evidence;
  confidence: number;
}

interface SectionDef {
  sheet: string;
  columns: Column[];
  items(x: Extraction): Array<{ item: ItemBase; cells: Raw[] }>;
}

const SECTIONS: SectionDef[] = [
  {
    sheet: 'Diagnoses',
    columns: [
      { header: 'Description', kind: 'text' },
      { header: 'ICD-10', kind: 'text' },
      { header: 'Status', kind: 'text' },
    ],
    items: (x) => x.diagnoses.map((d) => ({ item: d, cells: [d.description, d.icd10, d.status] })),
  },
  {
    sheet: 'Medications',
    columns: [
      { header: 'Name', kind: 'text' },
      { header: 'Dose', kind: 'text' },
      { header: 'Route', kind: 'text' },
      { header: 'Frequency', kind: 'text' },
      { header: 'Status', kind: 'text' },
    ],
    items: (x) => x.medications.map((m) => ({ item: m, cells: [m.name, m.dose, m.route, m.frequency, m.status] })),
  },
  {
    sheet: 'Lab Results',
    columns: [
      { header: 'Test', kind: 'text' },
      { header: 'Value', kind: 'value' },
      { header: 'Unit', kind: 'text' },
      { header: 'Reference range', kind: 'text' },
      // The schema's H/L flag; the review `Flag` column comes last, like on every sheet.
      { header: 'Result flag', kind: 'text' },
      { header: 'Collected at', kind: 'date' },
    ],
    items: (x) => x.lab_results.map((l) => ({ item: l, cells: [l.test, l.value, l.unit, l.reference_range, l.flag, l.collected_at] })),
  },
  {
    sheet: 'Vitals',
    columns: [
      { header: 'Name', kind: 'text' },
      { header: 'Value', kind: 'value' },
      { header: 'Unit', kind: 'text' },
      { header: 'Taken at', kind: 'date' },
    ],
    items: (x) => x.vitals.map((v) => ({ item: v, cells: [v.name, v.value, v.unit, v.taken_at] })),
  },
  {
    sheet: 'Procedures',
    columns: [
      { header: 'Name', kind: 'text' },
      { header: 'Date', kind: 'date' },
    ],
    items: (x) => x.procedures.map((p) => ({ item: p, cells: [p.name, p.date] })),
  },
  {
    sheet: 'Allergies',
    columns: [
      { header: 'Substance', kind: 'text' },
      { header: 'Reaction', kind: 'text' },
    ],
    items: (x) => x.allergies.map((a) => ({ item: a, cells: [a.substance, a.reaction] })),
  },
];

const DOCUMENT_TYPE_LABELS: Record<DocumentType, string> = {
  lab_report: 'Lab report',
  discharge_summary: 'Discharge summary',
  referral: 'Referral',
  prescription: 'Prescription',
  clinical_note: 'Clinical note',
  other: 'Other',
};

function documentTypeLabel(t: string | null): string | null {
  if (t === null) return null;
  return (DOCUMENT_TYPE_LABELS as Record<string, string>)[t] ?? t;
}

interface ScalarField {
  section: 'Document' | 'Patient';
  label: string;
  kind: Kind;
  get(x: Extraction): { value: unknown; evidence: Evidence | null; confidence: number };
  display?(v: string | null): string | null;
}

const SCALAR_FIELDS: ScalarField[] = [
  { section: 'Document', label: 'Type', kind: 'text', get: (x) => x.document.type, display: documentTypeLabel },
  { section: 'Document', label: 'Date', kind: 'date', get: (x) => x.document.date },
  { section: 'Document', label: 'Facility', kind: 'text', get: (x) => x.document.facility },
  { section: 'Document', label: 'Author', kind: 'text', get: (x) => x.document.author },
  { section: 'Patient', label: 'Name', kind: 'text', get: (x) => x.patient.name },
  { section: 'Patient', label: 'Date of birth', kind: 'date', get: (x) => x.patient.date_of_birth },
  { section: 'Patient', label: 'Sex', kind: 'text', get: (x) => x.patient.sex },
  { section: 'Patient', label: 'MRN', kind: 'text', get: (x) => x.patient.mrn },
];

function fieldValue(f: ScalarField, x: Extraction): Raw {
  const v = f.get(x).value;
  if (v === null || v === undefined) return null;
  const raw: Raw = typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v);
  return f.display && typeof raw === 'string' ? f.display(raw) : raw;
}

const FIELDS_COLUMNS: Column[] = [
  { header: 'Section', kind: 'text' },
  { header: 'Field', kind: 'text' },
  { header: 'Value', kind: 'text' },
  ...EVIDENCE_COLUMNS,
];

const SUMMARY_COLUMNS: Column[] = [
  { header: 'File name', kind: 'text' },
  { header: 'Job ID', kind: 'text' },
  { header: 'Document type', kind: 'text' },
  { header: 'Document date', kind: 'date' },
  { header: 'Facility', kind: 'text' },
  { header: 'Author', kind: 'text' },
  { header: 'Patient name', kind: 'text' },
  { header: 'Date of birth', kind: 'date' },
  { header: 'Sex', kind: 'text' },
  { header: 'MRN', kind: 'text' },
  { header: 'Pages', kind: 'count' },
  { header: 'Pages from text layer', kind: 'count' },
  { header: 'Pages from OCR', kind: 'count' },
  { header: 'Provider', kind: 'text' },
  { header: 'Model', kind: 'text' },
  { header: 'Extracted at (UTC)', kind: 'timestamp' },
  ...SECTIONS.map((s): Column => ({ header: s.sheet, kind: 'count' })),
  { header: 'Flagged values', kind: 'count' },
];
const FLAGGED_COLUMN = SUMMARY_COLUMNS.length - 1;

function evidenceCells(evidence: Evidence | null | undefined, confidence: number | null, r: Review): Raw[] {
  return [
    evidence && Number.isInteger(evidence.page) ? evidence.page : null,
    evidence ? evidence.quote : null,
    confidence,
    r.flags.length ? r.flags.join('; ') : null,
  ];
}

interface DocRows {
  summary: Row;
  sections: Row[][];
  fields: Row[];
}

function docRows(doc: WorkbookSource, threshold: number, combined: boolean): DocRows {
  const x = doc.extraction;
  const lead: Raw[] = combined ? [doc.filename] : [];
  let flagged = 0;

  const sections = SECTIONS.map((s) =>
    s.items(x).map(({ item, cells }): Row => {
      const r = review(item.confidence, item.evidence, threshold);
      if (r.severity) flagged++;
      return { cells: [...lead, ...cells, ...evidenceCells(item.evidence, item.confidence, r)], severity: r.severity };
    }),
  );

  const fields = SCALAR_FIELDS.map((f): Row => {
    const field = f.get(x);
    const value = fieldValue(f, x);
    // An empty field (nothing found, nothing claimed) is not a value to doubt.
    const r: Review = value === null ? { flags: [], severity: 0 } : review(field.confidence, field.evidence, threshold);
    if (r.severity) flagged++;
    const confidence = value === null && !field.evidence ? null : field.confidence;
    return {
      cells: [...lead, f.section, f.label, { kind: f.kind, v: value }, ...evidenceCells(field.evidence, confidence, r)],
      severity: r.severity,
    };
  });

  const sources = doc.pageSources;
  const summary: Row = {
    cells: [
      doc.filename,
      doc.jobId,
      documentTypeLabel(x.document.type.value),
      x.document.date.value,
      x.document.facility.value,
      x.document.author.value,
      x.patient.name.value,
      x.patient.date_of_birth.value,
      x.patient.sex.value,
      x.patient.mrn.value,
      doc.pageCount,
      sources ? sources.filter((p) => p.source === 'text_layer').length : null,
      sources ? sources.filter((p) => p.source === 'ocr').length : null,
      doc.provider,
      doc.model ?? null,
      doc.extractedAt,
      ...sections.map((rows) => rows.length),
      flagged,
    ],
    severity: 0,
    highlight: flagged > 0 ? [FLAGGED_COLUMN] : [],
  };
  return { summary, sections, fields };
}

function addSheet(wb: ExcelJS.Workbook, name: string, columns: Column[], rows: Row[]): void {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1, topLeftCell: 'A2' }] });
  const widths = columns.map((c) => c.header.length);

  const header = ws.getRow(1);
  columns.forEach((c, i) => {
    const cell = header.getCell(i + 1);
    cell.value = c.header;
    cell.font = { bold: true };
    cell.fill = HEADER_FILL;
    cell.alignment = { vertical: 'middle' };
    cell.border = { bottom: { style: 'thin' } };
  });
  header.commit();

  rows.forEach((row, r) => {
    const wsRow = ws.getRow(r + 2);
    columns.forEach((col, i) => {
      const input = row.cells[i];
      const out = input !== null && typeof input === 'object' && !(input instanceof Date) ? toCell(input.v, input.kind) : toCell(input, col.kind);
      const cell = wsRow.getCell(i + 1);
      cell.value = out.value;
      if (out.numFmt) cell.numFmt = out.numFmt;
      cell.alignment = col.wrapWidth ? { vertical: 'top', wrapText: true } : { vertical: 'top' };
      const sev = row.highlight?.includes(i) ? 1 : row.severity;
      if (sev) cell.fill = FILLS[sev];
      widths[i] = Math.max(widths[i] ?? 0, out.width);
    });
    wsRow.commit();
  });

  columns.forEach((c, i) => {
    ws.getColumn(i + 1).width = c.wrapWidth ?? Math.min(50, Math.max(8, (widths[i] ?? 0) + 2));
  });
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: Math.max(1, rows.length + 1), column: columns.length } };
}

async function build(docs: WorkbookSource[], opts: WorkbookOptions | undefined, combined: boolean): Promise<Buffer> {
  const threshold = opts?.lowConfidence ?? DEFAULT_LOW_CONFIDENCE;
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) {
    throw new RangeError(`lowConfidence must be a number from 0 to 1, got ${String(threshold)}`);
  }

  const wb = new ExcelJS.Workbook();
  const now = opts?.createdAt ?? new Date();
  wb.creator = 'MedExtract';
  wb.lastModifiedBy = 'MedExtract';
  wb.created = now;
  wb.modified = now;
  // Generic on purpose: document properties travel with the file and are rarely looked at, so no PHI here.
  wb.title = combined ? 'MedExtract extraction (batch)' : 'MedExtract extraction';

  const perDoc = docs.map((d) => docRows(d, threshold, combined));
  const lead: Column[] = combined ? [{ header: 'Document', kind: 'text' }] : [];

  addSheet(
    wb,
    'Summary',
    SUMMARY_COLUMNS,
    perDoc.map((d) => d.summary),
  );
  SECTIONS.forEach((s, i) => {
    addSheet(
      wb,
      s.sheet,
      [...lead, ...s.columns, ...EVIDENCE_COLUMNS],
      perDoc.flatMap((d) => d.sections[i] ?? []),
    );
  });
  addSheet(
    wb,
    'Fields',
    [...lead, ...FIELDS_COLUMNS],
    perDoc.flatMap((d) => d.fields),
  );

  const out = await wb.xlsx.writeBuffer();
  return Buffer.isBuffer(out) ? out : Buffer.from(out as ArrayBuffer);
}
