/** The job list's own styles (the shared ones are in shared-styles.ts). */
import { css } from 'lit';

export const jobsStyles = css`
    h2 {
      margin: 0;
      font-size: 1.05rem;
    }
    .head {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      justify-content: space-between;
      gap: 0.5rem;
      margin: 0 0 0.75rem;
    }
    .tools {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.5rem;
    }
    .sr-only {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
      white-space: nowrap;
    }
    td.pick {
      width: 1.5rem;
    }
    input[type='checkbox'] {
      width: 1.1rem;
      height: 1.1rem;
      margin: 0.15rem 0 0;
    }
    input[type='checkbox']:focus-visible {
      outline: 3px solid var(--mx-focus, #2563eb);
      outline-offset: 1px;
    }
    .filter {
      font-size: 0.9rem;
      display: flex;
      align-items: center;
      gap: 0.4rem;
    }
    select {
      font: inherit;
      padding: 0.2rem 0.35rem;
      border-radius: 4px;
      border: 1px solid var(--mx-border, #94a3b8);
      background: #fff;
    }
    select:focus-visible {
      outline: 3px solid var(--mx-focus, #2563eb);
      outline-offset: 1px;
    }
    td.elapsed {
      white-space: nowrap;
      font-variant-numeric: tabular-nums;
    }
    table {
      font-size: 0.9rem;
    }
    th,
    td {
      padding: 0.45rem 0.5rem;
    }
    th {
      font-weight: 600;
      color: var(--mx-muted, #475569);
    }
    td.file {
      overflow-wrap: anywhere;
      min-width: 10rem;
    }
    progress {
      width: 8rem;
      max-width: 100%;
    }
    .status {
      font-weight: 600;
    }
    .status.completed {
      color: #166534;
    }
    .status.failed {
      color: #991b1b;
    }
    .status.cancelled {
      color: #6b7280;
    }
    /* Completed, but not to be trusted blindly: amber, never the plain green of completed. */
    .status.review {
      color: #92400e;
    }
    .status.review::before {
      content: '⚠ ';
    }
    details.warnings {
      font-size: 0.85rem;
      max-width: 26rem;
      margin-top: 0.15rem;
    }
    details.warnings summary {
      cursor: pointer;
      color: #92400e;
    }
    details.warnings summary:focus-visible {
      outline: 3px solid var(--mx-focus, #2563eb);
      outline-offset: 1px;
    }
    details.warnings ul {
      margin: 0.25rem 0 0;
      padding-left: 1.1rem;
    }
    details.warnings p {
      margin: 0.25rem 0 0;
    }
    td.owner {
      overflow-wrap: anywhere;
    }
    .err {
      display: block;
      font-weight: normal;
      color: #7f1d1d;
      max-width: 24rem;
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      gap: 0.35rem;
    }
    a.workflow {
      font-size: 0.85rem;
      padding: 0.25rem 0.6rem;
      align-self: center;
    }
    a.workflow:focus-visible {
      outline: 3px solid var(--mx-focus, #2563eb);
      outline-offset: 1px;
    }
    form.queue {
      display: flex;
      flex-wrap: wrap;
      align-items: flex-end;
      gap: 0.5rem 0.75rem;
      margin: 0 0 0.75rem;
      font-size: 0.9rem;
    }
    form.queue label {
      display: flex;
      flex-direction: column;
      gap: 0.15rem;
    }
    form.queue label.check {
      flex-direction: row;
      align-items: center;
      gap: 0.35rem;
      padding-bottom: 0.25rem;
    }
    form.queue label.search {
      flex: 1 1 14rem;
    }
    form.queue input[type='search'],
    form.queue input[type='text'],
    form.queue input[type='date'] {
      font: inherit;
      padding: 0.2rem 0.35rem;
      border-radius: 4px;
      border: 1px solid var(--mx-border, #94a3b8);
      min-width: 0;
    }
    form.queue input:focus-visible {
      outline: 3px solid var(--mx-focus, #2563eb);
      outline-offset: 1px;
    }
    nav.pager {
      display: flex;
      align-items: center;
      justify-content: flex-end;
      gap: 0.75rem;
      margin-top: 0.75rem;
      font-size: 0.9rem;
    }
    .empty {
      color: var(--mx-muted, #475569);
    }
`;
