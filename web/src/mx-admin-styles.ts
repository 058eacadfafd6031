/** Form and table styles of the admin and API-key panels, and the review figures. */
import { css } from 'lit';
import { cardTableStyles, tableStyles } from './shared-styles.js';

export const formStyles = [
  css`
  .stack {
    display: grid;
    grid-template-columns: minmax(0, 1fr);
    gap: 1.25rem;
  }
  h2 {
    margin: 0 0 0.5rem;
    font-size: 1.1rem;
  }
  .hint,
  .empty {
    color: var(--mx-muted, #475569);
    margin: 0 0 0.75rem;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: end;
    margin-bottom: 0.75rem;
  }
  label {
    display: grid;
    gap: 0.2rem;
    font-weight: 600;
    font-size: 0.85rem;
  }
  input,
  select {
    font: inherit;
    padding: 0.35rem;
    border: 1px solid var(--mx-border, #94a3b8);
    border-radius: 4px;
    max-width: 100%;
  }
  input.key {
    font-family: monospace;
    width: min(40rem, 80vw);
  }
  button {
    font: inherit;
    font-size: 0.85rem;
    padding: 0.3rem 0.7rem;
    border-radius: 4px;
    border: 1px solid var(--mx-border, #94a3b8);
    background: #fff;
    cursor: pointer;
  }
  button.danger {
    border-color: #b91c1c;
    color: #991b1b;
  }
  input:focus-visible,
  select:focus-visible,
  button:focus-visible {
    outline: 3px solid var(--mx-focus, #2563eb);
    outline-offset: 1px;
  }
  .error {
    margin: 0 0 0.75rem;
    padding: 0.5rem;
    border-radius: 4px;
    background: #fee2e2;
    color: #7f1d1d;
  }
  .ok {
    margin: 0 0 0.75rem;
    color: #166534;
  }
  .once {
    margin: 0 0 0.75rem;
    padding: 0.75rem;
    border: 1px solid #f59e0b;
    border-radius: 4px;
    background: #fffbeb;
  }
  .warn {
    color: #92400e;
  }
  .figures-summary {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 1.5rem;
    margin: 0 0 0.75rem;
  }
  .figures-summary dt {
    font-size: 0.85rem;
    color: var(--mx-muted, #475569);
  }
  .figures-summary dd {
    margin: 0;
    font-weight: 600;
  }
  caption {
    text-align: left;
  }
  td.share {
    font-variant-numeric: tabular-nums;
    font-weight: 600;
  }
  `,
  tableStyles,
  cardTableStyles(560),
];
