/**
 * The result of one completed job: the job's warnings first (when it needs review), then every extracted
 * value grouped by section (patient, document, then the six lists), each with its page, quote, confidence
 * and a Check cell naming in plain words every reason verification found to doubt it (value not in its
 * quote, flag against the range, implausible date, ...). A value's page number opens that page
 * (mx-page-view) beside the tables (above them on a narrow window) with the quote highlighted. Back (or
 * Escape) fires `close`; Escape closes an open page first.
 */
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { ApiError, getResult, type Evidence, type ExtractionResult, type Field, type Job } from './api.js';
import './mx-page-view.js';
import { bannerStyles, buttonStyles, panelStyles, tableStyles } from './shared-styles.js';
import type { ValueCheck } from '../../core/contract/extraction.js';

export const LOW_CONFIDENCE = 0.6;

/** The plain words for each reason; the same words as the workbook's Check column (core/contract VALUE_CHECK_LABELS). */
export const CHECK_LABELS: Readonly<Record<ValueCheck, string>> = {
  quote_not_on_page: 'quote not found on page',
  no_evidence: 'no page or quote given',
  value_not_in_quote: 'value not in its quote',
  flag_contradicts_range: 'H/L flag contradicts the reference range',
  implausible_date: 'implausible date',
  unit_mismatch: 'unit does not fit the test',
  value_fits_other_row: 'value may belong to another row',
  low_ocr_confidence: 'OCR unsure of the quoted words',
  low_confidence: 'low confidence',
};

type Cell = string | number | null | undefined;
type ListId = keyof Pick<
  ExtractionResult,
  'diagnoses' | 'medications' | 'lab_results' | 'vitals' | 'procedures' | 'allergies' | 'immunizations' | 'claim_lines'
>;
type Item<K extends ListId> = ExtractionResult[K][number];
/** The properties of an item that a cell shows as they are. */
type CellKey<T> = { [P in keyof T]-?: T[P] extends Cell ? P : never }[keyof T] & string;
type ListItem = { evidence: Evidence; confidence: number; reasons?: ValueCheck[] | undefined };
interface Column {
  label: string;
  key: string;
  get: (item: ListItem) => Cell;
}
interface ListSpec {
  id: ListId;
  title: string;
  columns: Column[];
}

/** One list section; each column is [heading, the item's property it shows]. */
function listSpec<K extends ListId>(id: K, title: string, columns: Array<[label: string, key: CellKey<Item<K>>]>): ListSpec {
  return { id, title, columns: columns.map(([label, key]) => ({ label, key, get: (item) => (item as Item<K>)[key] as Cell })) };
}

const LISTS = [
  listSpec('diagnoses', 'Diagnoses', [
    ['Diagnosis', 'description'],
    ['ICD-10', 'icd10'],
    ['Status', 'status'],
  ]),
  listSpec('medications', 'Medications', [
    ['Medication', 'name'],
    ['Strength', 'strength'],
    ['Form', 'form'],
    ['Route', 'route'],
    ['Frequency', 'frequency'],
    ['Instructions', 'instructions'],
    ['Duration', 'duration'],
    ['Quantity', 'quantity'],
    ['Status', 'status'],
  ]),
  listSpec('lab_results', 'Lab results', [
    ['Panel', 'panel'],
    ['Test', 'test'],
    ['Value', 'value'],
    ['Unit', 'unit'],
    ['Reference range', 'reference_range'],
    ['Flag', 'flag'],
    ['Specimen', 'specimen'],
    ['Collected', 'collected_at'],
  ]),
  listSpec('vitals', 'Vitals', [
    ['Vital', 'name'],
    ['Value', 'value'],
    ['Unit', 'unit'],
    ['Taken', 'taken_at'],
  ]),
  listSpec('procedures', 'Procedures', [
    ['Procedure', 'name'],
    ['Code', 'code'],
    ['Date', 'date'],
  ]),
  listSpec('allergies', 'Allergies', [
    ['Substance', 'substance'],
    ['Reaction', 'reaction'],
    ['Severity', 'severity'],
  ]),
  listSpec('immunizations', 'Immunizations', [
    ['Vaccine', 'vaccine'],
    ['Date', 'date'],
    ['Lot', 'lot'],
  ]),
  listSpec('claim_lines', 'Claim lines', [
    ['Service date', 'service_date'],
    ['Code', 'code'],
    ['Modifier', 'modifier'],
    ['Diagnosis pointer', 'diagnosis_pointer'],
    ['Units', 'units'],
    ['Charge', 'charge'],
  ]),
];

/** Lists that few documents have (a vaccination record, a claim form): left out of the view when empty. */
const SHOWN_WHEN_FOUND: ReadonlySet<ListId> = new Set(['immunizations', 'claim_lines']);

const PATIENT: Array<[keyof ExtractionResult['patient'], string]> = [
  ['name', 'Name'],
  ['date_of_birth', 'Date of birth'],
  ['age', 'Age'],
  ['sex', 'Sex'],
  ['mrn', 'MRN'],
];
const ENCOUNTER: Array<[keyof ExtractionResult['encounter'], string]> = [
  ['admission_date', 'Admission date'],
  ['discharge_date', 'Discharge date'],
  ['attending', 'Attending'],
  ['ward', 'Ward'],
];
const INSURANCE: Array<[keyof ExtractionResult['insurance'], string]> = [
  ['payer', 'Payer'],
  ['member_id', 'Member ID'],
  ['group_number', 'Group number'],
];
const CLAIM_TOTALS: Array<[keyof ExtractionResult['claim_totals'], string]> = [
  ['total_charge', 'Total charge'],
  ['amount_paid', 'Amount paid'],
  ['balance_due', 'Balance due'],
];
const DOCUMENT: Array<[keyof ExtractionResult['document'], string]> = [
  ['type', 'Type'],
  ['date', 'Date'],
  ['facility', 'Facility'],
  ['author', 'Author'],
];

/**
 * Why a value needs a second look, in words; empty when it does not. A value verified before reasons
 * existed has none stored: what can still be told from its evidence and confidence is shown.
 */
export function flagsOf(v: { evidence: Evidence | null; confidence: number; reasons?: ValueCheck[] | undefined }, hasValue = true): string[] {
  if (!hasValue) return [];
  if (v.reasons) return v.reasons.length ? v.reasons.map((r) => CHECK_LABELS[r] ?? r) : v.confidence < LOW_CONFIDENCE ? [CHECK_LABELS.low_confidence] : [];
  const out: string[] = [];
  if (!v.evidence) out.push(CHECK_LABELS.no_evidence);
  else if (v.evidence.found === false) out.push(CHECK_LABELS.quote_not_on_page);
  if (v.confidence < LOW_CONFIDENCE) out.push(CHECK_LABELS.low_confidence);
  return out;
}

const text = (v: Cell) => (v === null || v === undefined || v === '' ? '–' : String(v));

export class MxResult extends LitElement {
  static override properties = {
    job: { attribute: false },
    result: { state: true },
    error: { state: true },
    viewing: { state: true },
  };

  declare job: Job | null;
  declare result: ExtractionResult | null;
  declare error: string;
  /** The page shown beside the tables, and the quote to highlight on it. */
  declare viewing: { page: number; quote: string | null } | null;
  private loadedFor: string | null = null;

  constructor() {
    super();
    this.job = null;
    this.result = null;
    this.error = '';
    this.viewing = null;
  }

  static override styles = [
    panelStyles,
    buttonStyles,
    bannerStyles,
    tableStyles,
    css`
    .top {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.75rem;
      margin-bottom: 0.5rem;
    }
    h2 {
      margin: 0;
      font-size: 1.05rem;
      overflow-wrap: anywhere;
    }
    h3 {
      margin: 1.25rem 0 0.4rem;
      font-size: 0.98rem;
    }
    .meta {
      margin: 0;
      color: var(--mx-muted, #475569);
      font-size: 0.88rem;
    }
    table {
      font-size: 0.88rem;
    }
    th {
      font-weight: 600;
      color: var(--mx-muted, #475569);
    }
    td.quote {
      font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
      font-size: 0.8rem;
      overflow-wrap: anywhere;
      min-width: 12rem;
      max-width: 28rem;
    }
    tr.flagged {
      background: #fffbeb;
    }
    .flag {
      display: inline-block;
      margin: 0 0.25rem 0.15rem 0;
      padding: 0 0.35rem;
      border-radius: 3px;
      background: #fef3c7;
      color: #78350f;
      border: 1px solid #f59e0b;
      font-size: 0.78rem;
      white-space: nowrap;
    }
    .empty {
      color: var(--mx-muted, #475569);
      margin: 0.25rem 0;
    }
    .review {
      margin: 0.5rem 0 0.75rem;
      padding: 0.5rem 0.75rem;
      border-radius: 4px;
      border: 1px solid #f59e0b;
      background: #fffbeb;
      color: #78350f;
    }
    .review h3 {
      margin: 0 0 0.25rem;
    }
    .review ul {
      margin: 0;
      padding-left: 1.2rem;
    }
    .confidence {
      color: var(--mx-muted, #475569);
      font-size: 0.78rem;
      margin-right: 0.35rem;
    }
    .layout {
      display: grid;
      grid-template-columns: minmax(0, 1fr);
      gap: 1rem;
    }
    mx-page-view {
      order: -1;
    }
    @media (min-width: 1000px) {
      .layout.with-page {
        grid-template-columns: minmax(0, 1fr) minmax(320px, 44%);
        align-items: start;
      }
      .layout.with-page mx-page-view {
        order: 1;
        position: sticky;
        top: 0.5rem;
      }
    }
    button.page {
      padding: 0 0.4rem;
      font-size: 0.85rem;
      min-width: 2rem;
    }
  `,
  ];

  private readonly onKey = (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    if (this.viewing) this.closePage();
    else this.close();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    document.removeEventListener('keydown', this.onKey);
    super.disconnectedCallback();
  }

  override willUpdate(): void {
    const id = this.job?.id ?? null;
    if (id !== this.loadedFor) {
      this.loadedFor = id;
      this.result = null;
      this.error = '';
      this.viewing = null;
      if (id) void this.load(id);
    }
  }

  override updated(changed: Map<string, unknown>): void {
    // On a narrow window the page opens above the tables, possibly out of sight: bring it into view.
    if (changed.has('viewing') && this.viewing) this.renderRoot.querySelector('mx-page-view')?.scrollIntoView({ block: 'nearest' });
  }

  override firstUpdated(): void {
    this.renderRoot.querySelector<HTMLButtonElement>('button.back')?.focus();
  }

  private async load(id: string): Promise<void> {
    try {
      const r = await getResult(id);
      if (this.loadedFor === id) this.result = r;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      if (this.loadedFor === id)
        this.error = `the result could not be loaded: ${err instanceof ApiError ? `${err.message} (${err.code})` : 'unexpected error'}`;
    }
  }

  private showPage(page: number, quote: string | null): void {
    this.viewing = { page, quote };
  }

  private closePage(): void {
    this.viewing = null;
  }

  private close(): void {
    this.dispatchEvent(new CustomEvent('close', { bubbles: true, composed: true }));
  }

  override render() {
    const r = this.result;
    return html`<section class="card" aria-labelledby="result-title">
      <div class="top">
        <button type="button" class="back" @click=${this.close} aria-label="back to the jobs (Escape)">← Back</button>
        <h2 id="result-title">Result: ${this.job?.filename ?? ''}</h2>
      </div>
      ${this.error ? html`<p class="banner" role="alert">${this.error}</p>` : nothing}
      ${!r && !this.error ? html`<p class="empty" role="status">Loading the result…</p>` : nothing}
      ${
        r
          ? html`<div class="layout ${this.viewing ? 'with-page' : ''}">
            <div class="tables">${this.body(r)}</div>
            ${
              this.viewing && this.job
                ? html`<mx-page-view .jobId=${this.job.id} .page=${this.viewing.page} .quote=${this.viewing.quote} @close=${this.closePage}></mx-page-view>`
                : nothing
            }
          </div>`
          : nothing
      }
    </section>`;
  }

  private body(r: ExtractionResult) {
    const ocr = r.page_sources?.filter((p) => p.source === 'ocr').length ?? 0;
    return html`<p class="meta">
        ${r.page_count} page${r.page_count === 1 ? '' : 's'}${ocr ? ` (${ocr} read by OCR)` : ''} · extracted by ${r.provider}${r.model ? ` (${r.model})` : ''}
        ${r.extracted_at ? html` · ${new Date(r.extracted_at).toLocaleString()}` : nothing} · each value is checked against its own quote; the Check column says
        why a value needs a second look
      </p>
      ${this.review(r)}
      ${this.fields(
        'patient',
        'Patient',
        PATIENT.map(([k, label]) => [label, r.patient[k]] as const),
      )}
      ${this.fields(
        'document',
        'Document',
        DOCUMENT.map(([k, label]) => [label, r.document[k]] as const),
      )}
      ${this.fieldsIfAny(
        'encounter',
        'Encounter',
        ENCOUNTER.map(([k, label]) => [label, r.encounter[k]] as const),
      )}
      ${this.fieldsIfAny(
        'insurance',
        'Insurance',
        INSURANCE.map(([k, label]) => [label, r.insurance[k]] as const),
      )}
      ${this.fieldsIfAny(
        'claim-totals',
        'Claim totals',
        CLAIM_TOTALS.map(([k, label]) => [label, r.claim_totals[k]] as const),
      )}
      ${LISTS.map((spec) => (SHOWN_WHEN_FOUND.has(spec.id) && r[spec.id].length === 0 ? nothing : this.list(spec, r[spec.id])))}`;
  }

  /** The job's warnings, when it needs a person's look before its values are trusted. */
  private review(r: ExtractionResult) {
    const warnings = r.warnings ?? [];
    if (!r.needs_review && warnings.length === 0) return nothing;
    return html`<section class="review" role="status" data-review aria-labelledby="review-title">
      <h3 id="review-title">Needs review</h3>
      ${
        warnings.length
          ? html`<ul>
            ${warnings.map((w) => html`<li data-warning=${w.code}>${w.page ? `Page ${w.page}: ` : ''}${w.message}</li>`)}
          </ul>`
          : html`<p class="empty">Look over the values before trusting them.</p>`
      }
    </section>`;
  }

  private evidenceCells(evidence: Evidence | null, flags: string[], confidence: number | null): TemplateResult {
    const page = evidence?.page;
    return html`<td data-col="page">
        ${
          page
            ? html`<button type="button" class="page" @click=${() => this.showPage(page, evidence.quote || null)} aria-label="show page ${page} with this quote"
              >${page}</button
            >`
            : '–'
        }
      </td>
      <td class="quote" data-col="quote">${evidence?.quote || '–'}</td>
      <td data-col="check">
        ${confidence !== null ? html`<span class="confidence" title="confidence">${Math.round(confidence * 100)}%</span>` : nothing}
        ${flags.map((f) => html`<span class="flag">${f}</span>`)}
      </td>`;
  }

  /** A group most documents do not have (encounter, insurance, claim totals): shown when it holds a value. */
  private fieldsIfAny(id: string, title: string, rows: ReadonlyArray<readonly [string, Field<string | number>]>) {
    return rows.some(([, f]) => f.value !== null && f.value !== '') ? this.fields(id, title, rows) : nothing;
  }

  private fields(id: string, title: string, rows: ReadonlyArray<readonly [string, Field<string | number>]>) {
    const present = rows.filter(([, f]) => f.value !== null && f.value !== '');
    return this.section({
      id,
      heading: title,
      emptyText: present.length === 0 ? 'Nothing extracted for this section.' : null,
      columns: ['Field', 'Value'],
      rows: rows.map(([label, f]) => {
        const has = f.value !== null && f.value !== '';
        const flags = flagsOf(f, has);
        return html`<tr class=${flags.length ? 'flagged' : ''} data-field=${label}>
          <th scope="row">${label}</th>
          <td data-col="value">${text(f.value)}</td>
          ${this.evidenceCells(f.evidence, flags, has ? f.confidence : null)}
        </tr>`;
      }),
    });
  }

  private list(spec: ListSpec, items: readonly ListItem[]) {
    return this.section({
      id: spec.id,
      heading: html`${spec.title} <span class="meta">(${items.length})</span>`,
      emptyText: items.length === 0 ? `No ${spec.title.toLowerCase()} found in this document.` : null,
      columns: spec.columns.map((c) => c.label),
      rows: items.map((it) => {
        const flags = flagsOf(it);
        return html`<tr class=${flags.length ? 'flagged' : ''}>
          ${spec.columns.map((c) => html`<td data-col=${c.key}>${text(c.get(it))}</td>`)} ${this.evidenceCells(it.evidence, flags, it.confidence)}
        </tr>`;
      }),
    });
  }

  /** A section's heading, then its table (the given columns, then page, quote and check), or `emptyText` when there is nothing to show. */
  private section(s: { id: string; heading: unknown; emptyText: string | null; columns: string[]; rows: unknown[] }) {
    return html`<h3 id="sec-${s.id}">${s.heading}</h3>
      ${
        s.emptyText !== null
          ? html`<p class="empty" data-section=${s.id}>${s.emptyText}</p>`
          : html`<div class="scroll">
            <table data-section=${s.id} aria-labelledby="sec-${s.id}">
              <thead>
                <tr>
                  ${[...s.columns, 'Page', 'Quote', 'Check'].map((label) => html`<th scope="col">${label}</th>`)}
                </tr>
              </thead>
              <tbody>
                ${s.rows}
              </tbody>
            </table>
          </div>`
      }`;
  }
}

customElements.define('mx-result', MxResult);

declare global {
  interface HTMLElementTagNameMap {
    'mx-result': MxResult;
  }
}
