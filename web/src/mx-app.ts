/**
 * The shell: header with the signed-in user and Logout; the login overlay until someone signs in;
 * then upload + jobs, or the result view of one job (the jobs stay mounted, hidden, so they keep updating).
 */
import { LitElement, css, html } from 'lit';
import { currentUser, logout, session, type Job, type User } from './api.js';
import './mx-login.js';
import './mx-upload.js';
import './mx-jobs.js';
import './mx-result.js';
import './mx-admin.js';
import './mx-api-keys.js';
import './mx-account.js';
import './mx-audit.js';
import type { MxJobs } from './mx-jobs.js';

type Page = 'jobs' | 'account' | 'keys' | 'admin' | 'audit';

export class MxApp extends LitElement {
  static override properties = {
    user: { state: true },
    notice: { state: true },
    viewing: { state: true },
    page: { state: true },
  };

  declare user: User | null;
  declare notice: string;
  declare viewing: Job | null;
  /** Which screen is shown: the jobs (default), the user's account or API keys, or (admins) user administration and the audit log. */
  declare page: Page;

  constructor() {
    super();
    this.user = currentUser();
    this.notice = '';
    this.viewing = null;
    this.page = 'jobs';
  }

  static override styles = css`
    :host {
      display: block;
      min-height: 100vh;
    }
    header {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.5rem 1rem;
      padding: 0.6rem 1.25rem;
      background: var(--mx-header, #0f172a);
      color: #f8fafc;
    }
    header h1 {
      font-size: 1.1rem;
      margin: 0;
      margin-right: auto;
    }
    nav {
      display: flex;
      gap: 0.5rem;
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
    [hidden] {
      display: none !important;
    }
    main {
      max-width: 75rem;
      margin: 0 auto;
      padding: 1rem 1.25rem 2rem;
      display: grid;
      /* minmax(0, …): a wide table scrolls inside its panel instead of widening the page */
      grid-template-columns: minmax(0, 1fr);
      gap: 1.25rem;
    }
    @media (max-width: 560px) {
      header {
        padding: 0.5rem 0.75rem;
        gap: 0.4rem 0.5rem;
      }
      button {
        padding: 0.3rem 0.55rem;
      }
      /* the signed-in user gets a line of their own under the title and the buttons */
      .who {
        order: 1;
        flex-basis: 100%;
      }
      main {
        padding: 0.75rem 0.5rem 1.5rem;
      }
    }
  `;

  private readonly onEnded = (e: Event) => {
    this.notice = (e as CustomEvent<string>).detail;
    this.user = null;
    this.viewing = null;
    this.page = 'jobs';
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
        ${
          u
            ? html`<span class="who" aria-label="signed in as">${u.username} (${u.role})</span>
              <nav aria-label="screens">
                ${this.page !== 'jobs' ? html`<button type="button" @click=${() => this.go('jobs')}>Jobs</button>` : null}
                ${this.navButton('account', 'Account')} ${this.navButton('keys', 'API keys')}
                ${u.role === 'admin' ? html`${this.navButton('admin', 'Admin')} ${this.navButton('audit', 'Audit log')}` : null}
                ${u.role === 'reviewer' ? this.navButton('admin', 'Review figures') : null}
              </nav>
              <button type="button" @click=${this.signOut}>Logout</button>`
            : null
        }
      </header>
      ${
        u
          ? html`<main>
            ${this.page === 'admin' && (u.role === 'admin' || u.role === 'reviewer') ? html`<mx-admin></mx-admin>` : null}
            ${this.page === 'audit' && u.role === 'admin' ? html`<mx-audit></mx-audit>` : null}
            ${this.page === 'keys' ? html`<mx-api-keys></mx-api-keys>` : null}
            ${this.page === 'account' ? html`<mx-account .user=${u}></mx-account>` : null}
            ${this.viewing && this.page === 'jobs' ? html`<mx-result .job=${this.viewing} @close=${this.closeResult} @view-result=${this.openResult}></mx-result>` : null}
            <mx-upload ?hidden=${this.viewing !== null || this.page !== 'jobs'} @uploaded=${this.refreshJobs}></mx-upload>
            <mx-jobs ?hidden=${this.viewing !== null || this.page !== 'jobs'} @view-result=${this.openResult}></mx-jobs>
          </main>`
          : html`<mx-login .notice=${this.notice}></mx-login>`
      }
    `;
  }

  private navButton(page: Page, label: string) {
    return html`<button type="button" aria-pressed=${String(this.page === page)} @click=${() => this.go(page)}>${label}</button>`;
  }

  private go(page: Page): void {
    this.page = page;
  }

  private refreshJobs(): void {
    void this.renderRoot.querySelector<MxJobs>('mx-jobs')?.refresh();
  }

  private openResult(e: CustomEvent<Job>): void {
    this.viewing = e.detail;
  }

  private async closeResult(): Promise<void> {
    const id = this.viewing?.id;
    this.viewing = null;
    await this.updateComplete;
    if (id) this.renderRoot.querySelector<MxJobs>('mx-jobs')?.focusView(id);
  }

  private async signOut(): Promise<void> {
    // The app leaves the signed-in pages first: a jobs list shown while the session is being revoked would
    // ask for jobs with a token the server has just ended (a 401 in the console).
    this.viewing = null;
    this.page = 'jobs';
    this.user = null;
    this.notice = 'you are signed out';
    await logout();
  }
}

customElements.define('mx-app', MxApp);

declare global {
  interface HTMLElementTagNameMap {
    'mx-app': MxApp;
  }
}
