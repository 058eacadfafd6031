/**
 * The admin view (role admin; the API refuses anyone else anyway): the users table (username,
 * role, disabled) with a create-user form, disable/enable, reset password and change role, and below
 * it the sign-in locks (pairs of account and address, addresses, accounts being slowed down) with a
 * Clear button each, the review figures, and the admin's own API keys. A reviewer sees the review
 * figures only. API errors are shown in plain words with their code.
 * The password rule is shown next to every new-password field, before the first attempt.
 */
import { LitElement, html } from 'lit';
import { panelStyles } from './shared-styles.js';
import { formStyles } from './mx-admin-styles.js';
import { createUser, currentUser, listUsers, PASSWORD_RULE, plainError, request, updateUser, type AdminUser } from './api.js';
import { clearLoginLock, listLoginLocks, type LoginLocks } from './api-locks.js';
import { getReviewFigures, type ReviewFigures } from './api-review-figures.js';
import './mx-api-keys.js';

/** The rule api/auth/passwords.ts enforces, said before anyone has to guess it. */
const when = (iso: string) => new Date(iso).toLocaleString();

/** `lab_results` → `lab results`, `patient.name` → `patient name`. */
const plainFieldType = (fieldType: string) => fieldType.replace(/[._]/g, ' ');

/** A wait or a review time in the largest units that say it: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function plainDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const percent = (share: number | null) => (share === null ? '–' : `${(share * 100).toFixed(share > 0 && share < 0.1 ? 1 : 0)} %`);

/** The local day of a date input as an instant: its start, or (end) the start of the next day. */
function dayStart(value: string, end: boolean): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (end ? 1 : 0)) : undefined;
}

type Role = 'admin' | 'user' | 'reviewer';

export class MxAdmin extends LitElement {
  static override properties = {
    users: { state: true },
    error: { state: true },
    message: { state: true },
    resetting: { state: true },
    busy: { state: true },
    locks: { state: true },
    figures: { state: true },
    figuresError: { state: true },
  };

  declare users: AdminUser[];
  declare error: string;
  declare message: string;
  /** The id of the user whose password-reset form is open. */
  declare resetting: string | null;
  declare busy: boolean;
  declare locks: LoginLocks | null;
  declare figures: ReviewFigures | null;
  declare figuresError: string;
  /** The dates the figures are shown for (date input values; empty: no bound). */
  private figuresWindow = { from: '', to: '' };

  constructor() {
    super();
    this.users = [];
    this.error = '';
    this.message = '';
    this.resetting = null;
    this.busy = false;
    this.locks = null;
    this.figures = null;
    this.figuresError = '';
  }

  static override styles = [panelStyles, formStyles];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    const figures = this.loadFigures();
    if (currentUser()?.role !== 'admin') return figures;
    try {
      [this.users, this.locks] = await Promise.all([listUsers(), listLoginLocks()]);
    } catch (err) {
      this.error = plainError(err);
    }
    await figures;
  }

  private async loadFigures(): Promise<void> {
    try {
      this.figures = await getReviewFigures({ from: dayStart(this.figuresWindow.from, false), to: dayStart(this.figuresWindow.to, true) });
      this.figuresError = '';
    } catch (err) {
      this.figuresError = plainError(err);
    }
  }

  override render() {
    const me = currentUser();
    if (me?.role !== 'admin') return html`<div class="stack">${this.renderFigures()}</div>`;
    return html`<div class="stack">
      <section aria-labelledby="users-h">
        <h2 id="users-h">Users</h2>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : null}
        ${this.message ? html`<p class="ok" role="status">${this.message}</p>` : null}
        <form class="row" @submit=${this.create} aria-label="create a user">
          <label>New username <input name="username" required autocomplete="off" minlength="3" maxlength="64" /></label>
          <label>New user's password <input name="password" type="password" required autocomplete="new-password" aria-describedby="pw-rule" /></label>
          <label>New user's role
            <select name="role"><option value="user" selected>user</option><option value="reviewer">reviewer</option><option value="admin">admin</option></select>
          </label>
          <button type="submit" ?disabled=${this.busy}>Create user</button>
        </form>
        <p class="hint" id="pw-rule">Passwords: ${PASSWORD_RULE}</p>
        <div class="scroll"><table class="cards">
          <thead><tr><th scope="col">Username</th><th scope="col">Role</th><th scope="col">Disabled</th><th scope="col">Second factor</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            ${this.users.map((u) => {
              const self = me?.id === u.id;
              return html`<tr data-user=${u.username} data-disabled=${String(u.disabled)}>
                <td data-label="User"><strong>${u.username}</strong>${self ? ' (you)' : ''}</td>
                <td data-label="Role">
                  <select aria-label="role of ${u.username}" .value=${u.role} ?disabled=${self} @change=${(e: Event) => this.setRole(u, (e.target as HTMLSelectElement).value as Role)}>
                    <option value="user" ?selected=${u.role === 'user'}>user</option>
                    <option value="reviewer" ?selected=${u.role === 'reviewer'}>reviewer</option>
                    <option value="admin" ?selected=${u.role === 'admin'}>admin</option>
                  </select>
                </td>
                <td class="disabled" data-label="Disabled">${u.disabled ? 'yes' : 'no'}</td>
                <td class="mfa" data-label="Second factor">${u.mfaEnabled ? 'on' : 'off'}</td>
                <td>
                  <div class="row">
                    <button type="button" ?disabled=${self} @click=${() => this.setDisabled(u, !u.disabled)} aria-label="${u.disabled ? 'enable' : 'disable'} ${u.username}">
                      ${u.disabled ? 'Enable' : 'Disable'}
                    </button>
                    <button type="button" @click=${() => this.openReset(u)} aria-expanded=${String(this.resetting === u.id)} aria-label="reset the password of ${u.username}">Reset password</button>
                    ${
                      u.mfaEnabled && !self
                        ? html`<button type="button" @click=${() => this.resetMfa(u)} aria-label="reset the second factor of ${u.username}">Reset second factor</button>`
                        : null
                    }
                  </div>
                  ${
                    this.resetting === u.id
                      ? html`<form class="row" @submit=${(e: SubmitEvent) => this.reset(e, u)}>
                        <label>New password for ${u.username} <input name="password" type="password" required autocomplete="new-password" aria-describedby="reset-rule" /></label>
                        ${
                          self
                            ? html`<label>Your current password <input name="currentPassword" type="password" required autocomplete="current-password" /></label>`
                            : null
                        }
                        <button type="submit">Save password</button>
                        <button type="button" @click=${() => (this.resetting = null)}>Cancel</button>
                        <p class="hint" id="reset-rule">${PASSWORD_RULE}</p>
                      </form>`
                      : null
                  }
                </td>
              </tr>`;
            })}
          </tbody>
        </table></div>
      </section>
      ${this.renderLocks()} ${this.renderFigures()}
      <mx-api-keys></mx-api-keys>
    </div>`;
  }

  private renderLocks() {
    const l = this.locks;
    const empty = !l || (!l.pairs.length && !l.addresses.length && !l.accounts.length);
    const clear = (label: string, which: { username?: string; address?: string }) =>
      html`<button type="button" @click=${() => this.clearLock(which)} aria-label="clear ${label}">Clear</button>`;
    return html`<section aria-labelledby="locks-h" class="locks">
      <h2 id="locks-h">Sign-in locks</h2>
      <p class="hint">
        Failed sign-ins of the last 15 minutes. After 3 failures an account is slowed down from that address, after 10 it is refused from that
        address only; an address with 50 failures is refused for every account. Clearing forgets the failures at once.
      </p>
      <div class="row"><button type="button" @click=${() => this.load()}>Refresh</button></div>
      ${
        empty
          ? html`<p class="empty">No account or address is slowed down or locked.</p>`
          : html`<div class="scroll"><table class="cards">
            <thead><tr><th scope="col">Account</th><th scope="col">Address</th><th scope="col">State</th><th scope="col">Failures</th><th scope="col">Since</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              ${l!.pairs.map(
                (p) => html`<tr data-lock-user=${p.username} data-lock-address=${p.address} data-state=${p.state}>
                  <td data-label="Account"><strong>${p.username}</strong></td>
                  <td data-label="Address"><code>${p.address}</code></td>
                  <td data-label="State">${p.state === 'locked' ? 'locked from this address' : 'slowed down from this address'}</td>
                  <td data-label="Failures">${p.failures}</td>
                  <td data-label="Since">${when(p.since)}</td>
                  <td>${clear(`${p.username} from ${p.address}`, { username: p.username, address: p.address })}</td>
                </tr>`,
              )}
              ${l!.addresses.map(
                (a) => html`<tr data-lock-address=${a.address} data-state="locked">
                  <td data-label="Account">every account (${a.accounts} tried)</td>
                  <td data-label="Address"><code>${a.address}</code></td>
                  <td data-label="State">address locked</td>
                  <td data-label="Failures">${a.failures}</td>
                  <td data-label="Since">${when(a.since)}</td>
                  <td>${clear(`the address ${a.address}`, { address: a.address })}</td>
                </tr>`,
              )}
              ${l!.accounts.map(
                (a) => html`<tr data-lock-user=${a.username} data-state="delayed">
                  <td data-label="Account"><strong>${a.username}</strong></td>
                  <td data-label="Address">${a.addresses === 1 ? '1 address' : `${a.addresses} addresses`}</td>
                  <td data-label="State">slowed down from everywhere (${(a.delayMs / 1000).toFixed(1)} s per attempt)</td>
                  <td data-label="Failures">${a.failures}</td>
                  <td data-label="Since">${when(a.since)}</td>
                  <td>${clear(`every address of ${a.username}`, { username: a.username })}</td>
                </tr>`,
              )}
            </tbody>
          </table></div>`
      }
    </section>`;
  }

  private renderFigures() {
    const f = this.figures;
    const waiting = f ? f.waiting.unreviewed + f.waiting.inReview : 0;
    return html`<section aria-labelledby="figures-h" class="figures">
      <h2 id="figures-h">Review figures</h2>
      <p class="hint">
        Each value counts once, by the latest decision a person made on it. The corrected share is corrected out of accepted, corrected and
        rejected values: the field types at the top are where the extraction is weakest.
      </p>
      <form class="row" @submit=${this.showFigures} aria-label="review figures between two days">
        <label>From day <input type="date" name="from" .value=${this.figuresWindow.from} /></label>
        <label>To day (included) <input type="date" name="to" .value=${this.figuresWindow.to} /></label>
        <button type="submit">Show figures</button>
      </form>
      ${this.figuresError ? html`<p class="error" role="alert">${this.figuresError}</p>` : null}
      ${
        f
          ? html`<dl class="figures-summary">
              <div><dt>Documents reviewed</dt><dd data-figure="documents-reviewed">${f.documentsReviewed}</dd></div>
              <div>
                <dt>Waiting for review now</dt>
                <dd data-figure="waiting">${waiting} (${f.waiting.unreviewed} not started, ${f.waiting.inReview} in review)</dd>
              </div>
              <div><dt>Oldest wait</dt><dd data-figure="oldest-wait">${waiting ? plainDuration(f.waiting.oldestSeconds) : 'none waiting'}</dd></div>
              <div>
                <dt>Median time per document</dt>
                <dd data-figure="median-time">${f.medianSecondsPerDocument === null ? '–' : plainDuration(f.medianSecondsPerDocument)}</dd>
              </div>
            </dl>
            ${
              f.fieldTypes.length
                ? html`<div class="scroll"><table class="cards">
                  <caption class="hint">Values by field type, highest corrected share first</caption>
                  <thead><tr><th scope="col">Field type</th><th scope="col">Accepted</th><th scope="col">Corrected</th><th scope="col">Rejected</th><th scope="col">Added</th><th scope="col">Corrected share</th></tr></thead>
                  <tbody>
                    ${f.fieldTypes.map(
                      (t) => html`<tr data-field-type=${t.fieldType}>
                        <th scope="row" data-label="Field type">${plainFieldType(t.fieldType)}</th>
                        <td data-label="Accepted">${t.accepted}</td>
                        <td data-label="Corrected">${t.corrected}</td>
                        <td data-label="Rejected">${t.rejected}</td>
                        <td data-label="Added">${t.added}</td>
                        <td data-label="Corrected share" class="share">${percent(t.correctedShare)}</td>
                      </tr>`,
                    )}
                  </tbody>
                </table></div>`
                : html`<p class="empty">Nobody has accepted, corrected, rejected or added a value${this.figuresWindow.from || this.figuresWindow.to ? ' in these days' : ''} yet.</p>`
            }`
          : null
      }
    </section>`;
  }

  private async showFigures(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const day = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value;
    this.figuresWindow = { from: day('from'), to: day('to') };
    await this.loadFigures();
  }

  private clearLock(which: { username?: string; address?: string }): Promise<boolean> {
    const what = [which.username, which.address].filter(Boolean).join(' from ');
    return this.run(() => clearLoginLock(which), `sign-in failures cleared: ${what}`);
  }

  private async run(action: () => Promise<unknown>, done: string): Promise<boolean> {
    this.busy = true;
    this.error = '';
    this.message = '';
    try {
      await action();
      this.message = done;
      return true;
    } catch (err) {
      this.error = plainError(err);
      return false;
    } finally {
      this.busy = false;
      await this.load();
    }
  }

  private async create(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const field = (n: string) => (form.elements.namedItem(n) as HTMLInputElement | HTMLSelectElement).value;
    const username = field('username').trim();
    if (await this.run(() => createUser(username, field('password'), field('role') as Role), `user ${username} created`)) form.reset();
  }

  private setDisabled(u: AdminUser, disabled: boolean): Promise<boolean> {
    return this.run(() => updateUser(u.id, { disabled }), `${u.username} ${disabled ? 'disabled' : 'enabled'}`);
  }

  private setRole(u: AdminUser, role: Role): Promise<boolean> {
    return this.run(() => updateUser(u.id, { role }), `${u.username} is now ${role === 'admin' ? 'an admin' : role === 'reviewer' ? 'a reviewer' : 'a user'}`);
  }

  /** For a lost authenticator: the user then signs in with the password alone and may enrol again. */
  private resetMfa(u: AdminUser): Promise<boolean> {
    return this.run(
      () => request('DELETE', `/users/${encodeURIComponent(u.id)}/mfa`),
      `the second factor of ${u.username} was reset; they sign in with the password alone`,
    );
  }

  private async openReset(u: AdminUser): Promise<void> {
    this.resetting = this.resetting === u.id ? null : u.id;
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLInputElement>('tr form input[name="password"]')?.focus();
  }

  private async reset(e: SubmitEvent, u: AdminUser): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const password = (form.elements.namedItem('password') as HTMLInputElement).value;
    // Changing one's own password steps up with the current one (the field is only in one's own row).
    const current = form.elements.namedItem('currentPassword') as HTMLInputElement | null;
    const change = current ? { password, currentPassword: current.value } : { password };
    if (await this.run(() => updateUser(u.id, change), `the password of ${u.username} was reset`)) this.resetting = null;
  }
}

customElements.define('mx-admin', MxAdmin);

declare global {
  interface HTMLElementTagNameMap {
    'mx-admin': MxAdmin;
  }
}
