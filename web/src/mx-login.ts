/** The sign-in overlay: username and password, the API's message on failure or lockout. */
import { LitElement, css, html } from 'lit';
import { ApiError, login } from './api.js';

export class MxLogin extends LitElement {
  static override properties = {
    notice: { type: String },
    error: { state: true },
    busy: { state: true },
  };

  /** A message from outside, e.g. "your session ended". */
  declare notice: string;
  declare error: string;
  declare busy: boolean;

  constructor() {
    super();
    this.notice = '';
    this.error = '';
    this.busy = false;
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
  `;

  override render() {
    return html`
      <form @submit=${this.submit} aria-labelledby="login-title" novalidate>
        <h1 id="login-title">Sign in to MedExtract</h1>
        ${this.notice && !this.error ? html`<p class="notice" role="status">${this.notice}</p>` : null}
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : null}
        <label>Username <input name="username" autocomplete="username" required autofocus /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
        <button type="submit" ?disabled=${this.busy}>${this.busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    `;
  }

  override firstUpdated(): void {
    this.renderRoot.querySelector<HTMLInputElement>('input[name="username"]')?.focus();
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
      await login(username, password);
      form.reset();
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
}

customElements.define('mx-login', MxLogin);

declare global {
  interface HTMLElementTagNameMap {
    'mx-login': MxLogin;
  }
}
