/**
 * The admin view (role admin only; the API refuses anyone else anyway): the users table (username,
 * role, disabled) with a create-user form, disable/enable, reset password and change role, and below
 * it the admin's own API keys. API errors are shown in plain words with their code.
 */
import { LitElement, html } from 'lit';
import { panelStyles } from './shared-styles.js';
import { formStyles } from './mx-admin-styles.js';
import { createUser, currentUser, listUsers, plainError, updateUser, type AdminUser } from './api.js';
import './mx-api-keys.js';

type Role = 'admin' | 'user';

export class MxAdmin extends LitElement {
  static override properties = {
    users: { state: true },
    error: { state: true },
    message: { state: true },
    resetting: { state: true },
    busy: { state: true },
  };

  declare users: AdminUser[];
  declare error: string;
  declare message: string;
  /** The id of the user whose password-reset form is open. */
  declare resetting: string | null;
  declare busy: boolean;

  constructor() {
    super();
    this.users = [];
    this.error = '';
    this.message = '';
    this.resetting = null;
    this.busy = false;
  }

  static override styles = [panelStyles, formStyles];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.users = await listUsers();
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
          <label>New user's password <input name="password" type="password" required autocomplete="new-password" /></label>
          <label>New user's role
            <select name="role"><option value="user" selected>user</option><option value="admin">admin</option></select>
          </label>
          <button type="submit" ?disabled=${this.busy}>Create user</button>
        </form>
        <div class="scroll"><table class="cards">
          <thead><tr><th scope="col">Username</th><th scope="col">Role</th><th scope="col">Disabled</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            ${this.users.map((u) => {
              const self = me?.id === u.id;
              return html`<tr data-user=${u.username} data-disabled=${String(u.disabled)}>
                <td data-label="User"><strong>${u.username}</strong>${self ? ' (you)' : ''}</td>
                <td data-label="Role">
                  <select aria-label="role of ${u.username}" .value=${u.role} ?disabled=${self} @change=${(e: Event) => this.setRole(u, (e.target as HTMLSelectElement).value as Role)}>
                    <option value="user" ?selected=${u.role === 'user'}>user</option>
                    <option value="admin" ?selected=${u.role === 'admin'}>admin</option>
                  </select>
                </td>
                <td class="disabled" data-label="Disabled">${u.disabled ? 'yes' : 'no'}</td>
                <td>
                  <div class="row">
                    <button type="button" ?disabled=${self} @click=${() => this.setDisabled(u, !u.disabled)} aria-label="${u.disabled ? 'enable' : 'disable'} ${u.username}">
                      ${u.disabled ? 'Enable' : 'Disable'}
                    </button>
                    <button type="button" @click=${() => this.openReset(u)} aria-expanded=${String(this.resetting === u.id)} aria-label="reset the password of ${u.username}">Reset password</button>
                  </div>
                  ${
                    this.resetting === u.id
                      ? html`<form class="row" @submit=${(e: SubmitEvent) => this.reset(e, u)}>
                        <label>New password for ${u.username} <input name="password" type="password" required autocomplete="new-password" /></label>
                        ${
                          self
                            ? html`<label>Your current password <input name="currentPassword" type="password" required autocomplete="current-password" /></label>`
                            : null
                        }
                        <button type="submit">Save password</button>
                        <button type="button" @click=${() => (this.resetting = null)}>Cancel</button>
                      </form>`
                      : null
                  }
                </td>
              </tr>`;
            })}
          </tbody>
        </table></div>
      </section>
      <mx-api-keys></mx-api-keys>
    </div>`;
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
    return this.run(() => updateUser(u.id, { role }), `${u.username} is now ${role === 'admin' ? 'an admin' : 'a user'}`);
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
