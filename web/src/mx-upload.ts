/**
 * Picking or dropping PDFs and sending them, one request per file so each has its own progress bar.
 * Non-PDFs and files over the server's limit are refused here, before any byte is sent, with the
 * reason. Fires `uploaded` (detail: the job) after each file the server accepted.
 */
import { LitElement, css, html } from 'lit';
import { panelStyles } from './shared-styles.js';
import { ApiError, maxUploadBytes, uploadFile, type UploadedJob } from './api.js';

interface Item {
  key: number;
  name: string;
  size: number;
  state: 'waiting' | 'uploading' | 'done' | 'refused' | 'failed';
  progress: number;
  message: string;
  job?: UploadedJob;
}

const mb = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

async function looksLikePdf(file: File): Promise<boolean> {
  // The server checks for %PDF- within the first 1024 bytes; so do we.
  const head = new Uint8Array(await file.slice(0, 1024).arrayBuffer());
  const text = String.fromCharCode(...head);
  return text.includes('%PDF-');
}

export class MxUpload extends LitElement {
  static override properties = {
    items: { state: true },
    dragging: { state: true },
  };

  declare items: Item[];
  declare dragging: boolean;
  private nextKey = 1;
  private queue: Array<{ item: Item; file: File }> = [];
  private running = false;

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
    .refused,
    .failed {
      color: #991b1b;
    }
    .done {
      color: #166534;
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
        <h2 id="upload-title">Upload PDFs</h2>
        <div
          class="drop ${this.dragging ? 'dragging' : ''}"
          @dragover=${this.onDragOver}
          @dragleave=${() => (this.dragging = false)}
          @drop=${this.onDrop}
        >
          <label class="pick"
            >Choose PDFs…<input type="file" name="files" accept="application/pdf,.pdf" multiple @change=${this.onPick}
          /></label>
          <span class="hint">or drop them here · PDF only, up to ${limit} each</span>
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

  private renderItem(i: Item) {
    const bar =
      i.state === 'uploading' || i.state === 'waiting'
        ? html`<progress max="1" .value=${i.progress} aria-label="upload of ${i.name}"></progress>`
        : html`<span></span>`;
    return html`<li data-state=${i.state}>
      <span class="name">${i.name} <small>(${mb(i.size)})</small></span>
      ${bar}
      <span class=${i.state}>${i.message}</span>
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
    void this.add([...(e.dataTransfer?.files ?? [])]);
  }

  private onPick(e: Event): void {
    const input = e.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    void this.add(files);
  }

  private update1(item: Item, patch: Partial<Item>): void {
    Object.assign(item, patch);
    this.items = [...this.items];
  }

  private async add(files: File[]): Promise<void> {
    const limit = maxUploadBytes();
    for (const file of files) {
      const item: Item = { key: this.nextKey++, name: file.name, size: file.size, state: 'waiting', progress: 0, message: 'waiting…' };
      this.items = [item, ...this.items];
      const isPdfName = /\.pdf$/i.test(file.name) || file.type === 'application/pdf';
      if (!isPdfName || !(await looksLikePdf(file))) {
        this.update1(item, { state: 'refused', message: 'not sent: this is not a PDF' });
        continue;
      }
      if (file.size > limit) {
        this.update1(item, { state: 'refused', message: `not sent: larger than the ${mb(limit)} allowed per file` });
        continue;
      }
      if (file.size === 0) {
        this.update1(item, { state: 'refused', message: 'not sent: the file is empty' });
        continue;
      }
      this.queue.push({ item, file });
    }
    await this.drain();
  }

  /** One upload at a time keeps each bar honest and the server's per-request limits easy to meet. */
  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const { item, file } = next;
        this.update1(item, { state: 'uploading', message: 'uploading…' });
        try {
          const job = await uploadFile(file, (p) => this.update1(item, { progress: p }));
          this.update1(item, {
            state: 'done',
            job,
            message: job.duplicate ? `duplicate: already uploaded, see the existing job (${job.status})` : 'uploaded; processing',
          });
          this.dispatchEvent(new CustomEvent('uploaded', { detail: job, bubbles: true, composed: true }));
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
}

customElements.define('mx-upload', MxUpload);

declare global {
  interface HTMLElementTagNameMap {
    'mx-upload': MxUpload;
  }
}
