/**
 * The signed-in user's API keys: create one by name, with what it may do (scope checkboxes; `metrics`
 * only for administrators) and how long it lives (30, 90 or 365 days, or the server's default). The
 * key is shown once, in a read-only field ready to copy, with a warning that it will not be shown
 * again. The list shows each key's name, prefix, scopes, creation, expiry ('expired' once past) and
 * last use, and revokes. Any role may manage their own keys.
 */
import { LitElement, css, html } from 'lit';
import { panelStyles } from './shared-styles.js';
import { currentUser, plainError } from './api.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo, type ApiScope, type CreatedApiKey } from './api-keys.js';
import { formStyles } from './mx-admin-styles.js';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : 'never');

/** Every scope of the contract (the Record makes a new one a type error here until it is described). */
const SCOPES: Record<ApiScope, { label: string; hint: string; adminOnly?: boolean; byDefault?: boolean }> = {
  'jobs:read': { label: 'Read jobs', hint: 'list jobs, status, results, page views, downloads', byDefault: true },
  'jobs:write': { label: 'Upload and delete jobs', hint: 'upload, cancel, delete', byDefault: true },
  review: { label: 'Review', hint: 'reviewing and correcting values (reserved)' },
  metrics: { label: 'Metrics', hint: 'GET /metrics, e.g. for Prometheus', adminOnly: true },
};
const LIFETIMES = [30, 90, 365] as const;

export class MxApiKeys extends LitElement {
  static override properties = {
    keys: { state: true },
    error: { state: true },
    created: { state: true },
    busy: { state: true },
    copied: { state: true },
  };

  declare keys: ApiKeyInfo[];
  declare error: string;
  declare created: CreatedApiKey | null;
  declare busy: boolean;
  declare copied: boolean;

  constructor() {
    super();
    this.keys = [];
    this.error = '';
    this.created = null;
    this.busy = false;
    this.copied = false;
  }

  static override styles = [
    panelStyles,
    formStyles,
    css`
      fieldset.scopes {
        border: 1px solid var(--mx-border, #94a3b8);
        border-radius: 4px;
        margin: 0 0 0.75rem;
        padding: 0.5rem 0.75rem;
      }
      legend {
        font-weight: 600;
        font-size: 0.85rem;
      }
      label.check {
        display: flex;
        gap: 0.4rem;
        align-items: baseline;
        font-weight: 400;
      }
      label.check .hint {
        margin: 0;
      }
      .expired {
        color: #991b1b;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.keys = await listApiKeys();
    } catch (err) {
      this.error = plainError(err);
    }
  }

  override render() {
    const admin = currentUser()?.role === 'admin';
    const now = Date.now();
    return html`<section aria-labelledby="keys-h">
      <h2 id="keys-h">API keys</h2>
      <p class="hint">A key lets a script use the API as you (header <code>X-API-Key</code>).</p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : null}
      ${
        this.created
          ? html`<div class="once" role="status">
            <label>New API key "${this.created.name}"
              <input class="key" readonly .value=${this.created.key} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
            </label>
            <p class="warn"><strong>Copy it now: this key will not be shown again.</strong></p>
            <div class="row">
              <button type="button" @click=${this.copy}>${this.copied ? 'Copied' : 'Copy key'}</button>
              <button type="button" @click=${this.dismiss}>Done</button>
            </div>
          </div>`
          : null
      }
      <form @submit=${this.create} class="create">
        <div class="row">
          <label>Key name <input name="name" required maxlength="100" autocomplete="off" /></label>
          <label
            >Expires after
            <select name="expiry">
              <option value="" selected>the server's default</option>
              ${LIFETIMES.map((d) => html`<option value=${d}>${d} days</option>`)}
            </select>
          </label>
        </div>
        <fieldset class="scopes">
          <legend>What the key may do</legend>
          ${(Object.entries(SCOPES) as Array<[ApiScope, (typeof SCOPES)[ApiScope]]>)
            .filter(([, s]) => !s.adminOnly || admin)
            .map(
              ([scope, s]) => html`<label class="check"
                ><input type="checkbox" name="scope" value=${scope} ?checked=${s.byDefault ?? false} /> ${s.label}
                <span class="hint">(${scope}: ${s.hint})</span></label
              >`,
            )}
        </fieldset>
        <div class="row"><button type="submit" ?disabled=${this.busy}>Create key</button></div>
      </form>
      ${
        this.keys.length === 0
          ? html`<p class="empty">No API keys yet.</p>`
          : html`<div class="scroll"><table class="cards">
            <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              ${this.keys.map(
                (k) => html`<tr data-key=${k.id}>
                  <td data-label="Name">${k.name}</td>
                  <td data-label="Prefix"><code class="prefix">${k.prefix}</code>…</td>
                  <td data-label="Scopes" class="key-scopes">${k.scopes.join(', ')}</td>
                  <td data-label="Created">${when(k.createdAt)}</td>
                  <td data-label="Expires" class="key-expiry">
                    ${
                      k.expired || (k.expiresAt && Date.parse(k.expiresAt) <= now)
                        ? html`<strong class="expired">expired</strong> ${when(k.expiresAt)}`
                        : k.expiresAt
                          ? when(k.expiresAt)
                          : 'never'
                    }
                  </td>
                  <td data-label="Last used">${when(k.lastUsedAt)}</td>
                  <td><button type="button" class="danger" @click=${() => this.revoke(k)} aria-label="revoke the key ${k.name}">Revoke</button></td>
                </tr>`,
              )}
            </tbody>
          </table></div>`
      }
    </section>`;
  }

  private async create(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const name = (form.elements.namedItem('name') as HTMLInputElement).value.trim();
    if (!name) return;
    const scopes = [...form.querySelectorAll<HTMLInputElement>('input[name="scope"]:checked')].map((i) => i.value as ApiScope);
    if (scopes.length === 0) {
      this.error = 'choose at least one thing the key may do';
      return;
    }
    const expiry = (form.elements.namedItem('expiry') as HTMLSelectElement).value;
    this.busy = true;
    this.error = '';
    try {
      this.created = await createApiKey(name, { scopes, ...(expiry ? { expiresInDays: Number(expiry) } : {}) });
      this.copied = false;
      form.reset();
      await this.load();
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLInputElement>('input.key')?.focus();
    } catch (err) {
      this.error = plainError(err);
    } finally {
      this.busy = false;
    }
  }

  private async copy(): Promise<void> {
    const input = this.renderRoot.querySelector<HTMLInputElement>('input.key');
    if (!input || !this.created) return;
    input.select();
    try {
      await navigator.clipboard.writeText(this.created.key);
      this.copied = true;
    } catch {
      // no clipboard permission: the key stays selected for Ctrl+C
    }
  }

  private dismiss(): void {
    this.created = null;
    this.copied = false;
  }

  private async revoke(k: ApiKeyInfo): Promise<void> {
    this.error = '';
    try {
      await revokeApiKey(k.id);
      if (this.created?.id === k.id) this.created = null;
      await this.load();
    } catch (err) {
      this.error = plainError(err);
    }
  }
}

customElements.define('mx-api-keys', MxApiKeys);

declare global {
  interface HTMLElementTagNameMap {
    'mx-api-keys': MxApiKeys;
  }
}
