/**
 * The user's jobs, newest first, refreshed every second while any runs and every 5 s otherwise (optionally only those of one status, through
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
  listJobs,
  saveBlob,
  type Job,
  type JobStatus,
  type JobWarning,
} from './api.js';

/** Refresh often while something runs (the progress bars move), rarely when every job has finished. */
const POLL_RUNNING_MS = 1_000;
const POLL_IDLE_MS = 5_000;
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const STAGE: Record<string, string> = { prepare: 'prepare', ocr: 'OCR', extract: 'extract', export: 'export' };
/** The filter's choices; "running" is queued or processing (the API filters one status at a time). */
const FILTERS = ['all', 'running', 'completed', 'needs review', 'failed', 'cancelled'] as const;
export type JobFilter = (typeof FILTERS)[number];

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
  };

  declare jobs: Job[];
  declare loaded: boolean;
  declare error: string;
  declare message: string;
  declare confirming: string | null;
  declare filter: JobFilter;
  /** Ids of the completed jobs ticked for a combined workbook. */
  declare selected: ReadonlySet<string>;
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
  }

  static override styles = [panelStyles, buttonStyles, bannerStyles, tableStyles, cardTableStyles(640), jobsStyles];

  /** Loads the list now (joining a load in progress) and schedules the next one. */
  refresh(): Promise<void> {
    return this.polling.refresh();
  }

  private async load(): Promise<void> {
    const filter = this.filter;
    try {
      const jobs =
        filter === 'all'
          ? await listJobs()
          : filter === 'running'
            ? (await Promise.all((['queued', 'processing'] as JobStatus[]).map((s) => listJobs(s)))).flat()
            : filter === 'needs review'
              ? await listJobs('completed', { needsReview: true })
              : await listJobs(filter);
      if (filter !== this.filter) return; // the filter changed meanwhile; the next load follows
      jobs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      this.jobs = jobs;
      // A ticked job that is gone (deleted, filtered out) is no longer part of the selection.
      const completed = new Set(jobs.filter((j) => j.status === 'completed').map((j) => j.id));
      if ([...this.selected].some((id) => !completed.has(id))) this.selected = new Set([...this.selected].filter((id) => completed.has(id)));
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
              ? html`<button type="button" class="combined" @click=${this.downloadSelected} aria-label="download the ${this.selected.size} selected jobs as one workbook">
                Combined workbook (${this.selected.size})
              </button>`
              : null
          }
          <label class="filter"
            >Show
            <select @change=${this.onFilter} .value=${this.filter} aria-label="show jobs with status">
              ${FILTERS.map((f) => html`<option value=${f} ?selected=${f === this.filter}>${f}</option>`)}
            </select>
          </label>
          </div>
        </div>
        ${this.error ? html`<p class="banner" role="alert">${this.error}</p>` : null}
        ${this.message ? html`<p class="banner" role="status">${this.message}</p>` : null}
        ${
          !this.loaded
            ? html`<p class="empty">Loading…</p>`
            : this.jobs.length === 0
              ? html`<p class="empty">${this.filter === 'all' ? 'No jobs yet: upload a PDF above.' : this.filter === 'needs review' ? 'No job needs review.' : `No ${this.filter} jobs.`}</p>`
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
              </div>`
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
                <button type="button" @click=${() => this.download(j, 'json')} aria-label="download the JSON of ${j.filename}">JSON</button>`
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
    this.filter = (e.target as HTMLSelectElement).value as JobFilter;
    this.loaded = false;
    this.jobs = [];
    void this.refresh().then(() => {
      // a load already in flight used the old filter: load again with the new one
      if (!this.loaded) void this.refresh();
    });
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

  private download(j: Job, kind: 'xlsx' | 'json'): Promise<void> {
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

  /** The ticked jobs, in the order the table shows them, as one workbook. */
  private downloadSelected(): Promise<void> {
    const ids = this.jobs.filter((j) => this.selected.has(j.id)).map((j) => j.id);
    return this.act('the combined download', async () => {
      const { blob, name } = await downloadCombined(ids);
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
