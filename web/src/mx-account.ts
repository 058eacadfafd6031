/**
 * The signed-in user's account: password change (the rule shown before the first attempt) and the
 * second factor (TOTP): its state, enrolment (QR code, secret, a first code, then the recovery codes
 * shown once with a copy button) and turning it off (password and a code).
 */
import { LitElement, css, html } from 'lit';
import { buttonStyles, panelStyles } from './shared-styles.js';
import {
  changePassword,
  confirmMfa,
  disableMfa,
  enrolMfa,
  getMfaStatus,
  PASSWORD_RULE,
  plainError,
  type MfaEnrolment,
  type MfaStatus,
  type User,
} from './api.js';

export class MxAccount extends LitElement {
  static override properties = {
    user: { attribute: false },
    mfa: { state: true },
    enrolment: { state: true },
    recoveryCodes: { state: true },
    passwordMessage: { state: true },
    passwordError: { state: true },
    mfaMessage: { state: true },
    mfaError: { state: true },
    busy: { state: true },
  };
  declare user: User | null;
  declare mfa: MfaStatus | null;
  declare enrolment: MfaEnrolment | null;
  /** Shown once, right after the second factor is turned on. */
  declare recoveryCodes: string[];
  declare passwordMessage: string;
  declare passwordError: string;
  declare mfaMessage: string;
  declare mfaError: string;
  declare busy: boolean;

  constructor() {
    super();
    this.user = null;
    this.mfa = null;
    this.enrolment = null;
    this.recoveryCodes = [];
    this.passwordMessage = '';
    this.passwordError = '';
    this.mfaMessage = '';
    this.mfaError = '';
    this.busy = false;
  }

  static override styles = [
    panelStyles,
    buttonStyles,
    css`
      section + section {
        margin-top: 1rem;
      }
      form {
        display: grid;
        gap: 0.6rem;
        max-width: 26rem;
      }
      label {
        display: grid;
        gap: 0.2rem;
        font-weight: 600;
        font-size: 0.9rem;
      }
      input {
        font: inherit;
        padding: 0.4rem;
        border: 1px solid var(--mx-border, #94a3b8);
        border-radius: 4px;
      }
      .help {
        margin: 0;
        font-size: 0.85rem;
        color: var(--mx-muted, #475569);
      }
      .ok,
      .error {
        margin: 0;
        padding: 0.4rem;
        border-radius: 4px;
        font-size: 0.9rem;
      }
      .ok {
        background: #dcfce7;
        color: #14532d;
      }
      .error {
        background: #fee2e2;
        color: #7f1d1d;
      }
      img.qr {
        width: 200px;
        height: 200px;
      }
      code,
      ol.codes {
        font-family: ui-monospace, monospace;
        word-break: break-all;
      }
      ol.codes {
        columns: 2;
        margin: 0;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.loadMfa();
  }

  private async loadMfa(): Promise<void> {
    try {
      this.mfa = await getMfaStatus();
    } catch (err) {
      this.mfaError = plainError(err);
    }
  }

  override render() {
    return html`
      <section aria-labelledby="account-h">
        <h2 id="account-h">Account${this.user ? html` — ${this.user.username}` : null}</h2>
        <h3 id="password-h">Change password</h3>
        <form @submit=${this.submitPassword} aria-labelledby="password-h">
          <label>Current password <input name="current" type="password" autocomplete="current-password" required /></label>
          <label
            >New password
            <input name="new" type="password" autocomplete="new-password" required aria-describedby="password-rule" />
          </label>
          <p class="help" id="password-rule">${PASSWORD_RULE}</p>
          ${this.passwordError ? html`<p class="error" role="alert">${this.passwordError}</p>` : null}
          ${this.passwordMessage ? html`<p class="ok" role="status">${this.passwordMessage}</p>` : null}
          <div><button type="submit" ?disabled=${this.busy}>Change password</button></div>
        </form>
      </section>
      <section aria-labelledby="mfa-h">
        <h3 id="mfa-h">Second factor (authenticator app)</h3>
        ${this.mfaError ? html`<p class="error" role="alert">${this.mfaError}</p>` : null}
        ${this.mfaMessage ? html`<p class="ok" role="status">${this.mfaMessage}</p>` : null} ${this.renderMfa()}
      </section>
    `;
  }

  private renderMfa() {
    const mfa = this.mfa;
    if (!mfa) return html`<p class="help">Loading…</p>`;
    if (this.recoveryCodes.length) {
      return html`
        <p class="help">Your recovery codes: each signs you in once if you lose your authenticator. They are shown only now; keep them somewhere safe.</p>
        <ol class="codes" aria-label="Recovery codes">
          ${this.recoveryCodes.map((c) => html`<li>${c}</li>`)}
        </ol>
        <p><button type="button" @click=${this.copyCodes}>Copy the codes</button> <button type="button" @click=${this.doneWithCodes}>Done</button></p>
      `;
    }
    if (this.enrolment) {
      const e = this.enrolment;
      return html`
        <form @submit=${this.submitConfirm} aria-label="Confirm the second factor">
          <p class="help">Scan the QR code with your authenticator app (or type the secret), then enter the code it shows.</p>
          <img class="qr" src=${e.qrDataUrl} alt="QR code for your authenticator app" />
          <p class="help">Secret: <code class="secret">${e.secret}</code></p>
          <label>Code from the app <input name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" required /></label>
          <div>
            <button type="submit" ?disabled=${this.busy}>Turn on</button>
            <button type="button" @click=${() => (this.enrolment = null)}>Cancel</button>
          </div>
        </form>
      `;
    }
    if (!mfa.enabled) {
      return html`
        <p>Off: your password alone signs you in.${mfa.required ? ' Administrators must set one up.' : ''}</p>
        <form @submit=${this.submitEnrol} aria-label="Set up a second factor">
          <label>Your password (to set up) <input name="password" type="password" autocomplete="current-password" required /></label>
          <div><button type="submit" ?disabled=${this.busy}>Set up a second factor</button></div>
        </form>
      `;
    }
    return html`
      <p>On since ${mfa.enabledAt ? new Date(mfa.enabledAt).toLocaleString() : '—'}; ${mfa.recoveryCodesLeft} recovery codes left.</p>
      ${
        mfa.required
          ? html`<p class="help">Administrators must keep a second factor here.</p>`
          : html`<form @submit=${this.submitDisable} aria-label="Turn off the second factor">
            <label>Your password (to turn off) <input name="password" type="password" autocomplete="current-password" required /></label>
            <label
              >Code from the app, or a recovery code
              <input name="code" autocomplete="one-time-code" autocapitalize="off" spellcheck="false" required
            /></label>
            <div><button type="submit" class="danger" ?disabled=${this.busy}>Turn off the second factor</button></div>
          </form>`
      }
    `;
  }

  private fields(e: SubmitEvent): { form: HTMLFormElement; get: (name: string) => string } {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    return {
      form,
      get: (name) => {
        const v = data.get(name);
        return typeof v === 'string' ? v : '';
      },
    };
  }

  private async run(work: () => Promise<void>, onError: (message: string) => void): Promise<void> {
    this.busy = true;
    try {
      await work();
    } catch (err) {
      onError(plainError(err));
    } finally {
      this.busy = false;
    }
  }

  private async submitPassword(e: SubmitEvent): Promise<void> {
    const { form, get } = this.fields(e);
    this.passwordError = '';
    this.passwordMessage = '';
    await this.run(
      async () => {
        await changePassword(get('current'), get('new'));
        form.reset();
        this.passwordMessage = 'Password changed. Your other sessions and your API keys have ended.';
      },
      (m) => (this.passwordError = m),
    );
  }

  private async submitEnrol(e: SubmitEvent): Promise<void> {
    const { form, get } = this.fields(e);
    this.mfaError = '';
    this.mfaMessage = '';
    await this.run(
      async () => {
        this.enrolment = await enrolMfa(get('password'));
        form.reset();
      },
      (m) => (this.mfaError = m),
    );
  }

  private async submitConfirm(e: SubmitEvent): Promise<void> {
    const { form, get } = this.fields(e);
    this.mfaError = '';
    await this.run(
      async () => {
        this.recoveryCodes = await confirmMfa(get('code').trim());
        this.enrolment = null;
        this.mfaMessage = 'The second factor is on. Your other sessions have ended.';
        await this.loadMfa();
      },
      (m) => {
        this.mfaError = m;
        form.reset();
      },
    );
  }

  private async submitDisable(e: SubmitEvent): Promise<void> {
    const { form, get } = this.fields(e);
    const code = get('code').trim();
    this.mfaError = '';
    this.mfaMessage = '';
    await this.run(
      async () => {
        await disableMfa(get('password'), /^\d{6}$/.test(code) ? { code } : { recoveryCode: code });
        form.reset();
        this.mfaMessage = 'The second factor is off.';
        await this.loadMfa();
      },
      (m) => (this.mfaError = m),
    );
  }

  private async copyCodes(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.recoveryCodes.join('\n'));
      this.mfaMessage = 'Recovery codes copied.';
    } catch {
      this.mfaError = 'the browser did not allow copying; select the codes and copy them by hand';
    }
  }

  private doneWithCodes(): void {
    this.recoveryCodes = [];
  }
}

customElements.define('mx-account', MxAccount);

declare global {
  interface HTMLElementTagNameMap {
    'mx-account': MxAccount;
  }
}
