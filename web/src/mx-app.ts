/** The shell: header with the signed-in user and Logout; the login overlay until someone signs in. */
import { LitElement, css, html } from 'lit';
import { currentUser, logout, session, type User } from './api.js';
import './mx-login.js';
import './mx-upload.js';
import './mx-jobs.js';
import type { MxJobs } from './mx-jobs.js';

export class MxApp extends LitElement {
  static override properties = {
    user: { state: true },
    notice: { state: true },
  };

  declare user: User | null;
  declare notice: string;

  constructor() {
    super();
    this.user = currentUser();
    this.notice = '';
  }

  static override styles = css`
    :host {
      display: block;
      min-height: 100vh;
    }
    header {
      display: flex;
      align-items: center;
      gap: 1rem;
      padding: 0.6rem 1.25rem;
      background: var(--mx-header, #0f172a);
      color: #f8fafc;
    }
    header h1 {
      font-size: 1.1rem;
      margin: 0;
      margin-right: auto;
    }
    .who {
      font-size: 0.9rem;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    button {
      font: inherit;
      padding: 0.35rem 0.8rem;
      border-radius: 4px;
      border: 1px solid #cbd5e1;
      background: transparent;
      color: inherit;
      cursor: pointer;
    }
    button:focus-visible {
      outline: 3px solid var(--mx-focus, #60a5fa);
      outline-offset: 2px;
    }
    main {
      max-width: 75rem;
      margin: 0 auto;
      padding: 1rem 1.25rem 2rem;
      display: grid;
      gap: 1.25rem;
    }
  `;

  private readonly onEnded = (e: Event) => {
    this.notice = (e as CustomEvent<string>).detail;
    this.user = null;
  };
  private readonly onSignedIn = (e: Event) => {
    this.notice = '';
    this.user = (e as CustomEvent<User>).detail;
  };

  override connectedCallback(): void {
    super.connectedCallback();
    session.addEventListener('session-ended', this.onEnded);
    session.addEventListener('signed-in', this.onSignedIn);
  }

  override disconnectedCallback(): void {
    session.removeEventListener('session-ended', this.onEnded);
    session.removeEventListener('signed-in', this.onSignedIn);
    super.disconnectedCallback();
  }

  override render() {
    const u = this.user;
    return html`
      <header>
        <h1>MedExtract</h1>
        ${u
          ? html`<span class="who" aria-label="signed in as">${u.username} (${u.role})</span>
              <button type="button" @click=${this.signOut}>Logout</button>`
          : null}
      </header>
      ${u
        ? html`<main>
            <mx-upload @uploaded=${this.refreshJobs}></mx-upload>
            <mx-jobs></mx-jobs>
          </main>`
        : html`<mx-login .notice=${this.notice}></mx-login>`}
    `;
  }

  private refreshJobs(): void {
    void this.renderRoot.querySelector<MxJobs>('mx-jobs')?.refresh();
  }

  private async signOut(): Promise<void> {
    await logout();
    this.notice = 'you are signed out';
    this.user = null;
  }
}

customElements.define('mx-app', MxApp);

declare global {
  interface HTMLElementTagNameMap {
    'mx-app': MxApp;
  }
}
