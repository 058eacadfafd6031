/** Styles several elements share: the white panel every screen section sits in, buttons, error banners, tables. */
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

/** Full-width tables with a rule under each row; wrapped in `.scroll`, a wide one scrolls inside its panel, not the page. */
export const tableStyles = css`
  .scroll {
    overflow-x: auto;
  }
  table {
    width: 100%;
    border-collapse: collapse;
  }
  th,
  td {
    text-align: left;
    padding: 0.35rem 0.5rem;
    border-bottom: 1px solid var(--mx-border-soft, #e2e8f0);
    vertical-align: top;
  }
`;

/**
 * Windows up to `maxWidthPx` wide: a table marked .cards shows each row as a small card, cells labelled by
 * data-label, so it needs no sideways scrolling. Each element passes the width below which its columns stop fitting.
 */
export function cardTableStyles(maxWidthPx: number) {
  return css`
    @media (max-width: ${maxWidthPx}px) {
      table.cards thead {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip: rect(0 0 0 0);
      }
      table.cards tr {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        padding: 0.4rem 0;
        border-bottom: 1px solid var(--mx-border-soft, #e2e8f0);
      }
      table.cards td {
        border: 0;
        padding: 0.15rem 0;
      }
      table.cards td[data-label]::before {
        content: attr(data-label) ': ';
        color: var(--mx-muted, #475569);
        font-size: 0.85rem;
      }
    }
  `;
}
