/**
 * The sign-in overlay: username and password, the API's message on failure or lockout; then, for an
 * account with a second factor, the code from the authenticator app (or a recovery code); or, for an
 * administrator who must set one up first, the QR code and secret, a first code, and the recovery codes
 * (shown once, before the app opens).
 */
import { LitElement, css, html } from 'lit';
import { ApiError, announceSignedIn, login, loginConfirm, loginEnrol, loginWithCode, type MfaEnrolment, type User } from './api.js';

type Stage = 'password' | 'code' | 'enrol' | 'codes';

/** A text field's trimmed value ('' when absent). */
function textField(form: HTMLFormElement, name: string): string {
  const v = new FormData(form).get(name);
  return typeof v === 'string' ? v.trim() : '';
}

export class MxLogin extends LitElement {
  static override properties = {
    notice: { type: String },
    error: { state: true },
    busy: { state: true },
    stage: { state: true },
    useRecovery: { state: true },
    enrolment: { state: true },
    recoveryCodes: { state: true },
    copied: { state: true },
  };

  /** A message from outside, e.g. "your session ended". */
  declare notice: string;
  declare error: string;
  declare busy: boolean;
  declare stage: Stage;
  /** On the code step: a recovery code instead of the app's code. */
  declare useRecovery: boolean;
  declare enrolment: MfaEnrolment | null;
  declare recoveryCodes: string[];
  declare copied: boolean;
  private challengeToken = '';
  private enrolledUser: User | null = null;

  constructor() {
    super();
    this.notice = '';
    this.error = '';
    this.busy = false;
    this.stage = 'password';
    this.useRecovery = false;
    this.enrolment = null;
    this.recoveryCodes = [];
    this.copied = false;
  }

  static override styles = css`
    :host {
      position: fixed;
      inset: 0;
      display: grid;
      place-items: center;
      background: var(--mx-overlay, rgb(15 23 42 / 0.55));
      z-index: 10;
      padding: 1rem;
    }
    form {
      background: var(--mx-surface, #fff);
      border-radius: 8px;
      padding: 1.5rem;
      width: min(22rem, 100%);
      box-shadow: 0 10px 30px rgb(0 0 0 / 0.25);
      display: grid;
      gap: 0.75rem;
    }
    h1 {
      margin: 0 0 0.25rem;
      font-size: 1.25rem;
    }
    label {
      display: grid;
      gap: 0.25rem;
      font-weight: 600;
      font-size: 0.9rem;
    }
    input {
      font: inherit;
      padding: 0.5rem;
      border: 1px solid var(--mx-border, #94a3b8);
      border-radius: 4px;
    }
    input:focus-visible,
    button:focus-visible {
      outline: 3px solid var(--mx-focus, #2563eb);
      outline-offset: 1px;
    }
    button {
      font: inherit;
      padding: 0.55rem;
      border: 0;
      border-radius: 4px;
      background: var(--mx-primary, #1d4ed8);
      color: #fff;
      cursor: pointer;
    }
    button[disabled] {
      opacity: 0.6;
      cursor: progress;
    }
    .error,
    .notice {
      margin: 0;
      padding: 0.5rem;
      border-radius: 4px;
      font-size: 0.9rem;
    }
    .error {
      background: #fee2e2;
      color: #7f1d1d;
    }
    .notice {
      background: #e0f2fe;
      color: #0c4a6e;
    }
    p.help {
      margin: 0;
      font-size: 0.9rem;
    }
    button.link {
      background: none;
      color: var(--mx-primary, #1d4ed8);
      text-decoration: underline;
      padding: 0.25rem;
    }
    .qr {
      justify-self: center;
      width: 200px;
      height: 200px;
    }
    code.secret,
    ol.codes {
      font-family: ui-monospace, monospace;
      word-break: break-all;
    }
    ol.codes {
      margin: 0;
      columns: 2;
    }
  `;

  override render() {
    const messages = html`${this.notice && !this.error && this.stage === 'password' ? html`<p class="notice" role="status">${this.notice}</p>` : null}
    ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : null}`;
    if (this.stage === 'code') {
      return html`
        <form @submit=${this.submitCode} aria-labelledby="login-title" novalidate>
          <h1 id="login-title">Second step</h1>
          ${messages}
          ${
            this.useRecovery
              ? html`<label>Recovery code <input name="recoveryCode" autocomplete="off" autocapitalize="off" spellcheck="false" required /></label>
                <p class="help">Each recovery code works once.</p>`
              : html`<label
                  >Authentication code
                  <input name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" required
                /></label>
                <p class="help">The 6-digit code your authenticator app shows for MedExtract.</p>`
          }
          <button type="submit" ?disabled=${this.busy}>${this.busy ? 'Checking…' : 'Verify'}</button>
          <button type="button" class="link" @click=${this.toggleRecovery}>${this.useRecovery ? 'Use the code from the app' : 'Use a recovery code'}</button>
          <button type="button" class="link" @click=${this.restart}>Back to sign in</button>
        </form>
      `;
    }
    if (this.stage === 'enrol') {
      const e = this.enrolment;
      return html`
        <form @submit=${this.submitEnrolment} aria-labelledby="login-title" novalidate>
          <h1 id="login-title">Set up a second factor</h1>
          <p class="help">Administrators must use an authenticator app here. Scan the QR code with it, or type the secret, then enter the code it shows.</p>
          ${messages}
          ${
            e
              ? html`<img class="qr" src=${e.qrDataUrl} alt="QR code for your authenticator app" />
                <p class="help">Secret: <code class="secret">${e.secret}</code></p>
                <label>Code from the app <input name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" required /></label>
                <button type="submit" ?disabled=${this.busy}>${this.busy ? 'Checking…' : 'Confirm'}</button>`
              : html`<p class="help" role="status">Preparing…</p>`
          }
          <button type="button" class="link" @click=${this.restart}>Back to sign in</button>
        </form>
      `;
    }
    if (this.stage === 'codes') {
      return html`
        <form @submit=${this.finish} aria-labelledby="login-title" novalidate>
          <h1 id="login-title">Your recovery codes</h1>
          <p class="help">
            Each signs you in once if you lose your authenticator. They are shown only now: copy them somewhere safe.
          </p>
          <ol class="codes" aria-label="Recovery codes">
            ${this.recoveryCodes.map((c) => html`<li>${c}</li>`)}
          </ol>
          <button type="button" class="link" @click=${this.copyCodes}>Copy the codes</button>
          ${this.copied ? html`<p class="notice" role="status">Copied.</p>` : null} ${messages}
          <button type="submit">I have saved them — continue</button>
        </form>
      `;
    }
    return html`
      <form @submit=${this.submit} aria-labelledby="login-title" novalidate>
        <h1 id="login-title">Sign in to MedExtract</h1>
        ${messages}
        <label>Username <input name="username" autocomplete="username" required autofocus /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
        <button type="submit" ?disabled=${this.busy}>${this.busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    `;
  }

  override firstUpdated(): void {
    this.renderRoot.querySelector<HTMLInputElement>('input[name="username"]')?.focus();
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('stage') || changed.has('useRecovery') || changed.has('enrolment')) {
      this.renderRoot.querySelector<HTMLInputElement>('input[name="code"], input[name="recoveryCode"]')?.focus();
    }
  }

  private async submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const field = (name: string): string => {
      const v = data.get(name);
      return typeof v === 'string' ? v : '';
    };
    const username = field('username').trim();
    const password = field('password');
    if (!username || !password) {
      this.error = 'enter your username and password';
      return;
    }
    this.busy = true;
    this.error = '';
    try {
      const step = await login(username, password);
      form.reset();
      if (step.step !== 'signed-in') {
        this.challengeToken = step.challengeToken;
        this.useRecovery = false;
        this.stage = step.step === 'mfa' ? 'code' : 'enrol';
        if (step.step === 'enrol') await this.startEnrolment();
      }
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'sign-in failed; try again';
      const pw = form.querySelector<HTMLInputElement>('input[name="password"]');
      if (pw) {
        pw.value = '';
        pw.focus();
      }
    } finally {
      this.busy = false;
    }
  }

  private async startEnrolment(): Promise<void> {
    try {
      this.enrolment = await loginEnrol(this.challengeToken);
    } catch (err) {
      this.failStep(err);
    }
  }

  private async submitCode(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const value = textField(form, this.useRecovery ? 'recoveryCode' : 'code');
    if (!value) {
      this.error = this.useRecovery ? 'enter one of your recovery codes' : 'enter the 6-digit code from your authenticator app';
      return;
    }
    this.busy = true;
    this.error = '';
    try {
      await loginWithCode(this.challengeToken, this.useRecovery ? { recoveryCode: value } : { code: value });
      this.reset();
    } catch (err) {
      this.failStep(err);
      form.reset();
    } finally {
      this.busy = false;
    }
  }

  private async submitEnrolment(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const code = textField(form, 'code');
    if (!code) {
      this.error = 'enter the 6-digit code from your authenticator app';
      return;
    }
    this.busy = true;
    this.error = '';
    try {
      const done = await loginConfirm(this.challengeToken, code);
      this.enrolledUser = done.user;
      this.recoveryCodes = done.recoveryCodes;
      this.enrolment = null;
      this.stage = 'codes';
    } catch (err) {
      this.failStep(err);
      form.reset();
    } finally {
      this.busy = false;
    }
  }

  /** A wrong code stays on this step; an expired challenge goes back to the password. */
  private failStep(err: unknown): void {
    this.error = err instanceof ApiError ? err.message : 'that did not work; try again';
    if (err instanceof ApiError && err.code === 'Unauthorized') {
      const message = this.error;
      this.reset();
      this.error = message;
    }
  }

  private toggleRecovery(): void {
    this.useRecovery = !this.useRecovery;
    this.error = '';
  }

  private async copyCodes(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.recoveryCodes.join('\n'));
      this.error = '';
      this.copied = true;
    } catch {
      this.error = 'the browser did not allow copying; select the codes and copy them by hand';
    }
  }

  private finish(e: SubmitEvent): void {
    e.preventDefault();
    const user = this.enrolledUser;
    this.reset();
    if (user) announceSignedIn(user);
  }

  private restart(): void {
    this.reset();
  }

  private reset(): void {
    this.stage = 'password';
    this.challengeToken = '';
    this.enrolment = null;
    this.recoveryCodes = [];
    this.copied = false;
    this.enrolledUser = null;
    this.useRecovery = false;
    this.error = '';
  }
}

customElements.define('mx-login', MxLogin);

declare global {
  interface HTMLElementTagNameMap {
    'mx-login': MxLogin;
  }
}
