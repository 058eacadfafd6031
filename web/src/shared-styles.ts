/** Styles several elements share: the white panel every screen section sits in, buttons, error banners. */
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

/** Small bordered buttons with a visible keyboard focus; `.danger` for destructive ones. */
export const buttonStyles = css`
  button {
    font: inherit;
    font-size: 0.85rem;
    padding: 0.25rem 0.6rem;
    border-radius: 4px;
    border: 1px solid var(--mx-border, #94a3b8);
    background: #fff;
    cursor: pointer;
  }
  button:disabled {
    cursor: default;
    opacity: 0.5;
  }
  button.danger {
    border-color: #b91c1c;
    color: #991b1b;
  }
  button:focus-visible {
    outline: 3px solid var(--mx-focus, #2563eb);
    outline-offset: 1px;
  }
`;

/** A message that something went wrong. */
export const bannerStyles = css`
  .banner {
    margin: 0 0 0.75rem;
    padding: 0.5rem;
    border-radius: 4px;
    background: #fee2e2;
    color: #7f1d1d;
  }
`;
