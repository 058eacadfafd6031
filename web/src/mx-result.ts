/**
 * The result of one completed job: the job's warnings first (when it needs review), then every extracted
 * value grouped by section (patient, document, then the six lists), each with its page, quote, confidence
 * and a Check cell naming in plain words every reason verification found to doubt it (value not in its
 * quote, flag against the range, implausible date, ...). A value's page number opens that page
 * (mx-page-view) beside the tables (on a narrow window below them, pinned to the bottom of the screen) with
 * the quote highlighted; while a value is edited or added, clicking a word on the page copies it into the
 * field. Back (or Escape) fires `close`; Escape closes an open page first.
 */
import { reviewText } from '../../core/contract/review-text.js';
import { describeDeidCounts } from '../../core/contract/deid-text.js';
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import {
  ApiError,
  correctResult,
  downloadResult,
  getResult,
  saveBlob,
  setReviewState,
  type Evidence,
  type ExtractionResult,
  type Field,
  type Job,
  type PatchOperation,
  type ResultFormat,
  type ValueReview,
} from './api.js';
import { addItem, edit, insertWord, progress, reviewOrder, setState, typedValue, unitAt, type Action, type ReviewValue, type SectionId } from './review.js';
import { nextJobToReview } from './api-queue.js';
import './mx-page-view.js';
import type { WordPick } from './mx-page-view.js';
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
  icd10_not_in_list: 'ICD-10 code not in the ICD-10-CM list',
  loinc_not_valid: 'not a valid LOINC code',
  deid_unresolved: 'holds a de-identification stand-in that could not be restored',
};

type Cell = string | number | null | undefined;
type ListId = keyof Pick<
  ExtractionResult,
  'diagnoses' | 'medications' | 'lab_results' | 'vitals' | 'procedures' | 'allergies' | 'immunizations' | 'claim_lines'
>;
type Item<K extends ListId> = ExtractionResult[K][number];
/** The properties of an item that a cell shows as they are. */
type CellKey<T> = { [P in keyof T]-?: T[P] extends Cell ? P : never }[keyof T] & string;
type ListItem = { evidence: Evidence; confidence: number; reasons?: ValueCheck[] | undefined; review?: ValueReview | undefined };
interface Column {
  label: string;
  key: string;
  /** A number where the document prints one: typed text is read as a number. */
  numeric: boolean;
  get: (item: ListItem) => Cell;
}
const NUMERIC_KEYS: ReadonlySet<string> = new Set(['value', 'units', 'charge']);
interface ListSpec {
  id: ListId;
  title: string;
  columns: Column[];
}

/** One list section; each column is [heading, the item's property it shows]. */
function listSpec<K extends ListId>(id: K, title: string, columns: Array<[label: string, key: CellKey<Item<K>>]>): ListSpec {
  return {
    id,
    title,
    columns: columns.map(([label, key]) => ({ label, key, numeric: NUMERIC_KEYS.has(key), get: (item) => (item as Item<K>)[key] as Cell })),
  };
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
    // Last, so that adding a missed row goes test, value, unit without passing a code people rarely type.
    ['LOINC (printed)', 'loinc'],
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

/** The keys of the review screen, for the `?` panel. */
const DOWNLOADS: ReadonlyArray<[ResultFormat, string]> = [
  ['xlsx', 'Workbook'],
  ['json', 'JSON'],
  ['fhir', 'FHIR'],
];

const KEYS: Array<[string, string]> = [
  ['J / K', 'next / previous value (flagged ones first)'],
  ['Enter', 'accept the value'],
  ['E', 'edit the value in place (Enter saves, Escape cancels; clicking a word on the page copies it in)'],
  ['X', 'reject the value (not in the document)'],
  ['A', 'add a missing item to this list, on the page shown (click its words on the page, or type them)'],
  ['Shift+Enter', 'accept every remaining unflagged value'],
  ['Ctrl+Z', 'undo your last change'],
  ['N', 'open the next document waiting for review (the one that has waited longest)'],
  ['?', 'show or hide these keys'],
  ['Escape', 'close the editor, the page, or the result'],
];

export class MxResult extends LitElement {
  static override properties = {
    job: { attribute: false },
    result: { state: true },
    error: { state: true },
    viewing: { state: true },
    current: { state: true },
    editing: { state: true },
    adding: { state: true },
    said: { state: true },
    showKeys: { state: true },
  };

  declare job: Job | null;
  declare result: ExtractionResult | null;
  declare error: string;
  /** The page shown beside the tables, and the quote to highlight on it. */
  declare viewing: { page: number; quote: string | null } | null;
  /** The value the keys act on (its path), and the one being edited. */
  declare current: string | null;
  declare editing: string | null;
  /** A missed item being added: to which list, on which page. */
  declare adding: { list: ListId; page: number } | null;
  /** The live region's words: what was saved, or why not. */
  declare said: string;
  declare showKeys: boolean;
  private loadedFor: string | null = null;
  /** Patches that undo this reviewer's changes, newest last. */
  private undoStack: PatchOperation[][] = [];
  private saving = false;
  /** The editor's input that had the focus last: where a word picked from the page goes. */
  private lastInput: HTMLInputElement | null = null;

  constructor() {
    super();
    this.job = null;
    this.result = null;
    this.error = '';
    this.viewing = null;
    this.current = null;
    this.editing = null;
    this.adding = null;
    this.said = '';
    this.showKeys = false;
  }

  static override styles = [
    panelStyles,
    buttonStyles,
    bannerStyles,
    tableStyles,
    css`
    .derived {
      color: #555;
      font-style: italic;
    }
    .downloads {
      display: flex;
      gap: 0.4rem;
      margin-left: auto;
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
    .deid {
      margin: 0.4rem 0 0;
      font-size: 0.88rem;
      color: var(--mx-muted, #475569);
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
      display: flex;
      flex-direction: column;
      gap: 1rem;
    }
    .tables {
      min-width: 0;
    }
    /* A narrow window: the fields first, the page pinned to the bottom of the screen below them (a flex
       column, not a grid, so that the sticky page can travel the whole height of the fields). */
    @media (max-width: 999px) {
      .layout.with-page mx-page-view {
        position: sticky;
        bottom: 0;
        z-index: 1;
        max-height: 55vh;
        overflow: auto;
        padding-top: 0.35rem;
        background: var(--mx-surface, #fff);
        border-top: 2px solid var(--mx-border, #94a3b8);
        box-shadow: 0 -4px 10px rgba(15, 23, 42, 0.12);
      }
      /* J/K scroll the current row into view above the pinned page, not behind it. */
      .layout.with-page tr {
        scroll-margin-bottom: calc(55vh + 1rem);
      }
    }
    @media (min-width: 1000px) {
      .layout.with-page {
        display: grid;
        grid-template-columns: minmax(0, 1fr) minmax(320px, 44%);
        align-items: start;
      }
      .layout.with-page mx-page-view {
        position: sticky;
        top: 0.5rem;
      }
    }
    button.page {
      padding: 0 0.4rem;
      font-size: 0.85rem;
      min-width: 2rem;
    }
    tr.current {
      outline: 2px solid var(--mx-accent, #1d4ed8);
      outline-offset: -2px;
    }
    tr.rejected td {
      text-decoration: line-through;
      color: var(--mx-muted, #475569);
    }
    .state {
      font-size: 0.78rem;
      white-space: nowrap;
    }
    .state.corrected,
    .state.added {
      color: #1e40af;
    }
    .state.accepted {
      color: #166534;
    }
    .reviewbar {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.5rem 0.75rem;
      margin: 0.25rem 0 0.5rem;
    }
    .approval {
      display: inline-flex;
      flex-wrap: wrap;
      gap: 0.5rem;
    }
    .said {
      min-height: 1.2em;
      margin: 0;
      font-size: 0.88rem;
    }
    .keys {
      margin: 0.25rem 0 0.75rem;
      padding: 0.5rem 0.75rem;
      border: 1px solid var(--mx-border, #cbd5e1);
      border-radius: 4px;
    }
    .keys dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 0.15rem 0.75rem;
      margin: 0;
    }
    .keys dt {
      font-weight: 600;
    }
    input.cell {
      width: 100%;
      min-width: 5rem;
      font: inherit;
    }
  `,
  ];

  private readonly onKey = (e: KeyboardEvent) => {
    const typing = e.composedPath().some((t) => t instanceof HTMLElement && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT'));
    if (e.key === 'Escape') {
      e.preventDefault();
      if (this.editing || this.adding) this.stopEditing();
      else if (this.showKeys) this.showKeys = false;
      else if (this.viewing) this.closePage();
      else this.close();
      return;
    }
    if (typing || e.altKey || e.metaKey || !this.result) return;
    const key = e.key.toLowerCase();
    if (e.ctrlKey) {
      if (key === 'z') {
        e.preventDefault();
        void this.undo();
      }
      return;
    }
    const act: Record<string, () => void> = {
      j: () => this.move(1),
      k: () => this.move(-1),
      e: () => this.startEditing(),
      x: () => this.decide('rejected'),
      a: () => this.startAdding(),
      n: () => void this.openNextToReview(),
      '?': () => (this.showKeys = !this.showKeys),
    };
    const origin = e.composedPath()[0];
    if (e.key === 'Enter' && !(origin instanceof HTMLButtonElement || origin instanceof HTMLAnchorElement)) {
      e.preventDefault();
      if (e.shiftKey) void this.acceptRemaining();
      else this.decide('accepted');
      return;
    }
    const run = act[e.key === '?' ? '?' : key];
    if (run) {
      e.preventDefault();
      run();
    }
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
      this.current = null;
      this.undoStack = [];
      if (id) void this.load(id);
    }
  }

  override updated(changed: Map<string, unknown>): void {
    // Another document opened in place (the next to review): start from its top, as when the view opened.
    if (changed.has('job') && changed.get('job')) this.renderRoot.querySelector<HTMLButtonElement>('button.back')?.focus();
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

  // ---------------------------------------------------------------------------------------------
  // Review

  private values(): ReviewValue[] {
    return this.result ? reviewOrder(this.result, (u, has) => flagsOf(u as unknown as ListItem, has).length > 0) : [];
  }

  private get frozen(): boolean {
    return this.result?.review_state === 'approved';
  }

  /** J/K: the next or previous value in review order; the page follows with the value's quote. */
  private move(step: 1 | -1): void {
    const values = this.values();
    if (values.length === 0) return;
    const at = values.findIndex((v) => v.path === this.current);
    const next = values[at < 0 ? (step === 1 ? 0 : values.length - 1) : Math.min(values.length - 1, Math.max(0, at + step))]!;
    this.focusValue(next);
  }

  private focusValue(v: ReviewValue): void {
    this.current = v.path;
    if (v.page) this.viewing = { page: v.page, quote: v.quote };
    void this.updateComplete.then(() => {
      const row = this.renderRoot.querySelector<HTMLElement>(`tr[data-path="${v.path}"]`);
      row?.scrollIntoView({ block: 'nearest' });
      row?.focus({ preventScroll: true });
    });
  }

  private currentValue(): ReviewValue | undefined {
    return this.values().find((v) => v.path === this.current);
  }

  private refuseWhenFrozen(): boolean {
    if (!this.frozen) return false;
    this.said = 'The result is approved: reopen it to make changes.';
    return true;
  }

  private decide(state: 'accepted' | 'rejected'): void {
    const v = this.currentValue();
    if (!v) {
      this.said = 'Press J to go to the first value.';
      return;
    }
    if (this.refuseWhenFrozen()) return;
    void this.save(setState([v], state, `${state === 'accepted' ? 'Accepted' : 'Rejected'} ${this.nameOf(v)}.`), () => this.move(1));
  }

  private async acceptRemaining(): Promise<void> {
    if (this.refuseWhenFrozen()) return;
    const rest = this.values().filter((v) => !v.flagged && v.state === 'unreviewed');
    if (rest.length === 0) {
      this.said = 'No unflagged value is left to accept.';
      return;
    }
    await this.save(setState(rest, 'accepted', `Accepted ${rest.length} unflagged value${rest.length === 1 ? '' : 's'}.`));
  }

  private startEditing(): void {
    if (!this.current || this.refuseWhenFrozen()) return;
    this.editing = this.current;
    const v = this.currentValue();
    if (!this.viewing && v?.page) this.viewing = { page: v.page, quote: v.quote };
    // the value itself first (a lab row's result, not its panel)
    void this.updateComplete.then(() =>
      (this.renderRoot.querySelector<HTMLInputElement>('input.cell[name="value"]') ?? this.renderRoot.querySelector<HTMLInputElement>('input.cell'))?.select(),
    );
  }

  private startAdding(): void {
    if (this.refuseWhenFrozen()) return;
    const v = this.currentValue();
    const list = (v && LISTS.some((l) => l.id === v.group) ? v.group : 'lab_results') as ListId;
    const page = this.viewing?.page ?? v?.page ?? 1;
    this.adding = { list, page };
    // the page is where the missed item's words are picked from
    if (!this.viewing) this.viewing = { page, quote: null };
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>('tr.adding input.cell')?.focus());
  }

  private stopEditing(): void {
    const path = this.editing;
    this.editing = null;
    this.adding = null;
    this.lastInput = null;
    if (path) void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`tr[data-path="${path}"]`)?.focus());
  }

  /** Enter in the editor: the typed cells become a correction of the value's changed parts. */
  private saveEdit(row: HTMLElement): void {
    const path = this.editing;
    if (!path || !this.result) return;
    const unit = unitAt(this.result, path);
    if (!unit) return;
    const changes: Record<string, unknown> = {};
    for (const input of row.querySelectorAll<HTMLInputElement>('input.cell')) changes[input.name] = typedValue(input.value, unit[input.name]);
    const v = this.currentValue();
    const action = edit(path, unit, changes, `Corrected ${v ? this.nameOf(v) : 'the value'}.`);
    this.editing = null;
    if (!action) {
      this.said = 'Nothing changed.';
      return;
    }
    void this.save(action);
  }

  private saveAdd(row: HTMLElement): void {
    if (!this.adding || !this.result) return;
    const { list, page } = this.adding;
    const spec = LISTS.find((l) => l.id === list)!;
    const item: Record<string, unknown> = {};
    let quote = '';
    for (const input of row.querySelectorAll<HTMLInputElement>('input.cell')) {
      if (input.name === 'quote') quote = input.value.trim();
      else item[input.name] = typedValue(input.value, spec.columns.find((c) => c.key === input.name)?.numeric ? 0 : null);
    }
    const index = this.result[list].length;
    this.adding = null;
    void this.save(addItem(list, index, item, page, quote, `Added an item to ${spec.title.toLowerCase()} on page ${page}.`), () => {
      const added = this.values().find((v) => v.path === `/${list}/${index}`);
      if (added) this.focusValue(added);
    });
  }

  /**
   * A word clicked on the page while editing: into the editor's input that has (or last had) the focus, at
   * its caret. The page view keeps the focus in the input (a word takes no focus on mousedown). An item
   * being added is on the page its words come from.
   */
  private readonly onWordPick = (e: CustomEvent<WordPick>) => {
    if (!this.editing && !this.adding) return;
    const active = this.renderRoot instanceof ShadowRoot ? this.renderRoot.activeElement : null;
    const input = active instanceof HTMLInputElement && active.classList.contains('cell') ? active : this.lastInput?.isConnected ? this.lastInput : null;
    if (!input) return;
    const { text, caret } = insertWord(input.value, input.selectionStart ?? input.value.length, input.selectionEnd ?? input.value.length, e.detail.text);
    input.value = text;
    input.focus();
    input.setSelectionRange(caret, caret);
    if (this.adding && this.adding.page !== e.detail.page) this.adding = { ...this.adding, page: e.detail.page };
  };

  private readonly rememberInput = (e: FocusEvent) => {
    if (e.target instanceof HTMLInputElement && e.target.classList.contains('cell')) this.lastInput = e.target;
  };

  private async undo(): Promise<void> {
    const ops = this.undoStack.at(-1);
    if (!ops) {
      this.said = 'Nothing to undo.';
      return;
    }
    if (this.refuseWhenFrozen()) return;
    if (await this.send(ops, 'Undone.')) this.undoStack.pop();
  }

  private async save(action: Action, then?: () => void): Promise<void> {
    if (await this.send(action.ops, action.said)) {
      this.undoStack.push(action.undo);
      then?.();
    }
  }

  /** One correction to the server, against the version on screen. A stale version reloads and says so. */
  private async send(ops: PatchOperation[], said: string): Promise<boolean> {
    const r = this.result;
    const id = this.job?.id;
    if (!r || !id || this.saving) return false;
    this.saving = true;
    try {
      this.result = await correctResult(id, r.version, ops);
      this.said = `${said} Saved as version ${this.result.version}.`;
      return true;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 412 || err.code === 'VersionConflict')) {
        this.result = await getResult(id);
        this.said = 'Someone else changed this result meanwhile: it is reloaded; make your change again.';
      } else {
        this.said = `Not saved: ${err instanceof ApiError ? `${err.message} (${err.code})` : 'unexpected error'}`;
      }
      return false;
    } finally {
      this.saving = false;
    }
  }

  private async setApproval(state: 'approved' | 'in_review'): Promise<void> {
    const id = this.job?.id;
    const r = this.result;
    if (!id || !r) return;
    try {
      await setReviewState(id, state, r.version);
      this.result = await getResult(id);
      this.said = state === 'approved' ? `Approved version ${r.version}. N opens the next document to review.` : 'Reopened for review.';
      if (state === 'approved') {
        await this.updateComplete;
        this.renderRoot.querySelector<HTMLButtonElement>('button.next-review')?.focus();
      }
    } catch (err) {
      this.said = `Not saved: ${err instanceof ApiError ? `${err.message} (${err.code})` : 'unexpected error'}`;
    }
  }

  /** The current version's workbook, JSON or FHIR Bundle, as a download. */
  private async download(format: ResultFormat): Promise<void> {
    const job = this.job;
    if (!job) return;
    try {
      const { blob, name } = await downloadResult(job, format);
      saveBlob(blob, name);
    } catch (err) {
      this.said = `The download failed: ${err instanceof ApiError ? `${err.message} (${err.code})` : 'unexpected error'}`;
    }
  }

  /** Opens the job that has waited longest for review (not this one), or says that none is left. */
  private async openNextToReview(): Promise<void> {
    try {
      const next = await nextJobToReview();
      if (next && next.id !== this.job?.id) {
        this.dispatchEvent(new CustomEvent<Job>('view-result', { detail: next, bubbles: true, composed: true }));
      } else {
        this.said = 'No other document is waiting for review.';
      }
    } catch (err) {
      this.said = `The next document could not be found: ${err instanceof ApiError ? `${err.message} (${err.code})` : 'unexpected error'}`;
    }
  }

  /** A value's name for the live region: its field label or its list's first column. */
  private nameOf(v: ReviewValue): string {
    const unit = this.result ? unitAt(this.result, v.path) : undefined;
    const spec = LISTS.find((l) => l.id === v.group);
    if (spec && unit) return `${spec.title.toLowerCase()} row "${text(spec.columns.find((c) => !c.numeric)?.get(unit as unknown as ListItem) ?? '')}"`;
    return v.path.split('/').at(-1)!.replace(/_/g, ' ');
  }

  private reviewBar(r: ExtractionResult) {
    const { reviewed, total } = progress(this.values());
    return html`<div class="reviewbar">
        <span data-progress>${reviewed} of ${total} reviewed</span>
        <span class="meta">version ${r.version} · ${r.review_state.replace('_', ' ')}${r.approved_by ? ` by ${r.approved_by}` : ''}</span>
        <span class="approval">
          ${
            this.frozen
              ? html`<button type="button" class="reopen" @click=${() => this.setApproval('in_review')}>Reopen</button>
                  <button type="button" class="next-review primary" @click=${() => this.openNextToReview()}>Next document to review (N)</button>`
              : html`<button type="button" class="approve primary" @click=${() => this.setApproval('approved')}>Approve</button>`
          }
        </span>
        <button type="button" class="keys-button" aria-expanded=${String(this.showKeys)} @click=${() => (this.showKeys = !this.showKeys)}>Keys (?)</button>
      </div>
      ${
        this.showKeys
          ? html`<section class="keys" aria-label="keyboard keys">
            <dl>${KEYS.map(([k, what]) => html`<dt>${k}</dt><dd>${what}</dd>`)}</dl>
          </section>`
          : nothing
      }
      <p class="said" role="status" aria-live="polite">${this.said}</p>`;
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
        <span class="downloads" role="group" aria-label="download this result (current version)">
          ${DOWNLOADS.map(([format, label]) => html`<button type="button" @click=${() => this.download(format)} aria-label="download the ${label}">${label}</button>`)}
        </span>
      </div>
      ${this.error ? html`<p class="banner" role="alert">${this.error}</p>` : nothing}
      ${!r && !this.error ? html`<p class="empty" role="status">Loading the result…</p>` : nothing}
      ${
        r
          ? html`${this.summary(r)}
            <div class="layout ${this.viewing ? 'with-page' : ''}">
              <div class="tables" @focusin=${this.rememberInput}>${this.body(r)}</div>
              ${
                this.viewing && this.job
                  ? html`<mx-page-view
                      .jobId=${this.job.id}
                      .page=${this.viewing.page}
                      .quote=${this.viewing.quote}
                      .pickWords=${this.editing !== null || this.adding !== null}
                      @word-pick=${this.onWordPick}
                      @close=${this.closePage}
                    ></mx-page-view>`
                  : nothing
              }
            </div>`
          : nothing
      }
    </section>`;
  }

  /** What the result is, its warnings, and the review's progress and approval: above the fields and the page. */
  private summary(r: ExtractionResult) {
    const ocr = r.page_sources?.filter((p) => p.source === 'ocr').length ?? 0;
    return html`<p class="meta">
        ${r.page_count} page${r.page_count === 1 ? '' : 's'}${ocr ? ` (${ocr} read by OCR)` : ''} · extracted by ${r.provider}${r.model ? ` (${r.model})` : ''}
        ${r.extracted_at ? html` · ${new Date(r.extracted_at).toLocaleString()}` : nothing} · each value is checked against its own quote; the Check column says
        why a value needs a second look
      </p>
      ${
        r.deidentification
          ? html`<p class="deid" data-testid="deidentified">
            Sent to the LLM de-identified: ${describeDeidCounts(r.deidentification.counts)} replaced by stand-ins
            (${r.deidentification.dates === 'shift' ? 'dates moved by a hidden offset' : 'dates replaced'}); names, date of birth, MRN and insurance numbers were read
            locally and never sent.
          </p>`
          : r.provider === 'openai'
            ? html`<p class="deid" data-testid="not-deidentified">Sent to the LLM as it is, not de-identified (DEID is off, or the endpoint is on this machine or its private network).</p>`
            : nothing
      }
      ${this.review(r)} ${this.reviewBar(r)}`;
  }

  private body(r: ExtractionResult) {
    return html`${this.fields(
      'patient',
      'Patient',
      PATIENT.map(([k, label]) => [label, r.patient[k], k] as const),
    )}
      ${this.fields(
        'document',
        'Document',
        DOCUMENT.map(([k, label]) => [label, r.document[k], k] as const),
      )}
      ${this.fieldsIfAny(
        'encounter',
        'Encounter',
        ENCOUNTER.map(([k, label]) => [label, r.encounter[k], k] as const),
      )}
      ${this.fieldsIfAny(
        'insurance',
        'Insurance',
        INSURANCE.map(([k, label]) => [label, r.insurance[k], k] as const),
      )}
      ${this.fieldsIfAny(
        'claim_totals',
        'Claim totals',
        CLAIM_TOTALS.map(([k, label]) => [label, r.claim_totals[k], k] as const),
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
  private fieldsIfAny(id: SectionId, title: string, rows: ReadonlyArray<readonly [string, Field<string | number>, string]>) {
    return rows.some(([, f]) => f.value !== null && f.value !== '') ? this.fields(id, title, rows) : nothing;
  }

  private rowClass(path: string, flags: string[], review: ValueReview | undefined): string {
    return [flags.length ? 'flagged' : '', path === this.current ? 'current' : '', review?.state === 'rejected' ? 'rejected' : ''].filter(Boolean).join(' ');
  }

  private reviewCell(review: ValueReview | undefined, unit: object) {
    const words = reviewText(review, unit);
    return html`<td data-col="review"><span class="state ${review?.state ?? 'unreviewed'}">${words || '–'}</span></td>`;
  }

  /** A cell as shown, or as an input while its value is being edited (the input's name is the part it corrects). */
  /**
   * What MedExtract read into an empty lab cell, marked as not printed: a flag computed from value and range,
   * a LOINC code mapped from the test's name (with how sure the mapping is). Null: show the cell as printed.
   */
  private derived(list: string, index: number, key: string, value: Cell, path: string) {
    const s = list === 'lab_results' && this.editing !== path && (value === null || value === '') ? this.result?.lab_semantics[index] : undefined;
    if (!s) return null;
    if (key === 'flag' && s.flag_computed && s.flag)
      return html`<span class="derived" title="computed from the value and the reference range: the document prints no flag">${s.flag} (computed)</span>`;
    if (key === 'loinc' && s.loinc_source === 'mapped')
      return html`<span class="derived" title="${s.loinc_display ?? ''}: mapped from the test name with confidence ${s.loinc_confidence?.toFixed(2)}, not printed">${s.loinc} (mapped)</span>`;
    return null;
  }

  private cell(path: string, key: string, value: Cell, label: string) {
    if (this.editing !== path) return text(value);
    return html`<input class="cell" name=${key} aria-label=${label} .value=${value === null || value === undefined ? '' : String(value)} @keydown=${this.editorKey} />`;
  }

  private readonly editorKey = (e: KeyboardEvent) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    e.stopPropagation();
    const row = (e.target as HTMLElement).closest('tr');
    if (!row) return;
    if (row.classList.contains('adding')) this.saveAdd(row);
    else this.saveEdit(row);
  };

  private fields(id: SectionId, title: string, rows: ReadonlyArray<readonly [string, Field<string | number>, string]>) {
    const present = rows.filter(([, f]) => f.value !== null && f.value !== '');
    return this.section({
      id,
      heading: title,
      emptyText: present.length === 0 ? 'Nothing extracted for this section.' : null,
      columns: ['Field', 'Value'],
      rows: rows.map(([label, f, key]) => {
        const has = f.value !== null && f.value !== '';
        const flags = flagsOf(f, has);
        const path = `/${id}/${key}`;
        return html`<tr class=${this.rowClass(path, flags, f.review)} data-field=${label} data-path=${path} tabindex="-1" @click=${() => (this.current = path)}>
          <th scope="row">${label}</th>
          <td data-col="value">${this.cell(path, 'value', f.value, label)}</td>
          ${this.evidenceCells(f.evidence, flags, has ? f.confidence : null)} ${this.reviewCell(f.review, f)}
        </tr>`;
      }),
    });
  }

  private list(spec: ListSpec, items: readonly ListItem[]) {
    const adding = this.adding?.list === spec.id ? this.adding : null;
    const rows = items.map((it, i) => {
      const flags = flagsOf(it);
      const path = `/${spec.id}/${i}`;
      return html`<tr class=${this.rowClass(path, flags, it.review)} data-path=${path} tabindex="-1" @click=${() => (this.current = path)}>
        ${spec.columns.map((c) => html`<td data-col=${c.key}>${this.derived(spec.id, i, c.key, c.get(it), path) ?? this.cell(path, c.key, c.get(it), c.label)}</td>`)}
        ${this.evidenceCells(it.evidence, flags, it.confidence)} ${this.reviewCell(it.review, it)}
      </tr>`;
    });
    if (adding) {
      rows.push(html`<tr class="adding current">
        ${spec.columns.map(
          (c, i) =>
            html`<td data-col=${c.key}><input class="cell" name=${c.key} aria-label="new ${c.label.toLowerCase()}${i === 0 ? ` (page ${adding.page})` : ''}" @keydown=${this.editorKey} /></td>`,
        )}
        <td data-col="page">${adding.page}</td>
        <td class="quote" data-col="quote"><input class="cell" name="quote" aria-label="quote from page ${adding.page}" @keydown=${this.editorKey} /></td>
        <td data-col="check"></td>
        <td data-col="review"><span class="state added">new (Enter saves)</span></td>
      </tr>`);
    }
    return this.section({
      id: spec.id,
      heading: html`${spec.title} <span class="meta">(${items.length})</span>`,
      emptyText: items.length === 0 && !adding ? `No ${spec.title.toLowerCase()} found in this document.` : null,
      columns: spec.columns.map((c) => c.label),
      rows,
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
                  ${[...s.columns, 'Page', 'Quote', 'Check', 'Review'].map((label) => html`<th scope="col">${label}</th>`)}
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
