/**
 * One cited page of a job: its image with the selected quote's words highlighted (other quotes cited
 * on the page are outlined faintly), previous/next page, zoom (a sharper render is fetched for each
 * step, the current one stretched meanwhile), for an OCR page how sure the OCR was of its words, and
 * Close (fires `close`). Opening it scrolls it into view unless it is pinned to the bottom of the screen
 * (a phone's review screen), where it scrolls itself to the highlighted quote instead. While `pickWords`
 * is set (a value is being edited), every word on the page is a target: clicking one fires `word-pick`
 * with its text, and the focus stays in the field being edited. The image is fetched with the session's
 * token and shown through a blob: URL, released when it is replaced.
 */
import { LitElement, css, html, nothing } from 'lit';
import { bannerStyles, buttonStyles } from './shared-styles.js';
import { ApiError, getPageView, plainError, type PageView } from './api.js';
import { getPageImageAt, type PageImageDpi } from './api-pages.js';

/** `word-pick`'s detail: a word clicked on the page. */
export interface WordPick {
  text: string;
  page: number;
}

/** Zoom steps: the image's width as a multiple of the viewer's, and the resolution rendered for it. */
const ZOOMS: ReadonlyArray<{ scale: number; dpi: PageImageDpi }> = [
  { scale: 1, dpi: 100 },
  { scale: 2, dpi: 200 },
  { scale: 3, dpi: 300 },
];

export class MxPageView extends LitElement {
  static override properties = {
    jobId: { attribute: false },
    page: { type: Number },
    quote: { attribute: false },
    pickWords: { attribute: false },
    view: { state: true },
    imageUrl: { state: true },
    imageDpi: { state: true },
    zoom: { state: true },
    error: { state: true },
  };

  declare jobId: string;
  declare page: number;
  /** The quote to highlight (null: just show the page). */
  declare quote: string | null;
  /** The page's words can be clicked to copy them into the field being edited. */
  declare pickWords: boolean;
  declare view: PageView | null;
  declare imageUrl: string | null;
  /** The resolution the shown image was rendered at. */
  declare imageDpi: PageImageDpi;
  /** Index into ZOOMS. */
  declare zoom: number;
  declare error: string;
  private loadedKey = '';
  private firstImageDrawn = false;

  constructor() {
    super();
    this.jobId = '';
    this.page = 1;
    this.quote = null;
    this.pickWords = false;
    this.view = null;
    this.imageUrl = null;
    this.imageDpi = 100;
    this.zoom = 0;
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
    .zoom {
      display: inline-flex;
      align-items: center;
      gap: 0.25rem;
    }
    .zoom output {
      min-width: 3.2rem;
      text-align: center;
      font-size: 0.85rem;
    }
    figure {
      margin: 0;
      border: 1px solid var(--mx-border, #94a3b8);
      background: #f8fafc;
      max-width: 100%;
    }
    figure.zoomed {
      overflow: auto;
      max-height: 80vh;
    }
    .sheet {
      position: relative;
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
    .word {
      position: absolute;
      box-sizing: border-box;
      margin: 0;
      padding: 0;
      border: 0;
      border-radius: 2px;
      background: transparent;
      cursor: copy;
    }
    .word:hover,
    .word:focus-visible {
      outline: 2px solid #15803d;
      background: rgba(34, 197, 94, 0.22);
    }
    .note.pick {
      color: #14532d;
    }
    /* Pinned to the bottom of a phone's screen, the viewer scrolls inside itself: its controls stay on top. */
    :host([data-scrolls]) .bar {
      position: sticky;
      top: 0;
      z-index: 2;
      background: var(--mx-surface, #fff);
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

  override firstUpdated(): void {
    this.bringIntoView();
  }

  /**
   * Opened out of sight (a phone shows it above the tables, which may be scrolled far down): bring it into view.
   * Called again once the first image is drawn, because the browser's scroll anchoring may have moved the page
   * to keep the tables still while the viewer grew.
   */
  private bringIntoView(): void {
    if (this.pinnedToBottom()) return this.followHighlight();
    const top = this.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.5) this.scrollIntoView({ block: 'start' });
  }

  /** Placed by the page around it as a sticky strip along the bottom of the screen (mx-result on a phone). */
  private pinnedToBottom(): boolean {
    const style = getComputedStyle(this);
    return style.position === 'sticky' && style.bottom !== 'auto';
  }

  /** When the viewer scrolls inside itself, bring the highlighted quote into its view (not the whole screen's). */
  private followHighlight(): void {
    const scrolls = this.scrollHeight > this.clientHeight + 1;
    this.toggleAttribute('data-scrolls', scrolls);
    const mark = this.renderRoot.querySelector<HTMLElement>('.hl.selected');
    if (!scrolls || !mark) return;
    const top = mark.getBoundingClientRect().top - this.getBoundingClientRect().top + this.scrollTop;
    const bar = this.renderRoot.querySelector<HTMLElement>('.bar')?.offsetHeight ?? 0;
    if (top < this.scrollTop + bar || top > this.scrollTop + this.clientHeight - mark.offsetHeight) {
      this.scrollTop = Math.max(0, top - bar - this.clientHeight / 4);
    }
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('quote') && this.imageUrl) this.followHighlight();
  }

  private onImageLoad(): void {
    this.followHighlight();
    if (this.firstImageDrawn) return;
    this.firstImageDrawn = true;
    this.bringIntoView();
  }

  /** A word takes no focus when pressed, so the field being edited keeps its focus and caret. */
  private readonly keepFocus = (e: MouseEvent) => e.preventDefault();

  private pick(text: string): void {
    this.dispatchEvent(new CustomEvent<WordPick>('word-pick', { detail: { text, page: this.page }, bubbles: true, composed: true }));
  }

  private async load(jobId: string, page: number, key: string): Promise<void> {
    this.error = '';
    this.view = null;
    this.setImage(null);
    const { dpi } = ZOOMS[this.zoom]!;
    try {
      const [view, image] = await Promise.all([getPageView(jobId, page), getPageImageAt(jobId, page, dpi)]);
      if (key !== this.loadedKey) return;
      this.view = view;
      this.setImage(URL.createObjectURL(image));
      this.imageDpi = dpi;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      if (key === this.loadedKey) this.error = `page ${page} could not be shown: ${plainError(err)}`;
    }
  }

  /** Zooms to step `zoom`; the shown image is stretched until the sharper render arrives. */
  private async zoomTo(zoom: number): Promise<void> {
    this.zoom = zoom;
    const { dpi } = ZOOMS[zoom]!;
    if (dpi <= this.imageDpi || !this.imageUrl) return;
    const key = this.loadedKey;
    try {
      const image = await getPageImageAt(this.jobId, this.page, dpi);
      // Still this page, and no sharper image arrived meanwhile.
      if (key !== this.loadedKey || dpi <= this.imageDpi) return;
      this.setImage(URL.createObjectURL(image));
      this.imageDpi = dpi;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      if (key === this.loadedKey) this.error = `a sharper image of page ${this.page} could not be loaded: ${plainError(err)}`;
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
    const { scale } = ZOOMS[this.zoom]!;
    return html`<div class="bar">
        <h3 id="page-title">Page ${this.page}${v ? html` of ${total} <span class="note">(${v.source === 'ocr' ? 'read by OCR' : 'text layer'})</span>` : nothing}</h3>
        <button type="button" ?disabled=${this.page <= 1} @click=${() => this.go(this.page - 1)} aria-label="previous page">‹ Prev</button>
        <button type="button" ?disabled=${!v || this.page >= total} @click=${() => this.go(this.page + 1)} aria-label="next page">Next ›</button>
        <span class="zoom">
          <button type="button" ?disabled=${this.zoom === 0} @click=${() => void this.zoomTo(this.zoom - 1)} aria-label="zoom out">−</button>
          <output aria-label="zoom" aria-live="polite">${scale * 100}%</output>
          <button type="button" ?disabled=${this.zoom === ZOOMS.length - 1} @click=${() => void this.zoomTo(this.zoom + 1)} aria-label="zoom in">+</button>
        </span>
        <button type="button" class="close" @click=${this.close} aria-label="close the page view">Close</button>
      </div>
      ${this.error ? html`<p class="banner" role="alert">${this.error}</p>` : nothing}
      ${v?.source === 'ocr' && v.ocrConfidence !== null ? html`<p class="note" data-ocr-confidence>${ocrConfidenceWords(v.ocrConfidence)}</p>` : nothing}
      ${
        this.pickWords && v
          ? html`<p class="note pick" data-pick-note>
            ${v.wordBoxes ? 'Click a word on the page to copy it into the field being edited.' : 'This page has no word positions, so its words cannot be picked.'}
          </p>`
          : nothing
      }
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
      <figure aria-labelledby="page-title" class=${scale > 1 ? 'zoomed' : ''}>
        <div class="sheet" style="width: ${scale * 100}%">
          ${
            this.imageUrl
              ? html`<img src=${this.imageUrl} alt="page ${this.page} of the document" data-dpi=${this.imageDpi} @load=${this.onImageLoad} />`
              : html`<div class="placeholder" style="aspect-ratio: ${v?.aspectRatio ?? 8.5 / 11}" role="status">${this.error ? '' : 'Loading the page…'}</div>`
          }
          ${this.imageUrl ? [...others.flatMap((h) => h.boxes.map((b) => this.box(b, 'other'))), ...(selected?.boxes.map((b) => this.box(b, 'selected')) ?? [])] : nothing}
          ${this.imageUrl && v && this.pickWords ? this.words(v) : nothing}
        </div>
      </figure>`;
  }

  /** Every word of the page as a button over it (out of the tab order: keyboard users type instead). */
  private words(v: PageView) {
    return html`<div role="group" aria-label="words on page ${this.page}: click one to copy it into the field being edited" data-words>
      ${v.words.map(
        (w, i) =>
          html`<button
            type="button"
            class="word"
            tabindex="-1"
            data-word=${i}
            aria-label=${w.text}
            title=${`copy “${w.text}” into the field`}
            style=${`left:${w.box.x0 * 100}%;top:${w.box.y0 * 100}%;width:${(w.box.x1 - w.box.x0) * 100}%;height:${(w.box.y1 - w.box.y0) * 100}%`}
            @mousedown=${this.keepFocus}
            @click=${() => this.pick(w.text)}
          ></button>`,
      )}
    </div>`;
  }

  private box(b: { x0: number; y0: number; x1: number; y1: number }, kind: 'selected' | 'other') {
    // A little air around the words so the mark does not cut through the letters.
    const pad = 0.003;
    const style = `left:${(b.x0 - pad) * 100}%;top:${(b.y0 - pad) * 100}%;width:${(b.x1 - b.x0 + 2 * pad) * 100}%;height:${(b.y1 - b.y0 + 2 * pad) * 100}%`;
    return html`<div class="hl ${kind}" data-highlight=${kind} style=${style}></div>`;
  }
}

/** Below this mean word confidence (percent) the job also warns low_ocr_confidence (library/extraction/warnings.ts). */
const LOW_OCR_PERCENT = 70;

/** How sure the OCR was of the page's words, in words a reviewer can act on. */
export function ocrConfidenceWords(confidence: number): string {
  const percent = Math.round(confidence * 100);
  const advice = percent < LOW_OCR_PERCENT ? ' That is low: compare each value with the image.' : '';
  return `Read by OCR, which was on average ${percent}% sure of each word on this page.${advice}`;
}

customElements.define('mx-page-view', MxPageView);

declare global {
  interface HTMLElementTagNameMap {
    'mx-page-view': MxPageView;
  }
}
