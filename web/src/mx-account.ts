/** The signed-in user's account: password change and the second factor (TOTP) with its recovery codes. */
import { LitElement, html } from 'lit';
import { panelStyles } from './shared-styles.js';
import type { User } from './api.js';

export class MxAccount extends LitElement {
  static override properties = { user: { attribute: false } };
  declare user: User | null;

  constructor() {
    super();
    this.user = null;
  }

  static override styles = [panelStyles];

  override render() {
    return html`<section aria-labelledby="account-h"><h2 id="account-h">Account</h2></section>`;
  }
}

customElements.define('mx-account', MxAccount);

declare global {
  interface HTMLElementTagNameMap {
    'mx-account': MxAccount;
  }
}
