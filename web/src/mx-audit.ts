/** The audit log for administrators: who did what, to what, when and from where, with filters. */
import { LitElement, html } from 'lit';
import { panelStyles } from './shared-styles.js';

export class MxAudit extends LitElement {
  static override styles = [panelStyles];

  override render() {
    return html`<section aria-labelledby="audit-h"><h2 id="audit-h">Audit log</h2></section>`;
  }
}

customElements.define('mx-audit', MxAudit);

declare global {
  interface HTMLElementTagNameMap {
    'mx-audit': MxAudit;
  }
}
