/**
 * The review screen's bookkeeping, apart from its rendering (mx-result): the values in the order a reviewer
 * meets them (flagged first), progress, and each action as a JSON Patch with the patch that undoes it.
 * Review states themselves are the server's to work out (library/review): a patch only changes values or
 * sets `review/state` to accepted, rejected or unreviewed.
 */
import type { ExtractionResult, PatchOperation, ValueReview } from './api.js';

export type ReviewState = ValueReview['state'];
export type SectionId = 'patient' | 'document' | 'encounter' | 'insurance' | 'claim_totals';
export type ListId = 'diagnoses' | 'medications' | 'lab_results' | 'vitals' | 'procedures' | 'allergies' | 'immunizations' | 'claim_lines';

export const SCALAR_GROUPS: readonly SectionId[] = ['patient', 'document', 'encounter', 'insurance', 'claim_totals'];
export const LIST_IDS: readonly ListId[] = ['diagnoses', 'medications', 'lab_results', 'vitals', 'procedures', 'allergies', 'immunizations', 'claim_lines'];

/** One value on the screen: a field (`/patient/name`) or a list item (`/lab_results/3`). */
export interface ReviewValue {
  path: string;
  group: SectionId | ListId;
  flagged: boolean;
  state: ReviewState;
  page: number | null;
  quote: string | null;
}

type Unit = { evidence: { page: number; quote: string } | null; value?: unknown; review?: ValueReview; [key: string]: unknown };

/** The unit at a value's path. */
export function unitAt(r: ExtractionResult, path: string): Unit | undefined {
  const [, group, key] = path.split('/');
  const holder = (r as unknown as Record<string, unknown>)[group ?? ''];
  if (Array.isArray(holder)) return holder[Number(key)] as Unit | undefined;
  return (holder as Record<string, Unit> | undefined)?.[key ?? ''];
}

/**
 * Every value a reviewer looks at, flagged ones first, each part in document order. A field the machine
 * left empty is not a value to review (unless a person has already decided about it).
 */
export function reviewOrder(r: ExtractionResult, isFlagged: (u: Unit, hasValue: boolean) => boolean): ReviewValue[] {
  const all: ReviewValue[] = [];
  const push = (path: string, group: SectionId | ListId, u: Unit, hasValue: boolean) =>
    all.push({
      path,
      group,
      flagged: isFlagged(u, hasValue),
      state: u.review?.state ?? 'unreviewed',
      page: u.evidence?.page ?? null,
      quote: u.evidence?.quote || null,
    });
  for (const group of SCALAR_GROUPS) {
    for (const [key, u] of Object.entries(r[group] as Record<string, Unit>)) {
      const hasValue = u.value !== null && u.value !== '';
      if (hasValue || (u.review && u.review.state !== 'unreviewed')) push(`/${group}/${key}`, group, u, hasValue);
    }
  }
  for (const list of LIST_IDS) (r[list] as unknown as Unit[]).forEach((u, i) => push(`/${list}/${i}`, list, u, true));
  return [...all.filter((v) => v.flagged), ...all.filter((v) => !v.flagged)];
}

export function progress(values: readonly ReviewValue[]): { reviewed: number; total: number } {
  return { reviewed: values.filter((v) => v.state !== 'unreviewed').length, total: values.length };
}

/** A correction and the patch that undoes it. */
export interface Action {
  ops: PatchOperation[];
  undo: PatchOperation[];
  /** What the live region says once it is saved. */
  said: string;
}

/** The state to go back to: what a patch may set (corrected and added follow from the values). */
const settable = (s: ReviewState): 'unreviewed' | 'accepted' | 'rejected' => (s === 'rejected' || s === 'unreviewed' ? s : 'accepted');

export function setState(values: readonly ReviewValue[], state: 'accepted' | 'rejected', said: string): Action {
  return {
    ops: values.map((v) => ({ op: 'replace', path: `${v.path}/review/state`, value: state })),
    undo: values.map((v) => ({ op: 'replace', path: `${v.path}/review/state`, value: settable(v.state) })),
    said,
  };
}

/** The text typed into a cell as the value it stands for: empty is null, a number where the old value was one. */
export function typedValue(text: string, old: unknown): unknown {
  const t = text.trim();
  if (t === '') return null;
  if (typeof old === 'number' || old === null) {
    const n = Number(t.replace(/,/g, ''));
    if (typeof old === 'number' && Number.isFinite(n)) return n;
  }
  return t;
}

/** An edit of some parts of a value (`value` for a field, the columns of an item). */
export function edit(path: string, unit: Unit, changes: Record<string, unknown>, said: string): Action | null {
  const keys = Object.keys(changes).filter((k) => JSON.stringify(changes[k]) !== JSON.stringify(unit[k] ?? null));
  if (keys.length === 0) return null;
  const state = unit.review?.state ?? 'unreviewed';
  return {
    ops: keys.map((k) => ({ op: 'replace', path: `${path}/${k}`, value: changes[k] })),
    undo: [
      ...keys.map((k): PatchOperation => ({ op: 'replace', path: `${path}/${k}`, value: unit[k] ?? null })),
      ...(state === 'accepted' || state === 'rejected' ? [{ op: 'replace', path: `${path}/review/state`, value: state } as PatchOperation] : []),
    ],
    said,
  };
}

/** A missed item of a list, on `page`; `index` is where it lands (the end of the list). */
export function addItem(list: ListId, index: number, item: Record<string, unknown>, page: number, quote: string, said: string): Action {
  return {
    ops: [{ op: 'add', path: `/${list}/-`, value: { ...item, evidence: { page, quote } } }],
    undo: [{ op: 'remove', path: `/${list}/${index}` }],
    said,
  };
}

/**
 * A word picked from the page, put into a text being edited at the caret (replacing a selection): set off
 * by a space from the text either side, so picking words one after another spells a multi-word value.
 */
export function insertWord(text: string, start: number, end: number, word: string): { text: string; caret: number } {
  const before = text.slice(0, start);
  const after = text.slice(end);
  const lead = before !== '' && !/\s$/.test(before) ? ' ' : '';
  const trail = after !== '' && !/^\s/.test(after) ? ' ' : '';
  const inserted = `${lead}${word}${trail}`;
  return { text: before + inserted + after, caret: before.length + lead.length + word.length };
}
