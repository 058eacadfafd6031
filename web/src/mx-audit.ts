/**
 * The audit log for administrators: who did what, to what, when and from where, with filters. Newest
 * first, one page at a time ("Older" loads the next). A filter form (labelled inputs, Enter applies),
 * a captioned table, and a live region that says what was loaded.
 */
import { LitElement, css, html, nothing } from 'lit';
import { bannerStyles, buttonStyles, panelStyles, tableStyles } from './shared-styles.js';
import { plainError } from './api.js';
import { AUDIT_ACTIONS, listAudit, type AuditEvent, type AuditFilters } from './api-audit.js';

const PAGE = 100;

/** `2026-12-02T04:05:06.123Z` → `2026-12-02 04:05:06 UTC`. */
const when = (iso: string) => `${iso.slice(0, 19).replace('T', ' ')} UTC`;

/** A datetime-local value (no zone) read as UTC, as the table shows times. */
const utc = (local: string) => (local ? new Date(`${local}:00Z`).toISOString() : undefined);

function detailText(d: AuditEvent['detail']): string {
  return Object.entries(d)
    .map(([k, v]) => `${k}=${v === null ? '—' : String(v)}`)
    .join(', ');
}

export class MxAudit extends LitElement {
  static override properties = {
    events: { state: true },
    nextBefore: { state: true },
    loading: { state: true },
    error: { state: true },
    status: { state: true },
  };

  declare events: AuditEvent[];
  declare nextBefore: string | null;
  declare loading: boolean;
  declare error: string;
  declare status: string;
  private filters: AuditFilters = {};

  constructor() {
    super();
    this.events = [];
    this.nextBefore = null;
    this.loading = false;
    this.error = '';
    this.status = '';
  }

  static override styles = [
    panelStyles,
    buttonStyles,
    bannerStyles,
    tableStyles,
    css`
      form {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: flex-end;
        margin-bottom: 0.75rem;
      }
      .field {
        display: flex;
        flex-direction: column;
        gap: 0.15rem;
      }
      label {
        font-size: 0.8rem;
      }
      input,
      select {
        font: inherit;
        font-size: 0.85rem;
        padding: 0.2rem 0.35rem;
      }
      input:focus-visible,
      select:focus-visible {
        outline: 3px solid var(--mx-focus, #2563eb);
        outline-offset: 1px;
      }
      .scroll {
        overflow-x: auto;
      }
      td.detail {
        font-family: ui-monospace, monospace;
        font-size: 0.8rem;
        word-break: break-word;
      }
      caption {
        text-align: left;
        font-weight: 600;
        padding-bottom: 0.35rem;
      }
      .more {
        margin-top: 0.75rem;
      }
      .sr-only {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip: rect(0 0 0 0);
        white-space: nowrap;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load(false);
  }

  private async load(older: boolean): Promise<void> {
    this.loading = true;
    this.error = '';
    try {
      const page = await listAudit(this.filters, older ? (this.nextBefore ?? undefined) : undefined, PAGE);
      this.events = older ? [...this.events, ...page.events] : page.events;
      this.nextBefore = page.nextBefore;
      this.status = `${this.events.length} audit row${this.events.length === 1 ? '' : 's'} shown${page.nextBefore ? '; older rows are available' : ''}`;
    } catch (err) {
      this.error = plainError(err);
    } finally {
      this.loading = false;
    }
  }

  private apply(e: Event): void {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const v = (name: string) => ((form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '').trim() || undefined;
    this.filters = {
      actor: v('actor'),
      action: v('action') as AuditFilters['action'],
      targetId: v('targetId'),
      ip: v('ip'),
      from: utc(v('from') ?? ''),
      to: utc(v('to') ?? ''),
    };
    void this.load(false);
  }

  private clear(e: Event): void {
    (e.target as HTMLButtonElement).form?.reset();
    this.filters = {};
    void this.load(false);
  }

  override render() {
    return html`<section aria-labelledby="audit-h">
      <h2 id="audit-h">Audit log</h2>
      <form @submit=${this.apply} aria-label="Filter the audit log">
        <div class="field"><label for="f-actor">User</label><input id="f-actor" name="actor" autocomplete="off" /></div>
        <div class="field">
          <label for="f-action">Action</label>
          <select id="f-action" name="action">
            <option value="">any</option>
            ${AUDIT_ACTIONS.map((a) => html`<option value=${a}>${a}</option>`)}
          </select>
        </div>
        <div class="field"><label for="f-target">Target id</label><input id="f-target" name="targetId" autocomplete="off" /></div>
        <div class="field"><label for="f-ip">Address</label><input id="f-ip" name="ip" autocomplete="off" /></div>
        <div class="field"><label for="f-from">From (UTC)</label><input id="f-from" name="from" type="datetime-local" /></div>
        <div class="field"><label for="f-to">To (UTC)</label><input id="f-to" name="to" type="datetime-local" /></div>
        <button type="submit" ?disabled=${this.loading}>Apply filters</button>
        <button type="button" @click=${this.clear} ?disabled=${this.loading}>Clear</button>
      </form>
      ${this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : nothing}
      <p class="sr-only" role="status" aria-live="polite">${this.loading ? 'Loading the audit log…' : this.status}</p>
      <div class="scroll">
        <table>
          <caption>
            Audit rows, newest first (times in UTC)
          </caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">User</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Address</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            ${
              this.events.length === 0 && !this.loading
                ? html`<tr>
                  <td colspan="6">No audit rows match these filters.</td>
                </tr>`
                : this.events.map(
                    (e) =>
                      html`<tr data-action=${e.action}>
                      <td><time datetime=${e.at}>${when(e.at)}</time></td>
                      <td>${e.actorUsername ?? '—'}</td>
                      <td>${e.action}</td>
                      <td>${e.targetType ? `${e.targetType} ${e.targetId ?? ''}` : '—'}</td>
                      <td>${e.ip ?? '—'}</td>
                      <td class="detail">${detailText(e.detail)}</td>
                    </tr>`,
                  )
            }
          </tbody>
        </table>
      </div>
      ${this.nextBefore ? html`<button class="more" type="button" @click=${() => this.load(true)} ?disabled=${this.loading}>Older</button>` : nothing}
    </section>`;
  }
}

customElements.define('mx-audit', MxAudit);

declare global {
  interface HTMLElementTagNameMap {
    'mx-audit': MxAudit;
  }
}
