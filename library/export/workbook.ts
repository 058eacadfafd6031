/**
 * Pipeline step 4 (export): an Extraction → an Excel workbook (one document or a batch); the
 * downloadable JSON is in json.ts, the typed cells in cells.ts.
 *
 * Sheets: `Summary` (one row per document), one sheet per list section (`Diagnoses`, `Medications`,
 * `Lab Results`, `Vitals`, `Procedures`, `Allergies`, `Immunizations`, `Claim Lines`), `Encounter` (admission,
 * discharge, attending, ward) and `Fields` (the other single values: document, patient, insurance, claim totals).
 * Every row carries its evidence (page, quote), its confidence and a `Check` column that says in plain words
 * why a value deserves a second look (its reasons, set by verification); such rows are filled with a
 * colour and counted in the Summary, which also shows the job's warnings. `Pages` lists where each page's
 * text came from and, for OCR pages, how sure the OCR was. A reviewed result says so: the Summary names its
 * version, review state and approver and counts corrected, rejected and added values; each row's `Review`
 * column says who accepted, corrected (with what the machine had read), rejected or added it, and a rejected
 * row is struck through.
 *
 * Cells are typed: numbers are numbers, ISO dates are Excel dates, confidence is a 0% number, pages are
 * integers. Every string cell goes through `safeText`, which neutralises spreadsheet-formula injection.
 * Nothing but the extraction (values and their quotes) is written: never the raw page text.
 */
import ExcelJS from 'exceljs';
import { LOINC_NOTICE, labSemantics } from '../lab/index.js';
import type { DocumentType, Evidence, Extraction, ValueCheck, ValueReview } from '../../core/contract/extraction.js';
import { VALUE_CHECK_LABELS } from '../../core/contract/extraction.js';
import { reviewText } from '../../core/contract/review-text.js';
import { describeDeidCounts } from '../../core/contract/deid-text.js';
import { reasonsOf } from '../extraction/grounding/index.js';
import { toCell, type CellIn, type Kind, type Raw } from './cells.js';

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

/** The words written in the Check column, one per reason (joined by "; "). */
export { VALUE_CHECK_LABELS as CHECK_LABELS };

export const SHEET_NAMES = [
  'Summary',
  'Diagnoses',
  'Medications',
  'Lab Results',
  'Vitals',
  'Procedures',
  'Allergies',
  'Immunizations',
  'Claim Lines',
  'Encounter',
  'Fields',
  'Pages',
] as const;

/** One document's workbook. */
export async function buildWorkbook(doc: WorkbookSource, opts?: WorkbookOptions): Promise<Buffer> {
  return build([doc], opts, false);
}

/** A batch's workbook: one Summary row per document; section sheets stack rows behind a `Document` column. */
export async function buildCombinedWorkbook(docs: WorkbookSource[], opts?: WorkbookOptions): Promise<Buffer> {
  return build(docs, opts, true);
}

// ---------------------------------------------------------------------------------------------------
// Flags

interface Review {
  checks: string[];
  /** 0 nothing to doubt, 1 doubtful (low confidence, unsure OCR, no evidence), 2 a check failed. */
  severity: 0 | 1 | 2;
}

/** Reasons that only say "be careful"; every other reason says something specific is wrong. */
const MILD: ReadonlySet<ValueCheck> = new Set(['low_confidence', 'low_ocr_confidence', 'no_evidence']);

function review(value: { confidence: number; evidence: Evidence | null; reasons?: ValueCheck[] | undefined }, threshold: number): Review {
  const reasons = reasonsOf(value, threshold);
  const severity: Review['severity'] = reasons.length === 0 ? 0 : reasons.every((r) => MILD.has(r)) ? 1 : 2;
  return { checks: reasons.map((r) => VALUE_CHECK_LABELS[r]), severity };
}

const FILLS: Record<1 | 2, ExcelJS.Fill> = {
  1: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFEB9C' } }, // light yellow: check it
  2: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF8CBAD' } }, // light red: a check failed
};
const REJECTED_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEDEDED' } }; // grey: not in the document
const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9E1F2' } };

// ---------------------------------------------------------------------------------------------------
// Sheets

interface Column {
  header: string;
  kind: Kind;
  /** Wrapped text with a fixed width (quotes). */
  wrapWidth?: number;
  /** A comment on the header cell (e.g. the LOINC notice where LOINC codes are shipped). */
  note?: string;
}

interface Row {
  cells: CellIn[];
  severity: 0 | 1 | 2;
  /** A value a person rejected (not in the document): struck through. */
  rejected?: boolean;
  /** Column indexes (0-based) to fill regardless of the row's severity. */
  highlight?: number[];
}

const EVIDENCE_COLUMNS: Column[] = [
  { header: 'Page', kind: 'page' },
  { header: 'Quote', kind: 'text', wrapWidth: 60 },
  { header: 'Confidence', kind: 'confidence' },
  { header: 'Check', kind: 'text' },
  { header: 'Review', kind: 'text', wrapWidth: 40 },
];

interface ItemBase {
  evidence: Evidence;
  confidence: number;
  reasons?: ValueCheck[] | undefined;
  review?: ValueReview | undefined;
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
      { header: 'Strength', kind: 'text' },
      { header: 'Form', kind: 'text' },
      { header: 'Route', kind: 'text' },
      { header: 'Frequency', kind: 'text' },
      { header: 'Instructions', kind: 'text', wrapWidth: 40 },
      { header: 'Duration', kind: 'text' },
      { header: 'Quantity', kind: 'text' },
      { header: 'Status', kind: 'text' },
    ],
    items: (x) =>
      x.medications.map((m) => ({ item: m, cells: [m.name, m.strength, m.form, m.route, m.frequency, m.instructions, m.duration, m.quantity, m.status] })),
  },
  {
    sheet: 'Lab Results',
    // Each printed code beside the name it was printed with, the code mapped from the name after it; what
    // MedExtract reads into a value (UCUM unit, numeric bounds, a computed flag) beside what was printed.
    columns: [
      { header: 'Panel', kind: 'text' },
      { header: 'Panel LOINC (printed)', kind: 'text' },
      { header: 'Test', kind: 'text' },
      { header: 'LOINC (printed)', kind: 'text', note: LOINC_NOTICE },
      { header: 'LOINC (mapped, confidence)', kind: 'text', note: `Mapped from the test name by MedExtract's table, never printed. ${LOINC_NOTICE}` },
      { header: 'Value', kind: 'value' },
      { header: 'Unit', kind: 'text' },
      { header: 'UCUM', kind: 'text' },
      { header: 'Reference range', kind: 'text' },
      { header: 'Low', kind: 'value' },
      { header: 'High', kind: 'value' },
      // The lab's own H/L flag as extracted; the review `Check` column comes last, like on every sheet.
      { header: 'H/L', kind: 'text' },
      { header: 'H/L (computed)', kind: 'text' },
      { header: 'Specimen', kind: 'text' },
      { header: 'Collected at', kind: 'date' },
    ],
    items: (x) => {
      const semantics = labSemantics(x);
      return x.lab_results.map((l, i) => {
        const s = semantics[i]!;
        const mapped = s.loinc_source === 'mapped' ? `${s.loinc} (${s.loinc_confidence?.toFixed(2)})` : null;
        return {
          item: l,
          cells: [
            l.panel,
            l.panel_loinc,
            l.test,
            l.loinc,
            mapped,
            l.value,
            l.unit,
            s.ucum,
            l.reference_range,
            s.range_low,
            s.range_high,
            l.flag,
            s.flag_computed ? s.flag : null,
            l.specimen,
            l.collected_at,
          ],
        };
      });
    },
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
      { header: 'Code', kind: 'text' },
      { header: 'Date', kind: 'date' },
    ],
    items: (x) => x.procedures.map((p) => ({ item: p, cells: [p.name, p.code, p.date] })),
  },
  {
    sheet: 'Allergies',
    columns: [
      { header: 'Substance', kind: 'text' },
      { header: 'Reaction', kind: 'text' },
      { header: 'Severity', kind: 'text' },
    ],
    items: (x) => x.allergies.map((a) => ({ item: a, cells: [a.substance, a.reaction, a.severity] })),
  },
  {
    sheet: 'Immunizations',
    columns: [
      { header: 'Vaccine', kind: 'text' },
      { header: 'Date', kind: 'date' },
      { header: 'Lot', kind: 'text' },
    ],
    items: (x) => x.immunizations.map((i) => ({ item: i, cells: [i.vaccine, i.date, i.lot] })),
  },
  {
    sheet: 'Claim Lines',
    columns: [
      { header: 'Service date', kind: 'date' },
      { header: 'Code', kind: 'text' },
      { header: 'Modifier', kind: 'text' },
      { header: 'Diagnosis pointer', kind: 'text' },
      { header: 'Units', kind: 'value' },
      { header: 'Charge', kind: 'value' },
    ],
    items: (x) => x.claim_lines.map((c) => ({ item: c, cells: [c.service_date, c.code, c.modifier, c.diagnosis_pointer, c.units, c.charge] })),
  },
];

const DOCUMENT_TYPE_LABELS: Record<DocumentType, string> = {
  lab_report: 'Lab report',
  discharge_summary: 'Discharge summary',
  referral: 'Referral',
  prescription: 'Prescription',
  clinical_note: 'Clinical note',
  claim_form: 'Claim form',
  radiology_report: 'Radiology report',
  pathology_report: 'Pathology report',
  insurance_card: 'Insurance card',
  eob: 'Explanation of benefits',
  vaccination_record: 'Vaccination record',
  other: 'Other',
};

function documentTypeLabel(t: string | null): string | null {
  if (t === null) return null;
  return (DOCUMENT_TYPE_LABELS as Record<string, string>)[t] ?? t;
}

interface ScalarField {
  section: 'Document' | 'Patient' | 'Encounter' | 'Insurance' | 'Claim totals';
  label: string;
  kind: Kind;
  get(x: Extraction): { value: unknown; evidence: Evidence | null; confidence: number; reasons?: ValueCheck[] | undefined; review?: ValueReview | undefined };
  display?(v: string | null): string | null;
}

const SCALAR_FIELDS: ScalarField[] = [
  { section: 'Document', label: 'Type', kind: 'text', get: (x) => x.document.type, display: documentTypeLabel },
  { section: 'Document', label: 'Date', kind: 'date', get: (x) => x.document.date },
  { section: 'Document', label: 'Facility', kind: 'text', get: (x) => x.document.facility },
  { section: 'Document', label: 'Author', kind: 'text', get: (x) => x.document.author },
  { section: 'Patient', label: 'Name', kind: 'text', get: (x) => x.patient.name },
  { section: 'Patient', label: 'Date of birth', kind: 'date', get: (x) => x.patient.date_of_birth },
  { section: 'Patient', label: 'Age', kind: 'text', get: (x) => x.patient.age },
  { section: 'Patient', label: 'Sex', kind: 'text', get: (x) => x.patient.sex },
  { section: 'Patient', label: 'MRN', kind: 'text', get: (x) => x.patient.mrn },
  { section: 'Insurance', label: 'Payer', kind: 'text', get: (x) => x.insurance.payer },
  { section: 'Insurance', label: 'Member ID', kind: 'text', get: (x) => x.insurance.member_id },
  { section: 'Insurance', label: 'Group number', kind: 'text', get: (x) => x.insurance.group_number },
  { section: 'Claim totals', label: 'Total charge', kind: 'value', get: (x) => x.claim_totals.total_charge },
  { section: 'Claim totals', label: 'Amount paid', kind: 'value', get: (x) => x.claim_totals.amount_paid },
  { section: 'Claim totals', label: 'Balance due', kind: 'value', get: (x) => x.claim_totals.balance_due },
];

/** The Encounter sheet: one row per field, like Fields. */
const ENCOUNTER_FIELDS: ScalarField[] = [
  { section: 'Encounter', label: 'Admission date', kind: 'date', get: (x) => x.encounter.admission_date },
  { section: 'Encounter', label: 'Discharge date', kind: 'date', get: (x) => x.encounter.discharge_date },
  { section: 'Encounter', label: 'Attending', kind: 'text', get: (x) => x.encounter.attending },
  { section: 'Encounter', label: 'Ward', kind: 'text', get: (x) => x.encounter.ward },
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
  { header: 'Sent to the LLM', kind: 'text', wrapWidth: 40 },
  { header: 'Extracted at (UTC)', kind: 'timestamp' },
  ...SECTIONS.map((s): Column => ({ header: s.sheet, kind: 'count' })),
  { header: 'Flagged values', kind: 'count' },
  { header: 'Needs review', kind: 'text' },
  { header: 'Warnings', kind: 'text', wrapWidth: 60 },
  { header: 'Lowest OCR confidence', kind: 'value' },
  { header: 'Result version', kind: 'count' },
  { header: 'Review state', kind: 'text' },
  { header: 'Approved by', kind: 'text' },
  { header: 'Approved at (UTC)', kind: 'timestamp' },
  { header: 'Corrected values', kind: 'count' },
  { header: 'Rejected values', kind: 'count' },
  { header: 'Added values', kind: 'count' },
];
const FLAGGED_COLUMN = SUMMARY_COLUMNS.findIndex((c) => c.header === 'Flagged values');
/** Needs review and Warnings, filled when the job needs a person's look. */
const REVIEW_COLUMNS = [FLAGGED_COLUMN + 1, FLAGGED_COLUMN + 2];

const PAGES_COLUMNS: Column[] = [
  { header: 'Page', kind: 'page' },
  { header: 'Read from', kind: 'text' },
  { header: 'OCR confidence', kind: 'value' },
];

/** How the page text went to the LLM: de-identified (what was replaced, counted), as it is, or not at all. */
function sentToLlm(doc: WorkbookSource): string {
  if (doc.provider !== 'openai') return 'not sent (local extraction)';
  const d = doc.deidentification;
  if (!d) return 'as it is (not de-identified)';
  return `de-identified: ${describeDeidCounts(d.counts)}; dates ${d.dates === 'shift' ? 'shifted' : 'replaced'}`;
}

/** An OCR confidence (0–100) as the workbook shows it: one decimal. */
const ocrFigure = (c: number | null | undefined): number | null => (typeof c === 'number' && Number.isFinite(c) ? Math.round(c * 10) / 10 : null);

function evidenceCells(evidence: Evidence | null | undefined, confidence: number | null, r: Review, review: ValueReview | undefined, current: object): Raw[] {
  return [
    evidence && Number.isInteger(evidence.page) ? evidence.page : null,
    evidence ? evidence.quote : null,
    confidence,
    r.checks.length ? r.checks.join('; ') : null,
    reviewText(review, current),
  ];
}

const REVIEW_STATE_LABELS = { unreviewed: 'Unreviewed', in_review: 'In review', approved: 'Approved' } as const;
interface DocRows {
  summary: Row;
  sections: Row[][];
  fields: Row[];
  encounter: Row[];
  pages: Row[];
}

function docRows(doc: WorkbookSource, threshold: number, combined: boolean): DocRows {
  const x = doc.extraction;
  const lead: Raw[] = combined ? [doc.filename] : [];
  let flagged = 0;
  const reviewed = { corrected: 0, rejected: 0, added: 0 };
  const count = (review: ValueReview | undefined) => {
    if (review && (review.state === 'corrected' || review.state === 'rejected' || review.state === 'added')) reviewed[review.state]++;
  };

  const sections = SECTIONS.map((s) =>
    s.items(x).map(({ item, cells }): Row => {
      const r = review(item, threshold);
      if (r.severity) flagged++;
      count(item.review);
      return {
        cells: [...lead, ...cells, ...evidenceCells(item.evidence, item.confidence, r, item.review, item)],
        severity: r.severity,
        rejected: item.review?.state === 'rejected',
      };
    }),
  );

  const fieldRows = (list: ScalarField[], withSection: boolean) =>
    list.map((f): Row => {
      const field = f.get(x);
      const value = fieldValue(f, x);
      // An empty field (nothing found, nothing claimed) is not a value to doubt.
      const r: Review = value === null ? { checks: [], severity: 0 } : review(field, threshold);
      if (r.severity) flagged++;
      const confidence = value === null && !field.evidence ? null : field.confidence;
      count(field.review);
      return {
        cells: [
          ...lead,
          ...(withSection ? [f.section] : []),
          f.label,
          { kind: f.kind, v: value },
          ...evidenceCells(field.evidence, confidence, r, field.review, field),
        ],
        severity: r.severity,
        rejected: field.review?.state === 'rejected',
      };
    });
  const fields = fieldRows(SCALAR_FIELDS, true);
  const encounter = fieldRows(ENCOUNTER_FIELDS, false);

  const sources = doc.pageSources;
  const ocrPages = (sources ?? []).flatMap((p) => (p.source === 'ocr' && ocrFigure(p.ocrConfidence) !== null ? [ocrFigure(p.ocrConfidence)!] : []));
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
      sentToLlm(doc),
      doc.extractedAt,
      ...sections.map((rows) => rows.length),
      flagged,
      doc.needsReview ? 'Yes' : 'No',
      doc.warnings.length ? doc.warnings.map((w) => (w.page ? `page ${w.page}: ${w.message}` : w.message)).join('\n') : null,
      ocrPages.length ? Math.min(...ocrPages) : null,
      doc.review?.version ?? 0,
      REVIEW_STATE_LABELS[doc.review?.state ?? 'unreviewed'],
      doc.review?.approvedBy ?? null,
      doc.review?.approvedAt ?? null,
      reviewed.corrected,
      reviewed.rejected,
      reviewed.added,
    ],
    severity: 0,
    highlight: [...(flagged > 0 ? [FLAGGED_COLUMN] : []), ...(doc.needsReview || doc.warnings.length > 0 ? REVIEW_COLUMNS : [])],
  };
  const pages = (sources ?? []).map((p): Row => ({
    cells: [...lead, p.page, p.source === 'ocr' ? 'OCR' : 'text layer', p.source === 'ocr' ? ocrFigure(p.ocrConfidence) : null],
    severity: 0,
  }));
  return { summary, sections, fields, encounter, pages };
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
    if (c.note) cell.note = c.note;
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
      if (row.rejected) {
        cell.font = { strike: true, color: { argb: 'FF7F7F7F' } };
        cell.fill = REJECTED_FILL;
      } else if (sev) cell.fill = FILLS[sev];
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
    'Encounter',
    [...lead, ...FIELDS_COLUMNS.slice(1)],
    perDoc.flatMap((d) => d.encounter),
  );
  addSheet(
    wb,
    'Fields',
    [...lead, ...FIELDS_COLUMNS],
    perDoc.flatMap((d) => d.fields),
  );
  addSheet(
    wb,
    'Pages',
    [...lead, ...PAGES_COLUMNS],
    perDoc.flatMap((d) => d.pages),
  );

  const out = await wb.xlsx.writeBuffer();
  return Buffer.isBuffer(out) ? out : Buffer.from(out as ArrayBuffer);
}
