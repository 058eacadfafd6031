/**
 * The admin view (role admin only; the API refuses anyone else anyway): the users table (username,
 * role, disabled) with a create-user form, disable/enable, reset password and change role, and below
 * it the sign-in locks (pairs of account and address, addresses, accounts being slowed down) with a
 * Clear button each, and the admin's own API keys. API errors are shown in plain words with their code.
 * The password rule is shown next to every new-password field, before the first attempt.
 */
import { LitElement, html } from 'lit';
import { panelStyles } from './shared-styles.js';
import { formStyles } from './mx-admin-styles.js';
import { createUser, currentUser, listUsers, PASSWORD_RULE, plainError, request, updateUser, type AdminUser } from './api.js';
import { clearLoginLock, listLoginLocks, type LoginLocks } from './api-locks.js';
import './mx-api-keys.js';

/** The rule api/auth/passwords.ts enforces, said before anyone has to guess it. */
const when = (iso: string) => new Date(iso).toLocaleString();

type Role = 'admin' | 'user' | 'reviewer';

export class MxAdmin extends LitElement {
  static override properties = {
    users: { state: true },
    error: { state: true },
    message: { state: true },
    resetting: { state: true },
    busy: { state: true },
    locks: { state: true },
  };

  declare users: AdminUser[];
  declare error: string;
  declare message: string;
  /** The id of the user whose password-reset form is open. */
  declare resetting: string | null;
  declare busy: boolean;
  declare locks: LoginLocks | null;

  constructor() {
    super();
    this.users = [];
    this.error = '';
    this.message = '';
    this.resetting = null;
    this.busy = false;
    this.locks = null;
  }

  static override styles = [panelStyles, formStyles];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      [this.users, this.locks] = await Promise.all([listUsers(), listLoginLocks()]);
    } catch (err) {
      this.error = plainError(err);
    }
  }

  override render() {
    const me = currentUser();
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
      ${this.renderLocks()}
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
