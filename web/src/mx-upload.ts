/**
 * Picking or dropping documents (PDF, TIFF, PNG, JPEG, WebP) and sending them, one request per file so
 * each has its own progress bar, with the PDF password when one is typed in. Which files are read is
 * the server's to judge from their bytes: a refused file shows the server's reason beside it. Each
 * accepted file's row then follows its job to the end (completed, needs review, failed with the
 * reason, cancelled). Fires `uploaded` (detail: the job) after each file the server accepted.
 */
import { LitElement, css, html } from 'lit';
import { panelStyles } from './shared-styles.js';
import { ApiError, maxUploadBytes } from './api.js';
import { getJobStatus, uploadDocument, type FollowedJob, type UploadedJob } from './api-upload.js';

/**
 * `state` is the upload's: waiting / uploading / done (the server accepted the file and made a job) /
 * refused (the server, or the size limit it announced, refused the file) / failed (not sent).
 */
interface Item {
  key: number;
  name: string;
  size: number;
  state: 'waiting' | 'uploading' | 'done' | 'refused' | 'failed';
  progress: number;
  message: string;
  job?: UploadedJob;
  /** The job as last seen, while and after it runs. */
  followed?: JobState;
  /** True once the job's own status was read (a duplicate may be finished already, with a reason to show). */
  seen?: boolean;
  /**
   * The file was uploaded before and that job is shown: said in its row. (Not said when the earlier job
   * was queued afresh for this upload, e.g. restarted with the password sent now.)
   */
  earlier?: boolean;
}

type JobState = Pick<FollowedJob, 'status' | 'progress' | 'error'> & { needsReview?: boolean };

const mb = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** What the picker offers: the accepted kinds by media type and by the usual extensions (the server checks the bytes). */
const ACCEPT = 'application/pdf,image/tiff,image/png,image/jpeg,image/webp,.pdf,.tif,.tiff,.png,.jpg,.jpeg,.webp';
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
/** How often running jobs are looked at again. */
const FOLLOW_MS = 1500;

/** A job's state in words, for its row. */
function jobWords(job: JobState, earlier: boolean): string {
  const prefix = earlier ? 'duplicate of an earlier upload: ' : '';
  switch (job.status) {
    case 'queued':
      return `${prefix}uploaded; waiting to be processed`;
    case 'processing': {
      const { pagesDone, pagesTotal } = job.progress;
      return `${prefix}processing${pagesTotal ? `: page ${Math.min(pagesDone + 1, pagesTotal)} of ${pagesTotal}` : '…'}`;
    }
    case 'completed':
      return job.needsReview === true ? `${prefix}completed; needs review` : `${prefix}completed`;
    case 'failed':
      return `${prefix}failed: ${job.error ? `${job.error.message} (${job.error.code})` : 'the job failed'}`;
    case 'cancelled':
      return `${prefix}cancelled`;
  }
}

function jobClass(job: JobState | undefined): string {
  if (!job) return '';
  if (job.status === 'failed') return 'failed';
  if (job.status === 'completed') return job.needsReview === true ? 'review' : 'completed';
  return '';
}

/** A row whose job is still to be looked at: not yet seen, or not finished when last seen. */
const isFollowed = (i: Item) => i.job !== undefined && (!i.seen || !FINISHED.has(i.followed?.status ?? 'queued'));

export class MxUpload extends LitElement {
  static override properties = {
    items: { state: true },
    dragging: { state: true },
  };

  declare items: Item[];
  declare dragging: boolean;
  private nextKey = 1;
  private queue: Array<{ item: Item; file: File; password: string }> = [];
  private running = false;
  private followTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.items = [];
    this.dragging = false;
  }

  static override styles = [
    panelStyles,
    css`
    h2 {
      margin: 0 0 0.75rem;
      font-size: 1.05rem;
    }
    .drop {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.75rem;
      border: 2px dashed var(--mx-border, #94a3b8);
      border-radius: 8px;
      padding: 1rem;
    }
    .drop.dragging {
      border-color: var(--mx-primary, #1d4ed8);
      background: #eff6ff;
    }
    label.pick {
      display: inline-block;
      padding: 0.45rem 0.9rem;
      border-radius: 4px;
      background: var(--mx-primary, #1d4ed8);
      color: #fff;
      cursor: pointer;
    }
    label.pick:focus-within {
      outline: 3px solid var(--mx-focus, #2563eb);
      outline-offset: 2px;
    }
    input[type='file'] {
      position: absolute;
      width: 1px;
      height: 1px;
      opacity: 0;
    }
    .hint {
      color: var(--mx-muted, #475569);
      font-size: 0.9rem;
    }
    ul {
      list-style: none;
      margin: 0.75rem 0 0;
      padding: 0;
      display: grid;
      gap: 0.4rem;
    }
    li {
      display: grid;
      grid-template-columns: minmax(8rem, 1fr) minmax(6rem, 12rem) minmax(8rem, 2fr);
      gap: 0.75rem;
      align-items: center;
      font-size: 0.9rem;
    }
    .name {
      overflow-wrap: anywhere;
    }
    progress {
      width: 100%;
    }
    .password {
      display: flex;
      align-items: center;
      gap: 0.4rem;
      font-size: 0.9rem;
    }
    .password input {
      padding: 0.35rem 0.5rem;
      border: 1px solid var(--mx-border, #94a3b8);
      border-radius: 4px;
      font: inherit;
    }
    .refused,
    .failed {
      color: #991b1b;
    }
    .completed {
      color: #166534;
    }
    .review {
      color: #92400e;
    }
    @media (max-width: 640px) {
      li {
        grid-template-columns: 1fr;
        gap: 0.2rem;
        padding-bottom: 0.4rem;
        border-bottom: 1px solid var(--mx-border-soft, #e2e8f0);
      }
    }
  `,
  ];

  override render() {
    const limit = mb(maxUploadBytes());
    return html`
      <section aria-labelledby="upload-title">
        <h2 id="upload-title">Upload documents</h2>
        <div
          class="drop ${this.dragging ? 'dragging' : ''}"
          @dragover=${this.onDragOver}
          @dragleave=${() => (this.dragging = false)}
          @drop=${this.onDrop}
        >
          <label class="pick">Choose files…<input type="file" name="files" accept=${ACCEPT} multiple @change=${this.onPick} /></label>
          <span class="hint">or drop them here · PDF, TIFF, PNG, JPEG or WebP, up to ${limit} each</span>
          <label class="password"
            >PDF password <small>(optional)</small>
            <input type="password" name="pdf-password" autocomplete="off" spellcheck="false" size="14"
          /></label>
        </div>
        ${
          this.items.length
            ? html`<ul aria-label="uploads" aria-live="polite">
              ${this.items.map((i) => this.renderItem(i))}
            </ul>`
            : null
        }
      </section>
    `;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.followTimer);
    this.followTimer = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.scheduleFollow();
  }

  private renderItem(i: Item) {
    const running = i.followed && !FINISHED.has(i.followed.status);
    const total = i.followed?.progress.pagesTotal;
    const bar =
      i.state === 'uploading' || i.state === 'waiting'
        ? html`<progress max="1" .value=${i.progress} aria-label="upload of ${i.name}"></progress>`
        : running && total
          ? html`<progress max=${total} .value=${i.followed!.progress.pagesDone} aria-label="processing of ${i.name}"></progress>`
          : html`<span></span>`;
    return html`<li data-state=${i.state} data-job-status=${i.followed?.status ?? ''}>
      <span class="name">${i.name} <small>(${mb(i.size)})</small></span>
      ${bar}
      <span class="${i.state} ${jobClass(i.followed)}">${i.message}</span>
    </li>`;
  }

  private onDragOver(e: DragEvent): void {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  }

  private onDrop(e: DragEvent): void {
    e.preventDefault();
    this.dragging = false;
    this.add([...(e.dataTransfer?.files ?? [])]);
  }

  private onPick(e: Event): void {
    const input = e.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    this.add(files);
  }

  private update1(item: Item, patch: Partial<Item>): void {
    Object.assign(item, patch);
    this.items = [...this.items];
  }

  /** The password typed in when the files are added goes with each of them. */
  private password(): string {
    return this.renderRoot.querySelector<HTMLInputElement>('input[name="pdf-password"]')?.value ?? '';
  }

  private add(files: File[]): void {
    const limit = maxUploadBytes();
    const password = this.password();
    for (const file of files) {
      const item: Item = { key: this.nextKey++, name: file.name, size: file.size, state: 'waiting', progress: 0, message: 'waiting…' };
      this.items = [item, ...this.items];
      // The one check made here: a file over the limit the server announced is not sent only to be refused.
      if (file.size > limit) {
        this.update1(item, { state: 'refused', message: `not sent: larger than the ${mb(limit)} allowed per file` });
        continue;
      }
      this.queue.push({ item, file, password });
    }
    void this.drain();
  }

  /** One upload at a time keeps each bar honest and the server's per-request limits easy to meet. */
  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const { item, file, password } = next;
        this.update1(item, { state: 'uploading', message: 'uploading…' });
        try {
          const outcome = await uploadDocument(file, { password, onProgress: (p) => this.update1(item, { progress: p }) });
          if ('refused' in outcome) {
            this.update1(item, { state: 'refused', message: `not accepted: ${outcome.refused.message} (${outcome.refused.code})` });
            continue;
          }
          const { job } = outcome;
          const followed: JobState = { status: job.status, progress: { pagesDone: 0, pagesTotal: null }, error: null };
          const earlier = job.duplicate && job.status !== 'queued';
          this.update1(item, { state: 'done', job, followed, earlier, message: jobWords(followed, earlier) });
          this.dispatchEvent(new CustomEvent('uploaded', { detail: job, bubbles: true, composed: true }));
          this.scheduleFollow(0);
        } catch (err) {
          const message = err instanceof ApiError ? `${err.message} (${err.code})` : 'the upload failed';
          this.update1(item, { state: 'failed', message });
          if (err instanceof ApiError && err.status === 401) {
            this.queue = [];
            return;
          }
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Looks at every job not yet finished again after `delayMs`, while there are any. */
  private scheduleFollow(delayMs = FOLLOW_MS): void {
    if (!this.isConnected || !this.items.some(isFollowed)) return;
    clearTimeout(this.followTimer);
    this.followTimer = setTimeout(() => void this.follow(), delayMs);
  }

  private async follow(): Promise<void> {
    this.followTimer = undefined;
    const open = this.items.filter(isFollowed);
    let signedOut = false;
    await Promise.all(
      open.map(async (item) => {
        try {
          const followed = await getJobStatus(item.job!.id);
          this.update1(item, { followed, seen: true, message: jobWords(followed, item.earlier === true) });
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) signedOut = true;
          else if (err instanceof ApiError && err.status === 404) {
            // Deleted meanwhile (from the jobs list): nothing left to follow.
            this.update1(item, { job: undefined, message: 'the job was deleted' });
          }
          // Anything else (a network hiccup): try again next time.
        }
      }),
    );
    if (!signedOut) this.scheduleFollow();
  }
}

customElements.define('mx-upload', MxUpload);

declare global {
  interface HTMLElementTagNameMap {
    'mx-upload': MxUpload;
  }
}
