/**
 * One cited page of a job: its image with the selected quote's words highlighted (other quotes cited
 * on the page are outlined faintly), previous/next page, and Close (fires `close`). The image is
 * fetched with the session's token and shown through a blob: URL, released when it is replaced.
 */
import { LitElement, css, html, nothing } from 'lit';
import { bannerStyles, buttonStyles } from './shared-styles.js';
import { ApiError, getPageImage, getPageView, plainError, type PageView } from './api.js';

export class MxPageView extends LitElement {
  static override properties = {
    jobId: { attribute: false },
    page: { type: Number },
    quote: { attribute: false },
    view: { state: true },
    imageUrl: { state: true },
    error: { state: true },
  };

  declare jobId: string;
  declare page: number;
  /** The quote to highlight (null: just show the page). */
  declare quote: string | null;
  declare view: PageView | null;
  declare imageUrl: string | null;
  declare error: string;
  private loadedKey = '';

  constructor() {
    super();
    this.jobId = '';
    this.page = 1;
    this.quote = null;
    this.view = null;
    this.imageUrl = null;
    this.error = '';
  }

  static override styles = [
    buttonStyles,
    bannerStyles,
    css`
    :host {
      display: block;
    }
    .bar {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.5rem;
      margin-bottom: 0.5rem;
    }
    h3 {
      margin: 0;
      font-size: 0.98rem;
      flex: 1 1 auto;
    }
    .note {
      margin: 0 0 0.5rem;
      font-size: 0.85rem;
      color: var(--mx-muted, #475569);
    }
    .note q {
      font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
      font-size: 0.8rem;
    }
    figure {
      position: relative;
      margin: 0;
      border: 1px solid var(--mx-border, #94a3b8);
      background: #f8fafc;
      max-width: 100%;
    }
    img {
      display: block;
      width: 100%;
      height: auto;
    }
    .placeholder {
      width: 100%;
    }
    .hl {
      position: absolute;
      box-sizing: border-box;
      pointer-events: none;
      border-radius: 2px;
    }
    .hl.selected {
      background: rgba(250, 204, 21, 0.4);
      outline: 2px solid #ca8a04;
    }
    .hl.other {
      outline: 1px dashed rgba(37, 99, 235, 0.6);
    }
  `,
  ];

  override willUpdate(): void {
    const key = `${this.jobId}/${this.page}`;
    if (this.jobId && key !== this.loadedKey) {
      this.loadedKey = key;
      void this.load(this.jobId, this.page, key);
    }
  }

  override disconnectedCallback(): void {
    this.setImage(null);
    super.disconnectedCallback();
  }

  private setImage(url: string | null): void {
    if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
    this.imageUrl = url;
  }

  private async load(jobId: string, page: number, key: string): Promise<void> {
    this.error = '';
    this.view = null;
    this.setImage(null);
    try {
      const [view, image] = await Promise.all([getPageView(jobId, page), getPageImage(jobId, page)]);
      if (key !== this.loadedKey) return;
      this.view = view;
      this.setImage(URL.createObjectURL(image));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      if (key === this.loadedKey) this.error = `page ${page} could not be shown: ${plainError(err)}`;
    }
  }

  private go(page: number): void {
    this.page = page;
    this.quote = null;
  }

  private close(): void {
    this.dispatchEvent(new CustomEvent('close', { bubbles: true, composed: true }));
  }

  override render() {
    const v = this.view;
    const total = v?.pageCount ?? this.page;
    const selected = v?.highlights.find((h) => h.quote === this.quote);
    const others = v?.highlights.filter((h) => h !== selected) ?? [];
    return html`<div class="bar">
        <h3 id="page-title">Page ${this.page}${v ? html` of ${total} <span class="note">(${v.source === 'ocr' ? 'read by OCR' : 'text layer'})</span>` : nothing}</h3>
        <button type="button" ?disabled=${this.page <= 1} @click=${() => this.go(this.page - 1)} aria-label="previous page">‹ Prev</button>
        <button type="button" ?disabled=${!v || this.page >= total} @click=${() => this.go(this.page + 1)} aria-label="next page">Next ›</button>
        <button type="button" class="close" @click=${this.close} aria-label="close the page view">Close</button>
      </div>
      ${this.error ? html`<p class="banner" role="alert">${this.error}</p>` : nothing}
      ${
        this.quote && v
          ? html`<p class="note" role="status">
            ${
              selected && selected.boxes.length
                ? html`Highlighted: <q>${this.quote}</q>`
                : v.wordBoxes
                  ? html`<q>${this.quote}</q> could not be located on this page image.`
                  : html`This page has no word positions, so <q>${this.quote}</q> cannot be highlighted.`
            }
          </p>`
          : nothing
      }
      <figure aria-labelledby="page-title">
        ${
          this.imageUrl
            ? html`<img src=${this.imageUrl} alt="page ${this.page} of the document" />`
            : html`<div class="placeholder" style="aspect-ratio: ${v?.aspectRatio ?? 8.5 / 11}" role="status">${this.error ? '' : 'Loading the page…'}</div>`
        }
        ${this.imageUrl ? [...others.flatMap((h) => h.boxes.map((b) => this.box(b, 'other'))), ...(selected?.boxes.map((b) => this.box(b, 'selected')) ?? [])] : nothing}
      </figure>`;
  }

  private box(b: { x0: number; y0: number; x1: number; y1: number }, kind: 'selected' | 'other') {
    // A little air around the words so the mark does not cut through the letters.
    const pad = 0.003;
    const style = `left:${(b.x0 - pad) * 100}%;top:${(b.y0 - pad) * 100}%;width:${(b.x1 - b.x0 + 2 * pad) * 100}%;height:${(b.y1 - b.y0 + 2 * pad) * 100}%`;
    return html`<div class="hl ${kind}" data-highlight=${kind} style=${style}></div>`;
  }
}

customElements.define('mx-page-view', MxPageView);

declare global {
  interface HTMLElementTagNameMap {
    'mx-page-view': MxPageView;
  }
}
