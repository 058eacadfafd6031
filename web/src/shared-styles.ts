/** Styles several elements share: the white panel every screen section sits in. */
import { css } from 'lit';

export const panelStyles = css`
  :host {
    display: block;
  }
  section {
    background: var(--mx-surface, #fff);
    border: 1px solid var(--mx-border-soft, #e2e8f0);
    border-radius: 8px;
    padding: 1rem;
  }
`;
