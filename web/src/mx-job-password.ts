/**
 * `<mx-job-password .job=${job}>`: the "Enter password" button of a job whose PDF could not be opened
 * (failed PasswordRequired or PasswordIncorrect). It opens a small form; submitting sends the password
 * (POST /jobs/:id/password), which restarts the job, and the element then fires `job-restarted`
 * (bubbling, composed; detail: the job view, now queued) so the list can follow the job again. The
 * API's refusal is shown in plain words beside the form. The password is read from the field only when
 * sent and the field is emptied afterwards: it is kept nowhere in the page.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { PasswordFailure } from '../../api/contract/job-password.js';
import { plainError, type Job } from './api.js';
import { submitJobPassword } from './api-password.js';
import { buttonStyles } from './shared-styles.js';

/** The failures a password can cure (the Record makes a new one a type error until it is worded). */
const CURABLE: Record<PasswordFailure, string> = {
  PasswordRequired: 'The PDF is encrypted. Enter its password to process it.',
  PasswordIncorrect: 'That password did not open the PDF. Enter the right one.',
};

export const JOB_RESTARTED = 'job-restarted';

/** Does this job wait for a password (so the element has something to offer)? */
export function needsPassword(job: Pick<Job, 'status' | 'error'> | undefined): boolean {
  return job?.status === 'failed' && !!job.error && job.error.code in CURABLE;
}

export class MxJobPassword extends LitElement {
  static override properties = {
    job: { attribute: false },
    open: { state: true },
    busy: { state: true },
    error: { state: true },
  };

  declare job: Job | undefined;
  declare open: boolean;
  declare busy: boolean;
  declare error: string;

  constructor() {
    super();
    this.job = undefined;
    this.open = false;
    this.busy = false;
    this.error = '';
  }

  static override styles = [
    buttonStyles,
    css`
      :host {
        display: inline-block;
      }
      form {
        display: grid;
        gap: 0.4rem;
        margin-top: 0.35rem;
        padding: 0.5rem;
        border: 1px solid var(--mx-border, #94a3b8);
        border-radius: 6px;
        background: var(--mx-surface, #fff);
        max-width: 22rem;
      }
      label {
        display: grid;
        gap: 0.2rem;
        font-size: 0.85rem;
        font-weight: 600;
      }
      .hint {
        margin: 0;
        font-size: 0.85rem;
        font-weight: 400;
        color: var(--mx-muted, #475569);
      }
      input {
        font: inherit;
        padding: 0.3rem;
        border: 1px solid var(--mx-border, #94a3b8);
        border-radius: 4px;
      }
      input:focus-visible {
        outline: 3px solid var(--mx-focus, #2563eb);
        outline-offset: 1px;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem;
      }
      .error {
        margin: 0;
        font-size: 0.85rem;
        color: #7f1d1d;
        background: #fee2e2;
        border-radius: 4px;
        padding: 0.3rem 0.4rem;
      }
    `,
  ];

  /** A list may hand this element another job (rows are reused): a form open for the earlier one closes. */
  override willUpdate(changed: Map<string, unknown>): void {
    const before = changed.get('job') as Job | undefined;
    if (changed.has('job') && (before?.id !== this.job?.id || !needsPassword(this.job))) {
      const f = this.field();
      if (f) f.value = '';
      this.open = false;
      this.busy = false;
      this.error = '';
    }
  }

  override render() {
    const job = this.job;
    if (!job || !needsPassword(job)) return nothing;
    if (!this.open) {
      return html`<button type="button" class="enter" @click=${this.show} aria-haspopup="true">Enter password</button>`;
    }
    const inputId = `pw-${job.id}`;
    return html`<form @submit=${this.send} @keydown=${this.keydown} aria-busy=${this.busy ? 'true' : 'false'}>
      <label for=${inputId}
        >Password of “${job.filename}”
        <span class="hint">${CURABLE[job.error!.code as PasswordFailure]}</span>
      </label>
      <input id=${inputId} name="password" type="password" autocomplete="off" required maxlength="1024" ?disabled=${this.busy} />
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="actions">
        <button type="submit" ?disabled=${this.busy}>${this.busy ? 'Restarting…' : 'Restart with this password'}</button>
        <button type="button" @click=${this.hide} ?disabled=${this.busy}>Cancel</button>
      </div>
    </form>`;
  }

  private field(): HTMLInputElement | null {
    return this.renderRoot.querySelector<HTMLInputElement>('input[name="password"]');
  }

  private async show(): Promise<void> {
    this.open = true;
    this.error = '';
    await this.updateComplete;
    this.field()?.focus();
  }

  private async hide(): Promise<void> {
    const f = this.field();
    if (f) f.value = '';
    this.open = false;
    this.error = '';
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLButtonElement>('button.enter')?.focus();
  }

  private keydown(e: KeyboardEvent): void {
    if (e.key === 'Escape' && !this.busy) {
      e.stopPropagation();
      void this.hide();
    }
  }

  private async send(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const job = this.job;
    const f = this.field();
    if (!job || !f || this.busy) return;
    const password = f.value;
    if (!password) {
      this.error = 'enter the password first';
      return;
    }
    this.busy = true;
    this.error = '';
    try {
      const restarted = await submitJobPassword(job.id, password);
      f.value = '';
      this.open = false;
      this.dispatchEvent(new CustomEvent<Job>(JOB_RESTARTED, { detail: restarted, bubbles: true, composed: true }));
      this.busy = false;
    } catch (err) {
      this.busy = false;
      this.error = plainError(err);
      await this.updateComplete;
      this.field()?.select();
    }
  }
}

customElements.define('mx-job-password', MxJobPassword);

declare global {
  interface HTMLElementTagNameMap {
    'mx-job-password': MxJobPassword;
  }
  interface HTMLElementEventMap {
    'job-restarted': CustomEvent<Job>;
  }
}
