/**
 * The work queue: the user's jobs, a page of 100 at a time (newest or oldest first; "Older"/"Newer" walk the
 * pages with the server's cursor), searched by file or patient name (debounced), filtered by status, review
 * state, "waits for review", creation dates and (admins and reviewers) owner; "Review next" opens the job that
 * has waited longest for review. The page shown is refreshed every second while any runs and every 5 s otherwise (optionally only those of one status, through
 * `GET /jobs?status=`, or only those needing review, through `?needsReview=true`): file, the owner (admins see
 * everyone's jobs), stage, pages done of total, elapsed time, status — "completed · needs review" with the
 * warnings in plain words when a person should look first — the error in words with its code, downloads
 * (workbook, JSON), cancel for running jobs and delete (with a second click to confirm) for finished ones. "View" on a completed job fires `view-result`
 * (detail: the job). Completed jobs can be ticked and downloaded together as one combined workbook.
 */
import { LitElement, html } from 'lit';
import { jobsStyles } from './mx-jobs-styles.js';
import { needsPassword } from './mx-job-password.js';
import { PollingController } from './polling.js';
import { bannerStyles, buttonStyles, cardTableStyles, panelStyles, tableStyles } from './shared-styles.js';
import {
  ApiError,
  currentUser,
  workflowUrl,
  cancelJob,
  deleteJob,
  downloadCombined,
  downloadResult,
  listUsers,
  saveBlob,
  type AdminUser,
  type Job,
  type JobWarning,
  type ResultFormat,
} from './api.js';
import { listJobs, nextJobToReview, type JobListFilters, type JobSort } from './api-queue.js';

/** Refresh often while something runs (the progress bars move), rarely when every job has finished. */
const POLL_RUNNING_MS = 1_000;
const POLL_IDLE_MS = 5_000;
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const STAGE: Record<string, string> = { prepare: 'prepare', ocr: 'OCR', extract: 'extract', export: 'export' };
/** The filter's choices; "running" is queued or processing (the API filters one status at a time). */
const FILTERS = ['all', 'running', 'completed', 'needs review', 'failed', 'cancelled'] as const;
export type JobFilter = (typeof FILTERS)[number];
const REVIEW_STATES = ['any', 'unreviewed', 'in_review', 'approved'] as const;
type ReviewStateChoice = (typeof REVIEW_STATES)[number];
const REVIEW_STATE_LABEL: Record<ReviewStateChoice, string> = { any: 'any', unreviewed: 'unreviewed', in_review: 'in review', approved: 'approved' };
/** Typing in the search box waits this long for a pause before asking the server. */
const SEARCH_DEBOUNCE_MS = 300;
export const NOTHING_TO_REVIEW = 'No document is waiting for review';

/** The filter's status choice as the API's query. */
function statusQuery(filter: JobFilter): Pick<JobListFilters, 'status' | 'needsReview'> {
  if (filter === 'all') return {};
  if (filter === 'running') return { status: 'queued,processing' };
  if (filter === 'needs review') return { status: 'completed', needsReview: 'true' };
  return { status: filter };
}

/** A warning as the list shows it: the server's plain words, which already name the page when there is one. */
export function warningText(w: JobWarning): string {
  return w.message.charAt(0).toUpperCase() + w.message.slice(1) + (/[.!?]$/.test(w.message) ? '' : '.');
}

/** Elapsed time in words: "45 s", "3 min 07 s", "1 h 02 min". */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** createdAt → finishedAt, or → now while the job runs. */
export function elapsedOf(j: Job, now = Date.now()): number {
  const start = Date.parse(j.createdAt);
  const end = j.finishedAt ? Date.parse(j.finishedAt) : now;
  return Number.isFinite(start) && Number.isFinite(end) ? end - start : 0;
}

export class MxJobs extends LitElement {
  static override properties = {
    jobs: { state: true },
    loaded: { state: true },
    error: { state: true },
    message: { state: true },
    confirming: { state: true },
    filter: { state: true },
    selected: { state: true },
    search: { state: true },
    reviewState: { state: true },
    awaiting: { state: true },
    from: { state: true },
    to: { state: true },
    owner: { state: true },
    sort: { state: true },
    cursors: { state: true },
    nextCursor: { state: true },
    users: { state: true },
  };

  declare jobs: Job[];
  declare loaded: boolean;
  declare error: string;
  declare message: string;
  declare confirming: string | null;
  declare filter: JobFilter;
  /** Ids of the completed jobs ticked for a combined workbook. */
  declare selected: ReadonlySet<string>;
  /** The search text as sent (the box's text after the debounce pause). */
  declare search: string;
  declare reviewState: ReviewStateChoice;
  /** Only the jobs that wait for a person's approval. */
  declare awaiting: boolean;
  declare from: string;
  declare to: string;
  /** A user id (admins and reviewers); empty: everyone's. */
  declare owner: string;
  declare sort: JobSort;
  /** The cursor of each page reached so far (the first page has none); the last one is the page shown. */
  declare cursors: ReadonlyArray<string | undefined>;
  /** The page after the one shown, if there is one. */
  declare nextCursor: string | null;
  /** Administrators: the accounts, for the owner filter. */
  declare users: AdminUser[];
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly polling = new PollingController(
    this,
    () => this.load(),
    () => (this.jobs.some((j) => !FINISHED.has(j.status)) ? POLL_RUNNING_MS : POLL_IDLE_MS),
  );

  constructor() {
    super();
    this.jobs = [];
    this.loaded = false;
    this.error = '';
    this.message = '';
    this.confirming = null;
    this.filter = 'all';
    this.selected = new Set();
    this.search = '';
    this.reviewState = 'any';
    this.awaiting = false;
    this.from = '';
    this.to = '';
    this.owner = '';
    this.sort = 'newest';
    this.cursors = [undefined];
    this.nextCursor = null;
    this.users = [];
  }

  /** The accounts for an administrator's owner filter, asked for once the session has proved good (the first list). */
  private loadOwners(): void {
    if (currentUser()?.role !== 'admin' || this.loaded) return;
    listUsers().then(
      (users) => (this.users = users),
      () => (this.users = []), // the owner filter falls back to a user id field
    );
  }

  override disconnectedCallback(): void {
    clearTimeout(this.searchTimer);
    super.disconnectedCallback();
  }

  /** What the list asks the server for, besides the page. */
  private filters(): JobListFilters {
    return {
      ...statusQuery(this.filter),
      ...(this.reviewState === 'any' ? {} : { reviewState: this.reviewState }),
      ...(this.awaiting ? { awaitingReview: 'true' as const } : {}),
      q: this.search,
      from: this.from,
      to: this.to,
      owner: this.owner,
      sort: this.sort,
    };
  }

  private get pageCursor(): string | undefined {
    return this.cursors[this.cursors.length - 1];
  }

  private get filtered(): boolean {
    return (
      this.filter !== 'all' || this.reviewState !== 'any' || this.awaiting || this.search !== '' || this.from !== '' || this.to !== '' || this.owner !== ''
    );
  }

  static override styles = [panelStyles, buttonStyles, bannerStyles, tableStyles, cardTableStyles(640), jobsStyles];

  /** Loads the list now (joining a load in progress) and schedules the next one. */
  refresh(): Promise<void> {
    return this.polling.refresh();
  }

  private async load(): Promise<void> {
    // The page shown is reloaded as it is (its own cursor): page 1 picks up new uploads, a later page
    // keeps its place while the person reads it.
    const filters = this.filters();
    const cursor = this.pageCursor;
    const asked = JSON.stringify([filters, cursor]);
    try {
      const list = await listJobs(filters, cursor);
      if (asked !== JSON.stringify([this.filters(), this.pageCursor])) return; // the query changed meanwhile; the next load follows
      const jobs = list.jobs;
      this.jobs = jobs;
      this.nextCursor = list.nextCursor;
      // A ticked job that is gone (deleted, filtered out) is no longer part of the selection.
      const completed = new Set(jobs.filter((j) => j.status === 'completed').map((j) => j.id));
      if ([...this.selected].some((id) => !completed.has(id))) this.selected = new Set([...this.selected].filter((id) => completed.has(id)));
      this.loadOwners();
      this.loaded = true;
      this.error = '';
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.polling.stop();
        return;
      }
      this.error = err instanceof ApiError ? `the job list could not be loaded: ${err.message}` : 'the job list could not be loaded';
    }
  }

  override render() {
    const seesAll = ['admin', 'reviewer'].includes(currentUser()?.role ?? ''); // they see every user's jobs
    return html`
      <section aria-labelledby="jobs-title">
        <div class="head">
          <h2 id="jobs-title">Your jobs</h2>
          <div class="tools">
          ${
            this.selected.size
              ? html`<button type="button" class="combined" @click=${() => this.downloadSelected('xlsx')} aria-label="download the ${this.selected.size} selected jobs as one workbook">
                  Combined workbook (${this.selected.size})
                </button>
                <button type="button" class="combined-fhir" @click=${() => this.downloadSelected('fhir')} aria-label="download the ${this.selected.size} selected jobs as FHIR, one Bundle per document">
                  Combined FHIR (${this.selected.size})
                </button>`
              : null
          }
          <button type="button" class="review-next" @click=${this.reviewNext}>Review next</button>
          <label class="filter"
            >Show
            <select @change=${this.onFilter} .value=${this.filter} aria-label="show jobs with status">
              ${FILTERS.map((f) => html`<option value=${f} ?selected=${f === this.filter}>${f}</option>`)}
            </select>
          </label>
          </div>
        </div>
        ${this.queueFilters(seesAll)}
        ${this.error ? html`<p class="banner" role="alert">${this.error}</p>` : null}
        ${this.message ? html`<p class="banner" role="status">${this.message}</p>` : null}
        ${
          !this.loaded
            ? html`<p class="empty">Loading…</p>`
            : this.jobs.length === 0
              ? html`<p class="empty">${this.cursors.length > 1 ? 'No more jobs.' : this.filtered ? this.emptyText() : 'No jobs yet: upload a PDF above.'}</p>${this.pager()}`
              : html`<div class="scroll">
                <table class="cards">
                  <thead>
                    <tr>
                      <th scope="col"><span class="sr-only">Select</span></th>
                      <th scope="col">File</th>
                      ${seesAll ? html`<th scope="col">Owner</th>` : null}
                      <th scope="col">Stage</th>
                      <th scope="col">Pages</th>
                      <th scope="col">Elapsed</th>
                      <th scope="col">Status</th>
                      <th scope="col">Actions</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${this.jobs.map((j) => this.row(j, seesAll))}
                  </tbody>
                </table>
              </div>
              ${this.pager()}`
        }
      </section>
    `;
  }

  private row(j: Job, seesAll: boolean) {
    const { pagesDone, pagesTotal } = j.progress;
    const finished = FINISHED.has(j.status);
    const progress =
      pagesTotal && pagesTotal > 0
        ? html`<progress max=${pagesTotal} .value=${Math.min(pagesDone, pagesTotal)} aria-label="pages done of ${j.filename}"></progress>
            <span>${pagesDone} / ${pagesTotal}</span>`
        : j.status === 'completed'
          ? html`<span>${pagesDone}</span>`
          : finished
            ? html`<span>–</span>`
            : html`<progress aria-label="pages done of ${j.filename}"></progress>`;
    const review = j.status === 'completed' && j.needsReview;
    return html`<tr data-job=${j.id} data-status=${j.status} ?data-needs-review=${review}>
      <td class="pick">
        ${
          j.status === 'completed'
            ? html`<input type="checkbox" .checked=${this.selected.has(j.id)} @change=${(e: Event) => this.pick(j, (e.target as HTMLInputElement).checked)} aria-label="select ${j.filename}" />`
            : null
        }
      </td>
      <td class="file" data-label="File">${j.filename}</td>
      ${seesAll ? html`<td class="owner" data-label="Owner">${j.ownerName ?? j.owner}</td>` : null}
      <td data-label="Stage">${finished ? '–' : ((j.stage && STAGE[j.stage]) ?? 'waiting')}</td>
      <td data-label="Pages">${progress}</td>
      <td data-label="Elapsed" class="elapsed">
        <time datetime=${`PT${Math.round(elapsedOf(j) / 1000)}S`}>${formatElapsed(elapsedOf(j))}</time>
      </td>
      <td data-label="Status">
        ${review ? this.needsReview(j) : html`<span class="status ${j.status}">${j.status}</span>`}
        ${j.error ? html`<span class="err">${j.error.message} (${j.error.code})</span>` : null}
      </td>
      <td data-label="Actions">
        <div class="actions">
          ${
            j.status === 'completed'
              ? html`<button type="button" class="view" data-view=${j.id} @click=${() => this.view(j)} aria-label="view the result of ${j.filename}">View</button>
                <button type="button" @click=${() => this.download(j, 'xlsx')} aria-label="download the workbook of ${j.filename}">Workbook</button>
                <button type="button" @click=${() => this.download(j, 'json')} aria-label="download the JSON of ${j.filename}">JSON</button>
                <button type="button" @click=${() => this.download(j, 'fhir')} aria-label="download the FHIR Bundle of ${j.filename}">FHIR</button>`
              : null
          }
          ${
            finished
              ? html`<button type="button" class="danger" @click=${() => this.deleteRow(j)} aria-label="${this.confirming === j.id ? 'confirm deleting' : 'delete'} ${j.filename}">
                ${this.confirming === j.id ? 'Confirm delete' : 'Delete'}
              </button>`
              : html`<button type="button" class="danger" @click=${() => this.cancel(j)} aria-label="cancel ${j.filename}">Cancel</button>`
          }
          ${needsPassword(j) ? html`<mx-job-password .job=${j} @job-restarted=${this.onRestarted}></mx-job-password>` : null}
          ${this.workflowLink(j)}
        </div>
      </td>
    </tr>`;
  }

  private emptyText(): string {
    const other = this.reviewState !== 'any' || this.awaiting || this.search !== '' || this.from !== '' || this.to !== '' || this.owner !== '';
    if (other) return 'No job matches these filters.';
    return this.filter === 'needs review' ? 'No job needs review.' : `No ${this.filter} jobs.`;
  }

  /** Search, review state, "waits for review", dates, owner (admins and reviewers) and sort. */
  private queueFilters(seesAll: boolean) {
    return html`<form class="queue" role="search" aria-label="search and filter jobs" @submit=${(e: Event) => e.preventDefault()}>
      <label class="search"
        >Search
        <input type="search" name="q" placeholder="file or patient name" maxlength="200" @input=${this.onSearchInput} aria-label="search jobs by file or patient name" />
      </label>
      <label
        >Review
        <select name="reviewState" aria-label="review state" @change=${(e: Event) => this.change(() => (this.reviewState = (e.target as HTMLSelectElement).value as ReviewStateChoice))}>
          ${REVIEW_STATES.map((r) => html`<option value=${r} ?selected=${r === this.reviewState}>${REVIEW_STATE_LABEL[r]}</option>`)}
        </select>
      </label>
      <label class="check"
        ><input type="checkbox" name="awaiting" .checked=${this.awaiting} @change=${(e: Event) => this.change(() => (this.awaiting = (e.target as HTMLInputElement).checked))} />
        Waits for review</label
      >
      <label
        >From
        <input type="date" name="from" .value=${this.from} aria-label="created from" @change=${(e: Event) => this.change(() => (this.from = (e.target as HTMLInputElement).value))} />
      </label>
      <label
        >To
        <input type="date" name="to" .value=${this.to} aria-label="created to" @change=${(e: Event) => this.change(() => (this.to = (e.target as HTMLInputElement).value))} />
      </label>
      ${seesAll ? this.ownerFilter() : null}
      <label
        >Sort
        <select name="sort" aria-label="sort jobs" @change=${(e: Event) => this.change(() => (this.sort = (e.target as HTMLSelectElement).value as JobSort))}>
          <option value="newest" ?selected=${this.sort === 'newest'}>newest first</option>
          <option value="oldest" ?selected=${this.sort === 'oldest'}>oldest first</option>
        </select>
      </label>
    </form>`;
  }

  /** Administrators pick from the accounts (GET /users is theirs only); reviewers type a user id. */
  private ownerFilter() {
    const set = (e: Event) => this.change(() => (this.owner = (e.target as HTMLInputElement | HTMLSelectElement).value.trim()));
    if (currentUser()?.role === 'admin' && this.users.length > 0) {
      return html`<label
        >Owner
        <select name="owner" aria-label="owner" @change=${set}>
          <option value="" ?selected=${this.owner === ''}>everyone</option>
          ${this.users.map((u) => html`<option value=${u.id} ?selected=${u.id === this.owner}>${u.username}</option>`)}
        </select>
      </label>`;
    }
    return html`<label
      >Owner
      <input type="text" name="owner" placeholder="user id" aria-label="owner (user id)" .value=${this.owner} @change=${set} />
    </label>`;
  }

  /** "Newer"/"Older" (in the direction of the sort) and where the page is. */
  private pager() {
    const page = this.cursors.length;
    if (page === 1 && !this.nextCursor) return null;
    const [back, forward] = this.sort === 'newest' ? ['Newer', 'Older'] : ['Older', 'Newer'];
    return html`<nav class="pager" aria-label="pages of jobs">
      <button type="button" ?disabled=${page === 1} @click=${this.previousPage}>${back}</button>
      <span aria-live="polite">page ${page}</span>
      <button type="button" ?disabled=${!this.nextCursor} @click=${this.nextPage}>${forward}</button>
    </nav>`;
  }

  private readonly nextPage = (): void => {
    if (!this.nextCursor) return;
    const next = this.nextCursor;
    this.go(() => (this.cursors = [...this.cursors, next]));
  };

  private readonly previousPage = (): void => {
    if (this.cursors.length > 1) this.go(() => (this.cursors = this.cursors.slice(0, -1)));
  };

  /** A change of the query: back to the first page. */
  private change(apply: () => void): void {
    this.go(() => {
      apply();
      this.cursors = [undefined];
    });
  }

  /** Applies a change of what is shown and loads it at once (a load in flight with the old query is dropped). */
  private go(apply: () => void): void {
    apply();
    this.loaded = false;
    this.jobs = [];
    this.nextCursor = null;
    void this.refresh().then(() => {
      // a load already in flight used the old query: load again with the new one
      if (!this.loaded) void this.refresh();
    });
  }

  private readonly onSearchInput = (e: Event): void => {
    const text = (e.target as HTMLInputElement).value.trim();
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => {
      if (text !== this.search) this.change(() => (this.search = text));
    }, SEARCH_DEBOUNCE_MS);
  };

  /** Opens the result of the job that has waited longest for review, or says that none waits. */
  private readonly reviewNext = (): Promise<void> =>
    this.act('finding the next document to review', async () => {
      const job = await nextJobToReview();
      if (job) this.view(job);
      else this.message = NOTHING_TO_REVIEW;
    });

  /** Why a completed job wants a person's look: its warnings in plain words, behind a disclosure. */
  private needsReview(j: Job) {
    const id = `review-${j.id}`;
    return html`<span class="status review" aria-describedby=${id}>completed · needs review</span>
      <details class="warnings" id=${id}>
        <summary>${j.warnings.length === 0 ? 'why' : j.warnings.length === 1 ? '1 warning' : `${j.warnings.length} warnings`}</summary>
        ${
          j.warnings.length === 0
            ? html`<p>Some values are flagged: open View to check them before trusting the result.</p>`
            : html`<ul>
              ${j.warnings.map((w) => html`<li data-code=${w.code}>${warningText(w)}</li>`)}
            </ul>`
        }
      </details>`;
  }

  /** Admins only, when the server announced the Temporal Web UI: the job's workflow there. */
  private workflowLink(j: Job) {
    if (currentUser()?.role !== 'admin') return null;
    const href = workflowUrl(j.id);
    return href
      ? html`<a class="workflow" href=${href} target="_blank" rel="noopener noreferrer" aria-label="workflow of ${j.filename} in the Temporal Web UI">Workflow</a>`
      : null;
  }

  private onFilter(e: Event): void {
    this.change(() => (this.filter = (e.target as HTMLSelectElement).value as JobFilter));
  }

  /** A job restarted with its password: show it as the API now has it, and follow it from the next load. */
  private readonly onRestarted = (e: CustomEvent<Job>): void => {
    const restarted = e.detail;
    this.jobs = this.jobs.map((j) => (j.id === restarted.id ? restarted : j));
    void this.refresh();
  };

  private view(j: Job): void {
    this.dispatchEvent(new CustomEvent<Job>('view-result', { detail: j, bubbles: true, composed: true }));
  }

  /** Puts the keyboard focus back on a job's View button (after the result view closes). */
  focusView(id: string): void {
    this.renderRoot.querySelector<HTMLButtonElement>(`button[data-view="${CSS.escape(id)}"]`)?.focus();
  }

  private async act(what: string, fn: () => Promise<void>): Promise<void> {
    this.message = '';
    try {
      await fn();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      this.message = `${what} failed: ${err instanceof ApiError ? `${err.message} (${err.code})` : 'unexpected error'}`;
    }
  }

  private download(j: Job, kind: ResultFormat): Promise<void> {
    return this.act('the download', async () => {
      const { blob, name } = await downloadResult(j, kind);
      saveBlob(blob, name);
    });
  }

  private pick(j: Job, on: boolean): void {
    const next = new Set(this.selected);
    if (on) next.add(j.id);
    else next.delete(j.id);
    this.selected = next;
  }

  /** The ticked jobs, in the order the table shows them, as one workbook or one FHIR collection. */
  private downloadSelected(format: 'xlsx' | 'fhir'): Promise<void> {
    const ids = this.jobs.filter((j) => this.selected.has(j.id)).map((j) => j.id);
    return this.act('the combined download', async () => {
      const { blob, name } = await downloadCombined(ids, format);
      saveBlob(blob, name);
    });
  }

  private cancel(j: Job): Promise<void> {
    return this.act('cancelling', async () => {
      await cancelJob(j.id);
      await this.refresh();
    });
  }

  private deleteRow(j: Job): Promise<void> {
    if (this.confirming !== j.id) {
      this.confirming = j.id;
      setTimeout(() => {
        if (this.confirming === j.id) this.confirming = null;
      }, 5_000);
      return Promise.resolve();
    }
    this.confirming = null;
    return this.act('deleting', async () => {
      await deleteJob(j.id);
      this.jobs = this.jobs.filter((x) => x.id !== j.id);
      await this.refresh();
    });
  }
}

customElements.define('mx-jobs', MxJobs);

declare global {
  interface HTMLElementTagNameMap {
    'mx-jobs': MxJobs;
  }
}
