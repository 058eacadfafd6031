/**
 * The result of one completed job: every extracted value grouped by section (patient, document, then
 * the six lists), each with its page and quote, flagged when its confidence is below 0.6 or its quote
 * was not found on the cited page. A value's page number opens that page (mx-page-view) beside the
 * tables (above them on a narrow window) with the quote highlighted. Back (or Escape) fires `close`;
 * Escape closes an open page first.
 */
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { ApiError, getResult, type Evidence, type ExtractionResult, type Field, type Job } from './api.js';
import './mx-page-view.js';
import { bannerStyles, buttonStyles } from './shared-styles.js';

export const LOW_CONFIDENCE = 0.6;

type Cell = string | number | null | undefined;
interface Column<T> {
  label: string;
  key: string;
  get: (item: T) => Cell;
}
interface ListSpec<T> {
  id: keyof Pick<ExtractionResult, 'diagnoses' | 'medications' | 'lab_results' | 'vitals' | 'procedures' | 'allergies'>;
  title: string;
  columns: Array<Column<T>>;
}

const col = <T>(label: string, key: string, get: (item: T) => Cell): Column<T> => ({ label, key, get });
type Item<K extends ListSpec<never>['id']> = ExtractionResult[K][number];

const LISTS = [
  {
    id: 'diagnoses',
    title: 'Diagnoses',
    columns: [col<Item<'diagnoses'>>('Diagnosis', 'description', (d) => d.description), col('ICD-10', 'icd10', (d) => d.icd10), col('Status', 'status', (d) => d.status)],
  } satisfies ListSpec<Item<'diagnoses'>>,
  {
    id: 'medications',
    title: 'Medications',
    columns: [
      col<Item<'medications'>>('Medication', 'name', (m) => m.name),
      col('Dose', 'dose', (m) => m.dose),
      col('Route', 'route', (m) => m.route),
      col('Frequency', 'frequency', (m) => m.frequency),
      col('Status', 'status', (m) => m.status),
    ],
  } satisfies ListSpec<Item<'medications'>>,
  {
    id: 'lab_results',
    title: 'Lab results',
    columns: [
      col<Item<'lab_results'>>('Test', 'test', (r) => r.test),
      col('Value', 'value', (r) => r.value),
      col('Unit', 'unit', (r) => r.unit),
      col('Reference range', 'reference_range', (r) => r.reference_range),
      col('Flag', 'flag', (r) => r.flag),
      col('Collected', 'collected_at', (r) => r.collected_at),
    ],
  } satisfies ListSpec<Item<'lab_results'>>,
  {
    id: 'vitals',
    title: 'Vitals',
    columns: [col<Item<'vitals'>>('Vital', 'name', (v) => v.name), col('Value', 'value', (v) => v.value), col('Unit', 'unit', (v) => v.unit), col('Taken', 'taken_at', (v) => v.taken_at)],
  } satisfies ListSpec<Item<'vitals'>>,
  {
    id: 'procedures',
    title: 'Procedures',
    columns: [col<Item<'procedures'>>('Procedure', 'name', (p) => p.name), col('Date', 'date', (p) => p.date)],
  } satisfies ListSpec<Item<'procedures'>>,
  {
    id: 'allergies',
    title: 'Allergies',
    columns: [col<Item<'allergies'>>('Substance', 'substance', (a) => a.substance), col('Reaction', 'reaction', (a) => a.reaction)],
  } satisfies ListSpec<Item<'allergies'>>,
] as const;

const PATIENT: Array<[keyof ExtractionResult['patient'], string]> = [
  ['name', 'Name'],
  ['date_of_birth', 'Date of birth'],
  ['sex', 'Sex'],
  ['mrn', 'MRN'],
];
const DOCUMENT: Array<[keyof ExtractionResult['document'], string]> = [
  ['type', 'Type'],
  ['date', 'Date'],
  ['facility', 'Facility'],
  ['author', 'Author'],
];

/** Why a value needs a second look, in words; empty when it does not. */
export function flagsOf(evidence: Evidence | null, confidence: number, hasValue = true): string[] {
  if (!hasValue) return [];
  const out: string[] = [];
  if (confidence < LOW_CONFIDENCE) out.push(`low confidence (${confidence.toFixed(2)})`);
  if (evidence && evidence.found === false) out.push('quote not found on page');
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
    buttonStyles,
    bannerStyles,
    css`
    :host {
      display: block;
    }
    section.card {
      background: var(--mx-surface, #fff);
      border: 1px solid var(--mx-border-soft, #e2e8f0);
      border-radius: 8px;
      padding: 1rem;
    }
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
    .scroll {
      overflow-x: auto;
    }
    table {
      width: 100%;
      border-collapse: collapse;
      font-size: 0.88rem;
    }
    th,
    td {
      text-align: left;
      padding: 0.35rem 0.5rem;
      border-bottom: 1px solid var(--mx-border-soft, #e2e8f0);
      vertical-align: top;
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
      if (this.loadedFor === id) this.error = `the result could not be loaded: ${err instanceof ApiError ? `${err.message} (${err.code})` : 'unexpected error'}`;
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
      ${r
        ? html`<div class="layout ${this.viewing ? 'with-page' : ''}">
            <div class="tables">${this.body(r)}</div>
            ${this.viewing && this.job
              ? html`<mx-page-view .jobId=${this.job.id} .page=${this.viewing.page} .quote=${this.viewing.quote} @close=${this.closePage}></mx-page-view>`
              : nothing}
          </div>`
        : nothing}
    </section>`;
  }

  private body(r: ExtractionResult) {
    const ocr = r.page_sources?.filter((p) => p.source === 'ocr').length ?? 0;
    return html`<p class="meta">
        ${r.page_count} page${r.page_count === 1 ? '' : 's'}${ocr ? ` (${ocr} read by OCR)` : ''} · extracted by ${r.provider}${r.model ? ` (${r.model})` : ''}
        ${r.extracted_at ? html` · ${new Date(r.extracted_at).toLocaleString()}` : nothing} · values with a confidence below ${LOW_CONFIDENCE} or a quote not found on
        its page are flagged
      </p>
      ${this.fields('patient', 'Patient', PATIENT.map(([k, label]) => [label, r.patient[k]] as const))}
      ${this.fields('document', 'Document', DOCUMENT.map(([k, label]) => [label, r.document[k]] as const))}
      ${LISTS.map((spec) => this.list(spec as unknown as ListSpec<Record<string, unknown> & { evidence: Evidence; confidence: number }>, r[spec.id] as never))}`;
  }

  private evidenceCells(evidence: Evidence | null, flags: string[]): TemplateResult {
    const page = evidence?.page;
    return html`<td data-col="page">
        ${page
          ? html`<button type="button" class="page" @click=${() => this.showPage(page, evidence.quote || null)} aria-label="show page ${page} with this quote"
              >${page}</button
            >`
          : '–'}
      </td>
      <td class="quote" data-col="quote">${evidence?.quote || '–'}</td>
      <td data-col="check">${flags.length ? flags.map((f) => html`<span class="flag">${f}</span>`) : nothing}</td>`;
  }

  private fields(id: string, title: string, rows: ReadonlyArray<readonly [string, Field<string>]>) {
    const present = rows.filter(([, f]) => f.value !== null && f.value !== '');
    return html`<h3 id="sec-${id}">${title}</h3>
      ${present.length === 0
        ? html`<p class="empty" data-section=${id}>Nothing extracted for this section.</p>`
        : html`<div class="scroll">
            <table data-section=${id} aria-labelledby="sec-${id}">
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Value</th>
                  <th scope="col">Page</th>
                  <th scope="col">Quote</th>
                  <th scope="col">Check</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(([label, f]) => {
                  const has = f.value !== null && f.value !== '';
                  const flags = flagsOf(f.evidence, f.confidence, has);
                  return html`<tr class=${flags.length ? 'flagged' : ''} data-field=${label}>
                    <th scope="row">${label}</th>
                    <td data-col="value">${text(f.value)}</td>
                    ${this.evidenceCells(f.evidence, flags)}
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`}`;
  }

  private list<T extends { evidence: Evidence; confidence: number }>(spec: ListSpec<T>, items: T[]) {
    return html`<h3 id="sec-${spec.id}">${spec.title} <span class="meta">(${items.length})</span></h3>
      ${items.length === 0
        ? html`<p class="empty" data-section=${spec.id}>No ${spec.title.toLowerCase()} found in this document.</p>`
        : html`<div class="scroll">
            <table data-section=${spec.id} aria-labelledby="sec-${spec.id}">
              <thead>
                <tr>
                  ${spec.columns.map((c) => html`<th scope="col">${c.label}</th>`)}
                  <th scope="col">Page</th>
                  <th scope="col">Quote</th>
                  <th scope="col">Check</th>
                </tr>
              </thead>
              <tbody>
                ${items.map((it) => {
                  const flags = flagsOf(it.evidence, it.confidence);
                  return html`<tr class=${flags.length ? 'flagged' : ''}>
                    ${spec.columns.map((c) => html`<td data-col=${c.key}>${text(c.get(it))}</td>`)} ${this.evidenceCells(it.evidence, flags)}
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`}`;
  }
}

customElements.define('mx-result', MxResult);

declare global {
  interface HTMLElementTagNameMap {
    'mx-result': MxResult;
  }
}
